"""Matplotlib drawings of a Gaussian mixture and of EM at work.

* :func:`plot_mixture_2d` -- points coloured by their responsibilities (a soft mix of
  the component colours), each component drawn as ellipses at 1 and 2 standard
  deviations, means marked.
* :func:`plot_mixture_1d` -- a histogram and rug of the data, each weighted
  component's bell curve and the mixture density.
* :func:`plot_log_likelihood` -- the log-likelihood after every half-step of EM, with
  the current step marked.

Every function takes the ``ax`` to draw on and returns the artists it made, in a
small dataclass. Each labels both axes (callers may relabel them afterwards) and puts
its legend outside the plotting area, to the right, so no key hides a data point
(``legend_loc`` puts it inside instead, where a figure has no room beside the axes).
The matching ``update_*`` function moves those artists to another
EM step in place (cheap: no new artists), which is what the explorer widget does
while replaying. Nothing here calls ``plt.show()`` or creates a figure.

Colours are the Okabe-Ito palette (Okabe, M. and Ito, K. (2008) *Color Universal
Design*), which stays distinguishable for the common kinds of colour blindness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba_array
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from . import checks, em, figures
from .figures import number as _num

__all__ = [
    "OKABE_ITO",
    "BELOW",
    "OUTSIDE",
    "RADII",
    "LikelihoodArtists",
    "Mixture1DArtists",
    "Mixture2DArtists",
    "component_colors",
    "ellipse_geometry",
    "mass_within",
    "plot_log_likelihood",
    "plot_mixture_1d",
    "plot_mixture_2d",
    "set_ylim_1d",
    "soft_colors",
    "step_positions",
    "update_log_likelihood",
    "update_mixture_1d",
    "update_mixture_2d",
]

#: Okabe-Ito colours, in the order whose first K stay furthest apart (smallest CIELAB
#: distance between any two) for every K, under simulated protanopia, deuteranopia and
#: tritanopia as well as normal vision (tests/test_plots.py measures it); yellow last but
#: one, as it is pale on white. Components are numbered too, so colour is never the only cue.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Mahalanobis radii (in standard deviations) of the ellipses drawn per component.
RADII: tuple[float, ...] = (1.0, 2.0)
_LINESTYLES = ("-", "--", ":", "-.")


# --------------------------------------------------------------------------- helpers
def mass_within(radius: float, n_dims: int = 2) -> float:
    """Probability mass of a Gaussian within Mahalanobis distance ``radius`` of its mean.

    In 2-D the squared distance is chi-squared with 2 degrees of freedom, so the mass
    is :math:`1 - e^{-r^2/2}`: 39.3% within 1 standard deviation, 86.5% within 2.
    In 1-D it is :math:`\\operatorname{erf}(r/\\sqrt{2})`: 68.3% and 95.4%.

    Parameters
    ----------
    radius : float >= 0
    n_dims : {1, 2}

    Returns
    -------
    float
    """
    radius = checks.nonnegative(radius, "radius")
    if n_dims == 1:
        return math.erf(radius / math.sqrt(2))
    if n_dims == 2:
        return 1.0 - math.exp(-(radius**2) / 2)
    raise ValueError(f"n_dims must be 1 or 2, got {n_dims!r}")


def component_colors(n_components: int, colors: Sequence[str] | None = None) -> np.ndarray:
    """RGBA colours of the first ``n_components`` palette entries, shape (K, 4)."""
    palette = OKABE_ITO if colors is None else tuple(colors)
    n_components = checks.integer(n_components, "n_components", 1)
    if n_components > len(palette):
        raise ValueError(
            f"n_components={n_components} but the palette has only {len(palette)} colours; "
            "pass more colours, or use fewer components (more cannot be told apart by colour)"
        )
    return to_rgba_array(palette[:n_components])


def soft_colors(resp, colors: Sequence[str] | None = None) -> np.ndarray:
    """Each point's colour as the responsibility-weighted mix of the component colours.

    A point owned by one component gets that component's colour; a point shared
    50/50 between two gets the average of their colours.

    Parameters
    ----------
    resp : array-like, shape (N, K)
        Responsibilities, rows summing to 1.
    colors : sequence of str, optional
        Component colours; defaults to :data:`OKABE_ITO`.

    Returns
    -------
    array, shape (N, 4)
        RGBA, opaque.
    """
    resp = checks.array_2d(resp, "resp")
    rgba = component_colors(resp.shape[1], colors)
    mixed = np.empty((resp.shape[0], 4))
    mixed[:, :3] = np.clip(resp @ rgba[:, :3], 0.0, 1.0)
    mixed[:, 3] = 1.0
    return mixed


def ellipse_geometry(covariance, radius: float = 1.0) -> tuple[float, float, float]:
    """Width, height and angle (degrees) of the ellipse at Mahalanobis distance ``radius``.

    The axes of the ellipse are the eigenvectors of the 2 x 2 covariance; their
    half-lengths are ``radius * sqrt(eigenvalue)``.

    Parameters
    ----------
    covariance : array-like, shape (2, 2)
        Symmetric positive definite.
    radius : float
        In standard deviations.

    Returns
    -------
    width, height, angle : float
        As :class:`matplotlib.patches.Ellipse` takes them (full lengths; angle of the
        width axis, counter-clockwise from the x axis).
    """
    cov = np.asarray(covariance, dtype=float)
    if cov.shape != (2, 2):
        raise ValueError(f"covariance must have shape (2, 2), got {cov.shape}")
    radius = checks.nonnegative(radius, "radius")
    eigvals, eigvecs = np.linalg.eigh(cov)  # ascending
    if eigvals[0] <= 0:
        raise ValueError("covariance must be positive definite")
    major = eigvecs[:, 1]
    angle = math.degrees(math.atan2(major[1], major[0]))
    return 2 * radius * math.sqrt(eigvals[1]), 2 * radius * math.sqrt(eigvals[0]), angle


def _check_ax(ax) -> Axes:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _check_params(params) -> em.GMMParams:
    if not isinstance(params, em.GMMParams):
        raise TypeError(f"params must be an em.GMMParams, got {type(params).__name__}")
    return params


def _resp_for(X: np.ndarray, params: em.GMMParams, resp) -> np.ndarray:
    if resp is None:
        return em.e_step(X, params)[0]
    resp = checks.array_2d(resp, "resp")
    if resp.shape != (X.shape[0], params.n_components):
        raise ValueError(
            f"resp must have shape (n_samples={X.shape[0]}, K={params.n_components}), got {resp.shape}"
        )
    return resp


def _marginal(params: em.GMMParams, dims: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariances of the components on the features ``dims``."""
    idx = np.asarray(dims)
    covs = params.full_covariances()[:, idx][:, :, idx]
    return params.means[:, idx], covs


