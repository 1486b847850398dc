"""``gmm-check``: a self-paced learner grades their own notebooks (issue 16).

Fast (no kernel): the hidden checks a wrong answer cannot pass by luck. Each classic
mistake is run through the judges' own request and verdict functions on 50 fresh draws
of the hidden inputs, in this process, and must lose on every one while the course's
solution passes every one.

Slow (nbgrader): a batch of em_step_by_step notebooks (right, and with mistakes) graded
once by ``gmm-check --json`` and once by stock ``nbgrader autograde`` with the course's
config: the same score for every item; no message shows a line of a solution or a key.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest

from gmm_grader import check as gmm_check
from gmm_grader import judge, probe
from gmm_lesson import em

DRAWS = 50


def _define(source: str, name: str):
    """The function ``name`` defined by ``source`` in a fresh namespace (as a notebook would)."""
    namespace = {"np": np, "em": em}
    exec(source, namespace)  # test data written in this file
    return namespace[name]


def _solution(assignment: str, grade_id: str, name: str):
    return _define(h.solution_sources(h.read(h.source_notebook_path(assignment)))[grade_id], name)


E_STEP_WRONG_AXIS = """
def e_step(X, params):
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=0, keepdims=True)  # normalised over the points, not the components
    log_norm = m[0] + np.log(np.exp(a - m).sum(axis=0))
    resp = np.exp(a - log_norm[None, :])
    return resp, float(np.log(np.exp(a).sum(axis=1)).sum())
"""

E_STEP_NO_WEIGHTS = """
def e_step(X, params):
    a = np.column_stack([
        log_gaussian(X, params.means[k], params.covariances[k])  # no log pi_k
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    return np.exp(a - log_norm[:, None]), float(log_norm.sum())
"""

M_STEP_HARD = """
def m_step(X, resp, reg_covar=1e-6):
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    hard = np.zeros_like(resp)
    hard[np.arange(len(resp)), resp.argmax(axis=1)] = 1.0  # each point to its likeliest component
    Nk = hard.sum(axis=0)
    means = (hard.T @ X) / Nk[:, None]
    covariances = []
    for k in range(hard.shape[1]):
        diff = X - means[k]
        covariances.append((hard[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(X.shape[1]))
    return em.GMMParams(Nk / len(X), means, np.array(covariances))
"""

N_PARAMETERS_TIED_PER_COMPONENT = """
def n_parameters(covariance_type, n_components, n_features):
    K, D = n_components, n_features
    covariance = {"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": K * D * (D + 1) // 2}
    return covariance[covariance_type] + K * D + (K - 1)
"""

#: mistake -> (its source, the function's name, the judges that must fail it on every draw)
LUCKY_MISTAKES = {
    "e_step_wrong_axis": (E_STEP_WRONG_AXIS, "e_step", ("e_step", "e_step_far")),
    "e_step_no_weights": (E_STEP_NO_WEIGHTS, "e_step", ("e_step", "e_step_far")),
    "m_step_hard_argmax": (M_STEP_HARD, "m_step", ("m_step_weights_means", "m_step_covariances")),
    "n_parameters_tied_per_component": (N_PARAMETERS_TIED_PER_COMPONENT, "n_parameters", ("n_parameters",)),
}
SOLUTIONS = {
    "e_step": ("em_step_by_step", "e_step"),
    "m_step": ("em_step_by_step", "m_step"),
    "n_parameters": ("em_in_depth", "n_parameters_answer"),
}


def _verdicts(judge_name: str, function, seed: int) -> list[str | None]:
    """The judge's verdict on ``function`` for DRAWS fresh draws (from ``seed``), in this process."""
    found = []
    for rng in np.random.default_rng(seed).spawn(DRAWS):
        the_judge = judge.JUDGES[judge_name]
        request = the_judge.request(rng)
        report = probe.run(judge.for_kernel(request), function)
        found.append(the_judge.verdict(request, report))
    return found


@pytest.mark.parametrize("mistake", sorted(LUCKY_MISTAKES))
def test_a_classic_mistake_fails_every_fresh_draw_and_the_solution_passes(mistake):
    source, name, judges = LUCKY_MISTAKES[mistake]
    wrong, right = _define(source, name), _solution(*SOLUTIONS[name], name)
    seed = secrets.randbits(64)  # fresh draws every run; the seed is in the message to replay one
    for judge_name in judges:
        assert _verdicts(judge_name, right, seed) == [None] * DRAWS, (judge_name, seed)
        passed = [i for i, verdict in enumerate(_verdicts(judge_name, wrong, seed)) if verdict is None]
        assert passed == [], f"{mistake} passed {judge_name} on draws {passed} (seed {seed})"
