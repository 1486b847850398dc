"""Benchmark (not a timed test): ``run.py check`` on one em_step_by_step notebook.

A learner's notebook with every answer right (the course's solutions in the student
version) is checked by ``python3 run.py check --json`` (stock autograde of the course, in
the sandbox where one can start), and, in the same run, executed by nbclient as the learner's
own kernel would run it. Target: check at most 2x the execution plus 2 s.

    .venv/bin/python bench/bench_check.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import nbformat  # noqa: E402
import nbgrader_helpers as h  # noqa: E402

EM = "em_step_by_step"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        tmp = Path(tmp)
        course = h.copy_course(tmp / "course")
        env = h.nbgrader_env(tmp)
        h.nbgrader(["generate_assignment", EM, "--no-db", f"--CourseDirectory.release_directory={tmp}/ex"],
                   cwd=course, env=env)
        notebook = tmp / "ex" / EM / f"{EM}.ipynb"
        nb = h.fill_solutions(h.read(notebook), h.read(h.source_notebook_path(EM)))
        nbformat.write(nb, notebook)
        rows = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            h.execute(notebook)  # a copy in memory: the file stays as saved
            execute = time.perf_counter() - start
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, str(ROOT / "run.py"), "check", "--json", str(notebook)],
                capture_output=True, text=True, env={**os.environ, "GMM_LESSON_EXERCISES": str(tmp / "ex")},
            )
            check = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
                return 1
            (result,) = json.loads(proc.stdout)
            sandboxed = "no grading sandbox" not in proc.stderr
            rows.append((execute, check, result["score"], result["max_score"], sandboxed))
        load = os.getloadavg()[0]
    print(f"{'execute s':>10} {'check s':>8} {'ratio':>6} {'2x+2 s':>7}  score  sandbox")
    for execute, check, score, max_score, sandboxed in rows:
        print(f"{execute:10.2f} {check:8.2f} {check / execute:6.2f} {2 * execute + 2:7.2f}  "
              f"{score:g}/{max_score:g}  {'yes' if sandboxed else 'no'}")
    print(f"load average (1 min) after the run: {load:.2f}; cores: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