#: Where the legends go by default: just right of the axes, top-aligned, off the data.
OUTSIDE = "outside"
#: Or in one row under the axes (the 2-D mixture's default).
BELOW = "below"


def _legend(ax: Axes, handles: list | None, legend_loc: str) -> None:
    """Draw the legend off the data: right of the axes (``OUTSIDE``), in one row under
    them (``BELOW``), or at a matplotlib ``loc`` inside them."""
    if not isinstance(legend_loc, str):
        raise TypeError(f"legend_loc must be a string, got {type(legend_loc).__name__}")
    kwargs = {"fontsize": "small", "framealpha": 0.85}
    if handles is not None:
        kwargs["handles"] = handles
    if legend_loc == OUTSIDE:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)
    elif legend_loc == BELOW:
        n_entries = len(handles if handles is not None else ax.get_legend_handles_labels()[0])
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=max(n_entries, 1),
                  frameon=False, handlelength=2.2, columnspacing=1.2,
                  **{key: value for key, value in kwargs.items() if key != "framealpha"})
    else:
        try:
            ax.legend(loc=legend_loc, **kwargs)
        except ValueError as error:
            raise ValueError(
                f"legend_loc must be 'outside' or a matplotlib legend loc, got {legend_loc!r}"
            ) from error


def _default_label(axis, text: str) -> None:
    """Label an axis that has no label yet (a caller's own label is kept)."""
    if not axis.get_label_text():
        axis.set_label_text(text)


def _check_dims(dims, n_features: int, n: int) -> tuple[int, ...]:
    dims = tuple(dims)
    if len(dims) != n or len(set(dims)) != n:
        raise ValueError(f"dims must be {n} different feature indices, got {dims}")
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d < n_features:
            raise ValueError(f"dims must be feature indices in [0, {n_features}), got {dims}")
    return tuple(int(d) for d in dims)


# --------------------------------------------------------------------------- 2-D
@dataclass(eq=False)
class Mixture2DArtists:
    """The artists :func:`plot_mixture_2d` drew.

    Attributes
    ----------
    scatter : PathCollection
        The data points; facecolours are the soft colours.
    ellipses : list of list of Ellipse
        ``ellipses[k][j]`` is component ``k`` at radius ``radii[j]``.
    means : PathCollection
        One marker per component mean.
    radii : tuple of float
    dims : tuple of int
        The two features shown.
    colors : array, shape (K, 4)
    numbers : list of Annotation
        Component ``k``'s number beside its mean, so components differ by more than colour.
    """

    scatter: PathCollection
    ellipses: list[list[Ellipse]]
    means: PathCollection
    radii: tuple[float, ...]
    dims: tuple[int, int]
    colors: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    palette: tuple[str, ...] | None = None
    numbers: list = field(default_factory=list, repr=False)


def _note_2d(ax: Axes, X: np.ndarray, params: em.GMMParams, resp: np.ndarray, dims: tuple[int, ...]) -> None:
    """Record, for the figure's text alternative, what :func:`plot_mixture_2d` shows."""
    means, covs = _marginal(params, dims)
    owners = np.bincount(resp.argmax(axis=1), minlength=params.n_components)
    # a component squeezed onto (almost) one point: smallest variance under 1e-4 of the data's
    smallest = np.linalg.eigvalsh(covs)[:, 0]
    collapsed = smallest < 1e-4 * float(np.mean(np.var(X[:, list(dims)], axis=0)))
    parts = [
        f"component {k}: weight {_num(w)}, mean at ({_num(m[0])}, {_num(m[1])}), most likely source of "
        f"{int(n)} point{'s' if n != 1 else ''}"
        + (f", collapsed onto almost a single point (smallest variance {_num(v)})" if c else "")
        for k, (w, m, n, v, c) in enumerate(
            zip(params.weights, means, owners, smallest, collapsed, strict=True))
    ]
    figures.describe(ax, (
        f"{len(X)} points, each coloured by its responsibilities (a mix of its components' colours), and "
        f"{params.n_components} Gaussian component{'s' if params.n_components != 1 else ''}, each drawn as "
        "ellipses at 1 and 2 standard deviations around its mean, marked with a cross and its number: "
        + "; ".join(parts) + "."
    ), key="mixture")


