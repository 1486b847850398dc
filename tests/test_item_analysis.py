"""The instructor's item analysis (gmm_grader.item_analysis) on a synthetic class with known
answers: seven students' ``practice`` notebooks, autograded by stock ``nbgrader autograde``
with the course's config (sandbox included) in the session's graded class
(tests/graded_class.py: ann and ben are the round trip's alice and bob, graded once for
both when tests/test_nbgrader_e2e.py runs too); the report is
made with the documented command and every figure is checked against the table below:
pass rates, letter counts and top messages exactly, the point-biserial against numpy's
``corrcoef`` of the same table. The HTML is opened once in Debian's chromium.

Unit tests on fabricated data cover the statistics, the letter reader and the escaping.
"""

from __future__ import annotations

import csv
import html
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import graded_class as gc
import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest
from browser_helpers import launch_chromium, require_chromium
from gmm_grader import item_analysis as ia

A = "practice"
KEYS = {"q1": "A", "q2": "C", "q3": "B", "q4": "C", "q5": "A"}
X_LINE = "X_q3 = np.array([[1], [2], [3], [10], [11], [12]])\n"
HOSTILE = "<script>alert(1)</script>"

# student: {question: the answer cell's code}; a missing question keeps the solution.
# None: the untouched release.
CLASS = {
    "ann": {},
    "ben": None,
    "cat": {"q1": 'answer_q1 = "B"'},
    "dan": {
        "q1": "answer_q1 = ' b '",
        "q2": 'answer_q2 = "A"',
        "code": X_LINE + "labels_q3 = [0, 0, 0, 0, 1, 1]",
    },
    "eve": {"q1": 'answer_q1 = "E"', "code": X_LINE + "labels_q3 = [0, 1]", "q3": 'answer_q3 = "D"'},
    "fay": {
        "q1": "answer_q1 = chr(65)",
        "q2": 'answer_q2 = "B"',
        "q4": 'answer_q4 = "A"',
        "q5": f"answer_q5 = {HOSTILE!r}",
    },
    "gus": {"code": X_LINE + "labels_q3 = [1, 1, 1, 0, 0, 0]", "q5": 'answer_q5 = "B"'},
}
ANSWER_CELLS = {f"q{i}": f"practice_q{i}_answer" for i in range(1, 6)} | {"code": "q3_code_answer"}

# What the table above must give, worked out by hand.
CELLS = ["practice_q1", "practice_q2", "practice_q3_code", "practice_q3", "practice_q4", "practice_q5"]
POINTS = {
    "practice_q1": 1,
    "practice_q2": 1,
    "practice_q3_code": 2,
    "practice_q3": 1,
    "practice_q4": 1,
    "practice_q5": 1,
}
PASSED = {  # who gets full points for each cell
    "practice_q1": {"ann", "fay", "gus"},  # chr(65) is "A" when run
    "practice_q2": {"ann", "cat", "eve", "gus"},
    "practice_q3_code": {"ann", "cat", "fay", "gus"},
    "practice_q3": {"ann", "cat", "dan", "fay", "gus"},
    "practice_q4": {"ann", "cat", "dan", "eve", "gus"},
    "practice_q5": {"ann", "cat", "dan", "eve"},
}
TOTALS = {"ann": 7, "ben": 0, "cat": 6, "dan": 3, "eve": 3, "fay": 4, "gus": 6}
NO, LIT = ia.NO_ANSWER, ia.NOT_A_LITERAL
LETTERS = {
    "practice_q1_answer": {"A": 2, "B": 2, "E": 1, NO: 1, LIT: 1},
    "practice_q2_answer": {"C": 4, "A": 1, "B": 1, NO: 1},
    "practice_q3_answer": {"B": 5, "D": 1, NO: 1},
    "practice_q4_answer": {"C": 5, "A": 1, NO: 1},
    "practice_q5_answer": {"A": 4, "B": 1, HOSTILE.upper(): 1, NO: 1},
}
WRONG_LETTER = "HiddenTestFailed: hidden test 'choice': that is not the right letter"


def not_a_letter(q: str) -> str:
    return f"AssertionError: answer_{q} must be one of the letters A, B, C, D"


