"""Clusters against a researcher's ground truth: import, contingency table and metrics.

A *truth* is a label (a class) per image that a researcher already has, kept in
``truth/<name>.csv`` (``image_id, label``; an empty label = unlabelled). Only
the truth-aware commands (``evaluate``, ``crosstab``, ``simulate --truth``,
``fewshot``) read it; the unsupervised method never does.

For one clustering, only images that have a truth label and a row in the
clustering's ``labels.csv`` are scored: ``n`` of them, of which ``n_noise``
are noise (cluster -1). ``coverage = (n - n_noise) / n``. Two noise policies:

* ``exclude``: only the clustered images (``n - n_noise``) are scored.
* ``as-cluster``: all ``n`` images are scored. For the partition indices
  (ARI, NMI, AMI, homogeneity, completeness, V-measure) the noise images form
  one more cluster; in the matching scores (accuracy, purity, per-class
  precision, recall, F1) that cluster is never given a class, so its images
  count as wrong.

With coverage 0 every metric is null and ``note`` says why: a clustering that
clusters nothing never gets a perfect score. Every function here is pure
(inputs are never modified) and returns JSON-ready values.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from semclust.evaluation.inputs import fail_rows, number_rows
from semclust.study import TRUTH_COLUMNS, Study, UserError, read_csv
from semclust.vocabulary import NOISE

NOISE_POLICIES = ("exclude", "as-cluster")
KEYS = ("image_id", "path")
PARTITION_INDICES = ("ari", "nmi", "ami", "homogeneity", "completeness", "v_measure")


# --- the contingency table and the matching scores ------------------------------
def contingency(clusters, truth) -> pd.DataFrame:
    """Cluster x class contingency table.

    Parameters
    ----------
    clusters : array-like of int, shape (n,)
        Cluster of each image; ``-1`` is noise.
    truth : array-like, shape (n,)
        True class of each image (any hashable; compared as given).

    Returns
    -------
    DataFrame of int, shape (n_clusters, n_classes)
        ``table.loc[k, c]`` = images of cluster ``k`` whose class is ``c``.
        Rows are the cluster ids sorted (noise, -1, first when present),
        columns the classes sorted.

    Examples
    --------
    >>> table = contingency([0, 0, 0, 1, 1, 2, -1], ["a", "a", "b", "b", "b", "c", "a"])
    >>> table.index.tolist(), table.columns.tolist()
    ([-1, 0, 1, 2], ['a', 'b', 'c'])
    >>> table.to_numpy().tolist()
    [[1, 0, 0], [2, 1, 0], [0, 2, 0], [0, 0, 1]]
    """
    clusters, truth = np.asarray(clusters), np.asarray(truth, dtype=object)
    if clusters.shape != truth.shape or clusters.ndim != 1:
        raise UserError(f"clusters {clusters.shape} and truth {truth.shape} must be two equal-length "
                        "1-d sequences")
    table = pd.crosstab(pd.Series(clusters, name="cluster"), pd.Series(truth, name="truth"))
    return table.sort_index().sort_index(axis=1)


def _as_table(table) -> pd.DataFrame:
    table = table if isinstance(table, pd.DataFrame) else pd.DataFrame(np.asarray(table))
    values = table.to_numpy()
    if values.ndim != 2 or (values.size and (values.min() < 0 or not np.all(values % 1 == 0))):
        raise UserError("a contingency table must be a 2-d array of non-negative counts")
    return table


def match_clusters(table) -> dict:
    """One-to-one matching of clusters to classes that maximises the matched images.

    The Hungarian algorithm (``scipy.optimize.linear_sum_assignment``,
    maximising) on the table without its noise row: each cluster gets at most
    one class and each class at most one cluster, so with unequal numbers some
    clusters (or classes) stay unmatched. Matches of zero overlap are dropped.

    Parameters
    ----------
    table : DataFrame or array-like of int, shape (n_clusters, n_classes)
        As from :func:`contingency`. A row labelled ``-1`` is noise and is never
        matched; a plain array has no noise row.

    Returns
    -------
    dict
        ``{cluster: class}`` for the matched clusters.

    Examples
    --------
    >>> match_clusters(contingency([0, 0, 1, 1, 2, 2], ["a", "a", "a", "a", "b", "b"]))
    {0: 'a', 2: 'b'}
    """
    from scipy.optimize import linear_sum_assignment

    table = _as_table(table)
    clustered = table.drop(index=NOISE, errors="ignore")
    rows, cols = linear_sum_assignment(clustered.to_numpy(), maximize=True)
    return {_plain(clustered.index[r]): _plain(clustered.columns[c]) for r, c in zip(rows, cols)
            if clustered.iat[r, c] > 0}


def hungarian_accuracy(table) -> float | None:
    """Share of images whose cluster is matched to their class (:func:`match_clusters`).

    Images of unmatched clusters and of the noise row count as wrong. With
    ``T`` the table and ``m`` the matching,
    ``accuracy = sum_k T[k, m(k)] / sum(T)``; None for an empty table.

    Examples
    --------
    Three clusters, two classes: the best matching leaves cluster 1 out.

    >>> hungarian_accuracy([[2, 0], [2, 0], [0, 2]])
    0.6666666666666666
    """
    table = _as_table(table)
    total = table.to_numpy().sum()
    if total == 0:
        return None
    matched = sum(table.loc[k, c] for k, c in match_clusters(table).items())
    return float(matched / total)


def purity(table) -> float | None:
    """Majority-label accuracy: each cluster predicts its most common class.

    ``purity = sum_k max_c T[k, c] / sum(T)`` over the non-noise rows; the
    noise row's images count as wrong (in the denominator only). Purity never
    falls when a cluster is split, and is 1 with one image per cluster, so read
    it next to the number of clusters. None for an empty table.

    Examples
    --------
    The table of :func:`hungarian_accuracy`'s example: every cluster is pure.

    >>> purity([[2, 0], [2, 0], [0, 2]])
    1.0
    """
    table = _as_table(table)
    total = table.to_numpy().sum()
    if total == 0:
        return None
    clustered = table.drop(index=NOISE, errors="ignore")
    return float(clustered.max(axis=1).sum() / total) if len(clustered.columns) else 0.0


def class_scores(table, matching: dict) -> dict:
    """Precision, recall and F1 of each class after the matching.

    An image is predicted as class ``c`` when its cluster is matched to ``c``
    (noise and unmatched clusters predict no class). For class ``c`` matched to
    cluster ``k``: TP = ``T[k, c]``, FP = rest of row ``k``, FN = rest of column
    ``c``; precision = TP / (TP + FP) (null for an unmatched class), recall =
    TP / (TP + FN), F1 = 2 TP / (2 TP + FP + FN).

    Returns
    -------
    dict
        ``{class: {cluster, support, precision, recall, f1}}``; ``support`` =
        images of the class in the table.

    Examples
    --------
    >>> table = contingency([0, 0, 1, 1, 2, 2], ["a", "a", "a", "a", "b", "b"])
    >>> class_scores(table, match_clusters(table))["a"]
    {'cluster': 0, 'support': 4, 'precision': 1.0, 'recall': 0.5, 'f1': 0.6666666666666666}
    """
    table = _as_table(table)
    by_class = {c: k for k, c in matching.items()}
    out = {}
    for c in table.columns:
        support = int(table[c].sum())
        k = by_class.get(_plain(c))
        tp = int(table.loc[k, c]) if k is not None else 0
        predicted = int(table.loc[k].sum()) if k is not None else 0
        fp, fn = predicted - tp, support - tp
        out[_plain(c)] = {
            "cluster": k, "support": support,
            "precision": tp / predicted if predicted else None,
            "recall": tp / support if support else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else None,
        }
    return out


def _plain(value):
    """A numpy scalar as the Python value (JSON-ready)."""
    return value.item() if isinstance(value, np.generic) else value


# --- all metrics of one clustering ----------------------------------------------
def _unlabelled(truth: pd.Series) -> pd.Series:
    return truth.isna() | (truth.astype(str).str.strip() == "")


def partition_indices(clusters, truth) -> dict:
    """scikit-learn's partition-comparison indices of a clustering against the truth.

    ``ari`` adjusted Rand index; ``nmi`` and ``ami`` normalised and adjusted
    mutual information (arithmetic-mean normalisation, scikit-learn's
    default); ``homogeneity`` = 1 - H(class | cluster) / H(class);
    ``completeness`` = 1 - H(cluster | class) / H(cluster); ``v_measure`` their
    harmonic mean. Every label given counts as a cluster (noise too).

    Examples
    --------
    >>> partition_indices([0, 0, 1, 1], ["a", "a", "b", "b"])["ari"]
    1.0
    """
    from sklearn import metrics

    clusters, truth = np.asarray(clusters), np.asarray(truth, dtype=object).astype(str)
    h, c, v = metrics.homogeneity_completeness_v_measure(truth, clusters)
    return {"ari": float(metrics.adjusted_rand_score(truth, clusters)),
            "nmi": float(metrics.normalized_mutual_info_score(truth, clusters)),
            "ami": float(metrics.adjusted_mutual_info_score(truth, clusters)),
            "homogeneity": float(h), "completeness": float(c), "v_measure": float(v)}


def _check_clusters(clusters) -> np.ndarray:
    values = pd.to_numeric(pd.Series(clusters, dtype=object), errors="coerce")
    if values.isna().any() or (values % 1 != 0).any() or (values < NOISE).any():
        raise UserError(f"clusters must be integers >= {NOISE} ({NOISE} = noise)")
    return values.to_numpy(dtype=int)


def truth_metrics(clusters, truth, noise: str = "exclude") -> dict:
    """Every truth metric of one clustering under one noise policy.

    Parameters
    ----------
    clusters : array-like of int, shape (n_images,)
        Cluster per image, ``-1`` = noise.
    truth : array-like, shape (n_images,)
        True class per image; None, NaN or an empty string = unlabelled (the
        image is left out of everything).
    noise : {"exclude", "as-cluster"}
        The noise policy (module docstring).

    Returns
    -------
    dict
        ``noise``; ``n`` (labelled images), ``n_noise``, ``n_scored``,
        ``coverage`` = (n - n_noise) / n; ``k_pred`` (non-noise clusters with a
        labelled image), ``k_true`` (classes among the labelled images);
        ``accuracy`` (:func:`hungarian_accuracy`), ``purity``
        (:func:`purity`), the :func:`partition_indices`; ``matching``
        ``{cluster: class}`` and ``per_class`` (:func:`class_scores`), with
        cluster ids as strings; ``confusion`` ``{clusters, classes, counts}``
        (the scored images' :func:`contingency`); ``note``: why metrics are null,
        else None.

    Examples
    --------
    >>> m = truth_metrics([0, 0, 0, 1, 1, 2, -1, 2], ["a", "a", "b", "b", "b", "c", "a", None])
    >>> m["n"], round(m["coverage"], 3), m["k_pred"], m["k_true"], round(m["accuracy"], 3)
    (7, 0.857, 3, 3, 0.833)
    >>> round(truth_metrics([0, 0, 0, 1, 1, 2, -1], list("aabbbca"), "as-cluster")["accuracy"], 3)
    0.714
    """
    if noise not in NOISE_POLICIES:
        raise UserError(f"noise policy {noise!r}: use one of {', '.join(NOISE_POLICIES)}")
    clusters = _check_clusters(clusters)
    truth = pd.Series(np.asarray(truth, dtype=object))
    if len(truth) != len(clusters):
        raise UserError(f"{len(clusters)} clusters but {len(truth)} truth labels")
    keep = ~_unlabelled(truth).to_numpy()
    clusters, truth = clusters[keep], truth[keep].astype(str).str.strip().to_numpy(dtype=object)
    n, n_noise = len(clusters), int((clusters == NOISE).sum())
    scored = clusters != NOISE if noise == "exclude" else np.ones(n, dtype=bool)
    out = {"noise": noise, "n": n, "n_noise": n_noise, "n_scored": int(scored.sum()),
           "coverage": (n - n_noise) / n if n else None,
           "k_pred": len(set(clusters[clusters != NOISE])), "k_true": len(set(truth)),
           "accuracy": None, "purity": None, **dict.fromkeys(PARTITION_INDICES),
           "matching": {}, "per_class": {}, "confusion": None, "note": None}
    if n == 0:
        out["note"] = "no image of the clustering has a truth label"
        return out
    table = contingency(clusters[scored], truth[scored])
    out["confusion"] = {"clusters": [int(k) for k in table.index],
                        "classes": [str(c) for c in table.columns],
                        "counts": table.to_numpy().astype(int).tolist()}
    if n_noise == n:
        out["note"] = "coverage 0: every labelled image is noise, so no metric is defined"
        return out
    matching = match_clusters(table)
    out.update(accuracy=hungarian_accuracy(table), purity=purity(table),
               **partition_indices(clusters[scored], truth[scored]),
               matching={str(k): c for k, c in matching.items()},
               per_class={c: {**s, "cluster": None if s["cluster"] is None else str(s["cluster"])}
                          for c, s in class_scores(table, matching).items()})
    return out


# --- a study: import and evaluate -----------------------------------------------
def read_truth_file(path) -> pd.DataFrame:
    """Read a truth CSV to import, rows numbered as in the file (header = row 1).

    UTF-8, with or without the byte-order mark spreadsheets write. Raises
    UserError for a missing, empty or unparsable file.
    """
    path = Path(path)
    if path.is_file() and not path.read_text(encoding="utf-8", errors="replace").strip():
        raise UserError(f"{path.name}: the file is empty")
    return number_rows(read_csv(path, [], what=path.name, dtype=str, encoding="utf-8-sig"), path.name)


def _posix(path: str, image_root: Path) -> str:
    """``path`` as images.csv writes it: relative to the image root, ``/``-separated, no ``./``."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        try:
            posix = PurePosixPath(posix.relative_to(PurePosixPath(Path(image_root).as_posix())))
        except ValueError:
            pass
    return posix.as_posix()


def truth_from_table(table: pd.DataFrame, images: pd.DataFrame, key: str | None = None,
                     image_root=".") -> pd.DataFrame:
    """The ``truth/<name>.csv`` rows of an imported table, checked against the study's images.

    Parameters
    ----------
    table : DataFrame
        A ``label`` column and a key column; its index names rows in errors
        (file row numbers from :func:`read_truth_file`).
    images : DataFrame
        The study's ``images.csv`` (``image_id, path``).
    key : {"image_id", "path"} or None
        The key column; None: ``image_id`` if the table has it, else ``path``.
        A path is relative to the image root as in images.csv (an absolute path
        under ``image_root`` is accepted too).

    Returns
    -------
    DataFrame
        ``image_id, label`` in the table's order; an empty label is NaN (unlabelled).

    Raises
    ------
    UserError
        For a missing key or label column, no rows, no labelled row, or naming
        the rows with an empty key, an image not in images.csv or a repeated image.
    """
    what = str(table.attrs.get("source", "truth"))
    has = ", ".join(map(str, table.columns)) or "nothing"
    if key is not None and (key not in KEYS or key not in table.columns):
        raise UserError(f"{what}: no {key!r} column to name the images (key: image_id or path; has: {has})")
    key = key or next((k for k in KEYS if k in table.columns), None)
    if key is None:
        raise UserError(f"{what}: needs an image_id or a path column to name the images (has: {has})")
    if "label" not in table.columns:
        raise UserError(f"{what}: needs a `label` column with each image's class (has: {has}); "
                        "rename the column that holds the classes to `label`")
    if table.empty:
        raise UserError(f"{what}: has no rows")
    raw = table[key].astype("string").str.strip()
    fail_rows(table, raw.isna() | (raw == ""), what, f"empty {key}")
    if key == "path":
        lookup = {_posix(p, image_root): i for p, i in zip(images["path"].astype(str), images["image_id"])}
        ids = raw.map(lambda p: lookup.get(_posix(p, image_root)))
    else:
        ids = raw.where(raw.isin(set(images["image_id"].astype(str))))
    fail_rows(table, ids.isna(), what, f"{key} not an image of the study (images.csv)")
    fail_rows(table, ids.duplicated(keep=False), what, "the same image more than once")
    label = table["label"].astype("string").str.strip().replace("", pd.NA)
    if label.isna().all():
        raise UserError(f"{what}: no row has a label")
    return pd.DataFrame({"image_id": ids.astype(str).to_numpy(),
                         "label": label.astype(object).where(label.notna(), np.nan).to_numpy()},
                        columns=TRUTH_COLUMNS)


def labelled_truth(study: Study, name: str) -> pd.Series:
    """``truth/<name>.csv`` as a Series label by image_id, unlabelled images dropped."""
    truth = study.read_truth(name)
    truth = truth[~_unlabelled(truth["label"])]
    return pd.Series(truth["label"].astype(str).str.strip().to_numpy(), index=truth["image_id"],
                     name="label")


def evaluate_clustering(labels: pd.DataFrame, truth: pd.Series, noise: str = "both") -> dict:
    """Truth metrics of one clustering (``labels``: image_id, cluster) for one or both policies.

    Returns ``{n_images, n_clusters, n_truth_not_in_clustering, <policy>: truth_metrics}``:
    ``n_truth_not_in_clustering`` counts labelled images absent from ``labels``.
    """
    policies = NOISE_POLICIES if noise == "both" else (noise,)
    joined = labels.merge(truth.rename("label"), left_on="image_id", right_index=True, how="inner")
    out = {"n_images": len(labels),
           "n_clusters": int(labels.loc[labels["cluster"] != NOISE, "cluster"].nunique()),
           "n_truth_not_in_clustering": int((~truth.index.isin(labels["image_id"])).sum())}
    for policy in policies:
        out[policy] = truth_metrics(joined["cluster"].to_numpy(), joined["label"].to_numpy(), policy)
    return out


def evaluate_study(study: Study, truth_name: str, clustering: str = "all", noise: str = "both") -> dict:
    """Truth metrics of one clustering of a study, or of all (``clustering="all"``).

    Returns ``{truth, n_truth_labelled, noise, clusterings: {id: evaluate_clustering}}``.
    """
    if noise not in (*NOISE_POLICIES, "both"):
        raise UserError(f"noise policy {noise!r}: use exclude, as-cluster or both")
    truth = labelled_truth(study, truth_name)
    ids = study.list_clusterings() if clustering == "all" else [clustering]
    if not ids:
        raise UserError(f"study {study.root} has no clusterings: run `semclust cluster` first")
    return {"truth": truth_name, "n_truth_labelled": len(truth), "noise": noise,
            "clusterings": {cid: evaluate_clustering(study.read_labels(cid), truth, noise)
                            for cid in ids}}
