"""The catalogue of known wrong answers: each loses its points on every fresh draw, by name.

Issue 16: a hidden check must not let a wrong answer through by the luck of its hidden
inputs, and its message must name the mistake when it is a known one. Each entry of
:data:`CATALOGUE` is a classic wrong implementation (or answer) of a graded item of the
course. It is run through the judges' own ``request`` and ``verdict`` (the grader's
side, in this process) and :func:`gmm_grader.probe.run` (the kernel's side, here too: no
kernel, no subprocess) on :data:`DRAWS` fresh draws of the hidden inputs: it must fail
every one, with a message holding the entry's phrase, while the course's own solution
passes every one. No message may hold a line of a solution (the source notebooks'
solution cells, the quiz's worked solutions).

An answer that is a value (``best_k``, ``threshold``...) has no hidden inputs to draw:
its judge is deterministic, and the draws only show that it stays so.

A wrong implementation no entry names gets a counterexample instead: a small input
drawn afresh, the property that fails and what the code returned
(``test_an_unknown_mistake_gets_a_small_counterexample``).
"""

from __future__ import annotations

import ast
import functools
import re
import secrets
import tomllib

import nbgrader_helpers as h
import numpy as np
import pytest
from gmm_grader import judge, probe

from gmm_lesson import data, density, em

DRAWS = 50


# ------------------------------------------------------------------ the catalogue
def _a(body: str) -> str:
    """The (N, K) array a_nk = log pi_k + log N(x_n | k), as a learner's e_step builds it."""
    return f"    a = np.column_stack([\n        {body}\n        for k in range(len(params.weights))\n    ])\n"


LOG_PI_PLUS_LOG_N = "np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])"


def _log_gaussian(last_line: str) -> str:
    return (
        "def log_gaussian(X, mean, cov):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    diff = X - mean\n"
        "    D = X.shape[1]\n"
        "    maha = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)\n"
        "    sigma = np.sum(diff * (diff @ np.asarray(cov).T), axis=1)\n"
        "    log_det = np.linalg.slogdet(cov)[1]\n"
        f"    return {last_line}\n"
    )


def _e_step(a_body: str, tail: str) -> str:
    return "def e_step(X, params):\n" + _a(a_body) + tail


LSE_ROWS = (
    "    m = a.max(axis=1, keepdims=True)\n    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))\n"
)


def _m_step(weights: str, means: str, centre: str, divide: str, reg: str = "reg_covar") -> str:
    return (
        "def m_step(X, resp, reg_covar=1e-6):\n"
        "    X, resp = np.asarray(X, dtype=float), np.asarray(resp, dtype=float)\n"
        "    Nk = resp.sum(axis=0)\n"
        f"    weights = {weights}\n"
        f"    means = {means}\n"
        "    covs = []\n"
        "    for k in range(resp.shape[1]):\n"
        f"        diff = X - {centre}\n"
        f"        covs.append((resp[:, k, None] * diff).T @ diff / {divide} + {reg} * np.eye(X.shape[1]))\n"
        "    return em.GMMParams(weights, means, np.array(covs))\n"
    )


def _run_em(body: str) -> str:
    return (
        "def run_em(X, params, tol=1e-3, max_iter=100):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    resp, total = e_step(X, params)\n"
        "    history = [total]\n" + body + "    return params, history\n"
    )


def _n_parameters(covariance: str, rest: str = "K * D + (K - 1)") -> str:
    return (
        "def n_parameters(covariance_type, n_components, n_features):\n"
        "    K, D = n_components, n_features\n"
        f"    covariance = {covariance}\n"
        f"    return covariance[covariance_type] + {rest}\n"
    )


RIGHT_COVARIANCE = '{"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": D * (D + 1) // 2}'


@functools.cache
def _faithful() -> dict:
    """The values the choosing_k and em_in_depth notebooks compute before their answers."""
    Z_faithful, _, _ = data.standardize(data.load_old_faithful())
    Z, X_new, planted = density.faithful_with_new_eruptions()
    fits = {K: em.fit(Z_faithful, K, seed=0) for K in range(1, 7)}
    X_train, X_test = density.held_out_split(Z, 72, seed=0)
    best = {K: density.best_of_starts(X_train, K, range(5)) for K in range(1, 7)}
    return {
        "bic": [fits[K].bic(Z_faithful) for K in range(1, 7)],
        "aic": [fits[K].aic(Z_faithful) for K in range(1, 7)],
        "train": [best[K].score(X_train) for K in range(1, 7)],
        "test": [best[K].score(X_test) for K in range(1, 7)],
        "scores": density.score_samples(Z, em.fit(Z, 2, seed=0).params),
        "new": density.score_samples(X_new, em.fit(Z, 2, seed=0).params),
    }


