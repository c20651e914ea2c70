"""Ingest: turn a folder of images (or a CSV manifest) into a study's ``images.csv``.

Each file is read once, in chunks: the same bytes are hashed (SHA-256) and
decoded with Pillow, so a truncated or corrupt file is found without a second
read. Only regular files are opened (a FIFO or a device listed in a manifest
would block or never end) and only up to :data:`DEFAULT_MAX_FILE_BYTES`
(``--max-file-size``); the others are recorded as ``unreadable`` with the
reason, never read. The run
is incremental (paths already in ``images.csv`` are skipped) and resumable: the
table is rewritten atomically every few seconds, so an interrupted run leaves a
valid file and the next run continues where it stopped.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import stat
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd
from PIL import Image, UnidentifiedImageError

from semclust.study import IMAGE_COLUMNS, Study, UserError, read_csv

EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
CHECKPOINT_SECONDS = 2.0
_PARALLEL_MIN_FILES = 64
DEFAULT_MAX_FILE_BYTES = 200 * 1000**2  # 200 MB: far above any social-media image
CHUNK_BYTES = 1 << 20
_FILE_KINDS = {stat.S_IFIFO: "fifo", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
               stat.S_IFSOCK: "socket", stat.S_IFDIR: "directory"}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def parse_size(text: str) -> int:
    """Bytes of a size such as ``500MB``, ``1.5 GB``, ``64MiB`` or ``1000000``; UserError otherwise.

    >>> parse_size("200MB"), parse_size("1.5gb"), parse_size("2KiB"), parse_size("10")
    (200000000, 1500000000, 2048, 10)
    """
    match = _SIZE.match(str(text))
    if not match:
        raise UserError(f"not a file size: {str(text)[:40]!r} (e.g. 500MB, 2GB, or bytes)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])


def _megabytes(n: int) -> str:
    return f"{n / 1000**2:,.0f} MB" if n >= 10**6 else f"{n:,} bytes"

def image_id_for(sha256: str) -> str:
    """The image id of a file: the first 16 hex digits (64 bits) of its SHA-256."""
    return sha256[:16]


def duplicate_id_for(sha256: str, path: str) -> str:
    """Id of a byte-identical copy: the content id plus a short hash of its path."""
    return f"{image_id_for(sha256)}-dup-{hashlib.sha1(path.encode()).hexdigest()[:6]}"


def inspect_image(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> dict:
    """Hash and decode one file from a single read.

    Returns a dict with ``sha256`` (hex, or "" when the file is not read),
    ``width`` and ``height`` in pixels (None when undecodable), ``error`` (""
    when the image decoded completely). A file that is not a regular file
    (FIFO, device, socket, directory) or is larger than ``max_bytes`` is not
    opened at all. The file is read and hashed in 1 MiB chunks. JPEGs are
    decoded in draft mode (1/8 scale): every byte of the entropy-coded data is
    still read, so truncation is still detected, at a fraction of the cost of
    a full decode.
    """
    unread = {"sha256": "", "width": None, "height": None}
    try:
        info = os.stat(path)
    except OSError as exc:
        return {**unread, "error": f"cannot read file: {exc.strerror or exc}"}
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "special file")
        return {**unread, "error": f"not a regular file ({kind}): not read"}
    if info.st_size > max_bytes:
        return {**unread, "error": f"file is {_megabytes(info.st_size)}, above the {_megabytes(max_bytes)} "
                                   "limit (--max-file-size): not read"}
    digest, buffer = hashlib.sha256(), io.BytesIO()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                digest.update(chunk)
                buffer.write(chunk)
                if buffer.tell() > max_bytes:  # it grew while being read
                    return {**unread, "error": f"file grew above the {_megabytes(max_bytes)} limit while "
                                               "being read (--max-file-size): not read"}
    except OSError as exc:
        return {**unread, "error": f"cannot read file: {exc.strerror or exc}"}
    result = {"sha256": digest.hexdigest(), "width": None, "height": None, "error": ""}
    if not buffer.tell():
        result["error"] = "empty file"
        return result
    buffer.seek(0)  # Pillow decodes the bytes just hashed, from the same buffer (no second copy)
    try:
        with Image.open(buffer) as img:
            result["width"], result["height"] = img.size
            if img.format == "JPEG":
                img.draft(img.mode, (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
            img.load()
    except UnidentifiedImageError:
        result["error"] = "not an image Pillow can read (unknown or damaged format)"
    except Exception as exc:  # Pillow raises many types for bad data  # noqa: BLE001
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


def outside_root(path: Path, root: Path) -> str:
    """Why ``path`` may not be ingested from ``root`` ("" when it may).

    A file whose real location (symbolic links followed) lies outside the image
    root is refused: the app serves only files inside it, and a link inside a
    shared folder must not expose other files (``/etc/passwd``, another
    study's database).
    """
    real = Path(os.path.realpath(path))
    if real.is_relative_to(Path(os.path.realpath(root))):
        return ""
    how = "a symbolic link to" if Path(path).is_symlink() or real != Path(path).absolute() else "at"
    return f"outside the image root: {how} {real}"


def find_images(folder: Path, unreadable_folders: list[str] | None = None) -> list[Path]:
    """All files under ``folder`` (recursively) with an image extension, sorted by path.

    Sub-folders that cannot be listed are skipped and appended to
    ``unreadable_folders`` (path and reason) when a list is given.
    """
    def note(exc: OSError) -> None:
        if unreadable_folders is not None:
            unreadable_folders.append(f"{exc.filename}: {exc.strerror or exc}")

    found = []
    for top, dirs, names in os.walk(folder, onerror=note):
        dirs.sort()
        found += [Path(top, n) for n in names
                  if Path(n).suffix.lower() in EXTENSIONS and not n.startswith(".")
                  and not os.path.isdir(os.path.join(top, n))]  # FIFOs etc. are listed, as unreadable
    return sorted(found)


@dataclass
class IngestSummary:
    """Counts of one ingest run (``new_*`` count only files processed in this run)."""

    new_ok: int = 0
    new_unreadable: int = 0
    new_duplicate: int = 0
    moved: int = 0
    already_known: int = 0
    total_rows: int = 0
    missing: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def new(self) -> int:
        return self.new_ok + self.new_unreadable + self.new_duplicate

    def lines(self) -> list[str]:
        out = [f"ingested {self.new} new file(s): ok {self.new_ok}, unreadable {self.new_unreadable}, "
               f"duplicate {self.new_duplicate}"
               + (f", moved {self.moved}" if self.moved else "")
               + f"; {self.already_known} already known; images.csv has {self.total_rows} rows"]
        if self.missing:
            out.append(f"warning: {len(self.missing)} image(s) in images.csv no longer exist, "
                       f"e.g. {self.missing[0]}")
        if self.interrupted:
            out.append("interrupted: progress is saved; run the same command again to resume")
        return out


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _ignore_sigint() -> None:
    """Worker initializer: let only the parent handle Ctrl-C (it checkpoints)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _inspect_all(paths: list[Path], workers: int, root: Path,
                 max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[dict]:
    """Yield :func:`inspect_image` results in the order of ``paths``; files outside ``root`` unread."""
    refused = [outside_root(p, root) for p in paths]
    results = _inspect_many([p for p, why in zip(paths, refused) if not why], workers, max_bytes)
    for why in refused:
        yield {"sha256": "", "width": None, "height": None, "error": why} if why else next(results)


def _inspect_many(paths: list[Path], workers: int, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[dict]:
    """Yield :func:`inspect_image` results in the order of ``paths`` (in worker processes if many)."""
    inspect = functools.partial(inspect_image, max_bytes=max_bytes)
    if workers <= 1 or len(paths) < _PARALLEL_MIN_FILES:
        yield from map(inspect, paths)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint) as pool:
        yield from pool.map(inspect, paths, chunksize=16)


class _Table:
    """images.csv rows in memory, with the index needed to classify new files."""

    def __init__(self, frame: pd.DataFrame):
        self.rows: list[dict] = frame.to_dict("records")
        self.by_path = {r["path"]: i for i, r in enumerate(self.rows)}
        self.canonical = {r["sha256"]: i for i, r in enumerate(self.rows)
                          if r["status"] != "duplicate" and isinstance(r["sha256"], str) and r["sha256"]}

    def add(self, rel: str, info: dict, metadata: dict, exists: Callable[[str], bool]) -> str:
        """Classify and record one inspected file; returns ok/unreadable/duplicate/moved."""
        sha = info["sha256"]
        if sha and sha in self.canonical:
            first = self.rows[self.canonical[sha]]
            if not exists(first["path"]):  # the same bytes under a new name: a move
                del self.by_path[first["path"]]
                first["path"] = rel
                first.update(metadata)
                self.by_path[rel] = self.canonical[sha]
                return "moved"
            status, error = "duplicate", first["image_id"]
            image_id = duplicate_id_for(sha, rel)
        else:
            status = "unreadable" if info["error"] else "ok"
            error = info["error"]
            image_id = image_id_for(sha) if sha else "unread-" + hashlib.sha1(rel.encode()).hexdigest()[:16]
        row = {"image_id": image_id, "path": rel, "sha256": sha, "width": info["width"],
               "height": info["height"], "status": status, "error": error, **metadata}
        self.by_path[rel] = len(self.rows)
        self.rows.append(row)
        if status != "duplicate" and sha:
            self.canonical[sha] = len(self.rows) - 1
        return status

    def frame(self, extra_columns: list[str]) -> pd.DataFrame:
        frame = pd.DataFrame.from_records(self.rows, columns=IMAGE_COLUMNS + extra_columns)
        return frame.astype({"width": "Int64", "height": "Int64"})


def _existing(study: Study) -> pd.DataFrame:
    if study.images_csv.is_file():
        return study.read_images()
    return pd.DataFrame(columns=IMAGE_COLUMNS)


def ingest(study: Study, files: Iterable[tuple[Path, dict]], workers: int | None = None,
           progress: bool = True, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> IngestSummary:
    """Add ``files`` (absolute path, metadata dict) to the study's ``images.csv``.

    Files larger than ``max_file_bytes`` and files that are not regular files
    are recorded as unreadable without being read. Paths already listed are skipped; the table is checkpointed atomically
    every :data:`CHECKPOINT_SECONDS`, and on KeyboardInterrupt, so a killed run
    resumes. Returns the run's :class:`IngestSummary`.
    """
    from tqdm import tqdm

    root = study.image_root
    table = _Table(_existing(study))
    extra = [c for c in (table.rows[0] if table.rows else {}) if c not in IMAGE_COLUMNS]
    summary = IngestSummary()
    todo: list[tuple[Path, str, dict]] = []
    for path, metadata in files:
        rel = _relative(Path(path), root)
        if rel in table.by_path:
            summary.already_known += 1
            continue
        extra += [k for k in metadata if k not in extra]
        todo.append((Path(path), rel, metadata))
    root_text = str(root)
    exists = lambda rel: os.path.exists(os.path.join(root_text, rel))  # noqa: E731  (abs rel wins)
    workers = workers or min(os.cpu_count() or 1, 8)
    last = time.monotonic()
    try:
        results = _inspect_all([p for p, _, _ in todo], workers, root, max_file_bytes)
        for (path, rel, metadata), info in tqdm(zip(todo, results), total=len(todo), desc="ingest",
                                                unit="img", disable=not progress or not todo):
            status = table.add(rel, info, metadata, exists)
            if status == "moved":
                summary.moved += 1
            else:
                setattr(summary, f"new_{status}", getattr(summary, f"new_{status}") + 1)
            if time.monotonic() - last > CHECKPOINT_SECONDS:
                study.write_images(table.frame(extra))
                last = time.monotonic()
    except KeyboardInterrupt:
        summary.interrupted = True
    study.write_images(table.frame(extra))
    summary.total_rows = len(table.rows)
    summary.missing = [r["path"] for r in table.rows if not exists(r["path"])]
    return summary


def folder_files(folder: Path, unreadable_folders: list[str] | None = None) -> list[tuple[Path, dict]]:
    """The images of a folder as (path, {}) pairs; UserError if none or no folder.

    Sub-folders that cannot be listed are appended to ``unreadable_folders``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"image folder not found: {folder}")
    paths = find_images(folder, unreadable_folders)
    if not paths:
        raise UserError(f"no images ({', '.join(sorted(EXTENSIONS))}) found under {folder}")
    return [(p, {}) for p in paths]


def manifest_files(manifest: Path, image_root: Path) -> list[tuple[Path, dict]]:
    """Rows of a CSV manifest as (path, metadata) pairs.

    The manifest needs a ``path`` column (absolute, or relative to
    ``image_root``); every other column is metadata carried into images.csv.
    Missing files are listed as unreadable by :func:`ingest`.
    """
    frame = read_csv(manifest, ["path"], what="manifest", dtype=str)
    clash = [c for c in frame.columns if c in IMAGE_COLUMNS and c != "path"]
    if clash:
        raise UserError(f"manifest {manifest}: column(s) {', '.join(clash)} are reserved by "
                        "images.csv; rename them")
    empty = frame.index[frame["path"].isna()].tolist()
    if empty:
        raise UserError(f"manifest {manifest}: empty path in row(s) {', '.join(str(i + 2) for i in empty[:10])}")
    repeated = frame.index[frame["path"].duplicated()].tolist()
    if repeated:
        raise UserError(f"manifest {manifest}: path listed twice in row(s) "
                        f"{', '.join(str(i + 2) for i in repeated[:10])}")
    if frame.empty:
        raise UserError(f"manifest {manifest} has no rows")
    meta_cols = [c for c in frame.columns if c != "path"]
    out = []
    for record in frame.to_dict("records"):
        path = Path(record["path"])
        path = path if path.is_absolute() else image_root / path
        out.append((path, {c: record[c] for c in meta_cols}))
    return out
