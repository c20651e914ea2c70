"""The GRID.yaml file: parse and check it into a :class:`Grid` (see docs/clustering.md).

Example (``grids/paper.yaml``)::

    embeddings: all              # or a list of embedding ids
    seed: 20240501               # optional; default: the study's seed
    reassign_outliers: false     # optional; noise -> nearest centroid
    keywords_from: null          # describer id for keywords of image embeddings
    keywords_k: 7                # optional
    stopwords: null              # optional file, relative to this yaml
    reductions:
      - method: umap
        n_components: [5, 10]
        n_neighbors: [5, 15, 30]
        min_dist: 0.0
        metric: cosine
      - method: pca
        n_components: [5, 10, 20, 0.8]   # 0.8 = 80 % of the variance
    clusterers:
      - method: hdbscan
        min_cluster_size: [50, 100, 200]
      - method: kmeans
        k: [10, 20]

Every error is a UserError naming the file and the key, e.g.
``grid.yaml: reductions[0].n_neighbors: expected integers >= 2, got 'many'``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from semclust.pipeline.clusterers import CLUSTERERS
from semclust.pipeline.reducers import REDUCERS
from semclust.resources import grids_dir
from semclust.study import UserError, check_id
from semclust.vocabulary import DEFAULT_N_KEYWORDS

REGISTRIES = {"reductions": REDUCERS, "clusterers": CLUSTERERS}
TOP_KEYS = {"embeddings", "seed", "reassign_outliers", "keywords_from", "keywords_k",
            "stopwords", "reductions", "clusterers"}


@dataclass(frozen=True)
class Step:
    """One reduction or clusterer setting: ``kind`` ("reductions"/"clusterers"), a method, its
    scalar parameters as ``(name, value)`` pairs."""

    kind: str
    method: str
    items: tuple

    @property
    def params(self) -> dict:
        return dict(self.items)

    @property
    def entry(self):
        """The registry entry of the method (:mod:`semclust.pipeline.registry`)."""
        return REGISTRIES[self.kind][self.method]

    @property
    def id(self) -> str:
        """Readable, stable id part, e.g. ``umap-c5-n15``, ``pca-v0.8``, ``hdb-m50``, ``km-k10``."""
        return self.entry.step_id(self.params)


@dataclass(frozen=True)
class Grid:
    """A parsed grid: what to run; see the module docstring for the file format."""

    source: Path
    embeddings: object  # "all" or a tuple of ids
    reductions: tuple
    clusterers: tuple
    seed: int | None = None
    reassign_outliers: bool = False
    keywords_from: str | None = None
    keywords_k: int = DEFAULT_N_KEYWORDS
    stopwords: Path | None = None


def _fail(source: Path, key: str, message: str):
    raise UserError(f"{source.name}: {key}: {message}")


def _expand(entry, kind: str, index: int, source: Path) -> list[Step]:
    where = f"{kind}[{index}]"
    if not isinstance(entry, dict):
        _fail(source, where, f"expected a mapping with a `method`, got {entry!r}")
    registry = REGISTRIES[kind]
    method = entry.get("method")
    if method not in registry:
        _fail(source, f"{where}.method", f"expected one of {', '.join(registry)}, got {method!r}")

    def fail(key: str, message: str):
        _fail(source, f"{where}.{key}", message)

    return [Step(kind, method, tuple(p.items())) for p in registry[method].settings(entry, fail)]


def _steps(data: dict, kind: str, source: Path) -> tuple:
    entries = data.get(kind)
    if not isinstance(entries, list) or not entries:
        _fail(source, kind, f"expected a non-empty list of {'/'.join(REGISTRIES[kind])} settings")
    steps = [s for i, e in enumerate(entries) for s in _expand(e, kind, i, source)]
    return tuple(dict.fromkeys(steps))


def resolve_grid_path(name: str | Path) -> Path:
    """A grid file path, or the name of a shipped grid (``paper``, ``demo``)."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = grids_dir() / f"{name}.yaml"
    if path.suffix == "" and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in grids_dir().glob("*.yaml")
                             if not p.name.endswith(".space.yaml"))) or "none"
    raise UserError(f"grid file not found: {name} (shipped grids: {names})")


def read_yaml_mapping(source: Path, top_keys) -> dict:
    """The mapping of a grid-like YAML file; UserError for bad YAML, no mapping or an unknown key."""
    from semclust.yamlfile import load_yaml

    data = load_yaml(source, "grid file")
    if not isinstance(data, dict):
        raise UserError(f"{source.name}: expected a mapping with reductions and clusterers")
    for key in data:
        if key not in top_keys:
            _fail(source, str(key), f"unknown key (known: {', '.join(sorted(top_keys))})")
    return data


def load_grid(name: str | Path, stopwords: str | Path | None = None) -> Grid:
    """Read and check a grid file (or a shipped grid by name); ``stopwords`` overrides the file's."""
    source = resolve_grid_path(name)
    data = read_yaml_mapping(source, TOP_KEYS)
    embeddings = data.get("embeddings", "all")
    if embeddings != "all":
        if not isinstance(embeddings, list) or not embeddings or not all(
                isinstance(e, str) for e in embeddings):
            _fail(source, "embeddings", f"expected `all` or a list of ids, got {embeddings!r}")
        embeddings = tuple(check_id("embedder", e) for e in embeddings)
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        _fail(source, "seed", f"expected an integer, got {seed!r}")
    reassign = data.get("reassign_outliers", False)
    if not isinstance(reassign, bool):
        _fail(source, "reassign_outliers", f"expected true or false, got {reassign!r}")
    keywords_from = data.get("keywords_from")
    if keywords_from is not None:
        check_id("describer", str(keywords_from))
    k = data.get("keywords_k", DEFAULT_N_KEYWORDS)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        _fail(source, "keywords_k", f"expected one integer >= 1, got {k!r}")
    stop = stopwords if stopwords is not None else data.get("stopwords")
    if stop is not None:
        stop = Path(stop) if stopwords is not None else (source.parent / str(stop))
        if not stop.is_file():
            where = "--stopwords" if stopwords is not None else f"{source.name}: stopwords"
            raise UserError(f"{where}: file not found: {stop}")
    return Grid(source=source.resolve(), embeddings=embeddings,
                reductions=_steps(data, "reductions", source),
                clusterers=_steps(data, "clusterers", source),
                seed=seed, reassign_outliers=reassign,
                keywords_from=None if keywords_from is None else str(keywords_from),
                keywords_k=k, stopwords=None if stop is None else stop.resolve())
