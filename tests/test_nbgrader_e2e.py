"""The whole nbgrader round trip, with stock nbgrader commands, on a temporary copy of
the course, a temporary exchange and a fresh gradebook, twice: on SQLite (the default,
``course/gradebook.db``) and on PostgreSQL (a throwaway cluster from the
``postgres_cluster`` fixture, named by ``GMM_LESSON_DB_URL`` as a plain ``postgresql://``
URL, as an instructor would write it):

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

em_step_by_step gets every kind of submission; the other assignments (whatever exists
in course/source) get a full solution and an untouched release.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
from nbgrader.validator import Validator
from traitlets.config import Config

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(3600)]

ASSIGNMENTS = h.assignments()
EM = "em_step_by_step"

# ---------------------------------------------------------------- em_step_by_step submissions
INFINITE_LOOP = """
while True:  # never ends: the cell is interrupted after the configured timeout
    pass
"""

RAISES = """
def e_step(X, params):
    resp = np.zeros((len(X), len(params.weights)))
    return resp[:, 5], 0.0  # IndexError on every call
"""

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
    "dave": ({"m_step": INFINITE_LOOP}, {}, M_STEP_TESTS | {"test_m_step_weights_means"}),
    "erin": ({"e_step": RAISES}, {}, E_STEP_TESTS),  # an exception
    "frank": ({}, {"test_e_step_far_points": None}, set()),  # deleted a test cell
    "grace": ({"m_step": WRONG_COVARIANCE}, {"test_m_step_covariances": "pass"}, M_STEP_TESTS),
    # its np.allclose that always says "close" also fails m_step's check that a wrong answer is *not* close
    "heidi": ({"e_step": MONKEYPATCH_CHEAT}, {}, E_STEP_TESTS | {"test_m_step_covariances"}),
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


# ---------------------------------------------------------------- the round trip, once
class Course:
    """What the round trip produced, for the tests to inspect."""

    def __init__(self, root: Path, env: dict, exchange: Path, database: str, db_url: str):
        self.root, self.env, self.exchange = root, env, exchange
        self.database, self.db_url = database, db_url
        self.logs: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.validation: dict[str, dict] = {}

    def run(self, step: str, args: list[str], cwd: Path | None = None):
        start = time.perf_counter()
        proc = h.nbgrader(args, cwd=cwd or self.root, env=self.env)
        self.seconds[step] = time.perf_counter() - start
        self.logs[step] = proc.stdout + proc.stderr
        return proc

    def gradebook(self) -> Gradebook:
        return Gradebook(self.db_url, course_id=h.COURSE_ID)


def student_api(action: str, name: str, student: str, home: Path, exchange: Path) -> None:
    """``fetch`` or ``submit`` through nbgrader's exchange classes, as a student would."""
    config = Config()
    config.CourseDirectory.course_id = h.COURSE_ID
    config.CourseDirectory.assignment_id = name
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(exchange)
    config.Exchange.cache = str(home / ".nbgrader-cache")
    config.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=config)
    authenticator = Authenticator(config=config)
    kind = ExchangeFetchAssignment if action == "fetch" else ExchangeSubmit
    kind(coursedir=coursedir, authenticator=authenticator, config=config).start()


