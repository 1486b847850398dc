"""The grader's side of a hidden test: what to ask the student's code, and what is right.

A hidden test in a course notebook is one line per check, for example::

    ### BEGIN HIDDEN TESTS
    from gmm_grader.judge import check
    check("e_step", e_step)
    check("choice", my_answer, question="my_question")
    ### END HIDDEN TESTS

``check(name, *values, **options)`` names a judge in :data:`JUDGES`, the student's
values (functions or answers) and the instructor's options. A multiple-choice
question is named by its id: :func:`resolve` reads its key (and worked solution) from
the course's data file ``course/quiz/<assignment>.toml``, on the grader's side only.
Two ways it runs:

* **Autograding** (:mod:`gmm_grader.grading`): the grader reads these lines without
  running them. The student's kernel, in its sandbox, only gets ``probe.emit(token,
  e_step)``: it runs the student's code on inputs the grader chose (a request) and
  reports plain data. The grader compares that report with its own reference here,
  outside the kernel; the options (keys) never enter it.
* **In the instructor's own kernel** (running a source notebook, ``nbgrader
  validate``): :func:`check` does both halves in-process and raises ``AssertionError``
  with the judge's message when the answer is wrong.

A judge is ``request(rng, **options) -> dict`` (plain data for :func:`gmm_grader.probe.run`)
and ``verdict(request, report, **options) -> str | None`` (``None`` when right, else what
is wrong, in words a student can act on). The references come from :mod:`gmm_lesson.em`
in the grader's process, which the sandbox never sees.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gmm_lesson import data, density, em
from gmm_lesson.params import covariance_shape

from . import probe


@dataclass(frozen=True)
class Judge:
    """How to ask (``request``) and how to decide (``verdict``); ``kind`` as in probe.run."""

    request: Callable[..., dict]
    verdict: Callable[..., str | None]


# ------------------------------------------------------------------ plain data in
def _array(value) -> dict:
    return {"array": np.asarray(value, dtype=float).tolist()}


def _params(params: em.GMMParams) -> dict:
    return {
        "GMMParams": {n: np.asarray(getattr(params, n)).tolist() for n in ("weights", "means", "covariances")}
    }


def _from_params(value: dict) -> em.GMMParams:
    return em.GMMParams(**{n: np.array(v, dtype=float) for n, v in value["GMMParams"].items()})


def _random_params(rng: np.random.Generator, K: int, D: int) -> em.GMMParams:
    """Random full-covariance parameters: well-conditioned, not round, not axis-aligned."""
    A = rng.normal(size=(K, D, D))
    covariances = A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(D)
    return em.GMMParams(rng.dirichlet(np.full(K, 4.0)), rng.normal(scale=3.0, size=(K, D)), covariances)


def _sample(rng: np.random.Generator, params: em.GMMParams, N: int) -> np.ndarray:
    counts = rng.multinomial(N, params.weights)
    return np.concatenate(
        [
            rng.multivariate_normal(m, c, size=n)
            for m, c, n in zip(params.means, params.covariances, counts, strict=True)
        ]
    )


# ------------------------------------------------------------------ plain data out
def _number(reported) -> float | None:
    """A reported number as a float (None if it is not one); 'nan'/'inf' stay non-finite.

    A 0-d array (``np.array(2.5)``, what ``np.sum`` of an array gives with some
    arguments) is a number too; numpy scalars arrive as numbers already.
    """
    if isinstance(reported, bool):
        return None
    if isinstance(reported, dict) and reported.get("shape") == [] and "array" in reported:
        if reported.get("finite") is False:
            return float("nan")
        return _number(reported["array"])
    if isinstance(reported, int | float):
        return float(reported)
    if reported in ("nan", "inf", "-inf"):
        return float(reported)
    return None


def _got_array(reported) -> np.ndarray | None:
    if not isinstance(reported, dict) or "array" not in reported:
        return None
    try:
        got = np.array(reported["array"], dtype=float)
    except (TypeError, ValueError):
        return None
    if reported.get("finite") is False:
        return np.full(got.shape, np.nan)
    return got


def _describe(reported) -> str:
    if isinstance(reported, dict):
        if "array" in reported:
            return f"an array of shape {tuple(reported.get('shape', ()))}"
        if "tuple" in reported:
            return f"a tuple of {len(reported['tuple'])}"
        if "object" in reported:
            return f"a {reported['object']}"
        if "GMMParams" in reported:
            return "an em.GMMParams"
    if isinstance(reported, list):
        return f"a list of {len(reported)}"
    return f"{type(reported).__name__} {reported!r}"[:80]


def _close(got: np.ndarray, want: np.ndarray, tol: float = 1e-6) -> bool:
    """Equal shapes and every entry within tol relative to 1 + |want| (NaN is never close)."""
    want = np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= tol * (1.0 + np.abs(want))))


def _check_array(reported, want, what: str, tol: float = 1e-6) -> str | None:
    got = _got_array(reported)
    if got is None:
        return f"{what} should be a numpy array of shape {np.shape(want)}, got {_describe(reported)}"
    if got.shape != np.shape(want):
        return f"{what} has shape {got.shape}, expected {np.shape(want)}"
    if not np.isfinite(got).all():
        return f"{what} contains NaN or infinity"
    if not _close(got, want, tol):
        return f"{what} is not right"
    return None


def _check_number(reported, want: float, what: str, tol: float = 1e-6) -> str | None:
    got = _number(reported)
    if got is None:
        return f"{what} should be a number, got {_describe(reported)}"
    if not abs(got - want) <= tol * (1.0 + abs(want)):
        return f"{what} is not right"
    return None


def _pair(reported) -> list | None:
    """The two items of a reported pair: a tuple or a list of two (None otherwise)."""
    if isinstance(reported, dict) and isinstance(reported.get("tuple"), list):
        reported = reported["tuple"]
    return list(reported) if isinstance(reported, list) and len(reported) == 2 else None


def _sequence(reported) -> list | None:
    """The items of a reported list, tuple or 1-d array (None otherwise)."""
    if isinstance(reported, dict) and isinstance(reported.get("tuple"), list):
        return reported["tuple"]
    if isinstance(reported, dict) and "array" in reported and len(reported.get("shape", ())) == 1:
        if reported.get("finite") is False:
            return ["nan"] * len(reported["array"])  # which entries are not finite is not reported
        return reported["array"]
    return reported if isinstance(reported, list) else None


def _returned(call: dict, name: str) -> tuple[Any, str | None]:
    """What one call returned, or a message saying it raised."""
    if not isinstance(call, dict):
        return None, f"{name} was not called"
    if "raised" in call:
        return None, f"{name} raised {call['raised']}"
    if "returned" not in call:
        return None, f"{name} returned nothing the grader could read"
    return call["returned"], None


def _calls(report: dict, request: dict, name: str) -> tuple[list, str | None]:
    if "not_callable" in report:
        return [], f"{name} should be a function, got {report['not_callable']}"
    calls = report.get("calls")
    if not isinstance(calls, list) or len(calls) != len(request["calls"]):
        return [], f"{name} was not called on every hidden input"
    return calls, None


def _call_judge(name: str, make_calls, compare, explain_raised=None, counterexample=None) -> Judge:
    """A judge that calls the student's function on inputs and compares each result.

    ``make_calls(rng)`` gives ``[(args, kwargs, case), ...]`` (args and kwargs in plain
    data, ``case`` whatever ``compare(returned, case)`` needs to say what is wrong). An
    entry may have a fourth item, the stand-ins of that call (see :mod:`gmm_grader.probe`):
    ``{name: [{"args": [...], "returned": ...}, ...]}``, the right results of the
    student's earlier functions on the inputs this call leads to, so that the function
    checked here is scored on its own.

    A case may name known mistakes (``case["known"]``, see :func:`_known`): when what the
    student returned matches one of them on every call it fails, the verdict names that
    mistake (:data:`MISTAKES`). Otherwise a failing call marked ``case["small"]`` (a small
    input drawn afresh) gets ``counterexample(returned, case)``: the input, the property
    that fails, what came back. ``explain_raised(message, case)`` may name the mistake
    behind an exception.
    """

    def request(rng, **options):
        made = make_calls(rng)
        stand_ins: dict[str, list] = {}
        for entry in made:
            for name, table in (entry[3] if len(entry) > 3 else {}).items():
                stand_ins.setdefault(name, []).extend(table)
        request = {
            "kind": "call",
            "calls": [{"args": entry[0], "kwargs": entry[1]} for entry in made],
            "cases": [entry[2] for entry in made],
        }
        if stand_ins:
            request["stand_ins"] = stand_ins
        return request

    def verdict(request, report, **options):
        calls, problem = _calls(report, request, name)
        if problem:
            return problem
        results = []
        for call, case in zip(calls, request["cases"], strict=True):
            returned, problem = _returned(call, name)
            if problem is None:
                problem = compare(returned, case)
            elif explain_raised is not None:
                problem = explain_raised(problem, case) or problem
            results.append((returned, problem))
        failing = [i for i, (_, problem) in enumerate(results) if problem]
        if not failing:
            return None
        named = _known([results[i][0] for i in failing], [request["cases"][i] for i in failing])
        if named:
            return named
        returned, problem = results[failing[0]]
        case = request["cases"][failing[0]]
        if counterexample is not None and case.get("small") and problem.endswith("is not right"):
            return counterexample(returned, case)
        return problem

    return Judge(request, verdict)


# ------------------------------------------------------------------ known mistakes, by name
#: what the learner reads when their answer matches a known mistake (never the answer itself)
MISTAKES: dict[str, str] = {
    "log_gaussian_no_D": (
        "log_gaussian leaves out D in D log 2 pi: a D-dimensional Gaussian has one log 2 pi per dimension"
    ),
    "log_gaussian_no_log_det": (
        "log_gaussian leaves out log|Sigma|: the log-density is -(D log 2 pi + log|Sigma| + "
        "(x - mu)^T Sigma^-1 (x - mu)) / 2 (np.linalg.slogdet gives log|Sigma|)"
    ),
    "log_gaussian_det_not_log_det": (
        "log_gaussian uses the determinant |Sigma| where its log belongs: the term is log|Sigma| "
        "(np.linalg.slogdet gives it without overflow)"
    ),
    "log_gaussian_no_half": (
        "log_gaussian leaves out the factor -1/2: the log-density is -1/2 times "
        "(D log 2 pi + log|Sigma| + (x - mu)^T Sigma^-1 (x - mu)), every term halved"
    ),
    "log_likelihood_mean": "log_likelihood is the mean per point: return the total, the sum over all points",
    "log_likelihood_no_weights": (
        "log_likelihood leaves out the weights: each term is log pi_k + log N(x_n | mu_k, Sigma_k), "
        "and unequal weights change the total"
    ),
    "e_step_no_weights": (
        "the responsibilities leave out the weights: r_nk is proportional to pi_k N(x_n | mu_k, Sigma_k), "
        "so add log pi_k to each log-density before normalising"
    ),
    "e_step_wrong_axis": (
        "the responsibilities are normalised over the points (each column sums to 1): normalise each "
        "point's row over the components, so every row sums to 1"
    ),
    "m_step_hard": (
        "m_step uses hard assignments (each point to its likeliest component): EM's M-step weighs every "
        "point by its soft responsibility r_nk, however small"
    ),
    "m_step_global_mean": (
        "the covariances are taken about the mean of all the data: Sigma_k is spread about its own "
        "new mean mu_k, the responsibility-weighted average of its points"
    ),
    "m_step_means_over_N": (
        "the means are divided by N instead of N_k: mu_k is the responsibility-weighted average, "
        "sum_n r_nk x_n / N_k"
    ),
    "m_step_no_reg_covar": (
        "the covariances leave out reg_covar (or add a fixed amount): add reg_covar * I, the "
        "argument's value, to each Sigma_k"
    ),
    "m_step_unbiased": (
        "the covariances are divided by N_k - 1: divide by N_k, not N_k - 1 (np.cov divides by "
        "N_k - 1 unless bias=True)"
    ),
    "n_parameters_tied_per_component": (
        "n_parameters counts a tied covariance once per component: 'tied' is one covariance shared by all K "
        "components, D(D+1)/2 numbers in all"
    ),
    "n_parameters_K_weights": (
        "n_parameters counts K weights: they sum to 1, so there are K - 1 free weights"
    ),
    "n_parameters_D_squared": (
        "n_parameters counts D * D numbers per covariance matrix: it is symmetric, so "
        "D(D+1)/2 of them are free"
    ),
    "n_parameters_spherical_D": (
        "n_parameters counts D variances per spherical component: a spherical component has "
        "one variance per component"
    ),
}


#: known mistakes that are one mistake written two ways
_SAME = {"m_step_unbiased_weighted": "m_step_unbiased"}


def _known_value(value, part=None) -> dict:
    """A known mistake's result (``part``: which item of a pair, or which GMMParams field)."""
    return {"part": part, "value": probe.encode(value)}


