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
