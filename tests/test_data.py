"""Tests of gmm_lesson.data: the shipped data sets, blobs and standardisation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from gmm_lesson import data


def test_iris_sepal_is_fishers_data_with_the_lesson_rows():
    X = data.load_iris_sepal()
    assert X.shape == (150, 2) and X.dtype == float
    for row in ([5.1, 3.5], [4.9, 3.0], [6.7, 3.1]):  # the source lesson's sample rows
        assert (X == row).all(axis=1).any(), row
    # the same numbers as scikit-learn's copy of Fisher's iris (sepal length, sepal width)
    np.testing.assert_array_equal(X, load_iris().data[:, :2])


def test_iris_species_follow_the_rows():
    X, species = data.load_iris_sepal(return_species=True)
    assert species.shape == (150,)
    names, counts = np.unique(species, return_counts=True)
    assert names.tolist() == ["setosa", "versicolor", "virginica"] and counts.tolist() == [50, 50, 50]
    np.testing.assert_array_equal(species, np.array(load_iris().target_names)[load_iris().target])
    np.testing.assert_array_equal(X, data.load_iris_sepal())


def test_old_faithful_shape_and_plausible_ranges():
    X = data.load_old_faithful()
    assert X.shape == (272, 2) and np.isfinite(X).all()
    duration, waiting = X[:, 0], X[:, 1]
    assert 1.0 < duration.min() and duration.max() < 6.0  # eruptions last about 1.6 to 5.1 minutes
    assert 40 <= waiting.min() and waiting.max() <= 100  # waits of about 43 to 96 minutes
    # the famous two regimes: short eruptions then short waits, long ones then long waits
    short = duration < 3
    assert 0.2 < short.mean() < 0.5
    assert waiting[short].mean() + 15 < waiting[~short].mean()


def test_two_clusters_1d_is_the_practice_question_data():
    X = data.two_clusters_1d()
    assert X.shape == (6, 1) and X.dtype == float
    assert X[:, 0].tolist() == [1, 2, 3, 10, 11, 12]


def test_blobs_reproducible_and_shaped():
    X, labels = data.blobs(500, n_components=4, n_features=3, seed=7, return_labels=True)
    assert X.shape == (500, 3) and labels.shape == (500,)
    assert set(labels.tolist()) <= {0, 1, 2, 3} and len(set(labels.tolist())) == 4
    again = data.blobs(500, n_components=4, n_features=3, seed=7)
    np.testing.assert_array_equal(X, again)
    other = data.blobs(500, n_components=4, n_features=3, seed=8)
    assert not np.allclose(X, other)
    assert data.blobs().shape == (300, 2)
    # clusters sit apart: each cluster's mean is nearer its own points than the others' means are
    means = np.array([X[labels == k].mean(axis=0) for k in range(4)])
    assert len({tuple(np.round(m, 6)) for m in means}) == 4


def test_blobs_spread_scales_the_centres():
    near = data.blobs(2000, 3, 2, seed=1, spread=0.0, return_labels=True)
    far = data.blobs(2000, 3, 2, seed=1, spread=50.0, return_labels=True)
    for X, labels in (near, far):
        assert X.shape == (2000, 2) and labels.shape == (2000,)
    centres_far = np.array([far[0][far[1] == k].mean(axis=0) for k in range(3)])
    centres_near = np.array([near[0][near[1] == k].mean(axis=0) for k in range(3)])
    assert np.abs(centres_near).max() < 1.0 < 10.0 < np.abs(centres_far).max()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an integer"),
        ({"n_components": 0}, ValueError, "n_components must be >= 1"),
        ({"n_components": 400}, ValueError, "n_components=400 is larger than n_samples=300"),
        ({"n_features": 0}, ValueError, "n_features must be >= 1"),
        ({"n_features": "2"}, TypeError, "n_features must be an integer"),
        ({"spread": -1.0}, ValueError, "spread must be a finite number >= 0"),
        ({"spread": float("inf")}, ValueError, "spread must be a finite number >= 0"),
        ({"seed": -3}, ValueError, "seed must be >= 0"),
        ({"seed": "abc"}, TypeError, "seed must be an integer"),
    ],
)
def test_blobs_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.blobs(**kwargs)


def test_standardize_gives_zero_mean_unit_std_and_round_trips():
    X = data.load_old_faithful()
    Z, mean, scale = data.standardize(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z * scale + mean, X, rtol=1e-12)
    np.testing.assert_allclose(Z, StandardScaler().fit_transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(scale, X.std(axis=0))
    assert Z is not X and X[0, 1] == data.load_old_faithful()[0, 1]  # input left alone


def test_standardize_constant_column_gets_scale_one():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [4.0, 7.0]])
    Z, mean, scale = data.standardize(X)
    assert scale[1] == 1.0 and mean[1] == 7.0
    np.testing.assert_array_equal(Z[:, 1], 0.0)  # centred, not divided by zero
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z * scale + mean, X)


def test_standardize_accepts_lists():
    Z, mean, scale = data.standardize([[1, 2], [3, 6]])
    np.testing.assert_allclose(Z, [[-1, -1], [1, 1]])
    np.testing.assert_allclose(mean, [2, 4])
    np.testing.assert_allclose(scale, [1, 2])


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ([1.0, 2.0, 3.0], ValueError, "X must be 2-D"),
        ([[1.0, np.nan]], ValueError, "X contains NaN"),
        (np.empty((0, 2)), ValueError, "X is empty"),
        ([["a", "b"]], TypeError, "X must contain real numbers"),
    ],
)
def test_standardize_refuses_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        data.standardize(X)


def test_load_by_name():
    assert set(data.DATASETS) >= {"Iris sepal (150 x 2)", "Old Faithful (272 x 2)"}
    for name, loader in data.DATASETS.items():
        X = data.load(name)
        np.testing.assert_array_equal(X, loader())
        assert X.ndim == 2 and np.isfinite(X).all()
        assert f"{X.shape[0]} x {X.shape[1]}" in name  # the menu label tells the truth
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("iris")
