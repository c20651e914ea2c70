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

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from semclust.pipeline.study import UserError, check_id
from semclust.resources import grids_dir
from semclust.vocabulary import DEFAULT_N_KEYWORDS

TOP_KEYS = {"embeddings", "seed", "reassign_outliers", "keywords_from", "keywords_k",
            "stopwords", "reductions", "clusterers"}


@dataclass(frozen=True)
class Step:
    """One reduction or clusterer setting: a method and its scalar parameters."""

    method: str
    items: tuple

    @property
    def params(self) -> dict:
        return dict(self.items)

    @property
    def id(self) -> str:
        """Readable, stable id part, e.g. ``umap-c5-n15``, ``pca-v0.8``, ``hdb-m50``, ``km-k10``."""
        p = self.params
        if self.method == "umap":
            text = f"umap-c{p['n_components']}-n{p['n_neighbors']}"
            text += f"-md{p['min_dist']:g}" if p["min_dist"] else ""
            return text + (f"-{p['metric']}" if p["metric"] != "cosine" else "")
        if self.method == "pca":
            c = p["n_components"]
            return f"pca-v{c:g}" if isinstance(c, float) else f"pca-c{c}"
        if self.method == "hdbscan":
            text = f"hdb-m{p['min_cluster_size']}"
            text += f"-s{p['min_samples']}" if p.get("min_samples") is not None else ""
            return text + ("-leaf" if p.get("cluster_selection_method") == "leaf" else "")
        return f"km-k{p['k']}"


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


def _int_list(value, source, key, low: int) -> list[int]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= low
                             for v in values):
        _fail(source, key, f"expected integers >= {low}, got {value!r}")
    return values


def _components(value, source, key, allow_fraction: bool) -> list:
    values = value if isinstance(value, list) else [value]
    for v in values:
        is_int = isinstance(v, int) and not isinstance(v, bool) and v >= 1
        is_fraction = allow_fraction and isinstance(v, float) and 0.0 < v < 1.0
        if not (is_int or is_fraction):
            allowed = "integers >= 1 or variance fractions in (0, 1)" if allow_fraction \
                else "integers >= 1"
            _fail(source, key, f"expected {allowed}, got {v!r}")
    return values if values else _fail(source, key, "empty list")


# method -> {key: (required, default)}; list-valued keys expand into combinations
_SCHEMA = {
    "umap": {"n_components": (True, None), "n_neighbors": (True, None),
             "min_dist": (False, 0.0), "metric": (False, "cosine")},
    "pca": {"n_components": (True, None)},
    "hdbscan": {"min_cluster_size": (True, None), "min_samples": (False, None),
                "cluster_selection_method": (False, "eom")},
    "kmeans": {"k": (True, None)},
}


def _check_keys(entry: dict, method: str, source: Path, where: str) -> None:
    known = _SCHEMA[method]
    for key in entry:
        if key != "method" and key not in known:
            _fail(source, f"{where}.{key}",
                  f"unknown key for {method} (known: method, {', '.join(known)})")
    for key, (required, _) in known.items():
        if required and key not in entry:
            _fail(source, f"{where}.{key}", f"missing (required for {method})")


def _expand(entry, kind: str, index: int, methods: tuple, source: Path) -> list[Step]:
    where = f"{kind}[{index}]"
    if not isinstance(entry, dict):
        _fail(source, where, f"expected a mapping with a `method`, got {entry!r}")
    method = entry.get("method")
    if method not in methods:
        _fail(source, f"{where}.method", f"expected one of {', '.join(methods)}, got {method!r}")
    _check_keys(entry, method, source, where)
    get = {k: entry.get(k, default) for k, (_, default) in _SCHEMA[method].items()}
    lists: dict[str, list] = {}
    if method == "umap":
        lists["n_components"] = _components(get["n_components"], source,
                                            f"{where}.n_components", False)
        lists["n_neighbors"] = _int_list(get["n_neighbors"], source, f"{where}.n_neighbors", 2)
        if not isinstance(get["min_dist"], (int, float)) or not 0 <= get["min_dist"] <= 1:
            _fail(source, f"{where}.min_dist", f"expected a number in [0, 1], got {get['min_dist']!r}")
        if not isinstance(get["metric"], str):
            _fail(source, f"{where}.metric", f"expected a metric name, got {get['metric']!r}")
        lists["min_dist"], lists["metric"] = [float(get["min_dist"])], [get["metric"]]
    elif method == "pca":
        lists["n_components"] = _components(get["n_components"], source,
                                            f"{where}.n_components", True)
    elif method == "hdbscan":
        lists["min_cluster_size"] = _int_list(get["min_cluster_size"], source,
                                              f"{where}.min_cluster_size", 2)
        lists["min_samples"] = [None] if get["min_samples"] is None else _int_list(
            get["min_samples"], source, f"{where}.min_samples", 1)
        if get["cluster_selection_method"] not in ("eom", "leaf"):
            _fail(source, f"{where}.cluster_selection_method",
                  f"expected eom or leaf, got {get['cluster_selection_method']!r}")
        lists["cluster_selection_method"] = [get["cluster_selection_method"]]
    else:
        lists["k"] = _int_list(get["k"], source, f"{where}.k", 2)
    keys = list(lists)
    return [Step(method, tuple(zip(keys, combo))) for combo in itertools.product(*lists.values())]


def _steps(data: dict, kind: str, methods: tuple, source: Path) -> tuple:
    entries = data.get(kind)
    if not isinstance(entries, list) or not entries:
        _fail(source, kind, f"expected a non-empty list of {'/'.join(methods)} settings")
    steps = [s for i, e in enumerate(entries) for s in _expand(e, kind, i, methods, source)]
    return tuple(dict.fromkeys(steps))


def resolve_grid_path(name: str | Path) -> Path:
    """A grid file path, or the name of a shipped grid (``paper``, ``demo``)."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = grids_dir() / f"{name}.yaml"
    if path.suffix == "" and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in grids_dir().glob("*.yaml"))) or "none"
    raise UserError(f"grid file not found: {name} (shipped grids: {names})")


def load_grid(name: str | Path, stopwords: str | Path | None = None) -> Grid:
    """Read and check a grid file (or a shipped grid by name); ``stopwords`` overrides the file's."""
    source = resolve_grid_path(name)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserError(f"{source}: not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UserError(f"{source.name}: expected a mapping with reductions and clusterers")
    for key in data:
        if key not in TOP_KEYS:
            _fail(source, str(key), f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
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
    _int_list(k, source, "keywords_k", 1) if not isinstance(k, list) else _fail(
        source, "keywords_k", f"expected one integer >= 1, got {k!r}")
    stop = stopwords if stopwords is not None else data.get("stopwords")
    if stop is not None:
        stop = Path(stop) if stopwords is not None else (source.parent / str(stop))
        if not stop.is_file():
            where = "--stopwords" if stopwords is not None else f"{source.name}: stopwords"
            raise UserError(f"{where}: file not found: {stop}")
    return Grid(source=source.resolve(), embeddings=embeddings,
                reductions=_steps(data, "reductions", ("umap", "pca"), source),
                clusterers=_steps(data, "clusterers", ("hdbscan", "kmeans"), source),
                seed=seed, reassign_outliers=reassign,
                keywords_from=None if keywords_from is None else str(keywords_from),
                keywords_k=k, stopwords=None if stop is None else stop.resolve())
