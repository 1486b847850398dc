"""Why EM never lowers the log-likelihood: the lower bound it climbs.

For any responsibilities :math:`q_{nk}` (each row a distribution over the K
components), Jensen's inequality (the log of an average is at least the average of
the logs) gives a lower bound on the log-likelihood:

.. math::

    \\log L(\\theta) = \\sum_n \\log \\sum_k q_{nk}\\,\\frac{\\pi_k\\mathcal N(x_n|\\mu_k,\\Sigma_k)}{q_{nk}}
    \\;\\ge\\; \\sum_n \\sum_k q_{nk} \\log \\frac{\\pi_k\\mathcal N(x_n|\\mu_k,\\Sigma_k)}{q_{nk}}
    = B(q, \\theta).

* The **E-step** sets :math:`q` to the posterior :math:`r_{nk}`: every ratio inside the
  log is then the same number :math:`p(x_n)`, so the bound is **tight**,
  :math:`B(r, \\theta) = \\log L(\\theta)`. The parameters do not move, so the
  log-likelihood curve is flat over an E-step; what rises is the bound.
* The **M-step** keeps :math:`q` and picks the :math:`\\theta` that maximises
  :math:`B(q, \\theta)` (the weighted averages of :func:`gmm_lesson.em.m_step`), so
  :math:`\\log L(\\theta_{new}) \\ge B(q, \\theta_{new}) \\ge B(q, \\theta_{old}) = \\log L(\\theta_{old})`.

The gap :math:`\\log L - B` is the sum over points of the Kullback-Leibler divergence
from :math:`q` to the posterior: never negative, zero only at the posterior.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import checks, em

__all__ = ["bound_along_mean", "bound_trace", "lower_bound"]


def lower_bound(X, params: em.GMMParams, resp) -> float:
    """The bound :math:`B(q,\\theta) = \\sum_{n,k} q_{nk}(\\log \\pi_k \\mathcal N(x_n|k) - \\log q_{nk})`.

    A responsibility of exactly 0 contributes nothing (:math:`0 \\log 0 = 0`).

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams
        :math:`\\theta`.
    resp : array-like, shape (N, K)
        :math:`q`: non-negative, every row summing to 1.

    Returns
    -------
    float
        At most ``em.log_likelihood(X, params)``, equal to it when ``resp`` is the
        E-step of ``params``.
    """
    params = checks.instance_of(params, em.GMMParams, "params")
    X = checks.same_features(checks.array_2d(X), params)
    resp = checks.responsibilities(resp, X.shape[0])
    if resp.shape[1] != params.n_components:
        raise ValueError(
            f"resp must have one column per component ({params.n_components}), got {resp.shape[1]}"
        )
    log_joint = em.weighted_log_prob(X, params)  # log pi_k N(x_n|k)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf; 0 * inf is dropped below
        log_q = np.log(resp)
        terms = np.where(resp > 0, resp * (log_joint - log_q), 0.0)
    return float(terms.sum())


def bound_trace(X, steps: Sequence[em.EMStep]) -> tuple[np.ndarray, np.ndarray]:
    """The log-likelihood and the bound at every half-step of an EM run.

    At each step the bound uses the step's own parameters and the responsibilities it
    holds: after an E-step those are the E-step's (tight bound); after an M-step they
    are the ones the M-step used, computed for the previous parameters (a gap opens).

    Parameters
    ----------
    X : array-like, shape (N, D)
        The data the run was fitted on.
    steps : list of em.EMStep, or em.FittedGMM

    Returns
    -------
    log_likelihood, bound : arrays of shape (len(steps),)
    """
    if isinstance(steps, em.FittedGMM):
        steps = steps.steps
    if not isinstance(steps, Sequence) or not steps or not all(isinstance(s, em.EMStep) for s in steps):
        raise TypeError("steps must be a non-empty list of em.EMStep (e.g. fitted.steps)")
    X = checks.array_2d(X)
    log_l = np.array([s.log_likelihood for s in steps])
    bound = np.array([lower_bound(X, s.params, s.resp) for s in steps])
    return log_l, bound


def bound_along_mean(
    X, params: em.GMMParams, resp, component: int, feature: int, values
) -> tuple[np.ndarray, np.ndarray]:
    """log L and the bound :math:`B(q, \\theta)` as one mean coordinate moves.

    Every parameter but ``means[component, feature]`` is held at ``params`` and ``q`` at
    ``resp``; that coordinate takes each of ``values``. The bound touches log L where
    ``resp`` is the E-step of the parameters, and peaks at the responsibility-weighted
    mean (what the M-step would choose for this coordinate).

    Parameters
    ----------
    X : array-like, shape (N, D)
    params : GMMParams
    resp : array-like, shape (N, K)
    component, feature : int
        Which mean coordinate moves.
    values : array-like, shape (M,)
        Where it moves to.

    Returns
    -------
    log_likelihood, bound : arrays of shape (M,)
    """
    params = checks.instance_of(params, em.GMMParams, "params")
    X = checks.same_features(checks.array_2d(X), params)
    K, D = params.means.shape
    component = checks.integer(component, "component", 0)
    feature = checks.integer(feature, "feature", 0)
    if component >= K:
        raise ValueError(f"component must be < {K}, got {component}")
    if feature >= D:
        raise ValueError(f"feature must be < {D}, got {feature}")
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise ValueError("values must be a non-empty 1-D array of finite numbers")
    log_l, bound = [], []
    for value in values:
        means = params.means.copy()
        means[component, feature] = value
        moved = em.GMMParams(params.weights, means, params.covariances, params.covariance_type)
        log_l.append(em.log_likelihood(X, moved))
        bound.append(lower_bound(X, moved, resp))
    return np.array(log_l), np.array(bound)
