"""Argument checks shared by the library: clear errors that name the bad argument.

These hold no maths, so they may be shipped where EM's maths must not be (the grading
sandbox of an assignment in which students write the E-step and M-step).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_data", "check_float", "check_int"]


def check_data(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D float array, or raise a clear error naming ``name``."""
    if isinstance(X, str | bytes):
        raise TypeError(f"{name} must be a 2-D array of numbers, got a string")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged lists
        raise ValueError(f"{name} must be a rectangular 2-D array of numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must contain real numbers, got an array of dtype {arr.dtype} "
            "(strings, objects or complex numbers are not data EM can fit)"
        )
    if arr.ndim != 2:
        hint = " Use X.reshape(-1, 1) for a single feature." if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}; need at least one sample and one feature")
    arr = arr.astype(float, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; remove or impute those values first")
    return arr


def check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)
