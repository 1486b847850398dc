"""Your EM beside the library's (issue 16 item 4): known wrong implementations, named.

``compare_em`` and the widget ``show_explorer(X, e_step=..., m_step=...)`` are given the
em_step_by_step notebook's functions, right and with the classic mistakes, and must name
the first half-step where they part from the library, every fall of the log-likelihood,
and every failure of the learner's code as a sentence (headless, Agg).
"""

from __future__ import annotations

import base64
import html
import io
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.image import imread

from gmm_lesson import compare, data, em, side_by_side, widgets

pytestmark = pytest.mark.fast

X_FAITHFUL = data.standardize(data.load_old_faithful())[0]
N = len(X_FAITHFUL)
#: the notebook's poor start: equal weights, round covariances, means across the data's long axis
POOR_START = em.GMMParams([0.5, 0.5], [[-0.5, 0.5], [0.5, -0.5]], [np.eye(2), np.eye(2)])
UNEQUAL_START = em.GMMParams([0.3, 0.7], [[-1.0, -1.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])


# --------------------------------------------------------------------------- the learner's functions
def log_gaussian(X, mean, cov):
    diff = X - mean
    mahalanobis_sq = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    return -0.5 * (X.shape[1] * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1] + mahalanobis_sq)


def terms(X, params, weights=True):
    """a_nk = log pi_k + log N(x_n | k) (without log pi_k when ``weights`` is False)."""
    log_weights = np.log(params.weights) if weights else np.zeros(len(params.weights))
    return np.column_stack([
        log_weights[k] + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(log_weights))
    ])


def log_sum_exp(a, axis=1):
    m = a.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


def e_step(X, params):
    a = terms(X, params)
    log_norm = log_sum_exp(a)
    return np.exp(a - log_norm), float(log_norm.sum())


