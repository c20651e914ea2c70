"""Export of the annotation database to the study's plain CSV files.

``exports/ratings.csv`` (:data:`semclust.study.RATING_COLUMNS`)
    item_id (= pair_id), coder, dimension (denotative | connotative),
    score (0 | 1 | 2, empty = cannot judge), round (independent | consensus),
    phase, created_at, then ``seconds_on_item`` (seconds the pair was on the
    coder's screen before this answer; empty for consensus rows and answers
    recorded before it was measured). One row per item, coder, dimension and
    round: the latest submission counts. Consensus rows have coder ``consensus``.
``exports/matches.csv`` (:data:`semclust.study.MATCH_COLUMNS` + clustering, descriptions)
    set_id, evaluator, chosen_cluster, created_at, clustering, descriptions.
    One row per set, evaluator and description kind (latest choice).
    ``clustering`` is appended because set ids are only unique within one
    clustering's sets file; ``descriptions`` is the kind shown (keywords |
    names, see ``semclust sample sets --descriptions``).
``exports/comments.csv`` (:data:`COMMENT_COLUMNS`)
    item_id (= pair_id), coder, comment, round, phase, created_at. The comment
    of each person's latest submission per pair and round, only where it is
    not empty (the columns of Label Studio's ``labelstudio-ratings-comments.csv``
    plus round and phase).
``exports/checks.csv`` (:data:`annotate.checks.CHECK_COLUMNS`)
    The attention checks: one row per check and coder (latest answer), the
    expected and given scores and ``correct`` (1/0). Checks never appear in
    ratings.csv. ``semclust agreement/quality --min-check-accuracy`` read it.

Text cells a spreadsheet would run as formulas (a comment starting with ``=``)
are written with a leading apostrophe (:mod:`semclust.spreadsheet`).

Rows are sorted (phase, item, dimension, round, coder), (clustering, set,
evaluator) and (phase, item, round, coder), so two exports of the same
database are byte-identical.

Export never destroys answers it cannot reproduce: before writing anything it
reads the files already there, and if one holds a row that the database has
never recorded (ratings pulled from Label Studio, typed in by hand, another
study's export) it raises :class:`UserError` and writes nothing, unless
``force=True``. Rows of simulated people (``sim-...``, written by
``semclust simulate``) do not count: simulate makes them again from its seed.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from semclust.annotate import checks, db
from semclust.annotate.people import CONSENSUS_NAME
from semclust.spreadsheet import restore_frame, write_export_csv
from semclust.study import (
    MATCH_COLUMNS,
    RATING_COLUMNS,
    Study,
    UserError,
)

MATCH_EXPORT_COLUMNS = [*MATCH_COLUMNS, "clustering", "descriptions"]
RATING_EXPORT_COLUMNS = [*RATING_COLUMNS, "seconds_on_item"]
COMMENT_COLUMNS = ["item_id", "coder", "comment", "round", "phase", "created_at"]

# The columns that identify a row of each export when comparing an existing file with the
# database's history (see :func:`unknown_rows`); the first ones are required, ``clustering``
# of matches only compared when the file has it (Label Studio's matches files do not).
RATING_KEY = ["item_id", "coder", "dimension", "round", "score"]
MATCH_KEY = ["set_id", "evaluator", "chosen_cluster"]
COMMENT_KEY = ["item_id", "coder", "round", "comment"]


def export_paths(study: Study, folder: Path | None = None) -> dict[str, Path]:
    """Where :func:`export_study` writes: the study's ``exports/`` files, or the same names in ``folder``."""
    paths = {"ratings": study.ratings_csv, "matches": study.matches_csv, "comments": study.comments_csv,
             "checks": study.checks_csv}
    return {name: Path(folder) / path.name for name, path in paths.items()} if folder else paths


