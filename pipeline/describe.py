"""Describe: one text per image, written by a describer backend, cached and resumable.

The orchestrator holds no backend logic. It lists the study's readable images,
skips those already described with the same cache key, hands the rest to a
describer (:mod:`pipeline.describers`) and appends every result to
``descriptions/<describer_id>.jsonl`` the moment it arrives (flushed and
fsynced), so a killed run loses at most the requests in flight.

Cache key: ``(image sha256, model, prompt, params)``. An image whose key has a
successful record in any description file of the study is never requested
again: in this describer's file it is skipped; found elsewhere (another
describer id, or another image with the same bytes) its text is copied.
An image whose latest record for the key is a failure is skipped too, unless
``retry_failed`` is set. The record format is documented in ``docs/describe.md``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from semclust.pipeline.answer_store import AnswerCounts, RecordWriter, capped_answer
from semclust.pipeline.describers import Description, ImageItem
from semclust.study import Study, UserError, check_id, iter_jsonl, now_iso

DEFAULT_PROMPT = "Describe the connotative meaning of this image, in one paragraph"


def default_describer_id(backend: str, model: str, prompt: str) -> str:
    """A readable id: ``<backend>-<model slug>-<6 hex of sha256(backend, model, prompt)>``.

    Example: ``openai-gpt-4o-mini-3f2a1c``. A model given as a local path is
    named by its last path component.
    """
    name = model
    if "/" in model and (model.startswith((".", "/", "~")) or Path(model).exists()):
        name = Path(model).name
    slug = re.sub(r"[^A-Za-z0-9._+-]+", "-", name).strip("-._")[:60] or "model"
    digest = hashlib.sha256(json.dumps([backend, model, prompt]).encode()).hexdigest()[:6]
    return check_id("describer", f"{backend}-{slug}-{digest}")


def cache_key(sha256: str, model: str, prompt: str | None, params: dict) -> str:
    """The cache key of one answer as a canonical JSON string."""
    return json.dumps([sha256, model, prompt, params], sort_keys=True, default=str)


def record_ok(record: dict) -> bool:
    """True when a record holds a usable description (non-empty text, no error)."""
    text = record.get("text")
    return not record.get("error") and isinstance(text, str) and bool(text.strip())


@dataclass
class CacheIndex:
    """What the study already knows for one (model, prompt, params).

    ``own_ok``/``own_failed``: image ids of this describer's file whose latest
    record for the key succeeded / failed; ``by_sha``: a successful record per
    image sha256, from any description file.
    """

    own_ok: set = field(default_factory=set)
    own_failed: set = field(default_factory=set)
    by_sha: dict = field(default_factory=dict)


def load_cache(study: Study, describer_id: str, model: str, prompt: str | None,
               params: dict) -> CacheIndex:
    """Scan every description file of the study for records with this model/prompt/params."""
    index = CacheIndex()
    own = study.description_path(describer_id)
    files = [study.description_path(d) for d in study.list_describers()]
    for path in [p for p in files if p != own] + ([own] if own.is_file() else []):
        for rec in iter_jsonl(path):
            sha = rec.get("sha256")
            if cache_key(sha, rec.get("model"), rec.get("prompt"), rec.get("params") or {}) \
                    != cache_key(sha, model, prompt, params):
                continue
            if record_ok(rec):
                index.by_sha[sha] = rec
            if path == own:
                image_id = str(rec.get("image_id"))
                ok = record_ok(rec)
                (index.own_ok if ok else index.own_failed).add(image_id)
                (index.own_failed if ok else index.own_ok).discard(image_id)
    return index


@dataclass
class DescribeSummary(AnswerCounts):
    """Counts of one run (:class:`~semclust.pipeline.answer_store.AnswerCounts`: ``done``/``failed``
    count answers received now, ``tokens`` sums them), plus what was skipped or copied."""

    describer_id: str
    path: Path
    total: int = 0
    skipped: int = 0
    skipped_failed: int = 0
    copied: int = 0
    notes: list = field(default_factory=list)

    def lines(self) -> list[str]:
        """The human-readable summary, one line per fact."""
        out = [f"describer {self.describer_id}: {self.total} images -> {self.path}",
               f"done {self.done}, failed {self.failed}, skipped {self.skipped} "
               f"(already described {self.skipped - self.skipped_failed}, "
               f"failed before {self.skipped_failed}), copied from cache {self.copied}",
               self.token_line()]
        if self.skipped_failed:
            out.append(f"{self.skipped_failed} image(s) failed in an earlier run: "
                       "re-ask them with --retry-failed")
        return out + self.problem_lines(self.path.name) + self.notes

    @property
    def nothing_succeeded(self) -> bool:
        """True when images were asked for and every answer failed (the run achieved nothing)."""
        return self.failed > 0 and self.done == 0 and self.copied == 0


def study_items(study: Study) -> list[ImageItem]:
    """The study's readable images (``status == "ok"``) as describer items."""
    frame = study.read_images(status="ok")
    root = study.image_root  # parsed once: Study.image_path re-reads study.yaml on every call
    return [ImageItem(image_id=str(row.image_id), path=_under(root, str(row.path)),
                      sha256=str(row.sha256), width=_int(row.width), height=_int(row.height))
            for row in frame.itertuples(index=False)]


