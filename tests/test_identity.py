"""Identity the student cannot choose: ids, owners and timestamps on a shared exchange.

Fast tests check the pieces (:mod:`gmm_grader.identity`, the folder-name and timestamp rules
of :class:`gmm_grader.exchange.CheckedCollect`). The system test, as root, makes real Unix
accounts (``useradd``; removed at the end): an instructor and the students alice, bob and
mallory. ``deploy/hub/hub.py``'s :func:`prepare_folders` makes the exchange and the course's
folder in it; the instructor generates and releases a one-question assignment with real
``nbgrader`` commands; each student gets the released notebook and submits it with
``nbgrader submit`` run as that student (``runuser``). Mallory then tries, as herself:

* a folder in ``inbound`` named after alice, dated 2099, with a wrong answer;
* ``nbgrader submit --student='[b]ob'`` (a glob that matches bob), and a folder for
  ``x,alice`` (a comma nbgrader splits), with wrong answers;
* her own folder dated 2099 before her real submission (the date must not outbid it);
* a later folder of her own whose notebook is a link to the instructor's source notebook
  (the instructor's collect would copy the solution into her submission);
* a folder whose timestamp is not a time (stock collect stops for everyone on it);
* creating, renaming or removing the course's folder, and making a course folder before
  the install (the install refuses it).

One ``nbgrader collect`` refuses each forgery with a message and collects the real
submissions; one ``nbgrader autograde`` of the three students then gives exact scores.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from gmm_grader import identity
from gmm_grader.exchange import CheckedCollect, SubmissionRefused
from nbgrader.api import Gradebook
from traitlets import TraitError

ROOT = Path(__file__).resolve().parents[1]
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
SUFFIX = secrets.token_hex(2)
INSTRUCTOR = f"gmm{SUFFIX}prof"
ALICE, BOB, MALLORY = (f"gmm{SUFFIX}{name}" for name in ("alice", "bob", "mallory"))
COURSE = "gmm-identity"
ASSIGNMENT = "asg"
FUTURE = "2099-01-01 00:00:00.000000 UTC"

ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="creates Unix users with useradd: root only"
)


# ----------------------------------------------------------------------------- fast tests
@pytest.mark.fast
def test_check_on_roster_refuses_unsafe_and_unknown_ids_by_name():
    roster = frozenset({"alice", "bob"})
    assert identity.check_on_roster("alice", roster) == "alice"
    assert identity.check_on_roster("zed") == "zed"  # no roster: the safe pattern only
    for bad in ("[b]ob", "x,alice", "al ice", "../alice", "-alice", "a+b", ""):
        with pytest.raises(ValueError, match="student_id"):
            identity.check_on_roster(bad, roster)
    with pytest.raises(ValueError, match="not on the class roster"):
        identity.check_on_roster("carol", roster)
    with pytest.raises(TypeError, match="student_id"):
        identity.check_on_roster(7, roster)
    with pytest.raises(TypeError, match="roster"):
        identity.check_on_roster("alice", ["alice"])


@pytest.mark.fast
def test_changed_at_cannot_be_set_back(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(seconds=5)
    os.utime(folder / "a.ipynb", (0, 0))  # mtime 1970: what a student can set
    os.utime(folder, (0, 0))
    assert identity.changed_at(folder) >= before
    assert os.stat(folder / "a.ipynb").st_mtime == 0


@pytest.mark.fast
def test_owner_name_is_the_unix_user(tmp_path):
    assert identity.owner_name(tmp_path) == pwd.getpwuid(os.getuid()).pw_name


@pytest.mark.fast
def test_folder_name_timestamps():
    parsed = CheckedCollect._parse_claim("2026-12-03 15:30:00.123456 UTC+AbC-_x")
    assert parsed == datetime.datetime(2026, 12, 3, 15, 30, 0, 123456)
    assert CheckedCollect._parse_claim(FUTURE).year == 2099
    with pytest.raises(SubmissionRefused, match="not a timestamp"):
        CheckedCollect._parse_claim("garbage")
    with pytest.raises(TraitError, match="timestamp_slack"):
        CheckedCollect(timestamp_slack=-1.0)


def _collect_here(tmp_path: Path, **traits) -> tuple[CheckedCollect, Path, Path]:
    """A CheckedCollect over a temporary exchange and course, run in this process as this user."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root = str(tmp_path / "course")
    cfg.CourseDirectory.course_id = "c"
    cfg.CourseDirectory.assignment_id = "asg"
    cfg.CheckedCollect.update = True
    (tmp_path / "course").mkdir(parents=True)
    inbound = tmp_path / "exchange" / "c" / "inbound"
    inbound.mkdir(parents=True)
    collect = CheckedCollect(coursedir=CourseDirectory(config=cfg), config=cfg, **traits)
    collect.root = str(tmp_path / "exchange")
    return collect, inbound, tmp_path / "course" / "submitted"


