"""nbgrader's shared-folder exchange, with each submission and feedback file private.

Stock nbgrader 0.9.6 leaves a submission in the exchange's ``inbound`` folder readable by
every user (files 0644, folder 0777) and released feedback too (0644): they are hidden
only by names no one else can list. On a JupyterHub where every student has a Unix
account, these two classes keep nbgrader's exchange as it is and then tighten the modes:

* :class:`PrivateSubmit` (runs as the student): the submission's folder can be entered
  by the student and by the group of ``inbound`` only. ``inbound`` is the instructor's and has
  the set-group-id bit (nbgrader creates it so), so that group is the instructor's.
* :class:`PrivateReleaseFeedback` (runs as the instructor): each feedback file gets mode
  0640 and a POSIX ACL entry that lets its one student (the Unix user named by the
  student id) read it. This needs ``setfacl`` (Debian's ``acl``).

* :class:`CheckedCollect` (runs as the instructor): collects only submissions the student
  they name made (a safe id, owned by that student's Unix account, only folders and
  regular files) and replaces a claimed timestamp the submission's last change belies;
  every other folder is refused with a message and costs no one else anything.

Configure them in the users' ``nbgrader_config.py`` (``deploy/hub/nbgrader_config.py``)::

    c.ExchangeFactory.submit = "gmm_grader.exchange.PrivateSubmit"
    c.ExchangeFactory.release_feedback = "gmm_grader.exchange.PrivateReleaseFeedback"
    c.ExchangeFactory.collect = "gmm_grader.exchange.CheckedCollect"

Where the modes cannot be tightened (a submission that did not get ``inbound``'s group, a student id
that is no Unix user, no ``setfacl``) the stock modes stay and a warning says why: a
submission or feedback is never lost for it.
"""

from __future__ import annotations

import datetime
import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from gmm_grader.identity import changed_at, check_on_roster, check_student_id, owner_name, roster_of
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default import ExchangeCollect, ExchangeReleaseFeedback, ExchangeSubmit
from nbgrader.utils import check_mode, get_osusername, ignore_patterns, notebook_hash, parse_utc
from traitlets import Bool, Float, TraitError, validate