def undefined(name: str) -> str:
    return f"NameError: name '{name}' is not defined"


MESSAGES = {
    "practice_q1": {WRONG_LETTER: 2, not_a_letter("q1"): 1, undefined("answer_q1"): 1},
    "practice_q2": {WRONG_LETTER: 2, undefined("answer_q2"): 1},
    "practice_q3_code": {
        undefined("labels_q3"): 1,
        "HiddenTestFailed: hidden test 'two_cluster_split': "
        "the labels do not split {1, 2, 3} from {10, 11, 12}": 1,
        "AssertionError: labels_q3 must hold one label for each of the 6 points": 1,
    },
    "practice_q3": {WRONG_LETTER: 1, undefined("answer_q3"): 1},
    "practice_q4": {WRONG_LETTER: 1, undefined("answer_q4"): 1},
    "practice_q5": {not_a_letter("q5"): 1, WRONG_LETTER: 1, undefined("answer_q5"): 1},
}


def builder(answers: dict[str, str] | None):
    """``build(release_nb, folder)``: the solution with ``answers`` written in, or the
    untouched release (``None``)."""

    def build(release_nb: nbformat.NotebookNode, folder: Path) -> None:
        if answers is not None:
            source = h.read(h.source_notebook_path(A))
            h.fill_solutions(release_nb, source, {ANSWER_CELLS[q]: code for q, code in answers.items()})
        nbformat.write(release_nb, folder / f"{A}.ipynb")

    return build


def expected(student: str) -> dict[str, float]:
    return gc.expected_scores(A, {cell for cell in CELLS if student not in PASSED[cell]})


for _student, _answers in CLASS.items():
    gc.register(
        _student, A, builder(_answers), expected(_student), origin="test_item_analysis", feedback=False
    )


