"""The course's notebooks are the source, each paired with a jupytext percent twin.

``course/jupytext.toml`` pairs ``course/source/<a>/<a>.ipynb`` with ``course/text/<a>/<a>.py``.
The twin holds solutions and hidden tests, so it must never sit in ``course/source/<a>/``
(nbgrader releases every file there, and the grading sandbox copies them into the
student's kernel). Quiz content is written once, in ``course/quiz/<a>.toml``;
``course/quiz/sync.py --check`` says whether what derives from it is up to date.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import nbgrader_helpers as h
import pytest
from gmm_grader import sandbox

COURSE = h.COURSE
NOTEBOOKS = sorted((COURSE / "source").glob("*/*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
JUPYTEXT = Path(sys.executable).parent / "jupytext"


def twin(course: Path, name: str) -> Path:
    return course / "text" / name / f"{name}.py"


def cells_of(nb) -> list[tuple]:
    """What the pair must agree on: type, source and nbgrader metadata of every cell."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


def test_every_assignment_is_a_notebook_and_every_twin_has_its_notebook():
    assert NAMES == sorted(["choosing_k", "em_in_depth", "em_step_by_step", "gmm_basics", "practice"])
    assert all(path.stem == path.parent.name for path in NOTEBOOKS)
    twins = sorted(p.stem for p in (COURSE / "text").glob("*/*.py"))
    assert twins == NAMES
    assert not list((COURSE / "source").rglob("*.py")) and not list((COURSE / "source").rglob("*.toml"))


@pytest.mark.parametrize("name", NAMES)
def test_twin_holds_the_same_cells_as_the_notebook(name):
    nb = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)
    text = jupytext.read(twin(COURSE, name), fmt="py:percent")
    assert cells_of(text) == cells_of(nb), f"{name}: run `jupytext --sync` in course/ (see docs)"
    assert sum(1 for c in nb.cells if "nbgrader" in c.metadata) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_clean(name):
    nb = nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert "jupytext" not in nb.metadata  # pairing is course/jupytext.toml's, so none reaches a release
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
        # a LaTeX \f or \b typed in a non-raw string once became a control character
        bad = sorted({hex(ord(ch)) for ch in cell.source if ord(ch) < 32 and ch not in "\n\t"})
        assert not bad, f"{name}/{cell.id}: control characters {bad}"


def test_quiz_data_and_what_derives_from_it_agree():
    proc = subprocess.run(
        [sys.executable, COURSE / "quiz" / "sync.py", "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sync_check_fails_on_a_hand_edited_derived_cell(tmp_path):
    """A stale derived cell is reported, not silently kept (a copy of the repository's parts)."""
    for part in ("course", "gmm_lesson"):
        shutil.copytree(h.ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path / "course" / "quiz" / "gmm_basics.toml"
    text = data.read_text().replace("key = 'A'", "key = 'B'", 1)  # and B's "what it gets wrong" now A's:
    data.write_text(text.replace('B = "A straight line', 'A = "A straight line', 1))
    check = [sys.executable, tmp_path / "course" / "quiz" / "sync.py", "--check"]
    proc = subprocess.run(check, capture_output=True, text=True)
    assert proc.returncode == 1 and "gmm_basics.ipynb: cells ['basics_q1_answer']" in proc.stdout
    subprocess.run(check[:-1], capture_output=True, text=True, check=True)  # write and sync the twin
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0
    nb = nbformat.read(tmp_path / "course" / "source" / "gmm_basics" / "gmm_basics.ipynb", as_version=4)
    assert 'answer_q1 = "B"' in next(c.source for c in nb.cells if c.id == "basics_q1_answer")
    assert 'answer_q1 = "B"' in twin(tmp_path / "course", "gmm_basics").read_text()


@pytest.mark.parametrize("side", ["text", "notebook"])
def test_jupytext_sync_works_from_either_side_and_keeps_cell_ids(tmp_path, side):
    course = h.copy_course(tmp_path / "course")
    name = "practice"
    notebook = course / "source" / name / f"{name}.ipynb"
    before = nbformat.read(notebook, as_version=4)
    old, new = "Five questions, easy to hard,", "Five questions, from easy to hard,"
    if side == "text":
        path = twin(course, name)
        path.write_text(path.read_text().replace(old, new, 1))
    else:
        nb = json.loads(notebook.read_text())
        nb["cells"][0]["source"] = [line.replace(old, new) for line in nb["cells"][0]["source"]]
        notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    subprocess.run([JUPYTEXT, "--sync", path if side == "text" else notebook], cwd=course, check=True,
                   capture_output=True)
    after = nbformat.read(notebook, as_version=4)
    assert [c.id for c in after.cells] == [c.id for c in before.cells]
    assert new in after.cells[0].source and new in twin(course, name).read_text()
    assert cells_of(jupytext.read(twin(course, name), fmt="py:percent")) == cells_of(after)
    assert [c.metadata for c in after.cells] == [c.metadata for c in before.cells]
    assert "jupytext" not in after.metadata


@pytest.fixture(scope="module")
def course_with_release(tmp_path_factory):
    """A copy of the course with every assignment generated by stock nbgrader."""
    tmp = tmp_path_factory.mktemp("authoring")
    course = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
    for name in NAMES:
        h.nbgrader(["generate_assignment", name, "--no-db"], cwd=course, env=env)
    return course


@pytest.mark.parametrize("name", NAMES)
def test_release_and_grading_sandbox_hold_no_twin_and_no_quiz_data(course_with_release, name, tmp_path):
    released = sorted(p.relative_to(course_with_release / "release" / name)
                      for p in (course_with_release / "release" / name).rglob("*") if p.is_file())
    assert released == [Path(f"{name}.ipynb")], released
    text = (course_with_release / "release" / name / f"{name}.ipynb").read_text()
    assert "jupytext" not in text and "question=" not in text and h.BEGIN_HIDDEN not in text
    # what the grading sandbox copies into a student's kernel from course/source/<name>
    box = sandbox.Sandbox(tmp_path / "box", course_with_release / "source" / name)
    assert [p for p in box.files.rglob("*")] == []


def test_paired_notebooks_validate_with_nbgrader(course_with_release):
    """nbgrader's own validate runs the source notebooks (its hidden checks find the keys in
    course/quiz from the notebook's folder) and passes them."""
    env = h.nbgrader_env(course_with_release.parent)
    for name in ("gmm_basics", "practice"):
        proc = h.nbgrader(["validate", f"source/{name}/{name}.ipynb"], cwd=course_with_release, env=env)
        assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout + proc.stderr


def test_saving_in_jupyterlab_writes_the_twin_too(tmp_path):
    """JupyterLab saves through jupytext's contents manager (its server extension is enabled
    with the `course` extra); started in course/, it pairs by course/jupytext.toml."""
    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    course = h.copy_course(tmp_path / "course")
    manager = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(course))
    path = "source/gmm_basics/gmm_basics.ipynb"
    model = manager.get(path)
    model["content"].cells[0].source += "\n\nA sentence added in JupyterLab."
    manager.save(model, path)
    assert "# A sentence added in JupyterLab." in twin(course, "gmm_basics").read_text()
    saved = nbformat.read(course / path, as_version=4)
    assert "jupytext" not in saved.metadata
    assert cells_of(jupytext.read(twin(course, "gmm_basics"), fmt="py:percent")) == cells_of(saved)
