"""Reduce: PCA by count or variance fraction, kNN graph reuse for UMAP."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances

from semclust.pipeline.reduce import components_for_variance, knn_graph, pca_basis, pca_reduce, umap_reduce


def spectrum_data(n: int = 400, variances=(50.0, 30.0, 10.0, 5.0, 3.0, 2.0), seed: int = 0):
    """Data whose principal axes have (about) the given variances."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(20, len(variances))))
    z = rng.normal(size=(n, len(variances))) * np.sqrt(variances)
    return (z @ q.T).astype(np.float32)


def blobs(n: int = 400, dim: int = 24, k: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    X = rng.normal(size=(k, dim))[truth] * 3 + rng.normal(size=(n, dim))
    return X.astype(np.float32), truth


@pytest.mark.parametrize("fraction", [0.5, 0.8, 0.9, 0.97])
def test_pca_variance_fraction_keeps_the_same_count_as_sklearn(fraction):
    X = spectrum_data()
    Y, info = pca_reduce(X, fraction)
    expected = PCA(n_components=fraction, svd_solver="full").fit(X).n_components_
    assert info["n_components_kept"] == expected == Y.shape[1]
    assert info["explained_variance"] >= fraction


def test_components_for_variance_is_the_fewest_exceeding_the_fraction():
    ratios = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])  # exact binary fractions
    assert components_for_variance(ratios, 0.74) == 2
    assert components_for_variance(ratios, 0.75) == 3  # equal is not greater (sklearn's rule)
    assert components_for_variance(ratios, 0.85) == 3
    assert components_for_variance(ratios, 0.999) == 5
    with pytest.raises(ValueError):
        components_for_variance(ratios, 1.0)


def test_pca_slices_of_one_basis_equal_separate_fits_up_to_sign():
    X = spectrum_data()
    basis = pca_basis(X)
    for c in (1, 3, 5):
        Y, info = pca_reduce(X, c, basis=basis)
        ref = PCA(n_components=c, svd_solver="full").fit_transform(X)
        assert info["n_components_kept"] == c
        np.testing.assert_allclose(np.abs(Y), np.abs(ref), atol=1e-3)


def test_pca_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 1 and"):
        pca_reduce(spectrum_data(n=30), 500)


def test_knn_graph_small_data_is_exact_and_starts_with_self():
    X, _ = blobs(n=200)
    graph = knn_graph(X, 10, "cosine")
    assert graph.method == "exact" and graph.indices.shape == (200, 10)
    dmat = pairwise_distances(X, metric="cosine")
    expected = np.sort(dmat, axis=1)[:, :10]
    np.testing.assert_allclose(graph.distances, expected, atol=1e-5)
    assert (graph.indices[:, 0] == np.arange(200)).all()
    assert (np.diff(graph.distances, axis=1) >= 0).all()
    with pytest.raises(ValueError):
        graph.sliced(11)


def test_knn_graph_slices_are_writable_copies_even_of_read_only_graphs():
    X, _ = blobs(n=100)
    graph = knn_graph(X, 10, "cosine")
    graph.indices.setflags(write=False)  # as a memory map in a worker process is
    for k in (5, 10):
        indices, distances = graph.sliced(k)
        indices[:] = -1  # umap-learn writes into the arrays it is given
        distances[:] = 0
    assert (graph.indices >= 0).all() and graph.distances[:, 1:].max() > 0


@pytest.mark.slow
def test_umap_with_shared_knn_equals_a_fresh_fit_with_the_same_seed():
    X, _ = blobs(n=200)
    graph = knn_graph(X, 30, "cosine", seed=3)  # sliced to 10 inside
    shared = umap_reduce(X, 2, 10, seed=3, knn=graph)
    fresh = umap_reduce(X, 2, 10, seed=3)
    np.testing.assert_array_equal(shared, fresh)


def test_umap_rejects_graph_of_another_metric():
    X, _ = blobs(n=100)
    with pytest.raises(ValueError, match="metric"):
        umap_reduce(X, 2, 5, metric="euclidean", knn=knn_graph(X, 10, "cosine"))
