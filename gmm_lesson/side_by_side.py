"""Your EM beside the library's, drawn: :func:`gmm_lesson.compare.compare_em` as a widget.

:class:`SideBySide` runs :func:`~gmm_lesson.compare.compare_em` once and shows

* what it found, in sentences (the first difference, named; any fall of your
  log-likelihood; a failure of your code), above the figure;
* a figure: left, both log-likelihood curves (the library's solid with circles, yours
  dashed with squares), the first difference and every fall marked; right, the data with
  each component's mean and 2-standard-deviation ellipse at the iteration chosen with the
  slider (the library's solid, yours dashed);
* an iteration slider with a labelled number box.

Your code runs in your own kernel, and nothing is graded. A failure of your code is a
sentence in the widget, never a traceback. Under nbgrader (``NBGRADER_EXECUTION`` set)
:func:`gmm_lesson.widgets.show_explorer` shows :func:`static_side_by_side` instead: the
same sentences and figure at the last iteration, with no widget.
"""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as widgets
import numpy as np
from IPython.display import Javascript
from matplotlib import image as mpl_image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse

from . import checks, compare, em, figures, plots
from .widgets import _NAME_CONTROLS_JS

__all__ = ["SideBySide", "StaticSideBySide", "draw_side_by_side", "side_by_side_start", "static_side_by_side"]

_FIGSIZE = (9.6, 4.6)
_LIBRARY = dict(color="0.15", linestyle="-", marker="o", markersize=3, linewidth=1.5)
_YOURS = dict(color=plots.OKABE_ITO[5], linestyle="--", marker="s", markersize=3, linewidth=1.5)


def side_by_side_start(X, init: em.GMMParams | None, n_components: int, seed: int) -> em.GMMParams:
    """The common start: ``init`` if given, else the library's k-means++ start for ``seed``."""
    if init is not None:
        return checks.instance_of(init, em.GMMParams, "init")
    return next(em.em_steps(X, n_components, seed=seed)).params


def _means_text(params: em.GMMParams) -> str:
    return "; ".join(f"component {k} at ({figures.number(m[0])}, {figures.number(m[1])})"
                     for k, m in enumerate(params.means[:, :2]))


