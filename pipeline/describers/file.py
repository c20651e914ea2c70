"""The ``file`` describer: import descriptions someone already has.

The input is a CSV (``.csv``/``.tsv``) or JSON Lines (``.jsonl``/``.ndjson``)
file with a ``text`` column and an ``image_id`` or ``path`` column (optional:
``model``, ``prompt``). A ``path`` is matched, in order, as a path relative to
the study's image root, as an absolute path under it, or as a file name that is
unique in the study. Rows that name no image of the study, or an ambiguous file
name, are reported in :attr:`FileDescriber.notes` (count and the first few),
never silently dropped; readable images with no row get a record whose error
says so.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Iterator

import pandas as pd

from semclust.pipeline.describers import Description, ImageItem
from semclust.study import Study, UserError, read_csv

_JSONL = {".jsonl", ".ndjson", ".json"}
_CSV = {".csv": ",", ".tsv": "\t"}
_SHOW = 5  # how many problem rows to name in a note


def read_input(path: Path) -> pd.DataFrame:
    """Read the import file into a DataFrame with a ``text`` and an id column.

    Raises UserError naming the file (and line, for JSONL) on any problem.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--input file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in _CSV:
        frame = read_csv(path, ["text"], what="--input", sep=_CSV[suffix], dtype=str)
    elif suffix in _JSONL:
        frame = pd.DataFrame.from_records(_read_jsonl(path))
    else:
        raise UserError(f"--input {path}: unknown format {suffix!r} (use .csv, .tsv or .jsonl)")
    if "text" not in frame.columns or not ({"image_id", "path"} & set(frame.columns)):
        raise UserError(f"--input {path}: needs a `text` column and an `image_id` or `path` column "
                        f"(has: {', '.join(map(str, frame.columns)) or 'nothing'})")
    return frame


def _read_jsonl(path: Path) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"--input {path}, line {lineno}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise UserError(f"--input {path}, line {lineno}: expected a JSON object")
            records.append(record)
    return records


def _clean(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


class PathResolver:
    """Map an ``image_id`` or ``path`` of an import row to a study image id."""

    def __init__(self, images: pd.DataFrame, image_root: Path):
        self.image_root = Path(image_root)
        self.ids = set(images["image_id"].astype(str))
        self.by_path = {PurePosixPath(str(p).replace("\\", "/")).as_posix(): str(i)
                        for i, p in zip(images["image_id"], images["path"])}
        names = Counter(PurePosixPath(p).name for p in self.by_path)
        self.by_name = {PurePosixPath(p).name: i for p, i in self.by_path.items()
                        if names[PurePosixPath(p).name] == 1}
        self.ambiguous = {n for n, count in names.items() if count > 1}

    def resolve(self, image_id: str | None, path: str | None) -> tuple[str | None, str | None]:
        """``(image_id, None)`` when found, else ``(None, reason)``."""
        if image_id is not None:
            return (image_id, None) if image_id in self.ids else (None, "unknown image_id")
        if path is None:
            return None, "no image_id or path"
        posix = PurePosixPath(path.replace("\\", "/"))
        if posix.is_absolute():
            try:
                posix = PurePosixPath(Path(path).resolve().relative_to(self.image_root.resolve())
                                      .as_posix())
            except ValueError:
                pass
        if posix.as_posix() in self.by_path:
            return self.by_path[posix.as_posix()], None
        if posix.name in self.by_name:
            return self.by_name[posix.name], None
        if posix.name in self.ambiguous:
            return None, "file name matches several images"
        return None, "no such image"


class FileDescriber:
    """Descriptions read from a file instead of a model.

    Parameters
    ----------
    input_path : path of the CSV/JSONL import file
    study : the study whose images the rows name
    model : label stored in each record; default: the file's single ``model``
        value, else the file name stem
    prompt : the prompt stored in each record; default: the file's single
        ``prompt`` value, else None (unknown)
    """

    backend = "file"
    costly = False  # re-importing is free: records need not be fsynced one by one

    def __init__(self, input_path: str | None = None, study: Study | None = None,
                 model: str | None = None, prompt: str | None = None):
        if not input_path:
            raise UserError("the file backend needs --input FILE (CSV or JSONL)")
        path = Path(input_path)
        frame = read_input(path)
        self.model = model or _single(frame, "model", path) or path.stem
        self.default_prompt = prompt or _single(frame, "prompt", path)
        self.params = {"input": path.name,
                       "input_sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16]}
        self.texts, self.notes = self._match(frame, study, path)

    def _match(self, frame: pd.DataFrame, study: Study, path: Path):
        images = study.read_images()
        resolver = PathResolver(images, study.image_root)
        status = dict(zip(images["image_id"].astype(str), images["status"]))
        texts: dict[str, str | None] = {}
        problems, not_ok, repeated = [], 0, 0
        for n, row in enumerate(frame.to_dict("records"), 1):
            ref_id, ref_path = _clean(row.get("image_id")), _clean(row.get("path"))
            image_id, reason = resolver.resolve(ref_id, ref_path)
            if image_id is None:
                problems.append(f"row {n} ({ref_id or ref_path}: {reason})")
                continue
            not_ok += status.get(image_id) != "ok"
            repeated += image_id in texts
            texts[image_id] = _clean(row.get("text"))
        if not texts:
            raise UserError(f"--input {path}: none of its {len(frame)} rows names an image of the "
                            f"study {study.root} (first: {'; '.join(problems[:_SHOW])})")
        notes = []
        if problems:
            notes.append(f"warning: {len(problems)} row(s) of {path.name} name no image of the study "
                         f"and were not imported: {'; '.join(problems[:_SHOW])}"
                         + (" ..." if len(problems) > _SHOW else ""))
        if not_ok:
            notes.append(f"note: {not_ok} row(s) of {path.name} name images that are not readable "
                         "or are duplicates; they are not described")
        if repeated:
            notes.append(f"note: {repeated} image(s) appear in several rows of {path.name}: "
                         "the last row was kept")
        return texts, notes

    def describe(self, items: list[ImageItem], prompt: str | None) -> Iterator[Description]:
        """Yield the imported text of every item (an error for items with no usable row)."""
        for item in items:
            if item.image_id not in self.texts:
                yield Description(item.image_id, error=f"no row in {self.params['input']}")
            elif not self.texts[item.image_id]:
                yield Description(item.image_id, error=f"empty text in {self.params['input']}")
            else:
                yield Description(item.image_id, text=self.texts[item.image_id])


def _single(frame: pd.DataFrame, column: str, path: Path) -> str | None:
    """The one non-empty value of ``column`` (None if absent); UserError if several."""
    if column not in frame.columns:
        return None
    values = sorted({v for v in (_clean(x) for x in frame[column]) if v})
    if len(values) > 1:
        raise UserError(f"--input {path}: the `{column}` column holds {len(values)} different "
                        f"values ({', '.join(values[:3])}, ...): import one {column} at a time "
                        f"or pass --{column}")
    return values[0] if values else None
