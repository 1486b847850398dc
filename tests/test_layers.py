"""The import contracts between the two packages (read from the source, nothing imported).

* ``gmm_lesson`` (the learner's library) imports nothing of grading: not ``gmm_grader``,
  not nbgrader, nbclient, jupyter_client or scikit-learn.
* ``gmm_lesson.em`` (the maths a learner reads) imports only numpy and its own siblings:
  it never draws or prints.
* Of ``gmm_grader``, only the kernel-side probe enters a grading sandbox, so it imports
  only the standard library, numpy, IPython and ``gmm_lesson.params``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "gmm_lesson"
GRADER = ROOT / "grader" / "gmm_grader"

pytestmark = pytest.mark.fast


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved in its package)."""
    package = path.parent.name
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package if not node.module else f"{package}.{node.module}"
                found |= {base} if node.module else {f"{package}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.py")), ids=lambda p: p.name)
def test_the_library_imports_nothing_of_grading(path):
    forbidden = {"gmm_grader", "nbgrader", "nbclient", "jupyter_client", "sklearn", "scipy"}
    assert not {top(m) for m in imports(path)} & forbidden


def test_em_imports_only_numpy_and_its_siblings():
    allowed = {"numpy", "gmm_lesson", "__future__", "collections", "dataclasses", "functools", "itertools",
               "typing", "math"}
    assert {top(m) for m in imports(LIBRARY / "em.py")} <= allowed


def test_only_the_probe_enters_the_sandbox_and_it_imports_little():
    stdlib = set(sys.stdlib_module_names)
    probe = imports(GRADER / "probe.py")
    outside = {m for m in probe if top(m) not in stdlib | {"numpy", "IPython"}}
    assert outside <= {"gmm_lesson.params"}, outside
    # the sandbox copies that one file of the grader, named once
    text = (GRADER / "sandbox.py").read_text()
    assert 'KERNEL_SIDE = Path(__file__).resolve().parent / "probe.py"' in text


def test_the_grader_does_not_reach_back_into_tests_or_the_course():
    for path in GRADER.glob("*.py"):
        assert not {top(m) for m in imports(path)} & {"tests", "course"}, path.name