def _values(code: str) -> dict:
    namespace = {"np": np, **_faithful()}
    exec(code, namespace)  # test data written in this file
    return namespace


#: mistake -> (the graded item's function or answer names, source, judges, phrase the message holds)
CATALOGUE: dict[str, tuple[tuple[str, ...], str, tuple[str, ...], str]] = {
    # ---- log_gaussian
    "log_gaussian_sigma_not_inverse": (
        ("log_gaussian",),
        _log_gaussian("-0.5 * (D * np.log(2 * np.pi) + log_det + sigma)"),
        ("log_gaussian",),
        "uses Sigma where its inverse belongs",
    ),
    "log_gaussian_no_D": (
        ("log_gaussian",),
        _log_gaussian("-0.5 * (np.log(2 * np.pi) + log_det + maha)"),
        ("log_gaussian",),
        "leaves out D in D log 2 pi",
    ),
    "log_gaussian_no_log_det": (
        ("log_gaussian",),
        _log_gaussian("-0.5 * (D * np.log(2 * np.pi) + maha)"),
        ("log_gaussian",),
        "leaves out log|Sigma|",
    ),
    "log_gaussian_det_not_log_det": (
        ("log_gaussian",),
        _log_gaussian("-0.5 * (D * np.log(2 * np.pi) + np.linalg.det(cov) + maha)"),
        ("log_gaussian",),
        "the determinant |Sigma| where its log belongs",
    ),
    "log_gaussian_no_half": (
        ("log_gaussian",),
        _log_gaussian("-(D * np.log(2 * np.pi) + log_det + maha)"),
        ("log_gaussian",),
        "the factor -1/2",
    ),
    # ---- log_likelihood
    "log_likelihood_no_log_sum_exp": (
        ("log_likelihood",),
        "def log_likelihood(X, params):\n"
        + _a(LOG_PI_PLUS_LOG_N)
        + "    return float(np.log(np.exp(a).sum(axis=1)).sum())\n",
        ("log_likelihood",),
        "log-sum-exp",
    ),
    "log_likelihood_mean_not_total": (
        ("log_likelihood",),
        "def log_likelihood(X, params):\n"
        + _a(LOG_PI_PLUS_LOG_N)
        + LSE_ROWS
        + "    return float(log_norm.mean())\n",
        ("log_likelihood",),
        "is the mean per point",
    ),
    "log_likelihood_no_log_weights": (
        ("log_likelihood",),
        "def log_likelihood(X, params):\n"
        + _a("log_gaussian(X, params.means[k], params.covariances[k])")
        + LSE_ROWS
        + "    return float(log_norm.sum())\n",
        ("log_likelihood",),
        "leaves out the weights",
    ),
    # ---- e_step
    "e_step_no_weights": (
        ("e_step",),
        _e_step("log_gaussian(X, params.means[k], params.covariances[k])", LSE_ROWS)
        + "    return np.exp(a - log_norm[:, None]), float(log_norm.sum())\n",
        ("e_step", "e_step_far"),
        "leave out the weights",
    ),
    "e_step_wrong_axis": (
        ("e_step",),
        _e_step(LOG_PI_PLUS_LOG_N, "") + "    m = a.max(axis=0, keepdims=True)\n"
        "    log_norm = m[0] + np.log(np.exp(a - m).sum(axis=0))\n"
        "    return np.exp(a - log_norm[None, :]), float(np.log(np.exp(a).sum(axis=1)).sum())\n",
        ("e_step", "e_step_far"),
        "normalised over the points",
    ),
    "e_step_resp_swapped": (
        ("e_step",),
        _e_step(LOG_PI_PLUS_LOG_N, LSE_ROWS)
        + "    return np.exp(a - log_norm[:, None]).T, float(log_norm.sum())\n",
        ("e_step", "e_step_far"),
        "axes swapped",
    ),
    "e_step_mean_not_total": (
        ("e_step",),
        _e_step(LOG_PI_PLUS_LOG_N, LSE_ROWS)
        + "    return np.exp(a - log_norm[:, None]), float(log_norm.mean())\n",
        ("e_step", "e_step_far"),
        "is the mean per point",
    ),
    "e_step_no_log_sum_exp": (
        ("e_step",),
        _e_step(LOG_PI_PLUS_LOG_N, "") + "    p = np.exp(a)\n"
        "    with np.errstate(all='ignore'):\n"
        "        return p / p.sum(axis=1, keepdims=True), float(np.log(p.sum(axis=1)).sum())\n",
        ("e_step_far",),
        "log-sum-exp",
    ),
    # ---- m_step
    "m_step_hard_argmax": (
        ("m_step",),
        "def m_step(X, resp, reg_covar=1e-6):\n"
        "    resp = np.asarray(resp, dtype=float)\n"
        "    hard = np.zeros_like(resp)\n"
        "    hard[np.arange(len(resp)), resp.argmax(axis=1)] = 1.0\n"
        "    return _right(X, hard, reg_covar=reg_covar)\n",
        ("m_step_weights_means", "m_step_covariances"),
        "hard assignments",
    ),
    "m_step_unbiased_covariances": (
        ("m_step",),
        _m_step("Nk / len(X)", "(resp.T @ X) / Nk[:, None]", "means[k]", "(Nk[k] - 1)"),
        ("m_step_covariances",),
        "divide by N_k, not N_k - 1",
    ),
    "m_step_global_mean": (
        ("m_step",),
        _m_step("Nk / len(X)", "(resp.T @ X) / Nk[:, None]", "X.mean(axis=0)", "Nk[k]"),
        ("m_step_covariances",),
        "about the mean of all the data",
    ),
    "m_step_weights_not_divided_by_N": (
        ("m_step",),
        _m_step("Nk", "(resp.T @ X) / Nk[:, None]", "means[k]", "Nk[k]"),
        ("m_step_weights_means",),
        "pi_k = N_k / N",
    ),
    "m_step_means_divided_by_N": (
        ("m_step",),
        _m_step("Nk / len(X)", "(resp.T @ X) / len(X)", "means[k]", "Nk[k]"),
        ("m_step_weights_means",),
        "divided by N instead of N_k",
    ),
    "m_step_no_reg_covar": (
        ("m_step",),
        _m_step("Nk / len(X)", "(resp.T @ X) / Nk[:, None]", "means[k]", "Nk[k]", reg="0"),
        ("m_step_covariances",),
        "reg_covar",
    ),
    # ---- run_em
    "run_em_history_without_start": (
        ("run_em",),
        "def run_em(X, params, tol=1e-3, max_iter=100):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    resp, total = e_step(X, params)\n"
        "    history = []\n"
        "    for _ in range(max_iter):\n"
        "        params = m_step(X, resp)\n"
        "        old, (resp, total) = total, e_step(X, params)\n"
        "        history.append(total)\n"
        "        if abs(total - old) / len(X) < tol:\n"
        "            break\n"
        "    return params, history\n",
        ("run_em", "run_em_stops"),
        "history[0]",
    ),
    "run_em_tol_on_the_total": (
        ("run_em",),
        _run_em(
            "    for _ in range(max_iter):\n"
            "        params = m_step(X, resp)\n"
            "        resp, total = e_step(X, params)\n"
            "        history.append(total)\n"
            "        if abs(history[-1] - history[-2]) < tol:\n"
            "            break\n"
        ),
        ("run_em_stops",),
        "divide the change of the total by N",
    ),
    "run_em_breaks_before_recording": (
        ("run_em",),
        _run_em(
            "    for _ in range(max_iter):\n"
            "        new = m_step(X, resp)\n"
            "        resp, total = e_step(X, new)\n"
            "        if abs(total - history[-1]) / len(X) < tol:\n"
            "            break\n"
            "        params = new\n"
            "        history.append(total)\n"
        ),
        ("run_em_stops",),
        "before recording",
    ),
    "run_em_params_one_behind": (
        ("run_em",),
        _run_em(
            "    for _ in range(max_iter):\n"
            "        previous, params = params, m_step(X, resp)\n"
            "        resp, total = e_step(X, params)\n"
            "        history.append(total)\n"
            "        if abs(history[-1] - history[-2]) / len(X) < tol:\n"
            "            break\n"
            "    params = previous\n"
        ),
        ("run_em", "run_em_stops"),
        "one iteration behind",
    ),
    # ---- choosing_k: best_k
    "best_k_zero_based_argmin": (
        ("best_k",),
        "best_k = int(np.argmin(bic))\n",
        ("best_k_bic",),
        "0-based",
    ),
    "best_k_highest_bic": (
        ("best_k",),
        "best_k = 1 + int(np.argmax(bic))\n",
        ("best_k_bic",),
        "highest BIC",
    ),
    "best_k_from_aic": (
        ("best_k",),
        "best_k = 1 + int(np.argmin(aic))\n",
        ("best_k_bic",),
        "AIC",
    ),
    # ---- em_in_depth: anomalies, held-out K, n_parameters
    "anomaly_flagged_as_a_mask": (
        ("threshold", "flagged"),
        "threshold = np.quantile(scores, 0.01)\nflagged = new < threshold\n",
        ("anomaly_threshold",),
        "boolean mask",
    ),
    "anomaly_upper_quantile": (
        ("threshold", "flagged"),
        "threshold = np.quantile(scores, 0.99)\nflagged = np.flatnonzero(new < threshold)\n",
        ("anomaly_threshold",),
        "0.99 quantile",
    ),
    "anomaly_percentile_of_a_fraction": (
        ("threshold", "flagged"),
        "threshold = np.percentile(scores, 0.01)\nflagged = np.flatnonzero(new < threshold)\n",
        ("anomaly_threshold",),
        "np.percentile",
    ),
    "anomaly_quantile_of_the_new_points": (
        ("threshold", "flagged"),
        "threshold = np.quantile(new, 0.01)\nflagged = np.flatnonzero(new < threshold)\n",
        ("anomaly_threshold",),
        "of the new eruptions",
    ),
    "heldout_scored_on_training_data": (
        ("best_k_heldout",),
        "best_k_heldout = 1 + int(np.argmax(train))\n",
        ("best_k_heldout",),
        "training",
    ),
    "heldout_zero_based_argmax": (
        ("best_k_heldout",),
        "best_k_heldout = int(np.argmax(test))\n",
        ("best_k_heldout",),
        "0-based",
    ),
    "n_parameters_tied_per_component": (
        ("n_parameters",),
        _n_parameters(
            '{"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": K * D * (D + 1) // 2}'
        ),
        ("n_parameters",),
        "tied covariance once per component",
    ),
    "n_parameters_K_weights": (
        ("n_parameters",),
        _n_parameters(RIGHT_COVARIANCE, "K * D + K"),
        ("n_parameters",),
        "K - 1 free weights",
    ),
    "n_parameters_full_D_squared": (
        ("n_parameters",),
        _n_parameters('{"full": K * D * D, "diag": K * D, "spherical": K, "tied": D * D}'),
        ("n_parameters",),
        "symmetric",
    ),
    "n_parameters_spherical_D_per_component": (
        ("n_parameters",),
        _n_parameters(
            '{"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K * D, "tied": D * (D + 1) // 2}'
        ),
        ("n_parameters",),
        "one variance per component",
    ),
}