def m_step(X, resp, reg_covar=1e-6):
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covariances = np.array([
        (resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / Nk[k] + reg_covar * np.eye(X.shape[1])
        for k in range(resp.shape[1])
    ])
    return em.GMMParams(Nk / len(X), means, covariances)


def e_step_without_weights(X, params):
    a = terms(X, params, weights=False)
    log_norm = log_sum_exp(a)
    return np.exp(a - log_norm), float(log_norm.sum())


def e_step_without_weights_in_resp(X, params):
    a = terms(X, params, weights=False)
    return np.exp(a - log_sum_exp(a)), e_step(X, params)[1]


def e_step_wrong_axis(X, params):  # normalised over the points (in logs), not over each point's row
    a = terms(X, params)
    return np.exp(a - log_sum_exp(a, axis=0)), float(log_sum_exp(a).sum())


def e_step_transposed(X, params):
    resp, total = e_step(X, params)
    return resp.T, total


def e_step_stub(X, params):
    raise NotImplementedError()


def log_gaussian_stub(X, mean, cov):
    raise NotImplementedError()


def e_step_calling_a_stub(X, params):
    a = np.column_stack([log_gaussian_stub(X, params.means[k], params.covariances[k]) for k in range(2)])
    return a, 0.0


def e_step_naive(X, params):  # exp() before the sum: 0 / 0 for points far from every component
    densities = np.exp(terms(X, params))
    total = densities.sum(axis=1, keepdims=True)
    return densities / total, float(np.log(total).sum())


def e_step_resp_only(X, params):
    return e_step(X, params)[0]


def m_step_hard(X, resp, reg_covar=1e-6):  # each point to its likeliest component
    return m_step(X, np.eye(resp.shape[1])[resp.argmax(axis=1)], reg_covar)


def m_step_wrong_axis(X, resp, reg_covar=1e-6):
    Nk = resp.sum(axis=1)
    return em.GMMParams(Nk / len(X), resp.T @ X / Nk[:, None], np.eye(2))


def m_step_tuple(X, resp, reg_covar=1e-6):
    params = m_step(X, resp, reg_covar)
    return params.weights, params.means, params.covariances


def m_step_global_mean(X, resp, reg_covar=1e-6):  # Sigma_k about the mean of all the data
    right = m_step(X, resp, reg_covar)
    diff = X - X.mean(axis=0)
    Nk = resp.sum(axis=0)
    covariances = np.array([(resp[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(2)
                            for k in range(2)])
    return em.GMMParams(right.weights, right.means, covariances)


def m_step_nan(X, resp, reg_covar=1e-6):
    right = m_step(X, resp, reg_covar)
    return em.GMMParams(right.weights, right.means * np.nan, right.covariances)


def m_step_nan_unchecked(X, resp, reg_covar=1e-6):
    right = m_step(X, resp, reg_covar)
    return em.GMMParams.unchecked(right.weights, right.means, right.covariances * np.nan, "full")


def m_step_zero_division(X, resp, reg_covar=1e-6):
    return 1 / 0


def m_step_in_place(X, resp, reg_covar=1e-6):  # scribbles on its inputs, then answers right
    answer = m_step(X.copy(), resp.copy(), reg_covar)
    X *= 100.0
    resp[:] = 0.0
    return answer


# --------------------------------------------------------------------------- the right answer
def kmeans_start(X, K, seed):
    return side_by_side.side_by_side_start(X, None, K, seed)


IRIS = data.load_iris_sepal()
STARTS = [
    ("poor start", X_FAITHFUL, POOR_START),
    ("unequal weights", X_FAITHFUL, UNEQUAL_START),
    *[(f"Old Faithful seed {s}", X_FAITHFUL, kmeans_start(X_FAITHFUL, 2, s)) for s in range(3)],
    *[(f"Iris K=3 seed {s}", IRIS, kmeans_start(IRIS, 3, s)) for s in range(3)],
]


@pytest.mark.parametrize(("name", "X", "start"), STARTS, ids=[s[0] for s in STARTS])
def test_the_right_functions_match_the_library_at_every_half_step(name, X, start):
    result = compare.compare_em(X, start, e_step, m_step, max_iter=40)
    assert result.agrees, result.summary
    assert result.parted_at is None and result.error is None and result.falls == ()
    assert np.allclose(result.yours, result.reference, rtol=1e-9)
    assert result.summary == [
        "Your e_step and m_step match the library's at every half-step of 40 iterations (within 1e-06), "
        "and your log-likelihood never went down."
    ]


def test_the_poor_start_over_its_plateau_and_escape_never_parts():
    """150 iterations: the saddle's plateau and the escape near iteration 105 amplify nothing."""
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step, max_iter=150)
    assert result.agrees, result.summary
    assert result.reference[-1] == pytest.approx(-385.5, abs=0.05)


def test_the_library_run_is_em_fit_from_the_same_start():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step, max_iter=12)
    fitted = em.fit(X_FAITHFUL, 2, init=POOR_START, tol=0.0, max_iter=12)
    assert np.allclose(result.reference, fitted.history, rtol=1e-12)
    assert np.allclose(result.reference_params[-1].means, fitted.params.means, rtol=1e-12)
    assert len(result.reference) == len(result.yours) == 13


# --------------------------------------------------------------------------- wrong answers, named
def test_forgotten_weights_part_at_the_first_log_likelihood_though_equal_weights_hide_them_in_resp():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step_without_weights, m_step)
    assert result.parted_at == (1, "E")
    assert [d.quantity for d in result.differences] == ["log-likelihood"]
    assert result.differences[0].largest == pytest.approx(N * np.log(2), rel=1e-9)  # log(1/2) on every point
    assert result.summary[0].startswith(
        "First difference: iteration 1, E-step. Given the same parameters as the library's e_step, your "
        "e_step's log-likelihood differs by up to 189."
    )


@pytest.mark.parametrize(("name", "X", "start"), STARTS[1:], ids=[s[0] for s in STARTS[1:]])
def test_forgotten_weights_part_at_once_in_resp_too_from_unequal_weights(name, X, start):
    result = compare.compare_em(X, start, e_step_without_weights, m_step)
    assert result.parted_at == (1, "E")
    assert [d.quantity for d in result.differences] == ["responsibilities", "log-likelihood"]
    in_resp_only = compare.compare_em(X, start, e_step_without_weights_in_resp, m_step)
    assert in_resp_only.parted_at == (1, "E")
    assert [d.quantity for d in in_resp_only.differences] == ["responsibilities"]