def plot_mixture_2d(
    ax: Axes,
    X,
    params: em.GMMParams,
    resp=None,
    *,
    dims: Sequence[int] = (0, 1),
    radii: Sequence[float] = RADII,
    colors: Sequence[str] | None = None,
    legend: bool = True,
    legend_loc: str = BELOW,
    point_size: float = 18.0,
) -> Mixture2DArtists:
    """Draw 2-D data coloured by responsibility, with each component's ellipses.

    Parameters
    ----------
    ax : matplotlib Axes
    X : array-like, shape (N, D), D >= 2
        The data the responsibilities belong to.
    params : em.GMMParams
        The mixture. Works for every covariance type.
    resp : array-like (N, K), optional
        Responsibilities; computed by an E-step when omitted.
    dims : two ints
        The features on the x and y axes. For D > 2 the ellipses are the components'
        marginal distributions on these two features.
    radii : floats
        Mahalanobis radii of the ellipses, in standard deviations.
    colors : sequence of str, optional
        Component colours (default :data:`OKABE_ITO`).
    legend : bool
        Add a legend saying how much probability each ellipse encloses.
    legend_loc : str
        ``"below"`` (default): one row under the axes, off the data (leave room under
        the x label for it); ``"outside"``: right of the axes. Any other value is a
        matplotlib ``loc`` inside the axes (``"best"``, ``"upper right"``, ...).
    point_size : float

    The axes are labelled ``feature i`` (the column shown) unless they already have
    a label; set your own with ``ax.set_xlabel`` before or after.

    Returns
    -------
    Mixture2DArtists
    """
    ax = _check_ax(ax)
    X = checks.array_2d(X)
    params = _check_params(params)
    checks.same_features(X, params)
    dims = _check_dims(dims, X.shape[1], 2)
    radii = tuple(checks.nonnegative(r, "radii") for r in radii)
    if not radii or len(radii) > len(_LINESTYLES):
        raise ValueError(f"radii must hold 1 to {len(_LINESTYLES)} radii, got {radii}")
    resp = _resp_for(X, params, resp)
    K = params.n_components
    rgba = component_colors(K, colors)
    xy = X[:, list(dims)]
    scatter = ax.scatter(xy[:, 0], xy[:, 1], s=point_size, c=soft_colors(resp, colors),
                         edgecolors="white", linewidths=0.3, zorder=2)
    means, covs = _marginal(params, dims)
    ellipses = []
    for k in range(K):
        row = []
        for j, r in enumerate(radii):
            w, h, angle = ellipse_geometry(covs[k], r)
            patch = Ellipse(means[k], w, h, angle=angle, facecolor="none", edgecolor=rgba[k],
                            linestyle=_LINESTYLES[j], linewidth=2.0 if j == 0 else 1.4, zorder=3,
                            label=f"component {k}, {r:g} sd ({mass_within(r):.1%})")
            ax.add_patch(patch)
            row.append(patch)
        ellipses.append(row)
    mean_markers = ax.scatter(means[:, 0], means[:, 1], marker="X", s=120, c=rgba,
                              edgecolors="black", linewidths=1.0, zorder=4)
    numbers = [_number(ax, k, means[k]) for k in range(K)]
    pad = 0.08 * np.ptp(xy, axis=0) + 1e-9
    ax.set_xlim(xy[:, 0].min() - pad[0], xy[:, 0].max() + pad[0])
    ax.set_ylim(xy[:, 1].min() - pad[1], xy[:, 1].max() + pad[1])
    if not ax.get_xlabel():
        ax.set_xlabel(f"feature {dims[0]}")
    if not ax.get_ylabel():
        ax.set_ylabel(f"feature {dims[1]}")
    if legend:  # below the axes, off the data
        handles = [Line2D([], [], color="0.3", linestyle=_LINESTYLES[j], linewidth=2.0 if j == 0 else 1.4,
                          label=f"{r:g} sd (holds {mass_within(r):.1%})")
                   for j, r in enumerate(radii)]
        handles.append(Line2D([], [], marker="X", linestyle="none", color="0.5", markeredgecolor="black",
                              markersize=9, label="component mean"))
        _legend(ax, handles, legend_loc)
    _default_label(ax.xaxis, f"feature {dims[0]}")
    _default_label(ax.yaxis, f"feature {dims[1]}")
    _note_2d(ax, X, params, resp, dims)
    return Mixture2DArtists(scatter, ellipses, mean_markers, radii, dims, rgba, X,
                            None if colors is None else tuple(colors), numbers)


def _number(ax: Axes, k: int, xy) -> object:
    """Component ``k``'s number at ``xy`` (data coordinates), legible on any colour."""
    return ax.annotate(str(k), xy=tuple(xy), xytext=(7, 6), textcoords="offset points", fontsize="medium",
                       fontweight="bold", color="black", zorder=5, annotation_clip=False,
                       path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])


