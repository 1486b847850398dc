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


def _call_judge(name: str, make_calls, compare) -> Judge:
    """A judge that calls the student's function on inputs and compares each result.

    ``make_calls(rng)`` gives ``[(args, kwargs, case), ...]`` (args and kwargs in plain
    data, ``case`` whatever ``compare(returned, case)`` needs to say what is wrong). An
    entry may have a fourth item, the stand-ins of that call (see :mod:`gmm_grader.probe`):
    ``{name: [{"args": [...], "returned": ...}, ...]}``, the right results of the
    student's earlier functions on the inputs this call leads to, so that the function
    checked here is scored on its own.
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
        for call, case in zip(calls, request["cases"], strict=True):
            returned, problem = _returned(call, name)
            problem = problem or compare(returned, case)
            if problem:
                return problem
        return None

    return Judge(request, verdict)


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
def _log_gaussian_calls(rng):
    made = []
    for D in (1, 2, 3):
        p = _random_params(rng, 1, D)
        X = _sample(rng, p, 40)
        want = em.estimate_log_prob(X, p)[:, 0]
        diff = X - p.means[0]
        # the common mistake: Sigma where Sigma^-1 belongs in the Mahalanobis term
        with_sigma = want + 0.5 * np.einsum("nd,de,ne->n", diff, np.linalg.inv(p.covariances[0]), diff)
        with_sigma -= 0.5 * np.einsum("nd,de,ne->n", diff, p.covariances[0], diff)
        made.append(
            (
                [_array(X), _array(p.means[0]), _array(p.covariances[0])],
                {},
                {"D": D, "want": want.tolist(), "with_sigma": with_sigma.tolist()},
            )
        )
    return made


def _log_gaussian_compare(returned, case):
    problem = _check_array(returned, case["want"], f"log_gaussian's result in {case['D']}-D")
    if problem and _check_array(returned, case["with_sigma"], "") is None:
        return (
            f"log_gaussian's result in {case['D']}-D uses Sigma where its inverse belongs: the "
            "Mahalanobis term is (x - mu)^T Sigma^-1 (x - mu) (np.linalg.solve(cov, diff.T))"
        )
    return problem


def _log_likelihood_calls(rng):
    made = []
    for K, D in ((1, 2), (2, 2), (3, 3)):
        p = _random_params(rng, K, D)
        X = _sample(rng, p, 60)
        made.append(
            (
                [_array(X), _params(p)],
                {},
                {"what": f"K={K}, D={D}", "want": em.log_likelihood(X, p)},
                {"log_gaussian": _log_gaussian_table(X, p)},
            )
        )
    p = _random_params(rng, 2, 2)
    far = p.means[0] + np.array([[60.0, 60.0], [-70.0, 10.0]])
    made.append(
        (
            [_array(far), _params(p)],
            {},
            {
                "what": "points far from every component",
                "want": em.log_likelihood(far, p),
            },
            {"log_gaussian": _log_gaussian_table(far, p)},
        )
    )
    return made


def _log_likelihood_compare(returned, case):
    got = _number(returned)
    if got is not None and not np.isfinite(got):
        return (
            f"log_likelihood for {case['what']} is {got}: exp() underflowed to 0 for a far point; "
            "subtract each row's largest term before exp (the log-sum-exp trick)"
        )
    return _check_number(returned, case["want"], f"log_likelihood for {case['what']}")


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


def _e_step_cases(rng, shapes, far=False):
    made = []
    for K, D in shapes:
        for _ in range(100):  # far: until the twins hold a far point (most draws do)
            p = _twin_params(rng, K, D) if far else _random_params(rng, K, D)
            X = _FAR if far else _sample(rng, p, 80)
            resp, total = em.e_step(X, p)
            if not far or (resp[:, 0] + resp[:, 1]).max() > 0.9:
                break
        else:  # pragma: no cover
            raise RuntimeError("no draw put a far point on the twin components")
        what = "points far from every component" if far else f"K={K}, D={D}"
        stand_ins = {
            "log_gaussian": _log_gaussian_table(X, p),
            "log_likelihood": [{"args": [_array(X), _params(p)], "returned": total}],
        }
        case = {"what": what, "resp": resp.tolist(), "total": total}
        made.append(([_array(X), _params(p)], {}, case, stand_ins))
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
    return _check_array(resp, case["resp"], f"resp for {case['what']}") or _check_number(
        total, case["total"], f"the total log-likelihood for {case['what']}"
    )


def _m_step_calls(rng, shapes, regs):
    made = []
    for (K, D), reg in zip(shapes, regs, strict=True):
        X = rng.normal(size=(50, D)) * np.arange(1, D + 1)
        resp = rng.dirichlet(np.ones(K), size=50)
        want = em.m_step(X, resp, reg_covar=reg)
        kwargs = {} if reg == 1e-6 else {"reg_covar": reg}
        # the common mistake, dividing by N_k - 1: by hand, or as np.cov(..., aweights=r_k) does
        Nk, sum_sq = resp.sum(axis=0), (resp**2).sum(axis=0)
        scatter = (want.covariances - reg * np.eye(D)) * Nk[:, None, None]
        unbiased = [scatter / (Nk - 1)[:, None, None], scatter / (Nk - sum_sq / Nk)[:, None, None]]
        case = {
            "what": f"K={K}, D={D}",
            "want": _params(want)["GMMParams"],
            "unbiased": [(u + reg * np.eye(D)).tolist() for u in unbiased],
        }
        made.append(([_array(X), _array(resp)], kwargs, case))
    return made


def _m_step_compare(fields):
    def compare(returned, case):
        if not isinstance(returned, dict) or "GMMParams" not in returned:
            return (
                f"m_step should return em.GMMParams(weights, means, covariances), got {_describe(returned)}"
            )
        for field in fields:
            got = returned["GMMParams"].get(field)
            problem = _check_array(got, case["want"][field], f"{field} for {case['what']}")
            unbiased = case.get("unbiased", []) if field == "covariances" else []
            if problem and any(_check_array(got, u, "") is None for u in unbiased):
                return (
                    f"covariances for {case['what']} are divided by N_k - 1: divide by N_k, not N_k - 1 "
                    "(np.cov divides by N_k - 1 unless bias=True)"
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
                return [_run_em_call(X, start, run, tol, stop, 100, extra=len(run))]
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
    if not _close(np.array([_number(v) for v in history]), np.array(want), 1e-6):
        return (
            "history is not right: history[t] should be the total log L after t iterations "
            "(history[0]: the start's)"
        )
    if not isinstance(params, dict) or "GMMParams" not in params:
        return f"run_em should return the final parameters as em.GMMParams, got {_describe(params)}"
    for field in ("weights", "means", "covariances"):
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


def _best_k_verdict(request, report, **options):
    """best_k must be the K in 1..6 with the lowest BIC, each fitted with em.fit(..., seed=0)."""
    values = _values(report, 1)
    got = _number(values[0]) if values else None
    if got is None or got != int(got):
        return f"best_k should be an integer, got {_describe(values[0] if values else None)}"
    Z, _, _ = data.standardize(data.load_old_faithful())
    bics = [em.fit(Z, K, seed=0).bic(Z) for K in range(1, 7)]
    expected = 1 + int(np.argmin(bics))
    return None if int(got) == expected else "best_k is not the K with the lowest BIC"


# ------------------------------------------------------------------ em_in_depth
def _n_parameters_calls(rng):
    """Three (K, D) per covariance type, drawn at grading time (K = 1 once, K >= 2 twice)."""
    made = []
    for covariance_type in em.COVARIANCE_TYPES:
        # one K = 1 and two K >= 2: with one component, "tied" is the same as one covariance
        # per component, so a draw of K = 1 alone would let that mistake pass
        for low, high in ((1, 2), (2, 7), (2, 7)):
            K, D = int(rng.integers(low, high)), int(rng.integers(1, 6))
            shape = covariance_shape(covariance_type, K, D)
            if covariance_type in ("diag", "spherical"):
                covariances = np.ones(shape)
            else:
                covariances = np.broadcast_to(np.eye(D), shape)
            params = em.GMMParams(np.full(K, 1 / K), np.zeros((K, D)), covariances, covariance_type)
            what = f"covariance_type={covariance_type!r}, K={K}, D={D}"
            made.append(([covariance_type, K, D], {}, {"what": what, "want": params.n_parameters()}))
    return made


def _n_parameters_compare(returned, case):
    got = _number(returned)
    if got is None or got != int(got):
        return f"n_parameters({case['what']}) should return an integer, got {_describe(returned)}"
    return None if int(got) == case["want"] else f"n_parameters({case['what']}) is not right"


def _anomaly_verdict(request, report, *, fraction: float):
    """threshold: the ``fraction`` quantile of the training log-densities under em.fit(Z, 2, seed=0);
    flagged: the indices of the new eruptions whose log-density is below it."""
    values = _values(report, 2)
    if values is None:
        return "the answers could not be read"
    Z, X_new, _ = density.faithful_with_new_eruptions()
    params = em.fit(Z, 2, seed=0).params
    threshold = float(np.quantile(density.score_samples(Z, params), fraction))
    problem = _check_number(values[0], threshold, "threshold")
    if problem:
        return problem
    flagged = values[1]
    if isinstance(flagged, dict) and "array" in flagged:
        flagged = flagged["array"]
    got = [_number(v) for v in flagged] if isinstance(flagged, list) else None
    if got is None or any(v is None or v != int(v) for v in got):
        return f"flagged should be a list or array of indices of X_new, got {_describe(values[1])}"
    want = np.flatnonzero(density.score_samples(X_new, params) < threshold).tolist()
    if sorted(int(v) for v in got) != want:
        return "flagged is not the set of new eruptions below the threshold"
    return None


def _best_k_heldout_verdict(request, report, *, n_test: int, split_seed: int, seeds: int):
    """The K in 1..6 whose best-of-``seeds`` fit on the training part scores highest on the held-out part."""
    values = _values(report, 1)
    got = _number(values[0]) if values else None
    if got is None or got != int(got):
        return f"best_k_heldout should be an integer, got {_describe(values[0] if values else None)}"
    Z, _, _ = data.standardize(data.load_old_faithful())
    train, test = density.held_out_split(Z, n_test, seed=split_seed)
    scores = [density.best_of_starts(train, K, range(seeds)).score(test) for K in range(1, 7)]
    expected = 1 + int(np.argmax(scores))
    if int(got) != expected:
        return "best_k_heldout is not the K with the highest held-out log-likelihood"
    return None


JUDGES: dict[str, Judge] = {
    "log_gaussian": _call_judge("log_gaussian", _log_gaussian_calls, _log_gaussian_compare),
    "log_likelihood": _call_judge("log_likelihood", _log_likelihood_calls, _log_likelihood_compare),
    "e_step": _call_judge(
        "e_step", lambda rng: _e_step_cases(rng, ((2, 2), (3, 2), (3, 4))), _e_step_compare
    ),
    "e_step_far": _call_judge("e_step", lambda rng: _e_step_cases(rng, ((3, 2),), far=True), _e_step_compare),
    "m_step_weights_means": _call_judge(
        "m_step",
        lambda rng: _m_step_calls(rng, ((2, 2), (3, 3)), (1e-6, 1e-6)),
        _m_step_compare(("weights", "means")),
    ),
    "m_step_covariances": _call_judge(
        "m_step",
        lambda rng: _m_step_calls(rng, ((2, 2), (3, 3)), (1e-6, 1e-3)),
        _m_step_compare(("covariances",)),
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
