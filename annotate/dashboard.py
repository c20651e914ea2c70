"""What the admin dashboard computes: counts and live alpha, fast on 100k rating rows.

The dashboard needs only the latest answer per (pair, dimension, round, person),
Krippendorff's alpha per phase and dimension on the independent round, and
counts. :func:`latest_ratings` reads the ratings table once (one indexed scan,
integer codes) and keeps the highest id per key with pandas; :func:`alpha_rows`
pivots each phase x dimension to a coders x items matrix and calls
``evaluation.agreement.krippendorff_alpha`` (the same statistic as
``semclust agreement``, without the kappas and bootstrap the dashboard does not
show). ``bench/dashboard.py`` times it (target < 300 ms per page at 100k rows).
The rule it applies is the one of the ``current_ratings``/``current_consensus``
views of ``schema.sql``; the dashboard applies it to its incrementally read
copy (rows are append-only) instead of querying the views on every page load.

Alpha from few items is unstable (with 6 pairs, one disagreement swings it by
more than 0.5): rows with fewer than :data:`MIN_ITEMS_FOR_ALPHA` items rated by at
least two coders carry ``small_sample``, which the page shows beside the value.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd

from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, SCALE_POINTS

MIN_ITEMS_FOR_ALPHA = 30


class RatingCache:
    """The ratings table as integer-coded arrays, read incrementally.

    Ratings are append-only (never updated or deleted), so rows up to the highest id
    already read never change: each :meth:`refresh` fetches only rows with a higher id.
    One instance per app (``app.extensions``); not thread-safe on its own, callers lock.
    """

    COLUMNS = ("id", "pair", "person_id", "dimension", "score", "round", "phase")

    def __init__(self) -> None:
        self.last_id = 0
        self.codes: dict[str, dict[str, int]] = {"pair": {}, "dimension": {}, "round": {}, "phase": {}}
        self.parts: list[np.ndarray] = []

    def _code(self, kind: str, value: str) -> int:
        table = self.codes[kind]
        return table.setdefault(value, len(table))

    def refresh(self, conn: sqlite3.Connection) -> np.ndarray:
        """All rows so far, shape (n, 7) float: id, pair, person, dimension, score (NaN), round, phase codes."""
        rows = conn.execute("SELECT id, pair_id, person_id, dimension, score, round, phase FROM ratings "
                            "WHERE id > ? ORDER BY id", (self.last_id,)).fetchall()
        if rows:
            code = self._code
            self.parts.append(np.array(
                [(r[0], code("pair", r[1]), r[2], code("dimension", r[3]), np.nan if r[4] is None else r[4],
                  code("round", r[5]), code("phase", r[6])) for r in rows], dtype=float))
            self.last_id = int(rows[-1][0])
            if len(self.parts) > 1:
                self.parts = [np.concatenate(self.parts)]
        return self.parts[0] if self.parts else np.empty((0, len(self.COLUMNS)))


@dataclass
class Latest:
    """The latest ratings, integer-coded (``frame``), and ``names``: coded column -> names by code."""

    frame: pd.DataFrame
    names: dict[str, np.ndarray]

    def code(self, kind: str, name: str) -> int:
        hits = np.flatnonzero(self.names[kind] == name)
        return int(hits[0]) if len(hits) else -1


def latest_ratings(conn: sqlite3.Connection, cache: RatingCache | None = None) -> Latest:
    """Latest row per (pair, dimension, round, person; consensus: whoever), integer-coded.

    Columns pair, person_id, dimension, score (float, NaN = cannot judge), round, phase;
    returned with the names of the codes (:class:`Latest`).
    """
    cache = cache or RatingCache()
    frame = pd.DataFrame(cache.refresh(conn), columns=RatingCache.COLUMNS)
    names = {kind: np.array(list(table), dtype=object) for kind, table in cache.codes.items()}
    if not frame.empty:
        independent = cache.codes["round"].get(INDEPENDENT_ROUND, -1)
        frame["who"] = np.where(frame["round"].to_numpy() == independent, frame["person_id"].to_numpy(), 0)
        frame = frame.drop_duplicates(["pair", "dimension", "round", "who"], keep="last")  # rows in id order
    frame = frame.drop(columns=[c for c in ("id", "who") if c in frame.columns]).astype(
        {"pair": int, "person_id": int, "dimension": int, "round": int, "phase": int})
    return Latest(frame, names)


def alpha_rows(latest: Latest, phases: list[str]) -> tuple[list[dict], str | None]:
    """Alpha per phase and dimension on the independent round; (rows, message if unavailable).

    Each row: phase, n (scores given), and per dimension ``d``: ``d`` (alpha or None),
    ``d_note``, ``d_items`` (items rated by two or more coders), ``d_small`` (fewer than
    :data:`MIN_ITEMS_FOR_ALPHA`).
    """
    try:
        from semclust.evaluation.agreement import krippendorff_alpha
    except ImportError as exc:
        return [], f"Krippendorff's alpha unavailable (evaluation.agreement not importable: {exc}); counts only."
    frame = latest.frame
    independent = frame[frame["round"].to_numpy() == latest.code("round", INDEPENDENT_ROUND)]
    scored_all = independent[independent["score"].notna().to_numpy()]
    rows = []
    for phase in phases:
        in_phase = independent["phase"].to_numpy() == latest.code("phase", phase)
        row = {"phase": phase, "n": int(independent["score"].notna().to_numpy()[in_phase].sum())}
        scored_phase = scored_all[scored_all["phase"].to_numpy() == latest.code("phase", phase)]
        for d in DIMENSION_NAMES:
            scored = scored_phase[scored_phase["dimension"].to_numpy() == latest.code("dimension", d)]
            row[d], row[f"{d}_note"], row[f"{d}_items"] = None, "no ratings", 0
            if len(scored):
                people, person_at = np.unique(scored["person_id"].to_numpy(), return_inverse=True)
                items, item_at = np.unique(scored["pair"].to_numpy(), return_inverse=True)
                matrix = np.full((len(people), len(items)), np.nan)
                matrix[person_at, item_at] = scored["score"].to_numpy(dtype=float)
                row[f"{d}_items"] = int((np.isfinite(matrix).sum(axis=0) >= 2).sum())
                try:
                    alpha, note = krippendorff_alpha(matrix, SCALE_POINTS, "ordinal")
                except Exception as exc:  # noqa: BLE001 - shown on the page, never hidden
                    alpha, note = None, f"{type(exc).__name__}: {exc}"
                row[d], row[f"{d}_note"] = alpha, note or ""
            row[f"{d}_small"] = row[f"{d}_items"] < MIN_ITEMS_FOR_ALPHA
        rows.append(row)
    return rows, None


def counts(latest: Latest) -> list[dict]:
    """Latest ratings per phase, round and dimension: [{phase, round, dimension, n}], sorted."""
    if latest.frame.empty:
        return []
    names = latest.names
    table = latest.frame.groupby(["phase", "round", "dimension"]).size()
    rows = [{"phase": names["phase"][p], "round": names["round"][r], "dimension": names["dimension"][d], "n": int(n)}
            for (p, r, d), n in table.items()]
    return sorted(rows, key=lambda row: (row["phase"], row["round"], row["dimension"]))


def pair_progress(latest: Latest) -> dict[tuple[int, str], int]:
    """(person_id, phase) -> distinct pairs answered in the independent round (as ``answers.pair_progress``)."""
    frame = latest.frame
    if frame.empty:
        return {}
    independent = frame[frame["round"].to_numpy() == latest.code("round", INDEPENDENT_ROUND)]
    table = independent.groupby(["person_id", "phase"])["pair"].nunique()
    names = latest.names["phase"]
    return {(int(person), str(names[phase])): int(n) for (person, phase), n in table.items()}
