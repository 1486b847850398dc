"""Cell builders shared by build_gmm_basics.py, build_practice.py and build_choosing_k.py.

Kept out of the package: these scripts hold the graded answer keys and the
plain-text worked solutions, which must never ship in ``gmm_lesson``.

Two kinds of multiple-choice question:

* **Formative** (``practice``), :func:`self_check_choice`, four cells:

  1. the question (Markdown, from :func:`gmm_lesson.quiz.ask`),
  2. the answer cell ``answer_qN = "X"`` inside ``### BEGIN SOLUTION`` / ``### END SOLUTION``
     (students get ``raise NotImplementedError()``),
  3. a self-check cell calling :func:`gmm_lesson.quiz.check` (instant feedback),
  4. a locked, graded test cell: a visible format check and, hidden, ``check("choice", answer_qN, key="X")``.

  A learner can try every letter with the self-check, so these points measure
  engagement, not mastery.

* **Summative** (``gmm_basics``, ``choosing_k``), :func:`graded_choice`: cells 1, 2 and 4
  only, the question written in the build script, and no record in ``gmm_lesson.quiz``.
  The worked solution is a comment in the hidden tests, so a learner reads it in
  nbgrader's feedback, after grading.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from gmm_lesson import quiz  # noqa: E402

QUIZ_PY = REPO / "gmm_lesson" / "quiz.py"


def nbgrader_metadata(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None
) -> dict:
    """nbgrader's cell metadata (schema 3) for an answer or a graded test cell."""
    meta = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "schema_version": 3,
        "grade_id": grade_id,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(cell_id: str, source: str):
    """A Markdown cell."""
    return new_markdown_cell(source.strip("\n"), id=cell_id)


def code(cell_id: str, source: str):
    """An ordinary (ungraded) code cell."""
    return new_code_cell(source.strip("\n"), id=cell_id)


def answer(grade_id: str, source: str):
    """An autograded answer cell; ``source`` holds the BEGIN/END SOLUTION region."""
    if "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
        raise ValueError(f"answer cell {grade_id!r} needs a ### BEGIN SOLUTION / ### END SOLUTION region")
    return new_code_cell(
        source.strip("\n"),
        id=grade_id,
        metadata=nbgrader_metadata(grade_id, grade=False, solution=True, locked=False),
    )


def test(grade_id: str, source: str, points: int):
    """A locked, graded test cell (may contain a HIDDEN TESTS region)."""
    return new_code_cell(
        source.strip("\n"),
        id=grade_id,
        metadata=nbgrader_metadata(grade_id, grade=True, solution=False, locked=True, points=points),
    )


def hidden_checks(checks: str, comment: str = "") -> str:
    """The hidden part of a test cell: ``check(...)`` lines that the grader reads, never runs.

    In an autograded notebook only the student's values reach the student's kernel; the
    judge (``gmm_lesson.judge``) and its options, such as the key, stay with the grader.
    """
    return (
        "### BEGIN HIDDEN TESTS\n"
        + comment
        + "from gmm_lesson.judge import check\n\n"
        + checks.strip()
        + "\n### END HIDDEN TESTS"
    )


def question_markdown(question_id: str, level: str, text: str, options: list[str]) -> str:
    """A question and its options A-D as Markdown, laid out as :meth:`gmm_lesson.quiz.Question.markdown`."""
    if len(options) != len(quiz.LETTERS):
        raise ValueError(f"{question_id}: expected {len(quiz.LETTERS)} options, got {len(options)}")
    pairs = zip(quiz.LETTERS, options, strict=True)
    lines = "\n".join(f"- **{letter}.** {option}" for letter, option in pairs)
    return f"**{question_id}** ({level})\n\n{text}\n\n{lines}"


