"""Shared pytest set-up: the test tiers, the fast tier's guard, Hypothesis's profile.

Tiers (markers registered in pyproject.toml, documented in the README):

``fast``
    No subprocess, kernel or network: the library, the maths, the quiz logic, file
    contracts. An autouse fixture refuses ``subprocess.Popen``, ``os.fork`` and friends,
    ``socket.socket.connect``/``bind`` and jupyter_client's kernel managers in these
    tests, so a test that starts one fails loudly instead of slowing the tier.
    ``python3 run.py test -m fast`` (about a minute on 2 cores).
``content``
    Runs notebooks, kernels or command-line tools, but grades nothing: every notebook
    top to bottom, the course facts, authoring and install tools, the lite build.
``grading``
    Real ``nbgrader`` and the grading sandbox: the session's one graded class
    (``tests/graded_class.py``: how a module adds its submissions is in its docstring),
    the attack suite, the round trips on SQLite and PostgreSQL, class grading in parallel.
``system``
    Whole systems: JupyterHub with real Unix accounts, JupyterLab and Voila in chromium.

A module joins the fast tier by being listed in ``FAST_MODULES`` (its tests marked
``slow``, ``browser`` or ``nbgrader`` stay out) or with ``pytestmark = pytest.mark.fast``.
Every other test gets its module's tier from ``TIERS`` (``content`` by default, ``grading``
for a test marked ``nbgrader``, ``system`` for one marked ``browser``) unless it carries a
tier marker itself, and everything outside the fast tier is also ``slow``, so
``-m "not slow"`` is the fast tier too.

Hypothesis runs derandomized (the profile ``gmm``: the same examples on every run and
every machine, no example database); ``GMM_HYPOTHESIS_PROFILE=search`` draws fresh
examples, for a deliberate search for counter-examples.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from hypothesis import settings

TIER_MARKERS = ("fast", "content", "grading", "system")

#: modules whose tests (bar those marked slow, browser or nbgrader) make up the fast tier
FAST_MODULES = {
    "test_layers",
    "test_em",
    "test_em_properties",
    "test_params",
    "test_data",
    "test_trace",
    "test_plots",
    "test_quiz",
    "test_widgets",
    "test_em_in_depth_library",
    "test_gradebook_db",
    "test_choice_cheats",
    "test_mistake_catalogue",
}

#: the tier of a module's tests that are not fast (default: content)
TIERS = {
    "test_grading_attacks": "grading",
    "test_em_step_mistakes": "grading",
    "test_nbgrader_e2e": "grading",
    "test_gradebook_db": "grading",
    "test_classgrade": "grading",
    "test_grading": "grading",
    "test_item_analysis": "grading",
    "test_choice_cheats": "grading",
    "test_render_trust": "grading",
    "test_sandbox_limits": "grading",
    "test_fair_styles": "grading",
    "test_identity": "grading",
    "test_check": "grading",
    "test_mistake_catalogue_graded": "grading",
    "test_hub": "system",
    "test_browser": "system",
    "test_voila": "system",
    "test_run": "system",
    "test_install": "system",
}

settings.register_profile("gmm", derandomize=True, database=None, print_blob=True)
settings.register_profile("search", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("GMM_HYPOTHESIS_PROFILE", "gmm"))


def tier_of(item: pytest.Item) -> str:
    """The one tier of a test: its own tier marker, else from its module and markers."""
    own = [name for name in TIER_MARKERS if item.get_closest_marker(name)]
    if len(own) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked with several tiers: {own}")
    if own:
        return own[0]
    module = getattr(item, "module", None)
    module = module.__name__.rpartition(".")[2] if module is not None else ""
    heavy = any(item.get_closest_marker(m) for m in ("slow", "browser", "nbgrader"))
    if module in FAST_MODULES and not heavy:
        return "fast"
    if item.get_closest_marker("browser"):
        return "system"
    if item.get_closest_marker("nbgrader"):
        return "grading"
    return TIERS.get(module, "content")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item)
        if not item.get_closest_marker(tier):
            item.add_marker(getattr(pytest.mark, tier))
        if tier != "fast" and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


class FastTierViolation(RuntimeError):
    """A fast-tier test tried to start a process, open a connection or start a kernel."""


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise FastTierViolation(
            f"{what} in a test of the fast tier: mark the test (or its module) with the tier it "
            "belongs to (content, grading or system), see tests/conftest.py"
        )

    return refuse


@pytest.fixture(autouse=True)
def _fast_tier_guard(request):
    """In fast-tier tests: no subprocess, no fork, no socket connect or bind, no kernel."""
    if request.node.get_closest_marker("fast") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        # on the class, not the module's name: a module that did `from subprocess import Popen`
        # while a fast test ran (jupyter_client.launcher) would otherwise keep the refusing
        # stand-in for the rest of the session; every Popen starts its child here (stdlib)
        mp.setattr(subprocess.Popen, "_execute_child", _refuse("subprocess.Popen"))
        for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve"):
            if hasattr(os, name):
                mp.setattr(os, name, _refuse(f"os.{name}"))
        mp.setattr(socket.socket, "connect", _refuse("socket.connect"))
        mp.setattr(socket.socket, "connect_ex", _refuse("socket.connect_ex"))
        mp.setattr(socket.socket, "bind", _refuse("socket.bind"))
        try:  # jupyter_client launches kernels with its own `from subprocess import Popen`
            from jupyter_client import manager
        except ImportError:
            pass
        else:
            for cls in (manager.KernelManager, manager.AsyncKernelManager):
                mp.setattr(cls, "start_kernel", _refuse(f"{cls.__name__}.start_kernel"))
        yield


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the whole session (tests/postgres_cluster.py).

    Debian's ``postgresql`` must be installed (``python3 run.py test`` installs it as root);
    a missing server fails the tests that need it rather than skipping them.
    """
    from postgres_cluster import PostgresCluster, postgres_bindir

    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is missing: apt-get install postgresql (python3 run.py test does it as root)")
    cluster = PostgresCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def library_wheel(tmp_path_factory):
    """The library's wheel, built once for the session (tests/test_install.py and
    tests/test_packaging.py read it; a build is about 25 s on 2 cores).

    Built from a copy of what the wheel is made of, so setuptools' build/ and *.egg-info
    land in a temporary folder, not in the checkout. Returns (the wheel, the names in the
    checkout's top folder before the build, and after it).
    """
    import shutil
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    tmp = tmp_path_factory.mktemp("library-wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, source / name)
    shutil.copytree(root / "gmm_lesson", source / "gmm_lesson", ignore=shutil.ignore_patterns("__pycache__"))
    before = sorted(p.name for p in root.iterdir())
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(source)],
        check=True,
    )
    (wheel,) = (tmp / "dist").glob("gmm_lesson-*.whl")
    return wheel, before, sorted(p.name for p in root.iterdir())


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The session's one graded class (tests/graded_class.py).

    Every submission the collected modules registered, graded once in one temporary
    course (SQLite gradebook) by one ``nbgrader autograde`` batch per assignment and set
    of time limits; the attack, mistake, end-to-end, check and fair-style tests all read
    their scores from it.
    """
    import graded_class as gc

    return gc.grade_class(tmp_path_factory.mktemp("class"))
