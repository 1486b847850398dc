"""How long the course takes to run and to grade (a benchmark, not a test).

    .venv/bin/python bench/bench_course.py [--students N]

1. Seconds to execute each source notebook top to bottom (nbclient, a real kernel,
   kernel start-up included). Target: the whole course in <= 60 s.
2. Seconds per submission for ``nbgrader autograde`` with the course's config: every
   assignment is generated in a temporary copy of the course, N full-solution
   submissions are placed in ``submitted/`` (what ``nbgrader collect`` produces), and one
   ``nbgrader autograde`` run grades them all. Target: <= 2 s per submission. The fixed
   cost of one nbgrader run (Python start-up, gradebook) is measured separately with a
   single submission, and the per-submission figure is the marginal cost of the other
   N - 1. Measured twice in the same run: with the sandbox (the default) and without it
   (``GMM_LESSON_GRADING_SANDBOX=none``, still judged outside the kernel); target: the
   sandbox costs at most 1.5x.
3. The floor: stock nbgrader (its own config, its own Execute) on a two-cell notebook
   (``x = 1`` / ``assert x == 1``), i.e. what nbgrader itself costs per submission (a
   fresh kernel, sanitising, the gradebook).
4. Where every second of a graded submission goes, from the grader's own timings
   (``GMM_GRADER_TIMINGS``, see :mod:`gmm_grader.grading`), per submission and for both
   runs of 2.: sandbox set-up, kernel start, each cell's execution (the first code cell
   holds the imports), the judge's work (drawing inputs, deciding verdicts), tear-down
   (kernel shutdown, reaping, cgroup and folder removal), and nbgrader's own overhead
   (the run's wall time per submission minus the grader's); beside them the plain
   execution of the same filled-in submission with nbclient, cell by cell.

``--assignment NAME`` (repeatable) limits every part to those assignments.

Everything happens in a temporary directory; the repository is not touched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import nbgrader_helpers as h  # noqa: E402


def time_source_notebooks(tmp: Path, names: list[str]) -> dict[str, float]:
    seconds = {}
    course = h.copy_course(tmp / "run" / "course")  # the hidden checks read keys in course/quiz
    for name in names:
        start = time.perf_counter()
        nb = h.execute(course / "source" / name / f"{name}.ipynb")
        seconds[name] = time.perf_counter() - start
        if h.error_details(nb):
            print(f"  warning: {name} raised {h.error_details(nb)}")
    return seconds


def place_submissions(course: Path, name: str, students: list[str]) -> None:
    release = h.read(course / "release" / name / f"{name}.ipynb")
    source = h.read(h.source_notebook_path(name))
    for student in students:
        nb = h.fill_solutions(nbformat.from_dict(release), source)
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def time_plain(tmp: Path, name: str) -> dict:
    """A filled-in submission of ``name`` run with plain nbclient: kernel start, each cell.

    It is the released notebook with the solutions filled in (what the graded submissions
    are), run in the released folder of the unsandboxed run of :func:`time_autograde`.
    """
    from nbclient import NotebookClient

    folder = tmp / "course-none" / "release" / name  # with its data files, as a student has them
    nb = h.fill_solutions(h.read(folder / f"{name}.ipynb"), h.read(h.source_notebook_path(name)))
    marks: dict = {"cells": []}

    def before(cell, cell_index, **_):
        marks.setdefault("first", time.perf_counter())
        marks["cell_start"] = time.perf_counter()

    def after(cell, cell_index, **_):
        marks["cells"].append({"index": cell_index, "seconds": time.perf_counter() - marks["cell_start"]})

    client = NotebookClient(
        nb,
        timeout=h.CELL_TIMEOUT,
        startup_timeout=180,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        on_cell_execute=before,
        on_cell_executed=after,
    )
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    return {"total": total, "kernel_start": marks.get("first", start) - start, "cells": marks["cells"]}


def time_autograde(
    tmp: Path, n_students: int, sandbox: str, names: list[str]
) -> dict[str, tuple[float, float, float]]:
    """{assignment: (seconds for 1 submission, seconds for n, marginal s/submission)}.

    The grader's own timings of every notebook go to ``tmp/timings-<sandbox>-<assignment>.jsonl``.
    """
    course = h.copy_course(tmp / f"course-{sandbox}")
    env = h.nbgrader_env(tmp)
    env["GMM_LESSON_GRADING_SANDBOX"] = sandbox
    results = {}
    for name in names:
        env["GMM_GRADER_TIMINGS"] = str(tmp / f"timings-{sandbox}-{name}.jsonl")
        h.nbgrader(["generate_assignment", name], cwd=course, env=env)
        place_submissions(course, name, ["single"])
        start = time.perf_counter()
        h.nbgrader(["autograde", name, "--student=single"], cwd=course, env={**env, "GMM_GRADER_TIMINGS": ""})
        one = time.perf_counter() - start
        students = [f"student{i:02d}" for i in range(n_students)]
        place_submissions(course, name, students)
        start = time.perf_counter()
        h.nbgrader(["autograde", name, "--CourseDirectory.student_id=student*"], cwd=course, env=env)
        many = time.perf_counter() - start
        marginal = (many - one) / (n_students - 1) if n_students > 1 else many
        results[name] = (one, many, marginal)
    return results


def time_autograde_floor(tmp: Path, n_students: int) -> tuple[float, float]:
    """(seconds for 1 submission, marginal seconds per extra one) of a trivial assignment."""
    course = tmp / "floor"
    (course / "source" / "trivial").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "floor"\n')
    new_cell = nbformat.v4.new_code_cell
    cells = [new_cell("x = 1", id="answer"), new_cell("assert x == 1", id="test")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.cells[1].metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 1,
        "grade_id": "test",
        "schema_version": 3,
        "task": False,
    }
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, course / "source" / "trivial" / "trivial.ipynb")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", "trivial"], cwd=course, env=env)
    for i in range(n_students + 1):
        folder = course / "submitted" / f"s{i:02d}" / "trivial"
        folder.mkdir(parents=True)
        shutil.copy(course / "release" / "trivial" / "trivial.ipynb", folder)
    start = time.perf_counter()
    h.nbgrader(["autograde", "trivial", "--student=s00"], cwd=course, env=env)
    one = time.perf_counter() - start
    start = time.perf_counter()
    h.nbgrader(["autograde", "trivial"], cwd=course, env=env)  # the n others: s00 is skipped
    many = time.perf_counter() - start
    return one, (many - one) / (n_students - 1) if n_students > 1 else many


def _cells(cells: list[dict]) -> str:
    return " ".join(f"{c['seconds']:.2f}" for c in cells)


def print_breakdown(tmp: Path, name: str, n_students: int, many: dict[str, float], plain: dict) -> None:
    """Where the seconds of each graded submission of ``name`` go, sandboxed and not."""
    print(f"\n{name}: where each submission's seconds go (s)")
    head = "setup  kstart  cells   judge  teardown  grader  nbgrader  total"
    print(f"  {'':<24} {head}")
    for sandbox in ("bubblewrap", "none"):
        path = tmp / f"timings-{sandbox}-{name}.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if len(rows) != n_students:
            print(f"  {sandbox}: {len(rows)} timing lines for {n_students} submissions (not shown)")
            continue
        # nbgrader's own overhead per submission: the run's wall time minus the grader's work
        overhead = (many[sandbox] - sum(r["preprocess"] for r in rows)) / n_students
        for r in rows:
            cells = sum(c["seconds"] for c in r["cells"])
            judge = r.get("judge_requests", 0) + r.get("judge_verdicts", 0)
            teardown = sum(r["kernel_stop"]) + r.get("remove_folder", 0)
            setup, kstart = r.get("sandbox_setup", 0), sum(r["kernel_start"])
            print(
                f"  {sandbox:<10} {r['student']:<13} {setup:5.2f}  {kstart:6.2f} "
                f"{cells:6.2f}  {judge:6.2f}  {teardown:8.2f}  {r['preprocess']:6.2f}  {overhead:8.2f}  "
                f"{r['preprocess'] + overhead:5.2f}"
            )
        last = rows[-1]
        print(f"  {sandbox:<10} cells of {last['student']}: {_cells(last['cells'])}")
        if len(last["kernel_start"]) > 1:
            print(f"  {sandbox:<10} {len(last['kernel_start'])} kernels were started (a crash or time-out)")
    cells = sum(c["seconds"] for c in plain["cells"])
    blank = f"{'':6}  {'':8}  {'':6}  {'':8}"
    start, total = plain["kernel_start"], plain["total"]
    print(f"  {'plain nbclient':<24} {'':5}  {start:6.2f} {cells:6.2f}  {blank}  {total:5.2f}")
    print(f"  {'plain nbclient':<10} cells: {_cells(plain['cells'])}")
    boxed = many["bubblewrap"] / n_students
    print(
        f"  sandboxed submission {boxed:.2f} s = plain execution {plain['total']:.2f} s "
        f"+ {boxed - plain['total']:.2f} s (target: + 2 s at most)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5, help="submissions per assignment (default 5)")
    parser.add_argument("--assignment", action="append", choices=h.assignments(), help="only these")
    parser.add_argument("--no-floor", action="store_true", help="skip the stock-nbgrader floor")
    parser.add_argument("--no-source", action="store_true", help="skip executing the source notebooks")
    args = parser.parse_args()
    names = args.assignment or h.assignments()
    with tempfile.TemporaryDirectory(prefix="gmm-bench-") as tmp:
        tmp = Path(tmp)
        print("Executing each source notebook (nbclient, kernel start included):")
        seconds = {} if args.no_source else time_source_notebooks(tmp, names)
        for name, s in seconds.items():
            print(f"  {name:<18} {s:6.1f} s")
        if seconds:
            total = sum(seconds.values())
            verdict = "met" if total <= 60 else "MISSED"
            print(f"  {'whole course':<18} {total:6.1f} s   (target <= 60 s: {verdict})")

        timed = {}
        for sandbox in ("bubblewrap", "none"):
            print(f"\nnbgrader autograde, sandbox={sandbox}, {args.students} full-solution submissions each:")
            timed[sandbox] = time_autograde(tmp, args.students, sandbox, names)
            for name, (one, many, marginal) in timed[sandbox].items():
                print(
                    f"  {name:<18} 1 submission {one:5.1f} s; {args.students} submissions {many:5.1f} s; "
                    f"{marginal:4.1f} s per extra submission; "
                    f"{many / args.students:4.1f} s per submission overall"
                )
            worst = max(marginal for _, _, marginal in timed[sandbox].values())
            verdict = "met" if worst <= 2 else "MISSED"
            print(f"  worst marginal cost {worst:.1f} s per submission (target <= 2 s: {verdict})")
        print("\nthe sandbox's cost, s per submission overall, sandboxed / unsandboxed (target <= 1.5x):")
        for name in timed["bubblewrap"]:
            boxed, bare = (timed[mode][name][1] / args.students for mode in ("bubblewrap", "none"))
            print(f"  {name:<18} {boxed:4.2f} / {bare:4.2f} = {boxed / bare:4.2f}x")
        for name in names:
            many = {mode: timed[mode][name][1] for mode in timed}
            print_breakdown(tmp, name, args.students, many, time_plain(tmp, name))
        if not args.no_floor:
            one, marginal = time_autograde_floor(tmp, args.students)
            print(f"\nfloor, stock nbgrader on a two-cell notebook: 1 submission {one:.1f} s; ", end="")
            print(f"{marginal:.1f} s per extra one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