def test_weights_forgotten_in_resp_alone_part_at_the_second_e_step_on_the_equal_weight_start():
    """The start's weights are equal, so resp is right at iteration 1; the M-step makes them unequal."""
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step_without_weights_in_resp, m_step)
    assert result.parted_at == (2, "E")
    assert [d.quantity for d in result.differences] == ["responsibilities"]
    assert "your e_step's responsibilities differ by up to" in result.summary[0]
    assert re.search(r"\(at point \d+, component [01]\)", result.summary[0])
    # from unequal weights it parts at once
    unequal = compare.compare_em(X_FAITHFUL, UNEQUAL_START, e_step_without_weights_in_resp, m_step)
    assert unequal.parted_at == (1, "E")


@pytest.mark.parametrize(("name", "X", "start"), STARTS, ids=[s[0] for s in STARTS])
def test_a_hard_argmax_m_step_parts_at_the_first_m_step(name, X, start):
    result = compare.compare_em(X, start, e_step, m_step_hard)
    assert result.parted_at == (1, "M")
    assert {d.quantity for d in result.differences} <= {"weights", "means", "covariances"}
    assert "means" in {d.quantity for d in result.differences}
    assert result.summary[0].startswith(
        "First difference: iteration 1, M-step. Given the same responsibilities as the library's m_step, "
        "your m_step's")


def test_a_hard_argmax_m_step_lowers_the_log_likelihood_and_is_told_so():
    """From the notebook's poor start; from k-means++ starts it parts at once but need not fall."""
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step_hard)
    assert result.falls == (2, 3)
    assert all(result.yours[t] < result.yours[t - 1] for t in result.falls)
    assert result.summary[-1] == (
        "Your log-likelihood went down at iterations 2, 3: EM never lowers it, so one of your steps is not "
        "an E-step or M-step."
    )
    assert not result.agrees


def test_covariances_about_the_global_mean_differ_in_covariances_alone():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step_global_mean)
    assert result.parted_at == (1, "M")
    assert [d.quantity for d in result.differences] == ["covariances"]


def test_an_e_step_normalised_over_the_wrong_axis_parts_at_once_and_its_own_run_fails_in_a_sentence():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step_wrong_axis, m_step)
    assert result.parted_at == (1, "E")
    assert [d.quantity for d in result.differences] == ["responsibilities"]
    assert result.error_at == (1, "M")
    assert result.error.startswith(
        "In your own run (your functions fed each other): your m_step raised ValueError at iteration 1, "
        "M-step: GMMParams.weights must be >= 0 and sum to 1"
    )


def test_an_m_step_summing_over_the_wrong_axis_is_a_sentence_not_a_traceback():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step_wrong_axis)
    assert result.parted_at is None and result.error_at == (1, "M")
    assert result.error.startswith("Your m_step raised ValueError at iteration 1, M-step: operands could not "
                                   "be broadcast")
    assert result.yours == [pytest.approx(result.reference[0])] and len(result.your_params) == 1


@pytest.mark.parametrize(("e", "m", "at", "message"), [
    (e_step_transposed, m_step, (1, "E"),
     f"Your e_step's resp has shape (2, {N}) (its axes are swapped) at iteration 1, E-step; it must be "
     f"(N, K) = ({N}, 2): one row per point, one column per component."),
    (e_step_stub, m_step, (1, "E"),
     "Your e_step is not written yet (it raises NotImplementedError): write it above, run its cell, then run "
     "this cell again."),
    (e_step_calling_a_stub, m_step, (1, "E"),
     "Your e_step calls log_gaussian_stub, which is not written yet (it raises NotImplementedError): "
     "write it above, run its cell, then run this cell again."),
    (e_step, e_step_stub, (1, "M"),
     "Your m_step is not written yet (it raises NotImplementedError): write it above, run its cell, then run "
     "this cell again."),
    (e_step_resp_only, m_step, (1, "E"),
     "Your e_step must return a pair (resp, log_likelihood), got ndarray at iteration 1, E-step."),
    (e_step, m_step_tuple, (1, "M"),
     "Your m_step must return em.GMMParams(weights, means, covariances), got tuple at iteration 1, M-step."),
    (e_step, m_step_zero_division, (1, "M"),
     "Your m_step raised ZeroDivisionError at iteration 1, M-step: division by zero"),
    (e_step, m_step_nan, (1, "M"),
     "Your m_step raised ValueError at iteration 1, M-step: GMMParams.means contains NaN or infinity"),
    (e_step, m_step_nan_unchecked, (1, "M"),
     "Your m_step's covariances contain NaN or infinity at iteration 1, M-step."),
], ids=["wrong shape", "e_step stub", "log_gaussian stub", "m_step stub", "no pair", "no GMMParams",
        "raises", "NaN", "NaN unchecked"])
