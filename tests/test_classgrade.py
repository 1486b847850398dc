"""Grading a whole class in parallel (gmm_grader.classgrade) against serial stock nbgrader.

One class of 33 em_step_by_step submissions (full, partial, crashing, looping and hostile
ones from tests/grading_attacks.py, plus a notebook that is not JSON) is graded twice from
the same start: once by one stock ``nbgrader autograde`` (serial), once by
``grade_class`` on a dask ``LocalCluster`` of 2 workers, during which one nbgrader
process and then one dask worker are killed while they grade. Every score must be the
same, every student graded exactly once, the unreadable notebook reported as failed with
its reason, and no sandboxed process left. Then the command line is run again: a no-op.
"""

from __future__ import annotations

import collections
import io
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import psutil
import pytest
from gmm_grader import classgrade
from nbgrader.api import Gradebook
from test_grading_attacks import build, expected

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(3600)]

EM = attacks.EM
LIMITS = ["--Execute.timeout=10", "--JudgedExecute.notebook_timeout=45"]
CLASS = [
    # full and partial
    "honest_full",
    "honest_untouched",
    "honest_noisy",
    "honest_wrong_q1",
    "honest_wrong_q2",
    "honest_wrong_covariance",
    "honest_no_log_sum_exp",
    "honest_e_step_mean",
    "honest_duplicated_cell",
    # crashing and looping
    "honest_raises",
    "exits",
    "fork_bomb",
    "memory_blowup",
    "honest_infinite_loop",
    "ignores_interrupts",
    # hostile
    "hook_partial_credit",
    "traceback_off",
    "run_cell_swallowed",
    "forged_reports",
    "duplicate_reports",
    "probe_emit_patched",
    "import_hooked",
    "rigged_str_answers",
    "lying_arrays",
    "delegate_library",
    "delegate_sklearn",
    "read_keys_from_disk",
    "copy_other_students",
    "write_gradebook",
    "kill_the_grader",
    "detached_saboteur",
    "escape_attempts",
]
CORRUPT = "not_a_notebook"