#: a graded function -> (assignment, solution cell) of the course's own solution
SOLUTIONS = {
    "log_gaussian": ("em_step_by_step", "log_gaussian"),
    "log_likelihood": ("em_step_by_step", "log_likelihood"),
    "e_step": ("em_step_by_step", "e_step"),
    "m_step": ("em_step_by_step", "m_step"),
    "run_em": ("em_step_by_step", "run_em"),
    "n_parameters": ("em_in_depth", "n_parameters_answer"),
}
#: a graded answer -> the course's own solution, on the values the notebook computed before it
RIGHT_VALUES = {
    ("best_k",): "best_k = 1 + int(np.argmin(bic))\n",
    (
        "threshold",
        "flagged",
    ): "threshold = np.quantile(scores, 0.01)\nflagged = np.flatnonzero(new < threshold)\n",
    ("best_k_heldout",): "best_k_heldout = 1 + int(np.argmax(test))\n",
}
#: the options each judge is given in its notebook's hidden test
OPTIONS = {
    "anomaly_threshold": {"fraction": 0.01},
    "best_k_heldout": {"n_test": 72, "split_seed": 0, "seeds": 5},
}


def _solution(name: str):
    assignment, cell = SOLUTIONS[name]
    return _define(h.solution_sources(h.read(h.source_notebook_path(assignment)))[cell], name)


