"""Grading a class: serial stock nbgrader against the parallel command (a benchmark, not a test).

    .venv/bin/python bench/bench_class.py [--students 40] [--assignment em_step_by_step]

In one run, N full-solution submissions of the assignment (default: 40 of
em_step_by_step) are graded three times, each from a fresh copy of the course with the
same submissions and the course's own config (every kernel sandboxed):

1. serially, by one stock ``nbgrader autograde <assignment>``;
2. by the parallel command (``python -m gmm_grader.classgrade``, what ``python3 run.py
   grade`` runs) with ``--workers 1``;
3. the same with ``--workers 2``.

Wall time includes everything the instructor waits for (nbgrader start-up, once per
slice of students in the parallel command). It prints seconds per submission and the speed-up
over serial grading; the last line reads ``speed-up with 2 workers: <x>`` (target on 2
cores: at least 1.8). The figures, the load average before and after, and the CPU count go to
``bench/results/bench_class.json``. The repository's course is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import nbgrader_helpers as h  # noqa: E402
from bench_course import place_submissions  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_class.json"


def scores(course: Path, assignment: str, students: list[str]) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        return {s: gb.find_submission(assignment, s).score for s in students}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--assignment", default="em_step_by_step")
    args = parser.parse_args()
    if args.students < 2:
        parser.error("--students must be at least 2")
    name, n = args.assignment, args.students
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gmm-bench-class-") as tmp:
        tmp = Path(tmp)
        env = h.nbgrader_env(tmp)
        base = h.copy_course(tmp / "base")
        h.nbgrader(["generate_assignment", name], cwd=base, env=env)
        students = [f"student{i:03d}" for i in range(n)]
        place_submissions(base, name, students)
        runs = {
            "serial nbgrader": [str(h.VENV_BIN / "nbgrader"), "autograde", name],
            "parallel, 1 worker": [sys.executable, "-m", "gmm_grader.classgrade", name, "--workers", "1"],
            "parallel, 2 workers": [sys.executable, "-m", "gmm_grader.classgrade", name, "--workers", "2"],
        }
        seconds, totals, cores = {}, {}, {}
        print(f"{n} full submissions of {name}, sandboxed; {os.cpu_count()} CPUs; load {load_before[0]:.2f}")
        for label, command in runs.items():
            course = shutil.copytree(base, tmp / label.replace(" ", "-").replace(",", ""))
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
            seconds[label] = time.perf_counter() - start
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            # CPU-seconds of every process that ran and was reaped (nbgrader, kernels, sandboxes)
            # per second of wall time: how many cores the run kept busy on average
            cores[label] = cpu / seconds[label]
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
                raise SystemExit(f"{label} failed ({proc.returncode})")
            totals[label] = scores(course, name, students)
            print(
                f"  {label:<20} {seconds[label]:7.1f} s   {seconds[label] / n:5.2f} s per submission"
                f"   {cores[label]:4.2f} cores busy"
            )
        if len({json.dumps(t, sort_keys=True) for t in totals.values()}) != 1:
            raise SystemExit("the three runs gave different scores")
        serial = seconds["serial nbgrader"]
        speedups = {label: serial / s for label, s in seconds.items()}
    load_after = os.getloadavg()
    print(f"  (same score for every submission in all three runs; load {load_after[0]:.2f} after)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "assignment": name,
                "submissions": n,
                "cpus": os.cpu_count(),
                "load_before": load_before,
                "load_after": load_after,
                "seconds": seconds,
                "seconds_per_submission": {k: v / n for k, v in seconds.items()},
                "speedup_over_serial": speedups,
                "cores_busy": cores,
            },
            indent=2,
        )
        + "\n"
    )
    ceiling = (os.cpu_count() or 1) / cores["serial nbgrader"]
    busy = cores["serial nbgrader"]
    print(f"  serial grading alone keeps {busy:.2f} cores busy: at most {ceiling:.2f}x from more workers")
    print(f"speed-up with 1 worker: {speedups['parallel, 1 worker']:.2f}")
    print(f"speed-up with 2 workers: {speedups['parallel, 2 workers']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
