"""Inter-coder agreement on pair ratings: Krippendorff's alpha, Cohen's and Fleiss' kappa.

Every function is pure (inputs are never modified) and returns JSON-ready
values: floats, ``None`` for an undefined statistic (with a note saying why),
never NaN. Alpha comes from the ``krippendorff`` package, Cohen's kappa from
scikit-learn; Fleiss' kappa is computed here (Fleiss 1971). All of them use
the whole rating scale as the category set, also categories nobody used.
"""
from __future__ import annotations

import math
import warnings
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from semclust.evaluation.inputs import check_scale, validate_ratings
from semclust.study import DEFAULT_SEED, UserError
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, SCALE_POINTS

LEVELS = ("nominal", "ordinal", "interval", "ratio")
KAPPA_WEIGHTS = ("linear", "quadratic")


def _finite(value) -> float | None:
    """``float(value)``, or None when it is NaN or infinite."""
    value = float(value)
    return value if math.isfinite(value) else None


def krippendorff_alpha(data, scale: Sequence[int] = SCALE_POINTS, level: str = "ordinal"):
    """Krippendorff's alpha of one reliability-data matrix.

    Parameters
    ----------
    data : array_like, shape (n_coders, n_items)
        Scores, NaN where a coder did not rate an item.
    scale : sequence of int
        The value domain (all admissible scores, in order); passed to
        ``krippendorff.alpha`` as ``value_domain`` so that unused categories
        still count (this matters for the ordinal metric).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, i.e. the difference function delta.

    Returns
    -------
    (float or None, str or None)
        alpha = 1 - D_o / D_e (Krippendorff 2011, "Computing Krippendorff's
        Alpha-Reliability"), computed from the coincidence matrix of all
        pairable values; ``(None, note)`` when undefined (no item rated by two
        coders, or no variation so that D_e = 0).

    Examples
    --------
    Krippendorff (2011), section C: 4 coders x 12 units with missing values.

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> [round(krippendorff_alpha(data, range(1, 6), level)[0], 3)
    ...  for level in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
    """
    import krippendorff

    if level not in LEVELS:
        raise UserError(f"level {level!r}: use one of {', '.join(LEVELS)}")
    data = np.asarray(data, dtype=float)
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2) if data.size else np.array([], bool)
    if not pairable.any():
        return None, "undefined: no item was rated by at least two coders"
    values = data[:, pairable]
    if np.unique(values[~np.isnan(values)]).size < 2:
        return None, "undefined: no variation (every pairable score is the same)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                   value_domain=list(scale))
    value = _finite(value)
    return (value, None) if value is not None else (None, "undefined: no variation")


def alpha_bootstrap_ci(data, scale=SCALE_POINTS, level="ordinal", n_boot=1000, seed=None):
    """95% percentile bootstrap interval of Krippendorff's alpha, resampling items.

    Each of ``n_boot`` replicates draws ``n_items`` columns (items) of ``data``
    with replacement, keeping every coder's scores of a drawn item together,
    and recomputes alpha with the same level and value domain. Replicates
    where alpha is undefined are dropped. The interval is the 2.5th and 97.5th
    percentiles (numpy's default linear interpolation) of the replicates.
    This is the plain nonparametric bootstrap over units, not Hayes &
    Krippendorff's (2007) bootstrap of pairable values.

    Returns
    -------
    ([low, high] or None, str or None)
    """
    data = np.asarray(data, dtype=float)
    if n_boot <= 0:
        return None, "no bootstrap requested (bootstrap=0)"
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    n_items = data.shape[1]
    replicates = []
    for _ in range(int(n_boot)):
        value, _note = krippendorff_alpha(data[:, rng.integers(0, n_items, n_items)], scale, level)
        if value is not None:
            replicates.append(value)
    if len(replicates) < 2:
        return None, "undefined: alpha was undefined in (nearly) every bootstrap sample"
    low, high = np.percentile(replicates, [2.5, 97.5])
    return [float(low), float(high)], None


def percent_agreement(data) -> float | None:
    """Share of agreeing coder pairs, averaged over items rated by at least two coders.

    For item i with m_i >= 2 scores, P_i = (agreeing pairs) / (m_i (m_i - 1) / 2);
    the result is the mean of P_i. With two coders this is the share of items
    both scored identically. None when no item has two scores.

    >>> percent_agreement([[0, 1, 2, 2], [0, 1, 1, float("nan")]])
    0.6666666666666666
    """
    data = np.asarray(data, dtype=float)
    shares = []
    for column in data.T:
        scores = column[~np.isnan(column)]
        if scores.size >= 2:
            pairs = list(combinations(scores, 2))
            shares.append(sum(a == b for a, b in pairs) / len(pairs))
    return float(np.mean(shares)) if shares else None