class _Drawing:
    """The figure of one comparison: everything but the iteration shown is drawn once.

    With ``blit=True`` the unchanging part (both curves, the data, axes, legends) is
    rendered once into a cached background; :meth:`show` restores it and draws only the
    artists that follow the iteration (the ellipses, the means, the marker line, the
    right panel's title): the standard matplotlib blitting technique, as in the EM
    explorer. ``fig.savefig`` still draws everything.
    """

    def __init__(self, fig: Figure, X: np.ndarray, result: compare.Comparison, blit: bool = False) -> None:
        self.fig, self.X, self.result = fig, X, result
        fig.clear()
        self.ax_ll, self.ax_data = ax_ll, ax_data = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.09, right=0.985, bottom=0.3, top=0.92, wspace=0.3)
        ax_ll.plot(range(len(result.reference)), result.reference, label="library", **_LIBRARY)
        if result.yours:
            ax_ll.plot(range(len(result.yours)), result.yours, label="yours", **_YOURS)
        if result.falls:
            ax_ll.plot(list(result.falls), [result.yours[t] for t in result.falls], linestyle="none",
                       marker="v", markersize=9, color=plots.OKABE_ITO[1], label="your log-likelihood fell")
        if result.parted_at is not None:
            ax_ll.axvline(result.parted_at[0], color=plots.OKABE_ITO[2], linestyle=":",
                          label=f"first difference (iteration {result.parted_at[0]})")
        self.marker = ax_ll.axvline(0, color="0.6", linewidth=0.8, label="iteration shown")
        values = np.array(result.reference + result.yours)
        low, high = values.min(), values.max()
        pad = 0.05 * (high - low) or 1.0
        ax_ll.set_ylim(low - pad, high + pad)
        ax_ll.set(xlabel="iteration", ylabel="log-likelihood (total)")
        ax_ll.set_title("log-likelihood: library and yours")
        ax_ll.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small", frameon=False)

        ax_data.scatter(X[:, 0], X[:, 1], s=8, color="0.7", label="data")
        span = np.ptp(X[:, :2], axis=0)
        ax_data.set_xlim(X[:, 0].min() - 0.3 * span[0], X[:, 0].max() + 0.3 * span[0])
        ax_data.set_ylim(X[:, 1].min() - 0.3 * span[1], X[:, 1].max() + 0.3 * span[1])
        ax_data.set(xlabel="feature 1", ylabel="feature 2")
        ax_data.set_title(" ")
        handles = [
            Line2D([], [], linestyle="none", marker="o", markersize=3, color="0.7", label="data"),
            Line2D([], [], linestyle="-", marker="x", color="0.15", label="library's means and ellipses"),
            Line2D([], [], linestyle="--", marker="+", color="0.15", label="your means and ellipses"),
        ]
        ax_data.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small",
                       frameon=False)
        self.colors = plots.component_colors(result.reference_params[0].n_components)
        self.moving: list = []
        self.background = None
        if blit:
            self.marker.set_animated(True)
            ax_data.title.set_animated(True)
            fig.canvas.draw()
            self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def _draw_run(self, params: em.GMMParams, style: str, marker: str) -> None:
        ax = self.ax_data
        for k in range(params.n_components):
            width, height, angle = plots.ellipse_geometry(params.full_covariances()[k][:2, :2], 2.0)
            ellipse = Ellipse(params.means[k, :2], width, height, angle=angle, fill=False,
                              edgecolor=self.colors[k], linestyle=style, linewidth=1.6)
            self.moving.append(ax.add_patch(ellipse))
        self.moving.append(ax.scatter(params.means[:, 0], params.means[:, 1], marker=marker, s=70,
                                      color=self.colors, linewidths=2))

    def show(self, iteration: int) -> None:
        """Draw the right panel after ``iteration`` and move the marker line to it."""
        result, ax = self.result, self.ax_data
        for artist in self.moving:
            artist.remove()
        self.moving = []
        reference = result.reference_params[iteration]
        yours = result.your_params[iteration] if iteration < len(result.your_params) else None
        self._draw_run(reference, "-", "x")
        if yours is not None:
            self._draw_run(yours, "--", "+")
        self.marker.set_xdata([iteration, iteration])
        ax.set_title(f"after iteration {iteration}")
        mine = (f"Your means: {_means_text(yours)}." if yours is not None
                else f"Your run stopped before iteration {iteration}: nothing of yours is drawn.")
        figures.describe(ax, (
            f"The {len(self.X)} points in grey; each component's mean and 2-standard-deviation ellipse after "
            f"iteration {iteration}, the library's solid with x, yours dashed with +, one colour per "
            f"component. The library's means: {_means_text(reference)}. {mine}"
        ))
        if self.background is not None:
            canvas = self.fig.canvas
            canvas.restore_region(self.background)
            for artist in [*self.moving, ax.title]:
                artist.set_animated(True)
                self.fig.draw_artist(artist)
            self.fig.draw_artist(self.marker)

    def png(self, dpi: int) -> bytes:
        """The figure as PNG bytes; from the blitted canvas when there is one."""
        buf = io.BytesIO()
        if self.background is None:
            self.fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
        else:
            mpl_image.imsave(buf, np.asarray(self.fig.canvas.buffer_rgba()), format="png",
                             pil_kwargs={"compress_level": 1})
        return buf.getvalue()


def draw_side_by_side(fig: Figure, X: np.ndarray, result: compare.Comparison, iteration: int) -> None:
    """Draw ``result`` on ``fig`` (cleared first), the right panel after ``iteration``."""
    _Drawing(fig, X, result).show(iteration)


def _summary_html(result: compare.Comparison) -> str:
    icon = "&#10004;" if result.agrees else "&#9888;"
    colour = "#1A6" if result.agrees else "#A33"
    return "".join(f'<p style="color:{colour}; margin:0.2em 0">{icon} {html.escape(s)}</p>'
                   for s in result.summary)


