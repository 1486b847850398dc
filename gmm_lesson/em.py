"""Expectation-Maximisation for Gaussian mixtures, one equation per function.

A Gaussian mixture with :math:`K` components models a point :math:`x \\in \\mathbb{R}^D` as

.. math::

    p(x) = \\sum_{k=1}^{K} \\pi_k \\, \\mathcal{N}(x \\mid \\mu_k, \\Sigma_k),

with weights :math:`\\pi_k` (summing to 1), means :math:`\\mu_k` and covariances
:math:`\\Sigma_k`. EM alternates two steps that never lower the log-likelihood
(exactly so with ``reg_covar=0``; see :func:`m_step`):

* **E-step** -- responsibilities, how much component *k* explains point *n*:
  :math:`r_{nk} = \\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k) /
  \\sum_j \\pi_j \\mathcal{N}(x_n|\\mu_j,\\Sigma_j)`.
* **M-step** -- re-estimate every parameter as a responsibility-weighted average.

:func:`em_steps` is a generator that yields the state after the initialisation and
after *every* E-step and M-step, so a learner can watch EM work. :func:`fit` runs it
to the end. The numerics follow scikit-learn's ``GaussianMixture`` (same M-step
formulas, ``reg_covar`` added to the diagonal, ``tol`` on the change of the mean
log-likelihood per sample), so the two agree when started from the same parameters.

This module imports nothing but numpy; it never draws or prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .checks import check_data, check_float, check_int
from .params import (
    COVARIANCE_TYPES,
    GMMParams,
    _check_covariance_type,
    _precision_cholesky,
)

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
]

INITS = ("kmeans++", "random")
_LOG_2PI = np.log(2 * np.pi)


# --------------------------------------------------------------------------- checks
# Argument checks live in checks.py (shared by every module of the library).
_check_data, _check_int, _check_float = check_data, check_int, check_float


# --------------------------------------------------------------------------- parameters
# GMMParams and its checks live in params.py (no maths there), re-exported here.


# --------------------------------------------------------------------------- E-step
# Memory layout. Inside the loop we keep one row per component: log-densities and
# responsibilities are (K, N) arrays and the data is transposed to X^T, shape (D, N).
# Every sum over k or over d then adds whole contiguous rows, which is several times
# faster than summing the short rows of an (N, K) array. The public functions take and
# return the usual (N, D) and (N, K) shapes (``resp`` is handed out as a transposed view).
def estimate_log_prob(X, params: GMMParams) -> np.ndarray:
    """Log-density of every point under every component, :math:`\\log \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)`.

    .. math::

        \\log \\mathcal{N}(x|\\mu,\\Sigma) = -\\tfrac12\\big(D\\log 2\\pi + \\log|\\Sigma|
        + (x-\\mu)^T\\Sigma^{-1}(x-\\mu)\\big)

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams

    Returns
    -------
    log_prob : array, shape (N, K)
    """
    _check_params(params)
    X = _check_data(X)
    _check_features(X, params)
    return _log_prob(_transposed(X), params).T


def _transposed(X: np.ndarray) -> np.ndarray:
    """X^T as a C-contiguous (D, N) array: row d holds feature d of every sample."""
    return np.ascontiguousarray(X.T)


# Large data sets are swept in blocks of samples, so that the temporaries of one block
# (a few D x block arrays, about BLOCK_NUMBERS floats = 128 kB each) stay in the CPU
# cache instead of making several trips through main memory, and each small matrix
# product stays below the size at which OpenBLAS would start threads for it.
# The maths is the same for any block size.
BLOCK_NUMBERS = 2**14


def _blocks(N: int, D: int) -> Iterator[slice]:
    """Consecutive slices of samples covering 0..N, about BLOCK_NUMBERS / D samples each."""
    size = max(1, BLOCK_NUMBERS // D)
    return (slice(start, min(start + size, N)) for start in range(0, N, size))


def _e_step(XT: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step from X^T (D, N): resp (K, N) and the per-sample :math:`\\log p(x_n)` (N,)."""
    D, N = XT.shape
    resp = np.empty((params.n_components, N))
    log_norm = np.empty(N)
    prec_chol = _precision_cholesky(params.covariances, params.covariance_type)
    for block in _blocks(N, D):
        log_prob = _log_prob(XT[:, block], params, prec_chol)
        resp[:, block], log_norm[block] = _responsibilities(log_prob, params.weights)
    return resp, log_norm


