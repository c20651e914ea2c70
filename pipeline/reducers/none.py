"""No reduction: cluster the embedding as it is (e.g. KMeans on raw MiniLM vectors, the cheap
variant of IC|TC, Kwon et al. 2024)."""
from __future__ import annotations

from semclust.pipeline.registry import Reducer


def prepare(X, settings: list[dict], grid_settings: list[dict], seed: int, echo) -> list:
    return [(X, {"n_components_kept": int(X.shape[1])}) for _ in settings]


def reduce(payload, p: dict, seed: int):
    return payload


REDUCER = Reducer(
    name="none",
    params=(),
    step_id=lambda p: "raw",
    doc="no reduction: the embedding as it is (HDBSCAN gets slow above ~50 dimensions)",
    title="none",
    prepare=prepare, reduce=reduce,
)
