"""Shared helpers for the notebook and nbgrader tests (and bench/bench_course.py).

Everything here works on *copies*: the course is copied to a temporary directory before
nbgrader touches it, notebooks are executed from temporary copies, and the committed
notebooks (which have no outputs) are never written to.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
PACKAGE = ROOT / "gmm_lesson"
VENV_BIN = Path(sys.executable).parent
COURSE_ID = "gmm-lesson"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
KEY_LINE = re.compile(r"^\s*check\(.*\b(key|question)=.*$", re.MULTILINE)

# Generous: two cores shared with other jobs. Per cell, not per notebook.
CELL_TIMEOUT = 180
# nbgrader's own per-cell limit comes from course/nbgrader_config.py (30 s).
NBGRADER_TIMEOUT = 1200

# Course state nbgrader creates: never copied into a test's temporary course.
_GENERATED = (
    "release", "submitted", "autograded", "feedback", "exchange", "gradebook.db", "solution", "reports"
)


def assignments() -> list[str]:
    """Every assignment in course/source: a folder holding <name>/<name>.ipynb."""
    source = COURSE / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_notebook_path(name: str) -> Path:
    return COURSE / "source" / name / f"{name}.ipynb"


def copy_course(dest: Path) -> Path:
    """Copy the course (config, source, text twins, quiz data) to ``dest`` without any generated state."""

    def ignore(directory, names):
        skip = {"__pycache__", ".ipynb_checkpoints"}
        if Path(directory).resolve() == COURSE.resolve():
            skip |= set(_GENERATED)
        return [n for n in names if n in skip or n.endswith(".db")]

    shutil.copytree(COURSE, dest, ignore=ignore)
    return dest


def nbgrader_env(tmp: Path, exchange: Path | None = None) -> dict[str, str]:
    """Environment for nbgrader subprocesses: the venv first on PATH (the gradebook set-up
    runs ``alembic``), an empty Jupyter config dir (no stray user config), a private
    exchange, and the NBGRADER_EXECUTION-free environment a learner has."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    config_dir = tmp / "jupyter-config"
    config_dir.mkdir(parents=True, exist_ok=True)
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    env["GMM_LESSON_EXCHANGE"] = str(exchange if exchange is not None else tmp / "exchange")
    env.pop("GMM_LESSON_DB_URL", None)
    env.pop("NBGRADER_EXECUTION", None)
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def nbgrader(
    args: list[str], cwd: Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess:
    """Run the stock ``nbgrader`` command line; fail with its log when it fails."""
    proc = subprocess.run(
        [str(VENV_BIN / "nbgrader"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=NBGRADER_TIMEOUT,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def execute(path: Path, env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute a notebook copy with nbclient, cwd = its folder, errors recorded not raised."""
    nb = read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=180,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    if env is None:
        client.execute()
    else:
        client.execute(env=env)  # the whole kernel environment
    return nb


def errors(nb) -> dict[str, str]:
    """{cell id: exception name} for every code cell whose output holds an error."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found[cell.id] = out.ename
    return found


def error_details(nb) -> dict[str, tuple[str, str]]:
    """{cell id: (exception name, message)} for every code cell whose output holds an error."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found[cell.id] = (out.ename, out.evalue)
    return found


def stderr_cells(nb) -> dict[str, str]:
    """{cell id: text} for every code cell that wrote to stderr."""
    return {
        cell.id: "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
        for cell in nb.cells
        if any(o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))
    }


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_autograded_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def autograded_points(nb) -> dict[str, float]:
    """{grade_id: points} of every autograded test cell."""
    return {grade_id(c): float(nbgrader_meta(c)["points"]) for c in nb.cells if is_autograded_test(c)}


def total_points(nb) -> float:
    """Points of every graded cell, autograded or manually graded."""
    return sum(float(nbgrader_meta(c).get("points", 0)) for c in nb.cells if nbgrader_meta(c).get("grade"))


def hidden_blocks(text: str) -> list[str]:
    return re.findall(re.escape(BEGIN_HIDDEN) + r"(.*?)" + re.escape(END_HIDDEN), text, flags=re.DOTALL)


def key_lines(nb) -> set[str]:
    """Every ``check(..., question=...)`` (or ``key=``) line in a hidden-test block of a source
    notebook: the grader looks the key up in course/quiz/ by that question id."""
    keys = set()
    for cell in nb.cells:
        for block in hidden_blocks(cell.source):
            keys.update(m.group(0).strip() for m in KEY_LINE.finditer(block))
    return keys


def strip_markers(source: str) -> str:
    """A solution cell's code with the BEGIN/END SOLUTION marker lines removed."""
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)
    )


def solution_sources(source_nb) -> dict[str, str]:
    """{grade_id: full solution code} for every code solution cell of a source notebook."""
    return {
        grade_id(c): strip_markers(c.source)
        for c in source_nb.cells
        if is_solution(c) and c.cell_type == "code"
    }


def solution_names(source_nb) -> set[str]:
    """Names a student defines at top level in solution cells (functions, classes, variables)."""
    names = set()
    for code_ in solution_sources(source_nb).values():
        for node in ast.parse(code_).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def cell_by_grade_id(nb, gid: str):
    for cell in nb.cells:
        if grade_id(cell) == gid:
            return cell
    raise KeyError(f"no cell with grade_id {gid!r}")


def fill_solutions(student_nb, source_nb, overrides: dict[str, str] | None = None):
    """Write the source notebook's solutions into a student notebook, cell by cell id.

    ``overrides`` maps a grade_id to the code to put there instead (a wrong answer, an
    infinite loop, ...). Returns the notebook (modified in place).
    """
    answers = solution_sources(source_nb)
    answers.update(overrides or {})
    for gid, answer in answers.items():
        cell_by_grade_id(student_nb, gid).source = answer
    return student_nb


def package_files() -> list[Path]:
    """Every file of the gmm_lesson package (code and data), caches excluded."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


class RiggedStr(str):
    """A hostile answer: a str whose ==, strip and upper say "equal" to every letter."""

    def __eq__(self, other):
        return True

    __hash__ = str.__hash__

    def strip(self, *args):
        return self

    def upper(self):
        return self
