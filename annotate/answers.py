"""Reading and appending answers: pair ratings, consensus scores, matches, phase openings.

Every write is one short transaction that appends rows; nothing is updated or
deleted. "The answer" to an item is always the latest row (highest id) for
that item, person, dimension and round: the rule is written once, as the views
of ``schema.sql`` (``current_ratings``, ``current_consensus``,
``current_submissions``, ``current_matches``, ``phase_state``,
``matching_state``), which every reader here selects from.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict

from semclust.annotate.db import transaction
from semclust.study import now_iso
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND


# --- phases and matching openings -----------------------------------------------
def open_phases(conn: sqlite3.Connection) -> set[str]:
    """Phases whose latest event is 'open' (view ``phase_state``)."""
    return {r["phase"] for r in conn.execute("SELECT phase FROM phase_state WHERE is_open = 1")}


def ever_opened_phases(conn: sqlite3.Connection) -> set[str]:
    """Phases an admin has opened at least once (open now or closed again)."""
    return {r["phase"] for r in conn.execute("SELECT DISTINCT phase FROM phase_events WHERE is_open = 1")}


def open_clusterings(conn: sqlite3.Connection) -> set[str]:
    """Clusterings whose matching sets are open for evaluators (view ``matching_state``)."""
    return {r["clustering"] for r in conn.execute("SELECT clustering FROM matching_state WHERE is_open = 1")}


def set_phase(conn: sqlite3.Connection, phase: str, is_open: bool, person_id: int) -> None:
    """Open or close a phase of pairs for coders."""
    with transaction(conn):
        conn.execute("INSERT INTO phase_events (phase, is_open, person_id, created_at) VALUES (?, ?, ?, ?)",
                     (phase, int(is_open), person_id, now_iso()))


def set_matching(conn: sqlite3.Connection, clustering: str, is_open: bool, person_id: int) -> None:
    """Open or close the matching sets of one clustering for evaluators."""
    with transaction(conn):
        conn.execute("INSERT INTO matching_events (clustering, is_open, person_id, created_at) "
                     "VALUES (?, ?, ?, ?)", (clustering, int(is_open), person_id, now_iso()))


# --- pair ratings ------------------------------------------------------------------
def record_pair(conn: sqlite3.Connection, person_id: int, pair_id: str, phase: str,
                scores: dict[str, int | None], comment: str = "", round_: str = INDEPENDENT_ROUND,
                seconds: float | None = None) -> list[int]:
    """Append one submission: a row per dimension in ``scores`` (None = cannot judge).

    ``seconds`` is the time the pair was on screen before this answer (``seconds_on_item``).
    Returns the new row ids; they exist on disk when this returns (committed).
    """
    created = now_iso()
    ids = []
    with transaction(conn):
        for dimension, score in scores.items():
            cur = conn.execute(
                "INSERT INTO ratings (pair_id, person_id, dimension, score, cannot_judge, comment, "
                "round, phase, created_at, seconds_on_item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pair_id, person_id, dimension, score, int(score is None), comment, round_, phase, created,
                 seconds))
            ids.append(cur.lastrowid)
    return ids


def latest_pair_answers(conn: sqlite3.Connection, person_id: int) -> dict[str, dict]:
    """A coder's current answers: pair_id -> {denotative, connotative, cannot_judge, comment}."""
    rows = conn.execute("SELECT pair_id, dimension, score, cannot_judge, comment FROM current_ratings "
                        "WHERE person_id = ?", (person_id,)).fetchall()
    answers: dict[str, dict] = {}
    for r in rows:
        a = answers.setdefault(r["pair_id"], {"cannot_judge": False, "comment": ""})
        a[r["dimension"]] = r["score"]
        a["cannot_judge"] = a["cannot_judge"] or bool(r["cannot_judge"])
        a["comment"] = r["comment"] or a["comment"]
    return answers


def pair_history(conn: sqlite3.Connection, person_id: int, pair_id: str) -> list[sqlite3.Row]:
    """Every submission of one person for one pair, oldest first (the audit trail)."""
    return conn.execute("SELECT * FROM ratings WHERE person_id = ? AND pair_id = ? ORDER BY id",
                        (person_id, pair_id)).fetchall()