def _stamp(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _folder(inbound: Path, student: str, claim: str, text: str) -> Path:
    folder = inbound / f"{student}+asg+{claim}"
    folder.mkdir()
    (folder / "asg.ipynb").write_text(text)
    (folder / "timestamp.txt").write_text(claim)
    return folder


@pytest.mark.slow  # nbgrader makes the gradebook with an alembic subprocess
@pytest.mark.nbgrader
@ROOT_ONLY
def test_collect_rules_in_process(tmp_path, caplog, monkeypatch):
    """Roster, owner, backdated claims, special files, size, --student; then without roster and owner."""
    # the gradebook's set-up runs ``alembic`` from PATH: the venv's, as run.py test does not put it there
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    collect, inbound, submitted = _collect_here(tmp_path, require_roster=True)
    collect.coursedir.max_dir_size = 1  # kB
    with Gradebook(collect.coursedir.db_url, "c") as gb:
        gb.add_student("alice")
        gb.add_student("bob")
        gb.add_student("carol")
        gb.add_student("dave")
        gb.add_student("erin")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    _folder(inbound, "alice", _stamp(now - datetime.timedelta(hours=3)), "alice backdated")  # claims 3 h ago
    _folder(inbound, "bob", _stamp(now), "bob honest")
    _folder(inbound, "zed", _stamp(now), "zed not on the roster")
    os.mkfifo(_folder(inbound, "carol", _stamp(now), "carol") / "pipe")  # would hang a copy
    (_folder(inbound, "dave", _stamp(now), "dave") / "big.bin").write_bytes(b"x" * 2000)
    erin = _folder(inbound, "erin", _stamp(now), "erin, made by nobody")
    for path in (erin, *erin.iterdir()):
        os.lchown(path, 65534, 65534)  # a user who is not erin and not the one collecting
    with caplog.at_level("INFO"):
        collect.start()
    log = caplog.text
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]  # this user's own folders
    assert (submitted / "bob" / "asg" / "asg.ipynb").read_text() == "bob honest"
    assert (submitted / "bob" / "asg" / "timestamp.txt").read_text() == _stamp(now)  # the claim, kept
    alice_time = collect.coursedir.get_existing_timestamp(str(submitted / "alice" / "asg"))
    assert alice_time >= now - datetime.timedelta(seconds=collect.timestamp_slack)  # not 3 h ago
    assert "student_id 'zed' is not on the class roster" in log
    assert "/pipe is neither a folder nor a regular file" in log
    assert "more than CourseDirectory.max_dir_size (1 kB)" in log
    assert f"it names student 'erin' but is owned by Unix user '{pwd.getpwuid(65534).pw_name}'" in log
    assert "4 folder(s)" in log

    caplog.clear()
    again = CheckedCollect(
        coursedir=collect.coursedir, config=collect.config, check_owner=False, timestamp_slack=float("inf")
    )
    again.root = collect.root
    with caplog.at_level("INFO"):
        again.start()  # no roster, no owner check: erin and zed come in; the pipe and the size still refused
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob", "erin", "zed"]
    assert "claims to be submitted" not in caplog.text  # an infinite slack keeps alice's early claim
    assert "2 folder(s)" in caplog.text

    collect, _, _ = _collect_here(tmp_path / "again")
    collect.coursedir.student_id = "[b]ob"
    from nbgrader.exchange import ExchangeError

    with pytest.raises(ExchangeError, match=r"--student: student_id '\[b\]ob' is refused"):
        collect.start()


