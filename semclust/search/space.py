"""The SPACE.yaml file of `semclust search`: what the search may try (see docs/search.md).

Example (``grids/search-default.space.yaml``, abridged)::

    subsample: 2000            # optional; points scored by silhouette / dbcv
    metric: cosine             # optional; metric of the original space for those
    reductions:                # a categorical choice among every listed setting
      - method: umap
        n_components: [5, 10]
        n_neighbors: [5, 15, 30]
      - method: pca
        n_components: [5, 10, 20, 0.8]
    clusterers:                # one entry per method; the search picks the method too
      - method: hdbscan
        min_cluster_size: {low: 20, high: 500, log: true}   # an integer range
        min_samples: {low: 1, high: 100, log: true}
        cluster_selection_method: [eom, leaf]             # a list: a categorical choice
      - method: kmeans
        k: {low: 5, high: 60}

Reductions are written as in a grid file (a list expands into every setting) and
become one categorical choice, so each is computed once and cached. A clusterer
parameter is fixed (a scalar), a categorical choice (a list) or an integer or
float range (``{low, high, log}``). Every value is checked by the method's own
registry entry (:mod:`semclust.pipeline.registry`); every error is a UserError
naming the file and the key, e.g. ``space.yaml: clusterers[0].min_cluster_size.low:
expected integers >= 2, got 1``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from semclust.pipeline.clusterers import CLUSTERERS
from semclust.pipeline.gridfile import Step, read_yaml_mapping
from semclust.pipeline.reducers import REDUCERS
from semclust.resources import grids_dir
from semclust.study import UserError

DEFAULT_SPACE = "search-default"
SPACE_SUFFIX = ".space.yaml"  # shipped spaces live beside the grids, told apart by this suffix
TOP_KEYS = ("subsample", "metric", "reductions", "clusterers")
DEFAULT_SUBSAMPLE = 2000
METRICS = ("cosine", "euclidean")


@dataclass(frozen=True)
class Range:
    """A numeric range of one parameter: integers when both bounds are integers."""

    low: float
    high: float
    log: bool = False

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)


@dataclass(frozen=True)
class ClustererSpace:
    """One clusterer method and what the search may set: ``(name, value)`` pairs where a
    value is a scalar (fixed), a tuple (categorical choice) or a :class:`Range`."""

    method: str
    items: tuple

    @property
    def entry(self):
        return CLUSTERERS[self.method]


@dataclass(frozen=True)
class Space:
    """A parsed search space; see the module docstring for the file format."""

    source: Path
    reductions: tuple
    clusterers: tuple
    subsample: int = DEFAULT_SUBSAMPLE
    metric: str = "cosine"

    def reduction(self, step_id: str) -> Step:
        return next(s for s in self.reductions if s.id == step_id)

    def clusterer(self, method: str) -> ClustererSpace:
        return next(c for c in self.clusterers if c.method == method)

    def as_dict(self) -> dict:
        """The space as plain data (search.yaml; what a resumed search must match)."""
        def value(v):
            if isinstance(v, Range):
                return {"low": v.low, "high": v.high, "log": v.log}
            return list(v) if isinstance(v, tuple) else v

        return {"subsample": self.subsample, "metric": self.metric,
                "reductions": [{"method": s.method, **s.params} for s in self.reductions],
                "clusterers": [{"method": c.method, **{k: value(v) for k, v in c.items}}
                               for c in self.clusterers]}

    def check_data(self, n: int, dim: int) -> None:
        """UserError naming the setting when one cannot suit ``n`` points in ``dim`` dimensions."""
        for step in self.reductions:
            problem = step.entry.check_data(step.params, n, dim)
            if problem:
                raise UserError(f"{self.source.name}: reductions: {step.id}: {problem}")
        for c in self.clusterers:
            for params in _corners(c):
                problem = c.entry.check_data(params, n, dim)
                if problem:
                    raise UserError(f"{self.source.name}: clusterers: {c.method}: {problem}")


def _corners(c: ClustererSpace) -> list[dict]:
    """Every combination of the extreme values of a clusterer's parameters."""
    options = {k: ([v.low, v.high] if isinstance(v, Range) else list(v) if isinstance(v, tuple)
                   else [v]) for k, v in c.items}
    return [dict(zip(options, combo)) for combo in itertools.product(*options.values())]


def _fail(source: Path, key: str, message: str):
    raise UserError(f"{source.name}: {key}: {message}")


def _checked(param, value, fail, key: str):
    """One value as the registry's check accepts it (raises through ``fail``)."""
    try:
        values = param.check(value)
    except ValueError as exc:
        fail(key, str(exc))
    if len(values) != 1:
        fail(key, f"expected one value, got {value!r}")
    return values[0]


def _range(param, spec: dict, fail, key: str) -> Range:
    for k in spec:
        if k not in ("low", "high", "log"):
            fail(f"{key}.{k}", "unknown key of a range (known: low, high, log)")
    for k in ("low", "high"):
        if k not in spec:
            fail(f"{key}.{k}", "missing (a range needs low and high)")
    low = _checked(param, spec["low"], fail, f"{key}.low")
    high = _checked(param, spec["high"], fail, f"{key}.high")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        fail(f"{key}.log", f"expected true or false, got {log!r}")
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    if not numeric:
        fail(key, f"a range needs numbers, got {low!r} and {high!r}")
    if not low < high:
        fail(key, f"low ({low!r}) must be below high ({high!r})")
    if log and low <= 0:
        fail(f"{key}.low", f"a log range needs low > 0, got {low!r}")
    return Range(low, high, log)


