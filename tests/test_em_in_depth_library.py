"""The library behind em_in_depth: gmm_lesson.bound, density, kmeans, its drawings and judges."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from gmm_grader import judge, probe
from matplotlib.figure import Figure
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from gmm_lesson import bound, data, density, em, kmeans, plots


@pytest.fixture(scope="module")
def faithful():
    Z = data.standardize(data.load_old_faithful())[0]
    return Z, em.fit(Z, 2, seed=0)


def _ax():
    return Figure().add_subplot()


def _legend_is_outside(ax) -> bool:
    """The legend's box lies to the right of the axes, off the data."""
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    return legend.x0 >= ax.get_window_extent().x1


# --------------------------------------------------------------------------- bound
@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_bound_is_tight_at_the_e_step_for_every_covariance_type(faithful, covariance_type):
    Z, _ = faithful
    params = em.fit(Z, 3, seed=1, covariance_type=covariance_type, max_iter=4).params
    resp, total = em.e_step(Z, params)
    assert bound.lower_bound(Z, params, resp) == pytest.approx(total, rel=1e-12)


def test_bound_counts_zero_responsibilities_as_nothing(faithful):
    Z, fitted = faithful
    hard = np.eye(2)[fitted.predict(Z)]  # 0 and 1 only: 0 log 0 must be 0, not NaN
    value = bound.lower_bound(Z, fitted.params, hard)
    assert np.isfinite(value) and value < fitted.history[-1]


def test_bound_refuses_bad_input(faithful):
    Z, fitted = faithful
    resp = fitted.predict_proba(Z)
    with pytest.raises(TypeError, match="params"):
        bound.lower_bound(Z, "not params", resp)
    with pytest.raises(ValueError, match="resp must have one column per component"):
        bound.lower_bound(Z, fitted.params, np.ones((len(Z), 1)))
    with pytest.raises(ValueError, match="resp"):
        bound.lower_bound(Z, fitted.params, resp * 2)
    with pytest.raises(ValueError, match="features"):
        bound.lower_bound(Z[:, :1], fitted.params, resp)


def test_bound_trace_takes_a_fit_or_its_steps_and_refuses_anything_else(faithful):
    Z, fitted = faithful
    a = bound.bound_trace(Z, fitted)
    b = bound.bound_trace(Z, fitted.steps)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert len(a[0]) == len(fitted.steps)
    for bad in ([], [1, 2], None):
        with pytest.raises(TypeError, match="steps"):
            bound.bound_trace(Z, bad)


def test_bound_along_mean_refuses_bad_coordinates(faithful):
    Z, fitted = faithful
    resp = fitted.predict_proba(Z)
    with pytest.raises(ValueError, match="component"):
        bound.bound_along_mean(Z, fitted.params, resp, 2, 0, [0.0])
    with pytest.raises(ValueError, match="feature"):
        bound.bound_along_mean(Z, fitted.params, resp, 0, 2, [0.0])
    with pytest.raises(ValueError, match="values"):
        bound.bound_along_mean(Z, fitted.params, resp, 0, 0, [])
    with pytest.raises(TypeError, match="component"):
        bound.bound_along_mean(Z, fitted.params, resp, 0.5, 0, [0.0])


# --------------------------------------------------------------------------- density
@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_score_samples_equals_scikit_learns(faithful, covariance_type):
    Z, _ = faithful
    sk = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(Z)
    params = em.GMMParams(sk.weights_, sk.means_, sk.covariances_, covariance_type)
    assert np.abs(density.score_samples(Z, params) - sk.score_samples(Z)).max() < 1e-10


def test_a_density_can_exceed_one():
    narrow = em.GMMParams([1.0], [[0.0]], [[[0.01]]])
    assert density.score_samples([[0.0]], narrow)[0] > 0  # 1/sqrt(2 pi 0.01) = 3.99