@pytest.fixture(scope="module")
def graded(graded_class):
    """The synthetic class, autograded in the session's graded class; returns (course root,
    env, report folder, {student: the id the gradebook and the report know them by})."""
    ids = {student: graded_class.graded_as(A, student) for student in CLASS}
    # the report is on every practice submission of the gradebook: only this class's
    assert graded_class.students(A) == set(ids.values()), "another module graded practice: see CLASS"
    proc, seconds = graded_class.batch(A, "ann")
    assert proc.returncode == 0, f"autograde {A} failed after {seconds:.0f} s\n{proc.stderr}"
    root, env = graded_class.root, graded_class.env
    proc = subprocess.run(
        [sys.executable, "-m", "gmm_grader.item_analysis", A, f"--course={root}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, env, root / "reports" / A, ids


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------- the synthetic class
@pytest.mark.nbgrader
def test_scores_in_the_gradebook_are_the_known_ones(graded):
    from nbgrader.api import Gradebook

    root, _, _, ids = graded
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        for student, total in TOTALS.items():
            assert gb.find_submission(A, ids[student]).score == total, student
            for cell in CELLS:
                want = POINTS[cell] if student in PASSED[cell] else 0
                assert gb.find_grade(cell, A, A, ids[student]).score == want, (student, cell)


@pytest.mark.nbgrader
def test_pass_rates_means_and_point_biserial(graded):
    _, _, out, ids = graded
    table = {row["grade_id"]: row for row in rows(out / "cells.csv")}
    assert list(table) == CELLS
    students = sorted(TOTALS)
    for cell in CELLS:
        row = table[cell]
        assert int(row["students"]) == len(TOTALS)
        assert int(row["passed"]) == len(PASSED[cell])
        assert float(row["pass_rate"]) == len(PASSED[cell]) / len(TOTALS)
        scores = [POINTS[cell] * (s in PASSED[cell]) for s in students]
        assert float(row["mean_score"]) == pytest.approx(np.mean(scores), abs=1e-12)
        # the corrected item-total correlation: the total without this cell
        item = [s in PASSED[cell] for s in students]
        rest = [TOTALS[s] - score for s, score in zip(students, scores, strict=True)]
        assert float(row["point_biserial"]) == pytest.approx(np.corrcoef(item, rest)[0, 1], abs=1e-9)
    (summary,) = rows(out / "assignment.csv")
    assert int(summary["students"]) == 7 and float(summary["max_score"]) == 7
    assert float(summary["mean_score"]) == pytest.approx(sum(TOTALS.values()) / 7)
    assert float(summary["pass_rate"]) == 4 / 7  # ann, cat, fay, gus have at least 3.5 of 7
    by_student = {row["student"]: row for row in rows(out / "students.csv")}
    assert {s: float(r["total"]) for s, r in by_student.items()} == {ids[s]: t for s, t in TOTALS.items()}


@pytest.mark.nbgrader
def test_letter_counts_are_exact(graded):
    _, _, out, _ = graded
    counts: dict[str, dict[str, int]] = {}
    for row in rows(out / "choices.csv"):
        if int(row["students"]):
            counts.setdefault(row["answer_cell"], {})[row["letter"].removeprefix("'")] = int(row["students"])
    assert counts == LETTERS
    graded_cell = {row["answer_cell"]: row["graded_cell"] for row in rows(out / "choices.csv")}
    assert graded_cell == {f"practice_q{i}_answer": f"practice_q{i}" for i in range(1, 6)}
    by_student = {row["student"]: row for row in rows(out / "students.csv")}
    assert by_student["dan"]["answer_q1"] == "B" and by_student["fay"]["answer_q1"] == LIT


@pytest.mark.nbgrader
def test_failing_messages_are_exact(graded):
    _, _, out, _ = graded
    found: dict[str, dict[str, int]] = {}
    for row in rows(out / "messages.csv"):
        found.setdefault(row["grade_id"], {})[row["message"]] = int(row["students"])
    assert found == MESSAGES


@pytest.mark.nbgrader
def test_html_report_escapes_what_students_wrote(graded):
    _, _, out, _ = graded
    page = (out / "index.html").read_text(encoding="utf-8")
    assert HOSTILE.upper() not in page and html.escape(HOSTILE.upper()) in page
    assert "<script" not in page.lower()
    assert page.count("src='data:image/png;base64,") == 2 + len(LETTERS)
    sources = re.findall(r"""\bsrc=(['"])(.*?)\1""", page)
    assert len(sources) == 2 + len(LETTERS)
    assert all(src.startswith("data:image/png;base64,") for _, src in sources)
    for outside in ("http:", "https:", "href=", "url(", "@import"):  # none fits in base64
        assert outside not in page.replace("http-equiv", ""), outside


@pytest.mark.nbgrader
@pytest.mark.browser
def test_html_report_in_chromium(graded, tmp_path):
    """The page loads from disk with no request of its own and every plot is drawn."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    _, _, out, _ = graded
    index = (out / "index.html").resolve()
    requests, dialogs = [], []
    with sync_playwright() as pw:
        context = launch_chromium(pw, tmp_path)
        try:
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(index.as_uri(), wait_until="load")
            sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
            text = page.inner_text("body")
        finally:
            context.close()
    assert len(sizes) == 2 + len(LETTERS)
    assert all(complete and width > 100 for complete, width in sizes), sizes
    assert [u for u in requests if not u.startswith("data:")] == [index.as_uri()]
    assert not dialogs
    assert HOSTILE.upper() in text  # shown as text, never run
    assert "r_pb" in text and "without that cell" in text


@pytest.mark.nbgrader
def test_similarity_report_of_the_class(graded):
    """ann, cat and fay kept the solution's code cell: they are the three pairs at the top;
    ben submitted the release untouched and is compared with no one."""
    _, _, out, ids = graded  # ann and ben are known by the round trip's names when it shares them
    pairs = rows(out / "similarity.csv")
    top = {tuple(sorted((r["student_a"], r["student_b"]))) for r in pairs[:3]}
    copied = sorted(ids[s] for s in ("ann", "cat", "fay"))
    assert top == {(a, b) for i, a in enumerate(copied) for b in copied[i + 1 :]}
    assert all(float(r["similarity"]) == 1.0 for r in pairs[:3])
    assert all(float(r["similarity"]) < 1.0 for r in pairs[3:])
    assert not any(ids["ben"] in (r["student_a"], r["student_b"]) for r in pairs)
    assert len(pairs) == 6 * 5 // 2  # every pair of the six who wrote code, once
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>Similar answer code</h2>" in page
    assert f"Nothing of their own to compare (only the template): {ids['ben']}.</p>" in page


@pytest.mark.nbgrader
def test_report_command_refuses_an_unknown_assignment(graded):
    root, env, _, _ = graded
    proc = subprocess.run(
        [sys.executable, "-m", "gmm_grader.item_analysis", "no_such_assignment", f"--course={root}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2
    assert "assignment: 'no_such_assignment' is not in the gradebook" in proc.stderr


# ---------------------------------------------------------------- units
def test_point_biserial_is_pearson_of_the_item_with_the_score():
    rng = np.random.default_rng(0)
    for _ in range(50):
        item = rng.random(12) < 0.5
        score = rng.normal(size=12) + item
        if 0 < item.sum() < 12:
            assert ia.point_biserial(item, score) == pytest.approx(np.corrcoef(item, score)[0, 1], abs=1e-12)
    assert math.isnan(ia.point_biserial([True, True], [1.0, 2.0]))  # everyone passed
    assert math.isnan(ia.point_biserial([True, False], [1.0, 1.0]))  # no spread in the score
    with pytest.raises(ValueError, match="passed and totals"):
        ia.point_biserial([True, False], [1.0])


@pytest.mark.parametrize(
    ("source", "letter"),
    [
        ('answer_q1 = "b"', "B"),
        ("answer_q1 = ' c '\n", "C"),
        ('answer_q1 = "A"\nanswer_q1 = "D"', "D"),  # the last one counts, as when it runs
        ("answer_q1: str = 'B'", "B"),
        ("# YOUR CODE HERE\nraise NotImplementedError()", ia.NO_ANSWER),
        ('other = "A"', ia.NO_ANSWER),
        ("answer_q1 = chr(65)", ia.NOT_A_LITERAL),
        ("answer_q1 = 'A", ia.UNREADABLE),
        ('answer_q1 = ""', "(empty string)"),
    ],
)
def test_read_letter(source, letter):
    assert ia.read_letter(source, "answer_q1") == letter


def test_choice_questions_come_from_the_instructors_solution():
    found = ia.choice_questions(h.read(h.source_notebook_path(A)))
    assert found == [(f"practice_q{i}_answer", f"answer_q{i}", f"practice_q{i}") for i in range(1, 6)]


def fabricated() -> ia.ItemAnalysis:
    evil = '<img src=x onerror="alert(1)">'
    cell = ia.CellStats("nb", "cell_<b>", 1.0, {"s1": 1.0, "s2": 0.0}, Counter({evil: 1}))
    mathtext = r"$\frac{"  # matplotlib would fail to parse this as a label
    choice = ia.ChoiceStats(
        "nb", "ans", "answer_q1", "cell_<b>", Counter({mathtext: 1, evil: 1}), {"s1": mathtext, "s2": evil}
    )
    return ia.ItemAnalysis("a&<b>", 1.0, 0.5, {"s1": 1.0, "s2": 0.0}, [cell], [choice])


def test_render_html_escapes_every_value():
    page = ia.render_html(fabricated())
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "cell_<b>" not in page and "a&<b>" not in page


def test_csv_cells_cannot_start_a_formula(tmp_path):
    result = fabricated()
    result.choices[0].chosen["s2"] = "=HYPERLINK(1)"
    ia.write_report(result, tmp_path)
    assert rows(tmp_path / "students.csv")[1]["answer_q1"] == "'=HYPERLINK(1)"


def test_analyse_refuses_bad_arguments(tmp_path):
    root = h.copy_course(tmp_path / "course")
    with pytest.raises(ValueError, match="pass_mark"):
        ia.analyse(root, A, pass_mark=1.5)
    with pytest.raises(TypeError, match="assignment"):
        ia.analyse(root, "")
    with pytest.raises(ValueError, match="db_url: no gradebook"):
        ia.analyse(root, A)
    assert not (root / "gradebook.db").exists()
    with pytest.raises(ValueError, match="course: no nbgrader_config.py"):
        ia.analyse(tmp_path, A)