def _define(source: str, name: str):
    """The function ``name`` defined by ``source`` in a fresh namespace (as a notebook would)."""
    namespace = {"np": np, "em": em, "_right": em.m_step}
    exec(source, namespace)  # test data written in this file
    return namespace[name]


def _graded(names: tuple[str, ...], source: str) -> tuple:
    """What the hidden test hands the judge: the function, or the answer's values."""
    if names[0] in SOLUTIONS:
        return (_define(source, names[0]),)
    namespace = _values(source)
    return tuple(namespace[name] for name in names)


def _right(names: tuple[str, ...]) -> tuple:
    if names[0] in SOLUTIONS:
        return (_solution(names[0]),)
    namespace = _values(RIGHT_VALUES[names])
    return tuple(namespace[name] for name in names)


#: this session's draws: fresh every run, printed in a failure's message to replay it
SEED = secrets.randbits(64)


@functools.cache
def _requests(judge_name: str) -> tuple[dict, ...]:
    """DRAWS fresh requests of a judge (its hidden inputs), drawn once per session and shared
    by the solution and every mistake judged by it."""
    the_judge, options = judge.JUDGES[judge_name], OPTIONS.get(judge_name, {})
    return tuple(the_judge.request(rng, **options) for rng in np.random.default_rng(SEED).spawn(DRAWS))


