"""Your EM beside the library's: run both from the same start and say where they part.

:func:`compare_em` runs EM twice from the same :class:`~gmm_lesson.em.GMMParams`, once
with the library's :func:`~gmm_lesson.em.e_step` and :func:`~gmm_lesson.em.m_step` and
once with a learner's own ``e_step(X, params) -> (resp, log_likelihood)`` and
``m_step(X, resp) -> GMMParams`` (the signatures of the ``em_step_by_step`` notebook),
and reports

* both log-likelihood curves (``history[t]``: the log-likelihood after iteration *t*,
  ``history[0]`` the start's, as the notebook's ``run_em`` returns it);
* the first half-step where the learner's function, **given the same input** as the
  library's (the library's parameters for an E-step, its responsibilities for an
  M-step), returns something else: the responsibilities, the log-likelihood, the
  weights, the means or the covariances, named, with the largest difference. Feeding
  both functions the same input pins a difference on the function that made it (an
  error made in one step does not show up as a "difference" in every later one), and
  the tiny rounding differences of two correct programs are never amplified into one;
* every iteration at which the learner's own run's log-likelihood went *down*, which EM
  never does;
* a clear sentence, never a traceback, when the learner's code raises, returns the
  wrong type or shape, or returns NaN: that is where its run stops.

Everything runs in the learner's own process and nothing is graded. This module only
computes; :mod:`gmm_lesson.widgets` draws it.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import checks, em

__all__ = ["Comparison", "Difference", "LearnerError", "TOLERANCE", "compare_em"]

#: Two values agree when they differ by at most this, relative to the larger of 1 and the
#: library's largest absolute value of that quantity (so 1e-6 for responsibilities and
#: weights, about 5e-4 for a total log-likelihood of -500). A correct solution written
#: with numpy differs from the library's Cholesky-based one by about 1e-13.
TOLERANCE = 1e-6

#: The learner's log-likelihood "went down" when it fell by more than this relative to
#: its size: more than rounding, which can make a converged run wobble by 1e-13.
FALL_TOLERANCE = 1e-9

#: the library's M-step regulariser, the default of the notebook's m_step too
REG_COVAR = 1e-6


class LearnerError(Exception):
    """The learner's code failed (raised, or returned the wrong type, shape or NaN): a sentence."""


