"""gmm_lesson.quiz: keys only as digests, solutions only sealed, and they agree with the
hidden tests of the course's source notebooks (the keys are parsed from there, never
written in this file).

The self-check exists only for the formative assignment (practice): a learner can try all
four letters, so a summative multiple-choice question (gmm_basics, choosing_k, or any
other assignment) must have neither a quiz record nor a quiz.check cell."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gmm_lesson import quiz

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "course" / "source"
TOOLS = ROOT / "course" / "tools"
ASSIGNMENTS = {name: f"build_{name}" for name in ("gmm_basics", "practice", "choosing_k")}
FORMATIVE = "practice"  # the one assignment whose multiple-choice questions have a self-check
SUMMATIVE = sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb") if p.stem == p.parent.name != FORMATIVE)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
EXPECTED = re.compile(r'^check\("choice", \w+, key="([A-D])"\)$', re.M)
ANSWER_VARIABLE = re.compile(r"isinstance\((\w+), str\)")
USES_QUIZ = re.compile(r"\bquiz\b")


def _notebook(name: str):
    return nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)


def _build_module(name: str):
    sys.path.insert(0, str(TOOLS))
    try:
        return importlib.import_module(ASSIGNMENTS[name])
    finally:
        sys.path.remove(str(TOOLS))


def _choice_cells(name: str) -> list:
    """The graded multiple-choice test cells of a notebook: a hidden ``check("choice", ...)`` line."""
    return [
        cell
        for cell in _notebook(name).cells
        if cell.metadata.get("nbgrader", {}).get("grade") and EXPECTED.search(cell.source)
    ]


def _keys_from_notebooks(names) -> dict[str, str]:
    """grade id -> the letter in its graded cell's hidden ``key="X"``."""
    keys = {}
    for name in names:
        for cell in _choice_cells(name):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            hidden = HIDDEN.findall(cell.source)
            assert len(hidden) == 1, f"{grade_id}: expected one hidden region"
            found = EXPECTED.findall(hidden[0])
            assert len(found) == 1, f"{grade_id}: expected one `check(\"choice\", ...)` line"
            assert EXPECTED.findall(cell.source) == found, f"{grade_id}: the key must be hidden"
            assert grade_id not in keys, f"{grade_id} is graded twice"
            keys[grade_id] = found[0]
    return keys


ALL_KEYS = _keys_from_notebooks(ASSIGNMENTS)
KEYS = {qid: key for qid, key in ALL_KEYS.items() if qid in quiz.question_ids()}
# every worked solution in the build scripts, self-checked (practice) or not
ALL_SOLUTIONS = {
    qid: text.strip() for name in ASSIGNMENTS for qid, (_, text) in _build_module(name).SOLUTIONS.items()
}
SOLUTIONS = {qid: text for qid, text in ALL_SOLUTIONS.items() if qid in quiz.question_ids()}


def test_every_question_is_graded_in_exactly_one_notebook():
    assert sorted(KEYS) == sorted(quiz.question_ids())


# --------------------------------------------------------------------------- formative only
def test_quiz_holds_exactly_the_practice_questions():
    practice = [cell.metadata["nbgrader"]["grade_id"] for cell in _choice_cells(FORMATIVE)]
    assert len(practice) == 5
    assert quiz.question_ids() == practice
    assert sorted(quiz._SEALED) == sorted(practice)  # no record left behind for a removed question


def test_every_practice_question_keeps_its_self_check():
    cells = _notebook(FORMATIVE).cells
    assert "from gmm_lesson import" in cells[1].source and "quiz" in cells[1].source
    ids = [cell.id for cell in cells]
    for cell in _choice_cells(FORMATIVE):
        qid = cell.metadata["nbgrader"]["grade_id"]
        (variable,) = ANSWER_VARIABLE.findall(cell.source)
        before = cells[ids.index(cell.id) - 1]  # answer, self-check, then the graded test
        assert before.cell_type == "code" and f'quiz.check("{qid}", {variable})' in before.source, qid


def test_summative_assignments_are_the_rest_of_the_course():
    assert {"gmm_basics", "choosing_k", "em_step_by_step"} <= set(SUMMATIVE)
    assert FORMATIVE not in SUMMATIVE


