"""Embed: turn a study's descriptions (or its images) into one matrix of vectors.

``embed_study`` decides which rows to embed, skips and lists the images that
cannot be embedded, runs an embedder (:mod:`pipeline.embedders`) batch by batch
behind a progress bar and writes ``embeddings/<embedder_id>.npy`` with its row
order (``.ids.csv``) and provenance (``.json``) through :class:`Study`.

Cache rule: the ``.json`` stores ``input_hash``, a SHA-256 over the model, the
source, the normalisation and every (image_id, input) pair, where the input is
the description text or the image file's sha256 from ``images.csv``. When the
embedding exists with the same hash, nothing is recomputed; ``force=True``
recomputes anyway. Any change of inputs or model recomputes and replaces it.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from semclust.pipeline.embedders import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_TEXT_MODEL,
    canonical_model,
    image_embedder,
    short_name,
    text_embedder,
)
from semclust.study import Study, UserError, check_id, now_iso, toolkit_version

DEFAULT_BATCH_SIZE = {"text": 64, "image": 32}


@dataclass
class Inputs:
    """What one embedding run reads: row ids, their inputs, and the rows skipped up front.

    ``items`` are description texts (kind ``"text"``) or absolute image paths
    (kind ``"image"``); ``keys`` are what the cache hash covers (the text, or the
    image's sha256); ``skipped`` holds ``(image_id, reason)`` pairs.
    """

    kind: str
    source: str
    image_ids: list[str]
    items: list
    keys: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class EmbedResult:
    """Outcome of :func:`embed_study` (``cached``: the existing embedding was kept)."""

    embedder_id: str
    path: Path
    n: int
    dim: int
    model: str
    cached: bool
    replaced: bool
    skipped: list[tuple[str, str]]
    notes: list[str]


def parse_source(value: str) -> tuple[str, str | None]:
    """Split ``--from``: ``"images"`` -> ``("image", None)``, ``"descriptions:ID"`` -> ``("text", ID)``.

    Raises UserError for anything else or an unsafe describer id.
    """
    value = (value or "").strip()
    if value == "images":
        return "image", None
    if value.startswith("descriptions:") and value.split(":", 1)[1]:
        return "text", check_id("describer", value.split(":", 1)[1])
    raise UserError(f"--from must be 'images' or 'descriptions:<describer_id>', got {value!r}")


def default_embedder_id(source: str, model: str) -> str:
    """Readable id ``<model short name>--<describer id | images>``, e.g. ``minilm-l6--demo-file``."""
    kind, describer = parse_source(source)
    return check_id("embedder", f"{short_name(model)}--{describer or 'images'}")


def _ok_image_ids(study: Study) -> list[str] | None:
    """Ids of the ``status == ok`` images in study order, or None when there is no images.csv."""
    if not study.images_csv.is_file():
        return None
    return study.read_images(status="ok")["image_id"].tolist()


def text_inputs(study: Study, describer_id: str) -> Inputs:
    """Descriptions with non-empty text, in ``images.csv`` order; the others skipped with a reason."""
    frame = study.read_descriptions(describer_id)
    records = {str(r["image_id"]): r for r in frame.to_dict("records")}
    order = _ok_image_ids(study)
    notes = []
    if order is None:
        order = list(records)
    else:
        unknown = len(set(records) - set(order))
        if unknown:
            notes.append(f"ignored {unknown} description(s) of images that are not 'ok' in images.csv")
    inputs = Inputs("text", f"descriptions:{describer_id}", [], [], [], notes=notes)
    for image_id in order:
        record = records.get(image_id)
        text = record.get("text") if record else None
        if isinstance(text, str) and text.strip():
            inputs.image_ids.append(image_id)
            inputs.items.append(text)
            inputs.keys.append(text)
        else:
            error = record.get("error") if record else None
            reason = (error if isinstance(error, str) and error else
                      "empty description" if record else "no description")
            inputs.skipped.append((image_id, reason))
    return inputs


def image_inputs(study: Study) -> Inputs:
    """The study's ``status == ok`` images (paths resolved), keyed by their sha256."""
    everything = study.read_images()
    frame = everything[everything["status"] == "ok"]
    notes = []
    if len(frame) < len(everything):
        notes.append(f"{len(everything) - len(frame)} image(s) not 'ok' in images.csv "
                     "(unreadable or duplicate at ingest) are not embedded")
    return Inputs("image", "images", frame["image_id"].astype(str).tolist(),
                  [study.image_path(p) for p in frame["path"]], frame["sha256"].astype(str).tolist(),
                  notes=notes)


def input_hash(model: str, inputs: Inputs, normalize: bool) -> str:
    """SHA-256 over model, source, normalisation and every (image_id, key) pair, in row order."""
    digest = hashlib.sha256()
    digest.update(json.dumps([model, inputs.source, bool(normalize)]).encode())
    for image_id, key in zip(inputs.image_ids, inputs.keys):
        digest.update(json.dumps([image_id, key]).encode())
    return digest.hexdigest()


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean length (zero rows stay zero); returns a new float32 array."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _progress(total: int, unit: str, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, disable=not enabled,
                dynamic_ncols=True)


