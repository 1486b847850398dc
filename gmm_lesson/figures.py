"""Figures a screen reader can read: a text alternative written from the data drawn.

JupyterLab shows a matplotlib figure as an ``image/png`` output, and its image renderer
(``@jupyterlab/rendermime``, ``renderImage``, still in JupyterLab 4.6) writes no ``alt``
attribute whatever the output's metadata says; nor do nbconvert's HTML templates (7.17:
``width``, ``height`` and classes only), so a screen reader hears nothing useful. Both
keep an ``<img>``'s ``alt`` in HTML output (JupyterLab also when the notebook is
untrusted: its sanitizer allows ``alt`` and ``data:`` sources on images) and rank HTML
above PNG. So :func:`show` displays one output holding (:func:`bundle`)

* ``text/html``: the PNG as ``<img src="data:image/png;base64,..." alt="...">``, what
  JupyterLab, Notebook 7, Voila and nbconvert's HTML show; the PNG's only copy (an
  ``image/png`` beside it would double every figure's bytes in a saved notebook);
* ``text/plain``: the description itself, instead of ``<Figure size 600x350 with 1 Axes>``.

A graded notebook's HTML is otherwise dropped before the instructor sees it:
``gmm_grader.render`` keeps exactly this ``<img>`` (the PNG checked, the alt re-escaped).

The description is composed from each panel's title, axis names and ranges, and what
was drawn on it: the ``plot_*`` functions of :mod:`gmm_lesson.plots` record, with
:func:`describe`, a sentence computed from the data they were given (point counts,
weights, means, log-likelihoods); a panel drawn by hand is described from its artists
(every line's values, every scatter's extent). Outside an IPython kernel with the
inline backend (a script, a test) :func:`show` records the description and calls
``plt.show()`` as before; in a kernel drawing with Agg (the grading sandbox's backend,
where ``plt.show()`` shows nothing) it displays the figure as the inline backend would.
"""

from __future__ import annotations

import base64
import html
import weakref

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = ["bundle", "describe", "description", "number", "show", "shown_description"]

_NOTES: weakref.WeakKeyDictionary[Axes, dict[str, str]] = weakref.WeakKeyDictionary()
_SHOWN: weakref.WeakKeyDictionary[Figure, str] = weakref.WeakKeyDictionary()
#: how many lines and collections an Axes held when its last sentence was recorded: any
#: drawn after it (a caller's own marker on a library plot) are described from their data
_COVERED: weakref.WeakKeyDictionary[Axes, tuple[int, int]] = weakref.WeakKeyDictionary()


def number(value: float) -> str:
    """A value as read aloud: whole numbers whole, 1 decimal from 100 up, else 2 (2 digits if tiny)."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value == round(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 0.01 or value == 0:
        return f"{value:.2f}"
    return f"{value:.2g}"


def describe(ax: Axes, text: str, *, key: str = "note") -> None:
    """Record what is drawn on ``ax`` (a sentence computed from the data), under ``key``.

    A later call with the same ``key`` replaces the sentence (an ``update_*`` function
    moving the drawing to another EM step does this); other keys add to it.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty str")
    _NOTES.setdefault(ax, {})[key] = text.strip()
    _COVERED[ax] = (len(ax.lines), len(ax.collections))


def _label(text: str) -> str:
    return " ".join(text.split())


def _span(values) -> str:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return f"{number(values.min())} to {number(values.max())}" if values.size else "no values"


def _line_text(line, ax: Axes) -> str | None:
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if not x.size:
        return None
    label = line.get_label()
    name = label if label and not label.startswith("_") else "a line"
    if line.get_transform() == ax.get_xaxis_transform():  # axvline: x in data, y in axes units
        return f"{name}: a vertical line at {number(x[0])}"
    if line.get_transform() == ax.get_yaxis_transform():
        return f"{name}: a horizontal line at {number(y[0])}"
    if x.size <= 10:
        pairs = "; ".join(f"{number(a)}: {number(b)}" for a, b in zip(x, y, strict=True))
        return f"{name}, value at each point: {pairs}; lowest {number(y.min())} at {number(x[y.argmin()])}"
    return (f"{name} through {x.size} points from {number(y[0])} at {number(x[0])} to {number(y[-1])} at "
            f"{number(x[-1])}; highest {number(y.max())} at {number(x[y.argmax()])}, lowest "
            f"{number(y.min())} at {number(x[y.argmin()])}")