def _telling(known: dict[str, dict], right) -> dict[str, dict]:
    """The known mistakes whose result differs from the right one (``right``: the encoded right
    result) on this input: one that gives the right part here cannot be told by it."""
    return {
        name: spec
        for name, spec in known.items()
        if not _matches(_part(probe.encode(right), spec["part"]), spec["value"])
    }


def _part(returned, part):
    if part is None:
        return returned
    if isinstance(part, int):
        pair = _pair(returned)
        return pair[part] if pair is not None else None
    if isinstance(returned, dict) and isinstance(returned.get("GMMParams"), dict):
        return returned["GMMParams"].get(part)
    return None


def _matches(got, want, tol: float = 1e-6) -> bool:
    """Whether a reported value is ``want`` (plain data as probe.encode makes it), within tol."""
    if isinstance(want, dict) and "array" in want:
        got_array = _got_array(got)
        return got_array is not None and _close(got_array, np.array(want["array"], dtype=float), tol)
    want_number = _number(want)
    if want_number is not None:
        got_number = _number(got)
        return got_number is not None and abs(got_number - want_number) <= tol * (1 + abs(want_number))
    return False


def _known(returned: list, cases: list) -> str | None:
    """The message of the known mistake(s) whose result is what came back on every failing call
    that knows them (a call may not list a mistake its input cannot show)."""
    matched, refuted = set(), set()
    for got, case in zip(returned, cases, strict=True):
        if got is None:  # it raised: neither for nor against
            continue
        for mistake, spec in case.get("known", {}).items():
            (matched if _matches(_part(got, spec["part"]), spec["value"]) else refuted).add(mistake)
    names = sorted(matched - refuted)
    texts = dict.fromkeys(MISTAKES[_SAME.get(m, m)] for m in names)
    return " Or: ".join(texts) if texts else None


