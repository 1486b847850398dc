"""The session's one graded class: every submission graded once, in one temporary course.

Grading is what the suite spends its time on (about 10 s per sandboxed notebook), so the
modules that grade submissions need not each grade a course of their own
(tests/test_em_step_mistakes.py is the first to use this). They **register** their
submissions here when their module is imported (collection, before any test runs); the
session fixture ``graded_class`` (tests/conftest.py) then runs the whole class through
one temporary course on SQLite, once:

    generate_assignment -> release_assignment -> fetch / submit (exchange students)
    -> collect -> submissions written into submitted/ (direct students)
    -> autograde (one batch per assignment and set of time limits, sandboxed)
    -> generate_feedback -> export

and every module asserts its own students' exact scores on that one gradebook.

Adding submissions from a new module::

    import graded_class

    graded_class.register(
        "my_student", "em_step_by_step", build, expected={"test_e_step": 0.0, ...},
        origin="test_my_module",
    )

    def test_my_student(graded_class):  # the session fixture
        assert graded_class.scores("em_step_by_step", "my_student") == ...

``build(release_nb, folder)`` writes the student's ``<assignment>.ipynb`` (and any other
files) into ``folder``, starting from the released notebook (a copy: edit it freely);
``expected`` maps every autograded test cell to its score (``expected_scores`` makes it
from a set of failing cells). ``limits="short"`` grades it under the hostile class's
short time limits (``LIMITS``: another set of limits) in a batch of its own; ``feedback=False`` skips its
feedback page. ``route="direct"`` (the default) writes the submission
straight into ``submitted/``; ``route="exchange"`` fetches and submits it through
nbgrader's exchange API, ``route="cli"`` through the ``nbgrader`` command line. A
student id may submit several assignments; registering the same (student, assignment)
twice is allowed only with the same origin and expected scores (two modules sharing a
submission). Registering after the class was graded is refused.

Two modules may also hold the same notebook under two names (``SAME_SUBMISSION``: the
round trip's alice, bob and carol are the hostile class's honest_full, honest_untouched
and honest_wrong_covariance, and the item analysis's ann and ben). When both are
registered, the notebook is graded once, under the name and route of the one it is
mapped to, and the other name reads that grading (``scores``, ``total``, ``autograded``,
``batch``); ``grade_class`` first builds both and refuses the pair (ValueError) unless
their folders are byte-identical and their expected scores equal.

Only the registered students of the modules collected are graded: running one module
alone grades only its own submissions.

Leftovers are counted for this batch alone: each ``nbgrader autograde`` runs under a
small wrapper that is a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so every
process the batch leaves behind is re-parented to the wrapper and reported (then
killed); the wrapper also records the cgroups its descendants ran in, and reports those
still present after the batch; the grader's work folders go to a temporary folder of
the batch's own (``TMPDIR``). Other gradings running on the machine at the same time
change none of these.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import nbgrader_helpers as h
from nbgrader.api import Gradebook

ROUTES = ("direct", "exchange", "cli")
#: the limits a submission is graded under (nbgrader settings): "class", the course's own
#: (course/nbgrader_config.py: 30 s a cell, the default 900 s a notebook; a 10 s cell limit
#: was measured to fail honest notebooks on a 2-core machine at load average 23, where the
#: cell that imports numpy and matplotlib in a fresh kernel ran past it); "short", for the
#: hostile class, whose loops, floods and sleeps each run until a limit stops them (10 s a
#: cell, 45 s a notebook: the attack suite's limits; an honest notebook takes under 10 s
#: here, 25 s with a kernel restart); "fair", for the honest styles of
#: tests/test_fair_styles.py, whose slow exploration cells must time out (10 s) and restart
#: the kernel more often than ``max_restarts`` allows for graded cells. One autograde batch
#: per assignment and set of limits, each naming its own students (``student_id_exclude``).
LIMITS = {
    "class": {},
    "short": {"Execute.timeout": 10, "JudgedExecute.notebook_timeout": 45},
    "fair": {"Execute.timeout": 10, "JudgedExecute.notebook_timeout": 150, "JudgedExecute.max_restarts": 1},
}

Builder = Callable[[nbformat.NotebookNode, Path], None]


@dataclass(frozen=True)
class Entry:
    """One registered submission."""

    student: str
    assignment: str
    build: Builder = field(compare=False)
    expected: Mapping[str, float]
    route: str
    origin: str
    validate: bool = False
    limits: str = "class"
    feedback: bool = True


REGISTRY: dict[tuple[str, str], Entry] = {}
_graded = False

#: (student, assignment) -> the student whose grading of the same notebook it shares when
#: both are registered: tests/test_nbgrader_e2e.py's round trip (exchange and command-line
#: routes, the class's limits) grades the hostile class's honest notebooks
#: (tests/grading_attacks.py) and the item analysis's full and untouched practice
#: (tests/test_item_analysis.py) once for both. Checked byte for byte before grading.
SAME_SUBMISSION: dict[tuple[str, str], str] = {
    ("honest_full", "em_step_by_step"): "alice",
    ("honest_untouched", "em_step_by_step"): "bob",
    ("honest_wrong_covariance", "em_step_by_step"): "carol",
    ("basics_full", "gmm_basics"): "alice",
    ("basics_untouched", "gmm_basics"): "bob",
    ("ann", "practice"): "alice",
    ("ben", "practice"): "bob",
}


def expected_scores(assignment: str, failing: set[str] | str) -> dict[str, float]:
    """{test cell: points} of ``assignment`` with the cells in ``failing`` (or ``"all"``) at 0."""
    points = h.autograded_points(h.read(h.source_notebook_path(assignment)))
    failing = set(points) if failing == "all" else set(failing)
    if not failing <= set(points):
        raise ValueError(f"failing names unknown test cells of {assignment}: {sorted(failing - set(points))}")
    return {gid: 0.0 if gid in failing else p for gid, p in points.items()}


def entry(
    student: str,
    assignment: str,
    build: Builder,
    expected: Mapping[str, float],
    *,
    origin: str,
    route: str = "direct",
    validate: bool = False,
    limits: str = "class",
    feedback: bool = True,
) -> Entry:
    """A submission for the class, checked (``register`` adds it to the session's class).

    Parameters
    ----------
    student, assignment : str
        Who submits what (``assignment`` must be in course/source).
    build : callable
        ``build(release_nb, folder)`` writes the submission into ``folder``.
    expected : mapping
        Every autograded test cell of the assignment and the score it must get.
    origin : str
        Who registered it (a module or submission name): the same submission may be
        registered twice only from the same origin.
    route : {"direct", "exchange", "cli"}
        How it reaches ``submitted/``.
    validate : bool
        Run ``nbgrader validate``'s Validator on it before submitting (an exchange route
        only; it runs the notebook, a few seconds): ``GradedClass.validation`` holds the result.
    limits : {"class", "short", "fair"}
        The time limits it is graded under (``LIMITS``).
    feedback : bool
        Generate its feedback page (``generate_feedback``, under a second a notebook); the
        hostile class needs only the one page its test reads.

    Returns
    -------
    Entry
    """
    if assignment not in h.assignments():
        raise ValueError(f"assignment: {assignment!r} is not in course/source")
    if not student or "," in student or any(c in student for c in "*?[]/"):
        raise ValueError(f"student: {student!r} is not a plain id (no comma, glob or slash)")
    if route not in ROUTES:
        raise ValueError(f"route: {route!r} is not one of {ROUTES}")
    if validate and route == "direct":
        raise ValueError("validate: only a student who fetches (route 'exchange' or 'cli') validates")
    if limits not in LIMITS:
        raise ValueError(f"limits: {limits!r} is not one of {sorted(LIMITS)}")
    if not callable(build):
        raise TypeError(f"build: expected a callable, got {type(build).__name__}")
    points = h.autograded_points(h.read(h.source_notebook_path(assignment)))
    if set(expected) != set(points):
        raise ValueError(f"expected: must name every test cell of {assignment}: {sorted(points)}")
    return Entry(student, assignment, build, dict(expected), route, origin, validate, limits, feedback)


def add(entry_: Entry) -> Entry:
    """Add an entry to the session's class; the same one twice (same origin) is kept once."""
    if _graded:
        raise RuntimeError(f"the class was already graded: register {entry_.student!r} at import time")
    known = REGISTRY.setdefault((entry_.student, entry_.assignment), entry_)
    if known != entry_:
        raise ValueError(
            f"{entry_.student!r} already submitted {entry_.assignment!r} from {known.origin!r}, differently"
        )
    return known