def embed_texts(embedder, texts: list[str], batch_size: int, progress: bool = True) -> np.ndarray:
    """Embed ``texts`` in batches of similar length (longest first); rows in input order.

    Returns float32 of shape (len(texts), embedder.dim).
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    with _progress(len(texts), "text", "embed", progress) as bar:
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            out[rows] = embedder.embed([texts[i] for i in rows])
            bar.update(len(rows))
    return out


def _embed_image_batch(embedder, ids, images, skipped):
    """Embed one batch; if the batch fails, retry one by one and skip the images that fail."""
    try:
        return list(ids), [embedder.embed(images)]
    except (ValueError, RuntimeError, OSError):
        kept, parts = [], []
        for image_id, image in zip(ids, images):
            try:
                parts.append(embedder.embed([image]))
                kept.append(image_id)
            except (ValueError, RuntimeError, OSError) as exc:
                skipped.append((image_id, f"model cannot process image: {exc}".splitlines()[0]))
        return kept, parts


def embed_images(embedder, image_ids: list[str], paths: list[Path], batch_size: int,
                 progress: bool = True) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """Open and embed images batch by batch; an image that cannot be opened is skipped.

    Returns ``(vectors, kept_ids, skipped)``: float32 (len(kept_ids), dim), the
    ids of the embedded rows in input order, and ``(image_id, reason)`` pairs.
    """
    from semclust.pipeline.embedders.image import open_rgb

    kept, parts, skipped = [], [], []
    with _progress(len(image_ids), "image", "embed", progress) as bar:
        for start in range(0, len(image_ids), batch_size):
            ids, images = [], []
            for image_id, path in zip(image_ids[start:start + batch_size],
                                      paths[start:start + batch_size]):
                try:
                    images.append(open_rgb(path))
                    ids.append(image_id)
                except Exception as exc:  # PIL raises OSError, ValueError, DecompressionBombError
                    skipped.append((image_id, f"cannot open {path}: {exc}".splitlines()[0]))
            if images:
                batch_ids, batch_parts = _embed_image_batch(embedder, ids, images, skipped)
                kept += batch_ids
                parts += batch_parts
            bar.update(len(image_ids[start:start + batch_size]))
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)
    return vectors, kept, skipped


def _existing_info(study: Study, embedder_id: str) -> dict | None:
    """Provenance of a complete cached embedding, or None (absent, incomplete or unreadable)."""
    if not study.embedding_path(embedder_id).is_file():
        return None
    try:
        return study.read_embedding_info(embedder_id) or None
    except (OSError, json.JSONDecodeError):
        return None


def _info(embedder, inputs: Inputs, embedder_id: str, digest: str, n: int, normalize: bool,
          skipped: list, batch_size: int) -> dict:
    return {
        "embedder_id": embedder_id,
        "source": inputs.source,
        "kind": inputs.kind,
        "model": embedder.model,
        "dim": int(embedder.dim),
        "n": int(n),
        "normalized": bool(normalize),
        "input_hash": digest,
        "n_skipped": len(skipped),
        "skipped": [{"image_id": i, "reason": r} for i, r in skipped],
        "batch_size": int(batch_size),
        "device": embedder.device,
        "created_at": now_iso(),
        "toolkit_version": toolkit_version(),
        **embedder.info(),
    }


def embed_study(study: Study, source: str, model: str | None = None, embedder_id: str | None = None,
                batch_size: int | None = None, device: str = "auto", normalize: bool = True,
                force: bool = False, progress: bool = True) -> EmbedResult:
    """Embed a study's descriptions or images and write ``embeddings/<embedder_id>.*``.

    Parameters
    ----------
    study : Study
    source : str
        ``"descriptions:<describer_id>"`` (sentence-transformers; default model
        all-MiniLM-L6-v2) or ``"images"`` (default efficientnet-lite0, bundled ImageNet
        weights, offline; or a transformers model such as facebook/dinov2-base).
    model : str, optional
        Model name or local folder.
    embedder_id : str, optional
        Defaults to :func:`default_embedder_id`, e.g. ``minilm-l6--demo-file``.
    batch_size : int, optional
        Items per forward pass (default 64 texts or 32 images).
    device : str
        ``"auto"`` (GPU if visible), ``"cpu"``, ``"cuda"``, ...
    normalize : bool
        L2-normalise every row (cosine similarity = dot product). Default True.
    force : bool
        Recompute even when a cached embedding of the same inputs exists.

    Returns
    -------
    EmbedResult
        ``cached=True`` when the existing embedding was kept untouched.
    """
    kind, describer = parse_source(source)
    model = canonical_model(model or (DEFAULT_TEXT_MODEL if kind == "text" else DEFAULT_IMAGE_MODEL))
    embedder_id = check_id("embedder", embedder_id or default_embedder_id(source, model))
    batch_size = int(batch_size or DEFAULT_BATCH_SIZE[kind])
    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {batch_size}")
    inputs = text_inputs(study, describer) if kind == "text" else image_inputs(study)
    if not inputs.image_ids:
        what = f"descriptions with text in {describer!r}" if kind == "text" else "'ok' images"
        raise UserError(f"nothing to embed: study {study.root} has no {what}")
    digest = input_hash(model, inputs, normalize)
    path = study.embedding_path(embedder_id)
    existing = _existing_info(study, embedder_id)
    if existing and existing.get("input_hash") == digest and not force:
        stored = [(s["image_id"], s["reason"]) for s in existing.get("skipped", [])]
        skipped = inputs.skipped if kind == "text" else stored
        return EmbedResult(embedder_id, path, int(existing.get("n", 0)), int(existing.get("dim", 0)),
                           model, True, False, skipped, inputs.notes)
    if kind == "text":
        embedder = text_embedder(model, device)
        vectors = embed_texts(embedder, inputs.items, batch_size, progress)
        ids, skipped = inputs.image_ids, list(inputs.skipped)
    else:
        embedder = image_embedder(model, device)
        vectors, ids, skipped = embed_images(embedder, inputs.image_ids, inputs.items, batch_size,
                                             progress)
        if not ids:
            raise UserError(f"nothing to embed: none of the {len(inputs.image_ids)} images could be "
                            f"opened (first: {skipped[0][1]})")
    if normalize:
        vectors = l2_normalize(vectors)
    info = _info(embedder, inputs, embedder_id, digest, len(ids), normalize, skipped, batch_size)
    study.write_embeddings(embedder_id, vectors, ids, info)
    return EmbedResult(embedder_id, path, len(ids), int(embedder.dim), model, False,
                       existing is not None, skipped, inputs.notes)
