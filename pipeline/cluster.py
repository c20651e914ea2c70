"""Cluster: reduced embeddings -> one label per image (-1 = noise).

HDBSCAN (the ``hdbscan`` package) as in the reference study; KMeans with a
given K for IC|TC-style comparisons; an optional step that gives noise points
the label of the nearest cluster centroid (off by default: the reference study
keeps noise as noise). All functions are pure: arrays in, arrays out.
"""
from __future__ import annotations

import numpy as np

from semclust.vocabulary import NOISE


def hdbscan_labels(Y: np.ndarray, min_cluster_size: int, min_samples: int | None = None,
                   cluster_selection_method: str = "eom", n_jobs: int = 1) -> np.ndarray:
    """HDBSCAN labels of the rows of ``Y`` (Euclidean).

    Parameters
    ----------
    Y : ndarray, shape (n, d)
        Reduced embedding; HDBSCAN gets very slow above ~50 dimensions.
    min_cluster_size : int
        Smallest group that counts as a cluster (50/100/200 in the reference study).
    min_samples : int, optional
        Density smoothing; ``None`` = ``min_cluster_size`` (the package default).
    cluster_selection_method : {"eom", "leaf"}
    n_jobs : int
        Threads for core distances (keep 1 when configurations run in parallel).

    Returns
    -------
    ndarray of int, shape (n,)
        Cluster ids 0..K-1 and -1 for noise (all noise when n <= min_cluster_size).
        Deterministic for a given ``Y``.
    """
    import hdbscan

    if len(Y) <= max(int(min_cluster_size), int(min_samples or 0)):
        return np.full(len(Y), NOISE)  # too few points for even one cluster
    model = hdbscan.HDBSCAN(min_cluster_size=int(min_cluster_size),
                            min_samples=None if min_samples is None else int(min_samples),
                            metric="euclidean",
                            cluster_selection_method=cluster_selection_method,
                            core_dist_n_jobs=int(n_jobs))
    return model.fit_predict(np.asarray(Y, dtype=np.float64)).astype(int)


def kmeans_labels(Y: np.ndarray, k: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """KMeans labels 0..k-1 of the rows of ``Y`` (sklearn, k-means++, ``n_init`` restarts).

    Parameters
    ----------
    Y : ndarray, shape (n, d)
    k : int
        Number of clusters, 2 <= k <= n.
    seed : int
        ``random_state`` of sklearn's KMeans.
    n_init : int

    Returns
    -------
    ndarray of int, shape (n,)
    """
    from sklearn.cluster import KMeans

    if not 2 <= int(k) <= len(Y):
        raise ValueError(f"KMeans k must be between 2 and {len(Y)}, got {k}")
    model = KMeans(n_clusters=int(k), n_init=n_init, random_state=int(seed))
    return model.fit_predict(np.asarray(Y, dtype=np.float64)).astype(int)


def reassign_outliers(Y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Give every noise point (-1) the label of the nearest cluster centroid.

    Centroid = mean of a cluster's points in ``Y``; distance = Euclidean.
    Clustered points keep their labels; with no cluster at all the labels
    are returned unchanged. ``labels`` is not modified.

    >>> Y = np.array([[0.0], [0.2], [5.0], [5.2], [1.0], [4.0]])
    >>> reassign_outliers(Y, np.array([0, 0, 1, 1, -1, -1])).tolist()
    [0, 0, 1, 1, 0, 1]
    """
    labels = np.asarray(labels).copy()
    clusters = np.unique(labels[labels != NOISE])
    noise = labels == NOISE
    if len(clusters) == 0 or not noise.any():
        return labels
    centroids = np.stack([Y[labels == c].mean(axis=0) for c in clusters])
    d2 = ((Y[noise, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    labels[noise] = clusters[np.argmin(d2, axis=1)]
    return labels


def cluster_summary(labels: np.ndarray) -> dict:
    """Counts of one labelling.

    Returns
    -------
    dict
        ``n_images``, ``n_clusters`` (noise not counted), ``n_noise``,
        ``noise_fraction`` (n_noise / n_images) and ``sizes`` (cluster id as
        a string -> size, largest first; noise excluded).

    >>> cluster_summary(np.array([0, 0, 1, -1]))["noise_fraction"]
    0.25
    """
    labels = np.asarray(labels)
    n = int(len(labels))
    ids, counts = np.unique(labels[labels != NOISE], return_counts=True)
    order = np.lexsort((ids, -counts))
    n_noise = int(np.sum(labels == NOISE))
    return {
        "n_images": n,
        "n_clusters": int(len(ids)),
        "n_noise": n_noise,
        "noise_fraction": round(n_noise / n, 6) if n else 0.0,
        "sizes": {str(int(ids[i])): int(counts[i]) for i in order},
    }