def _short(value, decimals: int = 3) -> str:
    """A reported or given value, compactly (rounded, at most a few hundred characters)."""
    if isinstance(value, dict) and "GMMParams" in value:
        fields = value["GMMParams"]
        return "GMMParams(" + ", ".join(f"{k}={_short(fields.get(k), decimals)}" for k in fields) + ")"
    if isinstance(value, dict) and "tuple" in value:
        return "(" + ", ".join(_short(v, decimals) for v in value["tuple"]) + ")"
    array = _got_array(value)
    if array is None and isinstance(value, list):
        try:
            array = np.array(value, dtype=float)
        except (TypeError, ValueError):
            array = None
    if array is not None:
        text = np.array2string(np.round(array, decimals), separator=", ", threshold=40, max_line_width=10_000)
        return " ".join(text.split())[:300]
    number = _number(value)
    if number is not None:
        return f"{number:.{decimals + 2}g}"
    return _describe(value)


def _counterexample(name: str, inputs: str, prop: str, returned, part: str = "") -> str:
    return f"counterexample: input {inputs}; {prop}; your {name} returned {part}{_short(returned)}"


# ------------------------------------------------------------------ stand-ins for earlier steps
def _log_gaussian_table(X: np.ndarray, params: em.GMMParams) -> list[dict]:
    """log_gaussian(X, mean_k, cov_k) for every component: what log_likelihood and e_step call."""
    log_dens = em.estimate_log_prob(X, params)
    return [
        {
            "args": [_array(X), _array(params.means[k]), _array(params.covariances[k])],
            "returned": _array(log_dens[:, k]),
        }
        for k in range(params.n_components)
    ]


def _e_step_entries(X: np.ndarray, params: em.GMMParams, resp: np.ndarray, total: float) -> tuple[dict, dict]:
    """Stand-in entries of e_step and log_likelihood at ``params`` (whose E-step gave resp, total)."""
    args = [_array(X), _params(params)]
    return {"args": args, "returned": {"tuple": [_array(resp), total]}}, {"args": args, "returned": total}


# ------------------------------------------------------------------ the E-step exercises
def _small_params(rng: np.random.Generator, K: int, D: int) -> em.GMMParams:
    """Parameters with few decimals, for a counterexample a learner can read: unequal weights,
    a covariance that is not a multiple of I."""
    while True:
        weights = rng.dirichlet(np.full(K, 3.0)).round(2)
        weights[-1] = round(1 - weights[:-1].sum(), 2)
        A = rng.normal(size=(K, D, D)).round(1)
        covariances = (A @ np.swapaxes(A, 1, 2) + np.eye(D)).round(2)
        if weights.min() >= 0.1 and len(set(weights.tolist())) == K:
            return em.GMMParams(weights, rng.normal(scale=2.0, size=(K, D)).round(1), covariances)


def _log_gaussian_case(X: np.ndarray, p: em.GMMParams, small: bool = False) -> tuple:
    D = X.shape[1]
    mean, cov = p.means[0], p.covariances[0]
    want = em.estimate_log_prob(X, p)[:, 0]
    diff = X - mean
    maha = np.einsum("nd,de,ne->n", diff, np.linalg.inv(cov), diff)
    # the common mistake: Sigma where Sigma^-1 belongs in the Mahalanobis term
    with_sigma = want + 0.5 * maha - 0.5 * np.einsum("nd,de,ne->n", diff, cov, diff)
    log_det = np.linalg.slogdet(cov)[1]
    known = {
        "log_gaussian_no_D": _known_value(want + 0.5 * (D - 1) * np.log(2 * np.pi)),
        "log_gaussian_no_log_det": _known_value(want + 0.5 * log_det),
        "log_gaussian_det_not_log_det": _known_value(want + 0.5 * log_det - 0.5 * np.linalg.det(cov)),
        "log_gaussian_no_half": _known_value(2 * want),
    }
    case = {"D": D, "want": want.tolist(), "with_sigma": with_sigma.tolist(), "known": _telling(known, want)}
    if small:
        case.update(small=True, X=X.tolist(), mean=mean.tolist(), cov=cov.tolist(), log_det=log_det)
    return [_array(X), _array(mean), _array(cov)], {}, case


def _log_gaussian_calls(rng):
    # first a small input with the mean as its first row, then larger ones in 1, 2 and 3-D
    p = _small_params(rng, 1, 2)
    X = np.vstack([p.means, p.means + rng.normal(size=(2, 2)).round(1)])
    made = [_log_gaussian_case(X, p, small=True)]
    for D in (1, 2, 3):
        p = _random_params(rng, 1, D)
        made.append(_log_gaussian_case(_sample(rng, p, 40), p))
    return made


def _log_gaussian_compare(returned, case):
    problem = _check_array(returned, case["want"], f"log_gaussian's result in {case['D']}-D")
    if problem and _check_array(returned, case["with_sigma"], "") is None:
        return (
            f"log_gaussian's result in {case['D']}-D uses Sigma where its inverse belongs: the "
            "Mahalanobis term is (x - mu)^T Sigma^-1 (x - mu) (np.linalg.solve(cov, diff.T))"
        )
    return problem


def _log_gaussian_counterexample(returned, case):
    inputs = f"X={_short(case['X'])}, mean={_short(case['mean'])}, cov={_short(case['cov'])}"
    got = _got_array(returned)
    if got is not None and got.shape == (len(case["X"]),) and abs(got[0] - case["want"][0]) > 1e-6:
        prop = (
            "at x = mean (row 0) log N must be -(D log 2 pi + log|Sigma|) / 2, with D = 2 and "
            f"log|Sigma| = {case['log_det']:.4f}"
        )
    else:
        prop = (
            "row n minus row 0 must be -(x_n - mu)^T Sigma^-1 (x_n - mu) / 2, half the squared "
            "Mahalanobis distance"
        )
    return _counterexample("log_gaussian", inputs, prop, returned)


