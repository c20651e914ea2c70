"""The study folder: the one owner of its layout, schemas and file I/O.

A study is one directory that carries a research project from images to report.
``pipeline/`` writes images, descriptions, embeddings and clusterings;
``annotate/`` writes samples and the annotation database; ``evaluation/``
reads all of it and writes reports. Every stage reads and writes only through
the functions here, in plain files a researcher can open in pandas or a
spreadsheet. The format is documented in ``docs/study-format.md``.

Layout::

    study.yaml                      name, image_root, created_at, toolkit_version, seed
    images.csv                      image_id, path, sha256, width, height, status, error, [metadata...]
    descriptions/<describer>.jsonl  one JSON record per image
    embeddings/<embedder>.npy       float32 (n_images, dim)
    embeddings/<embedder>.ids.csv   image_id per row of the .npy, in order
    embeddings/<embedder>.json      how the embedding was made
    clusterings/<id>/labels.csv     image_id, cluster   (-1 = noise)
    clusterings/<id>/params.json    every parameter, seed and library version
    clusterings/<id>/keywords.csv   cluster, rank, term, score
    clusterings/<id>/summary.json   n_clusters, noise_fraction, sizes
    samples/pairs.csv               pair_id, image_a, image_b, phase, [stratum]
    samples/sets/<id>.csv           set_id, cluster, image_ids  (';'-separated)
    annotations.sqlite              the annotation app's database
    .secret_key                     the key that signs the app's cookies (0600)
    .blinding_key                   the key of every order and item id people are shown (0600)
    .locks/<name>.lock              held while a command changes study files (Study.lock)
    exports/ratings.csv             item_id, coder, dimension, score, round, phase, created_at
    exports/matches.csv             set_id, evaluator, chosen_cluster, created_at
    exports/comments.csv            item_id, coder, comment, round, phase, created_at
    exports/checks.csv              check_id, coder, expected and given scores, correct
    reports/                        HTML report and figures
    truth/<name>.csv                image_id, label: a researcher's ground truth (read only by
                                    truth-aware commands: evaluate, crosstab, fewshot, simulate)
    descriptions/<id>.health.csv    image_id, flagged, reason: degenerate descriptions
    fewshot/<id>/results.json       few-shot classification accuracy over repeated draws
    searches/<id>/                  a hyperparameter search: trials.csv, best.json, journal.log
    criteria/<run>/                 an IC|TC run: config, each step's answers, label counts, names
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import yaml

IMAGE_COLUMNS = ["image_id", "path", "sha256", "width", "height", "status", "error"]
IMAGE_STATUSES = ("ok", "unreadable", "duplicate")
LABEL_COLUMNS = ["image_id", "cluster"]
KEYWORD_COLUMNS = ["cluster", "rank", "term", "score"]
PAIR_COLUMNS = ["pair_id", "image_a", "image_b", "phase"]
SET_COLUMNS = ["set_id", "cluster", "image_ids"]
RATING_COLUMNS = ["item_id", "coder", "dimension", "score", "round", "phase", "created_at"]
MATCH_COLUMNS = ["set_id", "evaluator", "chosen_cluster", "created_at"]
TRUTH_COLUMNS = ["image_id", "label"]

DEFAULT_SEED = 20240501
STALE_TEMPORARY_S = 60  # a temporary untouched this long is no live write (small files take milliseconds)
CLUSTERING_FILES = ("params.json", "keywords.csv", "summary.json", "labels.csv")  # Study.write_clustering's

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}$")


class UserError(Exception):
    """An error the user caused (bad path, bad input file, ...).

    The CLI prints its message on one line and exits with status 2; it never
    shows a traceback unless ``--verbose`` is given.
    """


def toolkit_version() -> str:
    """The installed semclust version (``"unknown"`` when run from a bare checkout)."""
    try:
        return metadata.version("semclust")
    except metadata.PackageNotFoundError:  # pragma: no cover - only outside an install
        return "unknown"


def library_versions(*names: str) -> dict:
    """``{"python", "semclust", name: version or None, ...}``: the software a result was made with.

    ``names`` are distribution names (``"scikit-learn"``, ``"umap-learn"``); one not
    installed is ``None``.
    """
    import sys

    versions = {"python": sys.version.split()[0], "semclust": toolkit_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


PARAMS_SCHEMA = 1
#: Who wrote a clustering (``params.json`` ``provenance.source``).
CLUSTERING_SOURCES = ("grid", "search", "classify", "fewshot", "ictc", "import", "edit", "unspecified")


def provenance(source: str, descriptions: str | None = None, embedding: str | None = None,
               libraries: Iterable[str] = ()) -> dict:
    """The record every clustering's ``params.json`` holds under ``provenance``.

    ``{"schema": 1, "source": grid | search | classify | fewshot | ictc | import | edit | unspecified,
    "descriptions": describer id or None, "embedding": embedding id or None, "created_at",
    "versions": library_versions(*libraries)}``. ``descriptions`` names the descriptions the
    clustering was made from or named by (``semclust name`` and keywords read them).
    """
    if source not in CLUSTERING_SOURCES:
        raise ValueError(f"unknown clustering source {source!r} (known: {', '.join(CLUSTERING_SOURCES)})")
    return {"schema": PARAMS_SCHEMA, "source": source, "descriptions": descriptions, "embedding": embedding,
            "created_at": now_iso(), "versions": library_versions(*libraries)}


def now_iso() -> str:
    """Current UTC time as ISO 8601 with seconds, e.g. ``2026-11-22T20:31:05Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_id(kind: str, value: str) -> str:
    """Return ``value`` if it is safe as a file name component, else raise UserError.

    Ids (describer, embedder, clustering ids) become file and folder names, so
    they may hold only letters, digits and ``. _ = + -``.
    """
    if not isinstance(value, str) or not _SAFE_ID.match(value) or ".." in value:
        raise UserError(f"invalid {kind} id {value!r}: use letters, digits and . _ = + - only")
    return value


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting, then restore at once
    os.umask(mask)
    return mask


