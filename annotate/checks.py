"""Attention checks: pairs with a known answer, hidden among a coder's pairs.

An admin adds checks (``semclust checks add``): two images and the scores a
careful coder must give, e.g. an image paired with itself (2/2) or a pair
known to be unrelated (0/0). Every coder meets every active check at a
position among the pairs that is random per coder and check (stable across
visits, keyed by the study's blinding key), under an item id of the same
shape as a pair's, looking exactly like a pair. Answers go to
``check_answers``, never to ``ratings``: checks are never exported or
analysed as ratings. ``exports/checks.csv`` (:data:`CHECK_COLUMNS`) holds one
row per check and coder; a coder's *check accuracy* is the share of their
answered checks with both scores as expected ("cannot judge" counts as wrong).
"""
from __future__ import annotations

import sqlite3

import pandas as pd

from semclust.annotate.blinding import Blinder
from semclust.annotate.db import transaction
from semclust.study import UserError, now_iso
from semclust.vocabulary import DIMENSION_NAMES, SCALE_POINTS

CHECK_COLUMNS = ["check_id", "coder", "expected_denotative", "expected_connotative",
                 "denotative", "connotative", "correct", "seconds_on_item", "created_at"]


def add_check(conn: sqlite3.Connection, image_a: str, image_b: str, denotative: int, connotative: int,
              note: str = "") -> int:
    """Append a check; returns its id. Scores must be on the scale."""
    for name, score in (("denotative", denotative), ("connotative", connotative)):
        if score not in SCALE_POINTS:
            raise UserError(f"{name}: expected score must be one of {list(SCALE_POINTS)} (got {score!r})")
    with transaction(conn):
        cur = conn.execute("INSERT INTO checks (image_a, image_b, denotative, connotative, note, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (image_a, image_b, denotative, connotative, note, now_iso()))
    return cur.lastrowid


def remove_check(conn: sqlite3.Connection, check_id: int) -> None:
    """Hide a check from coders from now on (its answers stay)."""
    with transaction(conn):
        n = conn.execute("UPDATE checks SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
                         (now_iso(), check_id)).rowcount
    if not n:
        raise UserError(f"no active check {check_id} (see `semclust checks list`)")


def list_checks(conn: sqlite3.Connection, active_only: bool = True) -> list[dict]:
    """The checks, oldest first, as dicts of their columns."""
    where = "WHERE removed_at IS NULL" if active_only else ""
    return [dict(r) for r in conn.execute(f"SELECT * FROM checks {where} ORDER BY id")]  # noqa: S608


def check_key(blinder: Blinder, person: str, check_id: int) -> str:
    """The item id of a check for one coder: the same shape as a pair's (:mod:`annotate.blinding`)."""
    return blinder.item_id(person, "check", check_id)


def positions(blinder: Blinder, person: str, checks: list[dict], n_pairs: int) -> list[tuple[int, dict]]:
    """(position among the pairs, check) per check: keyed pseudo-random per coder, stable, never first."""
    placed = [(blinder.position(person, f"check{check['id']}", n_pairs), check) for check in checks]
    return sorted(placed, key=lambda pc: (pc[0], pc[1]["id"]))


def record_answer(conn: sqlite3.Connection, check_id: int, person_id: int, scores: dict[str, int | None],
                  comment: str = "", seconds: float | None = None) -> int:
    """Append one answer to a check; returns its committed row id."""
    cannot = any(scores.get(d) is None for d in DIMENSION_NAMES)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO check_answers (check_id, person_id, denotative, connotative, cannot_judge, comment, "
            "seconds_on_item, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (check_id, person_id, scores.get("denotative"), scores.get("connotative"), int(cannot), comment,
             seconds, now_iso()))
    return cur.lastrowid


def latest_answers(conn: sqlite3.Connection, person_id: int) -> dict[int, dict]:
    """A coder's current check answers: check_id -> {denotative, connotative, cannot_judge, comment}."""
    rows = conn.execute("SELECT * FROM current_check_answers WHERE person_id = ?", (person_id,)).fetchall()
    return {r["check_id"]: {"denotative": r["denotative"], "connotative": r["connotative"],
                            "cannot_judge": bool(r["cannot_judge"]), "comment": r["comment"]} for r in rows}


def checks_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Latest answer per (check, coder) with :data:`CHECK_COLUMNS`; ``correct`` is 1 or 0."""
    rows = conn.execute(
        "SELECT a.check_id, p.name AS coder, c.denotative AS expected_denotative, "
        "c.connotative AS expected_connotative, a.denotative, a.connotative, "
        "CASE WHEN a.denotative = c.denotative AND a.connotative = c.connotative THEN 1 ELSE 0 END AS correct, "
        "a.seconds_on_item, a.created_at FROM current_check_answers a JOIN checks c ON c.id = a.check_id "
        "JOIN people p ON p.id = a.person_id").fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=CHECK_COLUMNS)
    for column in ("denotative", "connotative"):
        frame[column] = frame[column].astype("Int64")
    return frame.sort_values(["check_id", "coder"]).reset_index(drop=True)


def accuracy_by_coder(conn: sqlite3.Connection) -> dict[str, dict]:
    """coder name -> {answered, correct, accuracy (None when nothing answered)}."""
    frame = checks_frame(conn)
    out = {}
    for coder, part in frame.groupby("coder"):
        correct = int(part["correct"].sum())
        out[coder] = {"answered": len(part), "correct": correct, "accuracy": correct / len(part)}
    return out
