"""Cluster: HDBSCAN and KMeans recover planted structure; outliers; summaries."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from semclust.pipeline.cluster import (
    cluster_summary,
    hdbscan_labels,
    kmeans_labels,
    reassign_outliers,
)
from semclust.pipeline.clusterers import CLUSTERERS
from semclust.pipeline.reduce import knn_graph, umap_reduce
from semclust.study import UserError


def planted(n: int, dim: int, k: int, seed: int, noise: int = 0):
    """k unit Gaussians centred 10 apart on the axes of dim dimensions (dim >= k), plus
    ``noise`` uniform background points (truth -1)."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    X = 10 * np.eye(k, dim)[truth] + rng.normal(size=(n, dim))
    if noise:
        X[:noise] = rng.uniform(X.min(), X.max(), size=(noise, dim))
        truth = truth.copy()
        truth[:noise] = -1
    return X.astype(np.float32), truth


def test_hdbscan_recovers_planted_groups():
    X, truth = planted(500, 5, 4, seed=1)
    labels = hdbscan_labels(X, min_cluster_size=30)
    assert adjusted_rand_score(truth, labels) > 0.95


def test_umap_then_hdbscan_recovers_planted_structure_in_many_dimensions():
    X, truth = planted(400, 64, 4, seed=2)
    Y = umap_reduce(X, 5, 15, seed=1, knn=knn_graph(X, 30))
    labels = hdbscan_labels(Y, min_cluster_size=30)
    assert adjusted_rand_score(truth, labels) > 0.9


def test_hdbscan_with_fewer_points_than_min_cluster_size_is_all_noise():
    X, _ = planted(40, 3, 2, seed=1)
    assert (hdbscan_labels(X, min_cluster_size=50) == -1).all()
    assert (hdbscan_labels(X, min_cluster_size=10) >= 0).any()


def test_kmeans_recovers_planted_groups_and_is_seeded():
    X, truth = planted(400, 8, 5, seed=3)
    labels = kmeans_labels(X, 5, seed=4)
    assert adjusted_rand_score(truth, labels) > 0.95
    np.testing.assert_array_equal(labels, kmeans_labels(X, 5, seed=4))


def test_reassign_outliers_labels_every_noise_point_and_keeps_the_others():
    X, truth = planted(400, 3, 3, seed=5, noise=40)
    labels = hdbscan_labels(X, min_cluster_size=30)
    assert (labels == -1).any()
    moved = reassign_outliers(X, labels)
    assert not (moved == -1).any()
    kept = labels != -1
    np.testing.assert_array_equal(moved[kept], labels[kept])
    centroids = {c: X[labels == c].mean(axis=0) for c in set(labels[kept])}
    i = int(np.flatnonzero(~kept)[0])
    nearest = min(centroids, key=lambda c: np.linalg.norm(X[i] - centroids[c]))
    assert moved[i] == nearest
    assert (labels == -1).any()  # input untouched


def test_cluster_summary_counts_clusters_noise_and_sizes():
    summary = cluster_summary(np.array([2, 2, 2, 0, 0, -1, 1, -1]))
    assert summary["n_clusters"] == 3 and summary["n_noise"] == 2
    assert summary["noise_fraction"] == 0.25
    assert list(summary["sizes"].items()) == [("2", 3), ("0", 2), ("1", 1)]


def test_clusterer_registry_dispatches_and_rejects_unknown_methods():
    X, _ = planted(200, 4, 2, seed=6)
    np.testing.assert_array_equal(CLUSTERERS.method("kmeans").fit(X, {"k": 2}, 1, 1),
                                  kmeans_labels(X, 2, seed=1))
    with pytest.raises(UserError, match=r"unknown clusterer 'dbscan' \(known: hdbscan, kmeans\)"):
        CLUSTERERS.method("dbscan")
    with pytest.raises(ValueError, match="k must be"):
        kmeans_labels(X, 1)
