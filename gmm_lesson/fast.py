"""Cache-blocked E- and M-step kernels for large data sets.

:mod:`gmm_lesson.em` holds the readable EM, in the public layout: data (N, D),
responsibilities (N, K). For a few hundred points that is as fast as anything. From
``em.FAST_MIN_SAMPLES`` (1,024) samples on, :func:`gmm_lesson.em.e_step` and
:func:`gmm_lesson.em.m_step` call the kernels here instead, which compute the same
formulas (the tests run the scikit-learn oracle on both paths, and compare them step
by step) in a layout that suits the memory:

* one row per component: log-densities and responsibilities are (K, N) in memory,
  and the data is read as X^T, shape (D, N). Every sum over k or over d then adds
  whole contiguous rows, several times faster than summing the short rows of an
  (N, K) array. The functions still take and return the public (N, D) and (N, K)
  shapes, as transposed views: no copy when ``X`` is stored column by column, as
  :func:`gmm_lesson.start.fit_arguments` stores it for a run;
* samples are swept in blocks, so that the temporaries of one block (a few D x block
  arrays of about ``BLOCK_NUMBERS`` floats, 128 kB each) stay in the CPU cache
  instead of making several trips through main memory, and each small matrix
  product stays below the size at which OpenBLAS would start threads for it. The
  maths is the same for any block size.

The functions take already-checked arrays and the Cholesky factors of the
precisions from :func:`gmm_lesson.em.precision_cholesky`; they do no argument
checking. This module imports nothing but numpy.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["BLOCK_NUMBERS", "blocks", "e_step", "m_step"]

BLOCK_NUMBERS = 2**14
_LOG_2PI = np.log(2 * np.pi)


def blocks(n_samples: int, n_features: int) -> Iterator[slice]:
    """Consecutive slices of samples covering 0..N, about ``BLOCK_NUMBERS / D`` samples each."""
    size = max(1, BLOCK_NUMBERS // n_features)
    return (slice(start, min(start + size, n_samples)) for start in range(0, n_samples, size))


def e_step(
    X: np.ndarray, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray, covariance_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """The E-step of :func:`gmm_lesson.em.e_step` on X (N, D): resp (N, K) and :math:`\\log p(x_n)`, (N,).

    ``prec_chol`` is :func:`gmm_lesson.em.precision_cholesky` of the covariances. ``resp``
    is the transposed view of a (K, N) array.
    """
    XT = np.ascontiguousarray(X.T)  # (D, N); no copy for a column-major X
    D, N = XT.shape
    resp = np.empty((len(weights), N))
    log_norm = np.empty(N)
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf
        log_weights = np.log(weights)[:, None]
    for block in blocks(N, D):
        log_prob = _log_prob(XT[:, block], means, prec_chol, covariance_type)
        log_prob += log_weights
        largest = log_prob.max(axis=0)
        log_prob -= largest
        block_resp = np.exp(log_prob, out=log_prob)  # each column's largest term is exp(0) = 1
        total = block_resp.sum(axis=0)
        block_resp /= total
        resp[:, block] = block_resp
        log_norm[block] = np.log(total) + largest
    return resp.T, log_norm


def _log_prob(XT: np.ndarray, means: np.ndarray, prec_chol: np.ndarray, covariance_type: str) -> np.ndarray:
    """:math:`\\log \\mathcal{N}(x_n|\\mu_k,\\Sigma_k)` as a (K, N) array, from X^T of shape (D, N)."""
    D, N = XT.shape
    K = len(means)
    if covariance_type == "spherical":
        prec_chol = np.broadcast_to(prec_chol[:, None], (K, D))  # one 1/sigma per feature, like diag
    log_prob = np.empty((K, N))
    diff, y = np.empty_like(XT), np.empty_like(XT)  # reused for every component
    for k in range(K):
        # Mahalanobis distance (x-mu)^T Sigma^-1 (x-mu) = ||y||^2 with y = P^T (x - mu);
        # subtracting the mean first keeps it accurate for data far from the origin
        np.subtract(XT, means[k][:, None], out=diff)
        if covariance_type in ("full", "tied"):
            P = prec_chol[k] if covariance_type == "full" else prec_chol
            np.matmul(P.T, diff, out=y)
        else:  # diagonal P: scale each feature by 1/sigma_kd
            np.multiply(diff, prec_chol[k][:, None], out=y)
        y *= y
        y.sum(axis=0, out=log_prob[k])
    if covariance_type in ("full", "tied"):
        half_log_det_prec = np.log(np.diagonal(prec_chol, axis1=-2, axis2=-1)).sum(axis=-1) * np.ones(K)
    else:
        half_log_det_prec = np.log(prec_chol).sum(axis=1)  # = -1/2 log|Sigma_k|
    log_prob *= -0.5
    log_prob += (half_log_det_prec - 0.5 * D * _LOG_2PI)[:, None]
    return log_prob


def m_step(
    X: np.ndarray, resp: np.ndarray, covariance_type: str, reg_covar: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step of :func:`gmm_lesson.em.m_step` on X (N, D) and resp (N, K): (weights, means, covariances).

    The covariances have scikit-learn's shape for ``covariance_type``.
    """
    XT = np.ascontiguousarray(X.T)  # (D, N); no copy for a column-major X
    resp = np.ascontiguousarray(resp.T)  # (K, N); no copy for what e_step returned
    D, N = XT.shape
    Nk = resp.sum(axis=1) + 10 * np.finfo(float).eps  # as scikit-learn: no empty component
    means = (resp @ XT.T) / Nk[:, None]
    K = len(Nk)
    # scatter_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T, or only its diagonal for diag/spherical.
    # Centring first (two passes) keeps small variances accurate far from the origin.
    scatter = np.zeros((K, D, D) if covariance_type in ("full", "tied") else (K, D))
    for k in range(K):
        for block in blocks(N, D):
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
    return Nk / Nk.sum(), means, covariances
