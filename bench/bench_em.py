"""Speed and memory of ``gmm_lesson.em.fit`` against scikit-learn's ``GaussianMixture``.

Run it as a script (it is not a test)::

    python bench/bench_em.py                     # all sizes
    python bench/bench_em.py --quick             # N = 1e4 and 1e5 only
    python bench/bench_em.py --table             # the docs' markdown table from the last run's JSON
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_em.py

``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``, when set, can force a slower OpenBLAS
kernel; unset them for representative figures (the BLAS in use is printed).

For each size both libraries fit the same data from the same starting parameters
(``init=GMMParams`` here; ``weights_init``, ``means_init``, ``precisions_init`` there)
with ``tol=0`` and the same fixed ``max_iter``, so they do exactly the same EM
iterations. Each fit is timed ``--repeat`` times, the two libraries taking turns,
and the fastest run is kept (the least disturbed by other processes); the
per-iteration time is that run's wall time divided by ``max_iter``. Both do
``max_iter + 1`` E-steps and ``max_iter`` M-steps (scikit-learn's final E-step labels
the data; ours scores the last parameters).

Peak memory is measured separately with ``tracemalloc`` (numpy reports its array
buffers to it): the peak of traced allocations during one fit, above what was
allocated before it, so the data itself is not counted. ``em.fit`` keeps every
EMStep for replay, but a step keeps its parameters and recomputes its (N, K)
responsibilities when read, so the peak does not grow with ``max_iter``; the
"em_steps" column runs the same iterations through the generator keeping only the
latest step. The fitted parameters are checked to agree before anything is printed.

The figures are printed and written as JSON to ``bench/results/bench_em.json``
(``--output`` to change it); the tables in README.md and docs/README-library.md
are copied from that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info

from gmm_lesson import data, em

RESULTS = Path(__file__).resolve().parent / "results" / "bench_em.json"
SIZES = [(10_000, 2, 3), (100_000, 2, 3), (1_000_000, 2, 3), (200_000, 10, 8)]


def precisions(params: em.GMMParams) -> np.ndarray:
    """scikit-learn's ``precisions_init`` for our parameters."""
    if params.covariance_type in ("diag", "spherical"):
        return 1.0 / params.covariances
    return np.linalg.inv(params.covariances)


def fit_ours(X: np.ndarray, start: em.GMMParams, max_iter: int) -> em.GMMParams:
    return em.fit(X, start.n_components, init=start, tol=0.0, max_iter=max_iter).params


def run_generator(X: np.ndarray, start: em.GMMParams, max_iter: int) -> em.GMMParams:
    """The same EM iterations as fit_ours, keeping only the last step (for memory)."""
    last = None
    for last in em.em_steps(X, start.n_components, init=start, tol=0.0, max_iter=max_iter):  # noqa: B007
        pass  # each step is dropped as soon as the next one arrives
    return last.params


def fit_sklearn(X: np.ndarray, start: em.GMMParams, max_iter: int) -> GaussianMixture:
    gmm = GaussianMixture(
        start.n_components,
        covariance_type=start.covariance_type,
        tol=0.0,
        max_iter=max_iter,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=precisions(start),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gmm.fit(X)


def best_times(funcs, repeat: int) -> list[float]:
    """Fastest of ``repeat`` runs of each function, the runs interleaved (a, b, a, b, ...)
    so that a burst of load from other processes hits both alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def peak_mib(func) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        func()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 2**20


def describe_machine() -> dict:
    """Print, and return, what the figures depend on."""
    machine = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "environment": {
            var: os.environ.get(var)
            for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
        },
        "blas": [
            f"{pool['internal_api']} {pool.get('version')}, kernel {pool.get('architecture')}, "
            f"{pool['num_threads']} threads"
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        ],
    }
    print(f"python {machine['python']}, numpy {machine['numpy']}, scikit-learn {machine['scikit-learn']}")
    print(f"cpus: {machine['cpus']}, load average: {' '.join(map(str, machine['load_average_before']))}")
    for var, value in machine["environment"].items():
        print(f"{var}={value or '(unset)'}")
    for blas in machine["blas"]:
        print(f"blas: {blas}")
    return machine


def markdown_table(report: dict) -> str:
    """The docs' table (README.md, docs/README-library.md) from a written report."""
    lines = [
        "| N | D | K | em.fit ms/iter | scikit-learn ms/iter | ratio "
        "| peak MiB em.fit | em_steps | scikit-learn |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['N']:,} | {row['D']} | {row['K']} | {row['em_ms_per_iter']:.2f} "
            f"| {row['sklearn_ms_per_iter']:.2f} | {row['ratio']:.2f} | {row['peak_mib_em_fit']:.1f} "
            f"| {row['peak_mib_em_steps']:.1f} | {row['peak_mib_sklearn']:.1f} |".replace(",", " ")
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=10, help="EM iterations per fit (default 10)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per fit, best kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="only the two smallest sizes")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    parser.add_argument("--table", action="store_true", help="print the docs' table from --output; no run")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(args.output.read_text())))
        return 0
    machine = describe_machine()
    print(f"covariance_type=full, tol=0, max_iter={args.max_iter}, best of {args.repeat} (interleaved)\n")
    header = (
        f"{'N':>9} {'D':>3} {'K':>3} | {'em ms/iter':>10} {'sklearn ms/iter':>15} {'ratio':>6} | "
        f"{'em.fit':>7} {'em_steps':>8} {'sklearn':>8}  (peak MiB)"
    )
    print(header)
    print("-" * len(header))
    sizes = SIZES[:2] if args.quick else SIZES
    rows = []
    for N, D, K in sizes:
        X = data.blobs(N, K, D, seed=0)
        start = next(em.em_steps(X, K, seed=0)).params  # k-means++ start, shared by both
        ours = fit_ours(X, start, args.max_iter)
        theirs = fit_sklearn(X, start, args.max_iter)
        np.testing.assert_allclose(ours.means, theirs.means_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=1e-6, atol=1e-9)
        t_ours, t_sk = (
            t / args.max_iter
            for t in best_times(
                [
                    lambda X=X, s=start: fit_ours(X, s, args.max_iter),
                    lambda X=X, s=start: fit_sklearn(X, s, args.max_iter),
                ],
                args.repeat,
            )
        )
        m_ours = peak_mib(lambda X=X, s=start: fit_ours(X, s, args.max_iter))
        m_gen = peak_mib(lambda X=X, s=start: run_generator(X, s, args.max_iter))
        m_sk = peak_mib(lambda X=X, s=start: fit_sklearn(X, s, args.max_iter))
        print(
            f"{N:>9} {D:>3} {K:>3} | {t_ours * 1e3:>10.2f} {t_sk * 1e3:>15.2f} {t_ours / t_sk:>6.2f} | "
            f"{m_ours:>7.1f} {m_gen:>8.1f} {m_sk:>8.1f}",
            flush=True,
        )
        rows.append(
            {
                "N": N,
                "D": D,
                "K": K,
                "em_ms_per_iter": round(t_ours * 1e3, 2),
                "sklearn_ms_per_iter": round(t_sk * 1e3, 2),
                "ratio": round(t_ours / t_sk, 3),
                "peak_mib_em_fit": round(m_ours, 1),
                "peak_mib_em_steps": round(m_gen, 1),
                "peak_mib_sklearn": round(m_sk, 1),
            }
        )
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average after: {' '.join(map(str, machine['load_average_after']))}")
    settings = {"covariance_type": "full", "tol": 0.0, "max_iter": args.max_iter, "repeat": args.repeat}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "settings": settings, "results": rows}
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
