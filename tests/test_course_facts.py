"""Every claim the course makes about what code prints or does, checked by running it.

Grouped by assignment: practice (Q2-Q5, with the corrected Q3 and Q4), gmm_basics
(the model quiz and the prose), choosing_k (BIC/AIC, starts, collapse and reg_covar).
Where a claim is about a notebook's own data, the notebook's cells are executed here
(looked up by cell id), so the test and the lesson cannot drift apart.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import itertools
import math
import re
import warnings
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture

from gmm_lesson import data, em, quiz, trace

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "course" / "source"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _cell(name: str, cell_id: str) -> str:
    nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.id == cell_id]
    return cell.source


def _run_cells(name: str, *cell_ids: str) -> tuple[dict, str]:
    """Execute the named cells of a source notebook; return (namespace, stdout)."""
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # plt.show() on the Agg backend
        for cell_id in cell_ids:
            exec(_cell(name, cell_id), namespace)
    return namespace, out.getvalue()


def _hidden_test_passes(name: str, cell_id: str, **answers) -> bool:
    """Run the full (visible + hidden) graded cell with ``answers`` defined."""
    namespace = {"np": np, **answers}
    try:
        exec(_cell(name, cell_id), namespace)
    except AssertionError:
        return False
    return True


TWO_CLUSTERS = [[1], [2], [3], [10], [11], [12]]


# =========================================================================== practice
def test_q2_scikit_learn_has_a_gaussian_mixture_class():
    model = GaussianMixture(n_components=2, random_state=0).fit(TWO_CLUSTERS)
    assert hasattr(model, "predict") and hasattr(model, "predict_proba")


def test_q3_scikit_learn_1_9_1_prints_1_1_1_0_0_0_not_the_lessons_answer():
    if sklearn.__version__ != "1.9.1":
        pytest.skip(f"the course's claim is about scikit-learn 1.9.1, this is {sklearn.__version__}")
    # exactly the snippet of the question
    namespace, out = {}, io.StringIO()
    snippet = re.search(r"```python\n(.*?)```", quiz.ask("practice_q3").text, re.S).group(1)
    with contextlib.redirect_stdout(out):
        exec(snippet, namespace)
    assert out.getvalue().strip() == "[1, 1, 1, 0, 0, 0]"  # not the original lesson's answer B


def test_q3_split_is_the_same_for_every_random_state_and_both_labellings_occur():
    label_lists = set()
    for seed in range(20):
        labels = GaussianMixture(n_components=2, random_state=seed).fit(TWO_CLUSTERS).predict(TWO_CLUSTERS)
        assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4] == labels[5]
        label_lists.add(tuple(labels.tolist()))
    assert label_lists == {(0, 0, 0, 1, 1, 1), (1, 1, 1, 0, 0, 0)}  # label switching


def test_q3_match_labels_renames_one_labelling_onto_the_other():
    assert em.match_labels([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0]).tolist() == [0, 0, 0, 1, 1, 1]


def test_q3_notebook_cells_report_one_split_and_the_real_output():
    namespace, out = _run_cells("practice", "imports", "q3_code_answer", "q3_real_output", "q3_seeds")
    assert "different splits after renaming: 1" in out
    assert f"prints {namespace['real']}" in out
    assert namespace["labels_q3"] == namespace["real"]


@pytest.mark.parametrize(
    ("labels", "accepted"),
    [
        ([0, 0, 0, 1, 1, 1], True),
        ([1, 1, 1, 0, 0, 0], True),
        (np.array([1, 1, 1, 0, 0, 0]), True),
        ([1, 0, 1, 0, 1, 0], False),
        ([0, 1, 0, 1, 0, 1], False),
        ([0, 0, 1, 1, 1, 1], False),
        ([0, 0, 0, 0, 0, 0], False),
        ([0, 0, 0, 1, 1], False),
    ],
)
def test_q3_autograder_accepts_either_labelling_of_the_right_split(labels, accepted):
    assert _hidden_test_passes("practice", "practice_q3_code", labels_q3=labels) is accepted


def _snippet_q4() -> str:
    return re.search(r"```python\n(.*?)```", quiz.ask("practice_q4").text, re.S).group(1)


def _run_snippet_q4(global_seed: int) -> str:
    np.random.seed(global_seed)  # noqa: NPY002 -- random_state=None draws from this legacy generator
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")  # no warnings either
        exec(_snippet_q4(), {})
    return out.getvalue().strip()


def test_q4_snippet_runs_and_prints_three_labels_each_0_or_1():
    # option C, first half; and options A, B, D (each claims an error) are false
    assert "X = [[1, 2], [3, 4], [5, 6]]" in _snippet_q4() and "random_state" not in _snippet_q4()
    for seed in range(10):
        printed = _run_snippet_q4(seed)
        labels = [int(v) for v in re.fullmatch(r"\[(\d) (\d) (\d)\]", printed).groups()]
        assert set(labels) <= {0, 1}


def test_q4_without_random_state_labels_can_differ_between_runs():
    # option C, second half: the start comes from NumPy's global generator
    outputs = {_run_snippet_q4(seed) for seed in range(10)}
    assert len(outputs) >= 2
    assert _run_snippet_q4(3) == _run_snippet_q4(3)  # seeding that generator repeats a run


def test_q4_lists_are_accepted_by_fit_and_predict():
    X = [[1, 2], [3, 4], [5, 6]]
    from_list = GaussianMixture(n_components=2, random_state=0).fit(X).predict(X)
    from_array = GaussianMixture(n_components=2, random_state=0).fit(np.array(X)).predict(np.array(X))
    assert from_list.tolist() == from_array.tolist()


def test_q4_any_k_up_to_the_number_of_samples_is_allowed():
    X = [[1, 2], [3, 4], [5, 6]]
    for k in (1, 2, 3):
        assert len(GaussianMixture(n_components=k, random_state=0).fit(X).predict(X)) == 3
    with pytest.raises(ValueError):
        GaussianMixture(n_components=4, random_state=0).fit(X)


def test_q4_random_state_is_optional_and_predict_before_fit_raises():
    assert inspect.signature(GaussianMixture).parameters["random_state"].default is None
    with pytest.raises(NotFittedError):
        GaussianMixture(n_components=2).predict([[1, 2], [3, 4], [5, 6]])


def test_q4_notebook_runs_the_snippet_five_times_with_differing_labels():
    _, out = _run_cells("practice", "imports", "q4_run")
    runs = re.findall(r"run \d: (\[[01] [01] [01]\])", out)
    assert len(runs) == 5 and len(set(runs)) >= 2


def test_q5_groups_of_different_sizes_and_shapes_overlap_and_are_modelled():
    namespace, out = _run_cells("practice", "imports", "q5_picture", "q5_numbers")
    model = namespace["model_q5"]
    weights = model.params.weights
    assert weights.max() - weights.min() > 0.05  # not equal sizes
    eigenvalues = np.linalg.eigvalsh(model.params.covariances)
    assert (eigenvalues[:, -1] / eigenvalues[:, 0]).max() > 1.5  # not circles
    assert namespace["shared"] > 0  # overlap: some points are shared
    assert f"{namespace['shared']} of 300" in out


def test_q5_only_spherical_components_are_circles():
    X = data.blobs(n_samples=300, n_components=3, seed=1, spread=3.0)
    spherical = em.fit(X, 3, seed=0, covariance_type="spherical").params.full_covariances()
    for cov in spherical:
        assert np.allclose(cov, cov[0, 0] * np.eye(2))
    full = em.fit(X, 3, seed=0).params.full_covariances()
    assert any(abs(cov[0, 1]) > 0.05 for cov in full)


def test_q1_one_component_is_a_single_gaussian():
    X = data.load_old_faithful()
    params = em.fit(X, 1).params
    assert np.allclose(params.means[0], X.mean(axis=0))
    assert np.allclose(params.covariances[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(2))


# =========================================================================== gmm_basics
def test_basics_data_sizes_in_the_prose():
    assert data.load_old_faithful().shape == (272, 2)
    assert data.load_iris_sepal().shape == (150, 2)
    iris = data.load_iris_sepal().tolist()
    assert all(row in iris for row in ([5.1, 3.5], [4.9, 3.0], [6.7, 3.1]))  # the lesson's rows are Iris rows


def test_basics_eruption_durations_have_two_separate_bumps():
    namespace, out = _run_cells("gmm_basics", "imports", "one_d_fit", "one_d_numbers")
    params = namespace["model_1d"].params
    sds = np.sqrt(params.covariances[:, 0, 0])
    assert abs(params.means[1, 0] - params.means[0, 0]) > 2 * sds.sum()
    assert out.count("component") == 2


def test_basics_lessons_quoted_numbers_do_not_come_from_the_data_it_shows():
    """The quotations in trace.LESSON_SAYS are what the prose calls typed in: the data disagree."""
    says = trace.LESSON_SAYS
    Z, _, _ = data.standardize(data.load_iris_sepal())
    assert says["n_rows"] != len(Z)  # its sample rows are Iris rows, and Iris has 150
    single = em.fit(Z, 1).history[-1]  # one Gaussian, fitted in closed form
    assert says["log_likelihood_per_iteration"][0] < single  # its start is worse than one Gaussian
    finals = [em.fit(Z, 3, seed=seed).history[-1] for seed in range(10)]
    assert says["final_log_likelihood"] < min(finals) - 20  # every converged K=3 run ends far higher


def test_basics_lessons_standardised_rows_do_not_match_its_raw_rows():
    _, mean, scale = data.standardize(data.load_iris_sepal())
    raw = np.array(trace.LESSON_SAYS["sample_rows"])
    assert not np.allclose((raw - mean) / scale, trace.LESSON_SAYS["standardized_rows"], atol=0.05)


def test_basics_q2_predict_proba_rows_sum_to_1_and_predict_is_their_argmax():
    Z, _, _ = data.standardize(data.load_iris_sepal())
    model = em.fit(Z, 3, seed=0)
    proba = model.predict_proba(Z)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(Z) == proba.argmax(axis=1)).all()
    sk = GaussianMixture(3, random_state=0).fit(Z)
    assert sk.predict_proba(Z).shape == (150, 3) and np.allclose(sk.predict_proba(Z).sum(axis=1), 1.0)
    assert (sk.predict(Z) == sk.predict_proba(Z).argmax(axis=1)).all()


def test_basics_most_uncertain_flower_has_split_probabilities():
    namespace, _ = _run_cells("gmm_basics", "imports", "two_d_fit", "pipeline", "prediction_soft")
    pipeline = namespace["pipeline"]
    row = namespace["most_uncertain"]
    probabilities = trace.prediction_trace(pipeline.fitted, pipeline.Z[row]).probabilities
    assert probabilities.max() < 0.9 and np.isclose(probabilities.sum(), 1.0)


@pytest.mark.parametrize("load", [data.load_iris_sepal, data.load_old_faithful])
def test_basics_q3_log_likelihood_never_decreases(load):
    Z, _, _ = data.standardize(load())
    for seed in range(10):
        history = np.array(em.fit(Z, 3, seed=seed).history)
        assert (np.diff(history) >= -1e-9 * np.abs(history[1:])).all()


def _largest_dip(history) -> float:
    return max(0.0, *(a - b for a, b in itertools.pairwise(history)))


def test_reg_covar_dip_only_matters_for_a_component_squeezed_onto_almost_a_point():
    """gmm_basics, em_step_by_step, choosing_k: "never goes down (the tiny reg_covar aside,
    which only matters for a component squeezed onto almost a single point)"."""
    tiny = np.array([[0.00012573], [-0.0001321], [0.00064042]])  # variance 1e-7, below reg_covar
    for scale, visible in ((1, True), (10, True), (1e4, False)):  # variance 1e-7, 1e-5, 10
        X = tiny * scale
        regularised = em.fit(X, 2, seed=0, tol=0.0, max_iter=10).history  # default reg_covar=1e-6
        exact = em.fit(X, 2, seed=0, tol=0.0, max_iter=10, reg_covar=0.0).history
        assert _largest_dip(exact) <= 1e-9 * max(1.0, abs(exact[-1]))  # exact EM: no dip
        assert (_largest_dip(regularised) > 1e-6) is visible, scale
    # the course's own data, default reg_covar, ten starts each: no dip beyond rounding,
    # including the choosing_k runs that squeeze a component onto three identical points
    rng = np.random.default_rng(0)
    X_dup = np.vstack([rng.normal(0.0, 1.0, size=(40, 2)), [[5.0, 5.0]] * 3])
    for X, K in ((data.standardize(data.load_iris_sepal())[0], 3), (X_dup, 2)):
        for seed in range(10):
            history = em.fit(X, K, seed=seed).history
            assert _largest_dip(history) <= 1e-9 * max(1.0, abs(history[-1]))