def _drawn(ax: Axes, n_lines: int = 0, n_collections: int = 0) -> list[str]:
    """What was drawn by hand (all but the first lines and collections given), told from its artists."""
    out = [text for line in ax.lines[n_lines:] if line.get_visible() and (text := _line_text(line, ax))]
    for coll in ax.collections[n_collections:]:
        if isinstance(coll, PathCollection) and coll.get_visible() and len(coll.get_offsets()):
            xy = np.asarray(coll.get_offsets(), dtype=float)
            label = coll.get_label()
            name = label if label and not label.startswith("_") else "points"
            out.append(f"{name}: {len(xy)} points, across {_span(xy[:, 0])}, up {_span(xy[:, 1])}")
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    if bars and not n_lines + n_collections:
        out.append(f"{len(bars)} bars")
    return out


def _panel(ax: Axes) -> str:
    parts = []
    if title := _label(ax.get_title()):
        parts.append(f"{title}.")
    x_name, y_name = _label(ax.get_xlabel()) or "unnamed", _label(ax.get_ylabel()) or "unnamed"
    x_range = f", {_span(ax.get_xlim())}" if ax.get_xscale() == "linear" else ""
    y_range = f", {_span(ax.get_ylim())}" if ax.get_yscale() == "linear" else ""
    parts.append(f"Across: {x_name}{x_range}. Up: {y_name}{y_range}.")
    notes = _NOTES.get(ax)
    parts.extend(notes.values() if notes else [])
    drawn = _drawn(ax, *_COVERED.get(ax, (0, 0)))
    if drawn:
        parts.append(("Also drawn: " if notes else "") + "; ".join(drawn) + ".")
    elif not notes:
        parts.append("Nothing drawn.")
    return " ".join(parts)


def description(fig: Figure) -> str:
    """The text alternative of ``fig``: every visible panel, its names, ranges and data."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    if not panels:
        raise ValueError("fig has no visible axes to describe")
    head = _label(fig.get_suptitle()).rstrip(".")
    if len(panels) == 1:
        body = _panel(panels[0])
        kind = "A chart"
    else:
        body = " ".join(f"Panel {i} of {len(panels)}: {_panel(ax)}" for i, ax in enumerate(panels, 1))
        kind = f"{len(panels)} charts side by side" if len({ax.get_position().y0 for ax in panels}) == 1 \
            else f"{len(panels)} charts"
    return f"{kind}{': ' + head if head else ''}. {body}"


def shown_description(fig: Figure) -> str | None:
    """The text alternative :func:`show` gave ``fig`` (None if it was never shown)."""
    return _SHOWN.get(fig)


def _inline() -> bool:
    """Whether a figure is shown as an output: the inline backend, or Agg in a Jupyter kernel.

    Agg is what the grading sandbox sets (``MPLBACKEND=agg``): there ``plt.show()`` shows
    nothing, and the instructor's feedback page would have no figure at all.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets brings IPython
        return False
    shell = get_ipython()
    backend = plt.get_backend().lower()
    return shell is not None and ("inline" in backend or (backend == "agg" and hasattr(shell, "kernel")))


def show(fig: Figure, alt: str | None = None) -> str:
    """Show ``fig`` with a text alternative a screen reader reads; return that text.

    Parameters
    ----------
    fig : matplotlib Figure
    alt : str, optional
        The text alternative; default :func:`description` of the figure (written from
        the data every panel shows).

    In an IPython kernel with the inline backend (or Agg) the figure is displayed as an
    ``<img>`` with that ``alt`` (:func:`bundle`) and closed, as
    ``plt.show()`` closes it there. Anywhere else ``plt.show()`` is called.
    """
    text = description(fig) if alt is None else alt
    if not isinstance(text, str) or not text.strip():
        raise ValueError("alt must be a non-empty str")
    _SHOWN[fig] = text
    if not _inline():
        plt.show()
        return text
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    kwargs = {"bbox_inches": "tight"}
    try:
        from matplotlib_inline.config import InlineBackend

        kwargs = dict(InlineBackend.instance().print_figure_kwargs)
    except ImportError:  # pragma: no cover - ipykernel brings matplotlib_inline
        pass
    display(bundle(print_figure(fig, "png", **kwargs), text), raw=True)
    plt.close(fig)
    return text


def bundle(png: bytes, alt: str) -> dict[str, str]:
    """The output a figure is shown as: its PNG once, in an ``<img>`` with ``alt``, and the text.

    Parameters
    ----------
    png : bytes
        The figure as PNG.
    alt : str
        Its text alternative (escaped here for the attribute).

    Returns
    -------
    dict
        ``{"text/html": '<img src="data:image/png;base64,..." alt="...">', "text/plain": alt}``.
    """
    if not isinstance(png, bytes) or not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("png must be the bytes of a PNG image")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty str")
    data = base64.b64encode(png).decode("ascii")
    return {
        "text/html": f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">',
        "text/plain": alt,
    }
