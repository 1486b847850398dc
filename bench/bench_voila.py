"""The explorer as a Voila app, as a visitor meets it: first render, a step, memory.

    .venv/bin/python bench/bench_voila.py

Starts ``python3 run.py explorer`` (the same server as ``tests/test_voila.py``, whose
helpers it uses) and, for each of 3 fresh pages in headless Debian chromium, prints

* seconds from opening the page to the explorer's figure on screen (a new kernel each
  time: Voila starts one per visitor and runs the notebook in it),
* seconds from an arrow key on the EM step slider to the redrawn figure (median of 10),
* the resident memory of every kernel the server holds (one more per page).

A benchmark, not a test: nothing asserts, and the figures depend on what else runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_helpers import IMAGE, ITERATION_LABEL, Explorer, launch_chromium  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from test_voila import VoilaServer  # noqa: E402

PAGES = 3
STEPS = 10


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = VoilaServer(Path(tmp) / "server").start()
        try:
            with sync_playwright() as pw:
                context = launch_chromium(pw, Path(tmp))
                for visit in range(PAGES):
                    page = context.new_page()
                    ex = Explorer(page, server, Path(tmp))
                    start = time.perf_counter()
                    page.goto(server.url)
                    ex.image.wait_for(state="visible")
                    first = time.perf_counter() - start
                    handle = ex.handle(ITERATION_LABEL)
                    handle.focus()
                    moves = []
                    for _ in range(STEPS):
                        src = ex.image.get_attribute("src")
                        start = time.perf_counter()
                        page.keyboard.press("ArrowRight")
                        page.wait_for_function(
                            "([sel, src]) => document.querySelector(sel).src !== src", arg=[IMAGE, src]
                        )
                        moves.append(time.perf_counter() - start)
                    rss = [k.memory_info().rss / 2**20 for k in server.kernels()]
                    print(f"page {visit + 1}: first render {first:.2f} s, step change median "
                          f"{statistics.median(moves) * 1000:.0f} ms, kernels' RSS "
                          f"{', '.join(f'{r:.0f}' for r in rss)} MiB", flush=True)
                    # A closed page's kernel stays until culled (apps/voila.json: 10 idle
                    # minutes), so the list of kernels grows by one per page.
                    page.close()
                context.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
