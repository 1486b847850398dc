"""Label switching: which component is called 0 is arbitrary.

A mixture fitted twice, or compared with the true classes, may name the same
clusters differently: ``[1,1,0,0]`` and ``[0,0,1,1]`` describe the same split.
:func:`match_labels` renames one labelling to agree with another as much as
possible. This module imports nothing but numpy.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["match_labels"]


def match_labels(reference, labels) -> np.ndarray:
    """Rename the clusters in ``labels`` to agree as much as possible with ``reference``.

    Which component gets the name 0 is arbitrary (*label switching*): ``[1,1,0,0]``
    and ``[0,0,1,1]`` describe the same split. This counts how often each label
    meets each reference label, tries every one-to-one renaming (fine for the few
    components of a lesson, at most 8 distinct labels) and keeps the one with the
    most agreements.

    Parameters
    ----------
    reference : array-like, shape (N,)
        The labelling to agree with (true classes, or another run's labels).
    labels : array-like, shape (N,)
        The labelling to rename.

    Returns
    -------
    array, shape (N,)
        ``labels`` with its names permuted; the partition itself is unchanged.
    """
    reference = np.asarray(reference)
    labels = np.asarray(labels)
    if reference.ndim != 1 or labels.ndim != 1 or reference.shape != labels.shape:
        raise ValueError(
            "reference and labels must be 1-D of the same length, "
            f"got shapes {reference.shape} and {labels.shape}"
        )
    try:
        names = np.union1d(reference, labels)  # every name either labelling uses
    except TypeError:
        raise TypeError(
            f"reference and labels must use comparable names, got {reference.dtype} and {labels.dtype}"
        ) from None
    if len(names) > 8:
        raise ValueError(
            f"match_labels tries every renaming; {len(names)} distinct labels is too many (max 8)"
        )
    used, label_idx = np.unique(labels, return_inverse=True)
    label_idx = label_idx.reshape(-1)
    ref_idx = np.searchsorted(names, reference)
    # meets[i, j]: how many points have label used[i] and reference label names[j]
    meets = np.zeros((len(used), len(names)), dtype=np.int64)
    np.add.at(meets, (label_idx, ref_idx), 1)
    renamings = np.array(list(itertools.permutations(range(len(names)), len(used))), dtype=np.intp)
    agreements = meets[np.arange(len(used)), renamings].sum(axis=1)
    best = renamings[agreements.argmax()]
    return names[best][label_idx]