@dataclass(frozen=True)
class Export:
    """What :func:`export_study` wrote.

    Iterating gives ``(ratings, matches, n_ratings, n_matches)``, so code that
    unpacks the former 4-tuple keeps working.
    """

    ratings: Path
    matches: Path
    comments: Path
    n_ratings: int
    n_matches: int
    n_comments: int
    checks: Path | None = None
    n_checks: int = 0

    def __iter__(self) -> Iterator:
        return iter((self.ratings, self.matches, self.n_ratings, self.n_matches))


def ratings_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Latest rating per (item, coder, dimension, round) with :data:`RATING_EXPORT_COLUMNS`.

    ``score`` is a nullable integer (``pd.Int64Dtype``); <NA> means cannot judge.
    """
    rows = conn.execute(
        "SELECT r.pair_id AS item_id, CASE r.round WHEN 'consensus' THEN ? ELSE p.name END AS coder, "
        "r.dimension, r.score, r.round, r.phase, r.created_at, r.seconds_on_item "
        "FROM (SELECT * FROM current_ratings UNION ALL SELECT * FROM current_consensus) r "
        "JOIN people p ON p.id = r.person_id", (CONSENSUS_NAME,)).fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=RATING_EXPORT_COLUMNS)
    frame["score"] = frame["score"].astype("Int64")
    return frame.sort_values(["phase", "item_id", "dimension", "round", "coder"]).reset_index(drop=True)


def matches_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Latest choice per (clustering, set, evaluator, descriptions) with :data:`MATCH_EXPORT_COLUMNS`."""
    rows = conn.execute(
        "SELECT m.set_id, p.name AS evaluator, m.chosen_cluster, m.created_at, m.clustering, "
        "m.descriptions FROM current_matches m JOIN people p ON p.id = m.person_id").fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=MATCH_EXPORT_COLUMNS)
    frame["chosen_cluster"] = frame["chosen_cluster"].astype("Int64")
    return frame.sort_values(["clustering", "descriptions", "set_id", "evaluator"]).reset_index(drop=True)


def comments_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """The non-empty comment of each person's latest submission per (pair, round), :data:`COMMENT_COLUMNS`.

    ``coder`` is the person who wrote it (also in the consensus round). A comment
    cleared in a later submission is gone: only the latest submission counts.
    """
    rows = conn.execute(
        "SELECT r.pair_id AS item_id, p.name AS coder, r.comment, r.round, r.phase, r.created_at "
        "FROM current_submissions r JOIN people p ON p.id = r.person_id WHERE r.comment != ''").fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=COMMENT_COLUMNS)
    return frame.sort_values(["phase", "item_id", "round", "coder"]).reset_index(drop=True)


