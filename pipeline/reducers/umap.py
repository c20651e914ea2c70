"""UMAP (McInnes et al. 2018), as in the reference study: cosine, min_dist 0, 5/10 components
x 5/15/30 neighbours. Settings of one grid share one kNN graph per metric, built at the grid's
largest ``n_neighbors`` (:func:`semclust.pipeline.reduce.knn_graph`)."""
from __future__ import annotations

import time

from semclust.pipeline import reduce as reducing
from semclust.pipeline.registry import Param, Reducer, components, integers, number, text


def step_id(p: dict) -> str:
    """``umap-c5-n15``; ``-md0.1`` when min_dist is not 0, ``-<metric>`` when not cosine."""
    out = f"umap-c{p['n_components']}-n{p['n_neighbors']}"
    out += f"-md{p['min_dist']:g}" if p["min_dist"] else ""
    return out + (f"-{p['metric']}" if p["metric"] != "cosine" else "")


def prepare(X, settings: list[dict], grid_settings: list[dict], seed: int, echo) -> list:
    largest: dict[str, int] = {}
    for p in grid_settings:  # the whole grid's, so a resumed run builds the same graph
        largest[p["metric"]] = max(largest.get(p["metric"], 0), p["n_neighbors"])
    graphs = {}
    for metric in sorted({p["metric"] for p in settings}):
        start = time.perf_counter()
        graphs[metric] = reducing.knn_graph(X, largest[metric], metric, seed=seed)
        echo(f"kNN graph ({metric}, k={graphs[metric].k}, {graphs[metric].method}) "
             f"in {time.perf_counter() - start:.1f} s, shared by all UMAP settings")
    return [((X, graphs[p["metric"]]), {"n_components_kept": p["n_components"],
                                        "knn": {"k": graphs[p["metric"]].k,
                                                "method": graphs[p["metric"]].method, "shared": True}})
            for p in settings]


def reduce(payload, p: dict, seed: int):
    X, graph = payload
    return reducing.umap_reduce(X, p["n_components"], p["n_neighbors"], p["min_dist"], p["metric"],
                                seed=seed, knn=graph)


REDUCER = Reducer(
    name="umap",
    params=(Param("n_components", components(allow_fraction=False), doc="output dimensions"),
            Param("n_neighbors", integers(2), doc="neighbours of the fuzzy graph (counting the point)"),
            Param("min_dist", number(0, 1), 0.0, "minimum distance between embedded points"),
            Param("metric", text("a metric name"), "cosine", "metric of the input space")),
    step_id=step_id,
    doc="UMAP (umap-learn); the reference study's reduction",
    title="UMAP", label=lambda p: f"UMAP {p['n_components']}-d, {p['n_neighbors']} nn",
    prepare=prepare, reduce=reduce, heavy=True,
)
