"""Every notebook of the course runs: the source (instructor) versions top to bottom
without an error, and the student versions made by ``nbgrader generate_assignment`` with
exactly the errors an untouched assignment must give (the ``NotImplementedError`` stubs
and the graded cells that depend on them).

Notebooks run from temporary copies, cwd = the notebook's folder, with real kernels.
"""

from __future__ import annotations

import html
import re
import shutil

import nbgrader_helpers as h
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ASSIGNMENTS = h.assignments()

# em_step_by_step, untouched: every cell that calls a student's function raises the stub's
# NotImplementedError; the multiple-choice answer cells raise it at top level, so their
# test cells find no answer.
EM_STEP_BY_STEP_STUDENT_ERRORS = {
    "test_log_gaussian": "NotImplementedError",
    "test_log_likelihood": "NotImplementedError",
    "test_e_step": "NotImplementedError",
    "test_e_step_far_points": "NotImplementedError",
    "first-e-step": "NotImplementedError",
    "test_m_step_weights_means": "NotImplementedError",
    "test_m_step_covariances": "NotImplementedError",
    "test_run_em": "NotImplementedError",
    "test_run_em_stops": "NotImplementedError",
    "my-em": "NotImplementedError",
    "longer": "NotImplementedError",
    "answer_q1": "NotImplementedError",
    "test_q1_self_check": "NameError",
    "test_q1": "NameError",
    "answer_q2": "NotImplementedError",
    "test_q2_self_check": "NameError",
    "test_q2": "NameError",
}


#: the figures each notebook shows, every one through gmm_lesson.figures.show
FIGURES = {"gmm_basics": 3, "em_step_by_step": 3, "practice": 1, "choosing_k": 4, "em_in_depth": 8}
IMG_ALT = re.compile(r'^<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">$')


def figure_alts(nb) -> list[str]:
    """The alt text of every figure, checked to reach a screen reader in JupyterLab, once.

    JupyterLab's image renderer writes no alt, so each figure comes as text/html (the
    renderer JupyterLab prefers): the PNG in an <img alt=...>, the only copy of its bytes
    (no image/png beside it), with the same words as its text/plain."""
    alts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            plain = data.get("text/plain", "")
            assert not plain.startswith("<Figure size"), f"{cell.id}: a figure shown without a description"
            assert "image/png" not in data, f"{cell.id}: a PNG output (no alt in JupyterLab, or a 2nd copy)"
            page = data.get("text/html", "")
            if "data:image/png" not in page:
                continue  # no picture: a table or no HTML at all
            match = IMG_ALT.match(page)
            assert match, f"{cell.id}: a picture in HTML that is not a figure's <img alt>"
            assert data["text/html"].count("base64,") == 1, cell.id
            alt = html.unescape(match.group(2))
            assert alt == plain, cell.id
            assert len(alt) > 150 and re.search(r"\d", alt), f"{cell.id}: {alt!r} says too little"
            assert "Nothing drawn" not in alt and "unnamed" not in alt, f"{cell.id}: {alt!r}"
            alts.append(alt)
    return alts


