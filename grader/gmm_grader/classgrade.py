"""Grade an assignment for a whole class: stock ``nbgrader autograde`` fanned out on dask.

    python -m gmm_grader.classgrade em_step_by_step [--course DIR] [--workers N]
        [--scheduler tcp://host:8786] [--slice-size N] [--force] [-- NBGRADER ARGS...]

(``python3 run.py grade em_step_by_step ...`` runs the same on ``course/``.) Instructor
side only: nothing here runs in a student's kernel, and every kernel still runs in the
course's grading sandbox, because each slice is a stock ``nbgrader autograde`` process
with the course's own ``nbgrader_config.py``.

How it works:

* The students with a folder ``submitted/<student>/<assignment>`` are split into slices.
  A slice is one ``nbgrader autograde <assignment>`` process restricted to those
  students (``--CourseDirectory.student_id_exclude`` lists every other one): one process
  per slice, because every nbgrader process spends about 2 CPU-seconds starting up.
* The slices run as tasks on ``dask.distributed``: a ``LocalCluster`` with one worker per
  CPU core by default, or the cluster behind ``--scheduler``. Every machine must see the
  course folder at the same path and share the gradebook (PostgreSQL through
  ``GMM_LESSON_DB_URL`` for more than one machine).
* Outcomes come from the gradebook and the autograded notebooks afterwards, not from the
  processes' logs: a student is graded when every autograded test cell has a score for
  this very submission (same timestamp) and the autograded notebook was executed. A
  student whose slice died (a killed process, a lost worker) is retried **alone**, so a
  poison submission cannot fail its neighbours, and is reported as failed, with the
  reason, if that fails too. Nobody is left silently at 0.
* Re-running skips every student already graded for the submission in ``submitted/``
  (nbgrader's own rule: the autograded copy is as new as the submission) unless
  ``force``. A student is graded exactly once: a slice that dask re-runs after losing a
  worker skips the students already graded, and an unfinished grading is cleared before
  it is retried.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import glob
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

TOPIC = "gmm-lesson-classgrade"
GRADED, FAILED, SKIPPED = "graded", "failed", "skipped"
# Environment passed from the instructor's shell to every nbgrader process, wherever it runs.
_FORWARDED_ENV = ("GMM_LESSON_", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "PYTHONWARNINGS")
_PERMISSIONS = re.compile(r"Setting destination file permissions")
_SANITIZING = re.compile(r"Sanitizing (.+\.ipynb)")


@dataclass(frozen=True)
class Outcome:
    """What happened to one student's submission.

    Attributes
    ----------
    student : str
        The student id (their folder in ``submitted/``).
    status : str
        ``"graded"``, ``"failed"`` or ``"skipped"`` (already graded before this run).
    score, max_score : float or None
        The gradebook's total for the submission, when graded or skipped.
    reason : str
        Why it failed (empty otherwise).
    attempts : int
        nbgrader runs that included this student in this run (2 after a retry).
    """

    student: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    attempts: int = 0


@dataclass
class ClassReport:
    """The outcome of grading one assignment for a class.

    Attributes
    ----------
    assignment : str
        The assignment graded.
    outcomes : dict of str to Outcome
        One entry per student folder in ``submitted/``.
    seconds : float
        Wall time of the run.
    workers : int
        Workers in the cluster when grading started.
    completions : list of str
        Every student whose grading an nbgrader process finished, once per finish, in
        order (what the progress bar counted).
    """

    assignment: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    completions: list[str] = field(default_factory=list)

    def students(self, status: str) -> list[str]:
        """The students with that status, sorted."""
        return sorted(s for s, o in self.outcomes.items() if o.status == status)

    @property
    def ok(self) -> bool:
        """True when no student failed."""
        return not self.students(FAILED)

    def table(self) -> str:
        """A plain-text table: one line per student, then the counts."""
        width = max([len("student"), *map(len, self.outcomes)])
        lines = [f"{'student':<{width}}  {'outcome':<8}  {'score':>13}  attempts  reason"]
        for student in sorted(self.outcomes):
            o = self.outcomes[student]
            score = "" if o.score is None else f"{o.score:g} / {o.max_score:g}"
            lines.append(f"{student:<{width}}  {o.status:<8}  {score:>13}  {o.attempts:>8}  {o.reason}")
        counts = ", ".join(f"{len(self.students(s))} {s}" for s in (GRADED, FAILED, SKIPPED))
        retried = sum(1 for o in self.outcomes.values() if o.attempts > 1)
        lines.append(
            f"{self.assignment}: {counts} ({retried} retried alone) in {self.seconds:.1f} s "
            f"on {self.workers} worker{'s' if self.workers != 1 else ''}"
        )
        return "\n".join(lines)


# ------------------------------------------------------------------ the course and its gradebook
def load_coursedir(course: Path):
    """The course's nbgrader ``CourseDirectory``, configured by its ``nbgrader_config.py``."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(course)  # nbgrader's default is the working directory
    return coursedir


