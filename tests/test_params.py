"""gmm_lesson.params stands alone: GMMParams without any of EM's maths."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmm_lesson import checks, em, params

PARAMS_FILE = Path(params.__file__)


def test_em_re_exports_the_same_class():
    assert em.GMMParams is params.GMMParams
    assert em.COVARIANCE_TYPES == params.COVARIANCE_TYPES


def test_params_imports_only_numpy_and_checks():
    tree = ast.parse(PARAMS_FILE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert imported <= {"__future__.annotations", "dataclasses.dataclass", "numpy", "gmm_lesson.checks"}


@pytest.mark.content  # a fresh interpreter: the only way to see what an import pulls in
def test_params_loads_without_em_and_holds_no_em_maths():
    """Loaded in a fresh interpreter, params pulls in neither em nor the fast kernels."""
    code = (
        "import sys, numpy as np\n"
        "from gmm_lesson.params import GMMParams\n"
        "p = GMMParams([0.5, 0.5], [[0.0], [1.0]], [1.0, 2.0], 'spherical')\n"
        "print(p.n_components, p.n_features, p.n_parameters())\n"
        "print(sorted(m for m in sys.modules if m.startswith('gmm_lesson')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["2 1 5", "['gmm_lesson', 'gmm_lesson.checks', 'gmm_lesson.params']"]
    names = {name.lower() for name in vars(params)} | set(vars(params.GMMParams))
    for maths in ("e_step", "m_step", "log_likelihood", "estimate_log_prob", "log_gaussian", "precision"):
        assert not any(maths in name for name in names), maths


def test_unchecked_wraps_without_copying_and_freezes():
    weights, means, covariances = np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None]
    p = params.GMMParams.unchecked(weights, means, covariances, "full")
    assert p.means is means and not means.flags.writeable
    assert p.n_components == 1 and p.n_features == 2
    checked = params.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)])
    assert checked.means is not means and not checked.means.flags.writeable


def test_covariance_shape_follows_scikit_learn():
    shapes = {t: params.covariance_shape(t, 3, 2) for t in params.COVARIANCE_TYPES}
    assert shapes == {"full": (3, 2, 2), "diag": (3, 2), "spherical": (3,), "tied": (2, 2)}
    assert checks.one_of("tied", "covariance_type", params.COVARIANCE_TYPES) == "tied"
