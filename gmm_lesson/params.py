"""The parameters of a Gaussian mixture: a frozen, validated record.

:class:`GMMParams` holds the weights, means and covariances of a mixture, shaped as
scikit-learn's ``GaussianMixture`` for each covariance type. Building one checks it
(shapes, finite numbers, weights summing to 1, symmetric positive definite
covariances), so every function that receives a ``GMMParams`` can trust it.

This module holds no EM maths (no densities, E-step, M-step or likelihood); it
imports numpy and :mod:`gmm_lesson.checks` only, so it can be used on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmm_lesson import checks

__all__ = ["COVARIANCE_TYPES", "GMMParams", "covariance_shape"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def covariance_shape(covariance_type: str, n_components: int, n_features: int) -> tuple[int, ...]:
    """Shape of ``covariances`` for K components of D features, as scikit-learn's ``covariances_``."""
    K, D = n_components, n_features
    return {"full": (K, D, D), "diag": (K, D), "spherical": (K,), "tied": (D, D)}[covariance_type]


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Parameters of a Gaussian mixture, shaped as scikit-learn's ``GaussianMixture``.

    Parameters
    ----------
    weights : array-like, shape (K,)
        Mixing weights :math:`\\pi_k`, non-negative, summing to 1.
    means : array-like, shape (K, D)
        Component means :math:`\\mu_k`.
    covariances : array-like
        ``full`` (K, D, D), ``diag`` (K, D), ``spherical`` (K,), ``tied`` (D, D);
        symmetric positive definite (positive variances for ``diag``/``spherical``).
    covariance_type : {"full", "diag", "spherical", "tied"}

    Notes
    -----
    The arrays are read-only copies of what was given. Invalid parameters raise a
    ``ValueError`` naming the field.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"

    def __post_init__(self) -> None:
        cov_type = checks.one_of(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
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
        expected = covariance_shape(cov_type, K, means.shape[1])
        if covs.shape != expected:
            raise ValueError(
                f"GMMParams.covariances must have shape {expected} for covariance_type="
                f"{cov_type!r}, got {covs.shape}"
            )
        if (weights < 0).any() or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"GMMParams.weights must be >= 0 and sum to 1, got {weights}")
        _check_positive_definite(covs, cov_type)
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)

    @classmethod
    def unchecked(
        cls, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, covariance_type: str
    ) -> GMMParams:
        """Wrap arrays an estimator has just computed, without copying or checking them.

        For code that builds parameters from already-checked data, such as the M-step
        inside an EM loop, where validating (and factorising) every iteration would
        repeat work. The arrays are made read-only, not copied: the caller must hand
        over float arrays of the right shapes and not keep writing to them.
        Everywhere else, call ``GMMParams(...)``.
        """
        params = object.__new__(cls)
        for name, arr in (("weights", weights), ("means", means), ("covariances", covariances)):
            arr.flags.writeable = False
            object.__setattr__(params, name, arr)
        object.__setattr__(params, "covariance_type", covariance_type)
        return params

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


def _check_positive_definite(covariances: np.ndarray, covariance_type: str) -> None:
    """Raise a ValueError unless every covariance is a valid one for its type."""
    if covariance_type in ("diag", "spherical"):
        if (covariances <= 0).any():
            raise ValueError("covariances must be positive; increase reg_covar")
        return
    asymmetry = np.abs(covariances - np.swapaxes(covariances, -1, -2)).max()
    if asymmetry > 1e-8 * np.abs(covariances).max():
        raise ValueError(f"GMMParams.covariances must be symmetric, got an asymmetry of {asymmetry:.3g}")
    try:
        np.linalg.cholesky(covariances)  # succeeds exactly for positive definite matrices
    except np.linalg.LinAlgError:
        raise ValueError(
            "covariances must be symmetric positive definite; a component may have "
            "collapsed onto too few points: increase reg_covar"
        ) from None