def test_basics_q3_log_likelihood_ends_below_zero_and_stops_at_tol():
    Z, _, _ = data.standardize(data.load_iris_sepal())
    model = em.fit(Z, 3, seed=0)
    history = np.array(model.history)
    assert history[-1] < 0
    changes = np.diff(history) / len(Z)
    assert model.converged and changes[-1] < 1e-3 and (changes[:-1] >= 1e-3).all()
    assert inspect.signature(em.fit).parameters["tol"].default == 1e-3 == GaussianMixture().tol


def test_basics_prediction_trace_has_the_lessons_four_layers():
    Z, _, _ = data.standardize(data.load_iris_sepal())
    text = str(trace.prediction_trace(em.fit(Z, 3, seed=0), Z[0]))
    assert all(f"Layer {i}" in text for i in (1, 2, 3, 4)) and "Layer 5" not in text


# =========================================================================== choosing_k
def _params_from_sklearn(model: GaussianMixture) -> em.GMMParams:
    return em.GMMParams(model.weights_, model.means_, model.covariances_, model.covariance_type)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_bic_and_aic_equal_scikit_learns_for_the_same_parameters(covariance_type):
    Z, _, _ = data.standardize(data.load_old_faithful())
    start = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = GaussianMixture(
            3,
            covariance_type=covariance_type,
            max_iter=1,
            weights_init=start.weights_,
            means_init=start.means_,
            precisions_init=start.precisions_,
        ).fit(Z)
    ours = em.fit(Z, 3, init=_params_from_sklearn(start), covariance_type=covariance_type, max_iter=1)
    assert np.allclose(ours.params.means, sk.means_, atol=1e-6)
    assert math.isclose(ours.bic(Z), sk.bic(Z), rel_tol=1e-7)
    assert math.isclose(ours.aic(Z), sk.aic(Z), rel_tol=1e-7)