# ---------------------------------------------------------------------- the system test
def _hub_module():
    spec = importlib.util.spec_from_file_location("gmm_hub_identity", ROOT / "deploy" / "hub" / "hub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_user(user: str, *cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``cmd`` as the Unix user ``user`` (``runuser``), with that user's home."""
    home = pwd.getpwnam(user).pw_dir
    env = ["env", "-i", f"HOME={home}", f"USER={user}", "LANG=C.UTF-8",
           f"PATH={Path(sys.executable).parent}:/usr/bin:/bin"]
    return subprocess.run(
        ["runuser", "-u", user, "--", *env, *cmd],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd or home,
    )


def ran(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{what}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def give(path: Path, user: str) -> None:
    """``path`` (and everything below) owned by ``user``."""
    pw = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, e) for e in dirs + files)]:
            os.lchown(name, pw.pw_uid, pw.pw_gid)


def source_notebook(marker: str, answer: str) -> nbformat.NotebookNode:
    """One graded answer cell and its hidden test (1 point); ``marker`` names whose it is."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"<!-- {marker} -->\nWhat is six times seven?"),
        nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\nanswer = {answer}\n### END SOLUTION",
            metadata={"nbgrader": {"grade": False, "grade_id": "answer", "locked": False,
                                   "schema_version": 3, "solution": True, "task": False}},
        ),
        nbformat.v4.new_code_cell(
            "assert answer == 42",
            metadata={"nbgrader": {"grade": True, "grade_id": "check", "locked": True, "points": 1,
                                   "schema_version": 3, "solution": False, "task": False}},
        ),
    ]
    return nb


def answered(path: Path, marker: str, answer: int) -> None:
    """The student's notebook at ``path`` with ``answer`` typed in and ``marker`` in its text."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = f"<!-- {marker} -->\n" + nb.cells[0].source
    nb.cells[1].source = f"answer = {answer}"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def unix_users():
    """The instructor and three students as Unix accounts, homes 0700; removed at the end."""
    names = [INSTRUCTOR, ALICE, BOB, MALLORY]
    made = []
    try:
        for name in names:
            subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/sh", name], check=True)
            made.append(name)
        yield names
    finally:
        uids = set()
        for name in made:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        for proc in psutil.process_iter(["uids"]):  # only processes of the users made here
            if proc.info["uids"] and proc.info["uids"].real in uids:
                try:
                    proc.send_signal(signal.SIGKILL)
                except psutil.Error:
                    pass
        for name in made:
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


