"""Every number and claim of em_step_by_step about code, checked by running that code.

The poor start of the notebook (cell ``start``) is read from the source notebook and run
here, so the lesson and this test cannot drift apart. Numbers are on the standardised
Old Faithful data, K=2, full covariances, scikit-learn 1.9.1.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import matplotlib
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
    # one iteration behind em.fit: its lower_bound_ is the log L before its last M-step,
    # which is em.fit's final value; its model (after that M-step) ends a little higher
    fitted = em.fit(X, 2, init=start)
    assert gm.n_iter_ == fitted.n_iter + 1
    assert abs(gm.lower_bound_ * len(X) - fitted.history[-1]) < 1e-8
    final = gm.score(X) * len(X)
    assert (round(final, 2), round(fitted.history[-1], 2)) == (-544.35, -544.48)
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    text = " ".join(next(c.source for c in nb.cells if c.id == "compare-md").split())
    assert "one iteration behind" in text and "$-544.35$ against $-544.48$" in text


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
    for seed in range(10):  # every start finds this optimum, so the text's numbers hold for each
        fitted = em.fit(X, 2, seed=seed)
        at_means = np.exp(np.diag(em.estimate_log_prob(fitted.params.means, fitted.params)))
        assert np.all(at_means > 1)
        assert np.round(np.sort(at_means), 1).tolist() == [1.1, 1.7], seed  # to 2 decimals it depends on tol
    resp = fitted.predict_proba(X)
    assert np.all(resp <= 1) and np.allclose(resp.sum(axis=1), 1)  # responsibilities are probabilities


def test_the_poor_start_sits_across_the_datas_long_axis(lesson):
    X, start, run, _ = lesson
    assert round(float(np.corrcoef(X.T)[0, 1]), 2) == 0.90  # lower left to upper right
    long_axis = np.linalg.eigh(np.cov(X.T))[1][:, -1]
    assert np.allclose(np.abs(long_axis), np.sqrt(0.5))
    assert np.allclose(start.means @ long_axis, 0)  # both means on the other diagonal
    # each mean takes about half of both clusters (the clusters of the optimum: 97 and 175 points)
    first_resp = em.e_step(X, start)[0]
    clusters = em.fit(X, 2, seed=0).predict(X)
    shares = [float((first_resp[clusters == k, 0] > 0.5).mean()) for k in (0, 1)]
    assert np.bincount(clusters).tolist() == [97, 175] and all(0.45 < share < 0.55 for share in shares)
    after_one = run.steps[2].params  # the first M-step: two near copies of one Gaussian
    data_cov = np.cov(X.T, bias=True)
    assert np.all(np.linalg.norm(after_one.means, axis=1) < 0.1)
    assert np.allclose(after_one.covariances, data_cov, atol=0.02)


def test_two_copies_of_the_single_gaussian_are_a_saddle(lesson):
    """A stationary point (EM leaves it in place) that is neither a maximum nor a minimum."""
    X, _, _, _ = lesson
    mean, cov = X.mean(axis=0), np.cov(X.T, bias=True)
    copies = em.GMMParams([0.5, 0.5], [mean, mean], [cov, cov])
    again = em.m_step(X, em.e_step(X, copies)[0], reg_covar=0.0)
    for name in ("weights", "means", "covariances"):
        assert np.allclose(getattr(again, name), getattr(copies, name), atol=1e-12)
    at_saddle = em.log_likelihood(X, copies)
    long_axis = np.linalg.eigh(cov)[1][:, -1]
    d = 0.2  # means apart along the long axis, each component narrowed to match: up
    narrowed = cov - d**2 * np.outer(long_axis, long_axis)
    apart = em.GMMParams([0.5, 0.5], [mean + d * long_axis, mean - d * long_axis], [narrowed, narrowed])
    assert em.log_likelihood(X, apart) > at_saddle + 0.01
    wider = em.GMMParams([0.5, 0.5], [mean, mean], [cov * 1.1, cov])  # one component wider: down
    assert em.log_likelihood(X, wider) < at_saddle


def test_the_means_drift_across_the_long_axis_then_turn_towards_it(lesson):
    X, _, run, _ = lesson
    long_axis = np.linalg.eigh(np.cov(X.T))[1][:, -1]
    short_axis = np.array([-long_axis[1], long_axis[0]])

    def apart(t):
        means = run.steps[2 * t].params.means
        return means[0] - means[1]

    assert abs(apart(30) @ short_axis) > 2 * abs(apart(30) @ long_axis)
    assert abs(apart(110) @ long_axis) > 2 * abs(apart(110) @ short_axis)


def test_log_l_never_goes_down_on_this_data(lesson):
    _, _, _, history = lesson
    assert np.all(np.diff(history) >= -1e-9)


def test_exp_underflows_to_0_far_from_every_component():
    """Question 2's worked solution: exp(-800) is 0 in float64, so naive responsibilities are 0/0."""
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        assert np.exp(-800.0) == 0.0 and np.exp(-745.2) == 0.0 and np.exp(-744.0) > 0
        a = np.array([-800.0, -820.0])
        assert np.isnan(np.exp(a) / np.exp(a).sum()).all()
        shifted = np.exp(a - a.max())
        assert np.allclose(shifted / shifted.sum(), [1 / (1 + np.exp(-20)), np.exp(-20) / (1 + np.exp(-20))])