#: a submission's folder: the student and the inbound group (the instructor, who deletes it)
SUBMITTED_FOLDER = 0o770
#: a released feedback file: the instructor, plus the student through an ACL entry
FEEDBACK_FILE = 0o640


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, then the submission in ``inbound`` is private to student and instructor.

    The submission's folder is created in ``inbound``, whose set-group-id bit gives it the
    instructor's group; mode 0770 (nbgrader makes it 0777) then lets only the student and
    that group through, whatever the modes of the files inside.
    """

    def copy_files(self) -> None:
        super().copy_files()
        inbound = Path(self.inbound_path)
        dest = inbound / self.assignment_filename
        if dest.stat().st_gid != inbound.stat().st_gid:
            self.log.warning(
                "%s did not pass its group on (no set-group-id bit?): the submission keeps "
                "nbgrader's modes, readable by every user who finds it",
                inbound,
            )
            return
        dest.chmod(SUBMITTED_FOLDER)


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, then each file is readable by its own student only."""

    def copy_files(self) -> None:
        super().copy_files()
        for student_id, released in self._released():
            self._restrict(student_id, released)

    def _released(self) -> list[tuple[str, Path]]:
        """(student id, released file) for every feedback file nbgrader just released."""
        pattern = re.escape(os.path.sep).join(
            [
                self.coursedir.format_path(
                    self.coursedir.feedback_directory,
                    "(?P<student_id>.*)",
                    self.coursedir.assignment_id,
                    escape=True,
                ),
                "(?P<notebook_id>.*).html",
            ]
        )
        found = []
        for html_file in glob.glob(os.path.join(self.src_path, "*.html")):
            match = re.match(pattern, html_file)
            if match is None:
                continue
            with open(os.path.join(os.path.dirname(html_file), "submission_secret.txt")) as fh:
                secret = fh.read()
            checksum = notebook_hash(secret=secret, notebook_id=match.group("notebook_id"))
            released = Path(self.dest_path) / f"{checksum}.html"
            if released.exists():
                found.append((match.group("student_id"), released))
        return found

    def _restrict(self, student_id: str, released: Path) -> None:
        setfacl = shutil.which("setfacl")
        if setfacl is None:
            self.log.warning("no setfacl (Debian: apt-get install acl): %s stays readable by all", released)
            return
        result = subprocess.run(
            [setfacl, "-m", f"u:{student_id}:r", str(released)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            self.log.warning("%s stays readable by all: %s", released, result.stderr.strip())
            return
        released.chmod(FEEDBACK_FILE)  # the ACL mask keeps the student's read entry


class SubmissionRefused(ValueError):
    """A folder in ``inbound`` that :class:`CheckedCollect` will not collect (the message says why)."""


class CheckedCollect(ExchangeCollect):
    """nbgrader's collect, taking only submissions the student they name really made.

    Stock collect takes the student id from the submission folder's name
    (``ID+ASSIGNMENT+TIMESTAMP[+RANDOM]``), which the student chooses: on a shared exchange
    anyone can create ``alice+ASSIGNMENT+2099-...`` and it replaces alice's submission (stock
    collect only warns that the owner differs); an id with glob characters (``[b]ob``) later
    matches another student's folders in nbgrader's ``glob``; a comma splits it in
    ``student_id_exclude``; one folder with a bad timestamp stops the whole collect. Here each
    folder in ``inbound`` is checked before it can reach ``submitted/``, and a folder that
    fails is **refused**: an error names it and why, the others are collected as usual.

    A folder is refused when

    * its student id is not a safe id (:func:`gmm_grader.identity.check_student_id`), or not
      on the gradebook's roster when :attr:`require_roster` is set;
    * its name is not ``ID+ASSIGNMENT+TIMESTAMP[+RANDOM]`` with a timestamp nbgrader parses;
    * it, or anything in it, is owned by a Unix user other than the student it names (the
      hub's user name is the Unix user name and the student id). Folders owned by the user
      who runs collect are the instructor's own act and are accepted: on one machine, where
      the instructor plays every student, everything is theirs. nbgrader's
      ``check_owner = False`` (in stock collect only a warning) switches this check off,
      for an exchange where a service submits on the students' behalf;
    * it holds anything but folders and regular files (a link could make the instructor copy
      another student's file; a named pipe would stop collect), or more than nbgrader's
      ``CourseDirectory.max_dir_size``.

    **Timestamps.** The folder's name and ``timestamp.txt`` carry the student's own clock.
    The real time is the submission's last change (:func:`gmm_grader.identity.changed_at`,
    the newest inode change time in it, which no user can set back). nbgrader's submit takes
    its timestamp just before it writes the files, so an honest timestamp is a little before
    the last change. A claimed timestamp later than the last change (plus one second for the
    file system's clock), or more than :attr:`timestamp_slack` seconds before it, is replaced
    by the last change, with a warning: the replaced timestamp orders the student's
    submissions (a date in 2099 does not outbid a later real submission), decides lateness
    and is written to the collected ``timestamp.txt``. Whatever changes the folders in
    ``inbound`` after submission (``chown -R``, a restore or a move of the exchange to
    another disk) makes them look submitted then: for such an exchange set
    ``timestamp_slack`` to ``float("inf")``, which keeps every claim not later than the
    last change.

    Configure it for the instructor (``deploy/hub/nbgrader_config.py``)::

        c.ExchangeFactory.collect = "gmm_grader.exchange.CheckedCollect"
    """

    timestamp_slack = Float(
        60.0,
        help="Seconds a submission's claimed timestamp may precede its last change (an honest "
        "submit writes its files just after taking the timestamp). Older claims are replaced.",
    ).tag(config=True)

    require_roster = Bool(
        False,
        help="Refuse submissions from student ids the gradebook does not know. Off by default: "
        "nbgrader autograde adds unknown students to the gradebook itself.",
    ).tag(config=True)

    @validate("timestamp_slack")
    def _slack_not_negative(self, proposal):
        if not proposal["value"] >= 0:
            raise TraitError(f"timestamp_slack must be >= 0 seconds, got {proposal['value']!r}")
        return proposal["value"]

    #: a claim this far past the last change is still the same moment (coarse file-system clocks)
    CLOCK_SLACK = datetime.timedelta(seconds=1)

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        only = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        if only is not None:
            try:
                check_student_id(only)
            except ValueError as err:
                self.fail(f"--student: {err}")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        roster = None
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        if self.require_roster:
            roster = roster_of(self.coursedir.db_url, self.coursedir.course_id)
        self.refused: dict[str, str] = {}
        by_student: dict[str, list[dict]] = {}
        for name in sorted(os.listdir(self.inbound_path)):
            if only is not None and not name.startswith(only + "+"):
                continue
            try:
                record = self._checked_record(name, roster)
            except (SubmissionRefused, OSError) as err:  # OSError: removed while we looked
                self.refused[name] = str(err)
                self.log.error("Refused %s: %s", os.path.join(self.inbound_path, name), err)
                continue
            if record is not None:
                by_student.setdefault(record["username"], []).append(record)
        self.src_records = []
        for records in by_student.values():
            records.sort(key=lambda record: record["timestamp"], reverse=True)
            if self.duedate is not None and self.before_duedate:
                on_time = [record for record in records if record["timestamp"] <= self.duedate]
                records = on_time or records
            self.src_records.append(records[0])

    def _checked_record(self, name: str, roster: frozenset[str] | None) -> dict | None:
        """The record of one folder in ``inbound`` (``None``: another assignment's); refuses it if unsafe."""
        student_id, sep, rest = name.partition("+")
        assignment_id = self.coursedir.assignment_id
        if not sep or not rest.startswith(assignment_id + "+"):
            if f"+{assignment_id}+" in name:  # e.g. an id with '+': never a safe id
                raise SubmissionRefused(f"its name is not ID+{assignment_id}+TIMESTAMP with a safe ID")
            return None
        claim = rest[len(assignment_id) + 1 :]
        try:
            check_on_roster(student_id, roster)
        except ValueError as err:
            raise SubmissionRefused(str(err)) from None
        path = os.path.join(self.inbound_path, name)
        claimed = self._parse_claim(claim)
        self._check_tree(path, student_id)
        real = changed_at(path)
        timestamp = claimed
        try:
            earliest = real - datetime.timedelta(seconds=self.timestamp_slack)
        except OverflowError:  # float("inf"): every claim not later than the last change is kept
            earliest = datetime.datetime.min
        if claimed > real + self.CLOCK_SLACK or claimed < earliest:
            self.log.warning(
                "%s claims to be submitted at %s but last changed at %s: collected as submitted at %s",
                path, claimed, real, real,
            )
            timestamp = real
        return {"username": student_id, "filename": name, "timestamp": timestamp}

    @staticmethod
    def _parse_claim(claim: str) -> datetime.datetime:
        """The timestamp in a folder name, with or without nbgrader's ``+RANDOM`` suffix."""
        candidates = [claim] + ([claim.rsplit("+", 1)[0]] if "+" in claim else [])
        for text in candidates:
            try:
                return parse_utc(text)
            except (ValueError, OverflowError):
                continue
        raise SubmissionRefused(f"the folder name's timestamp {claim!r} is not a timestamp")

    def _check_tree(self, path: str, student_id: str) -> None:
        """Refuse unless ``path`` holds only folders and regular files, all its owner's, who may submit it."""
        top = os.lstat(path)
        if not stat.S_ISDIR(top.st_mode):
            raise SubmissionRefused("it is not a folder (a link or a file)")
        owner = owner_name(path)
        if self.check_owner and owner != student_id and owner != get_osusername():
            raise SubmissionRefused(
                f"it names student {student_id!r} but is owned by Unix user {owner or top.st_uid!r}: "
                "a student submits only as themselves"
            )
        size = 0
        for folder, dirs, files in os.walk(path):
            for entry in dirs + files:
                full = os.path.join(folder, entry)
                st = os.lstat(full)
                if st.st_uid != top.st_uid:
                    raise SubmissionRefused(f"{full} is not owned by the folder's owner")
                if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                    raise SubmissionRefused(f"{full} is neither a folder nor a regular file")
                if stat.S_ISREG(st.st_mode):
                    size += st.st_size
        if size > 1000 * self.coursedir.max_dir_size:
            raise SubmissionRefused(
                f"it holds {size} bytes, more than CourseDirectory.max_dir_size "
                f"({self.coursedir.max_dir_size} kB)"
            )

    def copy_files(self) -> None:
        if not self.src_records:
            self.log.warning(
                "No submissions of '%s' for course '%s' to collect", self.coursedir.assignment_id,
                self.coursedir.course_id,
            )
        for record in self.src_records:
            try:
                self._collect_one(record)
            except (OSError, shutil.Error, SubmissionRefused) as err:
                self.refused[record["filename"]] = str(err)
                self.log.error(
                    "Refused %s: %s (the submission already collected, if any, is kept)",
                    os.path.join(self.inbound_path, record["filename"]), err,
                )
        if self.refused:
            self.log.error(
                "%d folder(s) in %s refused (see above): %s",
                len(self.refused), self.inbound_path, ", ".join(sorted(self.refused)),
            )

    @staticmethod
    def _file_timestamp(folder: str) -> datetime.datetime | None:
        """The time in ``folder/timestamp.txt``, or ``None`` if it is missing or not a time."""
        try:
            with open(os.path.join(folder, "timestamp.txt")) as fh:
                return parse_utc(fh.read().strip())
        except (OSError, ValueError, OverflowError):
            return None

    def _collect_one(self, record: dict) -> None:
        """Copy one checked submission into ``submitted/``; an older one goes once the copy is whole."""
        student_id = record["username"]
        src = os.path.join(self.inbound_path, record["filename"])
        dest = self.coursedir.format_path(
            self.coursedir.submitted_directory, student_id, self.coursedir.assignment_id
        )
        if os.path.isdir(dest):
            existing = self.coursedir.get_existing_timestamp(dest)
            newer = existing is None or record["timestamp"] > existing
            differs = existing != record["timestamp"]
            if not ((self.update and newer) or (self.before_duedate and differs)):
                self.log.info(
                    "No newer submission to collect: %s %s" if self.update
                    else "Submission already exists, use --update to update: %s %s",
                    student_id, self.coursedir.assignment_id,
                )
                return
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".collect-{student_id}-", dir=os.path.dirname(dest))
        try:
            copy = os.path.join(staging, "copy")
            shutil.copytree(
                src, copy, symlinks=True,  # a link swapped in after the check stays a link, and is refused
                ignore=ignore_patterns(
                    exclude=self.coursedir.ignore, include=self.coursedir.include,
                    max_file_size=self.coursedir.max_file_size, log=self.log,
                ),
            )
            for folder, dirs, files in os.walk(copy):
                for entry in dirs + files:
                    mode = os.lstat(os.path.join(folder, entry)).st_mode
                    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                        raise SubmissionRefused(f"{entry} became neither a folder nor a regular file")
            if self._file_timestamp(copy) != record["timestamp"]:  # replaced, or not the name's claim
                with open(os.path.join(copy, "timestamp.txt"), "w") as fh:
                    fh.write(record["timestamp"].strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
            if self.coursedir.groupshared:  # what nbgrader's do_copy does for a group-shared course
                for folder, _, files in os.walk(copy):
                    os.chmod(folder, (os.stat(folder).st_mode | 0o2770) & 0o2777)
                    for entry in files:
                        full = os.path.join(folder, entry)
                        os.chmod(full, (os.stat(full).st_mode | 0o660) & 0o777)
            if os.path.isdir(dest):
                self.log.info("Updating submission: %s %s", student_id, self.coursedir.assignment_id)
                shutil.rmtree(dest)
            else:
                self.log.info("Collecting submission: %s %s", student_id, self.coursedir.assignment_id)
            os.rename(copy, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
