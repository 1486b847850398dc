"""Latency of the EM explorer in the kernel: how long one slider move takes.

    .venv/bin/python bench/bench_widgets.py

Prints the median (and 90th percentile) over 30 moves of

* an EM-step change (replays cached steps: no refit), target <= 50 ms, and
* a K change on 300 points (one refit and a redraw), target <= 300 ms,

on the Iris sepal data (150 points) and the 300-point blobs. A benchmark, not a
test: on a busy machine the wall-clock figures are slower, so nothing here
asserts; the CPU time this process spent per move is printed too, as it depends
less on what else the machine is doing.
"""

from __future__ import annotations

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from gmm_lesson import widgets  # noqa: E402

N_MOVES = 30


def _time(action, values) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this process) seconds of each ``action(v)``."""
    wall, cpu = [], []
    for v in values:
        start, start_cpu = time.perf_counter(), time.process_time()
        action(v)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def _report(label: str, times: tuple[list[float], list[float]], target_ms: float) -> None:
    wall, cpu = times
    ms = sorted(t * 1000 for t in wall)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    median_cpu = statistics.median(cpu) * 1000
    verdict = "within" if statistics.median(ms) <= target_ms else "OVER"
    print(f"{label:<46} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms   "
          f"cpu {median_cpu:6.1f} ms   (target {target_ms:.0f} ms: {verdict})")


def main() -> None:
    print(f"{N_MOVES} moves each; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    for name in ("Iris sepal (150 x 2)", "Blobs (300 x 2, K=3)"):
        ex = widgets.EMExplorer()
        ex.dataset.value = name
        n_points = ex.Z.shape[0]
        last = ex.iteration_slider.max

        def set_step(i, ex=ex):
            ex.iteration_slider.value = i

        # walk forward and back over every step, N_MOVES moves in all
        walk = [(1 + i) % (last + 1) for i in range(N_MOVES)]
        walk = [w if w != ex.iteration_slider.value else (w + 1) % (last + 1) for w in walk]
        fits = ex.fit_count
        _report(f"step change, {name}", _time(set_step, walk), 50)
        assert ex.fit_count == fits, "a step change must not refit"

        def set_k(k, ex=ex):
            ex.k_slider.value = k

        ks = [2 + (i % 5) for i in range(N_MOVES)]  # 2..6, never the same twice in a row
        _report(f"K change ({n_points} points), {name}", _time(set_k, ks), 300)
    png_bytes = len(ex.image.value)
    print(f"image payload: {png_bytes / 1024:.0f} KiB of HTML (base64 PNG at {ex.dpi} dpi)")


if __name__ == "__main__":
    main()