def cohen_kappa(a, b, scale=SCALE_POINTS, weights: str | None = None):
    """Cohen's kappa of two coders' scores on the same items.

    kappa = (p_o - p_e) / (1 - p_e) (Cohen 1960); with ``weights`` "linear"
    (w_ij = |i - j|) or "quadratic" (w_ij = (i - j)^2) the weighted kappa
    1 - sum(w * O) / sum(w * E) (Cohen 1968), i, j being positions on ``scale``.
    Computed by ``sklearn.metrics.cohen_kappa_score(a, b, labels=scale,
    weights=weights)`` so that unused categories still enter the weights.

    Returns
    -------
    (float or None, str or None)
        None with a note when there are no items or p_e = 1 (no variation).

    Examples
    --------
    Wikipedia, "Cohen's kappa", simple example: 50 proposals, both say yes to
    20, A yes/B no 5, A no/B yes 10, both no 15; p_o = .7, p_e = .5.

    >>> a = [1] * 25 + [0] * 25
    >>> b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    >>> round(cohen_kappa(a, b, scale=(0, 1))[0], 3)
    0.4
    """
    from sklearn.metrics import cohen_kappa_score

    if len(a) == 0:
        return None, "undefined: the two coders rated no item in common"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa: reported as None with a note below
        value = cohen_kappa_score(np.asarray(a), np.asarray(b), labels=list(scale),
                                  weights=weights)
    value = _finite(value)
    if value is None:
        return None, "undefined: no variation (expected agreement is 1)"
    return value, None


def fleiss_kappa(counts) -> float | None:
    """Fleiss' kappa (Fleiss 1971) of an items x categories count table.

    Every row must sum to the same number of ratings n >= 2. With N items,
    p_j = sum_i n_ij / (N n), P_i = (sum_j n_ij^2 - n) / (n (n - 1)),
    P = mean(P_i), P_e = sum_j p_j^2: kappa = (P - P_e) / (1 - P_e).
    None when P_e = 1 (everyone used one category).

    Examples
    --------
    Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters,
    5 categories.

    >>> table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
    ...          [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
    ...          [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    >>> round(fleiss_kappa(table), 3)
    0.21
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)
    if counts.size == 0 or not np.all(n == n[0]) or n[0] < 2:
        raise ValueError("fleiss_kappa needs the same number (>= 2) of ratings per item")
    n = n[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = (np.square(counts).sum(axis=1) - n) / (n * (n - 1))
    p_e = float(np.square(p_j).sum())
    if math.isclose(p_e, 1.0):
        return None
    return float((p_i.mean() - p_e) / (1 - p_e))


def reliability_matrix(ratings: pd.DataFrame) -> pd.DataFrame:
    """Pivot validated ratings of one dimension to a coders x items matrix (NaN = missing)."""
    scored = ratings[ratings["score"].notna()]
    return scored.pivot(index="coder", columns="item_id", values="score").sort_index()


def _kappa_table(matrix: pd.DataFrame, scale, weights):
    """Cohen's kappa of every coder pair over the items both rated; (values, note)."""
    values, notes = {}, []
    for first, second in combinations(sorted(matrix.index), 2):
        both = matrix.loc[[first, second]].dropna(axis=1)
        value, note = cohen_kappa(both.loc[first], both.loc[second], scale, weights)
        values[f"{first}|{second}"] = value
        if note:
            notes.append(f"{first}|{second}: {note}")
    if not values:
        notes.append("undefined: needs at least two coders")
    return values, "; ".join(notes) or None


def _fleiss(matrix: pd.DataFrame, scale):
    """Fleiss' kappa over the rated items, or (None, note) when the design is unbalanced."""
    per_item = matrix.notna().sum(axis=0)
    per_item = per_item[per_item > 0]
    if per_item.empty or per_item.max() < 2:
        return None, "undefined: needs at least two ratings per item"
    if per_item.nunique() > 1:
        return None, (f"undefined: items have unequal numbers of ratings "
                      f"({per_item.min()} to {per_item.max()})")
    counts = np.stack([(matrix == value).sum(axis=0).to_numpy() for value in scale], axis=1)
    value = fleiss_kappa(counts[matrix.notna().any(axis=0).to_numpy()])
    return (value, None) if value is not None else (None, "undefined: no variation")