def _value(param, raw, fail, key: str):
    """A scalar, a tuple of choices or a Range for one clusterer parameter."""
    if isinstance(raw, dict):
        return _range(param, raw, fail, key)
    if isinstance(raw, list):
        if not raw:
            fail(key, "expected at least one value, got an empty list")
        choices = [_checked(param, v, fail, f"{key}[{i}]") for i, v in enumerate(raw)]
        return tuple(dict.fromkeys(choices))
    return _checked(param, raw, fail, key)


def _clusterer(entry, index: int, source: Path) -> ClustererSpace:
    where = f"clusterers[{index}]"
    if not isinstance(entry, dict):
        _fail(source, where, f"expected a mapping with a `method`, got {entry!r}")
    method = entry.get("method")
    if method not in CLUSTERERS:
        _fail(source, f"{where}.method", f"expected one of {', '.join(CLUSTERERS)}, got {method!r}")
    registry_entry = CLUSTERERS[method]

    def fail(key: str, message: str):
        _fail(source, f"{where}.{key}", message)

    for key in entry:
        if key != "method" and key not in registry_entry.param_names:
            fail(str(key), f"unknown key for {method} (known: method, "
                 f"{', '.join(registry_entry.param_names)})")
    items = []
    for param in registry_entry.params:
        if param.name not in entry and param.required:
            fail(param.name, f"missing (required for {method})")
        raw = entry.get(param.name, param.default)
        items.append((param.name, _value(param, raw, fail, param.name)))
    return ClustererSpace(method, tuple(items))


def _reductions(entries, source: Path) -> tuple:
    """Every reduction setting listed (lists expand, as in a grid file), without repeats."""
    if not isinstance(entries, list) or not entries:
        _fail(source, "reductions", f"expected a non-empty list of {'/'.join(REDUCERS)} settings")
    steps = []
    for i, entry in enumerate(entries):
        where = f"reductions[{i}]"
        if not isinstance(entry, dict):
            _fail(source, where, f"expected a mapping with a `method`, got {entry!r}")
        if entry.get("method") not in REDUCERS:
            _fail(source, f"{where}.method",
                  f"expected one of {', '.join(REDUCERS)}, got {entry.get('method')!r}")
        for key, value in entry.items():
            if isinstance(value, dict):
                _fail(source, f"{where}.{key}", "reductions are a categorical choice: give a "
                      "value or a list of values, not a range")

        def fail(key: str, message: str, where=where):
            _fail(source, f"{where}.{key}", message)

        method = entry["method"]
        steps += [Step("reductions", method, tuple(p.items()))
                  for p in REDUCERS[method].settings(entry, fail)]
    return tuple(dict.fromkeys(steps))


def resolve_space_path(name: str | Path | None) -> Path:
    """A space file path, or the name of a shipped one (default: ``search-default``)."""
    path = Path(name or DEFAULT_SPACE)
    if path.is_file():
        return path
    shipped = grids_dir() / f"{path.name}{SPACE_SUFFIX}"
    if path.suffix == "" and shipped.is_file():
        return shipped
    raise UserError(f"space file not found: {name} (shipped: {DEFAULT_SPACE})")


def load_space(name: str | Path | None = None) -> Space:
    """Read and check a space file (default: the shipped ``grids/search-default.space.yaml``)."""
    source = resolve_space_path(name)
    data = read_yaml_mapping(source, TOP_KEYS)
    subsample = data.get("subsample", DEFAULT_SUBSAMPLE)
    if isinstance(subsample, bool) or not isinstance(subsample, int) or subsample < 10:
        _fail(source, "subsample", f"expected an integer >= 10, got {subsample!r}")
    metric = data.get("metric", "cosine")
    if metric not in METRICS:
        _fail(source, "metric", f"expected {' or '.join(METRICS)}, got {metric!r}")
    reductions = _reductions(data.get("reductions"), source)
    entries = data.get("clusterers")
    if not isinstance(entries, list) or not entries:
        _fail(source, "clusterers", f"expected a non-empty list of {'/'.join(CLUSTERERS)} entries")
    clusterers = [_clusterer(e, i, source) for i, e in enumerate(entries)]
    methods = [c.method for c in clusterers]
    for i, method in enumerate(methods):
        if method in methods[:i]:
            _fail(source, f"clusterers[{i}].method", f"{method} listed twice (one entry per "
                  "method; lists and ranges inside it)")
    return Space(source=source.resolve(), reductions=reductions, clusterers=tuple(clusterers),
                 subsample=subsample, metric=metric)


def suggest(trial, space: Space) -> tuple[Step, Step]:
    """Ask an Optuna trial for one reduction and one clusterer setting of ``space``.

    Parameter names: ``reduction`` (a reduction id such as ``umap-c5-n15``),
    ``clusterer`` (a method) and ``<method>.<parameter>`` for the clusterer's
    choices and ranges. Returns the two as grid :class:`Step`\\ s (every parameter
    of the method, in registry order, so ids and configs match the grid's).
    """
    reduction = space.reduction(trial.suggest_categorical(
        "reduction", [s.id for s in space.reductions]))
    chosen = space.clusterer(trial.suggest_categorical(
        "clusterer", [c.method for c in space.clusterers]))
    params = {}
    for name, value in chosen.items:
        key = f"{chosen.method}.{name}"
        if isinstance(value, Range):
            suggest_number = trial.suggest_int if value.integer else trial.suggest_float
            params[name] = suggest_number(key, value.low, value.high, log=value.log)
        elif isinstance(value, tuple):
            params[name] = trial.suggest_categorical(key, list(value))
        else:
            params[name] = value
    return reduction, Step("clusterers", chosen.method, tuple(params.items()))