@pytest.fixture(scope="module")
def exchange_run(unix_users):
    """The whole term, once: install, release, submissions and forgeries, one collect, one autograde."""
    base = Path(tempfile.mkdtemp(prefix="gmm-identity-"))
    base.chmod(0o755)  # every user reaches the exchange below it
    exchange, state, course = base / "exchange", base / "state", base / "course"
    out = {"base": base, "exchange": exchange, "course": course, "inbound": exchange / COURSE / "inbound"}
    try:
        hub = _hub_module()
        # a course folder a student made before the install: the install refuses to use it
        exchange.mkdir()
        exchange.chmod(0o1777)
        ran(as_user(MALLORY, "mkdir", str(exchange / "early-course")), "mallory makes a course folder first")
        with pytest.raises(SystemExit) as refused:
            hub.prepare_folders(exchange, state, "early-course", INSTRUCTOR)
        out["early_refusal"] = str(refused.value)
        out["early_owner"] = identity.owner_name(exchange / "early-course")
        hub.prepare_folders(exchange, state, COURSE, INSTRUCTOR)
        out["modes"] = {
            sub: (identity.owner_name(exchange / COURSE / sub), oct((exchange / COURSE / sub).stat().st_mode))
            for sub in hub.COURSE_FOLDERS
        }
        out["mallory_on_course"] = {
            what: as_user(MALLORY, *cmd).returncode
            for what, cmd in {
                "rename course": ("mv", str(exchange / COURSE), str(exchange / "mine")),
                "remove outbound": ("rmdir", str(exchange / COURSE / "outbound")),
                "create in course": ("mkdir", str(exchange / COURSE / "outbound2")),
                "create in outbound": ("mkdir", str(exchange / COURSE / "outbound" / ASSIGNMENT)),
                "create in feedback": ("mkdir", str(exchange / COURSE / "feedback" / "x")),
                "list inbound": ("ls", str(exchange / COURSE / "inbound")),
            }.items()
        }

        # the instructor's course: a one-question assignment, generated and released
        config = (
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            "c.ExchangeFactory.submit = 'gmm_grader.exchange.PrivateSubmit'\n"
            "c.ExchangeFactory.collect = 'gmm_grader.exchange.CheckedCollect'\n"
        )
        (course / "source" / ASSIGNMENT).mkdir(parents=True)
        source = source_notebook("the instructor's source", "42")
        nbformat.write(source, course / "source" / ASSIGNMENT / "asg.ipynb")
        (course / "nbgrader_config.py").write_text(config)
        give(course, INSTRUCTOR)
        ran(as_user(INSTRUCTOR, NBGRADER, "generate_assignment", ASSIGNMENT, cwd=course), "generate")
        ran(as_user(INSTRUCTOR, NBGRADER, "release_assignment", ASSIGNMENT, cwd=course), "release")

        homes = {name: Path(pwd.getpwnam(name).pw_dir) for name in (ALICE, BOB, MALLORY)}
        for name, home in homes.items():
            (home / "nbgrader_config.py").write_text(config)
            # what fetch_assignment gives them (fetching is not what this test is about)
            shutil.copytree(exchange / COURSE / "outbound" / ASSIGNMENT, home / ASSIGNMENT)
            give(home, name)

        def submit(name: str, marker: str, answer: int, *extra: str) -> subprocess.CompletedProcess:
            answered(homes[name] / ASSIGNMENT / "asg.ipynb", marker, answer)
            give(homes[name] / ASSIGNMENT, name)
            return ran(as_user(name, NBGRADER, "submit", ASSIGNMENT, *extra), f"submit {name} {extra}")

        def forge(folder_name: str, marker: str, answer: int, timestamp: str) -> None:
            """Mallory's own folder in inbound, made by hand (she owns it; inbound is writable)."""
            draft = homes[MALLORY] / "draft"
            shutil.rmtree(draft, ignore_errors=True)
            (draft).mkdir()
            shutil.copy(homes[MALLORY] / ASSIGNMENT / "asg.ipynb", draft / "asg.ipynb")
            answered(draft / "asg.ipynb", marker, answer)
            (draft / "timestamp.txt").write_text(timestamp)
            give(draft, MALLORY)
            copied = as_user(MALLORY, "cp", "-r", str(draft), str(out["inbound"] / folder_name))
            ran(copied, f"forge {folder_name}")

        submit(ALICE, "alice's own work", 42)
        submit(BOB, "bob's own work", 42)
        alices = next(p for p in out["inbound"].iterdir() if p.name.startswith(f"{ALICE}+"))
        out["mallory_moves_alices"] = as_user(MALLORY, "mv", str(alices), str(out["inbound"] / "gone"))
        forge(f"{ALICE}+{ASSIGNMENT}+{FUTURE}+forged", "mallory posing as alice", 0, FUTURE)
        submit(MALLORY, "mallory as [b]ob", 0, f"--student=gmm{SUFFIX}[b]ob")
        stamp = _stamp(datetime.datetime.now(datetime.UTC))
        forge(f"x,{ALICE}+{ASSIGNMENT}+{stamp}", "mallory as x,alice", 0, stamp)
        forge(f"{MALLORY}+{ASSIGNMENT}+{FUTURE}+early", "mallory's 2099 draft", 0, FUTURE)
        time.sleep(1.1)  # her real submission changes strictly later than the draft, on any clock
        submit(MALLORY, "mallory's real submission", 42)
        time.sleep(1.1)
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        linked = out["inbound"] / f"{MALLORY}+{ASSIGNMENT}+{now}+linked"
        ran(as_user(MALLORY, "mkdir", str(linked)), "mallory's linked folder")
        ran(as_user(MALLORY, "ln", "-s", str(course / "source" / ASSIGNMENT / "asg.ipynb"),
                    str(linked / "asg.ipynb")), "link to the instructor's source")
        ran(as_user(MALLORY, "sh", "-c", f"printf '%s' '{now}' > '{linked}/timestamp.txt'"), "its timestamp")
        forge(f"{MALLORY}+{ASSIGNMENT}+not a time", "mallory's bad name", 0, "not a time")
        out["inbound_names"] = sorted(p.name for p in out["inbound"].iterdir())

        out["collect"] = as_user(INSTRUCTOR, NBGRADER, "collect", ASSIGNMENT, cwd=course)
        submitted = course / "submitted"
        out["submitted"] = sorted(p.name for p in submitted.iterdir()) if submitted.is_dir() else []
        out["notebooks"] = {
            name: (submitted / name / ASSIGNMENT / "asg.ipynb").read_text()
            for name in out["submitted"]
            if (submitted / name / ASSIGNMENT / "asg.ipynb").is_file()
        }
        out["timestamps"] = {
            name: (submitted / name / ASSIGNMENT / "timestamp.txt").read_text() for name in out["submitted"]
        }
        out["autograde"] = as_user(INSTRUCTOR, NBGRADER, "autograde", ASSIGNMENT, cwd=course)
        with Gradebook(f"sqlite:///{course}/gradebook.db", COURSE) as gb:
            out["gradebook"] = {
                student.id: [sub.score for sub in gb.find_student(student.id).submissions]
                for student in gb.students
            }
        yield out
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.nbgrader
@ROOT_ONLY
def test_students_cannot_make_or_replace_the_course_folder(exchange_run):
    run = exchange_run
    assert "early-course" in run["early_refusal"] and "not a folder of the instructor" in run["early_refusal"]
    assert run["early_owner"] == MALLORY  # left as it was, for the administrator to look at
    assert run["modes"] == {
        ".": (INSTRUCTOR, "0o40755"),
        "outbound": (INSTRUCTOR, "0o40755"),
        "inbound": (INSTRUCTOR, "0o43733"),
        "feedback": (INSTRUCTOR, "0o40711"),
    }
    assert all(code != 0 for code in run["mallory_on_course"].values()), run["mallory_on_course"]
    # inbound's sticky bit: knowing the name of alice's submission is not enough to move it
    assert "Operation not permitted" in run["mallory_moves_alices"].stderr, run["mallory_moves_alices"]


