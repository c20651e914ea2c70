"""Reading and validating the evaluation inputs: ratings, matches, sets, pairs, labels.

Each input is a CSV with fixed columns (see ``docs/evaluation.md``), given as
a path or taken from a study folder through :class:`semclust.study.Study`.
The readers return DataFrames whose **index is the row number in the file**
(the header is row 1, so the first data row is row 2); every validation
error names the offending rows by that index, e.g.
``ratings.csv rows 4, 17: score 3 outside scale 0,1,2``. DataFrames built in
code keep their own index, and errors name those index labels instead.

Validation never modifies its input: the ``validate_*`` functions return a
cleaned copy (typed columns, defaults filled in) or raise
:class:`semclust.study.UserError`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from semclust.spreadsheet import restore_frame
from semclust.study import Study, UserError, read_csv
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, NOISE, ROUNDS, SCALE_POINTS

RATING_REQUIRED = ["item_id", "coder", "dimension", "score"]
MATCH_REQUIRED = ["set_id", "evaluator", "chosen_cluster"]
SET_REQUIRED = ["set_id", "cluster", "image_ids"]
PAIR_REQUIRED = ["pair_id", "image_a", "image_b"]
LABEL_REQUIRED = ["image_id", "cluster"]
MAX_ROWS_NAMED = 10


# --- helpers ---------------------------------------------------------------
def source_name(frame: pd.DataFrame, default: str) -> str:
    """The file name a frame was read from (``frame.attrs['source']``), else ``default``."""
    return str(frame.attrs.get("source", default))


def rows_text(index: Iterable) -> str:
    """``"rows 4, 17"`` for the given index labels (at most 10 named, then a count)."""
    labels = [str(i) for i in index]
    shown = ", ".join(labels[:MAX_ROWS_NAMED])
    more = f" and {len(labels) - MAX_ROWS_NAMED} more" if len(labels) > MAX_ROWS_NAMED else ""
    return f"row{'s' if len(labels) > 1 else ''} {shown}{more}"


def fail_rows(frame: pd.DataFrame, mask, default: str, message: str) -> None:
    """Raise UserError naming the rows of ``frame`` where ``mask`` is true, if any."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        raise UserError(f"{source_name(frame, default)} {rows_text(frame.index[mask])}: {message}")


