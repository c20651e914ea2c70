"""KMeans with a given K (scikit-learn, k-means++): IC|TC's cheap variant (Kwon et al. 2024) and the
usual baseline when the number of groups is known. Every image gets a cluster (no noise)."""
from __future__ import annotations

from semclust.pipeline.cluster import kmeans_labels
from semclust.pipeline.registry import Clusterer, Param, integers


def check_data(p: dict, n: int, dim: int) -> str | None:
    if p["k"] > n:
        return f"k={p['k']} exceeds the {n} images"
    return None


def fit(Y, p: dict, seed: int, n_jobs: int):
    return kmeans_labels(Y, p["k"], seed=seed)


CLUSTERER = Clusterer(
    name="kmeans",
    params=(Param("k", integers(2), doc="number of clusters"),),
    step_id=lambda p: f"km-k{p['k']}",
    doc="KMeans (scikit-learn) with K given; no noise",
    title="KMeans",
    check_data=check_data, fit=fit,
)
