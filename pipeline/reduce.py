"""Reduce: embeddings -> a few dimensions (UMAP or PCA) before clustering.

The reference study reduces all-MiniLM-L6-v2 description embeddings with
UMAP (5/10 components x 5/15/30 neighbours, ``min_dist=0``, cosine) and with
PCA (5/10/20 components and 80 % of the variance), then clusters with HDBSCAN.

Running such a grid is dominated by UMAP. Two pieces here let the grid runner
(:mod:`pipeline.grid`) and ``bench/grid.py`` share work without changing the
method:

* :func:`knn_graph` computes the k-nearest-neighbour graph once, at the
  largest ``n_neighbors`` of the grid; :func:`umap_reduce` takes it through
  umap-learn's ``precomputed_knn`` after slicing it to its own ``n_neighbors``.
  Below 4,096 points the graph is exact, as umap-learn's own small-data path
  is, so the result equals a fresh fit with the same seed. From 4,096 points
  on it is pynndescent's approximate graph (``umap.umap_.nearest_neighbors``),
  as in a fresh fit, but searched at the larger k, so neighbours can differ
  slightly from a fresh search at a smaller k (``bench/RESULTS.md`` gives the
  agreement).
* :func:`pca_basis` does one full SVD; :func:`pca_reduce` slices it for any
  number of components or variance fraction.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

EXACT_KNN_BELOW = 4096  # umap-learn computes all distances below this many points
MANY_DIMENSIONS = 50  # HDBSCAN gets very slow above this many dimensions


@dataclass(frozen=True)
class KnnGraph:
    """A k-nearest-neighbour graph: row i lists point i's neighbours, itself first.

    Attributes
    ----------
    indices : ndarray of int, shape (n, k)
    distances : ndarray of float, shape (n, k), ascending per row
    metric : str
    method : str
        ``"exact"`` or ``"pynndescent"``.
    """

    indices: np.ndarray
    distances: np.ndarray
    metric: str
    method: str

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    def sliced(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``k`` neighbours of every point, as new ``(indices, distances)`` arrays.

        Always copies: umap-learn writes into the arrays it is given, and in a
        worker process the graph may be a read-only memory map.
        """
        if k > self.k:
            raise ValueError(f"graph has {self.k} neighbours, {k} requested")
        return self.indices[:, :k].copy(), self.distances[:, :k].copy()


def knn_graph(X: np.ndarray, n_neighbors: int, metric: str = "cosine", seed: int = 0,
              n_jobs: int = -1) -> KnnGraph:
    """The k-nearest-neighbour graph UMAP would build, computed once for reuse.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    n_neighbors : int
        k, counting the point itself (UMAP's convention); the largest
        ``n_neighbors`` of the UMAP settings that will share the graph.
    metric : str
        Any metric of umap-learn/pynndescent (``"cosine"`` in the reference study).
    seed : int
        Seeds pynndescent's random projection trees (not used when exact).
    n_jobs : int
        Threads for pynndescent (-1 = all).

    Returns
    -------
    KnnGraph
        Exact (all pairwise distances, as umap-learn does itself) when
        ``n < 4096``, else pynndescent's approximate graph.
    """
    from sklearn.utils import check_random_state

    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    k = min(int(n_neighbors), n - 1)
    if n < EXACT_KNN_BELOW:
        indices, distances = _exact_knn(X, k, metric)
        return KnnGraph(indices, distances, metric, "exact")
    from umap.umap_ import nearest_neighbors

    indices, distances, _ = nearest_neighbors(
        X, k, metric, {}, False, check_random_state(seed), low_memory=True,
        use_pynndescent=True, n_jobs=n_jobs)
    return KnnGraph(indices, distances, metric, "pynndescent")


def _exact_knn(X: np.ndarray, k: int, metric: str, margin: int = 5):
    """Exact kNN whose distances are bit-identical to umap-learn's small-data path.

    Candidates come from sklearn's fast ``pairwise_distances``; their distances
    are then recomputed with umap-learn's own (numba) metric, which is what a
    fresh ``UMAP.fit`` uses below 4,096 points, and re-sorted.
    """
    from sklearn.metrics import pairwise_distances
    from umap.distances import named_distances

    dmat = pairwise_distances(X, metric=metric)
    wide = min(k + margin, len(X))
    candidates = np.argpartition(dmat, wide - 1, axis=1)[:, :wide]
    umap_metric = named_distances.get(metric)
    if umap_metric is None:
        exact = np.take_along_axis(dmat, candidates, axis=1)
    else:
        exact = np.array([[umap_metric(X[i], X[j]) for j in row]
                          for i, row in enumerate(candidates)], dtype=np.float32)
    order = np.argsort(exact, axis=1, kind="stable")[:, :k]
    return (np.take_along_axis(candidates, order, axis=1),
            np.take_along_axis(exact, order, axis=1))