def dimension_agreement(ratings: pd.DataFrame, scale=SCALE_POINTS, level="ordinal",
                        bootstrap=0, seed=None) -> dict:
    """All agreement statistics of the validated ratings of one dimension.

    Returns the dict described in :func:`agreement_by_dimension`.
    """
    matrix = reliability_matrix(ratings)
    data = matrix.to_numpy(dtype=float)
    result = {"n_items": int(matrix.shape[1]), "n_coders": int(matrix.shape[0])}
    alpha, alpha_note = krippendorff_alpha(data, scale, level)
    ci, ci_note = (None, alpha_note) if alpha is None else alpha_bootstrap_ci(
        data, scale, level, bootstrap, seed)
    result.update(krippendorff_alpha=alpha, alpha_ci95=ci,
                  percent_agreement=percent_agreement(data))
    kappas, kappa_note = _kappa_table(matrix, scale, None)
    defined = [v for v in kappas.values() if v is not None]
    result.update(cohen_kappa=kappas,
                  cohen_kappa_mean=float(np.mean(defined)) if defined else None)
    weighted, weighted_notes = {}, []
    for weights in KAPPA_WEIGHTS:
        weighted[weights], note = _kappa_table(matrix, scale, weights)
        if note:
            weighted_notes.append(f"{weights}: {note}")
    result["weighted_kappa"] = weighted
    result["fleiss_kappa"], result["fleiss_kappa_note"] = _fleiss(matrix, scale)
    notes = {"krippendorff_alpha_note": alpha_note, "alpha_ci95_note": ci_note,
             "percent_agreement_note": None if result["percent_agreement"] is not None
             else "undefined: no item was rated by at least two coders",
             "cohen_kappa_note": kappa_note,
             "weighted_kappa_note": "; ".join(weighted_notes) or None}
    result.update({key: note for key, note in notes.items() if note})
    return result


def _order_dimensions(names) -> list[str]:
    """Our dimensions first, in the order coders are asked; any others after, sorted."""
    known = [d for d in DIMENSION_NAMES if d in set(names)]
    return known + sorted(set(names) - set(known))


def choose_dimensions(found, dimensions=None) -> list[str]:
    """The dimensions to analyse: ``dimensions`` in the order given, or all of ``found``.

    >>> choose_dimensions(["relevance", "connotative"])
    ['connotative', 'relevance']
    >>> choose_dimensions(["relevance", "clarity"], ["clarity"])
    ['clarity']

    Raises UserError naming a chosen dimension the ratings do not have.
    """
    found = set(found)
    if dimensions is None:
        return _order_dimensions(found)
    chosen = list(dict.fromkeys(str(d).strip() for d in dimensions))
    absent = [d for d in chosen if d not in found]
    if absent:
        raise UserError(f"no ratings for dimension(s) {', '.join(absent)} "
                        f"(dimensions in the ratings: {', '.join(_order_dimensions(found)) or 'none'})")
    return chosen


def agreement_by_dimension(ratings: pd.DataFrame, scale=SCALE_POINTS, level="ordinal", round=None,
                           phase=None, bootstrap=0, seed=None, dimensions=None) -> dict:
    """Inter-coder agreement per dimension of a ratings table.

    Parameters
    ----------
    ratings : DataFrame
        ``item_id, coder, dimension, score[, round, phase]`` (see
        :func:`evaluation.inputs.validate_ratings`); empty scores are missing.
    scale : sequence of int
        The rating scale, default 0, 1, 2; the category set of every statistic.
    level : {"ordinal", "nominal", "interval", "ratio"}
        Level of measurement of Krippendorff's alpha (default ordinal).
    round : str or None
        ``"independent"`` (the default when None) or ``"consensus"``: which
        ratings to compare. Consensus rows are agreed scores, so agreement is
        normally measured on the independent round.
    phase : str or None
        Keep only this phase; None pools all phases.
    bootstrap : int
        Number of bootstrap replicates for ``alpha_ci95`` (0 = no interval).
    seed : int or None
        Seed of the bootstrap (None = ``semclust.study.DEFAULT_SEED``).
    dimensions : sequence of str or None
        The dimensions to analyse, in this order; rows of other dimensions are
        ignored. None (the default) analyses every dimension in the ratings,
        ours (denotative, connotative) first, so ratings collected elsewhere on
        other dimensions (e.g. ``relevance``) work unchanged.

    Returns
    -------
    dict
        ``{dimension: {...}}`` with, per dimension: ``n_items`` (items with a
        score), ``n_coders``, ``krippendorff_alpha``, ``alpha_ci95`` ([low,
        high]), ``percent_agreement``, ``cohen_kappa`` ({"a|b": value}, coder
        names sorted, over the items both rated), ``cohen_kappa_mean`` (mean
        over defined pairs), ``weighted_kappa`` ({"linear": {...},
        "quadratic": {...}}), ``fleiss_kappa`` and ``fleiss_kappa_note``.
        An undefined value is None and a ``<key>_note`` key says why.

    Raises
    ------
    UserError
        On invalid ratings (see :func:`evaluation.inputs.validate_ratings`),
        an unknown level, or when the round/phase filter leaves nothing.
    """
    scale = check_scale(scale)
    if level not in LEVELS:
        raise UserError(f"level {level!r}: use one of {', '.join(LEVELS)}")
    valid = validate_ratings(ratings, scale, dimensions=None)
    names = choose_dimensions(valid["dimension"].unique(), dimensions)
    chosen = valid[(valid["round"] == (round or INDEPENDENT_ROUND)) & valid["dimension"].isin(names)]
    if phase is not None:
        chosen = chosen[chosen["phase"] == str(phase)]
    if chosen.empty:
        phases = ", ".join(sorted(set(valid["phase"]) - {""})) or "none"
        raise UserError(f"no ratings with round={round or INDEPENDENT_ROUND}"
                        f"{'' if phase is None else f', phase={phase}'} (phases in file: {phases})")
    return {dimension: dimension_agreement(chosen[chosen["dimension"] == dimension], scale, level,
                                           bootstrap, seed)
            for dimension in names}


