"""A Gaussian mixture is a density: score points, draw new ones, hold data out.

* :func:`score_samples` -- :math:`\\log p(x_n)` for every point, scikit-learn's
  ``GaussianMixture.score_samples``.
* :func:`sample` -- the generative story: draw a hidden label :math:`z \\sim \\pi`, then
  :math:`x \\sim \\mathcal N(\\mu_z, \\Sigma_z)`.
* :func:`held_out_split` and :func:`best_of_starts` -- the pieces of choosing K by the
  log-likelihood of data the fit never saw.
* :func:`faithful_with_new_eruptions` -- Old Faithful, and new eruptions to check for
  anomalies, some of them planted.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import checks, data, em

__all__ = ["best_of_starts", "faithful_with_new_eruptions", "held_out_split", "sample", "score_samples"]


def score_samples(X, params: em.GMMParams) -> np.ndarray:
    """Mixture log-density at each point, :math:`\\log \\sum_k \\pi_k \\mathcal N(x_n|\\mu_k,\\Sigma_k)`.

    A density, not a probability: it can exceed 1 (its log can be positive) where the
    mixture is narrow.

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams

    Returns
    -------
    array, shape (N,)
        Summed, the total log-likelihood ``em.log_likelihood(X, params)``.
    """
    params = checks.instance_of(params, em.GMMParams, "params")
    return em.log_sum_exp(em.weighted_log_prob(X, params))  # the E-step's log p(x_n)


def sample(params: em.GMMParams, n_samples: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw points from the mixture, hidden label first.

    Parameters
    ----------
    params : GMMParams
    n_samples : int >= 1
    seed : int >= 0 or None

    Returns
    -------
    X : array, shape (n_samples, D)
    labels : int array, shape (n_samples,)
        The component each point was drawn from (the hidden variable :math:`z`).
    """
    params = checks.instance_of(params, em.GMMParams, "params")
    n_samples = checks.integer(n_samples, "n_samples", 1)
    if seed is not None:
        checks.integer(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    labels = rng.choice(params.n_components, size=n_samples, p=params.weights)  # z ~ pi
    # then x ~ N(mu_z, Sigma_z): mu_z + L_z e with Sigma_z = L_z L_z^T and e standard normal
    noise = rng.standard_normal((n_samples, params.n_features))
    X = np.empty_like(noise)
    for k, (mean, covariance) in enumerate(zip(params.means, params.full_covariances(), strict=True)):
        drawn = labels == k
        X[drawn] = mean + noise[drawn] @ np.linalg.cholesky(covariance).T
    return X, labels


def held_out_split(X, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows of ``X`` and keep ``n_test`` of them apart.

    Parameters
    ----------
    X : array-like, shape (N, D)
    n_test : int, 1 <= n_test < N
    seed : int >= 0

    Returns
    -------
    X_train : array, shape (N - n_test, D)
    X_test : array, shape (n_test, D)
    """
    X = checks.array_2d(X)
    n_test = checks.integer(n_test, "n_test", 1)
    if n_test >= X.shape[0]:
        raise ValueError(f"n_test must be smaller than the number of samples ({X.shape[0]}), got {n_test}")
    order = np.random.default_rng(checks.integer(seed, "seed", 0)).permutation(X.shape[0])
    return X[order[n_test:]], X[order[:n_test]]


def best_of_starts(X, n_components: int, seeds: Iterable[int], **fit_options) -> em.FittedGMM:
    """Fit from every seed and keep the fit with the highest log-likelihood (scikit-learn's ``n_init``).

    Parameters
    ----------
    X : array-like, shape (N, D)
    n_components : int
    seeds : iterable of int
        One fit per seed.
    **fit_options
        Passed to :func:`gmm_lesson.em.fit` (``covariance_type``, ``tol``, ...).

    Returns
    -------
    em.FittedGMM
    """
    fits = [em.fit(X, n_components, seed=seed, **fit_options) for seed in seeds]
    if not fits:
        raise ValueError("seeds must hold at least one seed")
    return max(fits, key=lambda fitted: fitted.history[-1])


#: Old Faithful eruptions that never happened, in standardised units: a short eruption
#: after a long wait, a long one after a short wait, and one far beyond both clusters.
PLANTED = ((-1.3, 1.2), (1.0, -1.6), (3.2, 3.0))


def faithful_with_new_eruptions(n_new: int = 12, seed: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised Old Faithful, and new eruptions: ``n_new`` typical ones plus :data:`PLANTED`.

    The typical new eruptions are drawn from the two-component fit
    ``em.fit(Z, 2, seed=0)`` of the data; the planted ones come last.

    Parameters
    ----------
    n_new : int >= 1
    seed : int >= 0
        For the typical new eruptions.

    Returns
    -------
    Z : array, shape (272, 2)
        The data, standardised.
    X_new : array, shape (n_new + 3, 2)
    planted : bool array, shape (n_new + 3,)
        True for the planted eruptions.
    """
    Z, _, _ = data.standardize(data.load_old_faithful())
    typical, _ = sample(em.fit(Z, 2, seed=0).params, n_new, seed=seed)
    X_new = np.vstack([typical, PLANTED])
    planted = np.arange(len(X_new)) >= n_new
    return Z, X_new, planted