def _choice_cells(
    question_id: str, variable: str, key: str, points: int, question: str, explanation: str = ""
) -> tuple:
    """(question, answer, test) cells; ``explanation`` goes, commented, into the hidden tests."""
    if key not in quiz.LETTERS:
        raise ValueError(f"key must be one of {quiz.LETTERS}, got {key!r}")
    comment = "".join(f"# {line}".rstrip() + "\n" for line in explanation.strip("\n").splitlines())
    if comment:
        comment = "# Worked solution (shown in the feedback after grading):\n" + comment + "\n"
    text = md(f"{question_id}_text", question
              + f"\n\nIn the next cell, set `{variable}` to your letter, as a string in quotes.")
    solution = answer(f"{question_id}_answer", f'### BEGIN SOLUTION\n{variable} = "{key}"\n### END SOLUTION')
    graded = test(
        question_id,
        f'assert isinstance({variable}, str) and {variable}.strip().upper() in ("A", "B", "C", "D"), \\\n'
        f'    "{variable} must be one of the letters A, B, C, D"\n'
        + hidden_checks(f'check("choice", {variable}, key="{key}")', comment),
        points,
    )
    return text, solution, graded


def self_check_choice(question_id: str, variable: str, key: str, points: int = 1) -> list:
    """A formative question: question from ``gmm_lesson.quiz``, answer, self-check, graded test."""
    question = quiz.ask(question_id).markdown()
    text, solution, graded = _choice_cells(question_id, variable, key, points, question)
    feedback = code(
        f"{question_id}_feedback",
        "# instant feedback: a hint if wrong, the worked solution if right\n"
        f'quiz.check("{question_id}", {variable})',
    )
    return [text, solution, feedback, graded]


def graded_choice(
    question_id: str, variable: str, key: str, question: str, explanation: str, points: int = 1
) -> list:
    """A summative question: no self-check; ``question`` from :func:`question_markdown`,
    ``explanation`` (the worked solution) only in the hidden tests."""
    if question_id in quiz.question_ids():
        raise ValueError(f"{question_id} is summative: it must not have a record in gmm_lesson/quiz.py")
    return list(_choice_cells(question_id, variable, key, points, question, explanation))


def graded_from(question_id: str, variable: str, questions: dict, solutions: dict) -> list:
    """:func:`graded_choice` for a question of a build script's ``QUESTIONS``/``SOLUTIONS`` tables."""
    key, solution = solutions[question_id]
    return graded_choice(question_id, variable, key, question_markdown(question_id, *questions[question_id]),
                         solution.strip())


def notebook(cells: list):
    """An nbformat 4.5 notebook with the venv's python3 kernel and no outputs."""
    nb = new_notebook(cells=cells)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def write(nb, name: str) -> Path:
    """Write ``nb`` to ``course/source/<name>/<name>.ipynb``."""
    path = REPO / "course" / "source" / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- quiz records
def record(question_id: str, key: str, solution: str) -> tuple[str, str, str]:
    """``(salt, digest, sealed solution)`` for :data:`gmm_lesson.quiz._SEALED`.

    The salt is derived from the question id and solution text, so rebuilding gives
    the same record and a test can tell whether quiz.py is up to date.
    """
    salt = hashlib.sha256(f"gmm-lesson|{question_id}|{solution}".encode()).hexdigest()[:16]
    return salt, quiz.digest(question_id, key, salt), quiz.seal(question_id, key, solution)


_RECORD_LINE = re.compile(r'^    "(?P<qid>\w+)": \(.*\),  # noqa: E501$', re.M)


def update_quiz(solutions: dict[str, tuple[str, str]]) -> None:
    """Rewrite the ``_SEALED`` entries of gmm_lesson/quiz.py for these questions.

    ``solutions`` maps question id -> (key, worked solution in Markdown).
    """
    text = QUIZ_PY.read_text()
    entries = {m["qid"]: m[0] for m in _RECORD_LINE.finditer(text)}
    for qid, (key, solution) in solutions.items():
        salt, dig, sealed = record(qid, key, solution)
        entries[qid] = f'    "{qid}": ("{salt}", "{dig}", "{sealed}"),  # noqa: E501'
    if quiz.question_ids():  # drop the records of questions removed from quiz.py, in its order
        ordered = [entries[q] for q in quiz.question_ids() if q in entries]
    else:  # bootstrapping an empty quiz.py
        ordered = list(entries.values())
    start = text.index("_SEALED: dict[str, tuple[str, str, str]] = {\n") + len(
        "_SEALED: dict[str, tuple[str, str, str]] = {\n"
    )
    end = text.index("}\n", start)  # the dict's closing brace, alone on its line
    QUIZ_PY.write_text(text[:start] + "".join(line + "\n" for line in ordered) + text[end:])