def update_mixture_2d(artists: Mixture2DArtists, params: em.GMMParams, resp=None) -> None:
    """Move the artists of :func:`plot_mixture_2d` to ``params`` and ``resp``, in place.

    ``params`` must have the same number of components as the drawing.
    """
    params = _check_params(params)
    if params.n_components != len(artists.ellipses):
        raise ValueError(
            f"params has {params.n_components} components but the drawing has {len(artists.ellipses)}; "
            "draw again with plot_mixture_2d"
        )
    resp = _resp_for(artists.X, params, resp)
    artists.scatter.set_facecolor(soft_colors(resp, artists.palette))
    means, covs = _marginal(params, artists.dims)
    for k, row in enumerate(artists.ellipses):
        for patch, r in zip(row, artists.radii, strict=True):
            w, h, angle = ellipse_geometry(covs[k], r)
            patch.set_center(means[k])
            patch.set_width(w)
            patch.set_height(h)
            patch.set_angle(angle)
    artists.means.set_offsets(means)
    for number, mean in zip(artists.numbers, means, strict=True):
        number.xy = tuple(mean)
    _note_2d(artists.scatter.axes, artists.X, params, resp, artists.dims)


# --------------------------------------------------------------------------- 1-D
@dataclass(eq=False)
class Mixture1DArtists:
    """The artists :func:`plot_mixture_1d` drew.

    Attributes
    ----------
    hist : BarContainer
        Histogram of the data (density scale).
    rug : PathCollection
        One tick per point along the bottom, coloured by responsibility.
    components : list of Line2D
        :math:`\\pi_k \\mathcal{N}(x|\\mu_k,\\sigma_k^2)` for each component.
    mixture : Line2D
        Their sum, the mixture density.
    grid : array
        The x values of the curves.
    numbers : list of Annotation
        Component ``k``'s number at the peak of its curve.
    """

    hist: BarContainer
    rug: PathCollection
    components: list[Line2D]
    mixture: Line2D
    grid: np.ndarray = field(repr=False)
    feature: int
    X: np.ndarray = field(repr=False)
    hist_max: float
    palette: tuple[str, ...] | None = None
    numbers: list = field(default_factory=list, repr=False)


def _weighted_densities(grid: np.ndarray, params: em.GMMParams, feature: int) -> np.ndarray:
    """:math:`\\pi_k \\mathcal{N}(x|\\mu_k,\\sigma_k^2)` on ``grid`` for every k, shape (K, G)."""
    marginal = em.GMMParams(params.weights, *_marginal(params, (feature,)))  # the mixture on one feature
    return np.exp(em.weighted_log_prob(grid[:, None], marginal)).T


def _set_1d_ylim(artists: Mixture1DArtists, top: float | None = None) -> None:
    if top is None:
        top = max(line.get_ydata().max() for line in (*artists.components, artists.mixture))
    # a collapsed component can spike far above the data; keep the histogram readable
    limit = max(artists.hist_max, min(top, 4 * artists.hist_max))
    artists.mixture.axes.set_ylim(0, 1.12 * limit)


def set_ylim_1d(artists: Mixture1DArtists, params_seq: Sequence[em.GMMParams]) -> None:
    """Fix the y range of a 1-D drawing so it fits the curves of every ``params`` given.

    Use it before replaying many steps with ``update_mixture_1d(..., rescale=False)``,
    so the axis does not jump from step to step. Spikes of a collapsed component
    above 4 times the tallest histogram bar are cut off, to keep the data readable.
    """
    params_seq = [_check_params(p) for p in params_seq]
    if not params_seq:
        raise ValueError("params_seq must hold at least one GMMParams")
    top = max(float(_weighted_densities(artists.grid, p, artists.feature).sum(axis=0).max())
              for p in params_seq)
    _set_1d_ylim(artists, top)


def _note_1d(ax: Axes, x: np.ndarray, grid: np.ndarray, params: em.GMMParams, feature: int) -> None:
    """Record, for the figure's text alternative, what :func:`plot_mixture_1d` shows."""
    dens = _weighted_densities(grid, params, feature)
    sd = np.sqrt(params.full_covariances()[:, feature, feature])
    parts = [
        f"component {k}: weight {_num(params.weights[k])}, mean {_num(params.means[k, feature])}, "
        f"standard deviation {_num(sd[k])}, peak {_num(_peak(grid, dens[k])[1])}"
        for k in range(params.n_components)
    ]
    top_x, top_y = _peak(grid, dens.sum(axis=0))
    figures.describe(ax, (
        f"A histogram of {len(x)} values from {_num(x.min())} to {_num(x.max())}, with a rug of ticks "
        f"coloured by responsibility; {params.n_components} weighted component curves (dashed, "
        f"numbered at their peaks): " + "; ".join(parts)
        + f". The mixture density (solid black) is highest, {_num(top_y)}, at {_num(top_x)}."
    ), key="mixture")


