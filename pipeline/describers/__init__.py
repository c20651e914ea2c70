"""Describers: the backends that turn images into text, behind one tiny protocol.

A describer is any object with

* ``backend`` (str), ``model`` (str) and ``params`` (dict of the generation
  parameters that change the answer, e.g. ``max_tokens``, ``temperature``);
* ``describe(items, prompt)`` that takes a list of :class:`ImageItem` and yields
  one :class:`Description` per item, **in completion order**, as soon as each
  is ready (so the caller can save it before the next one finishes).

An optional ``costly = False`` says answers are free to redo (the orchestrator
then skips the per-record fsync). A describer never raises for one bad image or one failed request: it yields a
Description with ``error`` set and goes on. The orchestrator
(:mod:`pipeline.describe`) owns caching, resuming and the records on disk.

Backends are registered by name in :data:`BACKENDS` and imported only when used,
so their heavy dependencies (openai, torch, transformers) load late.
"""
from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from semclust.pipeline.answer_store import ModelAnswer

BACKENDS = {
    "openai": "semclust.pipeline.describers.openai_api:OpenAIDescriber",
    "hf": "semclust.pipeline.describers.hf:HFDescriber",
    "file": "semclust.pipeline.describers.file:FileDescriber",
}
#: The modules each backend imports (checked first: a missing one names the extra to install).
REQUIRES = {"openai": ("openai",), "hf": ("torch", "transformers"), "file": ()}


@dataclass(frozen=True)
class ImageItem:
    """One image to describe: its id, absolute path, content hash and pixel size."""

    image_id: str
    path: Path
    sha256: str
    width: int = 0
    height: int = 0


#: The outcome for one image: a :class:`~semclust.pipeline.answer_store.ModelAnswer` keyed by its
#: image id (``Description(image_id, text=..., error=..., latency_s=..., tokens=...)``).
Description = ModelAnswer


class Describer(Protocol):
    backend: str
    model: str
    params: dict

    def describe(self, items: list[ImageItem], prompt: str) -> Iterator[Description]:
        ...


def get_describer(backend: str, **options) -> Describer:
    """Build the describer of ``backend`` (a key of :data:`BACKENDS`) with ``options``."""
    from semclust.study import UserError

    if backend not in BACKENDS:
        raise UserError(f"unknown describe backend {backend!r} (choose from: {', '.join(BACKENDS)})")
    if REQUIRES[backend]:
        from semclust.extras import require

        require("pipeline", *REQUIRES[backend], what=f"the {backend} describer")
    module_name, class_name = BACKENDS[backend].split(":")
    return getattr(importlib.import_module(module_name), class_name)(**options)


# Formats every OpenAI-compatible server accepts as a data URL; others are re-encoded as PNG.
_WEB_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def load_image_bytes(path: Path) -> tuple[bytes, str]:
    """Read an image file and return ``(bytes, mime_type)`` ready for a data URL.

    JPEG, PNG, WebP and GIF files are sent unchanged; any other format Pillow
    can read is re-encoded as PNG. Raises ``OSError``/``ValueError`` (with
    Pillow's message) when the file is missing or not a readable image.
    """
    from PIL import Image

    data = Path(path).read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
        fmt = img.format
    if fmt in _WEB_FORMATS:
        return data, _WEB_FORMATS[fmt]
    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.convert("RGBA" if "A" in img.getbands() else "RGB").save(out, format="PNG")
    return out.getvalue(), "image/png"


def load_image_rgb(path: Path):
    """Open an image file as an RGB ``PIL.Image`` (fully decoded, file closed)."""
    from PIL import Image

    with Image.open(path) as img:
        return img.convert("RGB")


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Split ``items`` into consecutive lists of at most ``size`` elements."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