def _under(root: Path, row_path: str) -> Path:
    path = Path(row_path)
    return path if path.is_absolute() else root / path


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def make_record(item: ImageItem, result: Description, describer, prompt: str | None) -> dict:
    """The JSON record of one image (see ``docs/describe.md``); text capped by :func:`capped_answer`."""
    text, cut = capped_answer(result.text if result.ok else None)
    return {"image_id": item.image_id, "sha256": item.sha256, "backend": describer.backend,
            "model": describer.model, "prompt": prompt, "params": describer.params,
            "text": text, **cut,
            "error": None if result.ok else (result.error or "empty answer"),
            "created_at": now_iso(), "latency_s": round(float(result.latency_s), 4),
            "tokens": result.tokens or {}}


def plan(items: list[ImageItem], cache: CacheIndex, retry_failed: bool, summary: DescribeSummary,
         retry_ids: frozenset = frozenset()):
    """Split items into ``(to_copy, to_request)``; count the skipped ones in ``summary``.

    Images in ``retry_ids`` (flagged descriptions) are requested again whatever the cache holds.
    """
    to_copy, to_request = [], []
    for item in items:
        if item.image_id in retry_ids:
            to_request.append(item)
        elif item.image_id in cache.own_ok:
            summary.skipped += 1
        elif item.sha256 in cache.by_sha:
            to_copy.append(item)
        elif item.image_id in cache.own_failed and not retry_failed:
            summary.skipped += 1
            summary.skipped_failed += 1
        else:
            to_request.append(item)
    return to_copy, to_request


def describe_study(study: Study, describer, prompt: str | None = DEFAULT_PROMPT,
                   describer_id: str | None = None, retry_failed: bool = False,
                   limit: int | None = None, progress: bool = True,
                   retry_flagged: bool = False) -> DescribeSummary:
    """Describe every readable image of ``study`` that has no cached description.

    Parameters
    ----------
    describer : a describer (see :mod:`pipeline.describers`)
    prompt : the question asked for every image
    describer_id : file name stem under ``descriptions/``; default
        :func:`default_describer_id`
    retry_failed : re-ask images whose latest record for this key failed
    limit : request at most this many images (the rest wait for the next run)
    retry_flagged : re-ask images whose description ``semclust descriptions check``
        flagged (``descriptions/<id>.health.csv``; UserError when it is missing)

    Returns
    -------
    DescribeSummary
    """
    from tqdm import tqdm

    describer_id = check_id("describer", describer_id or default_describer_id(
        describer.backend, describer.model, prompt or ""))
    path = study.description_path(describer_id)
    items = study_items(study)
    summary = DescribeSummary(describer_id, path, total=len(items))
    summary.notes += list(getattr(describer, "notes", []))
    cache = load_cache(study, describer_id, describer.model, prompt, describer.params)
    to_copy, to_request = plan(items, cache, retry_failed, summary,
                               flagged_ids(study, describer_id) if retry_flagged else frozenset())
    # identical bytes are asked once; the answer is written for every image that has them
    twins: dict[str, list[ImageItem]] = {}
    for item in to_request:
        twins.setdefault(item.sha256, []).append(item)
    unique = [group[0] for group in twins.values()]
    if limit is not None and len(unique) > limit:
        summary.notes.append(f"--limit {limit}: {len(unique) - limit} image(s) left for a later run")
        unique = unique[:limit]
    root = study.image_root
    with RecordWriter(path, fsync=getattr(describer, "costly", True)) as writer:
        for item in to_copy:
            writer.write(_copy_record(item, cache.by_sha[item.sha256]))
            summary.copied += 1
        bar = tqdm(total=len(unique), desc=f"describe ({describer.backend})", unit="img",
                   disable=not progress, file=sys.stderr)
        by_id = {item.image_id: item for item in unique}
        for result in describer.describe(unique, prompt):
            first = by_id[result.image_id]
            for item in twins[first.sha256]:
                record = make_record(item, result, describer, prompt)
                writer.write(record)
                _count(summary, item, record, result if item is first else None, root)
            bar.update(1)
        bar.close()
    return summary


def flagged_ids(study: Study, describer_id: str) -> frozenset:
    """Image ids whose description the last health check flagged; UserError if never checked."""
    health = study.read_health(describer_id)
    if health is None:
        raise UserError(f"descriptions {describer_id!r} were never checked: run `semclust descriptions "
                        f"check --study {study.root} --describer {describer_id}` first")
    return frozenset(health.loc[health["flagged"], "image_id"])


def _copy_record(item: ImageItem, source: dict) -> dict:
    record = dict(source, image_id=item.image_id, created_at=now_iso(), latency_s=0.0, tokens={})
    record["copied_from"] = source.get("image_id")
    return record


def _count(summary: DescribeSummary, item: ImageItem, record: dict, result, root: Path) -> None:
    name = Path(os.path.relpath(item.path, root)).as_posix()
    summary.count(record, result.tokens if result is not None else None, item.image_id, name)