# --- what the database has ever recorded (for the overwrite guard) --------------------
def _cell(value) -> str:
    """A value as an export cell compares: '' for missing, integers without '.0'."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _history(conn: sqlite3.Connection) -> dict[str, set[tuple]]:
    """Every rating, match and comment the database ever recorded, as export key tuples."""
    ratings = {tuple(map(_cell, r)) for r in conn.execute(
        "SELECT r.pair_id, CASE r.round WHEN 'consensus' THEN ? ELSE p.name END, r.dimension, r.round, "
        "r.score FROM ratings r JOIN people p ON p.id = r.person_id", (CONSENSUS_NAME,))}
    matches = {tuple(map(_cell, r)) for r in conn.execute(
        "SELECT m.set_id, p.name, m.chosen_cluster, m.clustering "
        "FROM matches m JOIN people p ON p.id = m.person_id")}
    comments = {tuple(map(_cell, r)) for r in conn.execute(
        "SELECT r.pair_id, p.name, r.round, r.comment FROM ratings r JOIN people p ON p.id = r.person_id "
        "WHERE r.comment != ''")}
    return {"ratings": ratings, "matches": matches, "matches_any_clustering": {m[:3] for m in matches},
            "comments": comments}


def unknown_rows(path: Path, key: list[str], person: str, known: set[tuple],
                 known_without_clustering: set[tuple] | None = None) -> str:
    """Why the export at ``path`` holds rows the database never recorded, or "" if it holds none.

    A row is known when its ``key`` columns equal those of some row the database
    ever held (any submission, not only the latest: an edit in the app does not
    make the earlier export foreign). Rows whose ``person`` starts with ``sim-``
    (``semclust simulate``) do not count. A file that cannot be read as CSV, or
    has rows but lacks a key column, counts as foreign. With
    ``known_without_clustering`` (matches), ``clustering`` is compared too when
    the file has that column. "" when there is no file.
    """
    from semclust.vocabulary import SIMULATED_PREFIX

    if not path.is_file() or path.stat().st_size == 0:
        return ""
    try:
        frame = restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        return f"it cannot be read as CSV ({str(exc).splitlines()[0]})"
    missing = [c for c in key if c not in frame.columns]
    if missing:
        return f"it has {len(frame)} row(s) but no column {missing[0]}" if len(frame) else ""
    frame = frame[~frame[person].str.startswith(SIMULATED_PREFIX)]
    columns, reference = key, known
    if known_without_clustering is not None:
        if "clustering" in frame.columns:
            columns = [*key, "clustering"]
        else:
            reference = known_without_clustering
    rows = [tuple(_cell(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)]
    foreign = [r for r in rows if r not in reference]
    if not foreign:
        return ""
    example = ", ".join(f"{c} {v!r}" for c, v in zip(columns, foreign[0]))
    return f"it holds {len(foreign)} row(s) the annotation database never recorded (e.g. {example})"


def check_overwrite(study: Study, conn: sqlite3.Connection, folder: Path | None = None) -> None:
    """Raise UserError naming the file and ``--force`` if an export holds rows the database never had."""
    history = _history(conn)
    paths = export_paths(study, folder)
    checks = [(paths["ratings"], RATING_KEY, "coder", history["ratings"], None),
              (paths["matches"], MATCH_KEY, "evaluator", history["matches"],
               history["matches_any_clustering"]),
              (paths["comments"], COMMENT_KEY, "coder", history["comments"], None)]
    for path, key, person, known, known_any in checks:
        why = unknown_rows(path, key, person, known, known_any)
        if why:
            raise UserError(f"{path}: {why}, e.g. from Label Studio; refusing to overwrite it, nothing was "
                            "written: move it away, or pass --force to overwrite it")


def export_study(study: Study, force: bool = False, to: str | Path | None = None) -> Export:
    """Write ``exports/ratings.csv``, ``matches.csv``, ``comments.csv`` and ``checks.csv`` atomically.

    ``to`` writes the four files into another folder instead (e.g. for a study
    on a read-only disk: the database is then read without writing to it).
    An empty database gives files with a header only. Unless ``force``, raises
    :class:`UserError` before writing anything if one of the files already
    there holds rows the database never recorded (see :func:`unknown_rows`).
    """
    folder = Path(to) if to is not None else None
    paths = export_paths(study, folder)
    with db.opened_for_reading(study.annotations_db) as conn:
        # One read transaction: the check and the frames see the same database state.
        conn.execute("BEGIN")
        if not force:
            check_overwrite(study, conn, folder)
        ratings, matches, comments = ratings_frame(conn), matches_frame(conn), comments_frame(conn)
        check_rows = checks.checks_frame(conn)
        conn.execute("COMMIT")
    try:
        for name, frame in (("ratings", ratings), ("matches", matches), ("comments", comments),
                            ("checks", check_rows)):
            write_export_csv(paths[name], frame)
    except OSError as exc:
        where = paths["ratings"].parent
        hint = "" if folder else "; export elsewhere with --to FOLDER"
        raise UserError(f"cannot write the exports in {where}: {exc.strerror or exc}{hint}") from None
    return Export(paths["ratings"], paths["matches"], paths["comments"],
                  len(ratings), len(matches), len(comments), paths["checks"], len(check_rows))