def _run_notebook_cells(*cell_ids: str) -> str:
    """Run the named cells of the source notebook (answer cells as the course's solutions); stdout."""
    matplotlib.use("Agg")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # plt.show() on Agg
        _notebook_cells(*cell_ids)
    return out.getvalue()


SOLUTIONS = ("log_gaussian", "log_likelihood", "e_step", "m_step", "run_em")


def test_the_notebook_prints_what_its_text_says():
    cells = ("imports", "data", "start", *SOLUTIONS, "my-em", "compare", "longer", "starts")
    printed = _run_notebook_cells(*cells)
    assert "log L after 30 iterations: -542.2" in printed
    assert "em.fit: 2 iterations, converged=True, log L = -544.5" in printed
    assert "after 30 iterations: -542.2;  after 150: -385.5" in printed
    assert "first iteration within 0.05 of that: 120" in printed
    assert printed.count("log L = -385.5 after") == 10


def test_the_plateau_text_states_the_measured_numbers():
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    text = {c.id: c.source for c in nb.cells}
    plateau = text["plateau-md"]
    for number in ("$-542.2$", "$-385.5$", "iteration 120", "$-544.5$", "$-541.2$", "$-545.0$",
                   "$4 \\times 10^{-6}$", "iteration 37", "$-542.0$", "123 iterations", "iteration 105",
                   "within 3\niterations"):
        assert number in plateau, number
    assert "stops after 2 iterations" in text["compare-md"] and "stops after 3" in text["compare-md"]
    assert "about 1.7 and 1.1" in text["step1-md"] and "0.90" in text["start-md"]


def test_the_explorer_opens_on_the_notebooks_k(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)  # a learner's kernel: the live widget
    ns = _notebook_cells("imports", "data", "start")
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    source = next(c.source for c in nb.cells if c.id == "explorer").strip().splitlines()
    exec("\n".join(source[:-1]), ns)
    explorer = eval(source[-1], ns)
    assert explorer.k_slider.value == len(ns["start"].weights) == 2
    assert explorer.fitted.params.n_components == 2
    # it replays the poor start: the plateau, then the escape to the optimum (as the text says)
    fitted = explorer.fitted
    assert fitted.steps[0].phase == "init" and "your start" in explorer.fig.axes[1].get_title()
    history = np.asarray(fitted.history)
    assert fitted.converged and 100 < fitted.n_iter <= 150 and round(history[-1], 1) == -385.5
    assert (history[2:100] < -541).all()  # the plateau, near one Gaussian's -545.0
    # another seed: a k-means++ start, the same log L in a few iterations, no plateau
    for seed in range(1, 11):
        explorer.seed_input.value = seed
        assert "your start" not in explorer.fig.axes[1].get_title()
        assert explorer.fitted.n_iter <= 10 and round(explorer.fitted.history[-1], 1) == -385.5, seed
    explore = next(c.source for c in nb.cells if c.id == "explorer-md")
    assert "the poor start above" in explore and "no plateau" in explore


