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

Configure them in the users' ``nbgrader_config.py`` (``deploy/hub/nbgrader_config.py``)::

    c.ExchangeFactory.submit = "gmm_grader.exchange.PrivateSubmit"
    c.ExchangeFactory.release_feedback = "gmm_grader.exchange.PrivateReleaseFeedback"

Where the modes cannot be tightened (a submission that did not get ``inbound``'s group, a student id
that is no Unix user, no ``setfacl``) the stock modes stay and a warning says why: a
submission or feedback is never lost for it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from nbgrader.exchange.default import ExchangeReleaseFeedback, ExchangeSubmit
from nbgrader.utils import notebook_hash

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
