"""How an EM run starts: its arguments checked up front, and its first responsibilities.

:func:`fit_arguments` refuses bad arguments of :func:`gmm_lesson.em.fit` and
:func:`gmm_lesson.em.em_steps` at the call, before the first step, with a message
that names the argument. :func:`initial_centres` and :func:`initial_resp` give the
responsibilities the first M-step turns into parameters, from ``"kmeans++"`` or
``"random"`` centres. This module imports numpy, :mod:`gmm_lesson.checks` and
:mod:`gmm_lesson.params` only.
"""

from __future__ import annotations

import numpy as np

from gmm_lesson import checks
from gmm_lesson.params import COVARIANCE_TYPES, GMMParams

__all__ = ["INITS", "fit_arguments", "initial_centres", "initial_resp"]

INITS = ("kmeans++", "random")


def fit_arguments(X, n_components, init, seed, covariance_type, max_iter, tol, reg_covar) -> tuple:
    """Every argument of ``em.fit``/``em.em_steps`` checked, in that order.

    ``X`` comes back as a read-only float copy the run owns, stored column by column
    (each feature contiguous in memory, the layout the large-N kernels of
    :mod:`gmm_lesson.fast` sweep fastest; the values and the maths are the same).
    """
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
    X = np.array(X, order="F")  # a copy: the caller may change their array while a generator runs
    X.flags.writeable = False
    return X, K, init, seed, covariance_type, max_iter, tol, reg_covar


def initial_centres(X: np.ndarray, K: int, init: str, rng: np.random.Generator) -> np.ndarray:
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


def initial_resp(X: np.ndarray, centres: np.ndarray, init: str) -> np.ndarray:
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