def test_bad_learner_code_is_one_sentence_and_stops_only_its_own_run(e, m, at, message):
    result = compare.compare_em(X_FAITHFUL, POOR_START, e, m, max_iter=5)
    assert result.error == message
    assert result.error_at == at and result.parted_at is None
    assert result.summary == [message]
    assert len(result.reference) == 6  # the library's run goes on


def test_nan_responsibilities_from_exp_before_the_sum_are_named():
    far = X_FAITHFUL * 40  # every density underflows to 0: naive exp() gives 0 / 0
    start = em.GMMParams([0.5, 0.5], [[-20.0, 20.0], [20.0, -20.0]], [np.eye(2), np.eye(2)])
    result = compare.compare_em(far, start, e_step_naive, m_step, max_iter=3)
    assert result.error == (
        "Your e_step's resp contains NaN or infinity at iteration 1, E-step: compute it in logs "
        "(the log-sum-exp trick)."
    )
    # the same code is right where nothing underflows
    assert compare.compare_em(X_FAITHFUL, POOR_START, e_step_naive, m_step, max_iter=5).agrees


def test_learner_code_scribbling_on_its_inputs_cannot_change_the_library_run():
    result = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step_in_place, max_iter=8)
    fitted = em.fit(X_FAITHFUL, 2, init=POOR_START, tol=0.0, max_iter=8)
    assert np.allclose(result.reference, fitted.history, rtol=1e-12)
    assert result.agrees, result.summary


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"start": "kmeans++"}, TypeError, "start"),
    ({"start": em.GMMParams([1.0], [[0.0, 0.0]], [[1.0, 1.0]], "diag")}, ValueError, "start"),
    ({"e_step": "e_step"}, TypeError, "e_step"),
    ({"m_step": None}, TypeError, "m_step"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"X": np.zeros((5, 3))}, ValueError, "features"),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, name):
    args = {"X": X_FAITHFUL, "start": POOR_START, "e_step": e_step, "m_step": m_step, **kwargs}
    with pytest.raises(error, match=name):
        compare.compare_em(args.pop("X"), args.pop("start"), args.pop("e_step"), args.pop("m_step"), **args)


# --------------------------------------------------------------------------- the widget
def _img(value: str) -> tuple[np.ndarray, str]:
    match = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', value)
    assert match, value[:200]
    return imread(io.BytesIO(base64.b64decode(match.group(1))), format="png"), html.unescape(match.group(2))


