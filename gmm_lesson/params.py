"""Parameters of a Gaussian mixture: weights, means and covariances, checked once.

:class:`GMMParams` is the data EM works on; :mod:`gmm_lesson.em` holds the maths that
changes it. This module imports only numpy and contains no EM maths (no densities, no
E-step or M-step), so it can be shipped alone where the maths must not be, such as the
sandbox that grades a student's own E-step and M-step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["COVARIANCE_TYPES", "GMMParams"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def _check_covariance_type(covariance_type) -> str:
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
    return covariance_type


def _covariance_shape(covariance_type: str, K: int, D: int) -> tuple[int, ...]:
    return {"full": (K, D, D), "diag": (K, D), "spherical": (K,), "tied": (D, D)}[covariance_type]


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Parameters of a Gaussian mixture, shaped as scikit-learn's ``GaussianMixture``.

    Parameters
    ----------
    weights : array, shape (K,)
        Mixing weights :math:`\\pi_k`, non-negative, summing to 1.
    means : array, shape (K, D)
        Component means :math:`\\mu_k`.
    covariances : array
        ``full`` (K, D, D), ``diag`` (K, D), ``spherical`` (K,), ``tied`` (D, D).
    covariance_type : {"full", "diag", "spherical", "tied"}
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"

    def __post_init__(self) -> None:
        cov_type = _check_covariance_type(self.covariance_type)
        arrays = {}
        for name in ("weights", "means", "covariances"):
            arr = np.array(getattr(self, name), dtype=float)  # a private, read-only copy
            if not np.isfinite(arr).all():
                raise ValueError(f"GMMParams.{name} contains NaN or infinity")
            arr.flags.writeable = False
            arrays[name] = arr
        weights, means, covs = arrays["weights"], arrays["means"], arrays["covariances"]
        if weights.ndim != 1 or weights.size == 0:
            raise ValueError(f"GMMParams.weights must have shape (K,), got {weights.shape}")
        K = weights.size
        if means.ndim != 2 or means.shape[0] != K:
            raise ValueError(f"GMMParams.means must have shape (K={K}, D), got {means.shape}")
        D = means.shape[1]
        expected = _covariance_shape(cov_type, K, D)
        if covs.shape != expected:
            raise ValueError(
                f"GMMParams.covariances must have shape {expected} for covariance_type="
                f"{cov_type!r}, got {covs.shape}"
            )
        if (weights < 0).any() or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"GMMParams.weights must be >= 0 and sum to 1, got {weights}")
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)
        if cov_type in ("full", "tied"):
            asymmetry = np.abs(covs - np.swapaxes(covs, -1, -2)).max()
            if asymmetry > 1e-8 * np.abs(covs).max():
                raise ValueError(
                    f"GMMParams.covariances must be symmetric, got an asymmetry of {asymmetry:.3g}"
                )
        _precision_cholesky(self.covariances, cov_type)  # raises if not positive definite

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.weights.shape[0]

    @property
    def n_features(self) -> int:
        """Number of features D."""
        return self.means.shape[1]

    def full_covariances(self) -> np.ndarray:
        """Every component's covariance as a (K, D, D) matrix, whatever the type."""
        K, D = self.means.shape
        covs = self.covariances
        if self.covariance_type == "full":
            return covs.copy()
        if self.covariance_type == "tied":
            return np.broadcast_to(covs, (K, D, D)).copy()
        if self.covariance_type == "diag":
            return covs[:, :, None] * np.eye(D)
        return covs[:, None, None] * np.eye(D)

    def n_parameters(self) -> int:
        """Number of free parameters (for BIC/AIC), counted as scikit-learn does."""
        K, D = self.means.shape
        cov_params = {
            "full": K * D * (D + 1) // 2,
            "diag": K * D,
            "spherical": K,
            "tied": D * (D + 1) // 2,
        }[self.covariance_type]
        return cov_params + K * D + K - 1


def _precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Cholesky factor of each precision matrix: ``P`` with ``P @ P.T = inv(Sigma)``.

    With it, the Mahalanobis distance is a plain sum of squares:
    :math:`(x-\\mu)^T \\Sigma^{-1} (x-\\mu) = \\|(x-\\mu)^T P\\|^2`.
    """
    if covariance_type in ("diag", "spherical"):
        if (covariances <= 0).any():
            raise ValueError("covariances must be positive; increase reg_covar")
        return 1.0 / np.sqrt(covariances)
    matrices = covariances if covariance_type == "full" else covariances[None]
    try:
        lower = np.linalg.cholesky(matrices)  # Sigma = L L^T
    except np.linalg.LinAlgError:
        raise ValueError(
            "covariances must be symmetric positive definite; a component may have "
            "collapsed onto too few points: increase reg_covar"
        ) from None
    D = matrices.shape[-1]
    inv_lower = np.linalg.solve(lower, np.broadcast_to(np.eye(D), matrices.shape))
    prec_chol = np.swapaxes(inv_lower, -1, -2)  # inv(Sigma) = inv(L)^T inv(L)
    return prec_chol if covariance_type == "full" else prec_chol[0]
