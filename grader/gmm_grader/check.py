"""``gmm-check``: a self-paced learner grades their own exercise notebooks.

A learner working alone has no instructor to run ``nbgrader autograde``, and the student
versions in ``exercises/`` hold no hidden tests. This command grades their notebooks with
the course's hidden checks and the same judges as the instructor's autograde, judged
outside the learner's kernel, and prints per notebook a table of graded items and a total::

    gmm-check exercises/em_step_by_step/em_step_by_step.ipynb
    gmm-check --json                  # every notebook under exercises/, as JSON

How: it is stock ``nbgrader autograde`` with the course's own ``nbgrader_config.py``, run
on a temporary course folder that holds a copy of that config, ``source/<assignment>``
and ``quiz/`` (all in the learner's checkout of the repository), with each notebook
placed as the submission of a local student. Scores are read back from that temporary
gradebook and messages from the autograded notebook, so a score here equals the
instructor's autograde of the same notebook. Nothing of the real course folder (its
gradebook, exchange, release) is read or written.

The grading kernel runs in the course's bubblewrap sandbox where one can start; where it
cannot (no bubblewrap, no user namespaces) the kernel runs unsandboxed, and one line says
so. That is fair here: the learner grades their own work on their own machine. (The
instructor's autograde never falls back: that is :class:`gmm_grader.grading.JudgedExecute`.)

Messages never show solution code or an answer key: a failed hidden check shows the
judge's message (which names the mistake, never the answer), a wrong multiple-choice
letter shows "not yet" with the question's hint. The worked solutions that an
instructor's feedback shows after grading are left out.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path

import nbformat

from . import grading, sandbox

#: the student ids the notebooks are graded under in the temporary course
STUDENT = "learner{:03d}"
#: shown for a wrong multiple-choice answer whose question has no hint
DEFAULT_HINT = "re-read the question and each option, then try another letter"
UNSANDBOXED = (
    "gmm-check: no grading sandbox can start here ({why}); grading your notebook "
    "without one (your own code, on your own machine)"
)


def repository_course() -> Path | None:
    """The ``course/`` folder of the repository checkout this package is installed from."""
    candidate = Path(__file__).resolve().parents[2] / "course"
    return candidate if (candidate / "nbgrader_config.py").is_file() else None


def find_course(course: str | os.PathLike | None = None) -> Path:
    """The course folder: ``course``, else ``$GMM_LESSON_COURSE_ROOT``, else the repository's.

    Raises
    ------
    FileNotFoundError
        If the folder holds no ``nbgrader_config.py``, ``source/`` and ``quiz/``.
    """
    found = course or os.environ.get("GMM_LESSON_COURSE_ROOT") or repository_course()
    if found is None:
        raise FileNotFoundError(
            "course: no course folder found; pass --course (the repository's course/ folder)"
        )
    found = Path(found).resolve()
    for part in ("nbgrader_config.py", "source", "quiz"):
        if not (found / part).exists():
            raise FileNotFoundError(f"course: {found} has no {part}; pass the repository's course/ folder")
    return found


def assignment_of(notebook: Path, course: Path) -> str:
    """The assignment a learner's notebook belongs to: its folder's name, else its file name.

    Raises
    ------
    ValueError
        If neither names an assignment of the course.
    """
    for name in (notebook.parent.name, notebook.stem):
        if (course / "source" / name / f"{notebook.stem}.ipynb").is_file():
            return name
    known = ", ".join(sorted(p.name for p in (course / "source").iterdir() if p.is_dir()))
    raise ValueError(
        f"notebook: {notebook} is not one of the course's exercise notebooks "
        f"(<assignment>/<assignment>.ipynb for an assignment in {known})"
    )


def default_notebooks(exercises: Path) -> list[Path]:
    """Every exercise notebook under ``exercises`` (checkpoints left out)."""
    return sorted(p for p in exercises.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def sandbox_problem() -> str | None:
    """None if the grading sandbox can start here, else why not (one line)."""
    try:
        sandbox.check_available()
    except (sandbox.SandboxUnavailable, OSError, ValueError) as exc:
        return str(exc).splitlines()[0][:200]
    return None


# ------------------------------------------------------------------ what a learner may read
def _questions(source_nb) -> dict[str, str]:
    """{grade id: question id} of every test cell judged by a multiple-choice check."""
    found = {}
    for cell in source_nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id or grading.BEGIN not in cell.source:
            continue
        hidden = cell.source.partition(grading.BEGIN)[2].partition(grading.END)[0]
        for node in ast.walk(ast.parse(hidden)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check":
                for keyword in node.keywords:
                    if keyword.arg == "question" and isinstance(keyword.value, ast.Constant):
                        found[grade_id] = keyword.value.value
    return found


def _hints(course: Path) -> dict[str, str]:
    """{question id: hint} from the course's quiz data (never its key or solution)."""
    hints = {}
    for path in sorted((course / "quiz").glob("*.toml")):
        for question, entry in tomllib.loads(path.read_text()).items():
            if isinstance(entry, dict) and entry.get("hint"):
                hints[question] = " ".join(str(entry["hint"]).split())
    return hints


