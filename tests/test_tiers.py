"""The test tiers themselves: the fast tier's guard, the tier of every test, run.py's
pytest arguments and the graded class's registry (nothing here starts a process)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import conftest
import graded_class as gc
import hypothesis
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import run  # noqa: E402

pytestmark = pytest.mark.fast


def test_a_fast_test_cannot_start_a_process():
    with pytest.raises(conftest.FastTierViolation, match="subprocess.Popen"):
        subprocess.run([sys.executable, "-c", "pass"])
    with pytest.raises(conftest.FastTierViolation, match="os.fork"):
        os.fork()
    with pytest.raises(conftest.FastTierViolation, match="os.system"):
        os.system("true")
    with pytest.raises(conftest.FastTierViolation):
        asyncio.run(asyncio.create_subprocess_exec(sys.executable, "-c", "pass"))


def test_a_fast_test_cannot_open_a_connection():
    with socket.socket() as sock:
        with pytest.raises(conftest.FastTierViolation, match="socket.connect"):
            sock.connect(("127.0.0.1", 9))
        with pytest.raises(conftest.FastTierViolation, match="socket.connect_ex"):
            sock.connect_ex(("127.0.0.1", 9))
        with pytest.raises(conftest.FastTierViolation, match="socket.bind"):
            sock.bind(("127.0.0.1", 0))


def test_a_fast_test_cannot_start_a_kernel():
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    with pytest.raises(conftest.FastTierViolation, match="KernelManager.start_kernel"):
        KernelManager(kernel_name="python3").start_kernel()
    with pytest.raises(conftest.FastTierViolation, match="AsyncKernelManager.start_kernel"):
        asyncio.run(AsyncKernelManager(kernel_name="python3").start_kernel())


def test_hypothesis_is_derandomized():
    assert hypothesis.settings.default.derandomize is True
    assert hypothesis.settings.default.database is None


class Item:
    """A stand-in for a collected test: its module and markers."""

    def __init__(self, module: str, *markers: str):
        self.module = type(sys)(f"tests.{module}")
        self.markers, self.nodeid = set(markers), f"{module}::test"

    def get_closest_marker(self, name):
        return name if name in self.markers else None


@pytest.mark.parametrize(
    ("module", "markers", "tier"),
    [
        ("test_em", (), "fast"),
        ("test_em", ("slow",), "content"),  # a slow test of a fast module leaves the tier
        ("test_notebooks", (), "content"),
        ("test_grading_attacks", ("nbgrader",), "grading"),
        ("test_gradebook_db", (), "fast"),
        ("test_gradebook_db", ("slow",), "grading"),
        ("test_hub", (), "system"),
        ("test_anything_new", ("browser",), "system"),
        ("test_anything_new", ("fast",), "fast"),  # pytestmark = pytest.mark.fast
        ("test_em", ("grading",), "grading"),  # its own marker wins
    ],
)
def test_every_test_has_one_tier(module, markers, tier):
    assert conftest.tier_of(Item(module, *markers)) == tier


def test_two_tiers_are_refused():
    with pytest.raises(pytest.UsageError, match="several tiers"):
        conftest.tier_of(Item("test_em", "fast", "grading"))


@pytest.mark.parametrize(
    ("given", "passed"),
    [
        ([], ["--durations=25"]),
        (["-m", "fast"], ["-m", "fast", "--durations=25"]),
        (["--durations=5"], ["--durations=5"]),
        (["--durations", "0", "-x"], ["--durations", "0", "-x"]),
    ],
)
def test_run_py_prints_the_slowest_tests(given, passed):
    assert run.pytest_args(given) == passed


def _build(release_nb, folder):  # a builder for the registry checks (never called)
    raise AssertionError("not graded here")


def test_the_registry_refuses_bad_entries():
    em = "em_step_by_step"
    full = gc.expected_scores(em, set())
    with pytest.raises(ValueError, match="assignment"):
        gc.entry("zoe", "no_such_assignment", _build, full, origin="here")
    with pytest.raises(ValueError, match="route"):
        gc.entry("zoe", em, _build, full, origin="here", route="post")
    with pytest.raises(TypeError, match="build"):
        gc.entry("zoe", em, "not callable", full, origin="here")
    with pytest.raises(ValueError, match="expected"):
        gc.entry("zoe", em, _build, {"test_q1": 1.0}, origin="here")
    with pytest.raises(ValueError, match="validate"):
        gc.entry("zoe", em, _build, full, origin="here", validate=True)
    with pytest.raises(ValueError, match="limits"):
        gc.entry("zoe", em, _build, full, origin="here", limits="long")
    for student in ("zoe,yan", "z*", "[z]oe", "../zoe", ""):  # would split or glob nbgrader's ids
        with pytest.raises(ValueError, match="student"):
            gc.entry(student, em, _build, full, origin="here")
    with pytest.raises(ValueError, match="unknown test cells"):
        gc.expected_scores(em, {"test_nothing"})
    assert set(gc.expected_scores(em, "all").values()) == {0.0}


def test_the_same_submission_may_be_registered_twice_but_not_differently(monkeypatch):
    em = "em_step_by_step"
    monkeypatch.setattr(gc, "REGISTRY", {})
    monkeypatch.setattr(gc, "_graded", False)  # the session's class may already be graded
    first = gc.register("zoe", em, _build, gc.expected_scores(em, set()), origin="a")
    assert gc.register("zoe", em, lambda nb, folder: None, gc.expected_scores(em, set()), origin="a") is first
    with pytest.raises(ValueError, match="differently"):
        gc.register("zoe", em, _build, gc.expected_scores(em, {"test_q1"}), origin="a")
    with pytest.raises(ValueError, match="differently"):
        gc.register("zoe", em, _build, gc.expected_scores(em, set()), origin="b")
    with pytest.raises(ValueError, match="differently"):  # graded under other limits
        gc.register("zoe", em, _build, gc.expected_scores(em, set()), origin="a", limits="short")
    monkeypatch.setattr(gc, "_graded", True)
    with pytest.raises(RuntimeError, match="already graded"):
        gc.register("yan", em, _build, gc.expected_scores(em, set()), origin="a")


def test_a_shared_submission_must_be_the_same_notebook(tmp_path):
    """gc.SAME_SUBMISSION grades two names once only if both build the same bytes and expect
    the same scores; the other name then reads the grading of the one graded."""
    import nbformat

    em = "em_step_by_step"
    release = tmp_path / "course" / "release" / em / f"{em}.ipynb"
    release.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", id="a")]), release)

    def writes(source: str):
        def build(release_nb, folder):
            release_nb.cells[0].source = source
            nbformat.write(release_nb, folder / f"{em}.ipynb")

        return build

    full, none = gc.expected_scores(em, set()), gc.expected_scores(em, "all")
    graded = gc.entry("alice", em, writes("x = 2"), full, origin="a", route="cli")
    same = gc.entry("honest_full", em, writes("x = 2"), full, origin="b", limits="short")
    gc.check_same_submission(same, graded, tmp_path / "course", tmp_path / "ok")
    with pytest.raises(ValueError, match="do not build the same"):
        other = gc.entry("honest_full", em, writes("x = 3"), full, origin="b")
        gc.check_same_submission(other, graded, tmp_path / "course", tmp_path / "source")
    with pytest.raises(ValueError, match="expect different scores"):
        gc.check_same_submission(gc.entry("honest_full", em, writes("x = 2"), none, origin="b"), graded,
                                 tmp_path / "course", tmp_path / "scores")

    course = gc.GradedClass(tmp_path, {}, tmp_path, {("alice", em): graded}, {("honest_full", em): same})
    assert gc.SAME_SUBMISSION["honest_full", em] == "alice"
    assert course.graded_as(em, "honest_full") == course.graded_as(em, "alice") == "alice"
    assert course.entry(em, "honest_full") is graded and course.expected(em, "honest_full") == full
    assert course.autograded_path(em, "honest_full") == tmp_path / "autograded" / "alice" / em / f"{em}.ipynb"
    assert course.students() == {"alice"}  # the gradebook's
    with pytest.raises(KeyError, match="did not submit"):
        course.graded_as(em, "bob")


def test_no_submission_links_to_a_shared_students_folder():
    """A shared submission (gc.SAME_SUBMISSION) is graded under the other name only, so its
    own folder does not exist: a link to it would dangle and fail its batch."""
    import grading_attacks as attacks

    shared = {student for student, _ in gc.SAME_SUBMISSION}
    links = [t for sub in attacks.SUBMISSIONS.values() for t in sub.links.values()]
    targets = [t for t in links if t.startswith("../../")]
    assert targets
    for target in targets:
        assert target.split("/")[2] not in shared, target
