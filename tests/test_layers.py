"""The import contracts between the two packages (read from the source, nothing imported).

* ``gmm_lesson`` (the learner's library) imports nothing of grading: not ``gmm_grader``,
  not nbgrader, nbclient, jupyter_client or scikit-learn.
* ``gmm_lesson.em`` (the maths a learner reads, at most 400 lines, its loop calling
  ``e_step`` and ``m_step`` by name) imports only numpy and the few siblings it is built
  from (argument checks, parameters, the start of a run, the fitted model, label
  matching, the fast kernels), and those import only numpy and each other: nothing
  that draws or prints. The Gaussian log-density and the log-sum-exp are written in
  em.py (and, in their blocked layout, in the fast kernels), nowhere else.
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
                if "." not in node.module:  # from package import module
                    found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.py")), ids=lambda p: p.name)
def test_the_library_imports_nothing_of_grading(path):
    forbidden = {"gmm_grader", "nbgrader", "nbclient", "jupyter_client", "sklearn", "scipy"}
    assert not {top(m) for m in imports(path)} & forbidden


#: em.py and the modules it is built from
MATHS = {"em", "checks", "params", "start", "fitted", "labels", "fast"}


@pytest.mark.parametrize("name", sorted(MATHS))
def test_em_and_what_it_is_built_from_import_only_numpy_and_each_other(name):
    allowed = {"numpy", "gmm_lesson", "__future__", "collections", "dataclasses", "functools", "itertools",
               "typing", "math", "numbers"}
    found = imports(LIBRARY / f"{name}.py")
    assert {top(m) for m in found} <= allowed, found
    siblings = {m.split(".")[1] for m in found if m.startswith("gmm_lesson.")}
    assert siblings <= MATHS, siblings - MATHS


def test_em_is_at_most_400_lines_and_its_loop_calls_e_step_and_m_step_by_name():
    text = (LIBRARY / "em.py").read_text()
    assert text.count("\n") <= 400
    tree = ast.parse(text)
    loop = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "_run")
    assert {"e_step", "m_step"} <= called_by_name(loop)
    for public in ("fit", "em_steps"):  # both run that loop
        function = next(node for node in tree.body if getattr(node, "name", "") == public)
        assert "_run" in called_by_name(function)


def called_by_name(function: ast.FunctionDef) -> set[str]:
    return {n.func.id for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.py")), ids=lambda p: p.name)
def test_the_log_density_and_log_sum_exp_are_written_once(path):
    """Other modules call em's log_sum_exp, weighted_log_prob or estimate_log_prob."""
    if path.name not in ("em.py", "fast.py"):
        text = path.read_text()
        assert "np.pi" not in text and "logaddexp" not in text and "logsumexp" not in text


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