def pair_comments(conn: sqlite3.Connection, pair_ids: list[str]) -> dict[str, list[dict]]:
    """Coders' comments on ``pair_ids``: pair_id -> [{coder, comment}], sorted by coder.

    The comment of each coder's latest independent-round submission for the
    pair, where it is not empty (a comment cleared in a later submission is
    gone). Every requested pair is a key; pairs without comments map to [].
    """
    wanted = list(dict.fromkeys(pair_ids))
    out: dict[str, list[dict]] = {pair_id: [] for pair_id in wanted}
    for start in range(0, len(wanted), 500):  # bounded number of SQL parameters
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT r.pair_id, p.name, r.comment FROM current_submissions r "
            "JOIN people p ON p.id = r.person_id WHERE r.comment != '' AND r.round = 'independent' "
            f"AND r.pair_id IN ({marks}) ORDER BY p.name", chunk).fetchall()
        for r in rows:
            out[r["pair_id"]].append({"coder": r["name"], "comment": r["comment"]})
    return out


def independent_scores(conn: sqlite3.Connection, pair_ids: list[str] | None = None) -> dict:
    """Latest independent-round scores: {(pair_id, dimension): {coder name: score or None}}."""
    rows = conn.execute("SELECT r.pair_id, r.dimension, r.score, p.name FROM current_ratings r "
                        "JOIN people p ON p.id = r.person_id").fetchall()
    wanted = None if pair_ids is None else set(pair_ids)
    out: dict = defaultdict(dict)
    for r in rows:
        if wanted is None or r["pair_id"] in wanted:
            out[(r["pair_id"], r["dimension"])][r["name"]] = r["score"]
    return dict(out)


def consensus_scores(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """Latest consensus score per (pair_id, dimension), whoever recorded it."""
    rows = conn.execute("SELECT pair_id, dimension, score FROM current_consensus").fetchall()
    return {(r["pair_id"], r["dimension"]): r["score"] for r in rows}


def disagreements(conn: sqlite3.Connection, pair_ids: list[str]) -> list[dict]:
    """Pair x dimension items of ``pair_ids`` on which two or more coders differ.

    Differ means distinct latest scores, "cannot judge" counting as its own
    value. Returns dicts (pair_id, dimension, scores {coder: score}, consensus),
    in the order of ``pair_ids`` then dimension.
    """
    scores = independent_scores(conn, pair_ids)
    agreed = consensus_scores(conn)
    out = []
    for pair_id in pair_ids:
        for dimension in DIMENSION_NAMES:
            by_coder = scores.get((pair_id, dimension), {})
            if len(by_coder) >= 2 and len(set(by_coder.values())) > 1:
                out.append({"pair_id": pair_id, "dimension": dimension, "scores": dict(sorted(by_coder.items())),
                            "consensus": agreed.get((pair_id, dimension))})
    return out


# --- matches -----------------------------------------------------------------------
def record_match(conn: sqlite3.Connection, person_id: int, clustering: str, set_id: str,
                 cluster: int, label: str, descriptions: str = "keywords") -> int:
    """Append one matching choice (``descriptions``: the kind shown); returns its (committed) row id."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO matches (clustering, set_id, person_id, chosen_cluster, shown_label, created_at, "
            "descriptions) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (clustering, set_id, person_id, int(cluster), label, now_iso(), descriptions))
    return cur.lastrowid


def latest_matches(conn: sqlite3.Connection, person_id: int) -> dict[tuple[str, str, str], int]:
    """An evaluator's current choices: (clustering, set_id, descriptions) -> chosen cluster."""
    rows = conn.execute("SELECT clustering, set_id, descriptions, chosen_cluster FROM current_matches "
                        "WHERE person_id = ?", (person_id,)).fetchall()
    return {(r["clustering"], r["set_id"], r["descriptions"]): r["chosen_cluster"] for r in rows}


# --- progress ----------------------------------------------------------------------
def pair_progress(conn: sqlite3.Connection) -> dict[tuple[int, str], int]:
    """(person_id, phase) -> number of distinct pairs the person rated in the independent round."""
    rows = conn.execute("SELECT person_id, phase, count(DISTINCT pair_id) AS n FROM ratings "
                        "WHERE round = 'independent' GROUP BY person_id, phase").fetchall()
    return {(r["person_id"], r["phase"]): r["n"] for r in rows}


def match_progress(conn: sqlite3.Connection) -> dict[tuple[int, str], int]:
    """(person_id, clustering) -> number of distinct sets the person matched (once per description kind)."""
    rows = conn.execute("SELECT person_id, clustering, count(DISTINCT set_id || char(31) || descriptions) AS n "
                        "FROM matches "
                        "GROUP BY person_id, clustering").fetchall()
    return {(r["person_id"], r["clustering"]): r["n"] for r in rows}
