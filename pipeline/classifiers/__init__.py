"""The registry of classifiers: a study's images -> the researcher's classes (zero-shot).

One module per method defines its :class:`~semclust.pipeline.registry.Classifier`
entry; the line below registers it, and ``semclust classify`` offers one
subcommand per entry. What they share (the classes file, templates, answer
matching, the clustering folder) lives in :mod:`semclust.pipeline.classes`;
running one is :func:`semclust.pipeline.classifiers.classify.classify_study`.
"""
from __future__ import annotations

from semclust.pipeline.classifiers import clip, text, vlm
from semclust.pipeline.registry import Registry

CLASSIFIERS = Registry("classifier", [text.CLASSIFIER, clip.CLASSIFIER, vlm.CLASSIFIER])