@pytest.mark.parametrize("name", SUMMATIVE)
def test_summative_multiple_choice_has_no_self_check(name):
    """A learner could try every letter with quiz.check before submitting: summative
    multiple-choice questions must have no quiz record and no quiz cell at all."""
    nb = _notebook(name)
    choices = _choice_cells(name)
    if name in ("gmm_basics", "choosing_k"):
        assert len(choices) == 3
    for cell in choices:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        (variable,) = ANSWER_VARIABLE.findall(cell.source)
        assert grade_id not in quiz.question_ids() and grade_id not in quiz._SEALED, grade_id
        for letter in quiz.LETTERS:
            with pytest.raises(ValueError, match="question_id must be one of"):
                quiz.check(grade_id, letter)
        for other in nb.cells:
            if other.cell_type == "code":
                assert grade_id not in other.source or other is cell or other.id == f"{grade_id}_answer", (
                    f"{name}/{other.id} mentions {grade_id}"
                )
                assert not re.search(rf"quiz\.\w+\([^)]*\b{variable}\b", other.source), f"{name}/{other.id}"
    for other in nb.cells:
        if other.cell_type == "code":
            assert not USES_QUIZ.search(other.source), f"{name}/{other.id} uses gmm_lesson.quiz"


@pytest.mark.parametrize("name", sorted(set(ASSIGNMENTS) - {FORMATIVE}))
def test_summative_worked_solutions_are_in_the_hidden_tests_only(name):
    """No self-check, so the worked solution reaches a learner in nbgrader's feedback,
    which shows the hidden tests after grading."""
    for cell in _choice_cells(name):
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        (hidden,) = HIDDEN.findall(cell.source)
        solution = ALL_SOLUTIONS[grade_id]
        assert f"Answer: {ALL_KEYS[grade_id]}" in solution
        for line in solution.splitlines():
            assert f"# {line}".rstrip() in hidden.splitlines(), f"{grade_id}: {line!r} not hidden"


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_digest_matches_the_notebook_key(qid):
    question = quiz.ask(qid)
    key = KEYS[qid]
    assert quiz.digest(qid, key, question.salt) == question.answer_digest
    for letter in quiz.LETTERS:
        assert quiz.check(qid, letter).correct == (letter == key)


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_right_answer_reveals_the_worked_solution(qid):
    feedback = quiz.check(qid, KEYS[qid])
    assert feedback.correct and bool(feedback)
    assert feedback.solution == SOLUTIONS[qid]
    assert feedback.solution in feedback.markdown()
    assert f"Answer: {KEYS[qid]}" in feedback.solution  # the solution names the letter it explains


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_wrong_answers_give_hint_and_mistakes_not_the_solution(qid):
    question = quiz.ask(qid)
    for letter in set(quiz.LETTERS) - {KEYS[qid]}:
        feedback = quiz.check(qid, letter)
        assert not feedback.correct and not bool(feedback)
        assert feedback.solution is None
        text = feedback.markdown()
        assert question.hint in text
        assert all(m in text for m in question.mistakes) and len(question.mistakes) >= 2
        assert "Try again" in text
        # the wrong letter's keystream does not open the sealed solution
        try:
            opened = quiz.unseal(qid, letter, question.sealed_solution)
        except UnicodeDecodeError:
            opened = None
        assert opened != SOLUTIONS[qid]


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_sealed_records_are_up_to_date_with_the_build_scripts(qid):
    sys.path.insert(0, str(TOOLS))
    try:
        content_cells = importlib.import_module("content_cells")
    finally:
        sys.path.remove(str(TOOLS))
    question = quiz.ask(qid)
    salt, digest, sealed = content_cells.record(qid, KEYS[qid], SOLUTIONS[qid])
    assert (question.salt, question.answer_digest, question.sealed_solution) == (salt, digest, sealed), (
        "quiz.py is stale: run course/tools/build_<assignment>.py --update-quiz"
    )


