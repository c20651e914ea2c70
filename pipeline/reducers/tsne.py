"""t-SNE (van der Maaten & Hinton 2008; scikit-learn's Barnes-Hut ``TSNE``), 2-3 components:
the LVM/LVLM thesis compares it with UMAP and PCA before HDBSCAN."""
from __future__ import annotations

import numpy as np

from semclust.pipeline.registry import Param, Reducer, choice, integers, number


def step_id(p: dict) -> str:
    """``tsne-c2-p30``; ``-<metric>`` when not cosine."""
    return f"tsne-c{p['n_components']}-p{p['perplexity']:g}" + (
        f"-{p['metric']}" if p["metric"] != "cosine" else "")


def _two_or_three(value) -> list:
    values = integers(2)(value)
    if any(v > 3 for v in values):
        raise ValueError(f"expected 2 or 3 (Barnes-Hut t-SNE), got {value!r}")
    return values


def check_data(p: dict, n: int, dim: int) -> str | None:
    if p["perplexity"] >= n:
        return f"t-SNE perplexity must be below the number of points ({n}), got {p['perplexity']:g}"
    return None


def prepare(X, settings: list[dict], grid_settings: list[dict], seed: int, echo) -> list:
    return [(X, {"n_components_kept": p["n_components"]}) for p in settings]


def reduce(X, p: dict, seed: int):
    from sklearn.manifold import TSNE

    model = TSNE(n_components=int(p["n_components"]), perplexity=float(p["perplexity"]),
                 metric=p["metric"], init="pca",
                 random_state=int(seed), n_jobs=1)
    return np.asarray(model.fit_transform(np.asarray(X, dtype=np.float32)), dtype=np.float32)


REDUCER = Reducer(
    name="tsne",
    params=(Param("n_components", _two_or_three, doc="2 or 3 output dimensions"),
            Param("perplexity", number(1, 1000), 30.0, "effective number of neighbours"),
            Param("metric", choice("cosine", "euclidean"), "cosine", "metric of the input space")),
    step_id=step_id,
    doc="t-SNE (scikit-learn); compared with UMAP and PCA in the LVM/LVLM thesis",
    title="t-SNE", label=lambda p: f"t-SNE {p['n_components']}-d",
    check_data=check_data, prepare=prepare, reduce=reduce, heavy=True,
)