def plot_mixture_1d(
    ax: Axes,
    X,
    params: em.GMMParams,
    resp=None,
    *,
    feature: int = 0,
    bins: int | str = "auto",
    colors: Sequence[str] | None = None,
    legend: bool = True,
    legend_loc: str = OUTSIDE,
    n_grid: int = 400,
) -> Mixture1DArtists:
    """Draw 1-D data as a histogram and rug, each weighted component and the mixture.

    Parameters
    ----------
    ax : matplotlib Axes
    X : array-like, shape (N, D)
    params : em.GMMParams
    resp : array-like (N, K), optional
        Colours the rug ticks; computed by an E-step when omitted.
    feature : int
        Which feature to show (for D > 1 the curves are the marginal densities).
    bins : int or str
        Passed to :meth:`matplotlib.axes.Axes.hist`.
    colors : sequence of str, optional
    legend : bool
    legend_loc : str
        ``"outside"`` (default): right of the axes, off the data; otherwise a
        matplotlib ``loc`` inside the axes.
    n_grid : int
        Number of x values for the curves.

    The x axis is labelled ``feature i`` unless it already has a label, the y axis
    ``density``.

    Returns
    -------
    Mixture1DArtists
    """
    ax = _check_ax(ax)
    X = checks.array_2d(X)
    params = _check_params(params)
    checks.same_features(X, params)
    (feature,) = _check_dims((feature,), X.shape[1], 1)
    n_grid = checks.integer(n_grid, "n_grid", 2)
    resp = _resp_for(X, params, resp)
    K = params.n_components
    rgba = component_colors(K, colors)
    x = X[:, feature]
    heights, _, hist = ax.hist(x, bins=bins, density=True, color="0.85", edgecolor="0.6",
                               label="data (histogram)", zorder=1)
    span = np.ptp(x) if np.ptp(x) > 0 else 1.0
    grid = np.linspace(x.min() - 0.15 * span, x.max() + 0.15 * span, n_grid)
    rug = ax.scatter(x, np.full_like(x, 0.03), marker="|", s=250, c=soft_colors(resp, colors),
                     linewidths=1.5, transform=ax.get_xaxis_transform(), zorder=3)
    dens = _weighted_densities(grid, params, feature)
    components = [
        ax.plot(grid, dens[k], color=rgba[k], linewidth=2.4, linestyle="--",
                label=f"component {k} (weighted)", zorder=3)[0]
        for k in range(K)
    ]
    (mixture,) = ax.plot(grid, dens.sum(axis=0), color="black", linewidth=1.4, label="mixture density",
                         zorder=2)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylabel("density")
    _default_label(ax.xaxis, f"feature {feature}")
    numbers = [_number(ax, k, _peak(grid, dens[k])) for k in range(K)]
    artists = Mixture1DArtists(hist, rug, components, mixture, grid, feature, X, float(np.max(heights)),
                               None if colors is None else tuple(colors), numbers)
    _set_1d_ylim(artists)
    if legend:
        _legend(ax, None, legend_loc)
    _note_1d(ax, x, grid, params, feature)
    return artists


def _peak(grid: np.ndarray, density: np.ndarray) -> tuple[float, float]:
    """Where a component's curve peaks (its number goes there)."""
    i = int(np.argmax(density))
    return float(grid[i]), float(density[i])


def update_mixture_1d(
    artists: Mixture1DArtists, params: em.GMMParams, resp=None, *, rescale: bool = True
) -> None:
    """Move the curves and rug colours of :func:`plot_mixture_1d` to ``params``, in place.

    With ``rescale=False`` the y range is left as it is (see :func:`set_ylim_1d`).
    """
    params = _check_params(params)
    if params.n_components != len(artists.components):
        raise ValueError(
            f"params has {params.n_components} components but the drawing has "
            f"{len(artists.components)}; draw again with plot_mixture_1d"
        )
    resp = _resp_for(artists.X, params, resp)
    artists.rug.set_facecolor(soft_colors(resp, artists.palette))
    artists.rug.set_edgecolor(soft_colors(resp, artists.palette))
    dens = _weighted_densities(artists.grid, params, artists.feature)
    for line, d in zip(artists.components, dens, strict=True):
        line.set_ydata(d)
    for number, d in zip(artists.numbers, dens, strict=True):
        number.xy = _peak(artists.grid, d)
    artists.mixture.set_ydata(dens.sum(axis=0))
    _note_1d(artists.mixture.axes, artists.X[:, artists.feature], artists.grid, params, artists.feature)
    if rescale:
        _set_1d_ylim(artists)


# --------------------------------------------------------------------------- log-likelihood
def step_positions(steps: Sequence[em.EMStep]) -> tuple[np.ndarray, np.ndarray]:
    """Where each EM half-step sits on the log-likelihood plot.

    The initialisation is at 0, the M-step of iteration *t* at *t*, and the E-step
    of iteration *t* half-way, at *t - 0.5*. The E-step does not change the
    parameters, so its log-likelihood equals the one before it: the curve is flat
    over every E-step and climbs over every M-step.

    Returns
    -------
    x, log_likelihood : arrays of shape (len(steps),)
    """
    if not isinstance(steps, Sequence) or not steps or not all(isinstance(s, em.EMStep) for s in steps):
        raise TypeError("steps must be a non-empty list of em.EMStep (e.g. fitted.steps)")
    x = np.array([s.iteration - 0.5 if s.phase == "E" else float(s.iteration) for s in steps])
    y = np.array([s.log_likelihood for s in steps])
    return x, y


@dataclass(eq=False)
class LikelihoodArtists:
    """The artists :func:`plot_log_likelihood` drew.

    Attributes
    ----------
    line : Line2D
        The log-likelihood over every half-step.
    marker : Line2D
        The current step.
    x, y : arrays
        Positions of every step in data coordinates (``y`` is the plotted value: the
        log-likelihood, raised to the panel's lower edge for steps below a zoomed
        panel; on the symlog scale the distance below the best log-likelihood).
    log_likelihood : array
        The log-likelihood of every step.
    scale : str
    note : Text or None
        The start's value, written when it is below a zoomed panel.
    """

    line: Line2D
    marker: Line2D
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    log_likelihood: np.ndarray = field(repr=False)
    scale: str = "linear"
    note: Text | None = None


