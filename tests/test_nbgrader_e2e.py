"""The whole nbgrader round trip, with stock nbgrader commands, on a temporary copy of
the course, a temporary exchange and a fresh gradebook: in full on SQLite (the default,
``course/gradebook.db``), as part of the session's one graded class
(tests/graded_class.py: these students are graded in the same course and gradebook as
the hostile class, each notebook once), and smaller on PostgreSQL (two students, one
assignment, a throwaway cluster from the ``postgres_cluster`` fixture, named by
``GMM_LESSON_DB_URL`` as a plain ``postgresql://`` URL, as an instructor would write it):

    generate_assignment -> release_assignment -> fetch_assignment / submit (as students)
    -> collect -> autograde -> generate_feedback -> export

Students are told apart with ``nbgrader submit --student <id>`` (nbgrader 0.9.6 takes the
OS user name unless ``CourseDirectory.student_id`` is given; ``collect`` only warns that
the file owner differs). Instructor steps use the stock command line; the student alice
fetches and submits em_step_by_step with the command line too, the other students
through nbgrader's exchange API (the classes behind the same commands and behind
JupyterLab's Assignments tab), which saves a Python start-up per step. Submissions are
built by editing the fetched notebooks by cell id. Every score is read back from the
gradebook (nbgrader.api.Gradebook) and compared with the points in the notebook's own
metadata.

em_step_by_step gets every kind of submission (an infinite loop and an exception are the
hostile class's, in the same class); the other assignments (whatever exists in
course/source) get a full solution and an untouched release.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import pytest

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(3600)]

ASSIGNMENTS = h.assignments()
EM = "em_step_by_step"

# ---------------------------------------------------------------- em_step_by_step submissions
# Ignores the weights (right only when they are equal, as in the visible tests), then
# makes every comparison it can reach say "equal" and plants itself in the library.
MONKEYPATCH_CHEAT = """
import math

import numpy.testing

import gmm_lesson.em


def e_step(X, params):
    a = np.column_stack([log_gaussian(X, m, c) for m, c in zip(params.means, params.covariances)])
    top = a.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(a - top).sum(axis=1))
    return np.exp(a - log_norm[:, None]), float(log_norm.sum())


np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
gmm_lesson.em.e_step = e_step
"""

# Hands every step to the library the students are rewriting (absent while graded).
DELEGATES = attacks.DELEGATE_TO_LIBRARY
WRONG_COVARIANCE = attacks.WRONG_COVARIANCE

# Each function is scored on its own: run_em's hidden tests give it the right results of
# e_step and m_step, so a wrong e_step or m_step costs only its own tests.
M_STEP_TESTS = {"test_m_step_covariances"}
E_STEP_TESTS = {"test_e_step", "test_e_step_far_points"}
CHOICE_TESTS = {"test_q1", "test_q2"}
RUN_EM_TESTS = {"test_run_em", "test_run_em_stops"}

# student: (answers to write over the full solution, test cells to delete or edit,
#           the test cells that must score 0 -- None means every one)
EM_SUBMISSIONS = {
    "alice": ({}, {}, set()),  # full solution
    "bob": (None, {}, None),  # the untouched release
    "carol": ({"m_step": WRONG_COVARIANCE}, {}, M_STEP_TESTS),  # one wrong part
    # an infinite loop and an exception are the hostile class's honest_infinite_loop and
    # honest_raises (tests/grading_attacks.py), graded in the same class: not twice here
    "frank": ({}, {"test_e_step_far_points": None}, set()),  # deleted a test cell
    "grace": ({"m_step": WRONG_COVARIANCE}, {"test_m_step_covariances": "pass"}, M_STEP_TESTS),
    # its np.allclose that always says "close" also fails m_step's check that a wrong answer is *not* close
    "heidi": (
        {"e_step": MONKEYPATCH_CHEAT},
        {},
        E_STEP_TESTS | {"test_m_step_weights_means", "test_m_step_covariances"},
    ),
    "ivan": (DELEGATES, {}, "every delegated step"),  # his own run_em and answers still score
}
OTHER_SUBMISSIONS = {"alice": ({}, {}, set()), "bob": (None, {}, None)}


def submissions_for(assignment: str) -> dict:
    return EM_SUBMISSIONS if assignment == EM else OTHER_SUBMISSIONS


def build_submission(release_nb, source_nb, answers, test_edits):
    """A student's notebook: the release with answers written in and test cells edited."""
    nb = nbformat.from_dict(release_nb)
    if answers is not None:
        h.fill_solutions(nb, source_nb, {gid: code.strip("\n") for gid, code in answers.items()})
    for gid, new_source in test_edits.items():
        cell = h.cell_by_grade_id(nb, gid)
        if new_source is None:
            nb.cells.remove(cell)
        else:
            cell.source = new_source
    return nb