def test_bic_lower_is_better_picks_the_true_k_on_clear_clusters():
    X = data.blobs(n_samples=400, n_components=2, seed=3, spread=6.0)
    bic = {k: em.fit(X, k, seed=0).bic(X) for k in range(1, 5)}
    sk = {k: GaussianMixture(k, random_state=0).fit(X).bic(X) for k in range(1, 5)}
    assert min(bic, key=bic.get) == 2 == min(sk, key=sk.get)
    assert max(bic, key=bic.get) != 2


def test_best_k_autograder_accepts_only_the_lowest_bic_k():
    Z, _, _ = data.standardize(data.load_old_faithful())
    bic = {k: em.fit(Z, k, seed=0).bic(Z) for k in range(1, 7)}
    best = min(bic, key=bic.get)
    assert _hidden_test_passes("choosing_k", "choosing_best_k", best_k=best)
    assert _hidden_test_passes("choosing_k", "choosing_best_k", best_k=np.int64(best))
    for wrong in set(range(1, 7)) - {best}:
        assert not _hidden_test_passes("choosing_k", "choosing_best_k", best_k=wrong)


def test_bic_picks_no_more_components_than_aic():
    namespace, out = _run_cells("choosing_k", "imports", "faithful_data", "bic_curve")
    bic, aic = namespace["bic"], namespace["aic"]
    assert min(bic, key=bic.get) <= min(aic, key=aic.get)
    assert f"BIC picks K = {min(bic, key=bic.get)}" in out
    assert math.log(len(namespace["Z_faithful"])) > 2  # BIC's log N per parameter is more than AIC's 2