def _log_prob(XT: np.ndarray, params: GMMParams, prec_chol: np.ndarray | None = None) -> np.ndarray:
    """:math:`\\log \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)` as a (K, N) array, from X^T of shape (D, N).

    ``prec_chol`` is ``_precision_cholesky(params.covariances, ...)``, if already computed.
    """
    D, N = XT.shape
    K = params.n_components
    cov_type = params.covariance_type
    if prec_chol is None:
        prec_chol = _precision_cholesky(params.covariances, cov_type)
    if cov_type == "spherical":
        prec_chol = np.broadcast_to(prec_chol[:, None], (K, D))  # one 1/sigma per feature, like diag
    log_prob = np.empty((K, N))
    diff, y = np.empty_like(XT), np.empty_like(XT)  # reused for every component
    for k in range(K):
        # Mahalanobis distance (x-mu)^T Sigma^-1 (x-mu) = ||y||^2 with y = P^T (x - mu);
        # subtracting the mean first keeps it accurate for data far from the origin
        np.subtract(XT, params.means[k][:, None], out=diff)
        if cov_type in ("full", "tied"):
            P = prec_chol[k] if cov_type == "full" else prec_chol
            np.matmul(P.T, diff, out=y)
        else:  # diagonal P: scale each feature by 1/sigma_kd
            np.multiply(diff, prec_chol[k][:, None], out=y)
        y *= y
        y.sum(axis=0, out=log_prob[k])
    if cov_type in ("full", "tied"):
        half_log_det_prec = np.log(np.diagonal(prec_chol, axis1=-2, axis2=-1)).sum(axis=-1) * np.ones(K)
    else:
        half_log_det_prec = np.log(prec_chol).sum(axis=1)  # = -1/2 log|Sigma_k|
    log_prob *= -0.5
    log_prob += (half_log_det_prec - 0.5 * D * _LOG_2PI)[:, None]
    return log_prob


def e_step(X, params: GMMParams) -> tuple[np.ndarray, float]:
    """E-step: responsibilities and the total log-likelihood of ``params``.

    .. math::

        r_{nk} = \\frac{\\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)}
                      {\\sum_j \\pi_j \\mathcal{N}(x_n|\\mu_j,\\Sigma_j)},
        \\qquad
        \\log L = \\sum_n \\log \\sum_k \\pi_k \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)

    The sum over k is done with the log-sum-exp trick (subtract each point's largest
    term before ``exp``), so points far from every component do not underflow to 0/0.

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
    _check_params(params)
    X = _check_data(X)
    _check_features(X, params)
    resp, log_norm = _e_step(_transposed(X), params)
    return resp.T, float(log_norm.sum())


def _responsibilities(log_prob: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalise ``log(pi_k) + log N(x_n|k)`` over k, in place in the (K, N) ``log_prob``.

    Returns (resp of shape (K, N), per-sample :math:`\\log p(x_n)` of shape (N,)).
    """
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf
        log_prob += np.log(weights)[:, None]
    largest = log_prob.max(axis=0)
    log_prob -= largest
    resp = np.exp(log_prob, out=log_prob)  # the largest term of each column is exp(0) = 1
    total = resp.sum(axis=0)
    resp /= total
    return resp, np.log(total) + largest


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


