"""Hyperparameter search that people validate (`semclust search`, docs/search.md).

An Optuna (TPE) search over the reductions and clusterers of the registries,
scored on one half of the rated pairs (or by a proxy in the original embedding
space), resumable from its journal, and reported with the selected clustering's
score on the held-out half. It orchestrates ``pipeline`` (reductions,
clusterers, clustering folders) and ``evaluation`` (quality), which never import
each other's stages; optuna is imported only when a search runs.

Library entry points: :func:`run_search` (with :class:`SearchOptions`),
:func:`load_space`, :func:`search_history` (trials with the running best, for
the report's optimisation-history plot) and :func:`list_searches`.
"""
from __future__ import annotations

from semclust.search.results import list_searches, search_history
from semclust.search.run import SearchOptions, SearchResult, run_search
from semclust.search.space import load_space

__all__ = ["SearchOptions", "SearchResult", "list_searches", "load_space", "run_search",
           "search_history"]
