"""How another labelling distributes over the clusters: majority label, purity, entropy.

Cross-tabulates one clustering against a second label per image: a truth
(``truth/<name>.csv``, e.g. a class per image read off by a VLM) or another
clustering. For each cluster ``k`` with ``m_k`` labelled images, ``m_kl`` of
them with label ``l``:

* ``majority_label``: the most common label (ties: the first in sorted order);
* ``purity`` = max_l m_kl / m_k, the share of the majority label;
* ``entropy_bits`` = -sum_l p_l log2 p_l with p_l = m_kl / m_k, the entropy of
  the cluster's label distribution in bits (0 for one label; log2 L for L
  labels in equal shares).

Totals weight each cluster by ``m_k``: total purity = sum_k max_l m_kl / sum_k
m_k and total entropy = sum_k m_k H_k / sum_k m_k, the conditional entropy
H(label | cluster). They are given with the noise cluster (-1) counted as one
more cluster and without it. These are not scikit-learn's ``homogeneity_score``,
which is 1 - H(label | cluster) / H(label) over the whole clustering.

Images without a label (an empty truth label, a noise image of a second
clustering, or an image the label source does not have) count in ``size``
only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semclust.study import Study, UserError
from semclust.vocabulary import NOISE

PROFILE_COLUMNS = ["cluster", "size", "n_labelled", "n_labels", "majority_label", "majority_count",
                   "purity", "entropy_bits"]


def label_entropy(counts) -> float:
    """Entropy in bits of a distribution given as counts: -sum p log2 p, p = counts / sum.

    Zero counts contribute nothing. NaN when all counts are 0.

    Examples
    --------
    >>> label_entropy([2, 2])
    1.0
    >>> label_entropy([4, 0])
    0.0
    >>> round(label_entropy([2, 1, 1]), 3)
    1.5
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or (counts < 0).any():
        raise UserError("label counts must be a 1-d sequence of non-negative numbers")
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0: no -0.0


def label_profile(clusters, labels) -> pd.DataFrame:
    """Per-cluster majority label, purity and entropy of a second labelling.

    Parameters
    ----------
    clusters : array-like of int, shape (n_images,)
        Cluster per image, ``-1`` = noise.
    labels : array-like, shape (n_images,)
        Label per image; None, NaN or an empty string = unlabelled.

    Returns
    -------
    DataFrame
        One row per cluster (sorted, noise first): ``cluster, size,
        n_labelled, n_labels`` (distinct labels), ``majority_label,
        majority_count, purity, entropy_bits`` (module docstring; empty/NaN
        when the cluster has no labelled image).

    Examples
    --------
    >>> p = label_profile([0, 0, 0, 0, 1, 1, -1], ["a", "a", "a", "b", "c", None, "a"])
    >>> p[["cluster", "size", "n_labelled", "majority_label", "purity"]].values.tolist()
    [[-1, 1, 1, 'a', 1.0], [0, 4, 4, 'a', 0.75], [1, 2, 1, 'c', 1.0]]
    >>> p["entropy_bits"].round(3).tolist()
    [0.0, 0.811, 0.0]
    """
    clusters = np.asarray(clusters)
    labels = pd.Series(np.asarray(labels, dtype=object))
    if clusters.ndim != 1 or len(clusters) != len(labels):
        raise UserError(f"{len(clusters)} clusters but {len(labels)} labels")
    if not np.issubdtype(clusters.dtype, np.integer) or (clusters < NOISE).any():
        raise UserError(f"clusters must be integers >= {NOISE} ({NOISE} = noise)")
    text = labels.astype("string").str.strip()
    labelled = (text.notna() & (text != "")).to_numpy()
    rows = []
    for k in sorted(set(clusters.tolist())):
        in_k = clusters == k
        counts = text[in_k & labelled].value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        m = int(counts.sum())
        rows.append({"cluster": int(k), "size": int(in_k.sum()), "n_labelled": m,
                     "n_labels": len(counts),
                     "majority_label": str(counts.index[0]) if m else None,
                     "majority_count": int(counts.iloc[0]) if m else 0,
                     "purity": counts.iloc[0] / m if m else np.nan,
                     "entropy_bits": label_entropy(counts.to_numpy()) if m else np.nan})
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def profile_totals(profile: pd.DataFrame) -> dict:
    """Size-weighted totals of a :func:`label_profile`, with and without the noise cluster.

    Returns
    -------
    dict
        ``{"with_noise": {...}, "without_noise": {...}}``, each ``{n_clusters,
        n_labelled, purity, entropy_bits}``: purity = sum of majority counts /
        labelled images, entropy = the labelled-size-weighted mean entropy
        (H(label | cluster)); null when no image is labelled.

    Examples
    --------
    >>> p = label_profile([0, 0, 0, 0, 1, 1, -1], ["a", "a", "a", "b", "c", None, "a"])
    >>> profile_totals(p)["without_noise"]["purity"]
    0.8
    """
    out = {}
    for name, part in (("with_noise", profile), ("without_noise", profile[profile["cluster"] != NOISE])):
        m = int(part["n_labelled"].sum())
        weighted = (part["n_labelled"] * part["entropy_bits"].fillna(0.0)).sum()
        out[name] = {"n_clusters": len(part), "n_labelled": m,
                     "purity": float(part["majority_count"].sum() / m) if m else None,
                     "entropy_bits": float(weighted / m) if m else None}
    return out


def resolve_labels(study: Study, ref: str) -> tuple[str, str, pd.Series]:
    """``(kind, name, label by image_id)`` of ``truth:NAME``, ``clustering:ID`` or a bare name.

    A bare name is the truth of that name or the clustering with that id; a
    name that is both must be given with its prefix. A clustering's noise
    images are unlabelled (left out of the Series).
    """
    kind, _, name = ref.partition(":") if ref.startswith(("truth:", "clustering:")) else ("", "", ref)
    if not kind:
        is_truth, is_clustering = name in study.list_truths(), name in study.list_clusterings()
        if is_truth and is_clustering:
            raise UserError(f"--labels {name!r} is both a truth and a clustering: give truth:{name} "
                            f"or clustering:{name}")
        if not (is_truth or is_clustering):
            raise UserError(f"--labels {name!r} is neither a truth (known: "
                            f"{', '.join(study.list_truths()) or 'none'}) nor a clustering (known: "
                            f"{', '.join(study.list_clusterings()) or 'none'})")
        kind = "truth" if is_truth else "clustering"
    if kind == "truth":
        truth = study.read_truth(name)
        return kind, name, truth.set_index("image_id")["label"]
    other = study.read_labels(name)
    other = other[other["cluster"] != NOISE]
    return kind, name, other.set_index("image_id")["cluster"].astype(str)


def profile_file_name(kind: str, name: str) -> str:
    """``label_profile-<kind>-<name>.csv``, the profile's file in ``clusterings/<C>/``."""
    return f"label_profile-{kind}-{name}.csv"


def crosstab_study(study: Study, clustering: str, ref: str) -> dict:
    """Profile of ``clustering`` against the labels ``ref`` (see :func:`resolve_labels`).

    Returns ``{clustering, labels: {kind, name}, profile: DataFrame, totals}``.
    """
    kind, name, by_image = resolve_labels(study, ref)
    labels = study.read_labels(clustering)
    profile = label_profile(labels["cluster"].to_numpy(),
                            labels["image_id"].map(by_image).to_numpy(dtype=object))
    return {"clustering": clustering, "labels": {"kind": kind, "name": name},
            "profile": profile, "totals": profile_totals(profile)}
