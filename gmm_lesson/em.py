"""Expectation-Maximisation for Gaussian mixtures, written as the equations.

A Gaussian mixture with :math:`K` components models a point :math:`x \\in \\mathbb{R}^D` as

.. math::

    p(x) = \\sum_{k=1}^{K} \\pi_k \\, \\mathcal{N}(x \\mid \\mu_k, \\Sigma_k),

with weights :math:`\\pi_k` (summing to 1), means :math:`\\mu_k` and covariances
:math:`\\Sigma_k`, held together in a :class:`GMMParams`. EM alternates two steps that
never lower the log-likelihood (exactly so with ``reg_covar=0``; see :func:`m_step`):

* **E-step** (:func:`e_step`) -- responsibilities, how much component *k* explains
  point *n*: :math:`r_{nk} = \\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k) /
  \\sum_j \\pi_j \\mathcal{N}(x_n|\\mu_j,\\Sigma_j)`.
* **M-step** (:func:`m_step`) -- re-estimate every parameter as a
  responsibility-weighted average.

:func:`em_steps` is a generator that yields the state after the initialisation and
after *every* E-step and M-step, so a learner can watch EM work; :func:`fit` runs it
to the end. The numerics follow scikit-learn's ``GaussianMixture`` (same M-step
formulas, ``reg_covar`` added to the diagonal, ``tol`` on the change of the mean
log-likelihood per sample), so the two agree when started from the same parameters.

Arrays are in the usual layout: data ``X`` (N, D), responsibilities ``resp`` (N, K).
For large N, :func:`fit` and :func:`em_steps` run the same formulas through the
cache-blocked kernels of :mod:`gmm_lesson.fast`; argument checks live in
:mod:`gmm_lesson.checks`. This module imports nothing but numpy and those; it never
draws or prints.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

# absolute imports: the course's hidden tests load this file on its own, as a fresh module
from gmm_lesson import checks, fast
from gmm_lesson.params import COVARIANCE_TYPES, GMMParams

__all__ = [
    "COVARIANCE_TYPES",
    "EMStep",
    "FittedGMM",
    "GMMParams",
    "e_step",
    "em_steps",
    "estimate_log_prob",
    "fit",
    "log_likelihood",
    "m_step",
    "match_labels",
    "precision_cholesky",
]

INITS = ("kmeans++", "random")
LOG_2PI = np.log(2 * np.pi)
# fit and em_steps use gmm_lesson.fast from this many samples on (same results, faster)
FAST_MIN_SAMPLES = 1024


# --------------------------------------------------------------------------- the maths
def precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Cholesky factor of each precision matrix: :math:`P_k` with :math:`P_k P_k^T = \\Sigma_k^{-1}`.

    With it the Mahalanobis distance is a plain sum of squares,
    :math:`(x-\\mu)^T \\Sigma^{-1} (x-\\mu) = \\|(x-\\mu)^T P\\|^2`, and
    :math:`\\log|\\Sigma^{-1}| = 2 \\sum_d \\log P_{dd}`. For ``diag`` and
    ``spherical`` covariances :math:`P` is diagonal, :math:`1/\\sigma`.

    Parameters
    ----------
    covariances : array
        ``GMMParams.covariances`` of the given type.
    covariance_type : {"full", "diag", "spherical", "tied"}

    Returns
    -------
    array, the shape of ``covariances`` (scikit-learn's ``precisions_cholesky_``)

    Raises
    ------
    ValueError
        When a covariance is not positive definite (a collapsed component).
    """
    if not np.isfinite(covariances).all():
        raise ValueError("covariances contain NaN or infinity; the data may be too large to square")
    if covariance_type in ("diag", "spherical"):
        if (covariances <= 0).any():
            raise ValueError("covariances must be positive; increase reg_covar")
        return 1.0 / np.sqrt(covariances)
    try:
        lower = np.linalg.cholesky(covariances)  # Sigma = L L^T
    except np.linalg.LinAlgError:
        raise ValueError(
            "covariances must be symmetric positive definite; a component may have "
            "collapsed onto too few points: increase reg_covar"
        ) from None
    identity = np.broadcast_to(np.eye(covariances.shape[-1]), covariances.shape)
    return np.swapaxes(np.linalg.solve(lower, identity), -1, -2)  # Sigma^-1 = L^-T L^-1


