"""Interpretability of a clustering: the matching test.

Sets of images are drawn from single clusters; evaluators see a set and the
keyword descriptions of all clusters and choose the cluster they think the
set came from. A set's label is the majority of its evaluators' choices;
with no majority, the choice of the first evaluator. Precision and recall of
these labels per cluster, their macro means and the accuracy say how well
the keywords describe the clusters. All functions are pure and return
JSON-ready dicts (cluster ids as strings).

A matches table with a ``descriptions`` column (keywords | names: what the
evaluators were shown, ``semclust sample sets --descriptions``) may hold the
same sets matched under several kinds; :func:`interpretability_by_kind` runs
the test once per kind so the kinds can be compared side by side.
"""
from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from semclust.evaluation.agreement import cohen_kappa
from semclust.evaluation.inputs import validate_matches, validate_sets
from semclust.study import UserError


def parse_merge(merge: Iterable, known: Iterable[int]) -> dict[int, int]:
    """Map each cluster to its merged id (the smallest id of its group).

    ``merge`` holds groups such as ``(3, 7)`` or ``"3,7"``; groups sharing a
    cluster join (3,7 and 7,9 make one cluster 3). Unknown ids raise UserError.
    """
    known = set(int(k) for k in known)
    parent = {k: k for k in known}

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for group in merge:
        try:
            ids = [int(x) for x in (group.split(",") if isinstance(group, str) else group)]
        except ValueError:
            raise UserError(f"--merge {group!r}: give cluster ids such as 3,7") from None
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UserError(f"--merge {group!r}: cluster(s) {', '.join(map(str, unknown))} "
                            "not in the sets file")
        roots = sorted(root(i) for i in ids)
        for r in roots[1:]:
            parent[r] = roots[0]
    return {k: root(k) for k in known}


def evaluator_order(matches: pd.DataFrame, evaluators: Sequence[str] | None) -> list[str]:
    """The evaluators in tie-rule order: as given, else order of first appearance."""
    present = list(dict.fromkeys(matches["evaluator"]))
    if evaluators is None:
        return present
    evaluators = [str(e).strip() for e in evaluators if str(e).strip()]
    absent = [e for e in evaluators if e not in present]
    if absent:
        raise UserError(f"--evaluators: {', '.join(absent)} made no match "
                        f"(evaluators in file: {', '.join(present)})")
    return list(dict.fromkeys(evaluators))


