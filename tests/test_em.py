"""Tests of gmm_lesson.em: scikit-learn as an oracle, EM's invariants, bad input, Iris facts."""

from __future__ import annotations

import itertools
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmm_lesson import data, em, fast

RTOL = 1e-6  # the agreement the library promises with scikit-learn
N_ORACLE = 200
N_ITER = 10


def sklearn_precisions(params: em.GMMParams) -> np.ndarray:
    """scikit-learn's ``precisions_init`` (inverse covariances) for our parameters."""
    if params.covariance_type in ("diag", "spherical"):
        return 1.0 / params.covariances
    return np.linalg.inv(params.covariances)


def sklearn_from(params: em.GMMParams, **kwargs) -> GaussianMixture:
    return GaussianMixture(
        params.n_components,
        covariance_type=params.covariance_type,
        weights_init=params.weights,
        means_init=params.means,
        precisions_init=sklearn_precisions(params),
        **kwargs,
    )


def sklearn_fit(gmm: GaussianMixture, X: np.ndarray) -> GaussianMixture:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gmm.fit(X)


def assert_params_match(ours: em.GMMParams, gmm: GaussianMixture, context: str) -> None:
    for name, theirs in (("weights", gmm.weights_), ("means", gmm.means_), ("covariances", gmm.covariances_)):
        np.testing.assert_allclose(
            getattr(ours, name), theirs, rtol=RTOL, atol=1e-12, err_msg=f"{name} differ ({context})"
        )


def oracle_data(D: int) -> np.ndarray:
    return data.blobs(N_ORACLE, 3, D, seed=10 + D)


def iris() -> np.ndarray:
    return data.standardize(data.load_iris_sepal())[0]


@pytest.fixture(params=["readable", "fast"])
def em_path(request, monkeypatch):
    """Run a test through em.py's own E- and M-step, then through gmm_lesson.fast's kernels."""
    monkeypatch.setattr(em, "FAST_MIN_SAMPLES", 10**9 if request.param == "readable" else 1)
    return request.param