def test_cov_grid_entries_move_with_the_start():
    Z, _, _ = data.standardize(data.load_old_faithful())
    moved = [
        (cov, k)
        for cov, k in itertools.product(em.COVARIANCE_TYPES, range(2, 7))
        if not math.isclose(
            em.fit(Z, k, seed=0, covariance_type=cov).bic(Z), em.fit(Z, k, seed=1, covariance_type=cov).bic(Z)
        )
    ]
    assert moved


def test_different_seeds_reach_different_final_log_likelihoods():
    namespace, out = _run_cells("choosing_k", "imports", "starts")
    finals = [run.history[-1] for run in namespace["runs"].values()]
    assert len({round(f, 2) for f in finals}) >= 3 and max(finals) - min(finals) > 1
    assert out.count("final log-likelihood") == 10


def test_n_init_keeps_the_best_start():
    Z, _, _ = data.standardize(data.load_iris_sepal())
    for seed in range(2):
        one = GaussianMixture(3, random_state=seed, n_init=1).fit(Z)
        five = GaussianMixture(3, random_state=seed, n_init=5).fit(Z)
        assert five.lower_bound_ >= one.lower_bound_ - 1e-12


def test_components_of_different_runs_come_in_different_orders():
    Z, _, _ = data.standardize(data.load_iris_sepal())
    reference = em.fit(Z, 3, seed=0).predict(Z)
    reordered = False
    for seed in range(1, 10):
        labels = em.fit(Z, 3, seed=seed).predict(Z)
        renamed = em.match_labels(reference, labels)
        reordered |= not np.array_equal(renamed, labels)
    assert reordered