def student_flags(exchange: Path, cache: Path) -> list[str]:
    """What a student's own nbgrader config would say (on a hub: /etc/jupyter)."""
    return [f"--course={h.COURSE_ID}", f"--Exchange.root={exchange}", f"--Exchange.cache={cache}"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def course(request, tmp_path_factory) -> Course:
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    exchange = tmp / "exchange"
    root = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp, exchange)
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        env["GMM_LESSON_DB_URL"] = cluster.create_database(f"e2e_{tmp.name.replace('-', '_')}")
        db_url = env["GMM_LESSON_DB_URL"]
    else:
        db_url = f"sqlite:///{root / 'gradebook.db'}"
    c = Course(root, env, exchange, request.param, db_url)
    assert not (root / "gradebook.db").exists()

    for name in ASSIGNMENTS:
        c.run(f"generate {name}", ["generate_assignment", name])
        c.run(f"release {name}", ["release_assignment", name])

    for name in ASSIGNMENTS:
        source_nb = h.read(h.source_notebook_path(name))
        for student, (answers, test_edits, _) in submissions_for(name).items():
            home = tmp / "students" / student
            home.mkdir(parents=True, exist_ok=True)
            flags = student_flags(exchange, home / ".nbgrader-cache")
            on_cli = name == EM and student == "alice"
            if on_cli:
                c.run(f"fetch {name} {student}", ["fetch_assignment", name, *flags], cwd=home)
            else:
                student_api("fetch", name, student, home, exchange)
            path = home / name / f"{name}.ipynb"
            nb = build_submission(h.read(path), source_nb, answers, test_edits)
            nbformat.write(nb, path)
            if name == EM and student in ("alice", "bob"):
                # what `nbgrader validate` reports to the student (it always exits 0)
                c.validation[student] = Validator().validate(str(path))
            if on_cli:
                c.run(f"submit {name} {student}", ["submit", name, f"--student={student}", *flags], cwd=home)
            else:
                student_api("submit", name, student, home, exchange)

    for name in ASSIGNMENTS:
        c.run(f"collect {name}", ["collect", name])
        c.run(f"autograde {name}", ["autograde", name])
        c.run(f"feedback {name}", ["generate_feedback", name])
    c.run("export", ["export", "--to", str(root / "grades.csv")])
    (tmp / "timings.txt").write_text("".join(f"{s:7.1f} s  {step}\n" for step, s in c.seconds.items()))
    return c


# ---------------------------------------------------------------- helpers
def expected_scores(name: str, student: str) -> dict[str, float]:
    """{grade_id: points the student must get} from the notebook's metadata."""
    points = h.autograded_points(h.read(h.source_notebook_path(name)))
    _, _, failing = submissions_for(name)[student]
    if failing is None:
        failing = set(points)
    elif failing == "every delegated step":
        failing = set(points) - CHOICE_TESTS - RUN_EM_TESTS
    return {gid: 0.0 if gid in failing else p for gid, p in points.items()}


def actual_scores(course: Course, name: str, student: str) -> dict[str, float]:
    """{grade_id: score in the gradebook} of every autograded test cell."""
    points = h.autograded_points(h.read(h.source_notebook_path(name)))
    with course.gradebook() as gb:
        return {gid: gb.find_grade(gid, name, name, student).score for gid in points}


def autograded_nb(course: Course, name: str, student: str):
    return h.read(course.root / "autograded" / student / name / f"{name}.ipynb")


# ---------------------------------------------------------------- the tests
def test_student_command_line_steps_ran(course):
    assert f"fetch {EM} alice" in course.seconds and f"submit {EM} alice" in course.seconds
    inbound = list((course.exchange / h.COURSE_ID / "inbound").iterdir())
    assert {p.name.split("+")[0] for p in inbound} == set(EM_SUBMISSIONS)
    assert len([p for p in inbound if p.name.startswith(f"alice+{EM}+")]) == 1


def test_every_step_ran_and_gradebook_is_fresh(course):
    for name in ASSIGNMENTS:
        for step in ("generate", "release", "collect", "autograde", "feedback"):
            assert f"{step} {name}" in course.seconds
        assert (course.exchange / h.COURSE_ID / "outbound" / name / f"{name}.ipynb").is_file()
        for student in submissions_for(name):
            assert (course.root / "submitted" / student / name / f"{name}.ipynb").is_file()
            assert (course.root / "feedback" / student / name / f"{name}.html").is_file()
    with course.gradebook() as gb:
        assert sorted(a.name for a in gb.assignments) == sorted(ASSIGNMENTS)
        assert {s.id for s in gb.students} == set(EM_SUBMISSIONS)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_notebooks_hold_no_hidden_tests_or_keys(course, name):
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
def test_full_solution_gets_every_autograded_point(course, name):
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
def test_untouched_release_scores_zero(course, name):
    scores = actual_scores(course, name, "bob")
    assert scores and set(scores.values()) == {0.0}
    with course.gradebook() as gb:
        assert gb.find_submission(name, "bob").score == 0


@pytest.mark.parametrize("student", sorted(set(EM_SUBMISSIONS) - {"alice", "bob"}))
def test_em_step_by_step_exact_scores(course, student):
    want = expected_scores(EM, student)
    assert actual_scores(course, EM, student) == want
    with course.gradebook() as gb:
        assert gb.find_submission(EM, student).score == pytest.approx(sum(want.values()))


