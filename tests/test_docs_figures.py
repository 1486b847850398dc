"""The EM speed and memory figures in the docs are one bench run's, copied from its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench_em():
    spec = importlib.util.spec_from_file_location("bench_em", ROOT / "bench" / "bench_em.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("doc", ["README.md", "docs/README-library.md"])
def test_em_bench_table_is_the_recorded_run(doc):
    bench = _bench_em()
    report = json.loads(bench.RESULTS.read_text(encoding="utf-8"))
    table = bench.markdown_table(report)
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert table in text, f"{doc}: paste the output of `python bench/bench_em.py --table`"
    assert "bench/results/bench_em.json" in text  # and say where the figures come from
    ratio_at_a_million = next(row["ratio"] for row in report["results"] if row["N"] == 1_000_000)
    assert ratio_at_a_million <= 0.5  # the target the README states


def _explorer_figure_module():
    spec = importlib.util.spec_from_file_location("explorer_figure", ROOT / "docs" / "explorer_figure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_explorer_picture_in_the_docs_is_what_the_explorer_draws():
    """docs/explorer-figure.png is the drawing docs/explorer_figure.py makes from the current code.

    Compared pixel by pixel (a few anti-aliased edge pixels may differ across FreeType
    builds): a change of labels, legend, markers or data leaves far more than that."""
    import io

    import numpy as np
    from PIL import Image

    module = _explorer_figure_module()
    drawn = np.asarray(Image.open(io.BytesIO(module.png())).convert("RGB"), dtype=int)
    committed = np.asarray(Image.open(module.PATH).convert("RGB"), dtype=int)
    assert committed.shape == drawn.shape, "run `python docs/explorer_figure.py`"
    differ = (np.abs(committed - drawn).max(axis=2) > 32).mean()
    assert differ < 0.002, f"{differ:.2%} of pixels differ: run `python docs/explorer_figure.py`"
    doc = (ROOT / "docs" / "README-explorer.md").read_text(encoding="utf-8")
    assert "](explorer-figure.png)" in doc


def test_explorer_picture_is_legible_and_names_what_it_shows():
    """Text at least 10 px at the size shown, axes named by the Iris features, means numbered."""
    from matplotlib.text import Text

    module = _explorer_figure_module()
    fig = module.figure()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    small = {t.get_text(): round(t.get_fontsize() * fig.dpi / 72, 1) for t in texts
             if t.get_fontsize() * fig.dpi / 72 < 10}
    assert not small, f"text under 10 px: {small}"
    data_ax = fig.axes[0]
    assert data_ax.get_xlabel().startswith("sepal length") and data_ax.get_ylabel().startswith("sepal width")
    numbers = sorted(t.get_text() for t in data_ax.texts)
    assert numbers == ["0", "1", "2"], numbers  # each component's mean carries its number


def test_explorer_picture_alt_text_in_the_docs_is_the_drawing():
    """The numbers the docs' alt text gives are the ones the drawing's own description computes."""
    from gmm_lesson import figures

    told = figures.description(_explorer_figure_module().figure())
    assert "-387.1 at the start, -377.9 at the end" in told and "over 16 iterations" in told
    assert "component 2: weight" in told and "component 3" not in told
    doc = (ROOT / "docs" / "README-explorer.md").read_text(encoding="utf-8")
    assert "(K=3, seed 0)" in doc and "from -387.1 to -377.9 over 16 iterations" in doc


def test_the_explorers_signature_in_the_docs_is_the_codes():
    import inspect

    from gmm_lesson.widgets import EMExplorer

    parameters = list(inspect.signature(EMExplorer.__init__).parameters.values())[1:]
    shown, keyword_only = [], False
    for p in parameters:
        if p.kind is p.KEYWORD_ONLY and not keyword_only:
            shown.append("*")
            keyword_only = True
        shown.append(f"{p.name}={p.default!r}")
    doc = (ROOT / "docs" / "README-explorer.md").read_text(encoding="utf-8")
    assert f"`EMExplorer({', '.join(shown)})`" in doc, ", ".join(shown)
