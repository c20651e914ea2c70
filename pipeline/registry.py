"""Registries of methods: what a reduction or a clusterer is called, takes and does.

A method is one :class:`Method` entry: its name, its parameters (each with a
check, a default and whether a list in a grid file means "try each value"),
the format of its part of a clustering id, and the functions that run it.
The grid file, the grid runner, the CLI choices and the docs read the
registries (:data:`semclust.pipeline.reducers.REDUCERS`,
:data:`semclust.pipeline.clusterers.CLUSTERERS`); adding a method is one new
module that defines its entry and one line that registers it.

Parameter checks take the value as written in the grid file (a scalar, or a
list for an expanding parameter) and return the list of values to try, or
raise ``ValueError("expected ..., got ...")``; the grid file names the key.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from semclust.study import UserError

#: Default of a parameter the user must give.
REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One parameter of a method.

    ``check(value) -> list`` validates what the grid file says (see the module
    docstring); ``default`` is used when the key is absent (:data:`REQUIRED`:
    it must be given); ``doc`` is one line for the documentation.
    """

    name: str
    check: Callable[[Any], list]
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def no_data_check(params: dict, n: int, dim: int) -> str | None:
    """The default data check: every setting suits any data."""
    return None


@dataclass(frozen=True)
class Method:
    """What every reduction and clusterer has.

    Attributes
    ----------
    name : str
        As written in a grid file (``method: umap``).
    params : tuple of Param
    step_id : callable
        ``params -> str``, this method's part of a clustering id (``umap-c5-n15``).
    doc : str
        One line for the docs: what it does and where it comes from.
    check_data : callable
        ``(params, n, dim) -> message or None``: a setting impossible for data of
        ``n`` points in ``dim`` dimensions (e.g. KMeans k > n), checked before any work.
    title : str
        Its name for readers (``UMAP``, ``k-means``); the report and methods text show it.
    label : callable or None
        ``params -> str``: one setting as a reader names it (``UMAP 5-d, 15 nn``);
        None: the title.
    """

    name: str
    params: tuple
    step_id: Callable[[dict], str]
    doc: str
    check_data: Callable[[dict, int, int], str | None] = no_data_check
    title: str = ""
    label: Callable[[dict], str] | None = None

    def describe(self, params: dict) -> dict:
        """What params.json records for readers: ``{"title", "label"}`` of one setting."""
        title = self.title or self.name
        return {"title": title, "label": self.label(params) if self.label else title}

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    def settings(self, entry: Mapping, fail: Callable[[str, str], None]) -> list[dict]:
        """Every combination of parameter values an entry of a grid file asks for.

        ``entry`` is the mapping as read (``method`` included); ``fail(key,
        message)`` reports an error naming the key (it must raise).
        """
        for key in entry:
            if key != "method" and key not in self.param_names:
                fail(str(key), f"unknown key for {self.name} (known: method, "
                     f"{', '.join(self.param_names) or 'none'})")
        lists = {}
        for param in self.params:
            if param.name not in entry and param.required:
                fail(param.name, f"missing (required for {self.name})")
            value = entry.get(param.name, param.default)
            try:
                lists[param.name] = param.check(value)
            except ValueError as exc:
                fail(param.name, str(exc))
        return [dict(zip(lists, combo)) for combo in itertools.product(*lists.values())]


@dataclass(frozen=True)
class Reducer(Method):
    """A reduction: embedding (n, d) -> (n, k).

    ``prepare(X, settings, grid_settings, seed, echo) -> [(payload, note), ...]``
    runs once per embedding in the main process for all pending ``settings``
    of this method (``grid_settings``: all of the grid's, so a resumed run
    shares the same work): it computes what the settings share (a kNN graph, a
    PCA basis) and returns per setting the payload for ``reduce`` and a note
    (at least ``n_components_kept``) for params.json. ``reduce(payload, params,
    seed) -> Y`` runs in a worker process. ``heavy`` reductions are started
    first so parallel workers finish together.
    """

    prepare: Callable = None
    reduce: Callable = None
    heavy: bool = False