def umap_reduce(X: np.ndarray, n_components: int, n_neighbors: int, min_dist: float = 0.0,
                metric: str = "cosine", seed: int = 0, knn: KnnGraph | None = None) -> np.ndarray:
    """UMAP embedding of ``X`` into ``n_components`` dimensions.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    n_components, n_neighbors : int
    min_dist : float
        0 in the reference study (tight clumps suit density clustering).
    metric : str
        Metric of the input space.
    seed : int
        ``random_state``; makes the fit deterministic (and single-threaded).
    knn : KnnGraph, optional
        A graph from :func:`knn_graph` with at least ``n_neighbors`` columns and
        the same metric; sliced to ``n_neighbors`` and passed as
        ``precomputed_knn`` so the neighbour search is skipped.

    Returns
    -------
    ndarray of float32, shape (n, n_components)
    """
    import umap

    X = np.asarray(X, dtype=np.float32)
    kwargs = {}
    k = min(int(n_neighbors), len(X) - 1)
    if knn is not None:
        if knn.metric != metric:
            raise ValueError(f"kNN graph metric {knn.metric!r} differs from {metric!r}")
        kwargs["precomputed_knn"] = knn.sliced(k)
    model = umap.UMAP(n_components=int(n_components), n_neighbors=k, min_dist=float(min_dist),
                      metric=metric, random_state=int(seed), n_jobs=1, **kwargs)
    with warnings.catch_warnings():
        # a precomputed graph has no search index; we never call transform()
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        return np.asarray(model.fit_transform(X), dtype=np.float32)


@dataclass(frozen=True)
class PcaBasis:
    """A full PCA of one embedding: mean, components and explained variance ratios.

    Attributes
    ----------
    mean : ndarray, shape (d,)
    components : ndarray, shape (r, d), r = min(n, d), by decreasing variance
    explained_variance_ratio : ndarray, shape (r,)
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray


def pca_basis(X: np.ndarray, seed: int = 0) -> PcaBasis:
    """Fit a full PCA once (sklearn ``PCA(svd_solver="full")``); slice it with :func:`pca_reduce`."""
    from sklearn.decomposition import PCA

    pca = PCA(svd_solver="full", random_state=int(seed)).fit(np.asarray(X, dtype=np.float32))
    return PcaBasis(pca.mean_, pca.components_, pca.explained_variance_ratio_)


def components_for_variance(explained_variance_ratio: np.ndarray, fraction: float) -> int:
    """Fewest leading components whose cumulative explained variance exceeds ``fraction``.

    Same rule as sklearn's ``PCA(n_components=fraction)`` ("greater than the
    percentage specified"; a cumulative sum exactly equal to it takes one more).

    >>> components_for_variance(np.array([0.5, 0.3, 0.15, 0.05]), 0.75)
    2
    >>> components_for_variance(np.array([0.5, 0.3, 0.15, 0.05]), 0.85)
    3
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"variance fraction must be in (0, 1), got {fraction}")
    cumulative = np.cumsum(explained_variance_ratio)
    return int(min(np.searchsorted(cumulative, fraction, side="right") + 1, len(cumulative)))


def pca_reduce(X: np.ndarray, n_components: float, seed: int = 0,
               basis: PcaBasis | None = None) -> tuple[np.ndarray, dict]:
    """Project ``X`` on its leading principal components.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    n_components : int or float
        A count (>= 1) or a variance fraction in (0, 1), e.g. 0.8 = the fewest
        components that explain 80 % of the variance.
    seed : int
    basis : PcaBasis, optional
        From :func:`pca_basis` on the same ``X``; avoids refitting per setting.

    Returns
    -------
    Y : ndarray of float32, shape (n, kept)
    info : dict
        ``n_components_kept`` and ``explained_variance`` (fraction, cumulative).
    """
    basis = basis if basis is not None else pca_basis(X, seed)
    r = len(basis.explained_variance_ratio)
    if isinstance(n_components, float) and n_components < 1.0:
        kept = components_for_variance(basis.explained_variance_ratio, float(n_components))
    else:
        kept = int(n_components)
        if not 1 <= kept <= r:
            raise ValueError(f"PCA n_components must be between 1 and {r}, got {n_components}")
    Y = (np.asarray(X, dtype=np.float32) - basis.mean) @ basis.components[:kept].T
    explained = float(np.sum(basis.explained_variance_ratio[:kept]))
    return Y.astype(np.float32), {"n_components_kept": kept, "explained_variance": explained}
