"""What an EM run leaves: its steps, which can be replayed, and the fitted model.

* :class:`EMStep` -- the state after one half-step (what :func:`gmm_lesson.em.em_steps`
  yields).
* :class:`Replay` -- recomputes a step's responsibilities from the parameters they came
  from, so that a fit on a million points does not hold one (N, K) array per step.
* :class:`FittedGMM` -- what :func:`gmm_lesson.em.fit` returns: the final parameters,
  every step, the log-likelihood history, ``predict``, ``score``, ``bic``, ``aic``.

This module imports numpy and its sibling modules only. Its model scores data with
:func:`gmm_lesson.em.e_step`, imported when a method runs: ``em`` builds the model,
so importing it at the top would be circular.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gmm_lesson import checks
from gmm_lesson.params import GMMParams

__all__ = ["EMStep", "FittedGMM", "Replay", "read_only"]


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


class Replay:
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

    def keep(self, resp: np.ndarray, source: GMMParams | None) -> Callable[[], np.ndarray]:
        """What a step holds instead of ``resp``: the way to recompute it from ``source``."""
        return functools.partial(self.resp, source)


def read_only(resp: np.ndarray, source: GMMParams | None = None) -> np.ndarray:
    """What a step of :func:`gmm_lesson.em.em_steps` holds: ``resp`` itself, made read-only."""
    resp.flags.writeable = False
    return resp


@dataclass(frozen=True, eq=False)
class FittedGMM:
    """The result of :func:`gmm_lesson.em.fit`.

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
        from gmm_lesson.em import e_step  # em builds FittedGMM: imported here, not at the top

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
        from gmm_lesson.em import log_likelihood  # em builds FittedGMM: imported here, not at the top

        X = checks.array_2d(X)
        return log_likelihood(X, self.params) / X.shape[0]

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