def make_class(root: Path) -> None:
    """The class's submissions in ``submitted/``, as ``nbgrader collect`` leaves them."""
    for student in CLASS:
        folder = root / "submitted" / student / EM
        folder.mkdir(parents=True)
        nbformat.write(build(attacks.SUBMISSIONS[student], root), folder / f"{EM}.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC")
    folder = root / "submitted" / CORRUPT / EM
    folder.mkdir(parents=True)
    (folder / f"{EM}.ipynb").write_text("{this is not a notebook")
    (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC")


def nbgrader_processes(root: Path) -> list[psutil.Process]:
    """The ``nbgrader autograde`` processes grading in ``root``, whose kernel is running."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmd = proc.info["cmdline"] or []  # python .../bin/nbgrader autograde ...
            script = next((i for i, arg in enumerate(cmd[:2]) if arg.endswith("/nbgrader")), None)
            if script is None or cmd[script + 1 : script + 2] != ["autograde"] or proc.cwd() != str(root):
                continue
            if any("bwrap" in " ".join(c.cmdline()) for c in proc.children(recursive=True)):
                found.append(proc)
        except psutil.Error:
            continue
    return found


class Killer(threading.Thread):
    """Kills, while the class is graded, one nbgrader process and then one dask worker."""

    def __init__(self, root: Path):
        super().__init__(daemon=True)
        self.root, self.killed, self.errors = root, {}, []
        self.below: list[psutil.Process] = []  # what ran below the killed processes (kernels, bwrap)

    def wait_for_grading(self, exclude: set[int]) -> psutil.Process:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            found = [p for p in nbgrader_processes(self.root) if p.pid not in exclude]
            if found:
                time.sleep(1.0)  # well inside a submission
                return found[0]
            time.sleep(0.2)
        raise TimeoutError("no nbgrader process started grading")

    def run(self) -> None:
        try:
            first = self.wait_for_grading(set())
            self.below += first.children(recursive=True)
            first.kill()
            self.killed["nbgrader"] = first.pid
            time.sleep(5)
            second = self.wait_for_grading({first.pid})
            worker = second.parent()  # the dask worker process that started it
            self.below += [second, *second.children(recursive=True)]
            self.killed["worker"] = worker.pid
            self.killed["worker_cmdline"] = " ".join(worker.cmdline())
            worker.kill()
            second.wait(timeout=30)  # dies with its worker (PR_SET_PDEATHSIG)
            self.killed["orphan_gone"] = second.pid
        except Exception as exc:  # noqa: BLE001 -- reported by the test
            self.errors.append(repr(exc))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from distributed import Client, LocalCluster

    tmp = tmp_path_factory.mktemp("classgrade")
    base = h.copy_course(tmp / "base")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", EM], cwd=base, env=env)
    make_class(base)
    serial, parallel = (
        Path(shutil.copytree(base, tmp / name, symlinks=True)) for name in ("serial", "parallel")
    )

    start = time.perf_counter()
    serial_run = h.nbgrader(["autograde", EM, *LIMITS], cwd=serial, env=env, check=False)
    serial_seconds = time.perf_counter() - start

    killer = Killer(parallel)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            stream = io.StringIO()
            report = classgrade.grade_class(
                EM,
                parallel,
                client=client,
                nbgrader_args=LIMITS,
                stream=stream,
                on_submit=lambda _client: killer.start(),
            )
    killer.join(timeout=60)
    time.sleep(2)
    left = [p for p in killer.below if p.is_running()]  # same pid and start time: still there
    return {
        "env": env,
        "serial": serial,
        "parallel": parallel,
        "serial_run": serial_run,
        "serial_seconds": serial_seconds,
        "report": report,
        "killer": killer,
        "stream": stream.getvalue(),
        "left": left,
    }


def scores(root: Path, students) -> dict[str, dict[str, float | None]]:
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        return {s: {gid: gb.find_grade(gid, EM, EM, s).auto_score for gid in points} for s in students}


def test_the_class_is_large_and_mixed():
    assert len(CLASS) + 1 >= 30
    assert len(set(CLASS)) == len(CLASS)
    assert {
        "honest_full",
        "honest_wrong_covariance",
        "exits",
        "honest_infinite_loop",
        "forged_reports",
    } <= set(CLASS)


def test_parallel_scores_equal_serial_scores(graded):
    serial, parallel = scores(graded["serial"], CLASS), scores(graded["parallel"], CLASS)
    different = {s: (serial[s], parallel[s]) for s in CLASS if serial[s] != parallel[s]}
    assert not different
    # and both are the honest work each submission holds
    wrong = {s: parallel[s] for s in CLASS if parallel[s] != expected(attacks.SUBMISSIONS[s])}
    assert not wrong


def test_totals_in_the_report_are_the_gradebook_totals(graded):
    report = graded["report"]
    with Gradebook(f"sqlite:///{graded['serial'] / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        serial_totals = {s: gb.find_submission(EM, s).score for s in CLASS}
    assert {s: report.outcomes[s].score for s in CLASS} == serial_totals


def test_every_student_graded_exactly_once(graded):
    report = graded["report"]
    assert report.students(classgrade.GRADED) == sorted(CLASS)
    assert collections.Counter(report.completions) == dict.fromkeys(CLASS, 1)
    assert report.workers == 2
    for student in CLASS:
        path = graded["parallel"] / "autograded" / student / EM / f"{EM}.ipynb"
        assert classgrade._notebook_executed(path), student


def test_a_killed_process_and_a_killed_worker_cost_nobody_a_grade(graded):
    killer, report = graded["killer"], graded["report"]
    assert not killer.errors
    assert {"nbgrader", "worker", "orphan_gone"} <= set(killer.killed)
    assert "distributed" in killer.killed["worker_cmdline"] or "spawn" in killer.killed["worker_cmdline"]
    # the student the killed process was grading, and those after it in its slice, were
    # retried alone and graded
    retried = [s for s, o in report.outcomes.items() if o.attempts == 2 and o.status == classgrade.GRADED]
    assert retried
    assert not graded["left"]  # every sandboxed kernel died with its grader


def test_an_unreadable_notebook_fails_with_its_reason(graded):
    report = graded["report"]
    outcome = report.outcomes[CORRUPT]
    assert outcome.status == classgrade.FAILED
    assert "NotJSONError" in outcome.reason
    assert outcome.attempts == 2  # its slice, then alone
    assert not report.ok
    # serial stock nbgrader fails on it too, and grades the others
    assert graded["serial_run"].returncode != 0
    assert "NotJSONError" in graded["serial_run"].stderr + graded["serial_run"].stdout
    table = report.table()
    assert f"{len(CLASS)} graded, 1 failed, 0 skipped" in table
    assert CORRUPT in table and "NotJSONError" in table


def test_progress_is_reported_per_student(graded):
    lines = graded["stream"].splitlines()  # not a terminal: one plain line per student
    assert len(lines) == len(CLASS)
    assert all(line.startswith("graded ") for line in lines)
    assert lines[-1].split("(")[1].startswith(f"{len(CLASS)}/{len(CLASS) + 1}")


def test_rerun_from_the_command_line_is_a_no_op(graded):
    parallel = graded["parallel"]
    notebooks = {s: parallel / "autograded" / s / EM / f"{EM}.ipynb" for s in CLASS}
    before = {s: (p.stat().st_mtime_ns, p.read_bytes()) for s, p in notebooks.items()}
    scores_before = scores(parallel, CLASS)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gmm_grader.classgrade",
            EM,
            "--course",
            str(parallel),
            "--workers",
            "1",
            "--",
            *LIMITS,
        ],
        env=graded["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stderr  # the unreadable notebook still fails
    assert f"0 graded, 1 failed, {len(CLASS)} skipped" in proc.stdout, proc.stdout + proc.stderr
    assert {s: (p.stat().st_mtime_ns, p.read_bytes()) for s, p in notebooks.items()} == before
    assert scores(parallel, CLASS) == scores_before


def test_force_regrades_only_what_it_is_given(graded, tmp_path):
    """--force on a copy: the graded students are graded again, with the same scores."""
    course = Path(shutil.copytree(graded["parallel"], tmp_path / "course", symlinks=True))
    shutil.rmtree(course / "submitted" / CORRUPT)
    for student in CLASS[3:]:
        shutil.rmtree(course / "submitted" / student)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in graded["env"].items():
            mp.setenv(key, value)
        report = classgrade.grade_class(
            EM, course, workers=1, force=True, nbgrader_args=LIMITS, stream=io.StringIO()
        )
    assert report.students(classgrade.GRADED) == sorted(CLASS[:3])
    assert sorted(report.completions) == sorted(CLASS[:3])
    assert scores(course, CLASS[:3]) == scores(graded["serial"], CLASS[:3])


@pytest.fixture(scope="module")
def small_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classgrade-args")
    root = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", EM], cwd=root, env=env)
    return root, env


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"assignment": "no_such_assignment"}, ValueError, "assignment"),
        ({"assignment": ""}, ValueError, "assignment"),
        ({"workers": 0}, ValueError, "workers"),
        ({"workers": -2}, ValueError, "workers"),
        ({"workers": "2"}, TypeError, "workers"),
        ({"workers": 2.0}, TypeError, "workers"),
        ({"slice_size": 0}, ValueError, "slice_size"),
        ({"scheduler": 8786}, TypeError, "scheduler"),
        ({"scheduler": "tcp://127.0.0.1:1", "workers": 2}, ValueError, "workers"),
        ({"nbgrader_args": "--force"}, TypeError, "nbgrader_args"),
    ],
)
def test_bad_arguments_are_refused_by_name(small_course, monkeypatch, kwargs, error, names):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    kwargs = {"assignment": EM, **kwargs}
    with pytest.raises(error, match=names):
        classgrade.grade_class(kwargs.pop("assignment"), root, **kwargs)


def test_unknown_assignment_names_the_known_ones(small_course, monkeypatch):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=r"'em_stepbystep' is not in the gradebook.*known: em_step_by_step"):
        classgrade.grade_class("em_stepbystep", root)


def test_a_folder_without_course_is_refused(tmp_path):
    with pytest.raises(ValueError, match="course"):
        classgrade.grade_class(EM, tmp_path)


def test_command_line_errors_are_clear(small_course):
    root, env = small_course
    for args, message in [
        ([EM, "--workers", "0"], "workers must be at least 1"),
        (["nope"], "assignment: 'nope' is not in the gradebook"),
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "gmm_grader.classgrade", *args, "--course", str(root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr


def test_nobody_to_grade_starts_no_cluster(small_course, monkeypatch):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    report = classgrade.grade_class(EM, root, workers=2)
    assert report.outcomes == {} and report.workers == 0 and report.ok


def test_progress_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = classgrade.Progress(4, stream)
    for student in ["a", "b"]:
        progress.step(student)
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and "2/4 graded" in text and "#" * 15 in text
    assert text.endswith("\n")


def test_reasons_read_from_nbgrader_output():
    assert "signal 9 (SIGKILL)" in classgrade._reason("", -9)
    log = "  Traceback (most recent call last):\n  nbformat.reader.NotJSONError: not JSON\n[X | ERROR] It was"
    assert classgrade._reason(log, 1) == "nbformat.reader.NotJSONError: not JSON"
    assert classgrade._reason("[AutogradeApp | ERROR] No notebooks found\n", 1) == "No notebooks found"
    assert "exited 1" in classgrade._reason("", 1)


def test_a_running_scheduler_grades_through_its_workers(small_course, tmp_path):
    """--scheduler: a real ``dask scheduler`` and ``dask worker`` (separate processes, TCP)."""
    from lab_server import end_process_group, free_port

    root, env = small_course
    course = Path(shutil.copytree(root, tmp_path / "course", symlinks=True))
    students = ["honest_full", "honest_wrong_q1", "exits"]
    for student in students:
        folder = course / "submitted" / student / EM
        folder.mkdir(parents=True)
        nbformat.write(build(attacks.SUBMISSIONS[student], course), folder / f"{EM}.ipynb")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(h.VENV_BIN / "dask")
    common = {"env": env, "cwd": tmp_path, "start_new_session": True}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        **common,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--nworkers", "2", "--no-dashboard"],
        **common,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from distributed import Client

        with Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=120)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gmm_grader.classgrade",
                EM,
                "--course",
                str(course),
                "--scheduler",
                address,
                "--",
                *LIMITS,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        end_process_group(worker, 30)
        end_process_group(scheduler, 30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 graded, 0 failed, 0 skipped" in proc.stdout
    assert "on 2 workers" in proc.stdout
    assert "SQLite gradebook on a cluster of machines is untested" in proc.stderr
    want = {s: expected(attacks.SUBMISSIONS[s]) for s in students}
    assert scores(course, students) == want
