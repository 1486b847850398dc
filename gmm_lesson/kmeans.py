"""k-means as a limit of EM: equal weights, one shared round variance, shrinking to 0.

Fix every weight at :math:`1/K` and every covariance at :math:`\\sigma^2 I`, and let EM
move only the means. The E-step's responsibilities are then

.. math::

    r_{nk} = \\frac{\\exp(-\\|x_n-\\mu_k\\|^2 / 2\\sigma^2)}{\\sum_j \\exp(-\\|x_n-\\mu_j\\|^2 / 2\\sigma^2)},

a soft-max of minus the squared distances. As :math:`\\sigma^2 \\to 0` it puts all the
weight on the nearest mean: a hard assignment. The M-step's weighted means become the
plain means of each cluster. That is Lloyd's k-means algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks, em

__all__ = ["SharedVarianceEM", "big_and_small", "elongated_pair", "shared_variance_em"]


@dataclass(frozen=True)
class SharedVarianceEM:
    """The result of :func:`shared_variance_em`.

    Attributes
    ----------
    means : array, shape (K, D)
    resp : array, shape (N, K)
        The last E-step's responsibilities.
    labels : int array, shape (N,)
        The most responsible component of every point.
    n_iter : int
        E/M iterations run.
    """

    means: np.ndarray
    resp: np.ndarray
    labels: np.ndarray
    n_iter: int


def shared_variance_em(X, means, variance: float, max_iter: int = 100) -> SharedVarianceEM:
    """EM that moves only the means: weights :math:`1/K`, covariances :math:`\\sigma^2 I` held fixed.

    Stops when the means stop moving (or after ``max_iter`` iterations).

    Parameters
    ----------
    X : array-like, shape (N, D)
    means : array-like, shape (K, D)
        Starting means.
    variance : float > 0
        :math:`\\sigma^2`, shared by every component and feature.
    max_iter : int >= 1

    Returns
    -------
    SharedVarianceEM
    """
    X = checks.array_2d(X)
    means = checks.array_2d(means, "means")
    if means.shape[1] != X.shape[1]:
        raise ValueError(f"means must have {X.shape[1]} columns like X, got shape {means.shape}")
    variance = checks.nonnegative(variance, "variance")
    if variance == 0:
        raise ValueError("variance must be > 0 (the limit is approached, not reached)")
    max_iter = checks.integer(max_iter, "max_iter", 1)
    K = means.shape[0]
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        params = em.GMMParams(np.full(K, 1.0 / K), means, np.full(K, variance), "spherical")
        resp, _ = em.e_step(X, params)
        new_means = em.m_step(X, resp, "spherical").means  # the weighted means; the rest stays fixed
        if np.array_equal(new_means, means):
            break
        means = new_means
    return SharedVarianceEM(means, resp, resp.argmax(axis=1), iteration)


# --------------------------------------------------------------------------- where k-means fails
def elongated_pair(n_per_cluster: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two long, thin, parallel clusters: 3 wide along x, 0.3 across, centres 2 apart in y.

    Returns
    -------
    X : array, shape (2 * n_per_cluster, 2)
    labels : int array
        Which cluster each point was drawn from.
    """
    n = checks.integer(n_per_cluster, "n_per_cluster", 1)
    rng = np.random.default_rng(checks.integer(seed, "seed", 0))
    scale = np.array([3.0, 0.3])
    upper = rng.normal(size=(n, 2)) * scale + [0.0, 1.0]
    lower = rng.normal(size=(n, 2)) * scale - [0.0, 1.0]
    X = np.vstack([upper, lower])
    return X, np.repeat([0, 1], n)


def big_and_small(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A wide cluster of 400 points (sd 2) beside a tight one of 40 (sd 0.3) at (3.5, 0).

    Returns
    -------
    X : array, shape (440, 2)
    labels : int array
    """
    rng = np.random.default_rng(checks.integer(seed, "seed", 0))
    X = np.vstack([rng.normal(size=(400, 2)) * 2.0, rng.normal(size=(40, 2)) * 0.3 + [3.5, 0.0]])
    return X, np.repeat([0, 1], [400, 40])