def estimate_log_prob(X, params: GMMParams) -> np.ndarray:
    """Log-density of every point under every component, :math:`\\log \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)`.

    .. math::

        \\log \\mathcal{N}(x|\\mu,\\Sigma) = -\\tfrac12\\big(D\\log 2\\pi - \\log|\\Sigma^{-1}|
        + (x-\\mu)^T\\Sigma^{-1}(x-\\mu)\\big)

    computed with :func:`precision_cholesky` (only triangular factors are inverted), after
    subtracting each mean, which keeps it accurate for data far from the origin.

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_prob : array, shape (N, K)
    """
    params = checks.instance_of(params, GMMParams, "params")
    X = checks.same_features(checks.array_2d(X), params)
    K, D = params.means.shape
    prec_chol = precision_cholesky(params.covariances, params.covariance_type)
    if params.covariance_type == "tied":  # one P shared by every component
        prec_chol = np.broadcast_to(prec_chol, (K, D, D))
    elif params.covariance_type == "spherical":  # one 1/sigma_k for every feature
        prec_chol = np.broadcast_to(prec_chol[:, None], (K, D))
    diff = X - params.means[:, None, :]  # (K, N, D): x_n - mu_k, one slab per component
    if params.covariance_type in ("full", "tied"):
        y = diff @ prec_chol  # (x_n - mu_k)^T P_k, for every k at once
        log_det_prec = 2 * np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    else:  # P_k diagonal: divide each feature by sigma_kd
        y = diff * prec_chol[:, None, :]
        log_det_prec = 2 * np.log(prec_chol).sum(axis=1)
    mahalanobis = (y**2).sum(axis=2)  # (K, N)
    log_prob = -0.5 * (D * LOG_2PI - log_det_prec[:, None] + mahalanobis)
    return log_prob.T  # (N, K)


def e_step(X, params: GMMParams) -> tuple[np.ndarray, float]:
    """E-step: responsibilities and the total log-likelihood of ``params``.

    .. math::

        r_{nk} = \\frac{\\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)}
                      {\\sum_j \\pi_j \\mathcal{N}(x_n|\\mu_j,\\Sigma_j)},
        \\qquad
        \\log L = \\sum_n \\log \\sum_k \\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)

    Both are computed in logs. The sum over k uses the log-sum-exp trick (subtract
    each point's largest term before ``exp``), so a point far from every component,
    whose densities all underflow to 0, still gets responsibilities that sum to 1.

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams

    Returns
    -------
    resp : array, shape (N, K)
        Rows sum to 1.
    log_likelihood : float
        Total over samples (not the mean).
    """
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf
        weighted = estimate_log_prob(X, params) + np.log(params.weights)  # log pi_k N(x_n|k)
    largest = weighted.max(axis=1, keepdims=True)
    log_norm = largest + np.log(np.exp(weighted - largest).sum(axis=1, keepdims=True))  # log p(x_n)
    resp = np.exp(weighted - log_norm)
    return resp, float(log_norm.sum())


def log_likelihood(X, params: GMMParams) -> float:
    """Total log-likelihood :math:`\\sum_n \\log \\sum_k \\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)`.

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams

    Returns
    -------
    float
        The total over samples; divide by N for scikit-learn's ``score``.
    """
    return e_step(X, params)[1]