@pytest.mark.slow
@pytest.mark.nbgrader
@ROOT_ONLY
def test_collect_refuses_each_forgery_with_a_message(exchange_run):
    run = exchange_run
    collect = run["collect"]
    assert collect.returncode == 0, collect.stderr
    log = collect.stdout + collect.stderr
    forged = f"{ALICE}+{ASSIGNMENT}+{FUTURE}+forged"
    assert forged in run["inbound_names"]  # it was there to be collected
    owned = f"it names student '{ALICE}' but is owned by Unix user '{MALLORY}'"
    assert f"Refused {run['inbound'] / forged}: {owned}" in log
    glob_id = next(n for n in run["inbound_names"] if n.startswith(f"gmm{SUFFIX}[b]ob+"))
    comma_id = next(n for n in run["inbound_names"] if n.startswith(f"x,{ALICE}+"))
    assert f"Refused {run['inbound'] / glob_id}: student_id 'gmm{SUFFIX}[b]ob' is refused" in log
    assert f"Refused {run['inbound'] / comma_id}: student_id 'x,{ALICE}' is refused" in log
    linked = next(n for n in run["inbound_names"] if n.endswith("+linked"))
    assert f"Refused {run['inbound'] / linked}: " in log and "neither a folder nor a regular file" in log
    assert "the folder name's timestamp 'not a time' is not a timestamp" in log
    assert "claims to be submitted at 2099-01-01 00:00:00" in log  # mallory's draft, re-dated
    assert "5 folder(s)" in log


@pytest.mark.slow
@pytest.mark.nbgrader
@ROOT_ONLY
def test_the_real_submissions_are_the_ones_collected(exchange_run):
    run = exchange_run
    assert run["submitted"] == sorted([ALICE, BOB, MALLORY])
    assert "alice's own work" in run["notebooks"][ALICE]
    assert "bob's own work" in run["notebooks"][BOB]
    assert "mallory's real submission" in run["notebooks"][MALLORY]  # not her 2099 draft, not the link
    assert "BEGIN SOLUTION" not in run["notebooks"][MALLORY]  # the source notebook is never copied in
    for name, text in run["timestamps"].items():
        assert not text.startswith("2099"), (name, text)


@pytest.mark.slow
@pytest.mark.nbgrader
@ROOT_ONLY
def test_gradebook_has_exactly_the_real_students_with_their_own_scores(exchange_run):
    run = exchange_run
    assert run["autograde"].returncode == 0, run["autograde"].stdout + run["autograde"].stderr
    assert run["gradebook"] == {ALICE: [1.0], BOB: [1.0], MALLORY: [1.0]}
