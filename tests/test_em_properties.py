"""Property-based tests of gmm_lesson.em: what EM guarantees on any data, including awkward data."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gmm_lesson import em

# GMM_HYPOTHESIS_EXAMPLES=500 runs a longer search (the default keeps the suite quick)
EXAMPLES = int(os.environ.get("GMM_HYPOTHESIS_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    """Random data (some clustered, some shifted and scaled), K, covariance type, init and seed."""
    seed = draw(st.integers(0, 2**32 - 1))
    N = draw(st.integers(2, 60))
    D = draw(st.integers(1, 4))
    K = draw(st.integers(1, min(N, 5)))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    if draw(st.booleans()):  # clusters
        X += rng.integers(0, 3, size=(N, 1)) * 5.0 * X.std()
    X += draw(st.sampled_from([0.0, 10.0, -1e4]))
    return {
        "X": X,
        "K": K,
        "covariance_type": draw(st.sampled_from(em.COVARIANCE_TYPES)),
        "init": draw(st.sampled_from(em.INITS)),
        "seed": draw(st.integers(0, 10_000)),
    }


def assert_finite(model: em.FittedGMM) -> None:
    for step in model.steps:
        p = step.params
        for name, arr in (("weights", p.weights), ("means", p.means), ("covariances", p.covariances)):
            assert np.isfinite(arr).all(), f"{name} not finite at iteration {step.iteration} ({step.phase})"
        assert np.isfinite(step.resp).all()
        assert np.isfinite(step.log_likelihood)


def assert_never_decreases(history: list[float]) -> None:
    for t, (before, after) in enumerate(itertools.pairwise(history), start=1):
        # EM's guarantee, up to rounding in sums of N terms of size |log L|
        slack = 1e-9 * max(1.0, abs(before))
        assert after >= before - slack, f"log-likelihood fell at iteration {t}: {before} -> {after}"


@SETTINGS
@given(problems())
def test_everything_stays_finite_and_normalised(problem):
    X, K = problem["X"], problem["K"]
    model = em.fit(
        X, K, init=problem["init"], seed=problem["seed"], covariance_type=problem["covariance_type"],
        max_iter=25, tol=0.0,
    )
    assert model.n_iter == 25 and not model.converged
    assert_finite(model)
    for step in model.steps:
        np.testing.assert_allclose(step.resp.sum(axis=1), 1.0, rtol=0, atol=1e-9)
        np.testing.assert_allclose(step.params.weights.sum(), 1.0, rtol=0, atol=1e-9)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.isfinite([model.score(X), model.bic(X), model.aic(X)]).all()


@SETTINGS
@given(problems())
def test_log_likelihood_never_decreases(problem):
    """EM's guarantee holds for the exact M-step, reg_covar=0.

    With reg_covar > 0 the M-step returns S_k + reg_covar * I instead of the maximiser S_k,
    and the log-likelihood can fall slightly when the data's variance is near reg_covar
    (see test_reg_covar_can_lower_the_log_likelihood). Without it a component can become
    singular: that is refused with a ValueError naming reg_covar, and such draws are skipped.
    """
    X, K = problem["X"], problem["K"]
    try:
        model = em.fit(
            X, K, init=problem["init"], seed=problem["seed"], covariance_type=problem["covariance_type"],
            max_iter=25, tol=0.0, reg_covar=0.0,
        )
    except ValueError as exc:
        assert "reg_covar" in str(exc)
        assume(False)
    assert_finite(model)
    # A component may also collapse onto one point without becoming exactly singular: its
    # variance is then rounding noise (~1e-28 for data near 10) and so is its likelihood.
    # Such draws are skipped too: the guarantee is about variances the floats can resolve.
    resolution = (1e-7 * np.abs(X).max()) ** 2
    smallest = min(np.linalg.eigvalsh(s.params.full_covariances()).min() for s in model.steps)
    assume(smallest > resolution)
    assert_never_decreases(model.history)


def test_reg_covar_can_lower_the_log_likelihood():
    """Why the monotonicity property uses reg_covar=0: data with variance ~ reg_covar."""
    X = np.array([[0.00012573], [-0.0001321], [0.00064042]])
    regularised = em.fit(X, 2, seed=0, tol=0.0, max_iter=10, reg_covar=1e-6).history
    assert min(b - a for a, b in itertools.pairwise(regularised)) < -1e-6
    exact = em.fit(X, 2, seed=0, tol=0.0, max_iter=10, reg_covar=0.0).history
    assert_never_decreases(exact)


@SETTINGS
@given(problems())
def test_each_step_reports_the_log_likelihood_of_its_own_parameters(problem):
    X = problem["X"]
    steps = list(
        em.em_steps(
            X, problem["K"], init=problem["init"], seed=problem["seed"],
            covariance_type=problem["covariance_type"], max_iter=4, tol=0.0,
        )
    )
    for step in steps:
        expected = em.log_likelihood(X, step.params)
        assert step.log_likelihood == pytest.approx(expected, rel=1e-12, abs=1e-9)


def degenerate_data(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "duplicates":  # every point three times
        return np.repeat(rng.normal(size=(10, 2)), 3, axis=0)
    if kind == "collapse":  # one far point on its own: a component shrinks onto it
        return np.vstack([rng.normal(size=(30, 2)), [[50.0, 50.0]]])
    if kind == "constant column":
        return np.column_stack([rng.normal(size=30), np.full(30, 7.0)])
    if kind == "all identical":
        return np.full((12, 3), 2.5)
    raise AssertionError(kind)


@settings(max_examples=max(30, EXAMPLES // 2), deadline=None)
@given(
    kind=st.sampled_from(["duplicates", "collapse", "constant column", "all identical"]),
    covariance_type=st.sampled_from(em.COVARIANCE_TYPES),
    init=st.sampled_from(em.INITS),
    K=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_degenerate_data_gives_finite_parameters(kind, covariance_type, init, K, seed):
    """reg_covar keeps a collapsed component or a constant feature from a singular covariance."""
    X = degenerate_data(kind, np.random.default_rng(seed))
    model = em.fit(X, K, init=init, seed=seed, covariance_type=covariance_type, max_iter=30)
    assert_finite(model)
    # the smallest variance EM can give is reg_covar (here 1e-6), never zero; the 1e-12
    # allows for rounding in E[x^2] - mu^2 with |x| up to 50 (diag and spherical)
    variances = np.diagonal(model.params.full_covariances(), axis1=1, axis2=2)
    assert variances.min() >= 1e-6 - 1e-12


def test_component_collapsing_onto_one_point_is_caught_by_reg_covar():
    """Start a component exactly on a lone far point: its variance becomes reg_covar, not 0."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(30, 2)), [[50.0, 50.0]]])
    start = em.GMMParams([0.5, 0.5], [[0.0, 0.0], [50.0, 50.0]], [np.eye(2), np.eye(2)])
    model = em.fit(X, 2, init=start, max_iter=10, reg_covar=1e-6)
    lone = model.params.covariances[1]
    np.testing.assert_allclose(lone, 1e-6 * np.eye(2), rtol=1e-6, atol=1e-12)
    assert model.params.weights[1] == pytest.approx(1 / 31)
    assert np.isfinite(model.history).all()
    with pytest.raises(ValueError, match="reg_covar"):  # without reg_covar the covariance is singular
        em.fit(X, 2, init=start, max_iter=10, reg_covar=0.0)