def _log_sum_exp(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.exp(a - m).sum(axis=axis))


def _far_from(p: em.GMMParams, rng: np.random.Generator) -> np.ndarray:
    """Two points so far from every component that every density underflows to 0 in float64:
    more than 60 standard deviations along the widest direction of every covariance."""
    spread = float(np.sqrt(max(np.linalg.eigvalsh(c).max() for c in p.covariances)))
    reach = float(np.abs(p.means).max()) + 60 * spread
    directions = rng.normal(size=(2, p.n_features))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return 2 * reach * directions


def _log_likelihood_case(X, p, what, small=False):
    log_dens = em.estimate_log_prob(X, p)
    total = em.log_likelihood(X, p)
    known = {
        "log_likelihood_mean": _known_value(total / len(X)),
        "log_likelihood_no_weights": _known_value(float(_log_sum_exp(log_dens, 1).sum())),
    }
    case = {"what": what, "want": total, "known": _telling(known, total)}
    if small:
        case.update(small=True, X=X.tolist(), params=_params(p))
    return [_array(X), _params(p)], {}, case, {"log_gaussian": _log_gaussian_table(X, p)}


def _log_likelihood_calls(rng):
    p = _small_params(rng, 2, 2)
    # near the middle of the two means, where both components count
    X = (p.means.mean(axis=0) + rng.normal(scale=0.5, size=(3, 2))).round(1)
    made = [_log_likelihood_case(X, p, "K=2, D=2", small=True)]
    for K, D in ((1, 2), (2, 2), (3, 3)):
        p = _random_params(rng, K, D)
        made.append(_log_likelihood_case(_sample(rng, p, 60), p, f"K={K}, D={D}"))
    p = _random_params(rng, 2, 2)
    made.append(_log_likelihood_case(_far_from(p, rng), p, "points far from every component"))
    return made


def _log_likelihood_compare(returned, case):
    got = _number(returned)
    if got is not None and not np.isfinite(got):
        return (
            f"log_likelihood for {case['what']} is {got}: exp() underflowed to 0 for a far point; "
            "subtract each row's largest term before exp (the log-sum-exp trick)"
        )
    return _check_number(returned, case["want"], f"log_likelihood for {case['what']}")


def _log_likelihood_counterexample(returned, case):
    inputs = f"X={_short(case['X'])}, params={_short(case['params'])}"
    prop = "log_likelihood must be sum_n log sum_k pi_k N(x_n | mu_k, Sigma_k), the total over the points"
    return _counterexample("log_likelihood", inputs, prop, returned)


#: far points for e_step_far: more points than components, so responsibilities normalised
#: over the wrong axis (columns summing to 1) can never pass as rows summing to 1
_FAR = np.array([[80.0, -75.0], [-90.0, 5.0], [3.0, 120.0], [110.0, 95.0]])


def _twin_params(rng: np.random.Generator, K: int, D: int) -> em.GMMParams:
    """Random parameters whose first two components share a mean and covariance, with weights
    13 to 7: wherever the twins hold a point their responsibilities are
    split in the ratio of their weights (13 to 7), so an E-step that leaves out the weights is wrong
    there whatever the point (even one far from every component, where resp is one-hot)."""
    p = _random_params(rng, K, D)
    weights = p.weights.copy()
    pair = weights[0] + weights[1]
    weights[:2] = (0.65 * pair, 0.35 * pair) if rng.random() < 0.5 else (0.35 * pair, 0.65 * pair)
    means, covariances = p.means.copy(), p.covariances.copy()
    means[1], covariances[1] = means[0], covariances[0]
    return em.GMMParams(weights, means, covariances)


def _e_step_case(X, p, what, small=False):
    resp, total = em.e_step(X, p)
    a = em.estimate_log_prob(X, p)
    stand_ins = {
        "log_gaussian": _log_gaussian_table(X, p),
        "log_likelihood": [{"args": [_array(X), _params(p)], "returned": total}],
    }
    known = {
        "e_step_no_weights": _known_value(np.exp(a - _log_sum_exp(a, 1)[:, None]), 0),
        "e_step_wrong_axis": _known_value(
            np.exp((a + np.log(p.weights)) - _log_sum_exp(a + np.log(p.weights), 0)), 0
        ),
    }
    case = {"what": what, "resp": resp.tolist(), "total": total, "known": _telling(known, (resp, total))}
    if small:
        case.update(small=True, X=X.tolist(), params=_params(p))
    return [_array(X), _params(p)], {}, case, stand_ins


def _e_step_cases(rng, shapes, far=False):
    made = []
    if not far:  # first a small input, for a counterexample
        p = _small_params(rng, 2, 1)
        X = (p.means.mean(axis=0) + rng.normal(scale=0.5, size=(3, 1))).round(1)  # where both count
        made.append(_e_step_case(X, p, "K=2, D=1", small=True))
    for K, D in shapes:
        for _ in range(100):  # far: until the twins hold a far point (most draws do)
            p = _twin_params(rng, K, D) if far else _random_params(rng, K, D)
            X = _FAR if far else _sample(rng, p, 80)
            resp, _ = em.e_step(X, p)
            if not far:
                break
            # the twins hold a far point, and some point is far enough that exp() underflows
            if (resp[:, 0] + resp[:, 1]).max() > 0.9 and em.estimate_log_prob(X, p).max(axis=1).min() < -800:
                break
        else:  # pragma: no cover
            raise RuntimeError("no draw put a far point on the twin components")
        made.append(_e_step_case(X, p, "points far from every component" if far else f"K={K}, D={D}"))
    return made


def _e_step_compare(returned, case):
    pair = _pair(returned)
    if pair is None:
        return f"e_step should return a pair (resp, total), got {_describe(returned)}"
    resp, total = pair
    want = np.asarray(case["resp"])
    got = _got_array(resp)
    if got is not None and got.shape == want.T.shape and _close(got, want.T) and not _close(got, want):
        return (
            f"resp for {case['what']} has its axes swapped: it must have shape (N, K), "
            "one row per point and one column per component"
        )
    got_total, N = _number(total), want.shape[0]
    if got_total is not None and abs(got_total - case["total"] / N) <= 1e-6 * (1 + abs(case["total"] / N)):
        return (
            f"the total log-likelihood for {case['what']} is the mean per point: return the total, "
            "the sum over all points"
        )
    if got is not None and got.shape == want.shape and not np.isfinite(got).all():
        return (
            f"resp for {case['what']} contains NaN or infinity: exp() underflowed to 0 / 0; "
            "subtract each row's largest a_nk before exp (the log-sum-exp trick)"
        )
    return _check_array(resp, case["resp"], f"resp for {case['what']}") or _check_number(
        total, case["total"], f"the total log-likelihood for {case['what']}"
    )


