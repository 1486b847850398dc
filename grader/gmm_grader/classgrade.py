"""Grade an assignment for a whole class: nbgrader's autograde fanned out on threads or dask.

    python -m gmm_grader.classgrade em_step_by_step [--course DIR] [--workers N]
        [--scheduler tls://host:8786 --tls-ca-file CA --tls-cert CERT --tls-key KEY]
        [--slice-size N] [--force] [-- NBGRADER ARGS...]

(``python3 run.py grade em_step_by_step ...`` runs the same on ``course/``.) Instructor
side only: nothing here runs in a student's kernel, and every kernel still runs in the
course's grading sandbox, because each grading is nbgrader's own ``Autograde`` converter
configured as ``nbgrader autograde`` is, by the course's own ``nbgrader_config.py``.

How it works:

* Every folder ``submitted/<student>/<assignment>`` is a student. An id that
  :func:`gmm_grader.identity.check_student_id` refuses (a glob such as ``[b]ob``, a comma,
  a space...) is reported as failed with the reason and never given to nbgrader. Each
  other student is graded by nbgrader's ``Autograde`` converter with
  ``CourseDirectory.student_id=<id>`` alone (:mod:`gmm_grader.autograde_many`, one nbgrader
  process per slice of students): ids are never joined into one option.
* The students are split into slices, and the slices run in parallel. By default on
  threads of this process that each wait for their nbgrader processes: no dask cluster,
  because even dask's in-process one opens HTTP listeners on every interface; this opens
  no port, so no other user of the machine can reach it. ``--scheduler`` runs the slices
  as tasks on a running ``dask.distributed`` cluster instead, over TLS with certificates
  the instructor gives (plain ``tcp://`` only with ``--insecure``, loudly, and never with
  a secret such as a database password). Every
  machine must see the course folder at the same path and share the gradebook
  (PostgreSQL through ``GMM_LESSON_DB_URL`` for more than one machine); a separate worker
  must not run as root (its tasks refuse to).
* Outcomes come from the gradebook and the autograded notebooks afterwards, not from the
  processes' logs: a student is graded when every autograded test cell has a score for
  this very submission (same timestamp) and the autograded notebook was executed. A
  student whose grading died (a killed process, a lost worker) is retried **alone**, and
  is reported as failed, with the reason, if that fails too. Nobody is left silently at 0.
* A killed nbgrader process leaves its work folder ``/tmp/gmm-grading-<pid>.<run>-*`` and
  its sandbox cgroups ``gmm-lesson-<pid>.<run>-*``: the task that started it removes that
  process's own as soon as it ends, and every worker removes this run's at the end of the
  run (a lost worker's). Another grading's, on the same machine, are never touched.
* Re-running skips every student already graded for the submission in ``submitted/``
  (nbgrader's own rule: the autograded copy is as new as the submission) unless
  ``force``. A student is graded exactly once: a slice that dask re-runs after losing a
  worker skips the students already graded, and an unfinished grading is cleared before
  it is retried.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import datetime
import glob
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .identity import check_student_id

TOPIC = "gmm-lesson-classgrade"
GRADED, FAILED, SKIPPED = "graded", "failed", "skipped"
# Environment passed from the instructor's shell to every nbgrader process, wherever it runs.
_FORWARDED_ENV = ("GMM_LESSON_", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "PYTHONWARNINGS")


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
    run_id: str = "0",
    origin: Sequence[Any] = (),
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Grade ``students`` one after the other in one nbgrader process (a dask task).

    That process (:mod:`gmm_grader.autograde_many`) runs nbgrader's own ``Autograde``
    converter once per student with ``CourseDirectory.student_id`` set to that id alone
    (an id :func:`gmm_grader.identity.check_student_id` accepted, so nbgrader's glob matches
    that folder only); no student list is ever joined into one option. One process per
    slice, not per student, saves nbgrader's start-up for every student but the first.
    After the process, whatever it left (a killed process's work folder and sandbox
    cgroups, named after its pid and this run) is removed.

    Parameters
    ----------
    course : str
        The course root (the folder of ``nbgrader_config.py``), the same path on every machine.
    assignment : str
        The assignment to grade.
    students : sequence of str
        The slice: safe student ids.
    nbgrader_args : sequence of str
        Extra nbgrader options (``--Execute.timeout=10``, ...).
    env : mapping, optional
        Variables set for nbgrader on top of the worker's environment.
    run_id : str
        The grading run (hex): tags progress events, work folders and cgroups.
    origin : sequence
        ``(hostname, pid)`` of the process that submitted the task. A task refuses to
        run as root anywhere else than in that process (the local thread pool): a
        separate dask worker must run as an unprivileged account.
    notify : callable, optional
        Called with each student nbgrader finishes (the local pool's progress); on a dask
        worker, a ``gmm-lesson-classgrade`` event goes to the client instead.

    Returns
    -------
    dict
        ``students``, ``results`` (student -> ``(returncode, nbgrader log)``) and
        ``completed`` (the students nbgrader finished, in order).

    Raises
    ------
    ValueError
        A student id the grader refuses (nothing is run).
    PermissionError
        A separate dask worker running as root.
    """
    from . import autograde_many, sandbox
    from .identity import check_student_id

    for student in students:
        check_student_id(student)
    if os.geteuid() == 0 and tuple(origin) != (socket.gethostname(), os.getpid()):
        raise PermissionError(
            "this dask worker runs as root: run `dask worker` as an unprivileged account "
            "(the grading sandbox then runs in its unprivileged mode)"
        )
    root = Path(course)
    bindir = Path(sys.executable).parent
    full_env = {**os.environ, **(env or {}), sandbox.RUN_ENV: run_id}
    full_env["PATH"] = f"{bindir}{os.pathsep}{full_env.get('PATH', '')}"  # nbgrader runs alembic
    full_env.pop("NBGRADER_EXECUTION", None)
    worker = None
    if notify is None:
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):
            pass
    token = secrets.token_hex(16)  # marks the end of each student's log: no student can print it
    full_env[autograde_many.TOKEN_ENV] = token
    command = [
        sys.executable,
        "-m",
        "gmm_grader.autograde_many",
        assignment,
        *students,
        "--",
        "--log-level=INFO",
        *nbgrader_args,
    ]
    results: dict[str, tuple[int, str]] = {}
    completed: list[str] = []
    lines: list[str] = []
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
    try:
        for line in process.stdout:
            words = line.split()
            if len(words) == 3 and words[0] == token and words[1] in students:
                student, outcome = words[1], words[2]
                results[student] = (1 if outcome == "failed" else 0, "".join(lines))
                lines = []
                if outcome == "graded":
                    completed.append(student)
                    if notify is not None:
                        notify(student)
                    elif worker is not None:
                        worker.log_event(TOPIC, {"run": run_id, "student": student})
            else:
                lines.append(line)
        returncode = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        sandbox.remove_leftovers(run_id, process.pid)  # what a killed process left
    for student in students:  # those the process never reached, or died grading
        results.setdefault(student, (returncode or 1, "".join(lines)))
    return {"students": list(students), "results": results, "completed": completed}