def test_your_em_beside_the_library_runs_the_notebooks_functions(monkeypatch):
    """The last cell, on the notebook's own solutions: they match at every half-step of the 30
    iterations the text promises; on the student version's stubs it is a sentence, no traceback."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    ns = _notebook_cells("imports", "data", "start", "log_gaussian", "e_step", "m_step")
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    cells = {c.id: c.source for c in nb.cells}
    exec(cells["explorer"].strip().splitlines()[0], ns)  # the import of show_explorer
    view = eval(cells["beside"], ns)
    assert view.result.agrees, view.result.summary
    assert len(view.result.reference) == len(view.result.yours) == 31
    assert np.array_equal(view.result.reference_params[0].means, ns["start"].means)
    text = " ".join(cells["beside-md"].split())
    assert "from the same start (`init=start`, the poor start above), for 30 iterations each" in text

    def stub(*args, **kwargs):
        raise NotImplementedError()

    view = eval(cells["beside"], {**ns, "e_step": stub, "m_step": stub})
    assert view.result.summary == [
        "Your e_step is not written yet (it raises NotImplementedError): write it above, run its cell, then "
        "run this cell again."
    ]


# =========================================================================== every number in the prose
NUMBER = re.compile(r"(?<![\w.^_{\\])[-+]?\d+(?:\.\d+)?(?:e-?\d+)?")

#: Every number in the notebook's markdown (bar 0, 1 and 2, which are indices, K=2 and
#: formula constants), cell by cell, and what keeps it true. A number typed into the
#: prose that is not here fails test_every_number_in_the_markdown_is_accounted_for.
ACCOUNTED = {
    "intro": {"3": "step 3; its points: test_the_points_table_is_the_graded_cells_points",
              "4": "step 4 and its points (same test)", "5": "step 5 (same test)", "6": "step 6 (same test)"},
    "data-md": {"272": "printed by the data cell (X.shape); test_the_data_is_standardised_old_faithful"},
    "start-md": {"0.90": "test_the_poor_start_sits_across_the_datas_long_axis", "5": "step 5's heading"},
    "step1-md": {"40": "test_40_standard_deviations_away_the_density_is_e_to_the_minus_800",
                 "800": "same test", "1.7": "test_a_density_can_exceed_1 (ten seeds)", "1.1": "same test"},
    "step3-md": {"3": "the step's heading"},
    "step4-md": {"4": "the step's heading", "9.3": "a citation (Bishop, PRML, section 9.3.1)",
                 "9.2": "a citation (section 9.2.2)", "10": "reg_covar 10^-6: test_defaults_in_the_prose",
                 "6": "same", "1e-6": "same"},
    "step5-md": {"5": "the step's heading", "10": "tol 10^-3: test_defaults_in_the_prose", "3": "same",
                 "1e-3": "same",
                 "100": "max_iter=100 (same test); '100 points as for a million' illustrates"},
    "compare-md": {"3": "test_default_tol_stops_scikit_learn_after_3_iterations_converged",
                   "-544.35": "same test", "-544.48": "same test"},
    "plateau-md": {"30": "test_after_30_iterations...; printed by my-em", "-542.2": "same; printed",
                   "-385.5": "test_the_optimum_is_385_5...; printed by longer and starts",
                   "120": "test_the_optimum_is_385_5...; printed by longer",
                   "100": "test_the_plateau_sits_just_above_the_single_gaussian", "-544.5": "same test",
                   "-541.2": "same test", "-545.0": "same test",
                   "105": "test_the_optimum_is_385_5... (leaves the plateau at 104)",
                   "4": "4 x 10^-6: test_the_plateau_sits_just_above_the_single_gaussian", "10": "same",
                   "6": "same", "1e-4": "test_a_smaller_tol_runs_longer", "37": "same", "-542.0": "same",
                   "1e-6": "same", "123": "same",
                   "3": "test_several_starts_all_find_the_optimum (ten seeds)"},
    "questions-md": {"6": "step 6's heading", "272": "test_question_1s_numbers", "68": "same",
                     "0.25": "same", "0.5": "same"},
    "beside-md": {"30": "test_your_em_beside_the_library_runs_the_notebooks_functions"},
}


def markdown_numbers() -> dict[str, set[str]]:
    """Every number (bar 0, 1, 2) in each markdown cell of the source notebook."""
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            numbers = set(NUMBER.findall(cell.source)) - {"0", "1", "2"}
            if numbers:
                found[cell.id] = numbers
    return found


def test_every_number_in_the_markdown_is_accounted_for():
    found = markdown_numbers()
    assert found == {cell: set(numbers) for cell, numbers in ACCOUNTED.items()}


def test_the_points_table_is_the_graded_cells_points():
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    intro = next(c.source for c in nb.cells if c.id == "intro")
    rows = re.findall(r"^\| (\d) \| .*? \| (\d+) \|$", intro, re.M)
    table = {int(step): int(points) for step, points in rows}
    graded = {}
    prefixes = {1: "test_log_gaussian", 2: "test_log_likelihood", 3: "test_e_step", 4: "test_m_step",
                5: "test_run_em", 6: "test_q"}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            (step,) = [s for s, prefix in prefixes.items() if meta["grade_id"].startswith(prefix)]
            graded[step] = graded.get(step, 0) + meta["points"]
    assert table == graded == {1: 2, 2: 2, 3: 3, 4: 4, 5: 3, 6: 2}


def test_40_standard_deviations_away_the_density_is_e_to_the_minus_800():
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    text = " ".join(next(c.source for c in nb.cells if c.id == "step1-md").split())
    assert "40 standard deviations away it is about $e^{-800}$, which a float64 rounds to 0" in text
    # 1-D, unit variance: log N = -(log 2 pi + 40^2) / 2, and exp of it is 0 in float64
    one = em.GMMParams([1.0], [[0.0]], [[[1.0]]])
    log_density = em.estimate_log_prob(np.array([[40.0]]), one)[0, 0]
    assert round(float(log_density)) == -801 and -0.5 * 40**2 == -800
    with np.errstate(under="ignore"):
        assert np.exp(log_density) == 0.0


def test_defaults_in_the_prose():
    import inspect

    assert inspect.signature(em.m_step).parameters["reg_covar"].default == 1e-6
    assert inspect.signature(em.fit).parameters["tol"].default == 1e-3
    ns = _notebook_cells("imports", *SOLUTIONS)
    assert inspect.signature(ns["m_step"]).parameters["reg_covar"].default == 1e-6
    run_em = inspect.signature(ns["run_em"]).parameters
    assert (run_em["tol"].default, run_em["max_iter"].default) == (1e-3, 100)


def test_question_1s_numbers(lesson):
    X, _, _, _ = lesson
    nb = nbformat.read(h.source_notebook_path(NAME), as_version=4)
    text = " ".join(next(c.source for c in nb.cells if c.id == "questions-md").split())
    assert f"the {len(X)} Old Faithful eruptions" in text and "= 68$" in text
    resp = np.zeros((len(X), 2))
    resp[:68, 1] = 1.0
    resp[68:, 0] = 1.0
    assert em.m_step(X, resp).weights[1] == 0.25 == 68 / 272  # option B
    assert "- B. 0.25" in text and "- C. 0.5, because there are two components" in text and 1 / 2 == 0.5
