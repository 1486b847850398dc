"""Drawings: ellipses from the covariances, soft colours, 1-D curves, likelihood marker."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from gmm_lesson import data, em, plots


@pytest.fixture(scope="module")
def iris():
    Z = data.standardize(data.load_iris_sepal())[0]
    return Z, em.fit(Z, 3, seed=0)


def _ax():
    return Figure().add_subplot()


def test_mass_within_is_computed_from_the_chi_square_formula():
    assert plots.mass_within(1.0) == pytest.approx(0.3935, abs=1e-4)
    assert plots.mass_within(2.0) == pytest.approx(0.8647, abs=1e-4)
    assert plots.mass_within(1.0, 1) == pytest.approx(0.6827, abs=1e-4)
    # against a Monte Carlo draw from a 2-D Gaussian
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200_000, 2))
    r2 = (z**2).sum(axis=1)
    assert (r2 <= 4).mean() == pytest.approx(plots.mass_within(2.0), abs=0.005)
    with pytest.raises(ValueError, match="n_dims"):
        plots.mass_within(1.0, 3)
    with pytest.raises(ValueError, match="radius"):
        plots.mass_within(-1.0)


def test_ellipse_geometry_follows_the_eigen_decomposition():
    angle = math.radians(30)
    R = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    cov = R @ np.diag([4.0, 0.25]) @ R.T
    w, h, a = plots.ellipse_geometry(cov, 2.0)
    assert w == pytest.approx(2 * 2 * 2.0)  # 2 * radius * sqrt(4)
    assert h == pytest.approx(2 * 2 * 0.5)
    assert a % 180 == pytest.approx(30.0)
    with pytest.raises(ValueError, match="covariance"):
        plots.ellipse_geometry(np.eye(3))
    with pytest.raises(ValueError, match="positive definite"):
        plots.ellipse_geometry([[1.0, 0.0], [0.0, -1.0]])


def test_soft_colors_mix_component_colours_by_responsibility():
    resp = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    mixed = plots.soft_colors(resp)
    palette = to_rgba_array(plots.OKABE_ITO[:2])
    np.testing.assert_allclose(mixed[0], palette[0])
    np.testing.assert_allclose(mixed[1], palette[1])
    np.testing.assert_allclose(mixed[2, :3], palette[:, :3].mean(axis=0))
    with pytest.raises(ValueError, match="palette has only 8"):
        plots.component_colors(9)


def test_plot_mixture_2d_draws_two_ellipses_per_component(iris):
    Z, fitted = iris
    ax = _ax()
    art = plots.plot_mixture_2d(ax, Z, fitted.params)
    assert len(art.ellipses) == 3 and all(len(row) == 2 for row in art.ellipses)
    patches = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(patches) == 6
    covs = fitted.params.full_covariances()
    for k, row in enumerate(art.ellipses):
        for patch, r in zip(row, plots.RADII, strict=True):
            np.testing.assert_allclose(patch.center, fitted.params.means[k])
            w, h, _ = plots.ellipse_geometry(covs[k], r)
            assert patch.width == pytest.approx(w) and patch.height == pytest.approx(h)
    np.testing.assert_allclose(art.means.get_offsets(), fitted.params.means)
    np.testing.assert_allclose(art.scatter.get_facecolors(), plots.soft_colors(fitted.predict_proba(Z)))
    legend_text = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("39.3%" in t for t in legend_text) and any("86.5%" in t for t in legend_text)
    # the legend is below the axes, off the data; the axes are labelled
    ax.figure.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.y1 < ax.get_window_extent().y0
    assert ax.get_xlabel() == "feature 0" and ax.get_ylabel() == "feature 1"


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_every_covariance_type_is_drawn(iris, covariance_type):
    Z, _ = iris
    fitted = em.fit(Z, 2, seed=0, covariance_type=covariance_type)
    art = plots.plot_mixture_2d(_ax(), Z, fitted.params)
    covs = fitted.params.full_covariances()
    for k in range(2):
        w, h, _ = plots.ellipse_geometry(covs[k], 1.0)
        assert art.ellipses[k][0].width == pytest.approx(w)
        assert art.ellipses[k][0].height == pytest.approx(h)


def test_update_mixture_2d_moves_the_same_artists(iris):
    Z, fitted = iris
    ax = _ax()
    first, later = fitted.steps[0], fitted.steps[-1]
    art = plots.plot_mixture_2d(ax, Z, first.params, first.resp)
    ellipse_ids = [id(p) for row in art.ellipses for p in row]
    before = art.scatter.get_facecolors().copy()
    plots.update_mixture_2d(art, later.params, later.resp)
    assert [id(p) for row in art.ellipses for p in row] == ellipse_ids
    assert len(ax.patches) == 6
    np.testing.assert_allclose(art.ellipses[1][0].center, later.params.means[1])
    np.testing.assert_allclose(art.means.get_offsets(), later.params.means)
    assert not np.allclose(art.scatter.get_facecolors(), before)
    with pytest.raises(ValueError, match="draw again"):
        plots.update_mixture_2d(art, em.fit(Z, 2, seed=0).params)


def test_plot_mixture_2d_shows_marginals_of_higher_dimensional_data():
    X = data.blobs(200, 2, n_features=4, seed=3)
    fitted = em.fit(X, 2, seed=0)
    art = plots.plot_mixture_2d(_ax(), X, fitted.params, dims=(1, 3))
    cov = fitted.params.full_covariances()[0][np.ix_([1, 3], [1, 3])]
    w, h, _ = plots.ellipse_geometry(cov, 1.0)
    assert art.ellipses[0][0].width == pytest.approx(w)
    np.testing.assert_allclose(art.ellipses[0][0].center, fitted.params.means[0, [1, 3]])
    np.testing.assert_allclose(art.scatter.get_offsets(), X[:, [1, 3]])


def test_plot_mixture_1d_curves_are_weighted_densities_summing_to_the_mixture():
    X = data.two_clusters_1d()
    fitted = em.fit(X, 2, seed=0)
    ax = _ax()
    art = plots.plot_mixture_1d(ax, X, fitted.params)
    grid = art.grid
    total = np.zeros_like(grid)
    for k, line in enumerate(art.components):
        mu, var, w = fitted.params.means[k, 0], fitted.params.covariances[k, 0, 0], fitted.params.weights[k]
        expected = w * np.exp(-0.5 * (grid - mu) ** 2 / var) / np.sqrt(2 * np.pi * var)
        np.testing.assert_allclose(line.get_ydata(), expected)
        total += expected
    np.testing.assert_allclose(art.mixture.get_ydata(), total)
    # the mixture density integrates to about 1 over the grid
    assert np.trapezoid(art.mixture.get_ydata(), grid) == pytest.approx(1.0, abs=0.01)
    assert len(art.rug.get_offsets()) == 6
    start = em.fit(X, 2, init="random", seed=0, max_iter=1).steps[0]
    plots.update_mixture_1d(art, start.params, start.resp)
    assert not np.allclose(art.mixture.get_ydata(), total)


def test_log_likelihood_plot_marks_the_current_step(iris):
    _, fitted = iris
    ax = _ax()
    art = plots.plot_log_likelihood(ax, fitted, current=0, scale="symlog")
    x, ll = plots.step_positions(fitted.steps)
    assert x[0] == 0 and x[1] == 0.5 and x[2] == 1
    np.testing.assert_allclose(ll, [s.log_likelihood for s in fitted.steps])
    np.testing.assert_allclose(art.line.get_xdata(), x)
    np.testing.assert_allclose(art.y, ll.max() - ll)  # symlog: distance below the best
    assert ax.get_yscale() == "symlog"
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # inverted: higher log-likelihood is higher up
    start = art.marker.get_xydata().copy()
    plots.update_log_likelihood(art, 4)
    assert not np.allclose(art.marker.get_xydata(), start)
    np.testing.assert_allclose(art.marker.get_xydata()[0], [x[4], art.y[4]])
    # tick labels are log-likelihood values
    label = ax.yaxis.get_major_formatter()(0.0, 0)
    assert float(label) == pytest.approx(ll.max(), abs=0.1)
    with pytest.raises(ValueError, match="current"):
        plots.update_log_likelihood(art, len(fitted.steps))
    lin = plots.plot_log_likelihood(_ax(), fitted.steps, scale="linear")
    np.testing.assert_allclose(lin.y, ll)


def test_log_likelihood_plot_draws_each_gain_to_scale(iris):
    """The default scale is linear: the last, smallest gain is not drawn as the biggest jump
    (on the symlog scale, distance below the best, it is)."""
    _, fitted = iris
    ll = np.array(fitted.history)
    gains = np.diff(ll)
    assert gains[-1] < gains[0] / 10  # a late step is small ...

    def drawn_rise(ax, art, i):  # height on screen of the rise into history[i], in pixels
        xy = np.column_stack([art.x, art.y])
        a, b = ax.transData.transform(xy[[2 * i - 1, 2 * i]])
        return b[1] - a[1]

    ax = _ax()
    art = plots.plot_log_likelihood(ax, fitted)
    assert art.scale == "linear" and ax.get_yscale() == "linear" and art.note is None
    rises = [drawn_rise(ax, art, i) for i in range(1, len(ll))]
    np.testing.assert_allclose(np.array(rises) / rises[0], gains / gains[0], rtol=1e-6)  # ... and drawn so
    ax = _ax()
    art = plots.plot_log_likelihood(ax, fitted, scale="symlog")
    rises = [drawn_rise(ax, art, i) for i in range(1, len(ll))]
    assert np.argmax(rises) == len(rises) - 1  # what the default avoids


def test_log_likelihood_plot_zooms_past_a_poor_starts_first_jump():
    Z = data.standardize(data.load_old_faithful())[0]
    fitted = em.fit(Z, 2, seed=0)
    ll = np.array(fitted.history)
    assert ll[1] - ll[0] > 0.8 * (ll[-1] - ll[0])  # the first iteration climbs most of the way
    ax = _ax()
    art = plots.plot_log_likelihood(ax, fitted)
    bottom, top = ax.get_ylim()
    assert ll[0] < bottom < ll[1] and top > ll[-1]
    assert art.y[0] == art.y[1] == pytest.approx(bottom, abs=0.02 * (top - bottom))  # init and E-step 1
    assert f"{ll[0]:.1f}" in art.note.get_text()
    np.testing.assert_allclose(art.y[2:], [s.log_likelihood for s in fitted.steps[2:]])


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda Z, f: plots.plot_mixture_2d("ax", Z, f.params), TypeError, "ax"),
        (lambda Z, f: plots.plot_mixture_2d(_ax(), Z, "params"), TypeError, "params"),
        (lambda Z, f: plots.plot_mixture_2d(_ax(), Z, f.params, np.ones((3, 3))), ValueError, "resp"),
        (lambda Z, f: plots.plot_mixture_2d(_ax(), Z, f.params, dims=(0, 0)), ValueError, "dims"),
        (lambda Z, f: plots.plot_mixture_2d(_ax(), Z[:, :1], f.params), ValueError, "features"),
        (lambda Z, f: plots.plot_mixture_1d(_ax(), Z, f.params, feature=5), ValueError, "dims"),
        (lambda Z, f: plots.plot_log_likelihood(_ax(), f, scale="log"), ValueError, "scale"),
        (lambda Z, f: plots.plot_log_likelihood(_ax(), [1, 2]), TypeError, "steps"),
        (lambda Z, f: plots.plot_log_likelihood(_ax(), f, current=-1), ValueError, "current"),
    ],
)
def test_bad_arguments_are_refused_by_name(iris, call, error, name):
    Z, fitted = iris
    with pytest.raises(error, match=name):
        call(Z, fitted)


# ---------------------------------------------------------------- colour-vision deficiency
# Machado, Oliveira and Fernandes (2009), severity 1: linear-RGB matrices that simulate
# the three dichromacies. Distances are CIE76 Delta E in CIELAB (D65).
_CVD = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _lab(srgb: np.ndarray) -> np.ndarray:
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def _closest_pair(colors, vision: str) -> float:
    srgb = to_rgba_array(colors)[:, :3]
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ _CVD[vision].T, 0, 1)
    back = np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)
    lab = _lab(back)
    distance = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(len(lab)) * 1e9
    return float(distance.min())


def test_palette_keeps_every_k_apart_under_simulated_colour_blindness():
    # the smallest distance between any two of the first K colours, for K = 2..8, in every
    # vision: at least 15 Delta E (clearly different patches; 2.3 is a just-noticeable difference)
    for vision in _CVD:
        for K in range(2, 9):
            assert _closest_pair(plots.OKABE_ITO[:K], vision) >= 15, (vision, K)
    # and the order is the best for small K: no reordering of the first six (yellow and black
    # kept last, being pale or heavy) keeps K = 3, 4 or 5 further apart in the worst vision
    import itertools

    def worst(colors):
        return min(_closest_pair(colors, vision) for vision in _CVD)

    ours = [round(worst(plots.OKABE_ITO[:K]), 6) for K in (3, 4, 5)]
    for order in itertools.permutations(plots.OKABE_ITO[:6]):
        theirs = [round(worst(order[:K]), 6) for K in (3, 4, 5)]
        assert theirs <= ours, order


# --------------------------------------------------------------------------- text alternatives
def test_a_mixture_plot_is_described_from_its_data_and_follows_updates(iris):
    from gmm_lesson import figures

    Z, fitted = iris
    ax = _ax()
    ax.set_xlabel("sepal length")
    artists = plots.plot_mixture_2d(ax, Z, fitted.params)
    text = figures.description(ax.figure)
    owners = np.bincount(fitted.predict(Z), minlength=3)
    assert f"{len(Z)} points" in text and "Across: sepal length" in text and "Up: feature 1" in text
    for k, (w, m) in enumerate(zip(fitted.params.weights, fitted.params.means, strict=True)):
        assert (f"component {k}: weight {figures.number(w)}, mean at ({figures.number(m[0])}, "
                f"{figures.number(m[1])}), most likely source of {owners[k]} points") in text
    first = fitted.steps[0].params  # the start: other weights, so another sentence
    plots.update_mixture_2d(artists, first)
    again = figures.description(ax.figure)
    assert again != text and f"weight {figures.number(first.weights[0])}, mean at" in again
    assert "Also drawn" not in again  # the library's own artists are not told twice


def test_a_likelihood_plot_names_start_end_and_current_step(iris):
    from gmm_lesson import figures

    _, fitted = iris
    ax = _ax()
    artists = plots.plot_log_likelihood(ax, fitted, current=2)
    ll = [s.log_likelihood for s in fitted.steps]
    text = figures.description(ax.figure)
    assert f"{figures.number(ll[0])} at the start, {figures.number(ll[-1])} at the end" in text
    assert f"The current step, 2, is marked: log-likelihood {figures.number(ll[2])}." in text
    plots.update_log_likelihood(artists, 5)
    assert f"The current step, 5, is marked: log-likelihood {figures.number(ll[5])}." in figures.description(
        ax.figure)
    # a caller's own line on a library plot is told from its data too
    ax.axvline(3, label="tol stops here")
    assert "Also drawn: tol stops here: a vertical line at 3." in figures.description(ax.figure)


def test_a_hand_drawn_panel_is_told_from_its_artists():
    from gmm_lesson import figures

    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.plot([1, 2, 3], [10.5, 7.25, 8.0], "o-", label="BIC")
    left.set(xlabel="K", ylabel="criterion", title="both criteria")
    right.scatter(np.arange(12.0), np.arange(12.0) ** 2)
    right.plot(np.arange(40.0), -np.arange(40.0))
    text = figures.description(fig)
    assert text.startswith("2 charts side by side. Panel 1 of 2: both criteria. Across: K")
    assert "BIC, value at each point: 1: 10.50; 2: 7.25; 3: 8; lowest 7.25 at 2." in text
    assert "points: 12 points, across 0 to 11, up 0 to 121" in text
    assert "a line through 40 points from 0 at 0 to -39 at 39" in text


def test_show_gives_jupyterlab_an_img_with_the_alt_text(monkeypatch):
    import base64

    from IPython import display as ipy_display
    from matplotlib import pyplot as plt

    from gmm_lesson import figures

    fig, ax = plt.subplots()
    ax.plot([0, 1], [2, 3], label='a "quoted" <line>')
    shown = []
    monkeypatch.setattr(figures, "_inline", lambda: True)
    monkeypatch.setattr(ipy_display, "display", lambda *a, **k: shown.append((a, k)))
    text = figures.show(fig)
    ((args, kwargs),) = shown
    bundle = args[0]
    assert kwargs == {"raw": True}
    assert set(bundle) == {"text/html", "text/plain"}  # the PNG once: no image/png beside the <img>
    assert bundle["text/plain"] == text and 'a "quoted" <line>' in text
    assert 'alt="A chart. Across: unnamed' in bundle["text/html"]
    assert "a &quot;quoted&quot; &lt;line&gt;" in bundle["text/html"]  # escaped inside the attribute
    src = bundle["text/html"].split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(src).startswith(b"\x89PNG")
    assert bundle["text/html"].count("base64,") == 1
    assert not plt.fignum_exists(fig.number)  # closed, as the inline backend's show closes it
    assert figures.shown_description(fig) == text


def test_show_outside_a_kernel_calls_plt_show_and_refuses_bad_input(monkeypatch):
    from matplotlib import pyplot as plt

    from gmm_lesson import figures

    calls = []
    monkeypatch.setattr(plt, "show", lambda: calls.append(1))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert figures.show(fig, "my own words") == "my own words" and calls == [1]
    assert figures.shown_description(fig) == "my own words"
    with pytest.raises(TypeError, match="fig"):
        figures.show(ax)
    with pytest.raises(ValueError, match="alt"):
        figures.show(fig, "  ")
    with pytest.raises(TypeError, match="ax"):
        figures.describe(fig, "text")
    with pytest.raises(ValueError, match="text"):
        figures.describe(ax, "")
    with pytest.raises(ValueError, match="no visible axes"):
        figures.description(plt.figure())
    plt.close("all")


def test_a_collapsed_component_is_said_in_the_description():
    from gmm_lesson import figures

    X = np.vstack([np.random.default_rng(0).normal(size=(40, 2)), np.full((3, 2), 5.0)])
    params = em.GMMParams([0.9, 0.1], [[0.0, 0.0], [5.0, 5.0]], [np.eye(2), 1e-6 * np.eye(2)])
    ax = _ax()
    plots.plot_mixture_2d(ax, X, params)
    text = figures.description(ax.figure)
    assert "component 1: weight 0.10, mean at (5, 5), most likely source of 3 points, collapsed onto" in text
    assert text.count("collapsed") == 1


def test_bundle_refuses_what_is_not_a_png_or_an_alt():
    import pytest

    from gmm_lesson import figures

    with pytest.raises(ValueError, match="png"):
        figures.bundle(b"GIF89a", "a chart")
    with pytest.raises(ValueError, match="alt"):
        figures.bundle(b"\x89PNG\r\n\x1a\n", "  ")