def test_show_explorer_with_your_functions_shows_both_runs_and_names_the_difference(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    view = widgets.show_explorer(X_FAITHFUL, e_step=e_step, m_step=m_step_hard, init=POOR_START)
    assert isinstance(view, side_by_side.SideBySide)
    assert view.iteration_slider.value == view.iteration_slider.max == 30
    summary = html.unescape(view.summary.value)
    assert "First difference: iteration 1, M-step." in summary and "went down at iterations 2, 3" in summary
    png, alt = _img(view.image.value)
    assert alt == view.alt_text
    assert "library through 31 points" in alt and "yours through 31 points" in alt
    assert "your log-likelihood fell, value at each point: 2: -550.7; 3: -550.7" in alt
    assert "first difference (iteration 1): a vertical line at 1" in alt
    view.iteration_text.value = 3  # the number box moves the slider, the slider the picture
    png_3, alt_3 = _img(view.image.value)
    assert "after iteration 3" in alt_3 and "iteration shown: a vertical line at 3" in alt_3
    means = view.result.your_params[3].means
    assert f"Your means: component 0 at ({means[0, 0]:.2f}, {means[0, 1]:.2f})" in alt_3
    assert (np.abs(png_3 - png).max(axis=2) > 0.1).mean() > 0.001


def test_the_blitted_picture_matches_a_full_redraw():
    view = side_by_side.SideBySide(X_FAITHFUL, e_step, m_step_hard, init=POOR_START)
    view.iteration_slider.value = 2
    view.iteration_slider.value = 7
    shown, _ = _img(view.image.value)
    buf = io.BytesIO()
    view.fig.savefig(buf, format="png", dpi=view.dpi)
    full = imread(io.BytesIO(buf.getvalue()), format="png")
    assert shown.shape == full.shape
    assert (np.abs(shown - full).max(axis=2) > 0.1).mean() < 0.002


def test_unwritten_functions_give_a_message_and_the_library_curve_never_a_traceback():
    view = widgets.show_explorer(X_FAITHFUL, e_step=e_step_stub, m_step=e_step_stub, init=POOR_START)
    assert "Your e_step is not written yet" in html.unescape(view.summary.value)
    _, alt = _img(view.image.value)
    assert "library through 31 points" in alt and "yours through" not in alt
    assert "Your run stopped before iteration 30: nothing of yours is drawn." in alt
    view.iteration_slider.value = 0  # the start is shared: both drawn
    assert "Your means: component 0 at (-0.50, 0.50)" in view.alt_text


def test_the_right_functions_get_a_tick_from_a_kmeans_start():
    view = widgets.show_explorer(X_FAITHFUL, e_step=e_step, m_step=m_step, seed=3, max_iter=10)
    assert view.result.agrees
    assert "&#10004; Your e_step and m_step match the library" in view.summary.value
    assert np.array_equal(view.result.reference_params[0].means, kmeans_start(X_FAITHFUL, 2, 3).means)


def test_under_nbgrader_it_is_a_still_picture_with_its_sentences(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    still = widgets.show_explorer(X_FAITHFUL, e_step=e_step_stub, m_step=m_step, init=POOR_START)
    assert isinstance(still, side_by_side.StaticSideBySide)
    page = still._repr_html_()
    assert "Your e_step is not written yet" in html.unescape(page)
    _, alt = _img(page)
    assert alt == still.alt_text and "after iteration 30" in alt
    assert repr(still).startswith("Your e_step is not written yet")


@pytest.mark.parametrize(("args", "kwargs", "name"), [
    ((X_FAITHFUL,), {"e_step": e_step}, "m_step is missing"),
    ((X_FAITHFUL,), {"m_step": m_step}, "e_step is missing"),
    ((), {"e_step": e_step, "m_step": m_step}, "X is missing"),
    ((X_FAITHFUL,), {"e_step": e_step, "m_step": m_step, "tol": 1e-3}, "tol is not an option"),
    ((X_FAITHFUL[:, :1],), {"e_step": e_step, "m_step": m_step}, "at least 2 features"),
    ((X_FAITHFUL,), {"e_step": e_step, "m_step": m_step, "n_components": 9}, "n_components"),
    ((X_FAITHFUL,), {"e_step": e_step, "m_step": m_step, "init": "kmeans++"}, "init"),
])
def test_show_explorer_refuses_bad_arguments_by_name(args, kwargs, name):
    with pytest.raises((TypeError, ValueError), match=name):
        widgets.show_explorer(*args, **kwargs)


def test_the_messages_quoted_in_the_docs_are_the_ones_given():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "README-explorer.md"
    text = " ".join(doc.read_text(encoding="utf-8").split())
    hard = compare.compare_em(X_FAITHFUL, POOR_START, e_step, m_step_hard)
    assert f'*"{hard.summary[0]}"* (a hard-argmax M-step, from the notebook\'s poor start)' in text
    assert '*"Your log-likelihood went down at iterations 2, 3: ..."*' in text
    assert hard.summary[1].startswith("Your log-likelihood went down at iterations 2, 3: ")

    def e_step_calls_log_gaussian(X, params):
        return log_gaussian(X, params.means[0], params.covariances[0])

    def log_gaussian(X, mean, cov):
        raise NotImplementedError()

    stub = compare.compare_em(X_FAITHFUL, POOR_START, e_step_stub, m_step).summary[0]
    calls = compare.compare_em(X_FAITHFUL, POOR_START, e_step_calls_log_gaussian, m_step).summary[0]
    assert stub.startswith("Your e_step is not written yet (it raises NotImplementedError): ")
    assert calls.startswith("Your e_step calls log_gaussian, which is not written yet ")
    assert ('*"Your e_step is not written yet (it raises NotImplementedError): ..."*, or *"Your e_step calls '
            'log_gaussian, which is not written yet ..."*') in text
