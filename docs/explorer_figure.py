"""Draw docs/explorer-figure.png, the explorer's picture in README-explorer.md, from the code.

Run ``python docs/explorer_figure.py`` after changing what the explorer draws;
``tests/test_docs_figures.py`` fails while the committed picture differs from this drawing.
"""

from __future__ import annotations

from pathlib import Path

from gmm_lesson.widgets import static_figure

PATH = Path(__file__).resolve().parent / "explorer-figure.png"
#: the explorer's default size: what a learner sees
DPI = 100


def figure():
    """The explorer's default view (Iris sepal data, K=3, seed 0) at its final EM step."""
    return static_figure(n_components=3, seed=0, dpi=DPI)


def png() -> bytes:
    """The picture's PNG bytes, as the explorer makes them."""
    return figure()._repr_png_()


if __name__ == "__main__":
    PATH.write_bytes(png())
    print(f"wrote {PATH}")