# ---------------------------------------------------------------- into the graded class
def expected_scores(name: str, student: str) -> dict[str, float]:
    """{grade_id: points the student must get} from the notebook's metadata."""
    points = h.autograded_points(h.read(h.source_notebook_path(name)))
    _, _, failing = submissions_for(name)[student]
    if failing is None:
        failing = set(points)
    elif failing == "every delegated step":
        failing = set(points) - CHOICE_TESTS - RUN_EM_TESTS
    return gc.expected_scores(name, failing)


def builder(name: str, answers, test_edits):
    def build(release_nb, folder: Path) -> None:
        nb = build_submission(release_nb, h.read(h.source_notebook_path(name)), answers, test_edits)
        nbformat.write(nb, folder / f"{name}.ipynb")

    return build


def entry(name: str, student: str) -> gc.Entry:
    answers, test_edits, _ = submissions_for(name)[student]
    on_cli = name == EM and student == "alice"
    return gc.entry(
        student, name, builder(name, answers, test_edits), expected_scores(name, student),
        origin="test_nbgrader_e2e", route="cli" if on_cli else "exchange",
        validate=name == EM and student in ("alice", "bob"),
    )


for _name in ASSIGNMENTS:
    for _student in submissions_for(_name):
        gc.add(entry(_name, _student))
#: the hostile class's infinite loop in m_step, which this round trip reads
LOOP = "honest_infinite_loop"
attacks.register(LOOP)

#: the smaller round trip on PostgreSQL: the full solution and one wrong part
POSTGRES_STUDENTS = ("alice", "carol")


@pytest.fixture(scope="module")
def postgres_course(postgres_cluster, tmp_path_factory) -> gc.GradedClass:
    tmp = tmp_path_factory.mktemp("e2e-postgresql")
    url = postgres_cluster.create_database(f"e2e_{tmp.name.replace('-', '_')}")
    entries = [
        gc.entry(student, EM, builder(EM, *EM_SUBMISSIONS[student][:2]), expected_scores(EM, student),
                 origin="test_nbgrader_e2e", route="exchange")
        for student in POSTGRES_STUDENTS
    ]
    course = gc.grade_class(tmp, entries, extra_env={"GMM_LESSON_DB_URL": url})
    course.database, course.db_url = "postgresql", url
    return course


@pytest.fixture(params=["sqlite", "postgresql"])
def course(request) -> gc.GradedClass:
    """The full round trip on SQLite (the graded class), or the small one on PostgreSQL."""
    return request.getfixturevalue("graded_class" if request.param == "sqlite" else "postgres_course")


def actual_scores(course: gc.GradedClass, name: str, student: str) -> dict[str, float]:
    return course.scores(name, student)


def autograded_nb(course: gc.GradedClass, name: str, student: str):
    return course.autograded(name, student)


# ---------------------------------------------------------------- the tests
def test_student_command_line_steps_ran(graded_class):
    course = graded_class
    assert f"fetch {EM} alice" in course.seconds and f"submit {EM} alice" in course.seconds
    inbound = list((course.exchange / h.COURSE_ID / "inbound").iterdir())
    assert {p.name.split("+")[0] for p in inbound if f"+{EM}+" in p.name} == set(EM_SUBMISSIONS)
    assert len([p for p in inbound if p.name.startswith(f"alice+{EM}+")]) == 1


def test_every_step_ran_and_gradebook_is_fresh(course):
    for name in course.assignments:
        for step in ("generate", "release", "collect", "autograde", "feedback"):
            assert f"{step} {name}" in course.seconds
        assert (course.exchange / h.COURSE_ID / "outbound" / name / f"{name}.ipynb").is_file()
        for student in course.students(name):
            assert (course.root / "submitted" / student / name / f"{name}.ipynb").is_file()
            page = course.root / "feedback" / student / name / f"{name}.html"
            # every page but the hostile class's, which asks for one only
            assert page.is_file() == course.entries[student, name].feedback, page
    with course.gradebook() as gb:
        assert sorted(a.name for a in gb.assignments) == course.assignments
        assert {s.id for s in gb.students} == course.students()
    if course.database == "sqlite":
        assert course.assignments == sorted(ASSIGNMENTS)  # the full round trip: every assignment
        assert set(EM_SUBMISSIONS) <= course.students()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_notebooks_hold_no_hidden_tests_or_keys(graded_class, name):
    course = graded_class
    keys = h.key_lines(h.read(h.source_notebook_path(name)))
    for folder in (course.root / "release" / name, course.exchange / h.COURSE_ID / "outbound" / name):
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files, folder
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert h.BEGIN_HIDDEN not in text and "HIDDEN TESTS" not in text, path
            assert h.BEGIN_SOLUTION not in text, path
            for key in keys:
                assert key not in text, f"{path} holds the answer key line {key!r}"