# --------------------------------------------------------------------------- M-step
def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6) -> GMMParams:
    """M-step: responsibility-weighted estimates of every parameter.

    .. math::

        N_k = \\sum_n r_{nk}, \\quad
        \\pi_k = \\frac{N_k}{N}, \\quad
        \\mu_k = \\frac{1}{N_k}\\sum_n r_{nk} x_n, \\quad
        \\Sigma_k = \\frac{1}{N_k}\\sum_n r_{nk}(x_n-\\mu_k)(x_n-\\mu_k)^T + \\epsilon I

    ``diag`` keeps only the diagonal of :math:`\\Sigma_k`, ``spherical`` its mean, and
    ``tied`` shares one :math:`\\Sigma = \\frac1N\\sum_k N_k\\Sigma_k` between components.
    :math:`\\epsilon` is ``reg_covar``: it keeps a component that collapses onto one
    point (or a constant feature) from getting a singular covariance.
    With :math:`\\epsilon = 0` this is the exact maximiser, so the log-likelihood never
    decreases; with :math:`\\epsilon > 0` it can dip slightly, noticeably only when a
    component's variance is as small as a few :math:`\\epsilon`.

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
    X = _check_data(X)
    covariance_type = _check_covariance_type(covariance_type)
    reg_covar = _check_float(reg_covar, "reg_covar")
    resp = _check_data(resp, "resp")
    if resp.shape[0] != X.shape[0]:
        raise ValueError(f"resp must have one row per sample of X ({X.shape[0]}), got {resp.shape[0]} rows")
    if (resp < 0).any() or not np.allclose(resp.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("resp must be non-negative with every row summing to 1")
    return _m_step(_transposed(X), np.ascontiguousarray(resp.T), covariance_type, reg_covar)


def _m_step(XT: np.ndarray, resp: np.ndarray, covariance_type: str, reg_covar: float) -> GMMParams:
    """The M-step from X^T (D, N) and resp (K, N); see :func:`m_step`."""
    D = XT.shape[0]
    Nk = resp.sum(axis=1) + 10 * np.finfo(float).eps  # as scikit-learn: no empty component
    means = (resp @ XT.T) / Nk[:, None]
    K = len(Nk)
    # scatter_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T, or only its diagonal for diag/spherical.
    # Centring first (two passes) keeps small variances accurate far from the origin.
    scatter = np.empty((K, D, D) if covariance_type in ("full", "tied") else (K, D))
    for k in range(K):
        scatter[k] = 0.0
        for block in _blocks(XT.shape[1], D):
            diff = XT[:, block] - means[k][:, None]  # (x_n - mu_k) for every n, as columns
            weighted = diff * resp[k, block]
            if covariance_type in ("full", "tied"):
                scatter[k] += weighted @ diff.T
            else:
                scatter[k] += (weighted * diff).sum(axis=1)
    if covariance_type == "full":
        covariances = scatter / Nk[:, None, None]
        covariances[:, np.arange(D), np.arange(D)] += reg_covar
    elif covariance_type == "tied":  # one covariance shared by all: sum_k N_k Sigma_k / N
        covariances = scatter.sum(axis=0) / Nk.sum()
        covariances.flat[:: D + 1] += reg_covar
    else:
        covariances = scatter / Nk[:, None] + reg_covar
        if covariance_type == "spherical":  # one variance per component: the mean over features
            covariances = covariances.mean(axis=1)
    return GMMParams(Nk / Nk.sum(), means, covariances, covariance_type)


# --------------------------------------------------------------------------- initialisation
def _initial_resp(X: np.ndarray, K: int, init: str, rng: np.random.Generator) -> np.ndarray:
    """Starting responsibilities, shape (N, K), from K centres picked among the data points.

    ``"kmeans++"``: each new centre is a data point drawn with probability proportional
    to its squared distance from the nearest centre so far; every point then belongs
    wholly to its nearest centre. ``"random"``: K distinct points drawn uniformly; every
    point is shared softly, :math:`r_{nk} \\propto \\exp(-\\|x_n - c_k\\|^2 / 2s^2)` with
    :math:`s^2` the data's mean variance divided by :math:`K^2` (about one cluster's
    width). Uniformly random responsibilities, scikit-learn's ``"random"``, would put
    every mean near the overall mean, where EM can stall on the one-Gaussian solution.
    """
    N = X.shape[0]
    if init == "random":
        centres = X[rng.choice(N, size=K, replace=False)]
        spread = X.var(axis=0).mean()
        log_resp = -_squared_distances(X, centres) / (2 * spread / K**2 if spread > 0 else 2.0)
        resp = np.exp(log_resp - log_resp.max(axis=1, keepdims=True))
        return resp / resp.sum(axis=1, keepdims=True)
    centres = [X[rng.integers(N)]]
    closest_sq = ((X - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, K):
        total = closest_sq.sum()
        if total > 0:
            idx = rng.choice(N, p=closest_sq / total)
        else:
            idx = rng.integers(N)  # every point already is a centre (duplicates)
        centres.append(X[idx])
        closest_sq = np.minimum(closest_sq, ((X - X[idx]) ** 2).sum(axis=1))
    resp = np.zeros((N, K))
    resp[np.arange(N), _squared_distances(X, np.array(centres)).argmin(axis=1)] = 1.0
    return resp


def _squared_distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """:math:`\\|x_n - c_k\\|^2` for every point and centre, shape (N, K)."""
    return (X**2).sum(axis=1)[:, None] - 2 * X @ centres.T + (centres**2).sum(axis=1)


def _check_params(params) -> None:
    if not isinstance(params, GMMParams):
        raise TypeError(f"params must be a GMMParams, got {type(params).__name__}")


def _check_features(X: np.ndarray, params: GMMParams) -> None:
    if X.shape[1] != params.n_features:
        raise ValueError(
            f"X has {X.shape[1]} features but the model has {params.n_features} "
            f"(means have shape {params.means.shape})"
        )


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
        The current responsibilities (after "M", the ones the M-step used).
    log_likelihood : float
        Total log-likelihood of exactly ``params``.
    converged : bool
        True on the M-step after which the mean log-likelihood per sample changed
        by less than ``tol``.
    """

    iteration: int
    phase: str
    params: GMMParams
    resp: np.ndarray = field(repr=False)
    log_likelihood: float
    converged: bool = False


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
    X, K, covariance_type, max_iter, tol, reg_covar, params = _check_fit_args(
        X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar
    )
    return _em_steps(X, K, init, seed, covariance_type, max_iter, tol, reg_covar, params)


