"""Classify: run one classifier of the registry and write its result as a clustering folder.

The orchestrator holds no algorithm. It reads the classes file
(:func:`semclust.pipeline.classes.load_classes`), checks the classifier's
settings against its registry entry (naming the bad key), names the
clustering ``<embedding or model>--classify-<method>--<classes file stem>``,
refuses to overwrite a folder made with other classes or settings (unless
``force``), runs the classifier and writes the folder through
:func:`semclust.pipeline.classes.write_classification`.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.pipeline.classes import check_templates, load_classes, write_classification
from semclust.study import Study, UserError, check_id, library_versions, now_iso, toolkit_version

LIBRARIES = ("numpy", "scikit-learn", "torch", "transformers", "sentence-transformers")


@dataclass
class Prediction:
    """What a classifier returns.

    ``labels``: class index per image of ``image_ids`` (-1 = no class);
    ``info``: what params.json should say about how (model, embedding,
    thresholds, templates); ``unassigned``: why images got -1, reason -> count;
    ``texts``/``keywords_source``: descriptions for the keywords;
    ``extra``: file name -> DataFrame written into the folder; ``lines``: what
    to print; ``ok=False``: nothing could be classified (nothing is written).
    """

    image_ids: list
    labels: np.ndarray
    info: dict = field(default_factory=dict)
    unassigned: dict = field(default_factory=dict)
    texts: pd.Series | None = None
    keywords_source: str = "none"
    extra: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    ok: bool = True


@dataclass
class ClassifyResult:
    """Outcome of :func:`classify_study`; ``summary`` is None when nothing was written."""

    clustering_id: str
    path: Path
    prediction: Prediction
    summary: dict | None
    replaced: bool


def optional_number(low: float, high: float):
    """Parameter check: a number in [low, high], or None (no threshold); not expanded."""
    def check(value) -> list:
        if value is None:
            return [None]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"expected a number in [{low:g}, {high:g}] or nothing, got {value!r}")
        return [float(value)]
    return check


def templates_param(value) -> list:
    """Parameter check: a list of class-text templates (:func:`~semclust.pipeline.classes.check_templates`)."""
    return [list(check_templates(value))]


def file_stem(path: str | Path) -> str:
    """The classes file's name without extension, made safe for an id (``my themes.yaml`` -> ``my-themes``)."""
    return re.sub(r"[^A-Za-z0-9._=+-]+", "-", Path(path).stem).strip("-.") or "classes"


def _settings(entry, params: dict) -> dict:
    def fail(key: str, message: str):
        raise UserError(f"classify {entry.name}: {key}: {message}")
    return entry.settings({"method": entry.name, **params}, fail)[0]


def classify_study(study: Study, method: str, classes_path: str | Path, params: dict,
                   runtime: dict | None = None, clustering_id: str | None = None, force: bool = False,
                   echo=None) -> ClassifyResult:
    """Classify a study's images into the classes of ``classes_path`` with one classifier.

    Parameters
    ----------
    method : str
        A name of :data:`semclust.pipeline.classifiers.CLASSIFIERS` (text, clip, vlm).
    classes_path : path of the classes.yaml
    params : dict
        The classifier's settings (its registry parameters); they define the result.
    runtime : dict, optional
        Options that do not change the result (device, batch size, endpoint, ...).
    clustering_id : str, optional
        Default ``<subject>--classify-<method>--<classes file stem>``.
    force : bool
        Replace a folder made with other classes or settings.
    echo : callable, optional
        Receives one-line notes (default: print to stderr).

    Returns
    -------
    ClassifyResult
    """
    from semclust.pipeline.classifiers import CLASSIFIERS

    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    entry = CLASSIFIERS.method(method)
    classes = load_classes(classes_path)
    settings = _settings(entry, params)
    clustering_id = check_id("clustering", clustering_id or
                             f"{entry.subject(settings)}--{entry.step_id(settings)}--{file_stem(classes_path)}")
    config = {"method": f"classify-{method}", "classes": [c.as_dict() for c in classes],
              "params": settings}
    folder = study.clustering_dir(clustering_id)
    replaced = (folder / "labels.csv").is_file()
    if replaced and not force:
        old = study.read_clustering_json(clustering_id, "params.json").get("config") \
            if (folder / "params.json").is_file() else None
        if old != config:
            raise UserError(f"clustering {clustering_id} exists with other classes or settings; "
                            "use --force to replace it or --id to name another")
    prediction = entry.predict(study, classes, settings, dict(runtime or {}), echo)
    if not prediction.ok:
        return ClassifyResult(clustering_id, folder, prediction, None, replaced)
    params_json = {
        "method": f"classify-{method}",
        "config": config,
        "classifier": {"method": method, **settings},
        # what the readers of grid clusterings (report, quality) look for
        "reduction": {"method": "none"},
        "clusterer": {"method": f"classify-{method}", **settings},
        "classes_file": str(Path(classes_path).resolve()),
        **prediction.info,
        "unassigned": prediction.unassigned,
        "seed": study.seed,
        "versions": library_versions(*LIBRARIES),
        "toolkit_version": toolkit_version(),
        "created_at": now_iso(),
    }
    summary = write_classification(study, clustering_id, prediction.image_ids, prediction.labels,
                                   classes, params_json, prediction.texts, prediction.keywords_source,
                                   prediction.extra, {"unassigned": prediction.unassigned},
                                   source="classify", libraries=LIBRARIES)
    return ClassifyResult(clustering_id, folder, prediction, summary, replaced)
