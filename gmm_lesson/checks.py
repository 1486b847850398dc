"""Argument checks shared by every module of gmm_lesson.

Each function takes a value and the name the caller knows it by, and either returns
the value in the form the library works with (a float array, an ``int``, a
``float``) or raises a ``ValueError`` / ``TypeError`` whose message names the
argument and says what was expected. Checking happens once, where a value enters
the library; the maths in :mod:`gmm_lesson.em` then trusts what it is given.

This module imports nothing but numpy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["array_2d", "instance_of", "integer", "nonnegative", "one_of", "responsibilities", "same_features"]


def array_2d(X: Any, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D float array, shape (n_samples, n_features).

    Lists of lists are accepted (converted with ``np.asarray``); a float array is
    returned as it is, without a copy.

    Raises
    ------
    TypeError
        For a string, or data that are not real numbers (strings, objects, complex).
    ValueError
        For ragged rows, a shape that is not 2-D, an empty array, NaN or infinity.
    """
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
        hint = (" Use X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a single sample."
                if arr.ndim == 1 else "")
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}; need at least one sample and one feature")
    arr = arr.astype(float, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; remove or impute those values first")
    return arr


def integer(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as an ``int`` >= ``minimum`` (numpy integers accepted, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def nonnegative(value: Any, name: str) -> float:
    """Return ``value`` as a finite ``float`` >= 0 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def one_of(value: Any, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def instance_of(value: Any, cls: type, name: str) -> Any:
    """Return ``value`` if it is an instance of ``cls``."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, got {type(value).__name__}")
    return value


def same_features(X: np.ndarray, params: Any) -> np.ndarray:
    """Return ``X`` if it has as many features (columns) as the model ``params`` (a GMMParams)."""
    if X.shape[1] != params.n_features:
        raise ValueError(
            f"X has {X.shape[1]} features but the model has {params.n_features} "
            f"(means have shape {params.means.shape})"
        )
    return X


def responsibilities(resp: Any, n_samples: int) -> np.ndarray:
    """Return ``resp`` as a float array of shape (n_samples, K): non-negative, rows summing to 1."""
    resp = array_2d(resp, "resp")
    if resp.shape[0] != n_samples:
        raise ValueError(f"resp must have one row per sample of X ({n_samples}), got {resp.shape[0]} rows")
    # np.allclose(row sums, 1, atol=1e-6) with its default rtol, in fewer passes over a large resp
    if resp.min() < 0 or np.abs(resp.sum(axis=1) - 1.0).max() > 1e-6 + 1e-5:
        raise ValueError("resp must be non-negative with every row summing to 1")
    return resp