def _e_step_counterexample(returned, case):
    inputs = f"X={_short(case['X'])}, params={_short(case['params'])}"
    pair = _pair(returned)
    got = _got_array(pair[0]) if pair else None
    want = np.asarray(case["resp"])
    if got is None or got.shape != want.shape:
        prop = f"resp must have shape (N, K) = {want.shape}"
    elif not np.allclose(got.sum(axis=1), 1.0):
        prop = "each row of resp (one point) must sum to 1"
    elif (got < 0).any() or (got > 1).any():
        prop = "every responsibility must be between 0 and 1"
    elif not _close(got, want):
        prop = "in each row, r_nk must be proportional to pi_k N(x_n | mu_k, Sigma_k)"
    else:
        prop = "the total must be sum_n log sum_k pi_k N(x_n | mu_k, Sigma_k)"
    return _counterexample("e_step", inputs, prop, returned)


def _m_step_calls(rng, shapes, regs):
    # first a small input with soft responsibilities, for a counterexample
    X = rng.normal(scale=2.0, size=(4, 2)).round(1)
    resp = rng.dirichlet(np.ones(2), size=4).round(2)
    resp[:, 1] = 1 - resp[:, 0]
    made = [_m_step_case(X, resp, regs[0], "K=2, D=2, N=4", small=True)]
    for (K, D), reg in zip(shapes, regs, strict=True):
        X = rng.normal(size=(50, D)) * np.arange(1, D + 1)
        resp = rng.dirichlet(np.ones(K), size=50)
        made.append(_m_step_case(X, resp, reg, f"K={K}, D={D}"))
    return made