def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6) -> GMMParams:
    """M-step: responsibility-weighted estimates of every parameter.

    .. math::

        N_k = \\sum_n r_{nk}, \\quad
        \\pi_k = \\frac{N_k}{N}, \\quad
        \\mu_k = \\frac{1}{N_k}\\sum_n r_{nk} x_n, \\quad
        \\Sigma_k = \\frac{1}{N_k}\\sum_n r_{nk}(x_n-\\mu_k)(x_n-\\mu_k)^T + \\epsilon I

    ``diag`` keeps only the diagonal of :math:`\\Sigma_k`, ``spherical`` its mean, and
    ``tied`` shares one :math:`\\Sigma = \\frac1N\\sum_k N_k\\Sigma_k` between components
    (one small estimator per type below). :math:`\\epsilon` is ``reg_covar``: it keeps a
    component that collapses onto one point (or a constant feature) from getting a
    singular covariance. With :math:`\\epsilon = 0` this is the exact maximiser, so the
    log-likelihood never decreases; with :math:`\\epsilon > 0` it can dip slightly,
    noticeably only when a component's variance is as small as a few :math:`\\epsilon`.

    Parameters
    ----------
    X : array-like, shape (N, D)
    resp : array-like, shape (N, K)
        Non-negative responsibilities, every row summing to 1.
    covariance_type : {"full", "diag", "spherical", "tied"}
    reg_covar : float >= 0

    Returns
    -------
    GMMParams
    """
    X = checks.array_2d(X)
    covariance_type = checks.one_of(covariance_type, "covariance_type", COVARIANCE_TYPES)
    reg_covar = checks.nonnegative(reg_covar, "reg_covar")
    resp = checks.responsibilities(resp, X.shape[0])
    return GMMParams(*_estimate(X, resp, covariance_type, reg_covar), covariance_type)


def _estimate(X: np.ndarray, resp: np.ndarray, covariance_type: str, reg_covar: float):
    """The M-step's weights, means and covariances, from checked ``X`` (N, D) and ``resp`` (N, K)."""
    Nk = resp.sum(axis=0) + 10 * np.finfo(float).eps  # as scikit-learn: no component is empty
    means = resp.T @ X / Nk[:, None]
    covariances = _COVARIANCE_ESTIMATORS[covariance_type](X, resp, Nk, means, reg_covar)
    return Nk / Nk.sum(), means, covariances


def _covariances_full(X, resp, Nk, means, reg_covar) -> np.ndarray:
    """:math:`\\Sigma_k = \\frac{1}{N_k}\\sum_n r_{nk}(x_n-\\mu_k)(x_n-\\mu_k)^T + \\epsilon I`, (K, D, D)."""
    K, D = means.shape
    covariances = np.empty((K, D, D))
    for k in range(K):  # a loop over the few components; each line covers every sample
        diff = X - means[k]
        covariances[k] = (resp[:, k] * diff.T) @ diff / Nk[k]
        covariances[k].flat[:: D + 1] += reg_covar
    return covariances


def _covariances_tied(X, resp, Nk, means, reg_covar) -> np.ndarray:
    """One shared :math:`\\Sigma = \\frac1N\\sum_k N_k \\Sigma_k + \\epsilon I`, (D, D)."""
    D = X.shape[1]
    scatter = sum((resp[:, k] * (X - mu).T) @ (X - mu) for k, mu in enumerate(means))
    covariance = scatter / Nk.sum()
    covariance.flat[:: D + 1] += reg_covar
    return covariance


def _covariances_diag(X, resp, Nk, means, reg_covar) -> np.ndarray:
    """The diagonal of each :math:`\\Sigma_k`, (K, D).

    :math:`\\sigma^2_{kd} = \\frac{1}{N_k}\\sum_n r_{nk}(x_{nd}-\\mu_{kd})^2 + \\epsilon`
    """
    diff = X[:, None, :] - means  # (N, K, D)
    return (resp[:, :, None] * diff**2).sum(axis=0) / Nk[:, None] + reg_covar


def _covariances_spherical(X, resp, Nk, means, reg_covar) -> np.ndarray:
    """One variance per component, the mean of the diagonal ones, (K,)."""
    return _covariances_diag(X, resp, Nk, means, reg_covar).mean(axis=1)


_COVARIANCE_ESTIMATORS = {
    "full": _covariances_full,
    "tied": _covariances_tied,
    "diag": _covariances_diag,
    "spherical": _covariances_spherical,
}


