"""Method families: which way of grouping images a clustering comes from, for side-by-side figures.

The reference study's key result compares description embeddings with image
embeddings under the same grid; its Figure 7 compares two describers (GPT-4,
LLaVA) under the same settings. A family is therefore the *representation*
(the describer, i.e. model and prompt, for text; the model for images) plus
the *method* (HDBSCAN after a reduction, KMeans on the raw embedding, a
classifier into given classes, ...). Everything is read from the clustering's
``params.json`` and the embedding's provenance through :class:`Study`.
"""
from __future__ import annotations

from functools import lru_cache

from semclust.study import Study, iter_jsonl


def representation(study: Study, embedding_id: str | None) -> str:
    """``text: <model> [<describer>]`` or ``image: <model>`` (``unknown`` without provenance)."""
    if not embedding_id:
        return "unknown"
    try:
        info = study.read_embedding_info(embedding_id)
    except Exception:  # noqa: BLE001 - a clustering from elsewhere may name no stored embedding
        return f"embedding {embedding_id}"
    source = str(info.get("source", ""))
    if source.startswith("descriptions:"):
        describer = source.split(":", 1)[1]
        return f"text: {_describer_model(study.description_path(describer)) or describer} [{describer}]"
    if source == "images":
        return f"image: {info.get('model', 'unknown model')}"
    return f"embedding {embedding_id}"


@lru_cache(maxsize=64)
def _describer_model(path) -> str | None:
    """The model named in the first record of a descriptions file (None if there is none)."""
    if not path.is_file():
        return None
    return next((r.get("model") for r in iter_jsonl(path) if r.get("model")), None)


def clusterer_title(clusterer) -> str:
    """The clusterer's name for readers, as params.json records it (``title``; the clusterer
    registry makes it: ``HDBSCAN``, ``KMeans``); else its method name."""
    if not isinstance(clusterer, dict):
        return str(clusterer or "?")
    return str(clusterer.get("title") or clusterer.get("method") or "?")


def method_name(params: dict) -> str:
    """How the groups were made: ``HDBSCAN``, ``KMeans on the raw embedding``, ``classify (text)``..."""
    classifier = params.get("classifier")
    if isinstance(classifier, dict):
        return f"classify ({classifier.get('method', '?')})"
    clusterer = params.get("clusterer") or {}
    name = clusterer_title(clusterer)
    reduction = params.get("reduction") or {}
    if isinstance(reduction, dict) and reduction.get("method") == "none":
        name += " on the raw embedding"
    if params.get("search"):
        name += " (searched)"
    return name


def method_family(study: Study, clustering_id: str) -> str:
    """``<representation> · <method>``, e.g. ``text: gpt-4o [gpt4-connotative] · HDBSCAN``."""
    params = study.read_clustering_json(clustering_id, "params.json")
    return f"{representation(study, study.clustering_embedding(clustering_id))} · {method_name(params)}"