def _message(cell, question: str | None, hints: dict[str, str]) -> str:
    """What a graded cell says, from its error output only (the worked solution is not shown)."""
    errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
    if not errors:
        return "right"
    error = errors[0]
    if question is not None:
        if error.ename in ("NameError", "NotImplementedError"):
            return "not answered yet: set your answer to one letter, as a string in quotes"
        return f"not yet: {hints.get(question, DEFAULT_HINT)}"
    if error.ename == "NotImplementedError":
        return "not done yet: replace `raise NotImplementedError()` with your answer"
    text = error.evalue.strip() or "(no message)"
    if error.ename == grading.FAILED:
        return text
    return f"{error.ename}: {text}"


# ------------------------------------------------------------------ grading
def _temporary_course(course: Path, work: Path, assignments: set[str]) -> Path:
    root = work / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy2(course / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(course / "quiz", root / "quiz", ignore=shutil.ignore_patterns("__pycache__"))
    for name in assignments:
        shutil.copytree(
            course / "source" / name,
            root / "source" / name,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    return root


def _config(root: Path, use_sandbox: bool):
    """The course's own nbgrader config (as its copy in ``root`` reads), gradebook in ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = "sqlite:///" + str(root / "gradebook.db")
    config.Exchange.root = str(root / "exchange")
    # a learner grading their own work: a sandbox without a memory cgroup (a normal user's
    # machine) is still a sandbox; the instructor's grading keeps refusing that
    config.JudgedExecute.allow_no_memory_limit = True
    if not use_sandbox:
        config.JudgedExecute.sandbox = "none"
    return config


def _run(converter_class, config, assignment: str, student: str) -> str:
    """Run one nbgrader converter (as its command does); return its log; raise if it failed."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    app = converter_class(coursedir=coursedir, config=config)
    app.log.addHandler(handler)
    app.log.setLevel(logging.WARNING)
    app.log.propagate = False
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            app.start()
    except Exception as exc:  # nbgrader's own failure: report it with its log
        raise RuntimeError(f"nbgrader could not grade {assignment}: {exc}\n{log.getvalue()}") from exc
    finally:
        app.log.removeHandler(handler)
    return log.getvalue()


def check_notebooks(
    notebooks: Sequence[str | os.PathLike],
    *,
    course: str | os.PathLike | None = None,
    use_sandbox: bool | None = None,
    say=print,
) -> list[dict]:
    """Grade learner notebooks with the course's hidden checks, as ``nbgrader autograde`` does.

    Parameters
    ----------
    notebooks : sequence of path-like
        The learner's saved exercise notebooks (``<assignment>/<assignment>.ipynb``).
    course : path-like, optional
        The course folder (``nbgrader_config.py``, ``source/``, ``quiz/``); default
        :func:`find_course`.
    use_sandbox : bool, optional
        True: the grading sandbox (fail if it cannot start); False: none; None (default):
        the sandbox where one can start, else none, with one line through ``say``.
    say : callable
        Where the one line about the sandbox goes.

    Returns
    -------
    list of dict
        One per notebook, in order: ``notebook``, ``assignment``, ``score``, ``max_score``
        and ``items`` (``id``, ``score``, ``max_score``, ``message``), as the gradebook has them.

    Raises
    ------
    TypeError
        If ``notebooks`` is not a sequence of paths.
    ValueError
        If a notebook is not a course exercise notebook or cannot be read.
    FileNotFoundError
        If a notebook or the course folder is missing.
    """
    if isinstance(notebooks, str | bytes | os.PathLike) or not isinstance(notebooks, Sequence):
        raise TypeError(f"notebooks must be a sequence of paths, got {type(notebooks).__name__}")
    course = find_course(course)
    paths = [Path(p).resolve() for p in notebooks]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"notebook: no file {path}")
    plan = []
    for index, path in enumerate(paths):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:
            raise ValueError(f"notebook: {path} is not a readable notebook ({exc})") from None
        plan.append((path, assignment_of(path, course), STUDENT.format(index), nb))
    if use_sandbox is None:
        why = sandbox_problem()
        use_sandbox = why is None
        if why is not None:
            say(UNSANDBOXED.format(why=why))
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde, GenerateAssignment

    results = []
    with tempfile.TemporaryDirectory(prefix="gmm-check-") as tmp:
        root = _temporary_course(course, Path(tmp), {a for _, a, _, _ in plan})
        for path, assignment, student, nb in plan:
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / path.name)
        config = _config(root, use_sandbox)
        for assignment in sorted({a for _, a, _, _ in plan}):
            _run(GenerateAssignment, config, assignment, "*")
            _run(Autograde, config, assignment, "*")
        hints = _hints(course)
        with Gradebook(config.CourseDirectory.db_url) as gb:
            for path, assignment, student, _ in plan:
                results.append(_result(gb, root, course, path, assignment, student, hints))
    return results


