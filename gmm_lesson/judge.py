"""The grader's side of a hidden test: what to ask the student's code, and what is right.

A hidden test in a course notebook is one line per check, for example::

    ### BEGIN HIDDEN TESTS
    from gmm_lesson.judge import check
    check("e_step", e_step)
    check("choice", my_answer, question="my_question")
    ### END HIDDEN TESTS

``check(name, *values, **options)`` names a judge in :data:`JUDGES`, the student's
values (functions or answers) and the instructor's options. A multiple-choice
question is named by its id: :func:`resolve` reads its key (and worked solution) from
the course's data file ``course/quiz/<assignment>.toml``, on the grader's side only.
Two ways it runs:

* **Autograding** (:mod:`gmm_lesson.grading`): the grader reads these lines without
  running them. The student's kernel, in its sandbox, only gets ``probe.emit(token,
  e_step)``: it runs the student's code on inputs the grader chose (a request) and
  reports plain data. The grader compares that report with its own reference here,
  outside the kernel; the options (keys) never enter it.
* **In the instructor's own kernel** (running a source notebook, ``nbgrader
  validate``): :func:`check` does both halves in-process and raises ``AssertionError``
  with the judge's message when the answer is wrong.

A judge is ``request(rng, **options) -> dict`` (plain data for :func:`gmm_lesson.probe.run`)
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

from . import data, em, probe


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
    """A reported number as a float (None if it is not one); 'nan'/'inf' stay non-finite."""
    if isinstance(reported, bool):
        return None
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
    data, ``case`` whatever ``compare(returned, case)`` needs to say what is wrong).
    """

    def request(rng, **options):
        made = make_calls(rng)
        return {
            "kind": "call",
            "calls": [{"args": args, "kwargs": kwargs} for args, kwargs, _ in made],
            "cases": [case for _, _, case in made],
        }

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


# ------------------------------------------------------------------ the E-step exercises
def _log_gaussian_calls(rng):
    made = []
    for D in (1, 2, 3):
        p = _random_params(rng, 1, D)
        X = _sample(rng, p, 40)
        want = em.estimate_log_prob(X, p)[:, 0]
        made.append(
            ([_array(X), _array(p.means[0]), _array(p.covariances[0])], {}, {"D": D, "want": want.tolist()})
        )
    return made


def _log_gaussian_compare(returned, case):
    return _check_array(returned, case["want"], f"log_gaussian's result in {case['D']}-D")


def _log_likelihood_calls(rng):
    made = []
    for K, D in ((1, 2), (2, 2), (3, 3)):
        p = _random_params(rng, K, D)
        X = _sample(rng, p, 60)
        made.append(([_array(X), _params(p)], {}, {"what": f"K={K}, D={D}", "want": em.log_likelihood(X, p)}))
    p = _random_params(rng, 2, 2)
    far = p.means[0] + np.array([[60.0, 60.0], [-70.0, 10.0]])
    made.append(
        (
            [_array(far), _params(p)],
            {},
            {
                "what": "points far from every component (use the log-sum-exp trick)",
                "want": em.log_likelihood(far, p),
            },
        )
    )
    return made


def _log_likelihood_compare(returned, case):
    return _check_number(returned, case["want"], f"log_likelihood for {case['what']}")


def _e_step_cases(rng, shapes, far=False):
    made = []
    for K, D in shapes:
        p = _random_params(rng, K, D)
        X = np.array([[80.0, -75.0], [-90.0, 5.0], [3.0, 120.0]]) if far else _sample(rng, p, 80)
        resp, total = em.e_step(X, p)
        what = "points far from every component" if far else f"K={K}, D={D}"
        made.append(([_array(X), _params(p)], {}, {"what": what, "resp": resp.tolist(), "total": total}))
    return made


def _e_step_compare(returned, case):
    if not isinstance(returned, dict) or len(returned.get("tuple", ())) != 2:
        return f"e_step should return a pair (resp, total), got {_describe(returned)}"
    resp, total = returned["tuple"]
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
        made.append(
            ([_array(X), _array(resp)], kwargs, {"what": f"K={K}, D={D}", "want": _params(want)["GMMParams"]})
        )
    return made


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


def _em_loop_request(rng, **options):
    """Eight EM iterations from a usual start: three data points as means, the data's covariance.

    A draw in which a component empties (weight below 5%) is drawn again: there the
    mean of an almost empty component is set by rounding, and two correct programs differ.
    """
    for _ in range(50):
        p = _random_params(rng, 3, 2)
        X = _sample(rng, p, 120)
        means = X[rng.choice(len(X), size=3, replace=False)]
        start = em.GMMParams(np.full(3, 1 / 3), means, np.repeat(np.cov(X.T, bias=True)[None], 3, axis=0))
        fitted = em.fit(X, 3, init=start, max_iter=8, tol=0.0)
        if min(step.params.weights.min() for step in fitted.steps) >= 0.05:
            break
    return {
        "kind": "em_loop",
        "X": _array(X),
        "start": _params(start),
        "n_iter": 8,
        "want": _params(fitted.params),
    }


def _em_loop_verdict(request, report, **options):
    if "raised" in report:
        return f"your EM loop raised {report['raised']}"
    returned = report.get("returned")
    if not isinstance(returned, dict) or "GMMParams" not in returned:
        return f"after 8 iterations m_step should give em.GMMParams, got {_describe(returned)}"
    want = request["want"]["GMMParams"]
    for field in ("weights", "means", "covariances"):
        problem = _check_array(
            returned["GMMParams"].get(field), want[field], f"{field} after 8 iterations", 1e-5
        )
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
    "em_loop": Judge(_em_loop_request, _em_loop_verdict),
    "choice": Judge(_value_request, _choice_verdict),
    "two_cluster_split": Judge(_value_request, _two_cluster_verdict),
    "best_k_bic": Judge(_value_request, _best_k_verdict),
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
