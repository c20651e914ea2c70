"""The registry of clusterers: reduced embeddings (n, k) -> labels (n,), -1 = noise.

One module per method defines its :class:`~semclust.pipeline.registry.Clusterer`
entry; the line below registers it. The algorithms are pure functions in
:mod:`semclust.pipeline.cluster`.
"""
from __future__ import annotations

from semclust.pipeline.clusterers import hdbscan, kmeans
from semclust.pipeline.registry import Registry

CLUSTERERS = Registry("clusterer", [hdbscan.CLUSTERER, kmeans.CLUSTERER])