# --- attention checks -------------------------------------------------------------
def check_accuracy(checks: pd.DataFrame) -> dict[str, float]:
    """Each coder's share of attention checks answered as expected.

    Parameters
    ----------
    checks : DataFrame
        One row per check and coder with columns ``coder`` and ``correct``
        (1/0 or true/false), as in ``exports/checks.csv`` of the annotation app.

    Returns
    -------
    dict
        coder -> accuracy in [0, 1] (mean of ``correct``); coders without checks are absent.

    >>> check_accuracy(pd.DataFrame({"coder": ["a", "a", "b"], "correct": [1, 0, 1]}))
    {'a': 0.5, 'b': 1.0}
    """
    missing = [c for c in ("coder", "correct") if c not in checks.columns]
    if missing:
        raise UserError(f"checks file has no column {missing[0]} (expected coder, correct)")
    correct = checks["correct"].astype(str).str.strip().str.lower().map(
        {"1": 1.0, "true": 1.0, "0": 0.0, "false": 0.0})
    if correct.isna().any():
        raise UserError("checks file: correct must be 1/0 or true/false")
    return {str(k): float(v) for k, v in correct.groupby(checks["coder"].astype(str)).mean().items()}


def exclude_inattentive(ratings: pd.DataFrame, checks: pd.DataFrame,
                        min_accuracy: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """Drop the ratings of coders whose check accuracy is below ``min_accuracy``.

    Coders who answered no check are kept (there is no evidence against them);
    consensus rows (coder ``consensus``) are kept. Returns (kept ratings, a new
    frame; {excluded coder: accuracy}). ``ratings`` is not modified.

    >>> r = pd.DataFrame({"item_id": ["p1", "p1"], "coder": ["a", "b"], "score": [1, 2]})
    >>> kept, out = exclude_inattentive(r, pd.DataFrame({"coder": ["a", "b"], "correct": [0, 1]}), 0.8)
    >>> list(kept["coder"]), out
    (['b'], {'a': 0.0})
    """
    if not 0 <= min_accuracy <= 1:
        raise UserError(f"--min-check-accuracy must be between 0 and 1 (got {min_accuracy})")
    accuracy = check_accuracy(checks)
    excluded = {c: a for c, a in sorted(accuracy.items()) if a < min_accuracy}
    kept = ratings[~ratings["coder"].astype(str).isin(excluded)].copy()
    return kept, excluded


def exclude_by_checks_file(ratings: pd.DataFrame, path, min_accuracy: float) -> tuple[pd.DataFrame, dict]:
    """:func:`exclude_inattentive` with the checks read from ``path`` (``exports/checks.csv``).

    Returns (kept ratings, ``{"min_check_accuracy", "excluded", "text"}``); UserError
    when the file is missing.
    """
    from pathlib import Path

    if path is None or not Path(path).is_file():
        raise UserError(f"--min-check-accuracy needs the attention checks: {path or 'give --checks FILE'} "
                        "not found (run `semclust export`, which writes exports/checks.csv)")
    checks = pd.read_csv(path, dtype={"coder": str}, keep_default_na=False)
    kept, excluded = exclude_inattentive(ratings, checks, min_accuracy)
    return kept, {"min_check_accuracy": min_accuracy, "excluded": excluded,
                  "text": exclusion_note(excluded, min_accuracy)}


def exclusion_note(excluded: dict[str, float], min_accuracy: float) -> str:
    """One line naming the excluded coders, for the commands' output (and the report)."""
    if not excluded:
        return f"attention checks: no coder below {min_accuracy:.0%} check accuracy; none excluded"
    names = ", ".join(f"{c} ({a:.0%})" for c, a in excluded.items())
    return f"attention checks: excluded {len(excluded)} coder(s) below {min_accuracy:.0%} check accuracy: {names}"