def _result(gb, root: Path, course: Path, path: Path, assignment: str, student: str, hints) -> dict:
    name = path.stem
    source_nb = nbformat.read(course / "source" / assignment / f"{name}.ipynb", as_version=4)
    questions = _questions(source_nb)
    graded_path = root / "autograded" / student / assignment / f"{name}.ipynb"
    graded = nbformat.read(graded_path, as_version=4) if graded_path.is_file() else None
    cells = {}
    for cell in graded.cells if graded is not None else []:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            cells[grade_id] = cell
    submission = gb.find_submission_notebook(name, assignment, student)
    order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source_nb.cells]
    items = []
    for grade in sorted(submission.grades, key=lambda g: order.index(g.name) if g.name in order else 0):
        score = grade.score if grade.score is not None else 0.0
        cell = cells.get(grade.name)
        if cell is None:
            message = "not graded: the cell is missing"
        else:
            message = _message(cell, questions.get(grade.name), hints)
        items.append({"id": grade.name, "score": score, "max_score": grade.max_score, "message": message})
    return {
        "notebook": str(path),
        "assignment": assignment,
        "score": submission.score,
        "max_score": submission.max_score,
        "items": items,
    }


# ------------------------------------------------------------------ the command
def _points(value: float) -> str:
    return f"{value:g}"


def table(result: dict) -> str:
    """One notebook's result as a plain-text table with a total."""
    rows = [(item["id"], f"{_points(item['score'])}/{_points(item['max_score'])}", item["message"])
            for item in result["items"]]
    width = max([len("item"), *(len(r[0]) for r in rows)])
    lines = [f"{result['notebook']} ({result['assignment']})", f"  {'item':<{width}}  points  message"]
    for item_id, points, message in rows:
        lines.append(f"  {item_id:<{width}}  {points:>6}  {message}")
    lines.append(f"  {'total':<{width}}  {_points(result['score'])}/{_points(result['max_score'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``gmm-check [NOTEBOOK ...] [--json] [--course DIR] [--exercises DIR]``."""
    parser = argparse.ArgumentParser(
        prog="gmm-check",
        description="Grade your own exercise notebooks (the saved files) with the course's hidden checks.",
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks to check (default: every one in --exercises)")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per notebook")
    parser.add_argument("--course", help="the course folder (default: the repository's course/)")
    parser.add_argument(
        "--exercises",
        default=os.environ.get("GMM_LESSON_EXERCISES", "exercises"),
        help="where the exercise notebooks are (default: exercises/, or $GMM_LESSON_EXERCISES)",
    )
    parser.add_argument(
        "--sandbox", choices=("auto", "yes", "no"), default="auto",
        help="grade in the sandbox: auto (where one can start), yes, no",
    )
    args = parser.parse_args(argv)
    if os.environ.get("NBGRADER_EXECUTION"):  # a notebook's check cell, run while it is graded
        print("gmm-check: not run while nbgrader grades or validates a notebook", file=sys.stderr)
        return 0
    warnings.filterwarnings("ignore")  # nbgrader's and SQLAlchemy's, not the learner's business
    # nbgrader's gradebook runs the `alembic` command: find it beside this Python, also when
    # the environment is not activated (a notebook's "Check my work" cell, a Lab started as
    # .venv/bin/jupyter lab), rather than fail in a FileNotFoundError deep inside nbgrader.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bindir, os.environ.get("PATH")]))
    notebooks = args.notebooks or default_notebooks(Path(args.exercises))
    if not notebooks:
        print(f"gmm-check: no notebooks to check in {args.exercises}", file=sys.stderr)
        return 2
    use = {"auto": None, "yes": True, "no": False}[args.sandbox]
    try:
        results = check_notebooks(
            notebooks, course=args.course, use_sandbox=use, say=lambda line: print(line, file=sys.stderr)
        )
    except (TypeError, ValueError, FileNotFoundError, RuntimeError, sandbox.SandboxUnavailable) as exc:
        print(f"gmm-check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print("\n\n".join(table(r) for r in results))
        print("\n(graded: the saved files. Save your notebook first to check your latest work.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