def _notebook_executed(path: Path) -> bool:
    """True when an autograded notebook was run (not only sanitised): a code cell has a count."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 -- half-written or unreadable: not graded
        return False
    return any(c.cell_type == "code" and c.get("execution_count") is not None for c in nb.cells)


def graded(coursedir, gb, assignment: str, student: str, notebooks: Sequence[str]) -> bool:
    """Whether ``student``'s current submission of ``assignment`` is fully graded.

    Decided from the gradebook and the autograded folder: the gradebook holds the
    submission with the timestamp of the one in ``submitted/``, every autograded test
    cell of every notebook has a score, and each autograded notebook exists, carries the
    same timestamp and was executed.
    """
    from nbgrader.api import MissingEntry

    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    timestamp = coursedir.get_existing_timestamp(submitted)
    if coursedir.get_existing_timestamp(str(autograded)) != timestamp:
        return False
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    if _utc(submission.timestamp) != _utc(timestamp):
        return False
    for name in notebooks:
        if not _notebook_executed(autograded / f"{name}.ipynb"):
            return False
        nb = gb.find_submission_notebook(name, assignment, student)
        solutions = {c.name for c in nb.notebook.solution_cells}
        for grade in nb.grades:
            if grade.cell.cell_type == "code" and grade.name not in solutions and grade.auto_score is None:
                return False
    return True


def _clear(coursedir, assignment: str, student: str) -> None:
    """Remove an unfinished (or, with force, a finished) autograded copy, as nbgrader --force does."""
    from nbgrader.utils import rmtree

    dest = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    if os.path.exists(dest):
        rmtree(dest)


def _submitted_students(coursedir, assignment: str) -> list[str]:
    """Every student with a folder for ``assignment`` in ``submitted/``."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment, escape=False)
    return sorted(Path(p).parent.name for p in glob.glob(pattern) if os.path.isdir(p))


def _utc(moment):
    """A naive UTC datetime (the gradebook's form), or None."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ one slice, on a worker
def _die_with_parent() -> None:
    """In the child: get SIGKILL when the worker that started it dies (Linux prctl)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _reason(output: str, returncode: int) -> str:
    """A one-line reason for a failed nbgrader run, from its output."""
    if returncode < 0:
        return f"nbgrader autograde was killed by signal {-returncode} ({signal.Signals(-returncode).name})"
    # the last line of the last traceback nbgrader logged (indented in its log)
    raised = re.findall(r"^\s*((?:[\w]+\.)*\w*(?:Error|Exception|Exit)\b.*)$", output, flags=re.MULTILINE)
    if raised:
        return raised[-1].strip()[:200]
    errors = [line for line in output.splitlines() if "| ERROR]" in line]
    if errors:
        return errors[0].split("]", 1)[1].strip()[:200]
    return f"nbgrader autograde exited {returncode} without grading it"


def grade_slice(
    course: str,
    assignment: str,
    students: Sequence[str],
    nbgrader_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    run_id: str = "",
) -> dict[str, Any]:
    """Run one stock ``nbgrader autograde`` restricted to ``students`` (a dask task).

    Parameters
    ----------
    course : str
        The course root (the folder of ``nbgrader_config.py``), the same path on every machine.
    assignment : str
        The assignment to grade.
    students : sequence of str
        The slice: every other student folder in ``submitted/`` is excluded.
    nbgrader_args : sequence of str
        Extra nbgrader options (``--Execute.timeout=10``, ...).
    env : mapping, optional
        Variables set for nbgrader on top of the worker's environment.
    run_id : str
        Tags the progress events sent to the client.

    Returns
    -------
    dict
        ``returncode``, ``output`` (the nbgrader log), ``students``, ``completed`` (in order).
    """
    root = Path(course)
    others = sorted(set(_submitted_students(load_coursedir(root), assignment)) - set(students))
    bindir = Path(sys.executable).parent
    full_env = {**os.environ, **(env or {})}
    full_env["PATH"] = f"{bindir}{os.pathsep}{full_env.get('PATH', '')}"  # nbgrader runs alembic
    full_env.pop("NBGRADER_EXECUTION", None)
    command = [
        str(bindir / "nbgrader"),
        "autograde",
        assignment,
        "--CourseDirectory.student_id=*",
        f"--CourseDirectory.student_id_exclude={','.join(others)}",
        "--log-level=INFO",
        *nbgrader_args,
    ]
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    completed, lines, current = [], [], None
    process = subprocess.Popen(
        command,
        cwd=root,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        preexec_fn=_die_with_parent,
    )
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if (match := _SANITIZING.search(line)) is not None:
            current = Path(match.group(1).strip()).parent.parent.name
        elif _PERMISSIONS.search(line) and current is not None:
            completed.append(current)
            if worker is not None:
                worker.log_event(TOPIC, {"run": run_id, "student": current})
    returncode = process.wait()
    return {
        "returncode": returncode,
        "output": "".join(lines),
        "students": list(students),
        "completed": completed,
    }