@dataclass(frozen=True)
class Clusterer(Method):
    """A clusterer: reduced embedding (n, k) -> labels (n,), -1 = noise.

    ``fit(Y, params, seed, n_jobs) -> ndarray of int``.
    """

    fit: Callable = None


class Registry(Mapping):
    """Methods of one kind by name, in registration order; ``registry[name]`` is a :class:`Method`."""

    def __init__(self, kind: str, methods: list[Method]):
        self.kind = kind
        self._methods = {m.name: m for m in methods}

    def __getitem__(self, name: str) -> Method:
        return self._methods[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    def method(self, name: str) -> Method:
        """The method ``name``; UserError naming the known ones otherwise."""
        if name not in self._methods:
            raise UserError(f"unknown {self.kind} {name!r} (known: {', '.join(self._methods)})")
        return self._methods[name]


def describe_registry(title: str, registry: Registry) -> str:
    """The methods of a registry as text: name, what it is, each parameter with its default."""
    lines = [f"{title}:"]
    for method in registry.values():
        lines.append(f"  {method.name:<9} {method.doc}")
        for param in method.params:
            default = "required" if param.required else f"default {param.default!r}"
            lines.append(f"      {param.name:<26} {param.doc} ({default})")
    return "\n".join(lines)


# --- parameter checks -----------------------------------------------------------------
def _as_list(value) -> list:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError("expected at least one value, got an empty list")
    return values


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def integers(low: int) -> Callable[[Any], list]:
    """Integers >= ``low``, one or a list of them."""
    def check(value) -> list:
        values = _as_list(value)
        if not all(_is_int(v) and v >= low for v in values):
            raise ValueError(f"expected integers >= {low}, got {value!r}")
        return values
    return check


def optional_integers(low: int) -> Callable[[Any], list]:
    """Like :func:`integers`, or ``null`` (None: the method's own default)."""
    def check(value) -> list:
        return [None] if value is None else integers(low)(value)
    return check


def components(allow_fraction: bool) -> Callable[[Any], list]:
    """Numbers of components >= 1, or (PCA) fractions of the variance in (0, 1)."""
    def check(value) -> list:
        for v in _as_list(value):
            if not ((_is_int(v) and v >= 1) or (allow_fraction and isinstance(v, float) and 0 < v < 1)):
                allowed = ("integers >= 1 or variance fractions in (0, 1)" if allow_fraction
                           else "integers >= 1")
                raise ValueError(f"expected {allowed}, got {v!r}")
        return _as_list(value)
    return check


def number(low: float, high: float) -> Callable[[Any], list]:
    """One number in [low, high] (not expanded)."""
    def check(value) -> list:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"expected a number in [{low:g}, {high:g}], got {value!r}")
        return [float(value)]
    return check


def text(what: str) -> Callable[[Any], list]:
    """One string (not expanded), e.g. a metric name."""
    def check(value) -> list:
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected {what}, got {value!r}")
        return [value]
    return check


def choice(*options: str) -> Callable[[Any], list]:
    """One of ``options`` (not expanded)."""
    def check(value) -> list:
        if value not in options:
            raise ValueError(f"expected {' or '.join(options)}, got {value!r}")
        return [value]
    return check


@dataclass(frozen=True)
class Classifier(Method):
    """A zero-shot classifier: a study's images -> one of the researcher's classes each, or -1.

    ``step_id(params)`` is the middle part of the clustering id (``classify-text``);
    ``subject(params) -> str`` its first part (the embedding or the model it
    classifies with). ``predict(study, classes, params, runtime, echo) ->
    Prediction`` (:class:`semclust.pipeline.classifiers.classify.Prediction`):
    ``params`` are the checked settings that define the result, ``runtime`` the
    options that do not change it (device, batch size, endpoint, retries).
    """

    subject: Callable[[dict], str] = None
    predict: Callable = None
