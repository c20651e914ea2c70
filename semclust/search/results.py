"""What a search leaves behind: trials.csv, the selection, best.json, the history.

All functions here are pure or read/write only ``searches/<id>/`` (and, to
materialize, ``clusterings/<id>/`` through :mod:`semclust.pipeline.grid`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from semclust.pipeline.gridfile import Step
from semclust.study import Study

RECORD_COLUMNS = ["clustering_id", "objective", "n_same", "n_diff", "noise", "n_clusters",
                  "feasible", "reason"]


def searches_dir(study: Study) -> Path:
    """``searches/`` of a study: one folder per search."""
    return study.searches_dir


def search_dir(study: Study, search_id: str) -> Path:
    return study.search_dir(search_id)


def list_searches(study: Study) -> list[str]:
    return study.list_searches()


def trial_columns(space) -> list[str]:
    """Parameter columns of trials.csv: ``reduction``, ``clusterer``, then every parameter of
    every method of the space as ``<method>.<parameter>`` (empty where a trial has none)."""
    columns = ["reduction", "clusterer"]
    for step in space.reductions:
        columns += [f"{step.method}.{k}" for k in step.params if f"{step.method}.{k}" not in columns]
    for c in space.clusterers:
        columns += [f"{c.method}.{k}" for k, _ in c.items]
    return columns


def trial_row(number: int, reduction: Step, clusterer: Step, record: dict) -> dict:
    """One row of trials.csv from a trial's steps and record."""
    row = {"trial": number, "reduction": reduction.id, "clusterer": clusterer.method}
    row.update({f"{reduction.method}.{k}": v for k, v in reduction.params.items()})
    row.update({f"{clusterer.method}.{k}": v for k, v in clusterer.params.items()})
    return {**row, **{k: record.get(k) for k in RECORD_COLUMNS}}


def trials_frame(rows: list[dict], space) -> pd.DataFrame:
    """trials.csv as a DataFrame: one row per finished trial, by trial number."""
    columns = ["trial", *trial_columns(space), *RECORD_COLUMNS]
    rows = sorted(rows, key=lambda r: r["trial"])
    # object columns keep each value as it is (an integer parameter stays 38, not 38.0)
    return pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns})


def select(trials: pd.DataFrame, k: int = 1) -> pd.DataFrame:
    """The ``k`` best feasible trials: highest objective first, ties to the earlier trial.

    Infeasible trials are never selected, whatever their objective; distinct
    clusterings only (a repeated setting counts once, at its first trial).

    >>> t = pd.DataFrame({"trial": [0, 1, 2, 3], "clustering_id": ["a", "b", "c", "a"],
    ...                   "objective": [0.5, 0.9, 0.7, 0.5], "feasible": [True, False, True, True]})
    >>> select(t, 2)["trial"].tolist()
    [2, 0]
    """
    feasible = trials[trials["feasible"].astype(bool) & trials["objective"].notna()]
    ranked = feasible.sort_values(["objective", "trial"], ascending=[False, True], kind="stable")
    return ranked.drop_duplicates("clustering_id").head(k).reset_index(drop=True)


def holdout_entry(scores: dict, dimension: str | None) -> dict:
    """The JSON of held-out quality per dimension (score, 95% CI, counts, p-value)."""
    keep = ("score", "ci95", "s_same", "s_diff", "n_same", "n_diff", "valid", "p_value")
    out = {d: {k: s.get(k) for k in keep} for d, s in scores.items()}
    if dimension is not None and dimension in out:
        out = {dimension: out[dimension], **out}
    return out


def optimism(search_score, holdout_scores: dict, dimension: str | None):
    """search score - held-out score on the objective's dimension (None for proxy objectives)."""
    held = (holdout_scores.get(dimension) or {}).get("score") if dimension else None
    if search_score is None or held is None:
        return None
    return float(search_score) - float(held)


def search_history(study: Study, search_id: str) -> pd.DataFrame:
    """A search's trials in order with the running best, for plots and tables.

    Parameters
    ----------
    study : Study
    search_id : str
        A folder of ``searches/`` (:func:`list_searches`).

    Returns
    -------
    DataFrame
        trials.csv's columns (``trial``, the parameters, ``objective``, ``n_same``,
        ``n_diff``, ``noise``, ``n_clusters``, ``feasible``, ``reason``) plus
        ``best_so_far``: the highest objective of the feasible trials up to and
        including this one (NaN before the first feasible trial), and ``selected``:
        True on the trial best.json selected.
    """
    trials, best = study.read_search(search_id)
    trials["best_so_far"] = trials["objective"].where(trials["feasible"]).cummax()
    chosen = (best.get("best") or {}).get("trial")
    trials["selected"] = trials["trial"] == chosen if chosen is not None else False
    return trials


def summary_line(row) -> str:
    """``trial 12  minilm--umap-c5-n15--hdb-m37  objective 0.842  (61 same / 150 diff, noise 12.0%)``."""
    pairs = ("" if pd.isna(row["n_same"]) else
             f"{int(row['n_same'])} same / {int(row['n_diff'])} different pairs, ")
    return (f"trial {int(row['trial'])}  {row['clustering_id']}  objective {row['objective']:.4f}  "
            f"({pairs}noise {row['noise']:.1%}, {int(row['n_clusters'])} clusters)")


def to_json(value):
    """numpy scalars and NaN as plain JSON values."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