def _check_fit_args(X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar):
    """Validate every argument up front, before the generator starts."""
    X = _check_data(X)
    K = _check_int(n_components, "n_components", 1)
    if K > X.shape[0]:
        raise ValueError(f"n_components={K} is larger than the number of samples ({X.shape[0]})")
    covariance_type = _check_covariance_type(covariance_type)
    max_iter = _check_int(max_iter, "max_iter", 1)
    tol = _check_float(tol, "tol")
    reg_covar = _check_float(reg_covar, "reg_covar")
    if seed is not None and not isinstance(seed, np.random.Generator):
        _check_int(seed, "seed", 0)
    params = None
    if isinstance(init, GMMParams):
        if init.n_components != K:
            raise ValueError(f"init has {init.n_components} components but n_components={K}")
        if init.covariance_type != covariance_type:
            raise ValueError(
                f"init has covariance_type={init.covariance_type!r} but covariance_type={covariance_type!r}"
            )
        _check_features(X, init)
        params = init
    elif init not in INITS:
        raise ValueError(f"init must be one of {INITS} or a GMMParams, got {init!r}")
    return X, K, covariance_type, max_iter, tol, reg_covar, params


def _em_steps(X, K, init, seed, covariance_type, max_iter, tol, reg_covar, params):
    N = X.shape[0]
    XT = _transposed(X)  # (D, N); resp below is (K, N) and handed out as resp.T, (N, K)
    if params is None:
        resp = np.ascontiguousarray(_initial_resp(X, K, init, np.random.default_rng(seed)).T)
        params = _m_step(XT, resp, covariance_type, reg_covar)
    # Each E-step computes the log-likelihood of the parameters it is given, so one
    # E-step per iteration serves both the M-step's report and the next E-step.
    new_resp, log_norm = _e_step(XT, params)
    new_resp.flags.writeable = False  # kept in the steps for replay: nobody may change it
    total = float(log_norm.sum())
    if init in INITS:
        resp.flags.writeable = False
        yield EMStep(0, "init", params, resp.T, total)
    else:
        yield EMStep(0, "init", params, new_resp.T, total)
    for iteration in range(1, max_iter + 1):
        resp = new_resp
        yield EMStep(iteration, "E", params, resp.T, total)
        params = _m_step(XT, resp, covariance_type, reg_covar)
        new_resp, log_norm = _e_step(XT, params)
        new_resp.flags.writeable = False
        new_total = float(log_norm.sum())
        converged = abs(new_total - total) / N < tol
        total = new_total
        yield EMStep(iteration, "M", params, resp.T, total, converged)
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
        Every step, for replay (init, E, M, E, M, ...).
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

    def _check(self, X) -> np.ndarray:
        X = _check_data(X)
        _check_features(X, self.params)
        return X

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
        return e_step(self._check(X), self.params)[0]

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
        X = self._check(X)
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
        X = self._check(X)
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
        X = self._check(X)
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
    steps = list(
        em_steps(
            X,
            n_components,
            init=init,
            seed=seed,
            covariance_type=covariance_type,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
        )
    )
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