def number_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Index ``frame`` by file row number (header = row 1) and remember its ``source``."""
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame.attrs["source"] = source
    return frame


def _text_column(frame: pd.DataFrame, column: str, default: str) -> pd.Series:
    """A column as stripped strings; missing cells raise UserError naming the rows."""
    values = frame[column]
    fail_rows(frame, values.isna() | (values.astype(str).str.strip() == ""), default,
              f"empty {column}")
    return values.astype(str).str.strip()


def _text_or(frame: pd.DataFrame, column: str, default: str) -> pd.Series:
    """An optional column as stripped strings, ``default`` where absent or empty."""
    if column not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=object)
    values = frame[column].astype("string").str.strip().fillna(default).replace("", default)
    return values.astype(object)


def _int_column(frame: pd.DataFrame, column: str, default: str, allow_missing=False) -> pd.Series:
    """A column as integers (Int64); non-integers raise UserError naming the rows."""
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = (raw.notna() & numbers.isna()) | (numbers.notna() & (numbers % 1 != 0))
    if not allow_missing:
        bad |= raw.isna()
    fail_rows(frame, bad, default, f"{column} is not an integer")
    return numbers.astype("Int64") if allow_missing else numbers.astype(int)


# --- readers ----------------------------------------------------------------
def _read(path, required: Sequence[str], dtype: dict) -> pd.DataFrame:
    path = Path(path)
    return number_rows(restore_frame(read_csv(path, required, dtype=dtype)), path.name)


def read_ratings(path) -> pd.DataFrame:
    """Read a ratings CSV (``item_id, coder, dimension, score[, round, phase]``)."""
    return _read(path, RATING_REQUIRED, {"item_id": str, "coder": str, "dimension": str,
                                         "round": str, "phase": str, "score": str})


def read_matches(path) -> pd.DataFrame:
    """Read a matches CSV (``set_id, evaluator, chosen_cluster``)."""
    return _read(path, MATCH_REQUIRED, {"set_id": str, "evaluator": str, "chosen_cluster": str})


def read_sets(path) -> pd.DataFrame:
    """Read a sets CSV (``set_id, cluster, image_ids`` with ';'-separated image ids)."""
    return _read(path, SET_REQUIRED, {"set_id": str, "cluster": str, "image_ids": str})


def read_pairs(path) -> pd.DataFrame:
    """Read a pairs CSV (``pair_id, image_a, image_b[, phase, stratum]``)."""
    return _read(path, PAIR_REQUIRED, {"pair_id": str, "image_a": str, "image_b": str,
                                       "phase": str})


def read_labels(path) -> pd.DataFrame:
    """Read a labels CSV (``image_id, cluster``; -1 is noise)."""
    return _read(path, LABEL_REQUIRED, {"image_id": str, "cluster": str})


def study_pairs(study: Study) -> pd.DataFrame:
    """``samples/pairs.csv`` of a study, rows numbered as in the file."""
    return number_rows(study.read_pairs(), "pairs.csv")


def study_labels(study: Study, clustering_id: str) -> pd.DataFrame:
    """``clusterings/<id>/labels.csv`` of a study, rows numbered as in the file."""
    return number_rows(study.read_labels(clustering_id), f"clusterings/{clustering_id}/labels.csv")


def study_sets(study: Study, clustering_id: str) -> pd.DataFrame:
    """``samples/sets/<id>.csv`` of a study, rows numbered as in the file."""
    return number_rows(study.read_sets(clustering_id), f"samples/sets/{clustering_id}.csv")


# --- validation -------------------------------------------------------------
def parse_scale(text: str) -> tuple[int, ...]:
    """Parse ``"0,1,2"`` or ``"1..5"`` into a sorted tuple of distinct integers (>= 2 values)."""
    try:
        if ".." in text:
            low, high = (int(part) for part in text.split("..", 1))
            values = list(range(low, high + 1))
        else:
            values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--scale {text!r}: give integers such as 0,1,2 or 1..5") from None
    return check_scale(values)


def check_scale(scale: Iterable) -> tuple[int, ...]:
    """Return ``scale`` as a sorted tuple of distinct integers; UserError unless >= 2 values."""
    try:
        values = sorted({int(v) for v in scale})
    except (TypeError, ValueError):
        raise UserError(f"scale {scale!r}: must be integers") from None
    if len(values) < 2:
        raise UserError(f"scale {scale!r}: needs at least two values")
    return tuple(values)


def validate_ratings(ratings: pd.DataFrame, scale=SCALE_POINTS, dimensions=DIMENSION_NAMES) -> pd.DataFrame:
    """Check ratings and return a typed copy.

    Parameters
    ----------
    ratings : DataFrame
        Columns ``item_id, coder, dimension, score`` and optionally ``round``
        (``independent`` when absent or empty, or ``consensus``) and ``phase``.
        An empty score is a missing rating (kept as NaN).
    scale : sequence of int
        The admissible scores.
    dimensions : sequence of str or None
        The admissible dimensions; ``None`` accepts any non-empty name.

    Returns
    -------
    DataFrame
        Same rows and index; ``score`` float (NaN = missing), ``round`` and
        ``phase`` filled in (phase ``""`` when absent).

    Raises
    ------
    UserError
        Naming the rows with an unknown dimension or round, a score outside the
        scale, or a duplicate rating of one item by one coder in one round.
    """
    what = "ratings"
    missing = [c for c in RATING_REQUIRED if c not in ratings.columns]
    if missing:
        raise UserError(f"{source_name(ratings, what)}: lacks column(s) {', '.join(missing)}")
    scale = check_scale(scale)
    out = ratings.copy()
    for column in ("item_id", "coder", "dimension"):
        out[column] = _text_column(ratings, column, what)
    if dimensions is not None:
        fail_rows(ratings, ~out["dimension"].isin(dimensions), what,
                  f"unknown dimension (known: {', '.join(dimensions)})")
    out["round"] = _text_or(ratings, "round", INDEPENDENT_ROUND)
    fail_rows(ratings, ~out["round"].isin(ROUNDS), what, f"round must be one of {', '.join(ROUNDS)}")
    out["phase"] = _text_or(ratings, "phase", "")
    raw = ratings["score"].astype("string").str.strip().replace("", pd.NA)
    score = pd.to_numeric(raw, errors="coerce")
    fail_rows(ratings, raw.notna() & score.isna(), what, "score is not a number")
    bad = score.notna() & ~score.isin(scale)
    if bad.any():
        shown = ", ".join(sorted({f"{v:g}" for v in score[bad]}))
        fail_rows(ratings, bad, what, f"score {shown} outside scale {','.join(map(str, scale))}")
    out["score"] = score.astype(float)
    key = ["item_id", "coder", "dimension", "round"]
    fail_rows(ratings, out.duplicated(key, keep=False), what,
              "the same coder rated the same item and dimension twice in one round")
    return out


def validate_sets(sets: pd.DataFrame) -> pd.DataFrame:
    """Check a sets table (unique set ids, integer clusters); return a typed copy."""
    what = "sets"
    out = sets.copy()
    out["set_id"] = _text_column(sets, "set_id", what)
    out["cluster"] = _int_column(sets, "cluster", what)
    fail_rows(sets, out["set_id"].duplicated(keep=False), what, "duplicate set_id")
    return out


def validate_matches(matches: pd.DataFrame, sets: pd.DataFrame) -> pd.DataFrame:
    """Check matches against their (validated) sets; return a typed copy.

    Raises UserError naming the rows whose ``set_id`` is not in the sets file,
    whose ``chosen_cluster`` the sets file never had, or that repeat one
    evaluator's choice for one set.
    """
    what = "matches"
    out = matches.copy()
    out["set_id"] = _text_column(matches, "set_id", what)
    out["evaluator"] = _text_column(matches, "evaluator", what)
    out["chosen_cluster"] = _int_column(matches, "chosen_cluster", what)
    fail_rows(matches, ~out["set_id"].isin(sets["set_id"]), what,
              f"set_id not in {source_name(sets, 'sets')}")
    known = set(sets["cluster"].astype(int))
    fail_rows(matches, ~out["chosen_cluster"].isin(known), what,
              f"chosen_cluster not a cluster of {source_name(sets, 'sets')}")
    fail_rows(matches, out.duplicated(["set_id", "evaluator"], keep=False), what,
              "the same evaluator matched the same set twice")
    return out


def validate_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Check a pairs table (unique pair ids, both images given, weights > 0); return a typed copy.

    ``weight``, when present, is the pair's inverse inclusion probability
    (written by ``semclust sample`` for stratified samples).
    """
    what = "pairs"
    out = pairs.copy()
    for column in PAIR_REQUIRED:
        out[column] = _text_column(pairs, column, what)
    fail_rows(pairs, out["pair_id"].duplicated(keep=False), what, "duplicate pair_id")
    if "weight" in pairs.columns:
        weight = pd.to_numeric(pairs["weight"], errors="coerce")
        fail_rows(pairs, ~(weight > 0), what, "weight must be a positive number")
        out["weight"] = weight.astype(float)
    return out