def temp_file_beside(path: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """``(fd, name)`` of a new temporary file in ``path``'s folder, to be renamed onto ``path``.

    Unlike :func:`tempfile.mkstemp` (always 0600) the file gets the mode a
    plain ``open()`` would give it (0666 minus the umask), so a study in a
    shared group folder stays readable by the group.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``path``: readers see the old or the new file, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_file_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.(tmp|npy)$")  # what temp_file_beside names


def remove_stale_temporaries(folder: Path, min_age_s: float = STALE_TEMPORARY_S,
                             owned: tuple[str, ...] = ()) -> list[Path]:
    """Delete the temporary files a killed atomic write left in ``folder``; return them.

    Only files named as :func:`temp_file_beside` names them (``.NAME.XXXXXXXX.tmp``
    or ``.npy``), and only those last modified at least ``min_age_s`` seconds
    ago, so a concurrent writer's live file survives. The temporaries of the
    files named in ``owned`` go whatever their age: the caller holds the lock
    that every writer of those files takes.
    """
    import time

    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if _TEMPORARY.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                mine = entry.name.rsplit(".", 2)[0][1:] in owned
                if mine or now - entry.stat(follow_symlinks=False).st_mtime >= min_age_s:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as UTF-8 CSV (no index) atomically."""
    atomic_write_text(path, frame.to_csv(index=False))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_csv(path: Path, required: Iterable[str], what: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV and check that it has the ``required`` columns.

    Raises UserError naming the file and the missing columns, or the parse
    error, instead of a pandas traceback.
    """
    path = Path(path)
    what = what or path.name
    if not path.is_file():
        raise UserError(f"{what}: file not found: {path}")
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{what}: cannot read {path} as CSV: {exc}".splitlines()[0]) from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UserError(f"{what}: {path} lacks column(s) {', '.join(missing)} "
                        f"(has: {', '.join(map(str, frame.columns))})")
    return frame


def iter_jsonl(path: Path):
    """Yield the JSON records of a ``.jsonl`` file, skipping blank lines and torn lines.

    A run killed mid-write leaves at most one torn last line; it is skipped.
    """
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


@dataclass(frozen=True)
class Study:
    """Paths of one study folder. Create with :func:`Study.create` or :func:`Study.open`."""

    root: Path

    # --- layout -----------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / "study.yaml"

    @property
    def images_csv(self) -> Path:
        return self.root / "images.csv"

    @property
    def descriptions_dir(self) -> Path:
        return self.root / "descriptions"

    @property
    def embeddings_dir(self) -> Path:
        return self.root / "embeddings"

    @property
    def clusterings_dir(self) -> Path:
        return self.root / "clusterings"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def pairs_csv(self) -> Path:
        return self.samples_dir / "pairs.csv"

    @property
    def sets_dir(self) -> Path:
        return self.samples_dir / "sets"

    @property
    def annotations_db(self) -> Path:
        return self.root / "annotations.sqlite"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def ratings_csv(self) -> Path:
        return self.exports_dir / "ratings.csv"

    @property
    def matches_csv(self) -> Path:
        return self.exports_dir / "matches.csv"

    @property
    def comments_csv(self) -> Path:
        """``exports/comments.csv``: the comments of the latest answers."""
        return self.exports_dir / "comments.csv"

    @property
    def checks_csv(self) -> Path:
        """``exports/checks.csv``: the answers to attention checks."""
        return self.exports_dir / "checks.csv"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def truth_dir(self) -> Path:
        return self.root / "truth"

    @property
    def fewshot_dir(self) -> Path:
        return self.root / "fewshot"

    @property
    def searches_dir(self) -> Path:
        return self.root / "searches"

    def search_dir(self, search_id: str) -> Path:
        return self.searches_dir / check_id("search", search_id)

    def list_searches(self) -> list[str]:
        """Ids of the hyperparameter searches (``searches/<id>/search.yaml``)."""
        return sorted(p.parent.name for p in self.searches_dir.glob("*/search.yaml"))

    def read_search(self, search_id: str) -> tuple[pd.DataFrame, dict]:
        """``(trials, best)`` of one search: ``trials.csv`` (``feasible`` as bool) and ``best.json``
        ({} before a search selected anything). UserError naming the known searches."""
        folder = self.search_dir(search_id)
        if not (folder / "trials.csv").is_file():
            raise UserError(f"no search {search_id!r} in study (known: {', '.join(self.list_searches()) or 'none'})")
        trials = read_csv(folder / "trials.csv", ["trial", "objective", "feasible"],
                          what=f"searches/{search_id}/trials.csv")
        trials["feasible"] = trials["feasible"].astype(str).str.lower().eq("true")
        best_path = folder / "best.json"
        return trials, json.loads(best_path.read_text(encoding="utf-8")) if best_path.is_file() else {}

    def criteria_dir(self, run: str) -> Path:
        """``criteria/<run>/``: the steps of one IC|TC run (labels, names, assignments)."""
        return self.root / "criteria" / check_id("run", run)

    def truth_path(self, name: str) -> Path:
        return self.truth_dir / f"{check_id('truth', name)}.csv"

    def health_path(self, describer_id: str) -> Path:
        return self.descriptions_dir / f"{check_id('describer', describer_id)}.health.csv"

    def description_path(self, describer_id: str) -> Path:
        return self.descriptions_dir / f"{check_id('describer', describer_id)}.jsonl"

    def embedding_path(self, embedder_id: str) -> Path:
        return self.embeddings_dir / f"{check_id('embedder', embedder_id)}.npy"

    def clustering_dir(self, clustering_id: str) -> Path:
        return self.clusterings_dir / check_id("clustering", clustering_id)

    def sets_csv(self, clustering_id: str) -> Path:
        return self.sets_dir / f"{check_id('clustering', clustering_id)}.csv"

    def lock(self, name: str, what: str | None = None, wait_s: float | None = None):
        """Context manager: hold the study's lock ``name`` around a read-modify-write.

        Names in use: ``samples`` (pairs.csv, pairs.json, sets), ``clustering/<id>``
        (one clustering folder), ``criteria/<run>`` (one IC|TC run). Re-entrant within
        a thread. See :mod:`semclust.locking`.
        """
        from semclust.locking import study_lock

        return study_lock(self.root, name, what, wait_s)

    # --- config -----------------------------------------------------------
    @cached_property
    def config(self) -> dict:
        """The parsed ``study.yaml`` (read once per Study object)."""
        from semclust.yamlfile import load_yaml

        if not self.config_path.is_file():
            raise UserError(f"not a study folder (no study.yaml): {self.root}")
        data = load_yaml(self.config_path, "study file") or {}
        if not isinstance(data, dict):
            raise UserError(f"{self.config_path}: expected a mapping")
        return data

    @property
    def image_root(self) -> Path:
        return Path(self.config["image_root"])

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", DEFAULT_SEED))

    @classmethod
    def open(cls, root: str | os.PathLike) -> "Study":
        """Open an existing study; raise UserError if ``root`` is not one."""
        study = cls(Path(root).resolve())
        if not study.config_path.is_file():
            raise UserError(f"not a study folder (no study.yaml): {root}")
        study.config  # parse now so a broken file fails early
        return study

    @classmethod
    def create(cls, root: str | os.PathLike, image_root: str | os.PathLike, name: str | None = None,
               seed: int = DEFAULT_SEED) -> "Study":
        """Create the study folder (or open it, if it already belongs to ``image_root``).

        Raises UserError when the folder cannot be written or when it is a
        study of another image root.
        """
        root = Path(root).resolve()
        image_root = Path(image_root).resolve()
        study = cls(root)
        if study.config_path.is_file():
            existing = Path(study.config["image_root"]).resolve()
            if existing != image_root:
                raise UserError(f"study {root} belongs to image root {existing}, not {image_root}; "
                                "use another --study folder")
            return study
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = root / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise UserError(f"cannot write study folder {root}: {exc.strerror or exc}") from None
        config = {
            "name": name or root.name,
            "image_root": str(image_root),
            "created_at": now_iso(),
            "toolkit_version": toolkit_version(),
            "seed": int(seed),
        }
        atomic_write_text(study.config_path, yaml.safe_dump(config, sort_keys=False))
        for sub in ("descriptions", "embeddings", "clusterings", "samples", "exports", "reports"):
            (root / sub).mkdir(exist_ok=True)
        return study

    # --- images -----------------------------------------------------------
    def read_images(self, status: str | None = None) -> pd.DataFrame:
        """``images.csv`` as a DataFrame (all rows, or only those with ``status``)."""
        if not self.images_csv.is_file():
            raise UserError(f"study {self.root} has no images.csv yet: run `semclust ingest` first")
        frame = read_csv(self.images_csv, IMAGE_COLUMNS, dtype={"image_id": str, "error": str})
        return frame[frame["status"] == status].reset_index(drop=True) if status else frame

    def write_images(self, frame: pd.DataFrame) -> None:
        """Replace ``images.csv`` atomically (standard columns first, metadata after)."""
        extra = [c for c in frame.columns if c not in IMAGE_COLUMNS]
        atomic_write_csv(self.images_csv, frame[IMAGE_COLUMNS + extra])

    def image_path(self, row_path: str) -> Path:
        """Absolute path of an ``images.csv`` path (relative paths are under the image root)."""
        p = Path(row_path)
        return p if p.is_absolute() else self.image_root / p

    # --- descriptions -----------------------------------------------------
    def list_describers(self) -> list[str]:
        return sorted(p.stem for p in self.descriptions_dir.glob("*.jsonl"))

    def read_descriptions(self, describer_id: str) -> pd.DataFrame:
        """Latest record per image of ``descriptions/<describer_id>.jsonl``.

        Columns: image_id, text, error (+ the other record fields). Rows with an
        error or empty text are kept; callers filter on ``text``.
        """
        path = self.description_path(describer_id)
        if not path.is_file():
            known = ", ".join(self.list_describers()) or "none"
            raise UserError(f"no descriptions {describer_id!r} in study (known: {known})")
        frame = pd.DataFrame.from_records(list(iter_jsonl(path)))
        if frame.empty:
            return pd.DataFrame(columns=["image_id", "text", "error"])
        return frame.drop_duplicates("image_id", keep="last").reset_index(drop=True)

    # --- embeddings -------------------------------------------------------
    def list_embeddings(self) -> list[str]:
        return sorted(p.stem for p in self.embeddings_dir.glob("*.npy"))

    def write_embeddings(self, embedder_id: str, vectors, image_ids: list[str], info: dict) -> None:
        """Save ``vectors`` (float32, shape (n, dim)) with their row order and provenance."""
        import numpy as np

        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(image_ids):
            raise ValueError(f"vectors {vectors.shape} do not match {len(image_ids)} image ids")
        path = self.embedding_path(embedder_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent, min_age_s=3600)  # an array of gigabytes takes minutes
        fd, tmp = temp_file_beside(path, ".npy")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, vectors)
        atomic_write_csv(path.with_suffix(".ids.csv"), pd.DataFrame({"image_id": list(image_ids)}))
        atomic_write_json(path.with_suffix(".json"), info)
        os.replace(tmp, path)  # the .npy last: its presence means the set is complete

    def read_embeddings(self, embedder_id: str):
        """Return ``(vectors, image_ids, info)`` of one embedding."""
        import numpy as np

        path = self.embedding_path(embedder_id)
        info = self.read_embedding_info(embedder_id)  # raises UserError naming the known ones
        ids = read_csv(path.with_suffix(".ids.csv"), ["image_id"], dtype={"image_id": str})
        return np.load(path), ids["image_id"].tolist(), info

    def read_embedding_info(self, embedder_id: str) -> dict:
        """How an embedding was made (its ``.json``; {} if absent), without loading the vectors."""
        path = self.embedding_path(embedder_id)
        if not path.is_file():
            known = ", ".join(self.list_embeddings()) or "none"
            raise UserError(f"no embedding {embedder_id!r} in study (known: {known})")
        info_path = path.with_suffix(".json")
        return json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}

    # --- clusterings ------------------------------------------------------
    def list_clusterings(self) -> list[str]:
        return sorted(p.parent.name for p in self.clusterings_dir.glob("*/labels.csv"))

    def read_labels(self, clustering_id: str) -> pd.DataFrame:
        """``labels.csv`` of one clustering: image_id, cluster (int, -1 = noise)."""
        path = self.clustering_dir(clustering_id) / "labels.csv"
        if not path.is_file():
            import difflib

            ids = self.list_clusterings()
            close = difflib.get_close_matches(clustering_id, ids, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UserError(f"no clustering {clustering_id!r} in study ({hint}known: {', '.join(ids) or 'none'}; "
                            "`semclust clusters list` shows them)")
        return read_csv(path, LABEL_COLUMNS, dtype={"image_id": str, "cluster": int})

    def read_clustering_json(self, clustering_id: str, name: str) -> dict:
        """``params.json`` or ``summary.json`` of a clustering."""
        path = self.clustering_dir(clustering_id) / name
        if not path.is_file():
            raise UserError(f"clustering {clustering_id!r} has no {name}")
        return json.loads(path.read_text())

    def clustering_embedding(self, clustering_id: str) -> str | None:
        """Id of the embedding a clustering was made from (None if params.json does not say).

        Read from ``provenance.embedding``, else ``embedding`` as ``{"id": ..., "dim": ...,
        "info": ...}`` (written by `semclust cluster`) or, from other tools, as the plain id.
        """
        if not (self.clustering_dir(clustering_id) / "params.json").is_file():
            return None
        params = self.read_clustering_json(clustering_id, "params.json")
        if (params.get("provenance") or {}).get("embedding"):
            return params["provenance"]["embedding"]
        embedding = params.get("embedding")
        return embedding.get("id") if isinstance(embedding, dict) else embedding

    def clustering_describer(self, clustering_id: str) -> str | None:
        """Id of the descriptions a clustering was made from, whatever made it (None if none).

        Read from ``params.json`` in the dialects semclust's methods write: the
        keywords' source ``descriptions:<id>`` (grid, classify, search), the
        ``describer`` of an IC|TC run, and the ``descriptions:<id>`` source of the
        clustering's embedding; a describer that is not in the study counts as none.
        """
        if not (self.clustering_dir(clustering_id) / "params.json").is_file():
            return None
        params = self.read_clustering_json(clustering_id, "params.json")
        candidates = [(params.get("provenance") or {}).get("descriptions"),
                      str((params.get("keywords") or {}).get("source", "")), params.get("describer")]
        embedding = params.get("embedding")
        if isinstance(embedding, dict):
            candidates.append(str((embedding.get("info") or {}).get("source", "")))
        elif isinstance(embedding, str) and self.embedding_path(embedding).is_file():
            candidates.append(str(self.read_embedding_info(embedding).get("source", "")))
        known = set(self.list_describers())
        for value in candidates:
            if isinstance(value, str) and value:
                describer = value.split(":", 1)[1] if value.startswith("descriptions:") else value
                if describer in known:
                    return describer
        return None

    def read_keywords(self, clustering_id: str) -> pd.DataFrame:
        """``keywords.csv`` of one clustering: cluster, rank, term, score."""
        return read_csv(self.clustering_dir(clustering_id) / "keywords.csv", KEYWORD_COLUMNS,
                        dtype={"term": str})

    def write_clustering(self, clustering_id: str, labels: pd.DataFrame, params: dict,
                         keywords: pd.DataFrame, summary: dict, source: dict | None = None) -> Path:
        """Write one complete clustering folder; ``labels.csv`` last (it marks completeness).

        ``source`` is the :func:`provenance` record, stored as ``params["provenance"]``
        (default: ``provenance("unspecified")`` unless ``params`` holds one).
        """
        params = {**params, "provenance": source or params.get("provenance") or provenance("unspecified")}
        folder = self.clustering_dir(clustering_id)
        with self.lock(f"clustering/{clustering_id}", f"clustering {clustering_id}"):
            folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(folder, owned=CLUSTERING_FILES)  # left by an interrupted write
            atomic_write_json(folder / "params.json", params)
            atomic_write_csv(folder / "keywords.csv", keywords[KEYWORD_COLUMNS])
            atomic_write_json(folder / "summary.json", summary)
            atomic_write_csv(folder / "labels.csv", labels[LABEL_COLUMNS])
        return folder

    def read_health(self, describer_id: str) -> pd.DataFrame | None:
        """``descriptions/<id>.health.csv`` (image_id, flagged, reasons, ...), or None if unchecked."""
        path = self.health_path(describer_id)
        if not path.is_file():
            return None
        frame = read_csv(path, ["image_id", "flagged", "reasons"], dtype={"image_id": str, "reasons": str})
        frame["flagged"] = frame["flagged"].astype(str).str.lower().eq("true")
        frame["reasons"] = frame["reasons"].fillna("")
        return frame

    def write_health(self, describer_id: str, frame: pd.DataFrame) -> Path:
        """Write ``descriptions/<id>.health.csv`` atomically."""
        path = self.health_path(describer_id)
        atomic_write_csv(path, frame)
        return path

    # --- ground truth (never read by the unsupervised stages) --------------
    def list_truths(self) -> list[str]:
        """Names of the imported ground truths (``truth/<name>.csv``)."""
        return sorted(p.stem for p in self.truth_dir.glob("*.csv"))

    def read_truth(self, name: str) -> pd.DataFrame:
        """``truth/<name>.csv``: image_id, label (empty = unlabelled); UserError naming known ones."""
        path = self.truth_path(name)
        if not path.is_file():
            known = ", ".join(self.list_truths()) or "none"
            raise UserError(f"no truth {name!r} in study (known: {known}): run `semclust truth import`")
        return read_csv(path, TRUTH_COLUMNS, what=f"truth/{name}.csv",
                        dtype={"image_id": str, "label": str})

    def write_truth(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``truth/<name>.csv`` (columns image_id, label) atomically."""
        path = self.truth_path(name)
        atomic_write_csv(path, frame[TRUTH_COLUMNS])
        return path

    # --- samples ----------------------------------------------------------
    def read_pairs(self) -> pd.DataFrame:
        """``samples/pairs.csv``: pair_id, image_a, image_b, phase (+ stratum, if stratified)."""
        return read_csv(self.pairs_csv, PAIR_COLUMNS, what="pairs",
                        dtype={"pair_id": str, "image_a": str, "image_b": str, "phase": str})

    def list_sets(self) -> list[str]:
        """Ids of the clusterings that have matching sets (``samples/sets/<id>.csv``)."""
        return sorted(p.stem for p in self.sets_dir.glob("*.csv"))

    def read_sets(self, clustering_id: str) -> pd.DataFrame:
        """``samples/sets/<clustering_id>.csv``: set_id, cluster, image_ids (';'-separated)."""
        return read_csv(self.sets_csv(clustering_id), SET_COLUMNS, what="sets",
                        dtype={"set_id": str, "image_ids": str})
