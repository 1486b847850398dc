"""How long the course takes to run and to grade (a benchmark, not a test).

    .venv/bin/python bench/bench_course.py [--students N]

1. Seconds to execute each source notebook top to bottom (nbclient, a real kernel,
   kernel start-up included). Target: the whole course in <= 60 s.
2. Seconds per submission for ``nbgrader autograde``: every assignment is generated in
   a temporary copy of the course, N full-solution submissions are placed in
   ``submitted/`` (what ``nbgrader collect`` produces), and one ``nbgrader autograde``
   run grades them all. Target: <= 2 s per submission. The fixed cost of one nbgrader
   run (Python start-up, gradebook) is measured separately with a single submission, and
   the per-submission figure is the marginal cost of the other N - 1.

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
    for name in h.assignments():
        folder = shutil.copytree(h.COURSE / "source" / name, tmp / "run" / name)
        start = time.perf_counter()
        nb = h.execute(folder / f"{name}.ipynb")
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


def time_autograde(tmp: Path, n_students: int) -> dict[str, tuple[float, float, float]]:
    """{assignment: (seconds for 1 submission, seconds for n, marginal s/submission)}."""
    course = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
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

        print(f"\nnbgrader autograde, {args.students} full-solution submissions per assignment:")
        worst = 0.0
        for name, (one, many, marginal) in time_autograde(tmp, args.students).items():
            worst = max(worst, marginal)
            print(
                f"  {name:<18} 1 submission {one:5.1f} s; {args.students} submissions {many:5.1f} s; "
                f"{marginal:4.1f} s per extra submission; "
                f"{many / args.students:4.1f} s per submission overall"
            )
        verdict = "met" if worst <= 2 else "MISSED"
        print(f"  worst marginal cost {worst:.1f} s per submission (target <= 2 s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