def _m_step_case(X, resp, reg, what, small=False):
    K, D = resp.shape[1], X.shape[1]
    want = em.m_step(X, resp, reg_covar=reg)
    kwargs = {} if reg == 1e-6 else {"reg_covar": reg}
    # the common mistake, dividing by N_k - 1: by hand, or as np.cov(..., aweights=r_k) does
    Nk, sum_sq = resp.sum(axis=0), (resp**2).sum(axis=0)
    scatter = (want.covariances - reg * np.eye(D)) * Nk[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # N_k = 1: that mistake is not finite there
        unbiased = [scatter / (Nk - 1)[:, None, None], scatter / (Nk - sum_sq / Nk)[:, None, None]]
    hard = np.eye(K)[resp.argmax(axis=1)]
    hard_params = em.m_step(X, hard, reg_covar=reg) if hard.sum(axis=0).min() > 0 else None
    diff = X - X.mean(axis=0)
    about_all = np.einsum("nk,nd,ne->kde", resp, diff, diff) / Nk[:, None, None] + reg * np.eye(D)
    known = {
        "m_step_global_mean": _known_value(about_all, "covariances"),
        "m_step_means_over_N": _known_value(resp.T @ X / len(X), "means"),
        "m_step_no_reg_covar": _known_value(want.covariances - reg * np.eye(D), "covariances"),
    }
    for name, u in zip(("m_step_unbiased", "m_step_unbiased_weighted"), unbiased, strict=True):
        known[name] = _known_value(u + reg * np.eye(D), "covariances")
    if hard_params is not None:
        known["m_step_hard"] = _known_value(hard_params.weights, "weights")
    case = {
        "what": what,
        "want": _params(want)["GMMParams"],
        "known": _telling(known, want),
    }
    if small:
        case.update(small=True, X=X.tolist(), resp=resp.tolist(), reg=reg)
    return [_array(X), _array(resp)], kwargs, case


def _m_step_raised(message, case):
    if "weights" in message and "sum to 1" in message:
        return (
            f"m_step raised for {case['what']}: em.GMMParams refused weights that do not sum to 1. "
            "pi_k = N_k / N: divide each component's total responsibility by the number of points"
        )
    return None


def _m_step_counterexample(fields):
    props = {
        "weights": "weights must be pi_k = N_k / N, with N_k = sum_n r_nk",
        "means": "means must be mu_k = sum_n r_nk x_n / N_k, the responsibility-weighted averages",
        "covariances": (
            "covariances must be Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + reg_covar I"
        ),
    }

    def counterexample(returned, case):
        inputs = f"X={_short(case['X'])}, resp={_short(case['resp'])}, reg_covar={case['reg']:g}"
        got = returned.get("GMMParams", {}) if isinstance(returned, dict) else {}
        wrong = next(
            (f for f in fields if _check_array(got.get(f), case["want"][f], f) is not None), fields[0]
        )
        return _counterexample("m_step", inputs, props[wrong], got.get(wrong), f"{wrong} ")

    return counterexample


def _m_step_compare(fields):
    def compare(returned, case):
        if not isinstance(returned, dict) or "GMMParams" not in returned:
            return (
                f"m_step should return em.GMMParams(weights, means, covariances), got {_describe(returned)}"
            )
        for field in fields:
            problem = _check_array(
                returned["GMMParams"].get(field), case["want"][field], f"{field} for {case['what']}"
            )
            if problem:
                return problem
        return None

    return compare


# ------------------------------------------------------------------ the learner's EM loop
def _usual_start(rng: np.random.Generator, N: int = 120) -> tuple[np.ndarray, em.GMMParams, list]:
    """Data from three components and a usual start (three data points as means, the data's
    covariance), with the reference run from it: ``[(params_t, resp_t, total_t), ...]``.

    A draw in which a component empties (weight below 5%) is drawn again: there the mean
    of an almost empty component is set by rounding, and two correct programs differ.
    """
    for _ in range(50):
        p = _random_params(rng, 3, 2)
        X = _sample(rng, p, N)
        means = X[rng.choice(len(X), size=3, replace=False)]
        start = em.GMMParams(np.full(3, 1 / 3), means, np.repeat(np.cov(X.T, bias=True)[None], 3, axis=0))
        run, params = [], start
        for _ in range(40):
            resp, total = em.e_step(X, params)
            run.append((params, resp, total))
            params = em.m_step(X, resp)
        if min(params.weights.min() for params, _, _ in run) >= 0.05:
            break
    return X, start, run


def _run_em_call(X, start, run, tol, n_iter, max_iter, extra=3):
    """One call of ``run_em(X, start, tol=tol, max_iter=max_iter)`` expected to run ``n_iter``
    iterations, with the stand-ins of ``e_step``, ``m_step`` and ``log_likelihood`` for the
    reference run (``extra`` iterations beyond, so a loop that goes on too long is told so)."""
    stand_ins: dict[str, list] = {"e_step": [], "m_step": [], "log_likelihood": []}
    for t in range(min(n_iter + extra, len(run) - 1) + 1):
        params, resp, total = run[t]
        e_entry, ll_entry = _e_step_entries(X, params, resp, total)
        stand_ins["e_step"].append(e_entry)
        stand_ins["log_likelihood"].append(ll_entry)
        if t + 1 < len(run):
            m_entry = {"args": [_array(X), _array(resp)], "returned": _params(run[t + 1][0])}
            stand_ins["m_step"].append(m_entry)
    case = {
        "tol": tol,
        "max_iter": max_iter,
        "history": [total for _, _, total in run[: n_iter + 1]],
        "want": _params(run[n_iter][0])["GMMParams"],
        "previous": _params(run[max(n_iter - 1, 0)][0])["GMMParams"],
    }
    return [_array(X), _params(start)], {"tol": tol, "max_iter": max_iter}, case, stand_ins


def _run_em_fixed_calls(rng):
    """tol=0: run_em must run exactly max_iter iterations."""
    X, start, run = _usual_start(rng)
    return [_run_em_call(X, start, run, 0.0, n, n) for n in (1, 6)]


def _run_em_stopping_calls(rng):
    """A tol that stops the reference run at a clear iteration t* (3 <= t* <= 15): the change
    of log L per point is at least 1.4 times below tol at t* and 1.4 times above it at every
    earlier iteration, far beyond rounding, so every correct program stops at t*."""
    for _ in range(50):
        X, start, run = _usual_start(rng)
        N = len(X)
        gains = np.abs(np.diff([total for _, _, total in run])) / N  # gains[t-1]: iteration t
        for stop in range(3, 16):
            before, at = float(gains[: stop - 1].min()), float(gains[stop - 1])
            if before > 2 * at > 0:
                # the whole run's tables, whatever t*: a table as long as t* + 3 would tell
                # a loop without a stopping rule where to stop
                tol = float(np.sqrt(before * at))
                # where a loop comparing the change of the *total* with tol stops: within the
                # run, so that mistake is told by name
                below = np.flatnonzero(gains * N < tol)
                if len(below) == 0 or below[0] + 1 == stop:
                    break
                made = _run_em_call(X, start, run, tol, stop, 100, extra=len(run))
                made[2]["stop_total"] = int(below[0]) + 1
                return [made]
    raise RuntimeError("no draw gave a clear stopping iteration")  # pragma: no cover


def _run_em_compare(returned, case):
    tol, max_iter = case["tol"], case["max_iter"]
    pair = _pair(returned)
    if pair is None:
        return f"run_em should return a pair (params, history), got {_describe(returned)}"
    params, reported_history = pair
    history = _sequence(reported_history)
    if history is None:
        return f"history should be a list of numbers, got {_describe(reported_history)}"
    not_numbers = [v for v in history if _number(v) is None]
    if not_numbers:
        return f"history should hold only numbers, but it holds {_describe(not_numbers[0])}"
    want = case["history"]
    got = np.array([_number(v) for v in history])
    if len(history) == len(want) - 1 and _close(got, np.array(want[1:]), 1e-6):
        return (
            "history leaves out the start: history[0] must be the log-likelihood of the parameters "
            "run_em starts from, before any iteration, then one per iteration"
        )
    if tol > 0 and len(history) == len(want) - 1 and _close(got, np.array(want[:-1]), 1e-6):
        return (
            "run_em breaks before recording its last iteration: the iteration whose change falls "
            "below tol still counts; append its log-likelihood (and keep its parameters), then stop"
        )
    if tol > 0 and len(history) - 1 == case.get("stop_total"):
        return (
            f"with tol={tol:.3g}, run_em went on until the change of the total log L fell below tol: "
            "divide the change of the total by N (tol is per point), |new - old| / N < tol"
        )
    if len(history) != len(want):
        n = len(want) - 1
        if tol == 0:
            return (
                f"with tol=0 and max_iter={max_iter}, run_em should run {max_iter} iterations and return "
                f"{max_iter + 1} log-likelihoods (the start's, then one per iteration), got {len(history)}"
            )
        return (
            f"with tol={tol:.3g}, run_em stopped after {len(history) - 1} iterations; it should stop after "
            f"{n}: the first iteration whose change of log L per point, |new - old| / N, is below tol"
        )
    if not _close(got, np.array(want), 1e-6):
        return (
            "history is not right: history[t] should be the total log L after t iterations "
            "(history[0]: the start's)"
        )
    if not isinstance(params, dict) or "GMMParams" not in params:
        return f"run_em should return the final parameters as em.GMMParams, got {_describe(params)}"
    fields = ("weights", "means", "covariances")
    if any(_check_array(params["GMMParams"].get(f), case["want"][f], "", 1e-5) for f in fields) and all(
        _check_array(params["GMMParams"].get(f), case["previous"][f], "", 1e-5) is None for f in fields
    ):
        return (
            "run_em returns the parameters one iteration behind: return those of the last M-step, "
            "the parameters whose log-likelihood is history[-1]"
        )
    for field in fields:
        got = params["GMMParams"].get(field)
        problem = _check_array(got, case["want"][field], f"the final {field}", 1e-5)
        if problem:
            return problem
    return None


# ------------------------------------------------------------------ answers as values
def _value_request(rng, **options):
    return {"kind": "value"}


def _values(report: dict, count: int) -> list | None:
    values = report.get("values")
    return values if isinstance(values, list) and len(values) == count else None


def _choice_verdict(request, report, *, key: str, letters: str = "ABCD"):
    values = _values(report, 1)
    if values is None:
        return "the answer could not be read"
    answer = values[0]
    if not isinstance(answer, str) or answer.strip().upper() not in letters:
        return f"answer with one letter of {', '.join(letters)}, got {_describe(answer)}"
    return None if answer.strip().upper() == key.strip().upper() else "that is not the right letter"


def _two_cluster_verdict(request, report, **options):
    """The labels of [1, 2, 3, 10, 11, 12] must split at the widest gap, either way round."""
    values = _values(report, 1)
    labels = values[0] if values else None
    if isinstance(labels, dict) and "array" in labels:
        labels = labels["array"]
    if not isinstance(labels, list) or len(labels) != 6:
        return f"labels_q3 should hold 6 labels, got {_describe(labels)}"
    if not all(_number(v) in (0.0, 1.0) for v in labels):
        return "every label must be 0 or 1"
    x = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0]
    ordered = sorted(x)
    cut = max(range(len(ordered) - 1), key=lambda i: ordered[i + 1] - ordered[i])
    low_is_0 = [0.0 if v <= ordered[cut] else 1.0 for v in x]
    got = [_number(v) for v in labels]
    if got not in (low_is_0, [1.0 - v for v in low_is_0]):
        return "the labels do not split {1, 2, 3} from {10, 11, 12}"
    return None