def _sweep(run_id: str) -> list[str]:
    """On a worker, at the end of a run: remove what any killed process of the run left there."""
    from . import sandbox

    return sandbox.remove_leftovers(run_id)


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


def _security(scheduler, tls_ca_file, tls_cert, tls_key, insecure):
    """The ``distributed.Security`` to reach ``scheduler`` with, or None; refuses the unsafe."""
    tls = {"tls_ca_file": tls_ca_file, "tls_cert": tls_cert, "tls_key": tls_key}
    for name, value in tls.items():
        if value is not None and not isinstance(value, str | os.PathLike):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    if not isinstance(insecure, bool):
        raise TypeError(f"insecure must be a bool, got {type(insecure).__name__}")
    if scheduler is None:
        given = [name for name, value in tls.items() if value is not None] + (
            ["insecure"] if insecure else []
        )
        if given:
            raise ValueError(f"{', '.join(given)}: only with scheduler (the local cluster has no network)")
        return None
    if scheduler.startswith("tls://"):
        if insecure:
            raise ValueError("insecure: a tls:// scheduler is not insecure; drop insecure")
        for name, value in tls.items():
            if value is None:
                raise ValueError(f"{name}: a tls:// scheduler needs tls_ca_file, tls_cert and tls_key")
            if not Path(value).is_file():
                raise ValueError(f"{name}: {value} is not a file")
        from distributed import Security

        return Security(
            tls_ca_file=str(tls_ca_file),
            tls_client_cert=str(tls_cert),
            tls_client_key=str(tls_key),
            require_encryption=True,
        )
    if scheduler.startswith("tcp://") or "://" not in scheduler:
        if not insecure:
            raise ValueError(
                f"scheduler: {scheduler} is plain TCP: anyone who reaches it can run code on its "
                "workers, and everything sent is readable; use a tls:// scheduler with tls_ca_file, "
                "tls_cert and tls_key (--tls-ca-file, --tls-cert, --tls-key), or insecure=True "
                "(--insecure) on a network you trust"
            )
        if any(v is not None for v in tls.values()):
            raise ValueError("tls_ca_file: TLS files with a tcp:// scheduler; use its tls:// address")
        return None
    raise ValueError(f"scheduler: {scheduler!r} is neither tls:// nor tcp://")