# --------------------------------------------------------------------------- initialisation
def _initial_centres(X: np.ndarray, K: int, init: str, rng: np.random.Generator) -> np.ndarray:
    """K starting centres picked among the data points, shape (K, D).

    ``"kmeans++"``: each new centre is a data point drawn with probability proportional
    to its squared distance from the nearest centre so far. ``"random"``: K distinct
    points drawn uniformly.
    """
    N = X.shape[0]
    if init == "random":
        return X[rng.choice(N, size=K, replace=False)]
    centres = [X[rng.integers(N)]]
    closest_sq = ((X - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, K):
        total = closest_sq.sum()
        idx = rng.choice(N, p=closest_sq / total) if total > 0 else rng.integers(N)  # all duplicates
        centres.append(X[idx])
        closest_sq = np.minimum(closest_sq, ((X - X[idx]) ** 2).sum(axis=1))
    return np.array(centres)


def _initial_resp(X: np.ndarray, centres: np.ndarray, init: str) -> np.ndarray:
    """Starting responsibilities, shape (N, K), from the centres.

    ``"kmeans++"``: every point belongs wholly to its nearest centre. ``"random"``: every
    point is shared softly, :math:`r_{nk} \\propto \\exp(-\\|x_n - c_k\\|^2 / 2s^2)` with
    :math:`s^2` the data's mean variance divided by :math:`K^2` (about one cluster's
    width). Uniformly random responsibilities, scikit-learn's ``"random"``, would put
    every mean near the overall mean, where EM can stall on the one-Gaussian solution.
    """
    K = len(centres)
    sq_dist = (X**2).sum(axis=1)[:, None] - 2 * X @ centres.T + (centres**2).sum(axis=1)  # (N, K)
    if init == "random":
        spread = X.var(axis=0).mean()
        log_resp = -sq_dist / (2 * spread / K**2 if spread > 0 else 2.0)
        resp = np.exp(log_resp - log_resp.max(axis=1, keepdims=True))
        return resp / resp.sum(axis=1, keepdims=True)
    resp = np.zeros((X.shape[0], K))
    resp[np.arange(X.shape[0]), sq_dist.argmin(axis=1)] = 1.0
    return resp


# --------------------------------------------------------------------------- the loop
@dataclass(frozen=True, eq=False)
class EMStep:
    """The state of EM after one step.

    Attributes
    ----------
    iteration : int
        0 for the initialisation, then 1, 2, ... (an E-step and the M-step after it
        share their iteration number).
    phase : {"init", "E", "M"}
        What just happened: parameters initialised, responsibilities recomputed
        (E), or parameters re-estimated (M).
    params : GMMParams
        The current parameters.
    resp : array, shape (N, K)
        The current responsibilities (after "M", the ones the M-step used); read-only.
    log_likelihood : float
        Total log-likelihood of exactly ``params``.
    converged : bool
        True on the M-step after which the mean log-likelihood per sample changed
        by less than ``tol``.
    """

    iteration: int
    phase: str
    params: GMMParams
    # the (N, K) array, or a function that recomputes it (the steps of a FittedGMM)
    _resp: np.ndarray | Callable[[], np.ndarray] = field(repr=False)
    log_likelihood: float
    converged: bool = False

    @property
    def resp(self) -> np.ndarray:
        """The responsibilities of this step, shape (N, K), read-only."""
        return self._resp() if callable(self._resp) else self._resp


def em_steps(
    X,
    n_components: int,
    *,
    init: str | GMMParams = "kmeans++",
    seed: int | np.random.Generator | None = None,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
) -> Iterator[EMStep]:
    """Run EM one half-step at a time.

    Yields an :class:`EMStep` after the initialisation, then after every E-step and
    every M-step, for at most ``max_iter`` iterations. It stops after the M-step at
    which the mean log-likelihood per sample improved by less than ``tol``.

    Parameters
    ----------
    X : array-like, shape (N, D)
        Data; lists of lists are accepted.
    n_components : int
        Number of components K, 1 <= K <= N.
    init : "kmeans++", "random" or GMMParams
        ``"kmeans++"`` assigns each point to the nearest of K centres chosen by
        k-means++ seeding; ``"random"`` shares each point softly between K data
        points drawn at random, on the scale of the data's spread. Either is
        followed by an M-step. A :class:`GMMParams` is used as it is.
    seed : int, numpy Generator or None
        Makes the initialisation reproducible.
    covariance_type : {"full", "diag", "spherical", "tied"}
    max_iter : int >= 1
    tol : float >= 0
        Threshold on the change of the mean log-likelihood per sample.
    reg_covar : float >= 0
        Added to the diagonal of every covariance.

    Yields
    ------
    EMStep
        ``init``, then ``E`` and ``M`` for each iteration. The arrays it holds are
        read-only, so a list of steps can be replayed safely.

    Raises
    ------
    ValueError, TypeError
        At the call, before the first step, when an argument is invalid.
    """
    args = _check_fit_args(X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar)
    return _run(*args, replay=False)


def _check_fit_args(X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar):
    """Validate every argument up front, before the generator starts."""
    X = checks.array_2d(X)
    K = checks.integer(n_components, "n_components", 1)
    if K > X.shape[0]:
        raise ValueError(f"n_components={K} is larger than the number of samples ({X.shape[0]})")
    covariance_type = checks.one_of(covariance_type, "covariance_type", COVARIANCE_TYPES)
    max_iter = checks.integer(max_iter, "max_iter", 1)
    tol = checks.nonnegative(tol, "tol")
    reg_covar = checks.nonnegative(reg_covar, "reg_covar")
    if seed is not None and not isinstance(seed, np.random.Generator):
        checks.integer(seed, "seed", 0)
    if isinstance(init, GMMParams):
        if init.n_components != K:
            raise ValueError(f"init has {init.n_components} components but n_components={K}")
        if init.covariance_type != covariance_type:
            raise ValueError(
                f"init has covariance_type={init.covariance_type!r} but covariance_type={covariance_type!r}"
            )
        checks.same_features(X, init)
    elif not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init must be one of {INITS} or a GMMParams, got {init!r}")
    return X, K, init, seed, covariance_type, max_iter, tol, reg_covar


def _kernels(X: np.ndarray, covariance_type: str, reg_covar: float):
    """The data the loop owns, and its E-step and M-step, both in the (N, D)/(N, K) layout.

    Below ``FAST_MIN_SAMPLES`` samples: :func:`e_step` and the estimators above, on a
    read-only copy of ``X``. From there on: the blocked kernels of :mod:`gmm_lesson.fast`
    on X^T, handing out (N, K) views of their (K, N) responsibilities. Parameters built
    here are trusted (``GMMParams.unchecked``): the next E-step factorises them once.
    """
    if X.shape[0] < FAST_MIN_SAMPLES:
        X = X.copy()
        X.flags.writeable = False

        def expectation(params: GMMParams) -> tuple[np.ndarray, float]:
            return e_step(X, params)

        def maximisation(resp: np.ndarray) -> GMMParams:
            return GMMParams.unchecked(*_estimate(X, resp, covariance_type, reg_covar), covariance_type)

        return X, expectation, maximisation
    XT = fast.transposed(X)

    def fast_expectation(params: GMMParams) -> tuple[np.ndarray, float]:
        prec_chol = precision_cholesky(params.covariances, params.covariance_type)
        resp, log_norm = fast.e_step(XT, params.weights, params.means, prec_chol, params.covariance_type)
        return resp.T, float(log_norm.sum())

    def fast_maximisation(resp: np.ndarray) -> GMMParams:
        estimates = fast.m_step(XT, np.ascontiguousarray(resp.T), covariance_type, reg_covar)
        return GMMParams.unchecked(*estimates, covariance_type)

    return XT.T, fast_expectation, fast_maximisation


class _Replay:
    """Recomputes a run's responsibilities on demand, keeping only the latest array.

    A :class:`FittedGMM` holds its steps' parameters, not their (N, K)
    responsibilities (at N = 10^6 those would be most of its memory); each step's
    ``resp`` is recomputed from the parameters it came from, by the same code and so
    to the same bits. Asking twice in a row, or for an E-step and its M-step, gives
    the same array.
    """

    def __init__(self, expectation: Callable, initial: Callable[[], np.ndarray]) -> None:
        self._expectation, self._initial = expectation, initial
        self._source: object = None
        self._resp: np.ndarray | None = None

    def resp(self, source: GMMParams | None) -> np.ndarray:
        """The E-step of ``source``, or the initial responsibilities for ``None``."""
        if self._resp is None or self._source is not source:
            resp = self._initial() if source is None else self._expectation(source)[0]
            resp.flags.writeable = False
            self._source, self._resp = source, resp
        return self._resp


def _run(X, K, init, seed, covariance_type, max_iter, tol, reg_covar, *, replay: bool) -> Iterator[EMStep]:
    """The EM loop over checked arguments. With ``replay``, steps recompute ``resp`` when asked."""
    X, expectation, maximisation = _kernels(X, covariance_type, reg_covar)
    if isinstance(init, GMMParams):
        params, initial = init, None
    else:
        centres = _initial_centres(X, K, init, np.random.default_rng(seed))
        initial = _initial_resp(X, centres, init)
        params = maximisation(initial)
    # Each E-step computes the log-likelihood of the parameters it is given, so one
    # E-step per iteration serves both the M-step's report and the next E-step.
    resp, total = expectation(params)
    recompute = _Replay(expectation, lambda: _initial_resp(X, centres, init)) if replay else None

    def kept(resp: np.ndarray, source: GMMParams | None):
        """What a step holds: the read-only array, or the way to recompute it."""
        if recompute is not None:
            return functools.partial(recompute.resp, source)
        resp.flags.writeable = False
        return resp

    if initial is None:
        yield EMStep(0, "init", params, kept(resp, params), total)
    else:
        yield EMStep(0, "init", params, kept(initial, None), total)
        initial = None  # not needed any more: let it go while EM runs
    for iteration in range(1, max_iter + 1):
        source = params
        yield EMStep(iteration, "E", params, kept(resp, source), total)
        params = maximisation(resp)
        new_resp, new_total = expectation(params)
        converged = abs(new_total - total) / X.shape[0] < tol
        yield EMStep(iteration, "M", params, kept(resp, source), new_total, converged)
        resp, total = new_resp, new_total
        if converged:
            return


# --------------------------------------------------------------------------- fitted model
@dataclass(frozen=True, eq=False)
class FittedGMM:
    """The result of :func:`fit`.

    Attributes
    ----------
    params : GMMParams
        Final parameters.
    steps : list of EMStep
        Every step, for replay (init, E, M, E, M, ...). The steps keep their
        parameters; a step's ``resp`` is recomputed from them when read (the latest
        one is kept), so a fit on a million points does not hold one (N, K) array
        per step.
    history : list of float
        Total log-likelihood after the initialisation and after each iteration.
    n_iter : int
        Number of EM iterations run.
    converged : bool
        Whether ``tol`` was reached within ``max_iter``.
    """

    params: GMMParams
    steps: list[EMStep] = field(repr=False)

    @property
    def history(self) -> list[float]:
        """Total log-likelihood of the initial parameters and after each iteration's M-step."""
        return [s.log_likelihood for s in self.steps if s.phase in ("init", "M")]

    @property
    def n_iter(self) -> int:
        """Number of EM iterations run (0 <= n_iter <= max_iter)."""
        return self.steps[-1].iteration

    @property
    def converged(self) -> bool:
        """True when the last iteration changed the mean log-likelihood by less than ``tol``."""
        return self.steps[-1].converged

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities of the fitted components for each row of ``X``.

        Parameters
        ----------
        X : array-like, shape (N, D)

        Returns
        -------
        array, shape (N, K)
            Rows sum to 1.
        """
        return e_step(X, self.params)[0]

    def predict(self, X) -> np.ndarray:
        """Most probable component for each row of ``X``.

        Parameters
        ----------
        X : array-like, shape (N, D)

        Returns
        -------
        int array, shape (N,)
        """
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X) -> float:
        """Mean log-likelihood per sample, as scikit-learn's ``score``.

        Parameters
        ----------
        X : array-like, shape (N, D)

        Returns
        -------
        float
        """
        X = checks.array_2d(X)
        return e_step(X, self.params)[1] / X.shape[0]

    def bic(self, X) -> float:
        """Bayesian information criterion, :math:`-2\\log L + p\\log N` (lower is better).

        ``p`` is :meth:`GMMParams.n_parameters`, counted as scikit-learn counts it.

        Parameters
        ----------
        X : array-like, shape (N, D)

        Returns
        -------
        float
        """
        X = checks.array_2d(X)
        return -2 * self.score(X) * X.shape[0] + self.params.n_parameters() * np.log(X.shape[0])

    def aic(self, X) -> float:
        """Akaike information criterion, :math:`-2\\log L + 2p` (lower is better).

        Parameters
        ----------
        X : array-like, shape (N, D)

        Returns
        -------
        float
        """
        X = checks.array_2d(X)
        return -2 * self.score(X) * X.shape[0] + 2 * self.params.n_parameters()


def fit(
    X,
    n_components: int,
    *,
    init: str | GMMParams = "kmeans++",
    seed: int | np.random.Generator | None = None,
    covariance_type: str = "full",
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
) -> FittedGMM:
    """Fit a Gaussian mixture by EM.

    Parameters
    ----------
    X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar
        As for :func:`em_steps`.

    Returns
    -------
    FittedGMM
        The final parameters, every step, the log-likelihood history and
        ``predict``/``predict_proba``/``score``/``bic``/``aic``.
    """
    args = _check_fit_args(X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar)
    steps = list(_run(*args, replay=True))
    return FittedGMM(steps[-1].params, steps)


# --------------------------------------------------------------------------- label switching
def match_labels(reference, labels) -> np.ndarray:
    """Rename the clusters in ``labels`` to agree as much as possible with ``reference``.

    Which component gets the name 0 is arbitrary (*label switching*): ``[1,1,0,0]``
    and ``[0,0,1,1]`` describe the same split. This counts how often each label
    meets each reference label, tries every one-to-one renaming (fine for the few
    components of a lesson, at most 8 distinct labels) and keeps the one with the
    most agreements.

    Parameters
    ----------
    reference : array-like, shape (N,)
        The labelling to agree with (true classes, or another run's labels).
    labels : array-like, shape (N,)
        The labelling to rename.

    Returns
    -------
    array, shape (N,)
        ``labels`` with its names permuted; the partition itself is unchanged.
    """
    reference = np.asarray(reference)
    labels = np.asarray(labels)
    if reference.ndim != 1 or labels.ndim != 1 or reference.shape != labels.shape:
        raise ValueError(
            "reference and labels must be 1-D of the same length, "
            f"got shapes {reference.shape} and {labels.shape}"
        )
    try:
        names = np.union1d(reference, labels)  # every name either labelling uses
    except TypeError:
        raise TypeError(
            f"reference and labels must use comparable names, got {reference.dtype} and {labels.dtype}"
        ) from None
    if len(names) > 8:
        raise ValueError(
            f"match_labels tries every renaming; {len(names)} distinct labels is too many (max 8)"
        )
    used, label_idx = np.unique(labels, return_inverse=True)
    label_idx = label_idx.reshape(-1)
    ref_idx = np.searchsorted(names, reference)
    # meets[i, j]: how many points have label used[i] and reference label names[j]
    meets = np.zeros((len(used), len(names)), dtype=np.int64)
    np.add.at(meets, (label_idx, ref_idx), 1)
    renamings = np.array(list(itertools.permutations(range(len(names)), len(used))), dtype=np.intp)
    agreements = meets[np.arange(len(used)), renamings].sum(axis=1)
    best = renamings[agreements.argmax()]
    return names[best][label_idx]