@functools.cache
def _faithful_criteria() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """BIC and AIC of em.fit(Z, K, seed=0) for K = 1..6 on the standardised eruptions (computed once)."""
    Z, _, _ = data.standardize(data.load_old_faithful())
    fits = [em.fit(Z, K, seed=0) for K in range(1, 7)]
    return tuple(f.bic(Z) for f in fits), tuple(f.aic(Z) for f in fits)


def _named_k(got: int, expected: int, mistakes: dict[str, int], what: str) -> str:
    """The message for a wrong K: the known mistakes that give ``got`` (all of them), else ``what``."""
    names = [text for text, k in mistakes.items() if k == got and k != expected]
    return " Or: ".join(names) if names else what


def _best_k_verdict(request, report, **options):
    """best_k must be the K in 1..6 with the lowest BIC, each fitted with em.fit(..., seed=0)."""
    values = _values(report, 1)
    got = _number(values[0]) if values else None
    if got is None or got != int(got):
        return f"best_k should be an integer, got {_describe(values[0] if values else None)}"
    bics, aics = _faithful_criteria()
    expected = 1 + int(np.argmin(bics))
    if int(got) == expected:
        return None
    mistakes = {
        f"best_k = {int(got)} is np.argmin's 0-based index: K runs from 1, so the K at index i is i + 1": int(
            np.argmin(bics)
        ),
        f"best_k = {int(got)} is the K with the highest BIC: a lower BIC is better": 1 + int(np.argmax(bics)),
        f"best_k = {int(got)} is the K with the lowest AIC: the question asks for BIC": 1
        + int(np.argmin(aics)),
    }
    return _named_k(int(got), expected, mistakes, "best_k is not the K with the lowest BIC")


# ------------------------------------------------------------------ em_in_depth
def _n_parameters_calls(rng):
    """Three (K, D) per covariance type, drawn at grading time: K = 1 once and K >= 2 twice (with
    one component, "tied" is one covariance per component), D >= 2 at least once (in 1-D a
    covariance matrix is one number, symmetric or not)."""
    made = []
    for covariance_type in em.COVARIANCE_TYPES:
        for (k_low, k_high), (d_low, d_high) in (((1, 2), (1, 6)), ((2, 7), (2, 6)), ((2, 7), (1, 6))):
            K, D = int(rng.integers(k_low, k_high)), int(rng.integers(d_low, d_high))
            shape = covariance_shape(covariance_type, K, D)
            if covariance_type in ("diag", "spherical"):
                covariances = np.ones(shape)
            else:
                covariances = np.broadcast_to(np.eye(D), shape)
            params = em.GMMParams(np.full(K, 1 / K), np.zeros((K, D)), covariances, covariance_type)
            want = params.n_parameters()
            triangle = D * (D + 1) // 2
            covariance = {"full": K * triangle, "diag": K * D, "spherical": K, "tied": triangle}[
                covariance_type
            ]
            rest = want - covariance
            known = {
                "n_parameters_K_weights": _known_value(want + 1),
                "n_parameters_tied_per_component": _known_value(
                    want + (K - 1) * triangle if covariance_type == "tied" else want
                ),
                "n_parameters_D_squared": _known_value(
                    rest + {"full": K * D * D, "tied": D * D}.get(covariance_type, covariance)
                ),
                "n_parameters_spherical_D": _known_value(
                    rest + K * D if covariance_type == "spherical" else want
                ),
            }
            what = f"covariance_type={covariance_type!r}, K={K}, D={D}"
            case = {"what": what, "want": want, "known": _telling(known, want)}
            made.append(([covariance_type, K, D], {}, case))
    return made


def _n_parameters_compare(returned, case):
    got = _number(returned)
    if got is None or got != int(got):
        return f"n_parameters({case['what']}) should return an integer, got {_describe(returned)}"
    if int(got) == case["want"]:
        return None
    return (
        f"counterexample: n_parameters({case['what']}) returned {int(got)}; it must count the free "
        "numbers of the covariances, the means and the weights (which sum to 1)"
    )


@functools.cache
def _faithful_scores() -> tuple[np.ndarray, np.ndarray]:
    """Log-densities of the training eruptions and of the new ones under em.fit(Z, 2, seed=0)."""
    Z, X_new, _ = density.faithful_with_new_eruptions()
    params = em.fit(Z, 2, seed=0).params
    return density.score_samples(Z, params), density.score_samples(X_new, params)


def _anomaly_verdict(request, report, *, fraction: float):
    """threshold: the ``fraction`` quantile of the training log-densities under em.fit(Z, 2, seed=0);
    flagged: the indices of the new eruptions whose log-density is below it."""
    values = _values(report, 2)
    if values is None:
        return "the answers could not be read"
    scores, new = _faithful_scores()
    threshold = float(np.quantile(scores, fraction))
    got = _number(values[0])
    known = {
        f"threshold is the {1 - fraction:g} quantile: the threshold leaves the lowest {fraction:.0%} "
        "of the training log-densities below it, np.quantile(..., fraction)": np.quantile(
            scores, 1 - fraction
        ),
        f"threshold is np.percentile at {fraction:g}: np.percentile takes percents (0 to 100), "
        "np.quantile fractions (0 to 1)": np.percentile(scores, fraction),
        "threshold is np.quantile at 1, the largest log-density: np.quantile takes a fraction "
        "(0 to 1)": np.quantile(scores, min(1.0, 100 * fraction)),
        "threshold is a quantile of the new eruptions' log-densities: take it of the training "
        "points' log-densities, then compare the new eruptions with it": np.quantile(new, fraction),
    }
    if got is not None and abs(got - threshold) > 1e-6 * (1 + abs(threshold)):
        for text, value in known.items():
            if abs(got - value) <= 1e-6 * (1 + abs(value)):
                return text
    problem = _check_number(values[0], threshold, "threshold")
    if problem:
        return problem
    flagged = values[1]
    dtype = flagged.get("dtype") if isinstance(flagged, dict) else None
    if isinstance(flagged, dict) and "array" in flagged:
        flagged = flagged["array"]
    mask = (new < threshold).tolist()
    if (
        isinstance(flagged, list)
        and len(flagged) == len(mask)
        and (dtype == "bool" or all(isinstance(v, bool) for v in flagged))
    ):
        return (
            "flagged is a boolean mask (one True/False per new eruption): give the indices of the "
            "flagged eruptions instead (np.flatnonzero turns a mask into indices)"
        )
    got = [_number(v) for v in flagged] if isinstance(flagged, list) else None
    if got is None or any(v is None or v != int(v) for v in got):
        return f"flagged should be a list or array of indices of X_new, got {_describe(values[1])}"
    want = np.flatnonzero(new < threshold).tolist()
    if sorted(int(v) for v in got) != want:
        return "flagged is not the set of new eruptions below the threshold"
    return None