def _verdicts(judge_name: str, values: tuple) -> list[str | None]:
    """The judge's verdict on ``values`` for each of its DRAWS requests, in this process."""
    the_judge, options = judge.JUDGES[judge_name], OPTIONS.get(judge_name, {})
    found = []
    for request in _requests(judge_name):
        with np.errstate(all="ignore"):
            report = probe.run(judge.for_kernel(request), *values)
        found.append(the_judge.verdict(request, report, **options))
    return found


@functools.cache
def _solution_lines() -> frozenset[str]:
    """Every line of a solution: the source notebooks' solution cells and the quiz's worked solutions."""
    lines = set()
    for assignment in h.assignments():
        for cell in h.read(h.source_notebook_path(assignment)).cells:
            for code in re.findall(f"{h.BEGIN_SOLUTION}\n(.*?){h.END_SOLUTION}", cell.source, re.S):
                lines |= {line.strip() for line in code.splitlines() if len(line.strip()) > 12}
    for path in (h.COURSE / "quiz").glob("*.toml"):
        for entry in tomllib.loads(path.read_text()).values():
            if isinstance(entry, dict) and "solution" in entry:
                lines |= {line.strip() for line in entry["solution"].splitlines() if len(line.strip()) > 12}
    return frozenset(lines)


def test_the_catalogue_covers_every_graded_function_and_answer():
    assert len(CATALOGUE) >= 20
    assert len(_solution_lines()) > 40
    graded = {names for names, *_ in CATALOGUE.values()}
    assert graded == {(n,) for n in SOLUTIONS} | set(RIGHT_VALUES)
    judged = {name for *_, judges, _ in CATALOGUE.values() for name in judges}
    assert judged == set(judge.JUDGES) - {"choice", "two_cluster_split"}


@functools.cache
def _mistake_verdicts(mistake: str, judge_name: str) -> tuple[str | None, ...]:
    names, source, _, _ = CATALOGUE[mistake]
    return tuple(_verdicts(judge_name, _graded(names, source)))


@pytest.mark.parametrize("graded", sorted({names for names, *_ in CATALOGUE.values()}))
def test_the_solution_passes_every_draw(graded):
    for judge_name in sorted(
        {j for names, _, judges, _ in CATALOGUE.values() if names == graded for j in judges}
    ):
        assert _verdicts(judge_name, _right(graded)) == [None] * DRAWS, (judge_name, SEED)


@pytest.mark.parametrize("mistake", sorted(CATALOGUE))
def test_a_known_mistake_fails_every_fresh_draw_by_name(mistake):
    _, _, judges, phrase = CATALOGUE[mistake]
    lines = _solution_lines()
    for judge_name in judges:
        verdicts = _mistake_verdicts(mistake, judge_name)
        passed = [i for i, verdict in enumerate(verdicts) if verdict is None]
        assert passed == [], f"{mistake} passed {judge_name} on draws {passed} (seed {SEED})"
        unnamed = [v for v in verdicts if phrase.lower() not in v.lower()]
        assert unnamed == [], f"{mistake} on {judge_name} not named (seed {SEED}): {unnamed[0]}"
        for verdict in set(verdicts):
            shown = [line for line in lines if line in verdict]
            assert shown == [], f"{mistake}'s message shows a solution line: {shown}"