# ------------------------------------------------------------------ progress
class Progress:
    """A bar on a terminal, plain lines otherwise: students finished out of those to grade."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.start = total, 0, time.perf_counter()
        self.stream = stream if stream is not None else sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.lock = threading.Lock()

    def step(self, student: str) -> None:
        with self.lock:
            self.done += 1
            elapsed = time.perf_counter() - self.start
            if self.tty:
                filled = int(30 * self.done / max(self.total, 1))
                bar = "#" * filled + " " * (30 - filled)
                self.stream.write(f"\r[{bar}] {self.done}/{self.total} graded, {elapsed:5.0f} s")
            else:
                self.stream.write(f"graded {student} ({self.done}/{self.total}, {elapsed:.0f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------ the whole class
def _check_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value is not None and value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _slices(students: list[str], size: int) -> list[list[str]]:
    return [students[i : i + size] for i in range(0, len(students), size)]


def grade_class(
    assignment: str,
    course: str | os.PathLike = ".",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    slice_size: int | None = None,
    force: bool = False,
    nbgrader_args: Sequence[str] = (),
    client=None,
    stream=None,
    on_submit: Callable[[Any], None] | None = None,
) -> ClassReport:
    """Autograde ``assignment`` for every student in ``submitted/``, in parallel on dask.

    Parameters
    ----------
    assignment : str
        An assignment in the course's gradebook (``nbgrader generate_assignment`` adds it).
    course : str or path
        The course root, the folder holding ``nbgrader_config.py``.
    workers : int, optional
        Workers of the local cluster (default: the machine's CPU count). Not with ``scheduler``.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:8786``); its workers must see the
        course folder at the same path and share the gradebook.
    slice_size : int, optional
        Students per nbgrader process (default: the students to grade spread over two
        slices per worker).
    force : bool
        Regrade students already graded for their current submission.
    nbgrader_args : sequence of str
        Extra options for every ``nbgrader autograde`` (``--Execute.timeout=10``, ...).
    client : distributed.Client, optional
        Use this client instead of starting a cluster (tests).
    stream : file, optional
        Where progress goes (default ``sys.stdout``).
    on_submit : callable, optional
        Called with the client once the slices are submitted (tests use it to kill things).

    Returns
    -------
    ClassReport
        One outcome per student folder in ``submitted/``.
    """
    if not isinstance(assignment, str) or not assignment.strip():
        raise ValueError(f"assignment must be a non-empty str, got {assignment!r}")
    _check_int("workers", workers)
    _check_int("slice_size", slice_size)
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(
            f"scheduler must be an address str such as tcp://host:8786, got {type(scheduler).__name__}"
        )
    if scheduler is not None and workers is not None:
        raise ValueError("workers: the cluster behind scheduler decides its workers; give one or the other")
    if isinstance(nbgrader_args, str):
        raise TypeError("nbgrader_args must be a sequence of str, not one str")
    root = Path(course).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise ValueError(f"course: {root} holds no nbgrader_config.py")

    from nbgrader.api import Gradebook, MissingEntry

    coursedir = load_coursedir(root)
    start = time.perf_counter()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
            raise ValueError(
                f"assignment: {assignment!r} is not in the gradebook of {root} (known: {known}); "
                f"run nbgrader generate_assignment {assignment} first"
            ) from None
        everyone = _submitted_students(coursedir, assignment)
        report = ClassReport(assignment)
        pending = []
        for student in everyone:
            folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
            missing = [n for n in notebooks if not (folder / f"{n}.ipynb").is_file()]
            if len(missing) == len(notebooks):
                report.outcomes[student] = Outcome(
                    student, FAILED, reason=f"no {missing[0]}.ipynb in {folder}"
                )
            elif not force and graded(coursedir, gb, assignment, student, notebooks):
                sub = gb.find_submission(assignment, student)
                report.outcomes[student] = Outcome(
                    student, SKIPPED, sub.score, sub.max_score, "already graded"
                )
            else:
                pending.append(student)
    for student in pending:  # an unfinished grading, or force: start clean (exactly once)
        _clear(coursedir, assignment, student)

    env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARDED_ENV)}
    attempts = dict.fromkeys(pending, 0)
    outputs: dict[str, tuple[int, str]] = {}
    finished: list[str] = []  # students whose grading a returned slice finished
    own_cluster = own_client = None
    if pending:
        from distributed import Client, LocalCluster, as_completed

        if client is None:
            if scheduler is None:
                own_cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = own_client = Client(own_cluster)
            else:
                client = own_client = Client(scheduler)
        try:
            report.workers = len(client.scheduler_info()["workers"])
            if scheduler is not None and coursedir.db_url.startswith("sqlite"):
                print(
                    "warning: a SQLite gradebook on a cluster of machines is untested; "
                    "use PostgreSQL (GMM_LESSON_DB_URL)",
                    file=sys.stderr,
                )
            progress = Progress(len(pending), stream)
            run_id = uuid.uuid4().hex

            def completed(event) -> None:
                msg = event[1] if isinstance(event, tuple) else event
                if isinstance(msg, dict) and msg.get("run") == run_id:
                    report.completions.append(msg["student"])
                    progress.step(msg["student"])

            client.subscribe_topic(TOPIC, completed)

            def run(slices: Iterable[list[str]], first: bool) -> None:
                futures = []
                for chunk in slices:
                    for s in chunk:
                        attempts[s] += 1
                    futures.append(
                        client.submit(
                            grade_slice,
                            str(root),
                            assignment,
                            chunk,
                            list(nbgrader_args),
                            env,
                            run_id,
                            pure=False,
                            key=f"autograde-{assignment}-{chunk[0]}-{uuid.uuid4().hex[:8]}",
                        )
                    )
                    futures[-1].students = chunk
                if first and on_submit is not None:
                    on_submit(client)
                for future in as_completed(futures):
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 -- a lost worker, a task error: retried below
                        for s in future.students:
                            outputs[s] = (-1, f"{type(exc).__name__}: {exc}")
                        continue
                    for s in result["students"]:
                        outputs[s] = (result["returncode"], result["output"])
                    finished.extend(result["completed"])

            size = slice_size or max(1, math.ceil(len(pending) / (2 * max(report.workers, 1))))
            run(_slices(pending, size), first=True)
            with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
                retry = [s for s in pending if not graded(coursedir, gb, assignment, s, notebooks)]
            for student in retry:
                _clear(coursedir, assignment, student)
            if retry:
                run([[s] for s in retry], first=False)
            deadline = time.monotonic() + 30  # let the last progress events arrive
            while len(report.completions) < len(finished) and time.monotonic() < deadline:
                time.sleep(0.1)
            client.unsubscribe_topic(TOPIC)
            progress.close()
        finally:
            if own_client is not None:
                own_client.close()
            if own_cluster is not None:
                own_cluster.close()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in pending:
            if graded(coursedir, gb, assignment, student, notebooks):
                sub = gb.find_submission(assignment, student)
                report.outcomes[student] = Outcome(
                    student, GRADED, sub.score, sub.max_score, "", attempts[student]
                )
            else:
                code, output = outputs.get(student, (-1, "no result"))
                reason = _reason(output, code) if code != -1 or "\n" in output else output
                report.outcomes[student] = Outcome(student, FAILED, reason=reason, attempts=attempts[student])
    report.seconds = time.perf_counter() - start
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: grade, print the table, exit 1 if any student failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m gmm_grader.classgrade",
        description="Autograde an assignment for the whole class: stock nbgrader autograde "
        "over slices of students, in parallel on dask.distributed.",
        epilog="Options after -- go to every nbgrader autograde (e.g. -- --Execute.timeout=60).",
    )
    parser.add_argument("assignment")
    parser.add_argument(
        "--course", default=".", help="course root, the folder of nbgrader_config.py (default: .)"
    )
    parser.add_argument(
        "--workers", type=int, help="workers of the local cluster (default: one per CPU core)"
    )
    parser.add_argument("--scheduler", help="a running dask scheduler, e.g. tcp://host:8786, instead")
    parser.add_argument("--slice-size", type=int, help="students per nbgrader process")
    parser.add_argument("--force", action="store_true", help="regrade students already graded")
    args = parser.parse_args(argv)
    try:
        report = grade_class(
            args.assignment,
            args.course,
            workers=args.workers,
            scheduler=args.scheduler,
            slice_size=args.slice_size,
            force=args.force,
            nbgrader_args=extra,
        )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    print(report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