@functools.cache
def _held_out_scores(n_test: int, split_seed: int, seeds: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Training and held-out mean log-likelihood of the best-of-``seeds`` fit for K = 1..6."""
    Z, _, _ = data.standardize(data.load_old_faithful())
    train, test = density.held_out_split(Z, n_test, seed=split_seed)
    fits = [density.best_of_starts(train, K, range(seeds)) for K in range(1, 7)]
    return tuple(f.score(train) for f in fits), tuple(f.score(test) for f in fits)


def _best_k_heldout_verdict(request, report, *, n_test: int, split_seed: int, seeds: int):
    """The K in 1..6 whose best-of-``seeds`` fit on the training part scores highest on the held-out part."""
    values = _values(report, 1)
    got = _number(values[0]) if values else None
    if got is None or got != int(got):
        return f"best_k_heldout should be an integer, got {_describe(values[0] if values else None)}"
    train, test = _held_out_scores(n_test, split_seed, seeds)
    expected = 1 + int(np.argmax(test))
    if int(got) == expected:
        return None
    mistakes = {
        f"best_k_heldout = {int(got)} is the K whose fit scores highest on its own training points: "
        "score each fit on the held-out points, X_test": 1 + int(np.argmax(train)),
        f"best_k_heldout = {int(got)} is np.argmax's 0-based index: K runs from 1, so the K at index i "
        "is i + 1": int(np.argmax(test)),
        f"best_k_heldout = {int(got)} is the K with the lowest held-out score: a higher log-likelihood "
        "is better": 1 + int(np.argmin(test)),
    }
    return _named_k(
        int(got), expected, mistakes, "best_k_heldout is not the K with the highest held-out log-likelihood"
    )


JUDGES: dict[str, Judge] = {
    "log_gaussian": _call_judge(
        "log_gaussian",
        _log_gaussian_calls,
        _log_gaussian_compare,
        counterexample=_log_gaussian_counterexample,
    ),
    "log_likelihood": _call_judge(
        "log_likelihood",
        _log_likelihood_calls,
        _log_likelihood_compare,
        counterexample=_log_likelihood_counterexample,
    ),
    "e_step": _call_judge(
        "e_step",
        lambda rng: _e_step_cases(rng, ((2, 2), (3, 2), (3, 4))),
        _e_step_compare,
        counterexample=_e_step_counterexample,
    ),
    "e_step_far": _call_judge("e_step", lambda rng: _e_step_cases(rng, ((3, 2),), far=True), _e_step_compare),
    "m_step_weights_means": _call_judge(
        "m_step",
        lambda rng: _m_step_calls(rng, ((2, 2), (3, 3)), (1e-6, 1e-6)),
        _m_step_compare(("weights", "means")),
        _m_step_raised,
        _m_step_counterexample(("weights", "means")),
    ),
    "m_step_covariances": _call_judge(
        "m_step",
        lambda rng: _m_step_calls(rng, ((2, 2), (3, 3)), (1e-6, 1e-3)),
        _m_step_compare(("covariances",)),
        _m_step_raised,
        _m_step_counterexample(("covariances",)),
    ),
    "run_em": _call_judge("run_em", _run_em_fixed_calls, _run_em_compare),
    "run_em_stops": _call_judge("run_em", _run_em_stopping_calls, _run_em_compare),
    "choice": Judge(_value_request, _choice_verdict),
    "two_cluster_split": Judge(_value_request, _two_cluster_verdict),
    "best_k_bic": Judge(_value_request, _best_k_verdict),
    "n_parameters": _call_judge("n_parameters", _n_parameters_calls, _n_parameters_compare),
    "anomaly_threshold": Judge(_value_request, _anomaly_verdict),
    "best_k_heldout": Judge(_value_request, _best_k_heldout_verdict),
}


#: environment variable naming the course root (the folder of nbgrader_config.py and quiz/)
COURSE_ENV = "GMM_LESSON_COURSE_ROOT"


def course_root(start: Path | None = None) -> Path:
    """The course folder whose ``quiz/`` data files hold the keys.

    ``$GMM_LESSON_COURSE_ROOT`` if set, else the first of ``start`` (default: the working
    folder, where a source notebook runs) and its parents holding ``nbgrader_config.py``
    and ``quiz/``.

    Raises
    ------
    FileNotFoundError
        If there is no such folder.
    """
    if os.environ.get(COURSE_ENV):
        return Path(os.environ[COURSE_ENV])
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "quiz").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course folder (nbgrader_config.py and quiz/) at or above {here}; set ${COURSE_ENV}"
    )


def quiz_entry(question: str, root: Path) -> dict:
    """The data of multiple-choice ``question`` in ``root/quiz/*.toml`` (key, solution, ...).

    Raises
    ------
    TypeError
        If ``question`` is not a string.
    ValueError
        If no data file, or more than one, has ``question``.
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a question id string, got {type(question).__name__}")
    found = []
    for path in sorted(Path(root, "quiz").glob("*.toml")):
        entry = tomllib.loads(path.read_text()).get(question)
        if isinstance(entry, dict):
            found.append(entry)
    if len(found) != 1:
        raise ValueError(
            f"question {question!r} must be in exactly one of {root}/quiz/*.toml, found {len(found)}"
        )
    return found[0]


def resolve(
    name: str, options: dict[str, Any], root: Path | None = None
) -> tuple[dict[str, Any], str | None]:
    """The options judge ``name`` is given, and what to show after grading.

    ``question="<id>"`` becomes ``key="<letter>"`` from the course's data file (``root``,
    default :func:`course_root`), and the text shown is its worked solution (or, without
    one, the right letter); other options pass through unchanged, with nothing shown.
    """
    if "question" not in options:
        return dict(options), None
    options = dict(options)
    entry = quiz_entry(options.pop("question"), course_root() if root is None else root)
    solution = entry.get("solution", "").strip("\n")
    shown = f"Worked solution:\n{solution}" if solution else f"The right answer: {entry['key']}"
    return {**options, "key": entry["key"]}, shown


def for_kernel(request: dict) -> dict:
    """The part of a request the student's kernel may see: inputs, never the answers."""
    return {key: value for key, value in request.items() if key not in ("cases", "want")}


def check(name: str, *values: Any, **options: Any) -> None:
    """Run check ``name`` on the student's ``values`` here, in this process.

    For the instructor's own kernel (a source notebook, ``nbgrader validate``); when a
    notebook is autograded the grader reads this call instead of running it.

    Raises
    ------
    KeyError
        If ``name`` is not a judge in :data:`JUDGES`.
    AssertionError
        With the judge's message, if the answer is wrong.
    """
    if name not in JUDGES:
        raise KeyError(f"no judge named {name!r}; known: {', '.join(sorted(JUDGES))}")
    judge = JUDGES[name]
    options, _ = resolve(name, options)
    request = judge.request(np.random.default_rng(), **options)
    report = probe.run(for_kernel(request), *values)
    problem = judge.verdict(request, report, **options)
    assert problem is None, problem
