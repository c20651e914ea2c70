"""HDBSCAN (Campello et al. 2013; the ``hdbscan`` package), the reference study's clusterer:
min_cluster_size 50/100/200, noise kept as noise."""
from __future__ import annotations

from semclust.pipeline.cluster import hdbscan_labels
from semclust.pipeline.registry import Clusterer, Param, choice, integers, optional_integers


def step_id(p: dict) -> str:
    """``hdb-m50``; ``-s10`` with min_samples, ``-leaf`` with leaf selection."""
    out = f"hdb-m{p['min_cluster_size']}"
    out += f"-s{p['min_samples']}" if p.get("min_samples") is not None else ""
    return out + ("-leaf" if p.get("cluster_selection_method") == "leaf" else "")


def fit(Y, p: dict, seed: int, n_jobs: int):
    return hdbscan_labels(Y, p["min_cluster_size"], p["min_samples"], p["cluster_selection_method"],
                          n_jobs=n_jobs)


CLUSTERER = Clusterer(
    name="hdbscan",
    params=(Param("min_cluster_size", integers(2), doc="smallest group that counts as a cluster"),
            Param("min_samples", optional_integers(1), None,
                  "density smoothing (null = min_cluster_size)"),
            Param("cluster_selection_method", choice("eom", "leaf"), "eom",
                  "excess of mass, or leaves of the cluster tree")),
    step_id=step_id,
    doc="HDBSCAN (hdbscan package); the reference study's clusterer, with noise",
    title="HDBSCAN",
    fit=fit,
)