def register(
    student: str, assignment: str, build: Builder, expected: Mapping[str, float], **options
) -> Entry:
    """Add a submission to the session's class: ``add(entry(...))`` (see the module docstring)."""
    return add(entry(student, assignment, build, expected, **options))



# ---------------------------------------------------------------- the batch wrapper
# Runs one command as a child subreaper: orphans of the command become our children, so
# what the command leaves behind is exactly what is below us once it has exited.
REAPER = r"""
import ctypes, json, os, signal, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
report, command = sys.argv[1], sys.argv[2:]
me = os.getpid()

def parents():
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()
            except OSError:
                continue
            found[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found

def below():
    ppid, out, todo = parents(), [], [me]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in ppid.items() if pp == pid]
        out += kids
        todo += kids
    return out

def describe(pid):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")[:120]
        uid = [l for l in open(f"/proc/{pid}/status") if l.startswith("Uid:")][0].split()[1]
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return None if state == "Z" else f"{pid} uid={uid} {cmd.decode(errors='replace')}"

cgroups = set()
child = subprocess.Popen(command)
while child.poll() is None:
    for pid in below():
        try:
            lines = open(f"/proc/{pid}/cgroup").read().splitlines()
            if pid != child.pid and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                os.waitpid(pid, os.WNOHANG)  # an orphan re-parented to us has ended: reap it
        except (OSError, IndexError):
            continue
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "gmm-lesson-" in path and controllers:
                cgroups.add(f"/sys/fs/cgroup/{controllers.split(',')[0]}{path}")
    time.sleep(0.2)
while True:  # reap the zombies the command left us
    try:
        if os.waitpid(-1, os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
left = [d for d in map(describe, below()) if d]
for pid in below():
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
json.dump({"returncode": child.returncode, "processes_left": left, "cgroups_seen": sorted(cgroups),
           "cgroups_left": sorted(c for c in cgroups if os.path.isdir(c))}, open(report, "w"))
sys.exit(child.returncode)
"""


