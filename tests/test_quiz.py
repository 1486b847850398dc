"""gmm_lesson.quiz: keys only as digests, solutions only sealed, and they agree with the
course's quiz data files (course/quiz/<assignment>.toml, the one place a question, its
key and its worked solution are written; the keys are read from there, never written in
this file), which the source notebooks' hidden tests name by question id.

Every multiple-choice question of every assignment has a self-check (issue 16): a
``quiz.check`` cell after its answer cell, whose feedback for a wrong letter shows only
what that letter gets wrong (never the other letters' mistakes, which would give the
answer away by elimination) and whose worked solution only the right letter opens."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from gmm_grader import judge
from hypothesis import given
from hypothesis import strategies as st

from gmm_lesson import quiz, quiz_records

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "course" / "source"
ASSIGNMENTS = ("gmm_basics", "practice", "choosing_k", "em_in_depth")
WITH_CHOICES = (*ASSIGNMENTS, "em_step_by_step")  # its answer cells are code, not *_answer
FORMATIVE = "practice"  # formative: its self-check cells are its own (the others' come from sync.py)
SUMMATIVE = sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb") if p.stem == p.parent.name != FORMATIVE)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
EXPECTED = re.compile(r'^check\("choice", (\w+), question="(\w+)"\)$', re.M)
ANSWER_VARIABLE = re.compile(r"isinstance\((\w+), str\)")
USES_QUIZ = re.compile(r"\bquiz\b")


def _notebook(name: str):
    return nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)


def _load_sync():
    """course/quiz/sync.py, the data files' reader and the one writer of what derives from them."""
    spec = importlib.util.spec_from_file_location("quiz_sync", ROOT / "course" / "quiz" / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SYNC = _load_sync()
# question id -> its data, from every data file
DATA = {qid: q for name in SYNC.assignments() for qid, q in SYNC.load(name)["questions"].items()}


def _choice_cells(name: str) -> list:
    """The graded multiple-choice test cells of a notebook: a hidden ``check("choice", ...)`` line."""
    return [
        cell
        for cell in _notebook(name).cells
        if cell.metadata.get("nbgrader", {}).get("grade") and EXPECTED.search(cell.source)
    ]


def _keys_from_notebooks(names) -> dict[str, str]:
    """grade id -> the key its hidden ``check("choice", ..., question=...)`` line names in the data."""
    keys = {}
    for name in names:
        for cell in _choice_cells(name):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            hidden = HIDDEN.findall(cell.source)
            assert len(hidden) == 1, f"{grade_id}: expected one hidden region"
            found = EXPECTED.findall(hidden[0])
            assert len(found) == 1, f"{grade_id}: expected one `check(\"choice\", ...)` line"
            assert EXPECTED.findall(cell.source) == found, f"{grade_id}: the check must be hidden"
            (variable, question), = found
            assert question == grade_id, f"{grade_id}: its hidden check names {question}"
            assert variable == DATA[grade_id]["variable"], grade_id
            assert grade_id not in keys, f"{grade_id} is graded twice"
            keys[grade_id] = DATA[grade_id]["key"]
    return keys


ALL_KEYS = _keys_from_notebooks(WITH_CHOICES)
KEYS = {qid: key for qid, key in ALL_KEYS.items() if qid in quiz.question_ids()}
# every worked solution in the data files, self-checked (practice) or not
ALL_SOLUTIONS = {qid: q["solution"] for qid, q in DATA.items() if "solution" in q}
SOLUTIONS = {qid: text for qid, text in ALL_SOLUTIONS.items() if qid in quiz.question_ids()}


def test_every_question_is_graded_in_exactly_one_notebook():
    assert sorted(KEYS) == sorted(quiz.question_ids())
    assert sorted(ALL_KEYS) == sorted(DATA)  # no data without a graded cell, no graded cell without data


def test_no_key_is_written_in_a_notebook_or_its_twin():
    """The key is written once, in the data file; the only other place it stands is the
    source notebook's answer cell (a solution region), which sync.py writes from the data."""
    for path in [*SOURCE.glob("*/*.ipynb"), *(ROOT / "course" / "text").glob("*/*.py")]:
        text = path.read_text()
        assert not re.search(r"check\(.*\bkey=", text), path
        assert "Worked solution" not in text, path


# --------------------------------------------------------------------------- every question
def test_quiz_holds_every_multiple_choice_question_of_the_course():
    graded = [cell.metadata["nbgrader"]["grade_id"] for name in WITH_CHOICES for cell in _choice_cells(name)]
    assert len(graded) == 15
    assert sorted(quiz.question_ids()) == sorted(graded)
    # no record left behind for a removed question; the package holds the formative ones only:
    # a graded question's key, solution and hint are not shipped to every student
    formative = [cell.metadata["nbgrader"]["grade_id"] for cell in _choice_cells(FORMATIVE)]
    assert sorted(r["question_id"] for r in quiz_records.RECORDS) == sorted(formative)
    assert sorted(quiz_records.GRADED) == sorted(set(graded) - set(formative))
    package = (ROOT / "gmm_lesson" / "quiz_records.py").read_text()
    for qid in quiz_records.GRADED:
        assert DATA[qid]["hint"] not in package
        assert not any(mistake in package for mistake in DATA[qid]["wrong"].values())


def test_a_graded_question_away_from_the_course_reveals_nothing(tmp_path, monkeypatch):
    """In a class (no course folder) or a grading sandbox: no key, no hint, no solution."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GMM_LESSON_COURSE", raising=False)
    assert quiz.course_quiz_folder() is None
    for qid in quiz_records.GRADED:
        answers = {letter: quiz.check(qid, letter) for letter in quiz.LETTERS}
        for feedback in answers.values():
            assert not feedback.correct and feedback.note == quiz.UNAVAILABLE
        assert len({feedback.markdown() for feedback in answers.values()}) == 1  # the same for every letter
        text = answers["A"].markdown()
        assert DATA[qid]["hint"] not in text and SOLUTIONS[qid] not in text
        with pytest.raises(ValueError, match="graded by your instructor"):
            quiz.ask(qid)
    # the practice questions still work anywhere (JupyterLite included)
    assert quiz.check("practice_q1", KEYS["practice_q1"]).correct
    # with the course named (run.py lab does), the graded self-check works from any folder
    monkeypatch.setenv("GMM_LESSON_COURSE", str(ROOT / "course"))
    qid = next(iter(quiz_records.GRADED))
    assert quiz.check(qid, KEYS[qid]).correct and quiz.check(qid, KEYS[qid]).solution == SOLUTIONS[qid]


@pytest.mark.parametrize("name", WITH_CHOICES)
def test_every_multiple_choice_question_has_its_self_check_cell(name):
    cells = _notebook(name).cells
    ids = [cell.id for cell in cells]
    for cell in _choice_cells(name):
        qid = cell.metadata["nbgrader"]["grade_id"]
        (variable,) = ANSWER_VARIABLE.findall(cell.source)
        before = cells[ids.index(cell.id) - 1]  # answer, self-check, then the graded test
        assert before.cell_type == "code" and f'quiz.check("{qid}", {variable})' in before.source, qid
        assert "nbgrader" not in before.metadata or not before.metadata["nbgrader"].get("grade"), qid
        answer = cells[ids.index(cell.id) - 2]
        assert answer.metadata.get("nbgrader", {}).get("solution"), f"{qid}: the answer cell comes first"


def test_summative_assignments_are_the_rest_of_the_course():
    assert {"gmm_basics", "choosing_k", "em_step_by_step"} <= set(SUMMATIVE)
    assert FORMATIVE not in SUMMATIVE


@pytest.mark.parametrize("name", sorted(set(WITH_CHOICES) - {FORMATIVE}))
def test_summative_worked_solutions_are_in_the_data_file_only(name):
    """No self-check, so the worked solution reaches a learner in nbgrader's feedback: the
    grader reads it from the data file and shows it as the graded cell's output
    (tests/test_grading.py). It is in no cell of the notebook."""
    nb = _notebook(name)
    for cell in _choice_cells(name):
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        solution = ALL_SOLUTIONS[grade_id]
        assert f"Answer: {ALL_KEYS[grade_id]}" in solution
        options, shown = judge.resolve("choice", {"question": grade_id}, ROOT / "course")
        assert options == {"key": ALL_KEYS[grade_id]} and shown == f"Worked solution:\n{solution}"
        for line in solution.splitlines():
            if len(line.strip()) > 20:
                assert not any(line.strip() in other.source for other in nb.cells), f"{grade_id}: {line!r}"


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
def test_a_wrong_letter_shows_its_own_mistake_only_and_not_the_solution(qid):
    question = quiz.ask(qid)
    wrong = DATA[qid]["wrong"]
    assert sorted(wrong) == sorted(set(quiz.LETTERS) - {KEYS[qid]})
    for letter in wrong:
        feedback = quiz.check(qid, letter)
        assert not feedback.correct and not bool(feedback)
        assert feedback.solution is None and feedback.mistakes == (wrong[letter],)
        text = feedback.markdown()
        assert question.hint in text and wrong[letter] in text and "Try again" in text
        for other, mistake in wrong.items():  # no elimination: the other letters' mistakes stay sealed
            assert other == letter or mistake not in text, (qid, letter, other)
        for mistake in DATA[qid].get("mistakes", ()):
            assert mistake not in text or mistake == wrong[letter]
        # (a wrong letter's text may say in its own words what the solution says of that option)
        assert SOLUTIONS[qid] not in text and f"Answer: {KEYS[qid]}" not in text
        # the wrong letter's keystream does not open the right letter's token
        right = question.sealed[KEYS[qid]]
        try:
            opened = quiz.unseal(qid, letter, right)
        except UnicodeDecodeError:
            opened = None
        assert opened is None or SOLUTIONS[qid] not in opened


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_the_sealed_texts_do_not_tell_the_key_by_their_length(qid):
    lengths = {len(token) for token in quiz.ask(qid).sealed.values()}
    assert len(lengths) == 1 and sorted(quiz.ask(qid).sealed) == list(quiz.LETTERS)


@pytest.mark.parametrize("qid", quiz.question_ids())
def test_sealed_records_are_up_to_date_with_the_data_files(qid):
    question = quiz.ask(qid)
    data = DATA[qid]
    salt, digest, sealed = SYNC.record(qid, KEYS[qid], SOLUTIONS[qid], data["wrong"])
    assert (question.salt, question.answer_digest, question.sealed) == (salt, digest, sealed), (
        "gmm_lesson/quiz_records.py is stale: run course/quiz/sync.py"
    )
    assert (question.level, question.text, list(question.options.values()), question.hint) == (
        data.get("level", ""), data.get("text", ""), data.get("options", []), data["hint"]
    )
    assert list(question.mistakes) == data.get("mistakes", [])


def test_quiz_source_holds_no_plaintext_solution_or_key():
    source = "".join((ROOT / "gmm_lesson" / f).read_text() for f in ("quiz.py", "quiz_records.py"))
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
        for value in (question.salt, question.answer_digest, *question.sealed.values(), question.hint):
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
    if not DATA[qid].get("text"):  # em_step_by_step: the question is written in its notebook
        assert question.options == {} and "in its notebook" in str(question)
        return
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


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_parts_of_notebooks_hold_no_key_or_solution(name):
    nb = _notebook(name)
    released = "\n".join(_released_view(cell.source) for cell in nb.cells)
    assert "expected =" not in released
    assert not re.search(r'answer_q\d+\s*=\s*["\'][A-D]["\']', released)
    for solution in ALL_SOLUTIONS.values():
        for line in solution.splitlines():
            if len(line.strip()) > 20:
                assert line.strip() not in released


@pytest.mark.parametrize("name", ASSIGNMENTS)
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
