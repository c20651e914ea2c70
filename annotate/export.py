"""Export of the annotation database to the study's plain CSV files.

``exports/ratings.csv`` (:data:`pipeline.study.RATING_COLUMNS`)
    item_id (= pair_id), coder, dimension (denotative | connotative),
    score (0 | 1 | 2, empty = cannot judge), round (independent | consensus),
    phase, created_at. One row per item, coder, dimension and round: the
    latest submission counts. Consensus rows have coder ``consensus``.
``exports/matches.csv`` (:data:`pipeline.study.MATCH_COLUMNS` + clustering)
    set_id, evaluator, chosen_cluster, created_at, clustering. One row per
    set and evaluator (latest choice). ``clustering`` is appended because
    set ids are only unique within one clustering's sets file.

Rows are sorted (phase, item, dimension, round, coder) and (clustering, set,
evaluator), so two exports of the same database are byte-identical.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from semclust.annotate import db
from semclust.annotate.people import CONSENSUS_NAME
from semclust.pipeline.study import (
    MATCH_COLUMNS,
    RATING_COLUMNS,
    Study,
    atomic_write_csv,
)

MATCH_EXPORT_COLUMNS = [*MATCH_COLUMNS, "clustering"]


def ratings_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Latest rating per (item, coder, dimension, round) with :data:`RATING_COLUMNS`.

    ``score`` is a nullable integer (``pd.Int64Dtype``); <NA> means cannot judge.
    """
    rows = conn.execute(
        "SELECT r.pair_id AS item_id, CASE r.round WHEN 'consensus' THEN ? ELSE p.name END AS coder, "
        "r.dimension, r.score, r.round, r.phase, r.created_at "
        "FROM ratings r JOIN people p ON p.id = r.person_id WHERE r.id IN ("
        " SELECT max(id) FROM ratings GROUP BY pair_id, dimension, round,"
        " CASE round WHEN 'consensus' THEN 0 ELSE person_id END)", (CONSENSUS_NAME,)).fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=RATING_COLUMNS)
    frame["score"] = frame["score"].astype("Int64")
    return frame.sort_values(["phase", "item_id", "dimension", "round", "coder"]).reset_index(drop=True)


def matches_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Latest choice per (clustering, set, evaluator) with :data:`MATCH_EXPORT_COLUMNS`."""
    rows = conn.execute(
        "SELECT m.set_id, p.name AS evaluator, m.chosen_cluster, m.created_at, m.clustering "
        "FROM matches m JOIN people p ON p.id = m.person_id WHERE m.id IN ("
        " SELECT max(id) FROM matches GROUP BY clustering, set_id, person_id)").fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=MATCH_EXPORT_COLUMNS)
    frame["chosen_cluster"] = frame["chosen_cluster"].astype("Int64")
    return frame.sort_values(["clustering", "set_id", "evaluator"]).reset_index(drop=True)


def export_study(study: Study) -> tuple[Path, Path, int, int]:
    """Write ``exports/ratings.csv`` and ``exports/matches.csv`` atomically.

    Returns (ratings path, matches path, number of rating rows, number of match rows).
    An empty database gives files with a header only.
    """
    db.init_db(study.annotations_db)
    conn = db.connect(study.annotations_db)
    try:
        ratings, matches = ratings_frame(conn), matches_frame(conn)
    finally:
        conn.close()
    atomic_write_csv(study.ratings_csv, ratings)
    atomic_write_csv(study.matches_csv, matches)
    return study.ratings_csv, study.matches_csv, len(ratings), len(matches)