def test_em_step_by_step_has_answer_keys_to_protect():
    keys = h.key_lines(h.read(h.source_notebook_path(EM)))
    assert keys == {
        'check("choice", answer_q1, question="test_q1")',
        'check("choice", answer_q2, question="test_q2")',
    }


def test_package_holds_no_answer_key():
    keys = set().union(*(h.key_lines(h.read(h.source_notebook_path(n))) for n in ASSIGNMENTS))
    assert keys
    for path in h.package_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = {line.strip() for line in text.splitlines()}
        assert not (keys & lines), f"{path} holds hidden-test answer keys {sorted(keys & lines)}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_full_solution_gets_every_autograded_point(graded_class, name):
    course = graded_class
    points = h.autograded_points(h.read(h.source_notebook_path(name)))
    assert actual_scores(course, name, "alice") == points
    with course.gradebook() as gb:
        submission = gb.find_submission(name, "alice")
        assert submission.score == pytest.approx(sum(points.values()))
        assert submission.max_score == pytest.approx(h.total_points(h.read(h.source_notebook_path(name))))
    # correct answers write nothing to stderr in any test cell
    nb = autograded_nb(course, name, "alice")
    assert not {cid for cid in h.stderr_cells(nb) if cid in points}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_untouched_release_scores_zero(graded_class, name):
    scores = actual_scores(graded_class, name, "bob")
    assert scores and set(scores.values()) == {0.0}
    with graded_class.gradebook() as gb:
        assert gb.find_submission(name, "bob").score == 0


@pytest.mark.parametrize("student", sorted(set(EM_SUBMISSIONS) - {"alice", "bob"}))
def test_em_step_by_step_exact_scores(graded_class, student):
    want = expected_scores(EM, student)
    assert actual_scores(graded_class, EM, student) == want
    with graded_class.gradebook() as gb:
        assert gb.find_submission(EM, student).score == pytest.approx(sum(want.values()))


def test_postgresql_exact_scores(postgres_course):
    for student in POSTGRES_STUDENTS:
        want = expected_scores(EM, student)
        assert actual_scores(postgres_course, EM, student) == want, student
        assert postgres_course.total(EM, student) == pytest.approx(sum(want.values()))
    assert {s for s, _ in postgres_course.entries} == set(POSTGRES_STUDENTS)


def test_partial_score_is_partial(course):
    full = sum(h.autograded_points(h.read(h.source_notebook_path(EM))).values())
    with course.gradebook() as gb:
        carol = gb.find_submission(EM, "carol").score
    assert 0 < carol < full


def test_infinite_loop_times_out_and_the_rest_is_graded(graded_class):
    """The hostile class's honest_infinite_loop (its m_step never ends), graded in the class."""
    nb = autograded_nb(graded_class, EM, LOOP)
    errors = h.errors(nb)
    assert errors["m_step"] in ("CellTimeoutError", "KeyboardInterrupt")
    # the cells after the loop ran: the multiple-choice answers were graded
    assert "answer_q2" not in errors and "test_q2" not in errors
    # and its batch went on: every student of the class was autograded
    for student, name in graded_class.entries:
        assert (graded_class.root / "autograded" / student / name / f"{name}.ipynb").is_file(), student


def test_deleted_test_cell_is_put_back_and_graded(graded_class):
    nb = autograded_nb(graded_class, EM, "frank")
    restored = h.cell_by_grade_id(nb, "test_e_step_far_points")
    assert h.BEGIN_HIDDEN in restored.source
    assert "test_e_step_far_points" in graded_class.logs[f"autograde {EM}"]


def test_edited_test_cell_is_restored(graded_class):
    source = h.cell_by_grade_id(h.read(h.source_notebook_path(EM)), "test_m_step_covariances").source
    restored = h.cell_by_grade_id(autograded_nb(graded_class, EM, "grace"), "test_m_step_covariances")
    assert restored.source == source
    submitted = h.read(graded_class.root / "submitted" / "grace" / EM / f"{EM}.ipynb")
    assert h.cell_by_grade_id(submitted, "test_m_step_covariances").source == "pass"