def test_partial_score_is_partial(course):
    full = sum(h.autograded_points(h.read(h.source_notebook_path(EM))).values())
    with course.gradebook() as gb:
        carol = gb.find_submission(EM, "carol").score
    assert 0 < carol < full


def test_infinite_loop_times_out_and_the_rest_is_graded(course):
    nb = autograded_nb(course, EM, "dave")
    errors = h.errors(nb)
    assert errors["m_step"] in ("CellTimeoutError", "KeyboardInterrupt")
    # the cells after the loop ran: the multiple-choice answers were graded
    assert "answer_q2" not in errors and "test_q2" not in errors
    # and the batch went on: every student was autograded
    for student in EM_SUBMISSIONS:
        assert (course.root / "autograded" / student / EM / f"{EM}.ipynb").is_file(), student


def test_deleted_test_cell_is_put_back_and_graded(course):
    nb = autograded_nb(course, EM, "frank")
    restored = h.cell_by_grade_id(nb, "test_e_step_far_points")
    assert h.BEGIN_HIDDEN in restored.source
    assert "test_e_step_far_points" in course.logs[f"autograde {EM}"]


def test_edited_test_cell_is_restored(course):
    source = h.cell_by_grade_id(h.read(h.source_notebook_path(EM)), "test_m_step_covariances").source
    restored = h.cell_by_grade_id(autograded_nb(course, EM, "grace"), "test_m_step_covariances")
    assert restored.source == source
    submitted = h.read(course.root / "submitted" / "grace" / EM / f"{EM}.ipynb")
    assert h.cell_by_grade_id(submitted, "test_m_step_covariances").source == "pass"


def test_cheats_pass_visible_tests_only(course):
    """ivan's answers pass every visible test, and heidi's all but the two that check that a
    mistake's value is *not* the answer (her np.isclose and np.allclose call everything
    close): only the hidden parts stop them."""
    release = h.read(course.root / "release" / EM / f"{EM}.ipynb")
    trips = {"heidi": {"test_e_step", "test_m_step_covariances"}, "ivan": set()}
    for student in ("heidi", "ivan"):
        answers, _, _ = EM_SUBMISSIONS[student]
        nb = build_submission(release, h.read(h.source_notebook_path(EM)), answers, {})
        folder = course.root.parent / f"visible-{student}"
        folder.mkdir()
        nbformat.write(nb, folder / f"{EM}.ipynb")
        ran = h.execute(folder / f"{EM}.ipynb")
        tests = {h.grade_id(c) for c in ran.cells if h.is_autograded_test(c)}
        assert set(h.errors(ran)) & tests == trips[student], f"{student}: {h.error_details(ran)}"


def test_validate_tells_the_student(course):
    assert course.validation["alice"] == {}
    failed = course.validation["bob"]["failed"]
    n_tests = len(h.autograded_points(h.read(h.source_notebook_path(EM))))
    assert len(failed) == n_tests


def test_feedback_shows_scores(course):
    html = (course.root / "feedback" / "carol" / EM / f"{EM}.html").read_text(encoding="utf-8")
    with course.gradebook() as gb:
        submission = gb.find_submission(EM, "carol")
        assert f"{EM} (Score: {submission.score:.1f} / {submission.max_score:.1f})" in html
    for gid, score in actual_scores(course, EM, "carol").items():
        points = h.autograded_points(h.read(h.source_notebook_path(EM)))[gid]
        assert f'<a href="#{gid}">Test cell</a> (Score: {score:.1f} / {points:.1f})' in html


def test_export_csv_matches_gradebook(course):
    with open(course.root / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    submitted = {(name, student) for name in ASSIGNMENTS for student in submissions_for(name)}
    seen = set()
    with course.gradebook() as gb:
        for row in rows:
            pair = (row["assignment"], row["student_id"])
            seen.add(pair)
            if pair in submitted:
                assert float(row["score"]) == pytest.approx(gb.find_submission(*pair).score), pair
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
        (name, student): sum(expected_scores(name, student).values())
        for name in ASSIGNMENTS
        for student in submissions_for(name)
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
        gid: sum(expected_scores(EM, student)[gid] == p for student in EM_SUBMISSIONS)
        for gid, p in points.items()
    }
    assert {gid: passed[gid] for gid in points} == want
