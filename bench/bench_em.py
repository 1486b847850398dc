"""Speed and memory of ``gmm_lesson.em.fit`` against scikit-learn's ``GaussianMixture``.

Run it as a script (it is not a test)::

    python bench/bench_em.py                     # all sizes
    python bench/bench_em.py --quick             # N = 1e4 and 1e5 only
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
EMStep (with its (N, K) responsibilities) for replay, so its peak grows with
``max_iter``; the "em_steps" column runs the same iterations through the generator
keeping only the latest step, which is EM's own working set. The fitted parameters
are checked to agree before anything is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info

from gmm_lesson import data, em

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


def describe_machine() -> None:
    print(f"python {platform.python_version()}, numpy {np.__version__}, scikit-learn {sklearn.__version__}")
    print(f"cpus: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"{var}={os.environ.get(var, '(unset)')}")
    for pool in threadpool_info():
        print(
            f"{pool['user_api']}: {pool['internal_api']} {pool.get('version')}, "
            f"kernel {pool.get('architecture')}, {pool['num_threads']} threads"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=10, help="EM iterations per fit (default 10)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per fit, best kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="only the two smallest sizes")
    args = parser.parse_args(argv)
    describe_machine()
    print(f"covariance_type=full, tol=0, max_iter={args.max_iter}, best of {args.repeat} (interleaved)\n")
    header = (
        f"{'N':>9} {'D':>3} {'K':>3} | {'em ms/iter':>10} {'sklearn ms/iter':>15} {'ratio':>6} | "
        f"{'em.fit':>7} {'em_steps':>8} {'sklearn':>8}  (peak MiB)"
    )
    print(header)
    print("-" * len(header))
    sizes = SIZES[:2] if args.quick else SIZES
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
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