def plot_log_likelihood(
    ax: Axes,
    steps,
    current: int | None = None,
    *,
    scale: str = "linear",
) -> LikelihoodArtists:
    """Plot the log-likelihood after every EM half-step, marking step ``current``.

    ``scale="linear"`` (the default) plots the log-likelihood itself, so each step's rise
    is drawn in proportion to its size: a late, small gain looks small. When the first
    iteration climbs more than 80% of the whole way (a poor start), the panel is zoomed
    on the climb after it: the steps below the panel are drawn as triangles on its lower
    edge and the start's value is written in the corner. ``scale="symlog"`` plots the
    distance below the best value on a symmetric-log scale (linear near the top,
    logarithmic further down): it spreads small gains out, so a late step can look as
    large as the first.

    Parameters
    ----------
    ax : matplotlib Axes
    steps : list of em.EMStep, or em.FittedGMM
    current : int, optional
        Index into ``steps`` of the step to mark; default the last.
    scale : {"linear", "symlog"}

    Returns
    -------
    LikelihoodArtists
    """
    ax = _check_ax(ax)
    if isinstance(steps, em.FittedGMM):
        steps = steps.steps
    if scale not in ("symlog", "linear"):
        raise ValueError(f"scale must be 'symlog' or 'linear', got {scale!r}")
    x, ll = step_positions(steps)
    current = _check_current(current, len(steps))
    note = None
    if scale == "symlog":
        best = float(ll.max())
        y = best - ll
        top = float(y.max())
        # linear within a hundredth-ish of the whole climb, logarithmic beyond
        linthresh = 10.0 ** math.floor(math.log10(top / 50)) if top > 0 else 1e-3
        digits = max(1, -math.floor(math.log10(linthresh)))
        ticks = [0.0] + [m * 10.0**e for e in range(round(math.log10(linthresh)), 12) for m in (1, 3)
                         if m * 10.0**e <= max(top * 1.3, linthresh)]
        ax.set_yscale("symlog", linthresh=linthresh)
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda g, _pos: f"{best - g:.{digits}f}"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(max(top * 1.3, linthresh), -linthresh * 0.3)  # inverted: best at the top
        ax.set_ylabel("log-likelihood\n(symlog distance below best)")
    else:
        low, high = float(ll.min()), float(ll.max())
        later = ll[x >= 1.0]  # from the first M-step on
        if later.size and high > float(later.min()) and float(later.min()) - low > 0.8 * (high - low):
            low = float(later.min())  # zoom on the climb after a poor start's first jump
        pad = 0.06 * (high - low) if high > low else 1.0
        bottom = low - pad
        below = ll < bottom
        y = np.where(below, bottom, ll)
        ax.set_ylim(bottom - 0.02 * pad, high + pad)
        ax.set_ylabel("log-likelihood")
        if below.any():
            ax.plot(x[below], y[below], marker="v", markersize=7, color="0.35", linestyle="none", zorder=2,
                    clip_on=False)
            note = ax.text(0.02, 0.96, f"start {ll[0]:.1f}: below the panel (\u25bc)", transform=ax.transAxes,
                           ha="left", va="top", fontsize="small", color="0.25")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # steps below a zoomed panel are only its edge's triangles: no line or dot drawn there,
    # where they would read as another value
    shown = np.where(y == ll, y, np.nan) if scale == "linear" else y
    (line,) = ax.plot(x, shown, color="0.35", linewidth=1.5, marker="o", markersize=3, zorder=2)
    (marker,) = ax.plot([x[current]], [y[current]], marker=_current_marker(y, ll, scale, current),
                        markersize=11, markerfacecolor="#D55E00", markeredgecolor="black", linestyle="none",
                        zorder=3, label="current step", clip_on=False)
    ax.set_xlabel("EM iteration (E-steps at the half-way marks)")
    ax.set_xlim(-0.5, max(float(x.max()), 1.0) + 0.5)
    ax.grid(True, alpha=0.3)
    artists = LikelihoodArtists(line, marker, x, y, ll, scale, note)
    _note_log_likelihood(artists, current)
    return artists


def _note_log_likelihood(artists: LikelihoodArtists, current: int) -> None:
    """Record, for the figure's text alternative, what :func:`plot_log_likelihood` shows."""
    x, ll = artists.x, artists.log_likelihood
    iterations = int(round(float(x.max())))
    first = ll[x <= 1.0].max() - ll[0]
    last = ll[-1] - ll[x <= max(iterations - 1, 0)].max() if iterations >= 1 else 0.0
    below = " The start is below the panel, marked by a triangle on its lower edge." if artists.note else ""
    scale = " (drawn as the distance below the best, on a symlog scale)" if artists.scale == "symlog" else ""
    figures.describe(artists.line.axes, (
        f"The total log-likelihood after every EM half-step{scale}, {len(x)} steps over {iterations} "
        f"iteration{'s' if iterations != 1 else ''}: {_num(ll[0])} at the start, {_num(ll[-1])} at the end, "
        f"highest {_num(ll.max())}; the first iteration gains {_num(first)}, the last {_num(last)}. "
        f"Flat over each E-step, rising over each M-step.{below} The current step, {current}, is marked: "
        f"log-likelihood {_num(ll[current])}."
    ), key="log-likelihood")