def test_sample_is_reproducible_and_follows_the_story(faithful):
    _, fitted = faithful
    X1, z1 = density.sample(fitted.params, 50, seed=3)
    X2, z2 = density.sample(fitted.params, 50, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(z1, z2)
    assert X1.shape == (50, 2) and set(z1) <= {0, 1}
    one_d = em.GMMParams([0.5, 0.5], [[-10.0], [10.0]], [[[1.0]], [[1.0]]])
    X, z = density.sample(one_d, 200, seed=0)
    assert X.shape == (200, 1)
    assert np.all(np.sign(X[:, 0]) == np.where(z == 0, -1, 1))  # each point near its own component
    with pytest.raises(ValueError, match="n_samples"):
        density.sample(one_d, 0)
    with pytest.raises(TypeError, match="params"):
        density.sample("params", 3)


def test_held_out_split_partitions_the_rows(faithful):
    Z, _ = faithful
    train, test = density.held_out_split(Z, 72, seed=0)
    assert train.shape == (200, 2) and test.shape == (72, 2)
    both = np.vstack([train, test])
    assert sorted(map(tuple, both)) == sorted(map(tuple, Z))
    again = density.held_out_split(Z, 72, seed=0)
    assert np.array_equal(again[1], test)
    assert not np.array_equal(density.held_out_split(Z, 72, seed=1)[1], test)
    with pytest.raises(ValueError, match="n_test"):
        density.held_out_split(Z, 272)
    with pytest.raises(ValueError, match="n_test"):
        density.held_out_split(Z, 0)


def test_new_eruptions_are_typical_draws_then_the_planted_ones():
    Z, X_new, planted = density.faithful_with_new_eruptions(n_new=5, seed=4)
    assert Z.shape == (272, 2) and X_new.shape == (8, 2)
    assert np.array_equal(X_new[planted], np.array(density.PLANTED))
    assert not planted[:5].any()


# --------------------------------------------------------------------------- k-means
def test_shared_variance_em_with_a_tiny_variance_is_lloyds_kmeans_on_blobs():
    X = data.blobs(300, 4, seed=2)
    start = X[[0, 1, 2, 3]]
    lloyd = KMeans(4, init=start, n_init=1, algorithm="lloyd").fit(X)
    limit = kmeans.shared_variance_em(X, start, 1e-5, max_iter=500)
    assert np.array_equal(limit.labels, lloyd.labels_)
    assert np.abs(limit.means - lloyd.cluster_centers_).max() < 1e-9


def test_shared_variance_em_refuses_bad_input():
    X = data.blobs(50, 2, seed=0)
    with pytest.raises(ValueError, match="variance must be > 0"):
        kmeans.shared_variance_em(X, X[:2], 0.0)
    with pytest.raises(ValueError, match="variance"):
        kmeans.shared_variance_em(X, X[:2], -1.0)
    with pytest.raises(ValueError, match="means must have 2 columns"):
        kmeans.shared_variance_em(X, [[0.0], [1.0]], 1.0)
    with pytest.raises(TypeError, match="max_iter"):
        kmeans.shared_variance_em(X, X[:2], 1.0, max_iter=2.5)


def test_the_hard_cases_are_seeded():
    a, la = kmeans.elongated_pair(30, seed=5)
    b, lb = kmeans.elongated_pair(30, seed=5)
    assert np.array_equal(a, b) and a.shape == (60, 2) and la.tolist() == [0] * 30 + [1] * 30
    c, lc = kmeans.big_and_small(seed=1)
    assert c.shape == (440, 2) and np.bincount(lc).tolist() == [400, 40]
    with pytest.raises(ValueError, match="n_per_cluster"):
        kmeans.elongated_pair(0)


# --------------------------------------------------------------------------- drawings
def test_plot_lower_bound_labels_and_legend_off_the_data(faithful):
    Z, fitted = faithful
    resp = fitted.predict_proba(Z)
    values = np.linspace(-2, 1, 31)
    log_l, b = bound.bound_along_mean(Z, fitted.params, resp, 0, 0, values)
    ax = _ax()
    plots.plot_lower_bound(ax, values, log_l, b, old=fitted.params.means[0, 0], new=0.0, xlabel="mean")
    assert ax.get_xlabel() == "mean" and ax.get_ylabel() == "total log-likelihood"
    assert len(ax.get_legend().get_texts()) == 4 and _legend_is_outside(ax)
    with pytest.raises(ValueError, match="one length"):
        plots.plot_lower_bound(_ax(), values, log_l[:-1], b, old=0.0, new=0.0, xlabel="mean")


def test_plot_bound_trace_draws_both_series(faithful):
    Z, fitted = faithful
    log_l, b = bound.bound_trace(Z, fitted)
    ax = _ax()
    plots.plot_bound_trace(ax, fitted, log_l, b)
    lines = ax.get_lines()
    assert np.array_equal(lines[0].get_ydata(), log_l) and np.array_equal(lines[1].get_ydata(), b)
    assert ax.get_xlabel().startswith("EM iteration") and _legend_is_outside(ax)
    with pytest.raises(ValueError, match="one value per step"):
        plots.plot_bound_trace(_ax(), fitted, log_l[:2], b[:2])


def test_plot_labels_and_anomalies(faithful):
    Z, fitted = faithful
    ax = _ax()
    plots.plot_labels(ax, Z, fitted.predict(Z), centres=fitted.params.means, labels_xy=("a", "b"))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    with pytest.raises(ValueError, match="labels"):
        plots.plot_labels(_ax(), Z, np.zeros(3, dtype=int))
    ax = _ax()
    plots.plot_anomalies(ax, Z, fitted.params, -5.0, Z[:4] + 4.0, [0, 1], labels=("a", "b"))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert [t.get_text() for t in ax.get_legend().get_texts()][1:] == [
        "training data",
        "new, typical",
        "new, flagged",
    ]
    assert _legend_is_outside(ax)


def test_plot_covariance_types_needs_one_axes_per_fit(faithful):
    Z, fitted = faithful
    with pytest.raises(ValueError, match="one Axes per fit"):
        plots.plot_covariance_types([_ax()], Z, {"full": fitted, "diag": fitted})


# --------------------------------------------------------------------------- judges
def _n_parameters(covariance_type, n_components, n_features):
    K, D = n_components, n_features
    covariance = {"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": D * (D + 1) // 2}
    return covariance[covariance_type] + K * D + K - 1


def test_n_parameters_judge_accepts_the_count_on_every_draw():
    j = judge.JUDGES["n_parameters"]
    for seed in range(200):
        request = j.request(np.random.default_rng(seed))
        assert j.verdict(request, probe.run(judge.for_kernel(request), _n_parameters)) is None, seed


def test_n_parameters_judge_refuses_wrong_counts_and_non_integers():
    with pytest.raises(AssertionError, match="should return an integer"):
        judge.check("n_parameters", lambda c, K, D: _n_parameters(c, K, D) + 0.5)
    with pytest.raises(AssertionError, match="tied"):  # one covariance per component is not tied
        judge.check(
            "n_parameters",
            lambda c, K, D: _n_parameters("full", K, D) if c == "tied" else _n_parameters(c, K, D),
        )


def test_anomaly_judge_wants_the_threshold_and_the_flagged_indices():
    Z, X_new, _ = density.faithful_with_new_eruptions()
    params = em.fit(Z, 2, seed=0).params
    threshold = np.quantile(density.score_samples(Z, params), 0.01)
    flagged = np.flatnonzero(density.score_samples(X_new, params) < threshold)
    judge.check("anomaly_threshold", float(threshold), flagged.tolist(), fraction=0.01)
    with pytest.raises(AssertionError, match="threshold is not right"):
        judge.check("anomaly_threshold", threshold + 0.1, flagged, fraction=0.01)
    with pytest.raises(AssertionError, match="threshold is not right"):  # another fraction
        judge.check("anomaly_threshold", threshold, flagged, fraction=0.05)
    with pytest.raises(AssertionError, match="flagged is not"):
        judge.check("anomaly_threshold", threshold, flagged[:-1], fraction=0.01)
    with pytest.raises(AssertionError, match="indices"):
        judge.check("anomaly_threshold", threshold, "12, 13, 14", fraction=0.01)


def test_best_k_heldout_judge_refuses_other_k_and_non_integers():
    options = {"n_test": 72, "split_seed": 0, "seeds": 5}
    judge.check("best_k_heldout", 2, **options)
    # a K no known mistake gives, then the ones that two mistakes give (named, not the key)
    for wrong, message in ((3, "highest held-out"), (1, "0-based index"), (6, "its own training points")):
        with pytest.raises(AssertionError, match=message):
            judge.check("best_k_heldout", wrong, **options)
    with pytest.raises(AssertionError, match="integer"):
        judge.check("best_k_heldout", 2.5, **options)


def test_the_gap_under_the_bound_is_the_kl_divergence_to_the_posterior():
    """em_in_depth names B the ELBO and log L - B the summed KL(q_n || r_n): checked on random q."""
    rng = np.random.default_rng(3)
    X = data.standardize(data.load_old_faithful())[0]
    params = em.fit(X, 2, seed=0, max_iter=3).params
    posterior, log_l = em.e_step(X, params)
    for _ in range(5):
        q = rng.dirichlet(np.ones(2), size=len(X))
        kl = float(np.sum(q * (np.log(q) - np.log(posterior))))
        gap = log_l - bound.lower_bound(X, params, q)
        assert kl > 0 and abs(gap - kl) <= 1e-9 * abs(log_l)
    assert abs(log_l - bound.lower_bound(X, params, posterior)) <= 1e-9 * abs(log_l)
