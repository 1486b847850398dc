"""Small data sets for the lessons, shipped inside the package (no download at run time).

* **Iris sepal** -- sepal length and width (cm) of 150 iris flowers, 3 species
  (Fisher, R. A. (1936) "The use of multiple measurements in taxonomic problems",
  *Annals of Eugenics* 7(2); data collected by Anderson, E. (1935)). The source
  lesson's sample rows ``[5.1, 3.5], [4.9, 3.0], [6.7, 3.1]`` are rows of this data
  set, which has 150 rows, not the 300 the lesson says.
* **Old Faithful** -- 272 eruptions of the Old Faithful geyser, Yellowstone: eruption
  duration and waiting time to the next eruption, both in minutes
  (Azzalini, A. and Bowman, A. W. (1990) "A look at some data on the Old Faithful
  geyser", *Applied Statistics* 39, 357-365; Härdle, W. (1991) *Smoothing Techniques
  with Implementation in S*, Springer).
* **Blobs** -- a seeded synthetic mixture of K Gaussian clusters in D dimensions.
* **Two clusters in 1-D** -- ``[[1],[2],[3],[10],[11],[12]]``, the lesson's practice
  question 3.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np

from . import checks

__all__ = [
    "DATASETS",
    "FEATURES",
    "blobs",
    "load",
    "load_iris_sepal",
    "load_old_faithful",
    "standardize",
    "two_clusters_1d",
]


def _read_csv(filename: str) -> tuple[list[str], list[list[str]]]:
    text = resources.files("gmm_lesson").joinpath("data", filename).read_text(encoding="utf-8")
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    return rows[0], rows[1:]


def load_iris_sepal(return_species: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Iris sepal length and width in cm.

    Parameters
    ----------
    return_species : bool, default False
        Also return the species of each row.

    Returns
    -------
    X : array, shape (150, 2)
        Sepal length and sepal width, in cm.
    species : array of str, shape (150,)
        Only with ``return_species=True``: ``"setosa"``, ``"versicolor"`` or
        ``"virginica"``, 50 rows each.
    """
    _, rows = _read_csv("iris_sepal.csv")
    X = np.array([[float(r[0]), float(r[1])] for r in rows])
    if return_species:
        return X, np.array([r[2] for r in rows])
    return X


def load_old_faithful() -> np.ndarray:
    """Old Faithful eruptions.

    Returns
    -------
    X : array, shape (272, 2)
        Eruption duration and waiting time to the next eruption, both in minutes.
    """
    _, rows = _read_csv("old_faithful.csv")
    return np.array([[float(v) for v in r] for r in rows])


def two_clusters_1d() -> np.ndarray:
    """The lesson's 1-D data ``[[1],[2],[3],[10],[11],[12]]``.

    Returns
    -------
    X : array, shape (6, 1)
    """
    return np.array([[1.0], [2.0], [3.0], [10.0], [11.0], [12.0]])


def blobs(
    n_samples: int = 300,
    n_components: int = 3,
    n_features: int = 2,
    seed: int | None = 0,
    spread: float = 4.0,
    return_labels: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Points drawn from a random mixture of ``n_components`` Gaussians.

    Centres are drawn uniformly in a box of half-width ``spread``; each cluster gets a
    random covariance (so shapes and orientations differ) and a random share of the
    points. The same ``seed`` gives the same points.

    Parameters
    ----------
    n_samples : int >= 1
    n_components : int, 1 <= n_components <= n_samples
    n_features : int >= 1
    seed : int >= 0 or None
        None draws different points each call.
    spread : float >= 0
        Half-width of the box the centres are drawn in.
    return_labels : bool, default False
        Also return the cluster each point was drawn from.

    Returns
    -------
    X : array, shape (n_samples, n_features)
    labels : int array, shape (n_samples,)
        Only with ``return_labels=True``.
    """
    n_samples = checks.integer(n_samples, "n_samples", 1)
    n_components = checks.integer(n_components, "n_components", 1)
    n_features = checks.integer(n_features, "n_features", 1)
    spread = checks.nonnegative(spread, "spread")
    if seed is not None:
        checks.integer(seed, "seed", 0)
    if n_components > n_samples:
        raise ValueError(f"n_components={n_components} is larger than n_samples={n_samples}")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-spread, spread, size=(n_components, n_features))
    weights = rng.dirichlet(np.full(n_components, 5.0))
    labels = rng.choice(n_components, size=n_samples, p=weights)
    X = np.empty((n_samples, n_features))
    for k in range(n_components):
        A = rng.normal(scale=0.6, size=(n_features, n_features))
        cov = A @ A.T + 0.1 * np.eye(n_features)
        members = labels == k
        X[members] = rng.multivariate_normal(centres[k], cov, size=members.sum())
    return (X, labels) if return_labels else X


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale every feature to zero mean and unit variance.

    ``scale`` is the population standard deviation (``ddof=0``, as scikit-learn's
    ``StandardScaler``). A constant feature cannot be scaled to unit variance: it gets
    ``scale = 1``, so it is centred to all zeros rather than divided by zero.

    Parameters
    ----------
    X : array-like, shape (N, D)
        Lists of lists are accepted.

    Returns
    -------
    Z : array, shape (N, D)
        ``(X - mean) / scale``; undo with ``Z * scale + mean``.
    mean : array, shape (D,)
    scale : array, shape (D,)
    """
    X = checks.array_2d(X)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - mean) / scale, mean, scale


DATASETS = {
    "Iris sepal (150 x 2)": load_iris_sepal,
    "Old Faithful (272 x 2)": load_old_faithful,
    "Blobs (300 x 2, K=3)": blobs,
    "Two clusters 1-D (6 x 1)": two_clusters_1d,
}

#: The features of each data set in :data:`DATASETS`, as axis labels.
FEATURES = {
    "Iris sepal (150 x 2)": ("sepal length", "sepal width"),
    "Old Faithful (272 x 2)": ("eruption duration", "waiting time"),
    "Blobs (300 x 2, K=3)": ("x1", "x2"),
    "Two clusters 1-D (6 x 1)": ("x",),
}


def load(name: str) -> np.ndarray:
    """Load one of :data:`DATASETS` by its name.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`, e.g. ``"Iris sepal (150 x 2)"``.

    Returns
    -------
    X : array, shape (N, D)
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {list(DATASETS)}, got {name!r}")
    return DATASETS[name]()