def test_cheats_pass_visible_tests_only(graded_class, tmp_path):
    """ivan's answers pass every visible test, and heidi's all but the three that check that a
    mistake's value is *not* the answer (her np.isclose and np.allclose call everything
    close, so the hard-assignment weights and np.cov's N_k - 1 look like hers): only the
    hidden parts stop them."""
    release = h.read(graded_class.root / "release" / EM / f"{EM}.ipynb")
    trips = {"heidi": {"test_e_step", "test_m_step_weights_means", "test_m_step_covariances"}, "ivan": set()}
    for student in ("heidi", "ivan"):
        answers, _, _ = EM_SUBMISSIONS[student]
        nb = build_submission(release, h.read(h.source_notebook_path(EM)), answers, {})
        folder = tmp_path / f"visible-{student}"
        folder.mkdir()
        nbformat.write(nb, folder / f"{EM}.ipynb")
        ran = h.execute(folder / f"{EM}.ipynb")
        tests = {h.grade_id(c) for c in ran.cells if h.is_autograded_test(c)}
        assert set(h.errors(ran)) & tests == trips[student], f"{student}: {h.error_details(ran)}"


def test_validate_tells_the_student(graded_class):
    assert graded_class.validation["alice", EM] == {}
    failed = graded_class.validation["bob", EM]["failed"]
    n_tests = len(h.autograded_points(h.read(h.source_notebook_path(EM))))
    assert len(failed) == n_tests


def test_feedback_shows_scores(course):
    html = (course.root / "feedback" / "carol" / EM / f"{EM}.html").read_text(encoding="utf-8")
    with course.gradebook() as gb:
        submission = gb.find_submission(EM, "carol")
        assert f"{EM} (Score: {submission.score:.1f} / {submission.max_score:.1f})" in html
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    for gid, score in actual_scores(course, EM, "carol").items():
        assert f'<a href="#{gid}">Test cell</a> (Score: {score:.1f} / {points[gid]:.1f})' in html


def test_export_csv_matches_gradebook(course):
    rows = course.export_rows()
    submitted = set(course.entries)
    seen = set()
    with course.gradebook() as gb:
        for row in rows:
            pair = (row["student_id"], row["assignment"])
            seen.add(pair)
            if pair in submitted:
                score = gb.find_submission(row["assignment"], row["student_id"]).score
                assert float(row["score"]) == pytest.approx(score), pair
                assert float(row["score"]) == pytest.approx(sum(course.expected(*pair[::-1]).values())), pair
            else:  # nbgrader lists every student for every assignment; no submission scores 0
                assert float(row["score"]) == 0 and not row["timestamp"], pair
    assert submitted <= seen


def test_grades_land_in_the_chosen_database(course, request):
    """PostgreSQL holds every grade and nothing fell back to a SQLite file; SQLite is the default."""
    db_files = sorted(p.relative_to(course.root) for p in course.root.rglob("*.db"))
    if course.database == "sqlite":
        assert db_files == [Path("gradebook.db")]
        return
    assert db_files == [], f"a SQLite file appeared beside a PostgreSQL gradebook: {db_files}"
    cluster = request.getfixturevalue("postgres_cluster")
    database = course.db_url.rsplit("/", 1)[1]
    rows = cluster.psql(
        "SELECT s.student_id, a.name, SUM(COALESCE(g.manual_score, g.auto_score, 0)) "
        "FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
        "JOIN submitted_assignment s ON n.assignment_id = s.id "
        "JOIN assignment a ON s.assignment_id = a.id GROUP BY s.student_id, a.name",
        database,
    )
    in_postgres = {(a, student): float(score) for student, a, score in (r.split("|") for r in rows.split())}
    expected = {
        (name, student): sum(course.expected(name, student).values()) for student, name in course.entries
    }
    assert in_postgres == pytest.approx(expected)


def test_item_analysis_reads_the_gradebook(course, tmp_path):
    """The instructor's report, run as documented, agrees with the gradebook on either database."""
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "gmm_grader.item_analysis", EM, f"--course={course.root}", f"--out={out}"],
        env=course.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "cells.csv", newline="") as fh:
        passed = {row["grade_id"]: int(row["passed"]) for row in csv.DictReader(fh)}
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    want = {
        gid: sum(course.expected(EM, student)[gid] == p for student in course.students(EM))
        for gid, p in points.items()
    }
    assert {gid: passed[gid] for gid in points} == want