# ---------------------------------------------------------------- the graded class
class GradedClass:
    """What grading the class produced, for the tests to inspect."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str],
        exchange: Path,
        entries: dict[tuple[str, str], Entry],
        shared: Mapping[tuple[str, str], Entry] | None = None,
    ):
        #: the graded submissions (the gradebook's); ``shared``: (student, assignment) -> the
        #: entry of a submission graded as another student's identical one (``SAME_SUBMISSION``)
        self.root, self.env, self.exchange, self.entries = root, env, exchange, entries
        self.shared: dict[tuple[str, str], Entry] = dict(shared or {})
        self.db_url = f"sqlite:///{root / 'gradebook.db'}"
        self.database = "sqlite"
        self.logs: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        #: batch (``batch_label``) -> (CompletedProcess, seconds)
        self.runs: dict[str, tuple[object, float]] = {}
        self.leftovers: dict[str, dict] = {}  # batch -> the wrapper's report
        self.canary_file = secrets.token_hex(16)
        self.canary_env = secrets.token_hex(16)
        self.before: dict[str, str] = {}
        self.after: dict[str, str] = {}
        self.work_folders_left: list[str] = []
        self.validation: dict[tuple[str, str], dict] = {}  # (student, assignment) -> Validator's result

    @property
    def assignments(self) -> list[str]:
        return sorted({a for _, a in self.entries})

    def students(self, assignment: str | None = None) -> set[str]:
        return {s for s, a in self.entries if assignment is None or a == assignment}

    def expected(self, assignment: str, student: str) -> dict[str, float]:
        """The scores ``student`` registered for ``assignment`` (a shared one's own)."""
        known = self.shared.get((student, assignment)) or self.entries[student, assignment]
        return dict(known.expected)

    def graded_as(self, assignment: str, student: str) -> str:
        """The student id under which ``student``'s ``assignment`` is in the gradebook: its
        own, or for a shared submission (``SAME_SUBMISSION``) the one graded for both."""
        if (student, assignment) in self.shared:
            return SAME_SUBMISSION[student, assignment]
        if (student, assignment) not in self.entries:
            raise KeyError(f"{student!r} did not submit {assignment!r} in this class")
        return student

    def entry(self, assignment: str, student: str) -> Entry:
        """The graded entry of ``student``'s ``assignment`` (a shared one's: the other's)."""
        return self.entries[self.graded_as(assignment, student), assignment]

    def gradebook(self) -> Gradebook:
        return Gradebook(self.db_url, course_id=h.COURSE_ID)

    def batch(self, assignment: str, student: str) -> tuple[subprocess.CompletedProcess, float]:
        """(the autograde run, its seconds) of the batch that graded ``student``'s ``assignment``."""
        return self.runs[batch_label(assignment, self.entry(assignment, student).limits)]

    def scores(self, assignment: str, student: str) -> dict[str, float]:
        """{test cell: score in the gradebook} of every autograded test cell."""
        points = h.autograded_points(h.read(h.source_notebook_path(assignment)))
        student = self.graded_as(assignment, student)
        with self.gradebook() as gb:
            return {gid: gb.find_grade(gid, assignment, assignment, student).score for gid in points}

    def total(self, assignment: str, student: str) -> float:
        with self.gradebook() as gb:
            return gb.find_submission(assignment, self.graded_as(assignment, student)).score

    def autograded_path(self, assignment: str, student: str) -> Path:
        student = self.graded_as(assignment, student)
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def autograded(self, assignment: str, student: str) -> nbformat.NotebookNode:
        return h.read(self.autograded_path(assignment, student))

    def export_rows(self) -> list[dict[str, str]]:
        with open(self.root / "grades.csv", newline="") as fh:
            return list(csv.DictReader(fh))

    def run(self, step: str, args: list[str], cwd: Path | None = None, check: bool = True):
        start = time.perf_counter()
        proc = h.nbgrader(args, cwd=cwd or self.root, env=self.env, check=check)
        self.seconds[step] = time.perf_counter() - start
        self.logs[step] = proc.stdout + proc.stderr
        return proc


def digest_tree(*roots: Path) -> dict[str, str]:
    """{path: sha256} of every file under ``roots`` (caches left out)."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for root in roots
        for p in sorted(root.rglob("*") if root.is_dir() else [root])
        if p.is_file() and "__pycache__" not in p.parts
    }


def grade_class(
    tmp: Path,
    entries: list[Entry] | None = None,
    extra_env: Mapping[str, str] | None = None,
    feedback: bool = True,
) -> GradedClass:
    """Grade ``entries`` in one temporary course under ``tmp`` (see the module docstring).

    Parameters
    ----------
    tmp : Path
        An empty temporary folder: the course, the exchange and the students' homes go there.
    entries : list of Entry, optional
        The class; by default the session's registry, which is then closed.
    extra_env : mapping, optional
        Added to nbgrader's environment (``GMM_LESSON_GRADING_SANDBOX=none`` for a control).
    feedback : bool
        Generate the feedback and export the grades after grading (a control needs neither).

    Returns
    -------
    GradedClass
    """
    global _graded
    if entries is None:
        _graded = True
        entries = list(REGISTRY.values())
    if not entries:
        raise ValueError("entries: no submission registered")
    keyed = {(e.student, e.assignment): e for e in entries}
    if len(keyed) != len(entries):
        raise ValueError("entries: a student submits an assignment twice")
    # a submission identical to another's is graded once, as the other's (SAME_SUBMISSION)
    pairs = [key for key, other in SAME_SUBMISSION.items() if key in keyed and (other, key[1]) in keyed]
    shared = {key: keyed.pop(key) for key in pairs}
    exchange = tmp / "exchange"
    root = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp, exchange)
    # the grader's work folders (tempfile.mkdtemp) go here: this batch's own
    work_tmp = Path(tempfile.mkdtemp(prefix="gmm-class-tmp-"))
    work_tmp.chmod(0o1777)
    env["TMPDIR"] = str(work_tmp)
    # the real sandbox with its memory limit, whatever the session's environment says
    env["GMM_LESSON_GRADING_SANDBOX"] = "bubblewrap"
    env.pop("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT", None)
    env.update(extra_env or {})
    course = GradedClass(root, env, exchange, keyed, shared)
    (root / "canary.txt").write_text(f"CANARY {course.canary_file}\n")
    env["GMM_LESSON_CANARY"] = course.canary_env
    try:
        _grade(course, tmp, feedback)
    finally:
        course.work_folders_left = sorted(str(p) for p in work_tmp.glob("gmm-grading-*"))
        shutil.rmtree(work_tmp, ignore_errors=True)
        del env["TMPDIR"]  # the tests run more tools with course.env
    (tmp / "timings.txt").write_text("".join(f"{s:7.1f} s  {step}\n" for step, s in course.seconds.items()))
    return course


def _grade(course: GradedClass, tmp: Path, feedback: bool) -> None:
    from nbgrader.validator import Validator

    root, exchange = course.root, course.exchange
    exchanged = any(entry.route != "direct" for entry in course.entries.values())
    for name in course.assignments:
        course.run(f"generate {name}", ["generate_assignment", name])
        if exchanged:
            course.run(f"release {name}", ["release_assignment", name])
    for (student, name), entry in sorted(course.shared.items()):
        check_same_submission(entry, course.entries[SAME_SUBMISSION[student, name], name], root, tmp)
    for (student, name), entry in sorted(course.entries.items()):
        if entry.route == "direct":
            continue
        home = tmp / "students" / student
        home.mkdir(parents=True, exist_ok=True)
        flags = student_flags(exchange, home / ".nbgrader-cache")
        if entry.route == "cli":
            course.run(f"fetch {name} {student}", ["fetch_assignment", name, *flags], cwd=home)
        else:
            student_api("fetch", name, student, home, exchange)
        folder = home / name
        path = folder / f"{name}.ipynb"
        entry.build(h.read(path), folder)
        if entry.validate:  # what `nbgrader validate` reports to the student (it always exits 0)
            course.validation[student, name] = Validator().validate(str(path))
        if entry.route == "cli":
            course.run(f"submit {name} {student}", ["submit", name, f"--student={student}", *flags], cwd=home)
        else:
            student_api("submit", name, student, home, exchange)
    if exchanged:
        for name in course.assignments:
            course.run(f"collect {name}", ["collect", name])
    for (student, name), entry in sorted(course.entries.items()):
        if entry.route != "direct":
            continue
        folder = root / "submitted" / student / name
        folder.mkdir(parents=True)
        entry.build(h.read(root / "release" / name / f"{name}.ipynb"), folder)
    watched = [root / "source", root / "release", root / "nbgrader_config.py", root / "canary.txt", h.PACKAGE]
    course.before = digest_tree(*watched)
    for name in course.assignments:
        groups = {e.limits for (_, a), e in course.entries.items() if a == name}
        for limits in sorted(groups):
            label = batch_label(name, limits)
            others = sorted(s for (s, a), e in course.entries.items() if a == name and e.limits != limits)
            args = ["autograde", name, *(f"--{key}={value}" for key, value in LIMITS[limits].items())]
            if others:  # this batch grades its own students only
                args.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
            report = tmp / f"leftovers-{label.replace(' ', '-')}.json"
            start = time.perf_counter()
            proc = run_reaped(args, report, cwd=root, env=course.env)
            course.runs[label] = (proc, time.perf_counter() - start)
            course.seconds[f"autograde {label}"] = course.runs[label][1]
            course.logs[f"autograde {label}"] = proc.stdout + proc.stderr
            course.leftovers[label] = json.loads(report.read_text()) if report.exists() else {}
    course.after = digest_tree(*watched)
    if feedback:
        for name in course.assignments:
            without = sorted(s for (s, a), e in course.entries.items() if a == name and not e.feedback)
            if len(without) < len(course.students(name)):
                exclude = [f"--CourseDirectory.student_id_exclude={','.join(without)}"] if without else []
                course.run(f"feedback {name}", ["generate_feedback", name, *exclude])
        course.run("export", ["export", "--to", str(root / "grades.csv")])


def check_same_submission(entry_: Entry, graded: Entry, root: Path, tmp: Path) -> None:
    """Refuse to grade ``entry_`` as ``graded`` unless both build byte-identical folders from
    the course's released notebook and expect the same scores."""
    pair = f"SAME_SUBMISSION: {entry_.student!r} ({entry_.origin}) and {graded.student!r} ({graded.origin})"
    if entry_.expected != graded.expected:
        raise ValueError(f"{pair} expect different scores for {entry_.assignment!r}")
    release = root / "release" / entry_.assignment / f"{entry_.assignment}.ipynb"
    built = []
    for one in (entry_, graded):
        folder = tmp / "same-submission" / f"{one.student}-{one.assignment}"
        folder.mkdir(parents=True)
        one.build(h.read(release), folder)
        built.append({
            str(p.relative_to(folder)): str(p.readlink()) if p.is_symlink() else p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() or p.is_symlink()
        })
    if built[0] != built[1]:
        raise ValueError(f"{pair} do not build the same {entry_.assignment!r} submission")


def batch_label(assignment: str, limits: str) -> str:
    """The key of an autograde batch in ``GradedClass.runs``: the assignment's name for the
    class's own limits, ``"<assignment> [<limits>]"`` for others."""
    return assignment if limits == "class" else f"{assignment} [{limits}]"


def run_reaped(args: list[str], report: Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` under the subreaper wrapper, which writes its report to ``report``."""
    return subprocess.run(
        [sys.executable, "-c", REAPER, str(report), str(h.VENV_BIN / "nbgrader"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=h.NBGRADER_TIMEOUT,
    )


def student_api(action: str, name: str, student: str, home: Path, exchange: Path) -> None:
    """``fetch`` or ``submit`` through nbgrader's exchange classes, as a student would."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.course_id = h.COURSE_ID
    config.CourseDirectory.assignment_id = name
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(exchange)
    config.Exchange.cache = str(home / ".nbgrader-cache")
    config.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=config)
    authenticator = Authenticator(config=config)
    kind = ExchangeFetchAssignment if action == "fetch" else ExchangeSubmit
    kind(coursedir=coursedir, authenticator=authenticator, config=config).start()


def student_flags(exchange: Path, cache: Path) -> list[str]:
    """What a student's own nbgrader config would say (on a hub: /etc/jupyter)."""
    return [f"--course={h.COURSE_ID}", f"--Exchange.root={exchange}", f"--Exchange.cache={cache}"]