def test_the_names_are_told_apart():
    """No mistake's message holds another mistake's phrase, unless the two give the same answer."""
    same_answer = {  # a value answer two mistakes share on this data: the message names both
        frozenset({"best_k_zero_based_argmin", "best_k_highest_bic"}),
    }
    for mistake, (names, _, judges, _) in CATALOGUE.items():
        verdicts = _mistake_verdicts(mistake, judges[0])
        for other, (other_names, _, other_judges, phrase) in CATALOGUE.items():
            if other == mistake or other_names != names or frozenset({mistake, other}) in same_answer:
                continue
            if judges[0] in other_judges:
                told = [v for v in verdicts if phrase.lower() in v.lower()]
                assert told == [], (mistake, other, told[0], SEED)


#: wrong implementations no catalogue entry describes, and the property their counterexample names
UNKNOWN = {
    "log_gaussian": (
        "def log_gaussian(X, mean, cov):\n    return -np.sum((np.asarray(X) - mean) ** 2, axis=1)\n",
        "log_gaussian",
    ),
    "e_step": (
        _e_step(LOG_PI_PLUS_LOG_N, LSE_ROWS)
        + "    return np.exp(a - log_norm[:, None]) ** 2, float(log_norm.sum())\n",
        "e_step",
    ),
    "m_step": (
        "def m_step(X, resp, reg_covar=1e-6):\n"
        "    p = _right(X, resp, reg_covar=reg_covar)\n"
        "    return em.GMMParams(p.weights, p.means + 0.5, p.covariances)\n",
        "m_step_weights_means",
    ),
    "log_likelihood": (
        "def log_likelihood(X, params):\n"
        + _a(LOG_PI_PLUS_LOG_N)
        + "    return float(a.max(axis=1).sum())\n",
        "log_likelihood",
    ),
}


@pytest.mark.parametrize("name", sorted(UNKNOWN))
def test_an_unknown_mistake_gets_a_small_counterexample(name):
    source, judge_name = UNKNOWN[name]
    verdicts = _verdicts(judge_name, (_define(source, name),))
    assert all(v is not None for v in verdicts), SEED
    for verdict in verdicts:
        assert verdict.startswith("counterexample: input "), verdict
        assert re.search(r"\bmust\b", verdict), verdict  # the property that fails
        assert f"your {name} returned " in verdict, verdict
        assert len(verdict) < 900, verdict
        assert not [line for line in _solution_lines() if line in verdict]


# ------------------------------------------------------------------ the visible tests
def _visible(cell) -> str:
    """The visible part of a test cell (what a learner's Validate runs)."""
    return cell.source.split(h.BEGIN_HIDDEN)[0]


@pytest.mark.parametrize("assignment", h.assignments())
def test_every_visible_assertion_has_a_message(assignment):
    bare = []
    for cell in h.read(h.source_notebook_path(assignment)).cells:
        if cell.cell_type == "code" and h.is_autograded_test(cell):
            for node in ast.walk(ast.parse(_visible(cell))):
                if isinstance(node, ast.Assert) and node.msg is None:
                    bare.append(f"{h.grade_id(cell)} line {node.lineno}")
    assert bare == []