def set_labels(matches: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Label each matched set by majority vote, ties going to the first evaluator.

    A majority is a choice made by more than half of the set's evaluators.
    Otherwise the label is the choice of the set's first evaluator in
    ``order``.

    Returns
    -------
    DataFrame
        ``set_id, label, rule`` (rule ``"majority"`` or ``"first_evaluator"``).
    """
    rank = {name: i for i, name in enumerate(order)}
    rows = []
    ordered = matches.assign(_rank=matches["evaluator"].map(rank)).sort_values("_rank", kind="stable")
    for set_id, group in ordered.groupby("set_id", sort=False):
        choices = group["chosen_cluster"].tolist()
        top, count = Counter(choices).most_common(1)[0]
        if count * 2 > len(choices):
            rows.append((set_id, int(top), "majority"))
        else:
            rows.append((set_id, int(choices[0]), "first_evaluator"))
    return pd.DataFrame(rows, columns=["set_id", "label", "rule"])


def precision_recall(truth, label, clusters: Sequence[int]) -> dict:
    """Per-cluster precision, recall and number of sets.

    precision(c) = sets labelled c that came from c / sets labelled c
    (0 when c was never chosen); recall(c) = sets from c labelled c / sets
    from c (None when no set of c was matched).

    >>> precision_recall([0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 2])["2"]
    {'precision': 0.0, 'recall': None, 'n_sets': 0}
    """
    truth, label = np.asarray(truth), np.asarray(label)
    out = {}
    for c in clusters:
        chosen, actual = label == c, truth == c
        hits = int(np.sum(chosen & actual))
        out[str(c)] = {"precision": hits / int(chosen.sum()) if chosen.any() else 0.0,
                       "recall": hits / int(actual.sum()) if actual.any() else None,
                       "n_sets": int(actual.sum())}
    return out


def evaluator_kappa(matches: pd.DataFrame, order: Sequence[str], clusters) -> tuple[dict, list]:
    """Cohen's kappa (unweighted, all clusters as categories) of each evaluator pair."""
    wide = matches.pivot(index="set_id", columns="evaluator", values="chosen_cluster")
    values, notes = {}, []
    for first, second in combinations(sorted(order), 2):
        both = wide[[first, second]].dropna()
        value, note = cohen_kappa(both[first].astype(int), both[second].astype(int), clusters)
        values[f"{first}|{second}"] = value
        if note:
            notes.append(f"{first}|{second}: {note}")
    return values, notes


def confusion(truth, label, clusters: Sequence[int]) -> dict:
    """Confusion matrix: ``counts[i][j]`` = sets from ``clusters[i]`` labelled ``clusters[j]``."""
    index = {c: i for i, c in enumerate(clusters)}
    counts = np.zeros((len(clusters), len(clusters)), dtype=int)
    for true, given in zip(truth, label):
        counts[index[true], index[given]] += 1
    return {"clusters": [str(c) for c in clusters], "counts": counts.tolist()}


def merged_groups(mapping: dict[int, int]) -> list[list[str]]:
    """The groups of more than one cluster in a :func:`parse_merge` mapping, ids as strings."""
    groups: dict[int, list[int]] = {}
    for cluster, root in mapping.items():
        groups.setdefault(root, []).append(cluster)
    return [[str(c) for c in sorted(g)] for _, g in sorted(groups.items()) if len(g) > 1]


def label_scores(labelled: pd.DataFrame, clusters: Sequence[int]) -> dict:
    """Accuracy, precision/recall, baseline, rule counts and confusion of labelled sets.

    ``labelled`` has ``cluster`` (true), ``label`` and ``rule`` per matched set.
    """
    truth, label = labelled["cluster"].to_numpy(), labelled["label"].to_numpy()
    per_cluster = precision_recall(truth, label, clusters)
    recalls = [v["recall"] for v in per_cluster.values() if v["recall"] is not None]
    return {
        "n_sets": int(len(labelled)),
        "n_clusters": len(clusters),
        "accuracy": float(np.mean(truth == label)) if len(labelled) else None,
        "precision_macro": float(np.mean([v["precision"] for v in per_cluster.values()])),
        "recall_macro": float(np.mean(recalls)) if recalls else None,
        "random_baseline": 1 / len(clusters),
        "per_cluster": per_cluster,
        "n_majority": int((labelled["rule"] == "majority").sum()),
        "n_tie_first_evaluator": int((labelled["rule"] == "first_evaluator").sum()),
        "confusion": confusion(truth, label, clusters),
    }


def interpretability(matches: pd.DataFrame, sets: pd.DataFrame,
                     evaluators: Sequence[str] | None = None, merge: Iterable = ()) -> dict:
    """Results of the matching test.

    Parameters
    ----------
    matches : DataFrame
        ``set_id, evaluator, chosen_cluster``: one choice per evaluator and set.
    sets : DataFrame
        ``set_id, cluster, image_ids``: the cluster each set was drawn from.
    evaluators : sequence of str or None
        Evaluators to use, in tie-rule order (default: all, in order of first
        appearance in ``matches``).
    merge : iterable of groups
        Clusters to treat as one, e.g. ``[(3, 7), "12,15"]``; applied to the
        sets' clusters and to the choices before anything is computed.

    Returns
    -------
    dict
        ``n_sets`` (sets with at least one match), ``n_clusters`` (clusters in
        the sets file, after merging), ``accuracy`` (share of sets whose label
        is their cluster), ``precision_macro`` (mean over all clusters),
        ``recall_macro`` (mean over clusters with a matched set),
        ``random_baseline`` (1 / n_clusters), ``per_cluster`` ({cluster:
        {precision, recall, n_sets}}), ``evaluator_kappa`` ({"a|b": Cohen's
        kappa over the sets both matched, clusters as nominal categories}),
        ``evaluator_kappa_mean``, ``n_majority``, ``n_tie_first_evaluator``,
        ``confusion`` ({clusters, counts}: rows true cluster, columns label),
        ``merged`` (the merged groups) and ``n_sets_unmatched``.

    Examples
    --------
    Three sets, two evaluators who disagree on set s2 (a tie: a's choice wins).

    >>> sets = pd.DataFrame({"set_id": ["s1", "s2", "s3"], "cluster": [0, 1, 2],
    ...                      "image_ids": "i1;i2;i3"})
    >>> matches = pd.DataFrame({"set_id": ["s1", "s1", "s2", "s2", "s3", "s3"],
    ...                         "evaluator": ["a", "b"] * 3,
    ...                         "chosen_cluster": [0, 0, 0, 1, 2, 2]})
    >>> r = interpretability(matches, sets)
    >>> r["accuracy"], r["n_majority"], r["n_tie_first_evaluator"], r["per_cluster"]["1"]
    (0.6666666666666666, 2, 1, {'precision': 0.0, 'recall': 0.0, 'n_sets': 1})
    """
    sets = validate_sets(sets)
    if sets.empty:
        raise UserError(f"{sets.attrs.get('source', 'sets')}: no sets")
    matches = validate_matches(matches, sets)
    order = evaluator_order(matches, evaluators)
    matches = matches[matches["evaluator"].isin(order)]
    mapping = parse_merge(merge, sets["cluster"])
    sets = sets.assign(cluster=sets["cluster"].map(mapping))
    matches = matches.assign(chosen_cluster=matches["chosen_cluster"].map(mapping))
    clusters = sorted(set(sets["cluster"]))
    labelled = set_labels(matches, order).merge(sets[["set_id", "cluster"]], on="set_id")
    result = label_scores(labelled, clusters)
    kappas, kappa_notes = evaluator_kappa(matches, order, clusters)
    defined = [v for v in kappas.values() if v is not None]
    result.update(evaluator_kappa=kappas,
                  evaluator_kappa_mean=float(np.mean(defined)) if defined else None,
                  merged=merged_groups(mapping), n_sets_unmatched=int(len(sets) - len(labelled)))
    if kappa_notes or len(order) < 2:
        result["evaluator_kappa_note"] = "; ".join(kappa_notes) or "undefined: one evaluator"
    if not len(labelled):
        result["accuracy_note"] = "undefined: no set was matched"
    return result


def description_kinds(matches: pd.DataFrame) -> list[str]:
    """The description kinds in ``matches`` (column ``descriptions``; keywords where absent or empty).

    Keywords first, then the others in order of first appearance.

    >>> description_kinds(pd.DataFrame({"descriptions": ["names", "", "names"]}))
    ['keywords', 'names']
    """
    kinds = list(dict.fromkeys(_kind_column(matches)))
    return sorted(kinds, key=lambda k: (k != "keywords", kinds.index(k)))


def _kind_column(matches: pd.DataFrame) -> pd.Series:
    if "descriptions" not in matches.columns:
        return pd.Series("keywords", index=matches.index, dtype=object)
    values = matches["descriptions"].astype("string").str.strip().fillna("keywords")
    return values.replace("", "keywords").astype(object)


def interpretability_by_kind(matches: pd.DataFrame, sets: pd.DataFrame,
                             evaluators: Sequence[str] | None = None,
                             merge: Iterable = ()) -> dict[str, dict]:
    """:func:`interpretability` once per description kind: ``{kind: result}`` (see :func:`description_kinds`).

    Given ``evaluators`` are used, in their order, where they matched under the kind.
    """
    kinds = _kind_column(matches)
    merge = list(merge)
    out = {}
    for kind in description_kinds(matches):
        part = matches[kinds == kind]
        order = evaluators
        if evaluators is not None:
            present = set(part["evaluator"].astype(str).str.strip())
            order = [e for e in evaluators if str(e).strip() in present] or evaluators
        out[kind] = interpretability(part, sets, order, merge)
    return out


def kind_comparison(by_kind: dict[str, dict]) -> list[dict]:
    """One row per kind: ``descriptions, n_sets, accuracy, precision_macro, recall_macro``."""
    return [{"descriptions": kind, "n_sets": r["n_sets"], "accuracy": r["accuracy"],
             "precision_macro": r["precision_macro"], "recall_macro": r["recall_macro"]}
            for kind, r in by_kind.items()]