def validate_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Check a labels table (unique image ids, integer clusters, -1 = noise); return a copy."""
    what = "labels"
    out = labels.copy()
    out["image_id"] = _text_column(labels, "image_id", what)
    out["cluster"] = _int_column(labels, "cluster", what)
    fail_rows(labels, out["image_id"].duplicated(keep=False), what, "duplicate image_id")
    fail_rows(labels, out["cluster"] < NOISE, what, f"cluster below {NOISE} (noise)")
    return out


# --- sources: explicit files or a study ----------------------------------------
def load_ratings(path=None, study: Study | None = None) -> pd.DataFrame:
    """Ratings from ``path``, else the study's ``exports/ratings.csv``."""
    if path:
        return read_ratings(path)
    if study is None:
        raise UserError("give --ratings FILE or --study FOLDER")
    if not study.ratings_csv.is_file():
        raise UserError(f"study {study.root} has no exports/ratings.csv: run `semclust export` "
                        "or give --ratings FILE")
    return read_ratings(study.ratings_csv)


def load_matches_and_sets(matches=None, sets=None, study: Study | None = None,
                          clustering_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches and sets from explicit files, or from a study and one clustering id."""
    if study is None:
        if not (matches and sets):
            raise UserError("give --matches FILE and --sets FILE, or --study FOLDER --clustering ID")
        return read_matches(matches), read_sets(sets)
    if sets is None:
        if not clustering_id:
            known = ", ".join(study.list_sets()) or "none"
            raise UserError(f"give --clustering ID (clusterings with sets: {known})")
        if not study.sets_csv(clustering_id).is_file():
            raise UserError(f"study has no samples/sets/{clustering_id}.csv: run `semclust sample`")
        set_frame = study_sets(study, clustering_id)
    else:
        set_frame = read_sets(sets)
    if matches is None and not study.matches_csv.is_file():
        raise UserError(f"study {study.root} has no exports/matches.csv: run `semclust export`")
    return read_matches(matches or study.matches_csv), set_frame
