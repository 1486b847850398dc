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

Everything happens in a temporary directory; the repository is not touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import nbgrader_helpers as h  # noqa: E402


def time_source_notebooks(tmp: Path) -> dict[str, float]:
    seconds = {}
    course = h.copy_course(tmp / "run" / "course")  # the hidden checks read keys in course/quiz
    for name in h.assignments():
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


def time_autograde(tmp: Path, n_students: int, sandbox: str) -> dict[str, tuple[float, float, float]]:
    """{assignment: (seconds for 1 submission, seconds for n, marginal s/submission)}."""
    course = h.copy_course(tmp / f"course-{sandbox}")
    env = h.nbgrader_env(tmp)
    env["GMM_LESSON_GRADING_SANDBOX"] = sandbox
    results = {}
    for name in h.assignments():
        h.nbgrader(["generate_assignment", name], cwd=course, env=env)
        place_submissions(course, name, ["single"])
        start = time.perf_counter()
        h.nbgrader(["autograde", name, "--student=single"], cwd=course, env=env)
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
        "grade": True, "solution": False, "locked": True, "points": 1,
        "grade_id": "test", "schema_version": 3, "task": False,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5, help="submissions per assignment (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gmm-bench-") as tmp:
        tmp = Path(tmp)
        print("Executing each source notebook (nbclient, kernel start included):")
        seconds = time_source_notebooks(tmp)
        for name, s in seconds.items():
            print(f"  {name:<18} {s:6.1f} s")
        total = sum(seconds.values())
        verdict = "met" if total <= 60 else "MISSED"
        print(f"  {'whole course':<18} {total:6.1f} s   (target <= 60 s: {verdict})")

        timed = {}
        for sandbox in ("bubblewrap", "none"):
            print(f"\nnbgrader autograde, sandbox={sandbox}, {args.students} full-solution submissions each:")
            timed[sandbox] = time_autograde(tmp, args.students, sandbox)
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
        one, marginal = time_autograde_floor(tmp, args.students)
        print(f"\nfloor, stock nbgrader on a two-cell notebook: 1 submission {one:.1f} s; ", end="")
        print(f"{marginal:.1f} s per extra one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