# --------------------------------------------------------------------------- scikit-learn as oracle
@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("D", [1, 2, 5])
@pytest.mark.parametrize("K", [1, 3, 5])
def test_every_iteration_matches_sklearn(covariance_type, D, K, em_path):
    """After 1, 2, ..., 10 iterations from the same start, parameters and score agree to 1e-6."""
    X = oracle_data(D)
    start = next(em.em_steps(X, K, seed=K, covariance_type=covariance_type)).params
    model = em.fit(X, K, init=start, covariance_type=covariance_type, tol=0.0, max_iter=N_ITER)
    after_m = [s for s in model.steps if s.phase == "M"]
    assert [s.iteration for s in after_m] == list(range(1, N_ITER + 1))
    # warm_start with max_iter=1: every fit() call runs exactly one more EM iteration
    gmm = sklearn_from(start, tol=0.0, max_iter=1, warm_start=True)
    for step in after_m:
        sklearn_fit(gmm, X)
        context = f"{covariance_type}, D={D}, K={K}, after iteration {step.iteration}"
        assert_params_match(step.params, gmm, context)
        assert step.log_likelihood / len(X) == pytest.approx(gmm.score(X), rel=1e-9), context
    assert model.score(X) == pytest.approx(gmm.score(X), rel=1e-9)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_fresh_sklearn_fit_for_each_iteration_count(covariance_type, em_path):
    """The same check with an independent scikit-learn fit(max_iter=n) for every n (no warm start)."""
    X = oracle_data(2)
    start = next(em.em_steps(X, 3, seed=1, covariance_type=covariance_type)).params
    for n in range(1, N_ITER + 1):
        model = em.fit(X, 3, init=start, covariance_type=covariance_type, tol=0.0, max_iter=n)
        gmm = sklearn_fit(sklearn_from(start, tol=0.0, max_iter=n), X)
        assert model.n_iter == gmm.n_iter_ == n
        assert_params_match(model.params, gmm, f"{covariance_type}, max_iter={n}")
        assert model.score(X) == pytest.approx(gmm.score(X), rel=1e-9)
        np.testing.assert_allclose(model.predict_proba(X), gmm.predict_proba(X), rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(model.predict(X), gmm.predict(X))


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_large_data_swept_in_blocks_matches_sklearn(covariance_type, em_path):
    """N beyond one block: the fast E-step and M-step add up several blocks of samples."""
    X = data.blobs(fast.BLOCK_NUMBERS + 123, 3, 3, seed=4)  # 3 full blocks of 5461 samples and a part
    start = next(em.em_steps(X, 3, seed=0, covariance_type=covariance_type)).params
    model = em.fit(X, 3, init=start, covariance_type=covariance_type, tol=0.0, max_iter=3)
    gmm = sklearn_fit(sklearn_from(start, tol=0.0, max_iter=3), X)
    assert_params_match(model.params, gmm, f"{covariance_type}, N={len(X)}")
    assert model.score(X) == pytest.approx(gmm.score(X), rel=1e-9)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_block_size_does_not_change_the_result(covariance_type, monkeypatch):
    X = iris()
    monkeypatch.setattr(em, "FAST_MIN_SAMPLES", 1)  # the blocked kernels, on 150 samples
    whole = em.fit(X, 3, seed=2, covariance_type=covariance_type, tol=0.0, max_iter=8)
    monkeypatch.setattr(fast, "BLOCK_NUMBERS", 14)  # 7 samples of 2 features: 21 blocks and a part
    blocked = em.fit(X, 3, seed=2, covariance_type=covariance_type, tol=0.0, max_iter=8)
    np.testing.assert_allclose(blocked.history, whole.history, rtol=1e-12)
    for a, b in zip(blocked.steps, whole.steps, strict=True):
        np.testing.assert_allclose(a.resp, b.resp, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(a.params.covariances, b.params.covariances, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_bic_and_aic_equal_sklearn(covariance_type):
    X = iris()
    model = em.fit(X, 3, seed=0, covariance_type=covariance_type)
    # scikit-learn cannot fit zero iterations: fit one, then give it exactly our parameters
    gmm = sklearn_fit(sklearn_from(model.params, tol=0.0, max_iter=1), X)
    gmm.weights_ = model.params.weights
    gmm.means_ = model.params.means
    gmm.covariances_ = model.params.covariances
    gmm.precisions_cholesky_ = em.precision_cholesky(model.params.covariances, covariance_type)
    assert gmm.score(X) == pytest.approx(model.score(X), rel=1e-12)
    assert model.bic(X) == pytest.approx(gmm.bic(X), rel=1e-12)
    assert model.aic(X) == pytest.approx(gmm.aic(X), rel=1e-12)
    assert gmm._n_parameters() == model.params.n_parameters()


# --------------------------------------------------------------------------- the steps EM yields
@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_steps_are_consistent(covariance_type, init):
    X = iris()
    model = em.fit(X, 3, init=init, seed=3, covariance_type=covariance_type, max_iter=30)
    steps = model.steps
    assert steps[0].phase == "init" and steps[0].iteration == 0
    assert [s.phase for s in steps[1:]] == ["E", "M"] * model.n_iter
    assert [s.iteration for s in steps[1:]] == [i for i in range(1, model.n_iter + 1) for _ in "EM"]
    for before, step in itertools.pairwise(steps):
        if step.phase == "E":
            # an E-step recomputes responsibilities only: same parameters as the step before
            assert step.params is before.params
            assert step.log_likelihood == before.log_likelihood
        else:
            # the M-step re-estimates from the responsibilities the E-step just computed
            np.testing.assert_array_equal(step.resp, before.resp)
            assert np.shares_memory(step.resp, before.resp)  # the same array, not a copy
    for step in steps:
        # every step reports the log-likelihood of exactly its own parameters
        assert step.log_likelihood == pytest.approx(em.log_likelihood(X, step.params), rel=1e-12, abs=1e-9)
        assert step.resp.shape == (len(X), 3)
        np.testing.assert_allclose(step.resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert (step.resp >= 0).all()
    for step in steps:
        if step.phase == "E":
            # ...and those responsibilities are the E-step of those parameters
            np.testing.assert_allclose(step.resp, em.e_step(X, step.params)[0], rtol=1e-12, atol=1e-15)
    assert model.history[0] == steps[0].log_likelihood == em.log_likelihood(X, steps[0].params)
    assert len(model.history) == model.n_iter + 1
    assert model.history == [s.log_likelihood for s in steps if s.phase != "E"]
    assert model.params is steps[-1].params


def test_steps_hold_read_only_arrays():
    """A list of steps is a record for replay: changing one step's arrays must not be possible."""
    model = em.fit(iris(), 3, seed=0, max_iter=3)
    for step in model.steps:
        with pytest.raises(ValueError, match="read-only"):
            step.resp[0, 0] = 0.5
        with pytest.raises(ValueError, match="read-only"):
            step.params.means[0, 0] = 0.5
    resp, _ = em.e_step(iris(), model.params)
    resp[0] = [1.0, 0.0, 0.0]  # what e_step hands out is the caller's own


def test_convergence_flag_and_iteration_count():
    X = iris()
    model = em.fit(X, 3, seed=0, tol=1e-3, max_iter=500)
    assert model.converged and 1 <= model.n_iter < 500
    h = model.history
    assert abs(h[-1] - h[-2]) / len(X) < 1e-3
    assert all(abs(b - a) / len(X) >= 1e-3 for a, b in itertools.pairwise(h[:-1]))
    assert [s.converged for s in model.steps] == [False] * (len(model.steps) - 1) + [True]
    capped = em.fit(X, 3, seed=0, tol=1e-3, max_iter=2)
    assert capped.n_iter == 2 and not capped.converged
    never = em.fit(X, 3, seed=0, tol=0.0, max_iter=7)
    assert never.n_iter == 7 and not never.converged


def test_generator_can_stop_early():
    X = iris()
    gen = em.em_steps(X, 3, seed=0, max_iter=50)
    first_three = list(itertools.islice(gen, 3))
    assert [s.phase for s in first_three] == ["init", "E", "M"]


def test_seed_makes_runs_reproducible():
    X = iris()
    for init in ("kmeans++", "random"):
        a = em.fit(X, 3, init=init, seed=7)
        b = em.fit(X, 3, init=init, seed=7)
        c = em.fit(X, 3, init=init, seed=8)
        assert a.history == b.history
        np.testing.assert_array_equal(a.params.means, b.params.means)
        np.testing.assert_array_equal(a.params.covariances, b.params.covariances)
        assert not np.array_equal(a.steps[0].params.means, c.steps[0].params.means)
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    assert em.fit(X, 3, seed=rng_a).history == em.fit(X, 3, seed=rng_b).history


def test_init_params_are_used_as_given():
    X = iris()
    start = em.GMMParams([0.2, 0.3, 0.5], [[-1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], np.stack([np.eye(2)] * 3))
    model = em.fit(X, 3, init=start, max_iter=5)
    assert model.steps[0].params is start
    assert model.history[0] == em.log_likelihood(X, start)
    np.testing.assert_allclose(model.steps[1].resp, em.e_step(X, start)[0])
    np.testing.assert_allclose(model.steps[2].params.means, em.m_step(X, em.e_step(X, start)[0]).means)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_far_away_point_does_not_underflow(covariance_type):
    """A point 1e3 standard deviations away has density exp(-5e5): log-sum-exp keeps it finite."""
    X = iris()
    model = em.fit(X, 3, seed=0, covariance_type=covariance_type)
    far = np.array([[1e3, -1e3], [0.0, 1e3]])
    log_prob = em.estimate_log_prob(far, model.params)
    assert np.isfinite(log_prob).all() and (log_prob < -1e5).all()  # exp() of these is 0.0
    resp, total = em.e_step(far, model.params)
    assert np.isfinite(resp).all() and np.isfinite(total)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    proba = model.predict_proba(far)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(model.score(far))


def test_predict_is_argmax_of_predict_proba():
    X = data.load_old_faithful()
    model = em.fit(X, 2, seed=0)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    assert set(model.predict(X)) == {0, 1}


def test_lists_of_lists_are_accepted():
    rows = data.load_iris_sepal().tolist()
    from_list = em.fit(rows, np.int64(2), seed=np.int64(0), max_iter=np.int32(100))  # numpy integers too
    from_array = em.fit(np.array(rows), 2, seed=0)
    assert from_list.history == from_array.history
    assert from_list.predict(rows[:3]).shape == (3,)
    resp, _ = em.e_step(rows, from_list.params)
    assert em.m_step(rows, resp.tolist()).n_components == 2


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_iris_k3_never_fails(covariance_type, init):
    X = iris()
    for seed in range(20):
        model = em.fit(X, 3, init=init, seed=seed, covariance_type=covariance_type)
        p = model.params
        for arr in (p.weights, p.means, p.covariances, *model.history):
            assert np.isfinite(arr).all(), f"seed {seed}"
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(model.history)), f"seed {seed}"


# --------------------------------------------------------------------------- label switching
@pytest.mark.parametrize("K", range(1, 9))
def test_match_labels_undoes_any_permutation(K):
    rng = np.random.default_rng(K)
    reference = rng.integers(0, K, size=300)
    for _ in range(5):
        perm = rng.permutation(K)
        np.testing.assert_array_equal(em.match_labels(reference, perm[reference]), reference)


def test_match_labels_with_disagreements_and_other_names():
    reference = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    labels = np.array([2, 2, 2, 1, 0, 0, 0, 1, 1])  # one point disagrees
    expected = np.array([0, 0, 0, 2, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(em.match_labels(reference, labels), expected)
    # names not in the reference are renamed to reference names
    np.testing.assert_array_equal(em.match_labels([0, 0, 1, 1], [7, 7, 5, 5]), [0, 0, 1, 1])
    # labels that split a reference cluster keep a name of their own
    renamed = em.match_labels([0, 0, 0, 0], [3, 3, 4, 4])
    assert len(set(renamed[:2])) == 1 and len(set(renamed[2:])) == 1 and renamed[0] != renamed[2]
    assert 0 in renamed
    np.testing.assert_array_equal(em.match_labels(["a", "a", "b"], ["b", "b", "a"]), ["a", "a", "b"])


@pytest.mark.parametrize(
    ("reference", "labels"),
    [
        ([0, 1, 1], [0, 1]),  # different lengths
        ([[0, 1], [1, 0]], [[0, 1], [1, 0]]),  # 2-D
        (0, 0),  # 0-D
        (list(range(9)), list(range(9))),  # 9 labels: too many renamings to try
    ],
)
def test_match_labels_refuses_bad_shapes(reference, labels):
    with pytest.raises(ValueError, match="reference and labels|labels"):
        em.match_labels(reference, labels)


@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_two_cluster_split_found_from_every_seed(init):
    """Practice Q3: {1,2,3} | {10,11,12}, whichever cluster is called 0."""
    X = data.two_clusters_1d()
    for seed in range(50):
        labels = em.fit(X, 2, init=init, seed=seed).predict(X)
        assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3], seed
        np.testing.assert_array_equal(em.match_labels([0, 0, 0, 1, 1, 1], labels), [0, 0, 0, 1, 1, 1])


# --------------------------------------------------------------------------- bad input
GOOD = [[0.0, 1.0], [1.0, 0.5], [2.0, 2.0], [3.0, 1.0]]


def params_of_shape(K: int = 2, D: int = 2) -> em.GMMParams:
    means = np.arange(K * D, dtype=float).reshape(K, D)
    return em.GMMParams(np.full(K, 1 / K), means, np.stack([np.eye(D)] * K))


BAD_FIT_ARGS = [
    ({"X": [[0.0, np.nan], [1.0, 2.0]]}, ValueError, "X contains NaN"),
    ({"X": [[0.0, np.inf], [1.0, 2.0]]}, ValueError, "X contains NaN or infinity"),
    ({"X": np.empty((0, 2))}, ValueError, "X is empty"),
    ({"X": np.empty((3, 0))}, ValueError, "X is empty"),
    ({"X": [1.0, 2.0, 3.0, 4.0]}, ValueError, r"X must be 2-D.*reshape\(-1, 1\)"),
    ({"X": np.zeros((2, 2, 2))}, ValueError, "X must be 2-D"),
    ({"X": [["a", "b"], ["c", "d"]]}, TypeError, "X must contain real numbers"),
    ({"X": np.array([[object(), 1]], dtype=object)}, TypeError, "X must contain real numbers"),
    ({"X": "1 2; 3 4"}, TypeError, "X must be a 2-D array"),
    ({"X": [[1.0, 2.0], [3.0]]}, ValueError, "X must be a rectangular"),
    ({"X": [[1 + 2j, 0], [0, 1]]}, TypeError, "X must contain real numbers"),
    ({"n_components": 0}, ValueError, "n_components must be >= 1"),
    ({"n_components": -2}, ValueError, "n_components must be >= 1"),
    ({"n_components": 5}, ValueError, r"n_components=5 is larger than the number of samples \(4\)"),
    ({"n_components": 2.0}, TypeError, "n_components must be an integer"),
    ({"n_components": True}, TypeError, "n_components must be an integer"),
    ({"n_components": "2"}, TypeError, "n_components must be an integer"),
    ({"tol": -1e-3}, ValueError, "tol must be a finite number >= 0"),
    ({"tol": float("nan")}, ValueError, "tol must be a finite number >= 0"),
    ({"tol": "small"}, TypeError, "tol must be a real number"),
    ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
    ({"reg_covar": -1e-6}, ValueError, "reg_covar must be a finite number >= 0"),
    ({"covariance_type": "diagonal"}, ValueError, "covariance_type must be one of"),
    ({"covariance_type": None}, ValueError, "covariance_type must be one of"),
    ({"init": "kmeans"}, ValueError, "init must be one of"),
    ({"init": None}, ValueError, "init must be one of"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": 1.5}, TypeError, "seed must be an integer"),
    ({"init": params_of_shape(K=3)}, ValueError, "init has 3 components but n_components=2"),
    ({"init": params_of_shape(D=3)}, ValueError, "X has 2 features but the model has 3"),
    (
        {"init": em.GMMParams([0.5, 0.5], [[0, 0], [1, 1]], [1.0, 1.0], "spherical")},
        ValueError,
        "init has covariance_type='spherical' but covariance_type='full'",
    ),
]


@pytest.mark.parametrize(("changes", "error", "match"), BAD_FIT_ARGS)
@pytest.mark.parametrize("entry", ["fit", "em_steps"])
def test_bad_fit_arguments_are_refused_when_called(entry, changes, error, match):
    kwargs = {"X": GOOD, "n_components": 2} | changes
    X, K = kwargs.pop("X"), kwargs.pop("n_components")
    func = getattr(em, entry)
    with pytest.raises(error, match=match):
        func(X, K, **kwargs)  # em_steps raises here, before the first next()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weights": [0.5, 0.5, 0.5]}, ValueError, r"GMMParams.means must have shape \(K=3, D\)"),
        ({"weights": [0.7, 0.7]}, ValueError, "GMMParams.weights must be >= 0 and sum to 1"),
        ({"weights": [1.5, -0.5]}, ValueError, "GMMParams.weights must be >= 0"),
        ({"weights": [[0.5, 0.5]]}, ValueError, r"GMMParams.weights must have shape \(K,\)"),
        ({"means": [0.0, 1.0]}, ValueError, r"GMMParams.means must have shape \(K=2, D\)"),
        ({"means": [[0.0, np.nan], [1.0, 1.0]]}, ValueError, "GMMParams.means contains NaN"),
        ({"covariances": np.eye(2)}, ValueError, r"GMMParams.covariances must have shape \(2, 2, 2\)"),
        ({"covariances": np.stack([-np.eye(2)] * 2)}, ValueError, "covariances must be symmetric positive"),
        ({"covariance_type": "round"}, ValueError, "covariance_type must be one of"),
        ({"covariances": [[[1, 0.5], [0, 1]]] * 2}, ValueError, "GMMParams.covariances must be symmetric"),
        (
            {"covariances": [[1, 0.5], [0, 1]], "covariance_type": "tied"},
            ValueError,
            "GMMParams.covariances must be symmetric",
        ),
        (
            {"covariances": [1.0, -1.0], "covariance_type": "spherical"},
            ValueError,
            "covariances must be positive",
        ),
    ],
)
def test_bad_gmm_params_are_refused(kwargs, error, match):
    args = {"weights": [0.5, 0.5], "means": [[0.0, 0.0], [1.0, 1.0]], "covariances": [np.eye(2), np.eye(2)]}
    with pytest.raises(error, match=match):
        em.GMMParams(**(args | kwargs))


def test_gmm_params_are_read_only_copies():
    weights = np.array([0.5, 0.5])
    params = em.GMMParams(weights, [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    weights[0] = 0.9
    assert params.weights[0] == 0.5
    with pytest.raises(ValueError, match="read-only"):
        params.means[0, 0] = 3.0


def test_other_functions_refuse_bad_input():
    model = em.fit(GOOD, 2, seed=0)
    with pytest.raises(ValueError, match="X has 3 features but the model has 2"):
        model.predict([[1.0, 2.0, 3.0]])
    for method in (model.predict_proba, model.score, model.bic, model.aic):
        with pytest.raises(ValueError, match="X has 1 features but the model has 2"):
            method([[1.0], [2.0]])
        with pytest.raises(ValueError, match="X contains NaN"):
            method([[1.0, np.nan]])
    with pytest.raises(TypeError, match="params must be a GMMParams"):
        em.e_step(GOOD, {"weights": [1.0]})
    with pytest.raises(TypeError, match="params must be a GMMParams"):
        em.estimate_log_prob(GOOD, None)
    with pytest.raises(ValueError, match="X has 3 features"):
        em.log_likelihood(np.zeros((2, 3)), model.params)
    resp = em.e_step(GOOD, model.params)[0]
    with pytest.raises(ValueError, match="resp must have one row per sample"):
        em.m_step(GOOD, resp[:3])
    with pytest.raises(ValueError, match="resp must be non-negative with every row summing to 1"):
        em.m_step(GOOD, resp * 2)
    with pytest.raises(ValueError, match="resp contains NaN"):
        em.m_step(GOOD, np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        em.m_step(GOOD, resp, covariance_type="tide")
    with pytest.raises(ValueError, match="reg_covar must be a finite number >= 0"):
        em.m_step(GOOD, resp, reg_covar=-1.0)


# --------------------------------------------------------------------------- facts about Iris
def test_single_gaussian_on_iris_matches_sklearn():
    X = iris()
    ours = em.fit(X, 1)
    theirs = GaussianMixture(1).fit(X)
    assert ours.history[-1] == pytest.approx(theirs.score(X) * len(X), rel=1e-9)
    # one Gaussian is fitted in closed form: the mean and the (biased) covariance of the data
    np.testing.assert_allclose(ours.params.means[0], X.mean(axis=0), atol=1e-12)
    expected_cov = np.cov(X.T, bias=True) + 1e-6 * np.eye(2)  # reg_covar on the diagonal
    np.testing.assert_allclose(ours.params.covariances[0], expected_cov, rtol=1e-9)


@pytest.mark.content  # minutes of scikit-learn fits (120 s of the fast tier's 746 s under load): not fast
def test_iris_k3_ends_where_sklearn_ends_from_the_same_kind_of_start():
    """k-means++ seeding, then EM: our optima lie in the range scikit-learn's runs reach."""
    X = iris()
    seeds = range(8)
    fit_kw = {"tol": 1e-4, "max_iter": 1000}
    theirs = [
        GaussianMixture(3, init_params="k-means++", random_state=s, **fit_kw).fit(X).score(X) * len(X)
        for s in range(20)
    ]
    ours = [em.fit(X, 3, init="kmeans++", seed=s, **fit_kw).history[-1] for s in seeds]
    low, high = min(theirs), max(theirs)
    single = em.fit(X, 1).history[-1]
    assert high > low > single  # three components explain Iris better than one
    for s, value in zip(seeds, ours, strict=True):
        assert low - 0.5 <= value <= high + 0.5, f"seed {s}: {value:.2f} outside [{low:.2f}, {high:.2f}]"


def test_library_readme_example_runs():
    """The code in docs/README-library.md runs as printed and shows label switching undone."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "README-library.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {"print": lambda *args: None}
    exec(compile(code, "README-library.md", "exec"), namespace)
    split = [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(em.match_labels(split, namespace["labels"]), split)


# --------------------------------------------------------------------------- the two paths, and replay
@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_fast_kernels_equal_the_readable_maths(covariance_type, init, monkeypatch):
    """gmm_lesson.fast computes em.py's formulas: every step agrees to rounding."""
    X = data.blobs(3000, 4, 3, seed=5) * 10 + 50  # away from the origin, several blocks
    kwargs = {"init": init, "seed": 1, "covariance_type": covariance_type, "tol": 0.0, "max_iter": 6}
    monkeypatch.setattr(em, "FAST_MIN_SAMPLES", 10**9)
    readable = em.fit(X, 4, **kwargs)
    monkeypatch.setattr(em, "FAST_MIN_SAMPLES", 1)
    blocked = em.fit(X, 4, **kwargs)
    np.testing.assert_allclose(blocked.history, readable.history, rtol=1e-12)
    for a, b in zip(blocked.steps, readable.steps, strict=True):
        for name in ("weights", "means", "covariances"):
            np.testing.assert_allclose(getattr(a.params, name), getattr(b.params, name), rtol=1e-10)
        np.testing.assert_allclose(a.resp, b.resp, rtol=0, atol=1e-10)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans++", "random", "params"])
def test_fitted_steps_replay_exactly_what_em_steps_yielded(covariance_type, init, em_path):
    """fit keeps parameters, not responsibilities; what it recomputes is bit for bit what EM used."""
    X = iris()
    if init == "params":
        init = next(em.em_steps(X, 3, seed=4, covariance_type=covariance_type)).params
    kwargs = {"init": init, "seed": 4, "covariance_type": covariance_type, "max_iter": 6}
    live = [(s.phase, s.params.covariances, s.resp) for s in em.em_steps(X, 3, **kwargs)]
    model = em.fit(X, 3, **kwargs)
    assert len(model.steps) == len(live)
    for (phase, covariances, resp), step in zip(live, model.steps, strict=True):
        assert step.phase == phase
        np.testing.assert_array_equal(step.params.covariances, covariances)
        np.testing.assert_array_equal(step.resp, resp)


def test_fit_does_not_hold_every_steps_responsibilities(em_path):
    """A fitted model keeps its data once and the latest recomputed resp, not one (N, K) per step."""
    X = data.blobs(20_000, 3, 2, seed=0)
    one_resp = X.shape[0] * 3 * X.itemsize
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        model = em.fit(X, 3, seed=0, tol=0.0, max_iter=10)
        for step in model.steps:  # replay every step, as the explorer does
            assert step.resp.shape == (len(X), 3)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(model.steps) == 21
    assert held < 2 * one_resp, f"the fitted model holds {held / one_resp:.1f} (N, K) arrays' worth"


def test_the_one_switch_point_is_documented_with_its_value():
    """em.FAST_MIN_SAMPLES is where e_step and m_step switch to gmm_lesson.fast; every doc says the same."""
    root = Path(__file__).resolve().parents[1]
    library_doc = (root / "docs" / "README-library.md").read_text()
    assert f"`em.FAST_MIN_SAMPLES` = {em.FAST_MIN_SAMPLES} samples on" in library_doc
    assert f"``em.FAST_MIN_SAMPLES`` ({em.FAST_MIN_SAMPLES:,})" in fast.__doc__
    assert f"`em.FAST_MIN_SAMPLES` =\n{em.FAST_MIN_SAMPLES} samples on" in (root / "README.md").read_text()