def test_course_has_the_planned_assignments():
    assert "em_step_by_step" in ASSIGNMENTS
    assert set(ASSIGNMENTS) <= {"gmm_basics", "em_step_by_step", "practice", "choosing_k", "em_in_depth"}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_is_committed_clean(name):
    nb = h.read(h.source_notebook_path(name))
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    for cell in nb.cells:
        assert cell.get("id"), f"{name}: every cell needs an id"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}/{cell.id} has outputs"
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)), f"{name}: duplicate cell ids"
    grade_ids = [h.grade_id(c) for c in nb.cells if h.grade_id(c)]
    assert len(grade_ids) == len(set(grade_ids)), f"{name}: duplicate grade_ids"
    assert h.autograded_points(nb), f"{name} has no autograded test cell"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_deleted_test_cells_can_be_put_back(name):
    """nbgrader 0.9.6 (OverwriteCells.add_missing_grade_cells) re-inserts a deleted test
    cell after the nbgrader cell before it in the source, and fails with a KeyError
    unless that cell is an answer or a test cell. A read-only cell that is neither (say
    a locked markdown cell) just before a test cell would crash autograding for any
    student who deletes that test."""
    cells = [c for c in h.read(h.source_notebook_path(name)).cells if h.nbgrader_meta(c)]
    for before, cell in zip(cells, cells[1:], strict=False):
        if h.nbgrader_meta(cell).get("grade"):
            meta = h.nbgrader_meta(before)
            assert meta.get("grade") or meta.get("solution"), f"{name}: {before.id} before {cell.id}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_runs_top_to_bottom(name, tmp_path):
    # in (a copy of) the course: the hidden multiple-choice checks read their keys in course/quiz
    course = h.copy_course(tmp_path / "course")
    nb = h.execute(course / "source" / name / f"{name}.ipynb")
    assert h.error_details(nb) == {}
    # a correct answer must not write to stderr in a test cell: nbgrader would score it 0
    tests = {h.grade_id(c) for c in nb.cells if h.is_autograded_test(c)}
    assert {cid: text for cid, text in h.stderr_cells(nb).items() if cid in tests} == {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{name}/{cell.id} did not run"
    # every figure described, each in its own words
    alts = figure_alts(nb)
    assert len(alts) == FIGURES[name] and len(set(alts)) == len(alts), alts


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Student versions of every assignment, made the way a self-paced learner makes them:
    ``nbgrader generate_assignment <name> --no-db --CourseDirectory.release_directory=<folder>``
    run in (a copy of) course/: no gradebook, nothing written in the course."""
    tmp = tmp_path_factory.mktemp("generated")
    course = h.copy_course(tmp / "course")
    folder = tmp / "student-versions"
    env = h.nbgrader_env(tmp)
    for name in ASSIGNMENTS:
        args = ["generate_assignment", name, "--no-db"]
        h.nbgrader([*args, f"--CourseDirectory.release_directory={folder}"], cwd=course, env=env)
    assert sorted(p.name for p in course.iterdir()) == [
        "jupytext.toml", "nbgrader_config.py", "quiz", "source", "text"
    ]
    return folder


def test_self_paced_student_versions_hold_no_solutions_or_hidden_tests(released):
    for name in ASSIGNMENTS:
        text = (released / name / f"{name}.ipynb").read_text(encoding="utf-8")
        assert h.BEGIN_SOLUTION not in text and h.BEGIN_HIDDEN not in text
        for key in h.key_lines(h.read(h.source_notebook_path(name))):
            assert key not in text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_errors_only_where_work_is_missing(name, released, tmp_path):
    folder = shutil.copytree(released / name, tmp_path / name)
    student = h.execute(folder / f"{name}.ipynb")
    found = h.error_details(student)
    answers = h.solution_names(h.read(h.source_notebook_path(name)))
    solution_ids = {c.id for c in student.cells if h.is_solution(c)}
    # Every error is a stub's NotImplementedError (raised in the answer cell, or in a cell
    # calling a stubbed function), or a NameError for an answer a stub never defined.
    for cell_id, (ename, evalue) in found.items():
        if ename == "NameError":
            missing = evalue.split("'")[1] if "'" in evalue else evalue
            assert missing in answers, f"{name}/{cell_id}: NameError for {missing!r}, not a student answer"
        else:
            assert ename == "NotImplementedError", f"{name}/{cell_id}: unexpected {ename}: {evalue}"
    # every answer cell whose stub runs at top level raises
    for cell in student.cells:
        if cell.id in solution_ids and cell.cell_type == "code" and cell.source.lstrip().startswith("# YOUR"):
            assert found.get(cell.id, ("",))[0] == "NotImplementedError", f"{name}/{cell.id}"
    # and no graded test passes on an untouched assignment
    for cell in student.cells:
        if h.is_autograded_test(cell):
            assert cell.id in found, f"{name}/{cell.id} passes without any work"
    if name == "em_step_by_step":
        assert {cid: e for cid, (e, _) in found.items()} == EM_STEP_BY_STEP_STUDENT_ERRORS