@dataclass(frozen=True)
class Difference:
    """One quantity that differs at the first half-step where the two parted."""

    quantity: str  # "responsibilities", "log-likelihood", "weights", "means", "covariances"
    largest: float  # largest absolute difference
    where: str  # "point 4, component 1", "component 0", "" for the log-likelihood

    def __str__(self) -> str:
        at = f" (at {self.where})" if self.where else ""
        verb = "differs" if self.quantity == "log-likelihood" else "differ"
        return f"{self.quantity} {verb} by up to {self.largest:.3g}{at}"


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_em` found. Read :attr:`summary` for the sentences a learner reads."""

    reference: list[float]  # the library's log-likelihood after each iteration, [0] the start's
    yours: list[float]  # the learner's run, the same; shorter when their code failed
    reference_params: list[em.GMMParams]  # the library's parameters after each iteration, [0] the start
    your_params: list[em.GMMParams]  # the learner's, the same
    parted_at: tuple[int, str] | None  # (iteration, "E" or "M") of the first difference
    differences: tuple[Difference, ...]  # what differs there (empty if they never parted)
    falls: tuple[int, ...]  # iterations t at which yours[t] < yours[t - 1]
    error: str | None  # a sentence when the learner's code failed, else None
    error_at: tuple[int, str] | None  # (iteration, "E" or "M") of that failure

    @property
    def agrees(self) -> bool:
        """True when the learner's functions matched the library's at every half-step and never failed."""
        return self.parted_at is None and self.error is None and not self.falls

    @property
    def summary(self) -> list[str]:
        """One sentence per finding, in the order a learner should read them."""
        out = []
        if self.parted_at is not None:
            iteration, phase = self.parted_at
            function = "e_step" if phase == "E" else "m_step"
            given = "parameters" if phase == "E" else "responsibilities"
            out.append(
                f"First difference: iteration {iteration}, {phase}-step. Given the same {given} as the "
                f"library's {function}, your {function}'s {_listed(self.differences)}."
            )
        if self.error is not None:
            out.append(self.error)
        if self.falls:
            at = ", ".join(str(t) for t in self.falls)
            out.append(
                f"Your log-likelihood went down at iteration{'s' if len(self.falls) > 1 else ''} {at}: "
                "EM never lowers it, so one of your steps is not an E-step or M-step."
            )
        if not out:
            n = len(self.reference) - 1
            out.append(
                f"Your e_step and m_step match the library's at every half-step of {n} iteration"
                f"{'s' if n != 1 else ''} (within {TOLERANCE:g}), and your log-likelihood never went down."
            )
        return out


def _listed(differences) -> str:
    parts = [str(d) for d in differences]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# --------------------------------------------------------------------------- calling learner code
@contextlib.contextmanager
def _quiet():
    """No numpy warnings from learner code: a NaN or an overflow is told in a sentence instead."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _describe_exception(function: str, exc: BaseException, iteration: int, phase: str, own: str) -> str:
    """A sentence for an exception of the learner's ``function`` (its own name ``own``)."""
    where = f"iteration {iteration}, {phase}-step"
    if isinstance(exc, NotImplementedError):
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        raiser = tb.tb_frame.f_code.co_name if tb is not None else function
        unwritten = (f"Your {function} is not written yet" if raiser in (own, function, "<lambda>")
                     else f"Your {function} calls {raiser}, which is not written yet")
        return (f"{unwritten} (it raises NotImplementedError): write it above, run its cell, then run this "
                "cell again.")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"Your {function} raised {type(exc).__name__} at {where}" + (f": {text}" if text else ".")


def _call_e_step(e_step, X, params, K, iteration) -> tuple[np.ndarray, float]:
    """The learner's E-step, its result checked: (resp (N, K) finite, a finite number)."""
    try:
        with _quiet():
            out = e_step(X.copy(), params)
    except Exception as exc:  # noqa: BLE001 - any failure of learner code becomes a sentence
        raise LearnerError(_describe_exception("e_step", exc, iteration, "E", _name(e_step))) from None
    where = f"at iteration {iteration}, E-step"
    if not isinstance(out, tuple) or len(out) != 2:
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise LearnerError(f"Your e_step must return a pair (resp, log_likelihood), got {got} {where}.")
    resp, total = out
    N = X.shape[0]
    try:
        resp = np.asarray(resp, dtype=float)
    except (TypeError, ValueError):
        raise LearnerError(f"Your e_step's resp is not an array of numbers {where}.") from None
    if resp.shape != (N, K):
        swapped = " (its axes are swapped)" if resp.shape == (K, N) else ""
        raise LearnerError(
            f"Your e_step's resp has shape {resp.shape}{swapped} {where}; it must be (N, K) = ({N}, {K}): "
            "one row per point, one column per component."
        )
    if not np.isfinite(resp).all():
        raise LearnerError(f"Your e_step's resp contains NaN or infinity {where}: compute it in logs "
                           "(the log-sum-exp trick).")
    if not isinstance(total, numbers.Real) and not (np.ndim(total) == 0 and np.isrealobj(total)):
        got = type(total).__name__
        raise LearnerError(f"Your e_step's log-likelihood must be one number, got {got} {where}.")
    total = float(total)
    if not np.isfinite(total):
        raise LearnerError(f"Your e_step's log-likelihood is {total} {where}: compute it in logs "
                           "(the log-sum-exp trick).")
    return resp, total


def _call_m_step(m_step, X, resp, K, iteration) -> em.GMMParams:
    """The learner's M-step, its result checked: full-covariance GMMParams of K components."""
    try:
        with _quiet():
            out = m_step(X.copy(), resp.copy())
    except Exception as exc:  # noqa: BLE001 - any failure of learner code becomes a sentence
        raise LearnerError(_describe_exception("m_step", exc, iteration, "M", _name(m_step))) from None
    where = f"at iteration {iteration}, M-step"
    if not isinstance(out, em.GMMParams):
        raise LearnerError(
            "Your m_step must return em.GMMParams(weights, means, covariances), "
            f"got {type(out).__name__} {where}."
        )
    D = X.shape[1]
    if out.covariance_type != "full" or out.n_components != K or out.n_features != D:
        raise LearnerError(
            f"Your m_step returned {out.n_components} components of {out.n_features} features with "
            f"{out.covariance_type} covariances {where}; expected K = {K}, D = {D}, full covariances "
            f"(weights ({K},), means ({K}, {D}), covariances ({K}, {D}, {D}))."
        )
    for name in ("weights", "means", "covariances"):  # GMMParams refuses NaN, GMMParams.unchecked does not
        if not np.isfinite(getattr(out, name)).all():
            raise LearnerError(f"Your m_step's {name} contain NaN or infinity {where}.")
    return out


def _name(function) -> str:
    return getattr(getattr(function, "__code__", None), "co_name", "")


# --------------------------------------------------------------------------- comparing
def _largest(yours, reference: np.ndarray, quantity: str, labels: tuple[str, ...]) -> Difference | None:
    """The largest difference of one quantity, or None when it is within TOLERANCE."""
    diff = np.abs(np.asarray(yours, dtype=float) - reference)
    scale = max(1.0, float(np.abs(reference).max()))
    if diff.max() <= TOLERANCE * scale:
        return None
    index = np.unravel_index(int(diff.argmax()), diff.shape)
    where = ", ".join(f"{label} {i}" for label, i in zip(labels, index, strict=False))
    return Difference(quantity, float(diff.max()), where)


def _e_differences(yours, reference) -> tuple[Difference, ...]:
    (resp, total), (ref_resp, ref_total) = yours, reference
    found = [_largest(resp, ref_resp, "responsibilities", ("point", "component")),
             _largest(np.array(total), np.array(ref_total), "log-likelihood", ())]
    return tuple(d for d in found if d is not None)


def _m_differences(yours: em.GMMParams, reference: em.GMMParams) -> tuple[Difference, ...]:
    found = [_largest(getattr(yours, name), getattr(reference, name), name, ("component",))
             for name in ("weights", "means", "covariances")]
    return tuple(d for d in found if d is not None)


def compare_em(
    X,
    start: em.GMMParams,
    e_step: Callable,
    m_step: Callable,
    *,
    max_iter: int = 30,
) -> Comparison:
    """Run your ``e_step`` and ``m_step`` and the library's from ``start``, and compare them.

    Parameters
    ----------
    X : array-like, shape (N, D)
    start : em.GMMParams
        The common start, with full covariances (the notebook's functions write those).
    e_step : callable
        ``e_step(X, params) -> (resp, total_log_likelihood)``, resp of shape (N, K).
    m_step : callable
        ``m_step(X, resp) -> em.GMMParams`` (full covariances, ``reg_covar`` 1e-6 by default).
    max_iter : int >= 1
        Iterations of each run (an E-step then an M-step each; no early stop).

    Returns
    -------
    Comparison

    Raises
    ------
    TypeError, ValueError
        For bad arguments, named. Failures of the learner's functions are never raised:
        they are reported in :attr:`Comparison.error`.
    """
    X = checks.array_2d(X)
    start = checks.instance_of(start, em.GMMParams, "start")
    if start.covariance_type != "full":
        raise ValueError(f"start must have full covariances (the notebook's m_step writes those), "
                         f"got {start.covariance_type!r}")
    X = checks.same_features(X, start)
    for name, function in (("e_step", e_step), ("m_step", m_step)):
        if not callable(function):
            raise TypeError(f"{name} must be a function, got {type(function).__name__}")
    max_iter = checks.integer(max_iter, "max_iter", 1)
    K = start.n_components

    # the library's run, one E-step per iteration as em.fit does it
    ref_params, ref_history, ref_e = [start], [], []
    resp, total = em.e_step(X, start)
    ref_e.append((resp, total))
    ref_history.append(total)
    for _ in range(max_iter):
        ref_params.append(em.m_step(X, resp, "full", REG_COVAR))
        resp, total = em.e_step(X, ref_params[-1])
        ref_e.append((resp, total))
        ref_history.append(total)

    # the first half-step where the learner's function, given the library's input, differs
    parted_at, differences, error, error_at = None, (), None, None
    try:
        for t in range(1, max_iter + 1):
            at = (t, "E")
            differences = _e_differences(_call_e_step(e_step, X, ref_params[t - 1], K, t), ref_e[t - 1])
            if differences:
                break
            at = (t, "M")
            differences = _m_differences(_call_m_step(m_step, X, ref_e[t - 1][0], K, t), ref_params[t])
            if differences:
                break
        if differences:
            parted_at = at
    except LearnerError as exc:
        error, error_at, differences = str(exc), at, ()

    # the learner's own run, as far as their code goes (a failure found above is not told twice)
    your_params, your_history = [start], []
    try:
        at = (1, "E")
        resp, total = _call_e_step(e_step, X, start, K, 1)
        your_history.append(total)
        for t in range(1, max_iter + 1):
            at = (t, "M")
            your_params.append(_call_m_step(m_step, X, resp, K, t))
            at = (t + 1, "E")
            resp, total = _call_e_step(e_step, X, your_params[-1], K, t + 1)
            your_history.append(total)
    except LearnerError as exc:
        if error is None:
            error, error_at = f"In your own run (your functions fed each other): y{str(exc)[1:]}", at
    steps = zip(your_history, your_history[1:], strict=False)
    falls = tuple(t for t, (before, after) in enumerate(steps, start=1)
                  if after < before - FALL_TOLERANCE * max(1.0, abs(before)))
    return Comparison(ref_history, your_history, ref_params, your_params, parted_at, differences, falls,
                      error, error_at)