def _check_current(current, n_steps: int) -> int:
    if current is None:
        return n_steps - 1
    current = checks.integer(current, "current", 0)
    if current >= n_steps:
        raise ValueError(f"current must be < the number of steps ({n_steps}), got {current}")
    return current


def update_log_likelihood(artists: LikelihoodArtists, current: int) -> None:
    """Move the current-step marker of :func:`plot_log_likelihood` to step ``current``."""
    current = _check_current(current, len(artists.x))
    artists.marker.set_data([artists.x[current]], [artists.y[current]])
    artists.marker.set_marker(_current_marker(artists.y, artists.log_likelihood, artists.scale, current))
    _note_log_likelihood(artists, current)


def _current_marker(y: np.ndarray, ll: np.ndarray, scale: str, current: int) -> str:
    """A dot on the curve, or a triangle on the lower edge for a step below a zoomed panel."""
    return "v" if scale == "linear" and y[current] != ll[current] else "o"


# --------------------------------------------------------------------------- em_in_depth
def plot_lower_bound(ax: Axes, values, log_l, bound, *, old: float, new: float, xlabel: str) -> None:
    """log L and EM's lower bound along one parameter (from :func:`gmm_lesson.bound.bound_along_mean`).

    Marks where the bound touches log L (``old``, the parameter the E-step was computed
    for) and where the bound peaks (``new``, what the M-step picks).

    Parameters
    ----------
    ax : matplotlib Axes
    values, log_l, bound : arrays of shape (M,)
        The parameter's values, and log L and the bound at each.
    old, new : float
        The parameter before and after the M-step.
    xlabel : str
        What the parameter is.
    """
    ax = _check_ax(ax)
    values, log_l, bound = (np.asarray(a, dtype=float) for a in (values, log_l, bound))
    if not values.ndim == 1 or not values.shape == log_l.shape == bound.shape:
        raise ValueError("values, log_l and bound must be 1-D arrays of one length")
    ax.plot(values, log_l, color=OKABE_ITO[0], linewidth=2.0, label="log-likelihood log L")
    ax.plot(values, bound, color=OKABE_ITO[1], linewidth=2.0, linestyle="--",
            label="lower bound B(q, θ), q from the E-step")
    ax.axvline(old, color="0.3", linestyle=":", linewidth=1.2, label="E-step: bound touches log L")
    ax.axvline(new, color="0.3", linestyle="-.", linewidth=1.2, label="M-step: top of the bound")
    top, bottom = float(log_l.max()), float(log_l.min())
    ax.set_ylim(bottom - 0.1 * (top - bottom), top + 0.05 * (top - bottom))  # log L in full, the bound below
    ax.set_xlabel(xlabel)
    ax.set_ylabel("total log-likelihood")
    _legend(ax, None, OUTSIDE)
    at_old, at_new = (float(np.interp(v, values, log_l)) for v in (old, new))
    figures.describe(ax, (
        f"log L (solid) and the lower bound (dashed) along {len(values)} values from {_num(values[0])} to "
        f"{_num(values[-1])}. The bound never rises above log L (largest gap {_num(np.max(log_l - bound))}); "
        f"it touches log L at {_num(old)} (dotted line, the E-step's parameter; log L {_num(at_old)}) and "
        f"peaks at {_num(values[np.argmax(bound)])} (dash-dotted line at {_num(new)}, the M-step's choice; "
        f"log L {_num(at_new)} there, a rise of {_num(at_new - at_old)}). log L itself peaks at "
        f"{_num(values[np.argmax(log_l)])}."
    ), key="bound")


def plot_bound_trace(ax: Axes, steps, log_l, bound) -> None:
    """log L and the bound after every EM half-step (from :func:`gmm_lesson.bound.bound_trace`).

    Parameters
    ----------
    ax : matplotlib Axes
    steps : list of em.EMStep, or em.FittedGMM
        The run, for the half-step positions.
    log_l, bound : arrays of shape (len(steps),)
    """
    ax = _check_ax(ax)
    if isinstance(steps, em.FittedGMM):
        steps = steps.steps
    x, _ = step_positions(steps)
    log_l, bound = np.asarray(log_l, dtype=float), np.asarray(bound, dtype=float)
    if not x.shape == log_l.shape == bound.shape:
        raise ValueError("log_l and bound must hold one value per step")
    ax.plot(x, log_l, color=OKABE_ITO[0], linewidth=1.5, marker="o", markersize=4, label="log L")
    ax.plot(x, bound, color=OKABE_ITO[1], linestyle="none", marker="s", markersize=5,
            markerfacecolor="none", label="lower bound B(q, θ)")
    ax.set_xlabel("EM iteration (E-steps at the half-way marks)")
    ax.set_ylabel("total log-likelihood")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    _legend(ax, None, OUTSIDE)
    gap = log_l - bound
    after_e = np.array([s.phase in ("E", "init") for s in steps])
    figures.describe(ax, (
        f"log L (line with dots) and the lower bound (open squares) after each of {len(x)} half-steps: log L "
        f"from {_num(log_l[0])} to {_num(log_l[-1])}, never falling. After every E-step the bound equals "
        f"log L (largest gap there {_num(np.max(np.abs(gap[after_e])))}); after every M-step it sits below, "
        f"by up to {_num(np.max(gap[~after_e]) if (~after_e).any() else 0.0)}."
    ), key="bound-trace")