def _secret(name: str, value: str) -> bool:
    """Whether an environment variable holds a secret (a URL with a password, a password, a token)."""
    if re.search(r"PASSWORD|SECRET|TOKEN|KEY", name, flags=re.IGNORECASE):
        return True
    try:
        return "://" in value and bool(urllib.parse.urlsplit(value).password)
    except ValueError:
        return True


def grade_class(
    assignment: str,
    course: str | os.PathLike = ".",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    tls_ca_file: str | os.PathLike | None = None,
    tls_cert: str | os.PathLike | None = None,
    tls_key: str | os.PathLike | None = None,
    insecure: bool = False,
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
        Parallel gradings on this machine (default: the machine's CPU count): threads of this
        process, each waiting for its nbgrader processes. No dask cluster and no network
        port, so no other user of the machine can reach it. Not with ``scheduler``.
    scheduler : str, optional
        Address of a running dask scheduler: ``tls://host:8786`` with ``tls_ca_file``,
        ``tls_cert`` and ``tls_key``, or ``tcp://host:8786`` only with ``insecure``. Its workers
        must see the course folder at the same path, share the gradebook and run as an
        unprivileged account (a task refuses to grade in a root worker).
    tls_ca_file, tls_cert, tls_key : path, optional
        The CA that signed the scheduler's and workers' certificates, and this client's
        certificate and key (mutual TLS: a peer without a certificate from that CA is refused).
    insecure : bool
        Allow a plain ``tcp://`` scheduler (a loud warning; no secret environment value,
        such as a database URL with a password, is sent over it: refused instead).
    slice_size : int, optional
        Students per task, each task one nbgrader process (default: the students to grade
        spread over two tasks per worker). Each student is still named to nbgrader alone.
    force : bool
        Regrade students already graded for their current submission.
    nbgrader_args : sequence of str
        Extra options for every ``nbgrader autograde`` (``--Execute.timeout=10``, ...); not
        ones that choose students.
    client : distributed.Client, optional
        Use this client instead of starting a cluster (tests).
    stream : file, optional
        Where progress goes (default ``sys.stdout``).
    on_submit : callable, optional
        Called with the client once the slices are submitted (tests use it to kill things).

    Returns
    -------
    ClassReport
        One outcome per student folder in ``submitted/``. A folder whose name
        :func:`gmm_grader.identity.check_student_id` refuses is failed with that reason and
        never given to nbgrader.
    """
    from .identity import is_safe_id

    if not isinstance(assignment, str) or not assignment.strip():
        raise ValueError(f"assignment must be a non-empty str, got {assignment!r}")
    _check_int("workers", workers)
    _check_int("slice_size", slice_size)
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(
            f"scheduler must be an address str such as tls://host:8786, got {type(scheduler).__name__}"
        )
    if scheduler is not None and workers is not None:
        raise ValueError("workers: the cluster behind scheduler decides its workers; give one or the other")
    if isinstance(nbgrader_args, str):
        raise TypeError("nbgrader_args must be a sequence of str, not one str")
    nbgrader_args = list(nbgrader_args)
    if not all(isinstance(arg, str) for arg in nbgrader_args):
        raise TypeError("nbgrader_args must be a sequence of str")
    choosing = [arg for arg in nbgrader_args if re.search(r"student|^--force|^-f$", arg)]
    if choosing:
        raise ValueError(f"nbgrader_args: {choosing} choose students; grade_class does (see force)")
    security = _security(scheduler, tls_ca_file, tls_cert, tls_key, insecure)
    env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARDED_ENV)}
    if scheduler is not None and security is None:
        secrets = sorted(k for k, v in env.items() if _secret(k, v))
        if secrets:
            raise ValueError(
                f"insecure: {', '.join(secrets)} would be sent in clear to a tcp:// scheduler; "
                "use a tls:// scheduler"
            )
        print(
            f"WARNING: grading over plain TCP ({scheduler}): anyone who can reach the scheduler "
            "can run code on its workers and read what is sent. Use tls:// on any shared network.",
            file=sys.stderr,
        )
    root = Path(course).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise ValueError(f"course: {root} holds no nbgrader_config.py")

    from nbgrader.api import Gradebook, MissingEntry

    coursedir = load_coursedir(root)
    start = time.perf_counter()
    report = ClassReport(assignment)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
            raise ValueError(
                f"assignment: {assignment!r} is not in the gradebook of {root} (known: {known}); "
                f"run nbgrader generate_assignment {assignment} first"
            ) from None
        pending = []
        for student in _submitted_students(coursedir, assignment):
            if not is_safe_id(student):
                try:
                    check_student_id(student)
                except (TypeError, ValueError) as exc:
                    report.outcomes[student] = Outcome(student, FAILED, reason=f"not graded: {exc}")
                continue
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

    attempts = dict.fromkeys(pending, 0)
    outputs: dict[str, tuple[int, str]] = {}
    finished: list[str] = []  # students whose grading a returned slice finished
    own_client = pool = None
    if pending:
        if client is None and scheduler is None:
            # The local default: threads of this process, each of which only starts nbgrader
            # processes and waits for them. No dask cluster, because even an in-process one
            # (processes=False, inproc://) opens HTTP listeners on every interface (scheduler
            # and worker, dashboard off or not): this opens no port at all.
            report.workers = workers or os.cpu_count() or 1
            pool = concurrent.futures.ThreadPoolExecutor(report.workers, thread_name_prefix="classgrade")
        elif client is None:
            from distributed import Client

            client = own_client = Client(scheduler, security=security, timeout=60)
        run_id = uuid.uuid4().hex[:12]  # short: kernels' socket paths live under the work folder
        try:
            if pool is None:
                report.workers = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
            if scheduler is not None and coursedir.db_url.startswith("sqlite"):
                print(
                    "warning: a SQLite gradebook on a cluster of machines is untested; "
                    "use PostgreSQL (GMM_LESSON_DB_URL)",
                    file=sys.stderr,
                )
            progress = Progress(len(pending), stream)
            origin = [socket.gethostname(), os.getpid()]

            lock = threading.Lock()

            def step(student: str) -> None:
                with lock:
                    report.completions.append(student)
                progress.step(student)

            def completed(event) -> None:
                msg = event[1] if isinstance(event, tuple) else event
                if isinstance(msg, dict) and msg.get("run") == run_id:
                    step(msg["student"])

            if pool is None:
                client.subscribe_topic(TOPIC, completed)

            def run(slices: Iterable[list[str]], first: bool) -> None:
                futures = []
                for chunk in slices:
                    for s in chunk:
                        attempts[s] += 1
                    task = (grade_slice, str(root), assignment, chunk, nbgrader_args, env, run_id, origin)
                    if pool is not None:
                        futures.append(pool.submit(*task, notify=step))
                    else:
                        key = f"autograde-{assignment}-{chunk[0]}-{uuid.uuid4().hex[:8]}"
                        futures.append(client.submit(*task, pure=False, key=key))
                    futures[-1].students = chunk
                if first and on_submit is not None:
                    on_submit(client if pool is None else pool)
                if pool is not None:
                    done = concurrent.futures.as_completed(futures)
                else:
                    from distributed import as_completed

                    done = as_completed(futures)
                for future in done:
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 -- a lost worker, a task error: retried below
                        for s in future.students:
                            outputs[s] = (-1, f"{type(exc).__name__}: {exc}")
                        continue
                    outputs.update(result["results"])
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
            if pool is None:
                client.unsubscribe_topic(TOPIC)
            progress.close()
        finally:
            try:  # what killed processes (a lost worker's) of this run left, on every worker
                if pool is not None:
                    pool.shutdown(wait=True)
                    _sweep(run_id)
                else:
                    client.run(_sweep, run_id)
            except Exception as exc:  # noqa: BLE001 -- a closing cluster: say so, do not hide the grades
                print(f"warning: could not clean the workers' leftovers: {exc}", file=sys.stderr)
            if own_client is not None:
                own_client.close()
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
        "--workers", type=int, help="gradings at a time on this machine (default: one per CPU core)"
    )
    parser.add_argument(
        "--scheduler", help="a running dask scheduler, tls://host:8786 (with the --tls-* files), instead"
    )
    parser.add_argument("--tls-ca-file", help="the CA that signed the scheduler's and workers' certificates")
    parser.add_argument("--tls-cert", help="this client's certificate (signed by that CA)")
    parser.add_argument("--tls-key", help="this client's private key")
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow a plain tcp:// scheduler (anyone reaching it can run code on its workers)",
    )
    parser.add_argument("--slice-size", type=int, help="students per nbgrader process")
    parser.add_argument("--force", action="store_true", help="regrade students already graded")
    args = parser.parse_args(argv)
    try:
        report = grade_class(
            args.assignment,
            args.course,
            workers=args.workers,
            scheduler=args.scheduler,
            tls_ca_file=args.tls_ca_file,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            insecure=args.insecure,
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
