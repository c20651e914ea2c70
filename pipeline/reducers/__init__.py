"""The registry of reductions: embeddings (n, d) -> (n, k) before clustering.

One module per method defines its :class:`~semclust.pipeline.registry.Reducer`
entry; the line below registers it. The algorithms shared by several entries
(kNN graphs, UMAP, PCA bases) live in :mod:`semclust.pipeline.reduce`.
"""
from __future__ import annotations

from semclust.pipeline.reducers import none, pca, tsne, umap
from semclust.pipeline.registry import Registry

REDUCERS = Registry("reduction", [umap.REDUCER, pca.REDUCER, tsne.REDUCER, none.REDUCER])