def test_quiz_source_holds_no_plaintext_solution_or_key():
    source = (ROOT / "gmm_lesson" / "quiz.py").read_text()
    for qid, solution in ALL_SOLUTIONS.items():
        for line in solution.splitlines():
            line = line.strip()
            if len(line) > 20:
                assert line not in source, f"{qid}: solution text in quiz.py: {line!r}"
        key = ALL_KEYS[qid]
        for pattern in (f'"{qid}": "{key}"', f"'{qid}': '{key}'", f'expected = "{key}"'):
            assert pattern not in source
    assert "expected =" not in source
    # no attribute of a question is the bare key letter
    for qid in quiz.question_ids():
        question = quiz.ask(qid)
        for value in (question.salt, question.answer_digest, question.sealed_solution, question.hint):
            assert value.strip().upper() not in quiz.LETTERS


def test_answers_are_normalised():
    qid = quiz.question_ids()[0]
    key = KEYS[qid]
    assert quiz.check(qid, f"  {key.lower()} \n").correct
    assert quiz.check(qid, key).answer == key


@pytest.mark.parametrize("bad", ["E", "", "AB", "1", "answer A"])
def test_answer_not_a_letter_is_a_value_error(bad):
    with pytest.raises(ValueError, match="answer must be one of"):
        quiz.check("practice_q1", bad)


@pytest.mark.parametrize("bad", [1, None, ["A"], b"A"])
def test_answer_not_a_string_is_a_type_error(bad):
    with pytest.raises(TypeError, match="answer must be a string"):
        quiz.check("practice_q1", bad)


def test_unknown_question_is_a_value_error():
    with pytest.raises(ValueError, match="question_id must be one of"):
        quiz.check("q99", "A")
    with pytest.raises(ValueError, match="question_id must be one of"):
        quiz.ask("practice_q6")
    with pytest.raises(TypeError, match="question_id must be a string"):
        quiz.ask(3)


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_question_shows_text_and_four_options(qid):
    question = quiz.ask(qid)
    assert question.level in ("easy", "medium", "hard")
    assert list(question.options) == list(quiz.LETTERS)
    text = question._repr_markdown_()
    assert question.text in text and all(option in text for option in question.options.values())
    assert qid in str(question) and qid in repr(question)


@given(st.text(), st.sampled_from(quiz.question_ids()), st.sampled_from(quiz.LETTERS))
def test_seal_round_trip(text, qid, letter):
    token = quiz.seal(qid, letter, text)
    assert quiz.unseal(qid, letter, token) == text
    if len(text) >= 8:
        assert text not in token


# --------------------------------------------------------------------------- the notebooks
def _released_view(source: str) -> str:
    """What nbgrader leaves of a cell for students: no solution, no hidden tests."""
    return SOLUTION.sub("", HIDDEN.sub("", source))


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_released_parts_of_notebooks_hold_no_key_or_solution(name):
    nb = _notebook(name)
    released = "\n".join(_released_view(cell.source) for cell in nb.cells)
    assert "expected =" not in released
    assert not re.search(r'answer_q\d+\s*=\s*["\'][A-D]["\']', released)
    for solution in ALL_SOLUTIONS.values():
        for line in solution.splitlines():
            if len(line.strip()) > 20:
                assert line.strip() not in released


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_notebooks_are_committed_without_outputs_and_match_their_build_script(name):
    nb = _notebook(name)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    built = _build_module(name).cells()
    assert [(c.id, c.cell_type, c.source, c.metadata) for c in nb.cells] == [
        (c.id, c.cell_type, c.source, c.metadata) for c in built
    ], f"{name}.ipynb is stale: run course/tools/{ASSIGNMENTS[name]}.py"


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_graded_cells_have_valid_nbgrader_metadata(name):
    nb = _notebook(name)
    grade_ids = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_ids.append(meta["grade_id"])
        assert meta["schema_version"] == 3 and meta["task"] is False
        assert cell.id == meta["grade_id"]
        if meta["grade"]:
            assert meta["locked"] and not meta["solution"] and meta["points"] > 0
        else:
            assert meta["solution"] and not meta["locked"]
            assert len(SOLUTION.findall(cell.source)) == 1
    assert len(grade_ids) == len(set(grade_ids))
    # every answer cell is followed, later, by a graded test cell
    assert sum(1 for g in grade_ids if g.endswith("_answer")) == sum(
        1 for g in grade_ids if not g.endswith("_answer")
    )