@pytest.fixture(scope="module")
def collapse():
    return _run_cells(
        "choosing_k", "imports", "collapse_data", "collapse_picture", "collapse_no_reg", "collapse_reg_values"
    )


def test_collapse_some_starts_put_a_component_on_the_duplicates(collapse):
    namespace, _ = collapse
    X = namespace["X_dup"]
    collapsed = [s for s, v in namespace["smallest_variance"].items() if v < 1e-5]
    assert collapsed and len(collapsed) < 10
    assert namespace["collapsed_seed"] in collapsed
    assert namespace["smallest_variance"][namespace["roundest_seed"]] > 0.1
    for seed in collapsed:
        params = namespace["dup_runs"][seed].params
        k = int(np.argmin(np.linalg.eigvalsh(params.covariances).min(axis=1)))
        assert np.allclose(params.covariances[k], 1e-6 * np.eye(2), rtol=0, atol=1e-12)  # the floor
        assert np.allclose(params.means[k], [5.0, 5.0])
        assert math.isclose(params.weights[k], 3 / len(X), rel_tol=1e-6)


def test_collapse_the_collapsed_runs_score_highest(collapse):
    namespace, _ = collapse
    finals = {s: run.history[-1] for s, run in namespace["dup_runs"].items()}
    collapsed = {s for s, v in namespace["smallest_variance"].items() if v < 1e-5}
    assert min(finals[s] for s in collapsed) > max(finals[s] for s in finals if s not in collapsed)


def test_collapse_thinner_thinnest_component_means_higher_log_likelihood(collapse):
    namespace, _ = collapse
    smallest = namespace["smallest_variance"]
    finals = {s: run.history[-1] for s, run in namespace["dup_runs"].items()}
    by_thinness = sorted(finals, key=smallest.get)
    ordered = [finals[s] for s in by_thinness]
    assert all(a >= b - 1e-6 for a, b in itertools.pairwise(ordered))
    # and some runs end in between: squeezed flat in one direction, not a needle
    assert any(1e-5 < v < 1e-2 for v in smallest.values())


def test_collapse_without_reg_covar_em_and_scikit_learn_raise_value_error(collapse):
    namespace, out = collapse
    assert "reg_covar=0 -> ValueError" in out
    with pytest.raises(ValueError, match="reg_covar"):
        em.fit(namespace["X_dup"], 2, seed=namespace["collapsed_seed"], reg_covar=0.0)
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(2, reg_covar=0.0, means_init=[[0.0, 0.0], [5.0, 5.0]]).fit(namespace["X_dup"])
    assert inspect.signature(em.fit).parameters["reg_covar"].default == 1e-6 == GaussianMixture().reg_covar


def test_collapse_larger_reg_covar_is_a_higher_floor_and_a_lower_log_likelihood(collapse):
    namespace, out = collapse
    X, seed = namespace["X_dup"], namespace["collapsed_seed"]
    finals = []
    for reg_covar in (1e-6, 1e-3, 1e-1):
        run = em.fit(X, 2, seed=seed, reg_covar=reg_covar)
        smallest = np.linalg.eigvalsh(run.params.covariances).min()
        assert math.isclose(smallest, reg_covar, rel_tol=1e-6)
        finals.append(run.history[-1])
    assert finals[0] > finals[1] > finals[2]
    assert out.count("smallest variance") == 10 + 3


def test_reg_covar_is_added_to_the_diagonal_in_the_m_step():
    X = data.load_old_faithful()
    resp = em.fit(X, 2, seed=0).steps[-1].resp
    plain = em.m_step(X, resp, reg_covar=0.0).covariances
    floored = em.m_step(X, resp, reg_covar=0.5).covariances
    assert np.allclose(floored - plain, 0.5 * np.eye(2))