#: the em_step_by_step mistakes -> {test cell whose visible test fails: a phrase of its message}
#: (a visible test that cannot see a mistake leaves it to the hidden test; none blames another bug)
VISIBLE = {
    "log_gaussian_sigma_not_inverse": {"test_log_gaussian": "Sigma where its inverse belongs"},
    "log_gaussian_no_D": {"test_log_gaussian": "the D is missing"},
    "log_gaussian_no_log_det": {"test_log_gaussian": "the log|Sigma| term is missing"},
    "log_gaussian_det_not_log_det": {"test_log_gaussian": "the determinant |Sigma|"},
    "log_gaussian_no_half": {"test_log_gaussian": "the factor -1/2 is missing"},
    "log_likelihood_no_log_sum_exp": {"test_log_likelihood": "Use the log-sum-exp trick"},
    "log_likelihood_mean_not_total": {"test_log_likelihood": "the mean per point"},
    "log_likelihood_no_log_weights": {"test_log_likelihood": "the weights are missing"},
    "e_step_no_weights": {"test_e_step": "the weights are missing"},
    "e_step_wrong_axis": {"test_e_step": "must sum to 1", "test_e_step_far_points": "log-sum-exp"},
    "e_step_resp_swapped": {"test_e_step": "its axes are swapped"},
    "e_step_mean_not_total": {"test_e_step": "the mean log-likelihood per point"},
    "e_step_no_log_sum_exp": {"test_e_step_far_points": "log-sum-exp"},
    "m_step_hard_argmax": {"test_m_step_weights_means": "hard assignments"},
    "m_step_unbiased_covariances": {"test_m_step_covariances": "Divide by N_k, not N_k - 1"},
    "m_step_global_mean": {"test_m_step_covariances": "about the mean of all the data"},
    "m_step_weights_not_divided_by_N": {
        "test_m_step_weights_means": "sum to 1",
        "test_m_step_covariances": "sum to 1",
    },
    "m_step_means_divided_by_N": {
        "test_m_step_weights_means": "mu_k = weighted mean",
        "test_m_step_covariances": "about their mean (1, 1)",
    },
    "m_step_no_reg_covar": {"test_m_step_weights_means": "reg_covar", "test_m_step_covariances": "reg_covar"},
    "run_em_history_without_start": {"test_run_em": "the start's", "test_run_em_stops": "the start's"},
    "run_em_tol_on_the_total": {"test_run_em_stops": "divide the change of the total by N"},
    "run_em_breaks_before_recording": {"test_run_em_stops": "break before recording"},
    "run_em_params_one_behind": {
        "test_run_em": "parameters after the last iteration",
        "test_run_em_stops": "parameters of its last iteration",
    },
}
#: stand-ins for the notebook's other functions where a mistake is written with them
_EM_EXTRA = {"_right": em.m_step}


@functools.cache
def _em_step_by_step() -> tuple[list[str], dict[str, str]]:
    """The notebook's set-up and solution code (in order) and {test cell: its visible test}."""
    setup, tests = [], {}
    for cell in h.read(h.source_notebook_path("em_step_by_step")).cells:
        if cell.cell_type != "code":
            continue
        if h.is_autograded_test(cell):
            if not h.grade_id(cell).startswith("test_q"):
                tests[h.grade_id(cell)] = _visible(cell)
        elif h.is_solution(cell) or re.match(r"import |X, _, _ = |start = ", cell.source):
            setup.append(h.strip_markers(cell.source))
    return setup, tests


def _visible_failures(overrides: dict[str, str]) -> dict[str, str]:
    """{test cell: its error} of em_step_by_step's visible tests, with ``overrides`` defined last."""
    setup, tests = _em_step_by_step()
    namespace = dict(_EM_EXTRA)
    for code in [*setup, *overrides.values()]:
        exec(code, namespace)  # the course's own code, and the catalogue's mistakes
    failures = {}
    for grade_id, code in tests.items():
        try:
            with np.errstate(all="ignore"):
                exec(code, namespace)
        except Exception as exc:  # what Validate shows
            failures[grade_id] = f"{type(exc).__name__}: {exc}"
    return failures


def test_the_visible_tests_pass_the_solution():
    assert _visible_failures({}) == {}


@pytest.mark.parametrize("mistake", sorted(VISIBLE))
def test_a_visible_test_names_only_the_mistake_it_sees(mistake):
    names, source, _, _ = CATALOGUE[mistake]
    failures = _visible_failures({names[0]: source})
    assert set(failures) == set(VISIBLE[mistake]), failures
    for grade_id, phrase in VISIBLE[mistake].items():
        assert phrase in failures[grade_id], (grade_id, failures[grade_id])


def test_every_em_step_by_step_mistake_has_its_visible_outcome_listed():
    graded = {"log_gaussian", "log_likelihood", "e_step", "m_step", "run_em"}
    assert set(VISIBLE) == {m for m, (names, *_) in CATALOGUE.items() if names[0] in graded}


def test_a_run_em_calling_the_library_is_told_that_the_test_swaps_in_stand_ins():
    calls_the_library = _run_em(
        "    for _ in range(max_iter):\n"
        "        params = em.m_step(X, resp)\n"
        "        resp, total = em.e_step(X, params)\n"
        "        history.append(total)\n"
        "        if abs(history[-1] - history[-2]) / len(X) < tol:\n"
        "            break\n"
    ).replace("= e_step(X, params)", "= em.e_step(X, params)")
    failures = _visible_failures({"run_em": calls_the_library})
    assert "replaces your e_step and m_step with stand-ins" in failures["test_run_em"]
    assert "not em.e_step" in failures["test_run_em"]
