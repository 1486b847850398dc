"""Every number and claim of em_step_by_step about code, checked by running that code.

The poor start of the notebook (cell ``start``) is read from the source notebook and run
here, so the lesson and this test cannot drift apart. Numbers are on the standardised
Old Faithful data, K=2, full covariances, scikit-learn 1.9.1.
"""

from __future__ import annotations

import warnings

import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_lesson import em

NAME = "em_step_by_step"


def _notebook_cells(*cell_ids: str) -> dict:
    """Run the named code cells of the source notebook in one namespace."""
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    cells = {c.id: c.source for c in nb.cells}
    namespace: dict = {}
    for cell_id in cell_ids:
        exec(cells[cell_id], namespace)
    return namespace


@pytest.fixture(scope="module")
def lesson():
    """The notebook's data and poor start, and EM from it run for 200 iterations (tol=0)."""
    ns = _notebook_cells("imports", "data", "start")
    X, start = ns["X"], ns["start"]
    long_run = em.fit(X, 2, init=start, max_iter=200, tol=0.0)
    return X, start, long_run, np.array(long_run.history)


def test_the_data_is_standardised_old_faithful(lesson):
    X, _, _, _ = lesson
    assert X.shape == (272, 2)
    assert np.allclose(X.mean(axis=0), 0) and np.allclose(X.std(axis=0), 1)


def test_after_30_iterations_from_the_poor_start_log_l_is_542_2_with_both_means_near_the_origin(lesson):
    _, _, run, history = lesson
    assert round(history[30], 1) == -542.2
    means_30 = run.steps[2 * 30].params.means  # steps: init, then E and M per iteration
    assert run.steps[2 * 30].iteration == 30 and run.steps[2 * 30].phase == "M"
    assert np.all(np.linalg.norm(means_30, axis=1) < 0.2)


def test_the_optimum_is_385_5_reached_only_around_iteration_120(lesson):
    _, _, run, history = lesson
    optimum = history[-1]
    assert round(optimum, 1) == -385.5
    assert run.n_iter == 200 and abs(history[-1] - history[-2]) < 1e-9  # settled
    assert int(np.argmax(history > optimum - 0.05)) == 120  # first iteration within 0.05
    assert int(np.argmax(history > -540)) == 104  # leaves the plateau
    assert int(np.argmax(history > -400)) == 118


def test_the_plateau_sits_just_above_the_single_gaussian(lesson):
    """Iterations 2-100 stay between -544.5 and -541.2, a few units above K=1's -545.0:
    both components are near copies of the one Gaussian, a stationary point (a saddle)."""
    X, _, _, history = lesson
    single = em.fit(X, 1, seed=0).history[-1]
    assert round(single, 1) == -545.0
    assert round(history[2:101].min(), 1) == -544.5 and round(history[2:101].max(), 1) == -541.2
    gains = np.diff(history) / len(X)
    assert gains[1:110].min() < 1e-5  # a per-point change smaller than tol=1e-5 on the plateau
    assert round(float(gains[1:110].min()), 7) == 4.0e-6


def test_default_tol_stops_em_fit_after_2_iterations_converged(lesson):
    X, start, _, history = lesson
    fitted = em.fit(X, 2, init=start)  # tol=1e-3, the default
    assert fitted.n_iter == 2 and fitted.converged
    assert round(fitted.history[-1], 1) == -544.5
    # tol is on the change of the mean log-likelihood per point
    assert (history[1] - history[0]) / len(X) > 1e-3 > (history[2] - history[1]) / len(X)
    assert history[2] - history[1] > 1e-3  # the total still changed by more than tol


def test_default_tol_stops_scikit_learn_after_3_iterations_converged(lesson):
    X, start, _, _ = lesson
    gm = GaussianMixture(
        2,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
    ).fit(X)
    assert gm.n_iter_ == 3 and gm.converged_
    assert round(gm.lower_bound_ * len(X), 1) == -544.5


@pytest.mark.parametrize(
    "tol, n_iter, final", [(1e-4, 37, -542.0), (1e-5, 50, -541.8), (1e-6, 123, -385.5), (1e-8, 125, -385.5)]
)
def test_a_smaller_tol_runs_longer(lesson, tol, n_iter, final):
    X, start, _, _ = lesson
    fitted = em.fit(X, 2, init=start, tol=tol, max_iter=1000)
    assert fitted.converged and fitted.n_iter == n_iter and round(fitted.history[-1], 1) == final


def test_several_starts_all_find_the_optimum(lesson):
    X, _, _, history = lesson
    for seed in range(10):
        fitted = em.fit(X, 2, seed=seed)  # k-means++ starts, default tol
        assert fitted.n_iter <= 3 and abs(fitted.history[-1] - history[-1]) < 0.02, seed
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gm = GaussianMixture(2, n_init=5, random_state=0).fit(X)
    assert round(gm.score(X) * len(X), 1) == -385.5


def test_a_density_can_exceed_1(lesson):
    """N(x | mu, Sigma) is a density, not a probability: at the fitted means it is above 1."""
    X, _, _, _ = lesson
    fitted = em.fit(X, 2, seed=0)
    at_means = np.exp(np.diag(em.estimate_log_prob(fitted.params.means, fitted.params)))
    assert np.all(at_means > 1)
    assert np.round(np.sort(at_means), 2).tolist() == [1.08, 1.68]
    resp = fitted.predict_proba(X)
    assert np.all(resp <= 1) and np.allclose(resp.sum(axis=1), 1)  # responsibilities are probabilities