def _img(png: bytes, alt: str) -> str:
    png = base64.b64encode(png).decode("ascii")
    return (f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width:100%; height:auto">')


def _arguments(X, e_step, m_step, init, n_components, seed, max_iter, dpi):
    X = checks.array_2d(X)
    if X.shape[1] < 2:
        raise ValueError(f"X must have at least 2 features to draw, got {X.shape[1]}")
    n_components = checks.integer(n_components, "n_components", 1)
    if n_components > len(plots.OKABE_ITO):
        raise ValueError(f"n_components must be <= {len(plots.OKABE_ITO)}, got {n_components}")
    seed = checks.integer(seed, "seed", 0)
    dpi = checks.integer(dpi, "dpi", 20)
    start = side_by_side_start(X, init, n_components, seed)
    return X, compare.compare_em(X, start, e_step, m_step, max_iter=max_iter), dpi


class SideBySide(widgets.VBox):
    """Your ``e_step`` and ``m_step`` beside the library's, from the same start.

    Parameters
    ----------
    X : array-like, shape (N, D), D >= 2
        The data (used as given; the right panel shows the first two features).
    e_step, m_step : callable
        Yours: ``e_step(X, params) -> (resp, log_likelihood)``, ``m_step(X, resp) -> em.GMMParams``.
    init : em.GMMParams, optional
        The common start (full covariances). Default: the library's k-means++ start.
    n_components, seed : int
        K and the seed of that k-means++ start (ignored with ``init``).
    max_iter : int
        Iterations of each run.
    dpi : int

    Attributes
    ----------
    result : compare.Comparison
    summary : ipywidgets.HTML
        What was found, in sentences (fixed: the slider changes only the picture).
    iteration_slider, iteration_text : ipywidgets.IntSlider, ipywidgets.BoundedIntText
        The iteration the right panel shows (linked).
    image : ipywidgets.HTML
        The figure as an ``<img>`` with its text alternative.
    fig : matplotlib.figure.Figure
    alt_text : str
    """

    def __init__(self, X, e_step, m_step, *, init: em.GMMParams | None = None, n_components: int = 2,
                 seed: int = 0, max_iter: int = 30, dpi: int = 100) -> None:
        self.X, self.result, self.dpi = _arguments(X, e_step, m_step, init, n_components, seed, max_iter, dpi)
        last = len(self.result.reference) - 1
        self.summary = widgets.HTML(_summary_html(self.result))
        self.summary.add_class("gmm-side-by-side-summary")
        self.iteration_slider = widgets.IntSlider(value=last, min=0, max=last, continuous_update=False,
                                                  readout=False, description="", tooltip="iteration shown",
                                                  layout=widgets.Layout(width="340px"))
        self.iteration_text = widgets.BoundedIntText(
            value=last, min=0, max=last, description="Iteration shown",
            style={"description_width": "initial"}, layout=widgets.Layout(width="190px"),
        )
        self._link = widgets.link((self.iteration_text, "value"), (self.iteration_slider, "value"))
        self.image = widgets.HTML()
        self.fig = Figure(figsize=_FIGSIZE, dpi=self.dpi)
        FigureCanvasAgg(self.fig)
        self.alt_text = ""
        self._drawing = _Drawing(self.fig, self.X, self.result, blit=True)
        self.show_iteration(last)
        self.iteration_slider.observe(lambda change: self.show_iteration(change["new"]), names="value")
        # the explorer's page script gives the slider's handle its name ("iteration shown")
        self._accessibility = widgets.Output(layout=widgets.Layout(display="none"))
        super().__init__(children=[self.summary, widgets.HBox([self.iteration_text, self.iteration_slider]),
                                   self.image, self._accessibility])
        self.add_class("gmm-side-by-side")
        self.add_class("gmm-em-explorer")  # where that script looks
        self._accessibility.append_display_data(Javascript(_NAME_CONTROLS_JS))

    def show_iteration(self, iteration: int) -> None:
        """Redraw with the right panel after ``iteration``."""
        iteration = checks.integer(iteration, "iteration", 0)
        if iteration >= len(self.result.reference):
            raise ValueError(f"iteration must be < {len(self.result.reference)}, got {iteration}")
        self._drawing.show(iteration)
        self.alt_text = figures.description(self.fig)
        self.image.value = _img(self._drawing.png(self.dpi), self.alt_text)


class StaticSideBySide:
    """The sentences and the figure at the last iteration, as HTML: no widget."""

    def __init__(self, X, result: compare.Comparison, dpi: int) -> None:
        self.result = result
        self.fig = Figure(figsize=_FIGSIZE, dpi=dpi)
        FigureCanvasAgg(self.fig)
        drawing = _Drawing(self.fig, X, result)
        drawing.show(len(result.reference) - 1)
        self.alt_text = figures.description(self.fig)
        self._html = _summary_html(result) + _img(drawing.png(dpi), self.alt_text)

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return "\n".join([*self.result.summary, self.alt_text])


def static_side_by_side(X, e_step, m_step, *, init: em.GMMParams | None = None, n_components: int = 2,
                        seed: int = 0, max_iter: int = 30, dpi: int = 100) -> StaticSideBySide:
    """:class:`SideBySide` without a widget: its sentences and its figure at the last iteration."""
    X, result, dpi = _arguments(X, e_step, m_step, init, n_components, seed, max_iter, dpi)
    return StaticSideBySide(X, result, dpi)