@settings(max_examples=max(25, EXAMPLES // 4), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), distance=st.sampled_from([1e2, 1e3, 1e5]))
def test_far_points_keep_responsibilities_normalised(seed, distance):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 2))
    model = em.fit(X, 3, seed=seed % 1000)
    scale = np.sqrt(np.linalg.eigvalsh(model.params.covariances).max())
    far = rng.normal(size=(5, 2))
    far *= distance * scale / np.linalg.norm(far, axis=1, keepdims=True)  # `distance` std devs away
    resp, total = em.e_step(far, model.params)
    assert np.isfinite(resp).all() and np.isfinite(total)
    # What log-sum-exp promises: r_k = exp(a_k - log p(x)), and log p(x) = max_k a_k + log(s)
    # is rounded to within half an ulp of |log p(x)|, which is about distance**2 / 2 here
    # (5e9 for 1e5 std devs). That error becomes a relative error of about eps * |log p(x)|
    # in every r_k, so their sum is 1 to within eps * (|log p(x)| + K) (the K for the sum of
    # the K exponentials), not to a fixed 1e-12 (a draw at 1e2 std devs missed that by 1.7e-12).
    weighted = em.estimate_log_prob(far, model.params) + np.log(model.params.weights)
    log_px = np.logaddexp.reduce(weighted, axis=1)
    promised = 4 * np.finfo(float).eps * (np.abs(log_px) + weighted.shape[1])
    assert (np.abs(resp.sum(axis=1) - 1.0) <= promised).all(), (resp.sum(axis=1) - 1.0, promised)


@settings(max_examples=max(25, EXAMPLES // 4), deadline=None)
@given(K=st.integers(1, 8), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_match_labels_recovers_a_permuted_labelling(K, seed, n):
    rng = np.random.default_rng(seed)
    reference = rng.integers(0, K, size=n)
    perm = rng.permutation(K)
    np.testing.assert_array_equal(em.match_labels(reference, perm[reference]), reference)
    # renaming never changes the partition, and never lowers agreement
    noisy = np.where(rng.random(n) < 0.2, rng.integers(0, K, size=n), perm[reference])
    renamed = em.match_labels(reference, noisy)
    assert (renamed == reference).sum() >= (noisy == reference).sum()
    for a in np.unique(noisy):
        assert len(np.unique(renamed[noisy == a])) == 1
