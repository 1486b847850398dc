"""The lesson's traces are computed from the data and agree with em's results."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_lesson import data, em, trace


@pytest.fixture(scope="module")
def iris_trace() -> trace.PipelineTrace:
    return trace.pipeline_trace(data.load_iris_sepal(), n_components=3, seed=0)


def test_pipeline_has_the_lessons_six_stages_with_computed_shapes(iris_trace):
    names = [s.name for s in iris_trace.stages]
    assert names == ["Data in", "Preprocessing", "Feature engineering", "Model trains",
                     "Metrics improve", "Prediction"]
    assert [s.number for s in iris_trace.stages] == [1, 2, 3, 4, 5, 6]
    X = data.load_iris_sepal()
    s1, s2, s3, s4, s5, s6 = iris_trace.stages
    assert s1.input_shape == s1.output_shape == (150, 2)
    assert s1.input == "150 rows x 2 columns"  # not the lesson's 300
    np.testing.assert_array_equal(s1.values, X)
    assert s2.output_shape == (150, 2)
    np.testing.assert_allclose(s2.values.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s2.values.std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(s3.values, s2.values)
    assert s4.output_shape is None and s4.values is iris_trace.fitted
    assert s4.values.params.n_components == 3
    assert s5.output_shape == (len(iris_trace.fitted.history),)
    np.testing.assert_array_equal(s5.values, iris_trace.fitted.history)
    assert s6.input_shape == (1, 2) and s6.output_shape == (1, 3)
    assert s6.values.sum() == pytest.approx(1.0)
    # sample rows shown are the real first rows
    assert s1.sample.startswith("[[5.10, 3.50], [4.90, 3.00], [4.70, 3.20]]")
    z = s2.values[0]
    assert s2.sample.startswith(f"[[{z[0]:.2f}, {z[1]:.2f}]")


def test_pipeline_fit_is_em_fit_on_standardised_data(iris_trace):
    Z, _, _ = data.standardize(data.load_iris_sepal())
    reference = em.fit(Z, 3, seed=0)
    np.testing.assert_allclose(iris_trace.fitted.history, reference.history)
    np.testing.assert_allclose(iris_trace.Z, Z)
    assert f"{reference.history[-1]:.1f}" in iris_trace.stages[4].output


def test_pipeline_prediction_stage_matches_predict_proba_for_chosen_row():
    X = data.load_old_faithful()
    t = trace.pipeline_trace(X, n_components=2, seed=1, sample_index=5)
    np.testing.assert_allclose(t.stages[5].values, t.fitted.predict_proba(t.Z[5:6]))
    assert t.stages[5].output_shape == (1, 2)


def test_pipeline_text_and_html_show_every_stage(iris_trace):
    text, page = str(iris_trace), iris_trace._repr_html_()
    for stage in iris_trace.stages:
        assert stage.name in text
        assert stage.name in page
    assert page.startswith("<table") and "<caption>" in page and 'scope="col"' in page
    assert "300" not in text  # the lesson's wrong row count is not repeated


def test_pipeline_defaults_to_iris_sepal():
    t = trace.pipeline_trace()
    assert t.X.shape == (150, 2)


def test_training_trace_values_equal_history_and_bars_grow(iris_trace):
    fitted = iris_trace.fitted
    t = trace.training_trace(fitted)
    assert t.log_likelihoods == fitted.history
    assert t.iterations == list(range(fitted.n_iter + 1))
    np.testing.assert_allclose(t.gains[1:], np.diff(fitted.history))
    assert np.isnan(t.gains[0])
    bars = t.bars()
    assert bars[0] == "" and len(bars[-1]) == t.bar_width
    assert all(len(a) <= len(b) for a, b in zip(bars, bars[1:], strict=False))  # EM never goes down
    text = str(t)
    for ll in fitted.history:
        assert f"{ll:.2f}" in text
    assert "converged" in text
    assert t._repr_html_().count("<tr>") == len(fitted.history) + 1


def test_training_trace_says_when_not_converged():
    Z = data.standardize(data.load_iris_sepal())[0]
    fitted = em.fit(Z, 3, seed=0, max_iter=2)
    t = trace.training_trace(fitted)
    assert not t.converged
    assert "not converged" in str(t)


def test_prediction_trace_layers(iris_trace):
    fitted, Z = iris_trace.fitted, iris_trace.Z
    for i in (0, 60, 149):
        p = trace.prediction_trace(fitted, Z[i])
        np.testing.assert_array_equal(p.x, Z[i])
        np.testing.assert_allclose(p.weighted, fitted.params.weights * p.densities)
        np.testing.assert_allclose(p.probabilities, p.weighted / p.weighted.sum())
        np.testing.assert_allclose(p.probabilities, fitted.predict_proba(Z[i : i + 1])[0])
        assert p.probabilities.sum() == pytest.approx(1.0)
        assert p.cluster == fitted.predict(Z[i : i + 1])[0]
        text = str(p)
        assert all(f"Layer {n}" in text for n in (1, 2, 3, 4))
        assert f"component {p.cluster}" in text
    # (1, D) input is accepted too
    assert trace.prediction_trace(fitted, Z[:1]).cluster == fitted.predict(Z[:1])[0]


def test_prediction_trace_far_point_does_not_divide_zero_by_zero(iris_trace):
    p = trace.prediction_trace(iris_trace.fitted, [60.0, -60.0])
    assert np.isfinite(p.probabilities).all()
    assert p.probabilities.sum() == pytest.approx(1.0)


def test_compare_with_lesson_puts_real_numbers_next_to_the_lessons(iris_trace):
    c = trace.compare_with_lesson(iris_trace, n_seeds=4)
    Z = iris_trace.Z
    assert c.n_rows == 150
    assert c.first_log_likelihoods == iris_trace.fitted.history[:4]
    assert c.final_log_likelihood == iris_trace.fitted.history[-1]
    assert c.single_gaussian == pytest.approx(em.fit(Z, 1).history[-1])
    assert c.final_by_seed == {s: em.fit(Z, 3, seed=s).history[-1] for s in range(4)}
    # the real fit is far better than one Gaussian; the lesson's final value is not
    assert c.final_log_likelihood - c.single_gaussian > 20
    assert trace.LESSON_SAYS["final_log_likelihood"] - c.single_gaussian < 5
    text = str(c)
    assert "-420.5" in text and f"{c.final_log_likelihood:.1f}" in text
    assert f"{c.single_gaussian:.1f}" in text
    page = c._repr_html_()
    assert "<table" in page and f"{c.final_log_likelihood:.1f}" in page


def test_compare_with_lesson_on_other_data_says_so():
    c = trace.compare_with_lesson(data.load_old_faithful(), n_components=2, n_seeds=2)
    assert "other data" in c.summary
    assert not any(r[0].startswith("the lesson's rows") for r in c.rows)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: trace.pipeline_trace([[1.0, np.nan], [2.0, 3.0]]), ValueError, "X"),
        (lambda: trace.pipeline_trace(np.ones(5)), ValueError, "X"),
        (lambda: trace.pipeline_trace(n_components=0), ValueError, "n_components"),
        (lambda: trace.pipeline_trace(n_components=2.5), TypeError, "n_components"),
        (lambda: trace.pipeline_trace(sample_index=150), ValueError, "sample_index"),
        (lambda: trace.training_trace([1, 2, 3]), TypeError, "fitted"),
        (lambda: trace.prediction_trace("model", [0, 0]), TypeError, "fitted"),
        (lambda: trace.compare_with_lesson(n_seeds=0), ValueError, "n_seeds"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_prediction_trace_refuses_bad_samples(iris_trace):
    fitted = iris_trace.fitted
    with pytest.raises(ValueError, match="x has 3 features"):
        trace.prediction_trace(fitted, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="x must be one sample"):
        trace.prediction_trace(fitted, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="x must"):
        trace.prediction_trace(fitted, "0,0")
    with pytest.raises(ValueError, match="x contains NaN"):
        trace.prediction_trace(fitted, [np.nan, 0.0])