def plot_covariance_types(axes: Sequence[Axes], X, fits: dict, *, labels: Sequence[str] = ("x", "y")) -> None:
    """One panel per covariance type: the fit's ellipses, titled with its parameter count.

    Parameters
    ----------
    axes : sequence of matplotlib Axes
        One per fit.
    X : array-like, shape (N, 2)
    fits : dict
        Covariance type -> :class:`gmm_lesson.em.FittedGMM` (or GMMParams).
    labels : two str
        Axis labels.
    """
    if len(axes) != len(fits):
        raise ValueError(f"axes must hold one Axes per fit ({len(fits)}), got {len(axes)}")
    for ax, (covariance_type, fitted) in zip(axes, fits.items(), strict=True):
        params = fitted.params if isinstance(fitted, em.FittedGMM) else _check_params(fitted)
        plot_mixture_2d(ax, X, params, legend=False)
        ax.set_title(f"{covariance_type}: {params.n_parameters()} parameters")
        ax.set_aspect("equal")  # a circle looks round
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])


def plot_labels(ax: Axes, X, labels, *, centres=None, labels_xy: Sequence[str] = ("x", "y")) -> None:
    """Points coloured by a hard label (k-means, or a mixture's ``predict``), centres marked.

    Parameters
    ----------
    ax : matplotlib Axes
    X : array-like, shape (N, 2)
    labels : int array-like, shape (N,)
    centres : array-like, shape (K, 2), optional
    labels_xy : two str
        Axis labels.
    """
    ax = _check_ax(ax)
    X = checks.array_2d(X)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],) or labels.dtype.kind not in "iu" or (labels < 0).any():
        raise ValueError("labels must hold one non-negative integer label per row of X")
    rgba = component_colors(int(labels.max()) + 1)
    ax.scatter(X[:, 0], X[:, 1], s=12, c=rgba[labels], edgecolors="white", linewidths=0.3)
    if centres is not None:
        centres = checks.array_2d(centres, "centres")
        rgba_centres = rgba[: len(centres)]
        ax.scatter(centres[:, 0], centres[:, 1], marker="X", s=120, c=rgba_centres, edgecolors="black")
    ax.set_xlabel(labels_xy[0])
    ax.set_ylabel(labels_xy[1])
    counts = np.bincount(labels)
    parts = [
        f"label {k}: {int(n)} points"
        + ("" if centres is None or k >= len(centres)
           else f", centre at ({_num(centres[k, 0])}, {_num(centres[k, 1])})")
        for k, n in enumerate(counts)
    ]
    figures.describe(ax, (
        f"{len(X)} points coloured by their label"
        + ("" if centres is None else " (centres marked with crosses)") + ": "
        + "; ".join(parts) + "."
    ), key="labels")


def plot_anomalies(
    ax: Axes, X, params: em.GMMParams, threshold: float, X_new, flagged, *, labels: Sequence[str] = ("x", "y")
) -> None:
    """The data, the contour where the mixture's log-density equals ``threshold``, and new points.

    Parameters
    ----------
    ax : matplotlib Axes
    X : array-like, shape (N, 2)
        The training data.
    params : em.GMMParams
    threshold : float
        A log-density; points below it are anomalies.
    X_new : array-like, shape (M, 2)
    flagged : int array-like
        Indices into ``X_new`` of the points flagged as anomalies.
    labels : two str
        Axis labels.
    """
    ax = _check_ax(ax)
    X, X_new = checks.array_2d(X), checks.array_2d(X_new, "X_new")
    params = _check_params(params)
    flagged = np.asarray(flagged, dtype=int)
    everything = np.vstack([X, X_new])
    pad = 0.15 * np.ptp(everything, axis=0)
    low, high = everything.min(axis=0) - pad, everything.max(axis=0) + pad
    gx, gy = (np.linspace(low[d], high[d], 200) for d in (0, 1))
    grid = np.column_stack([a.ravel() for a in np.meshgrid(gx, gy)])
    from .density import score_samples  # here, not at the top: plots.py is shared by several lessons

    log_density = score_samples(grid, params)
    # the contour and its legend entry drawn alike (matplotlib dashes a negative level by default)
    ax.contour(gx, gy, log_density.reshape(len(gy), len(gx)), levels=[threshold], colors=OKABE_ITO[1],
               linestyles="--")
    ax.plot([], [], color=OKABE_ITO[1], linestyle="--", label=f"log-density = threshold ({threshold:.2f})")
    ax.scatter(X[:, 0], X[:, 1], s=10, color="0.6", label="training data")
    typical = np.setdiff1d(np.arange(len(X_new)), flagged)
    kinds = ((typical, 40, 0, "o", "typical"), (flagged, 90, 1, "X", "flagged"))
    for which, size, colour, marker, text in kinds:
        ax.scatter(*X_new[which].T, s=size, color=OKABE_ITO[colour], marker=marker, label=f"new, {text}")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    _legend(ax, None, OUTSIDE)
    where = "; ".join(f"({_num(a)}, {_num(b)})" for a, b in X_new[flagged])
    figures.describe(ax, (
        f"{len(X)} training points (grey dots) and a dashed contour where the mixture's log-density "
        f"equals the threshold {_num(threshold)} (lower outside it); {len(X_new)} new points: "
        f"{len(typical)} typical (blue dots) and"
        f" {len(flagged)} flagged as anomalies (vermillion crosses){': ' + where if where else ''}."
    ), key="anomalies")


__all__ += ["plot_bound_trace", "plot_anomalies", "plot_covariance_types", "plot_labels", "plot_lower_bound"]
