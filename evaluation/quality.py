"""Cluster quality from rated pairs: s_s - s_d (Grimmer & King 2011, as adapted in the study).

Coders rate image pairs 0 (unrelated), 1 (loosely related) or 2 (closely
related) for denotative and connotative similarity. For one clustering and
one dimension, s_s is the mean rating of the rated pairs whose two images
share a cluster and s_d the mean over the pairs in different clusters; the
quality score s_s - s_d ranges from -2 to 2 and is 0 in expectation for a
random clustering. Pairs with a noise (-1) or unclustered image count in
neither mean. All functions are pure and return JSON-ready dicts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semclust.evaluation.inputs import (
    check_scale,
    fail_rows,
    read_ratings,
    source_name,
    study_labels,
    study_pairs,
    validate_labels,
    validate_pairs,
    validate_ratings,
)
from semclust.study import DEFAULT_SEED, Study, UserError
from semclust.vocabulary import DIMENSION_NAMES, NOISE, SCALE_POINTS

MIN_PAIRS = 25
THRESHOLD = 1.0
N_PERMUTATIONS = 1000
N_BOOTSTRAP = 1000


def pair_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """One rating per item and dimension from validated ratings.

    The rating is the consensus score when the item has one (the mean of the
    consensus rows, normally a single row), otherwise the mean of the
    independent coders' scores. Items with no score at all are dropped.

    Returns
    -------
    DataFrame
        Columns ``item_id, dimension, rating, source`` (source ``"consensus"``
        or ``"mean"``).
    """
    scored = ratings[ratings["score"].notna()]
    means = scored.groupby(["item_id", "dimension", "round"])["score"].mean().unstack("round")
    consensus = means["consensus"] if "consensus" in means else pd.Series(np.nan, means.index)
    independent = means["independent"] if "independent" in means else pd.Series(np.nan, means.index)
    out = pd.DataFrame({"rating": consensus.fillna(independent),
                        "source": np.where(consensus.notna(), "consensus", "mean")})
    return out.reset_index()


def pair_membership(pairs: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Whether each pair's images share a cluster.

    Returns
    -------
    DataFrame
        ``pair_id, same`` where ``same`` is True/False, or NaN (object) when an
        image is noise (-1) or has no label (unclustered, e.g. no description).
    """
    cluster = labels.set_index("image_id")["cluster"]
    a = pairs["image_a"].map(cluster)
    b = pairs["image_b"].map(cluster)
    clustered = a.notna() & b.notna() & (a != NOISE) & (b != NOISE)
    same = pd.Series(np.where(clustered, a == b, None), index=pairs.index, dtype=object)
    return pd.DataFrame({"pair_id": pairs["pair_id"].to_numpy(), "same": same.to_numpy()})


def _weights(weight, n: int) -> np.ndarray:
    """Pair weights as floats (all 1 when ``weight`` is None)."""
    return np.ones(n) if weight is None else np.asarray(weight, dtype=float)


def pair_f1(rating, same, threshold: float = THRESHOLD, weight=None) -> dict:
    """Pair-counting precision, recall and F1 of "same cluster" against "related".

    A pair is related when its rating >= ``threshold``. Precision = related
    same-cluster pairs / same-cluster pairs; recall = related same-cluster
    pairs / related pairs; F1 their harmonic mean (None when undefined).
    With ``weight`` (inverse inclusion probabilities) every count is a sum of
    weights.

    >>> pair_f1([2, 2, 0, 1, 0], [True, True, True, False, False])
    {'precision': 0.6666666666666666, 'recall': 0.6666666666666666, 'f1': 0.6666666666666666, 'threshold': 1.0}
    """
    rating, same = np.asarray(rating, float), np.asarray(same, bool)
    w = _weights(weight, rating.size)
    related = rating >= threshold
    hits, n_same, n_related = (float(w[related & same].sum()), float(w[same].sum()),
                               float(w[related].sum()))
    precision = hits / n_same if n_same else None
    recall = hits / n_related if n_related else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0 else None)
    return {"precision": precision, "recall": recall, "f1": f1, "threshold": float(threshold)}


def _group_means(rating, weight, index) -> np.ndarray:
    """Weighted means of ``rating`` over each row of the index matrix ``index``."""
    return (rating[index] * weight[index]).sum(axis=1) / weight[index].sum(axis=1)


def score_ci(rating, same, n_boot: int = N_BOOTSTRAP, rng=None, weight=None):
    """95% percentile bootstrap interval of s_s - s_d, stratified by group.

    Each replicate resamples the same-cluster pairs (n_same draws) and the
    different-cluster pairs (n_diff draws) separately with replacement, each
    pair keeping its weight, and recomputes the (weighted) means; the interval
    is the 2.5th and 97.5th percentiles of the replicate scores. None when a
    group has fewer than two pairs or ``n_boot`` is 0.
    """
    rating, same = np.asarray(rating, float), np.asarray(same, bool)
    w = _weights(weight, rating.size)
    groups = [np.flatnonzero(same), np.flatnonzero(~same)]
    if n_boot <= 0 or min(g.size for g in groups) < 2:
        return None
    rng = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)
    boot_same, boot_diff = (_group_means(rating, w, g[rng.integers(0, g.size, (n_boot, g.size))])
                            for g in groups)
    low, high = np.percentile(boot_same - boot_diff, [2.5, 97.5])
    return [float(low), float(high)]


def permutation_p(rating, same, n_permutations: int = N_PERMUTATIONS, rng=None, weight=None):
    """One-sided permutation p-value of s_s - s_d > 0.

    The same/different labels of the clustered pairs are shuffled
    ``n_permutations`` times (n_same and n_diff stay fixed; each pair keeps its
    rating and weight) and p = (1 + #{permuted score >= observed}) /
    (1 + n_permutations). None when a group is empty or ``n_permutations`` is 0.
    """
    rating, same = np.asarray(rating, float), np.asarray(same, bool)
    w = _weights(weight, rating.size)
    if n_permutations <= 0 or same.all() or not same.any():
        return None
    rng = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)

    def scores(mask):
        return (mask @ (w * rating)) / (mask @ w) - ((~mask) @ (w * rating)) / ((~mask) @ w)

    observed = scores(same[None, :])[0]
    shuffled = rng.permuted(np.tile(same, (n_permutations, 1)), axis=1)
    exceed = int(np.sum(scores(shuffled) >= observed - 1e-12))
    return (1 + exceed) / (1 + n_permutations)


def quality_of(rating, same, min_pairs=MIN_PAIRS, threshold=THRESHOLD,
               n_permutations=N_PERMUTATIONS, n_bootstrap=N_BOOTSTRAP, seed=None,
               weight=None) -> dict:
    """s_s, s_d, s_s - s_d and their uncertainty for clustered rated pairs.

    ``rating`` (float) and ``same`` (bool) are aligned arrays over the rated
    pairs whose two images are both clustered; ``weight`` (optional) their
    inverse inclusion probabilities, making s_s and s_d Hajek (weighted)
    means. ``valid`` requires at least ``min_pairs`` pairs in each group
    (counted unweighted: it is about the amount of evidence).
    """
    rating, same = np.asarray(rating, float), np.asarray(same, bool)
    w = _weights(weight, rating.size)
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    n_same, n_diff = int(same.sum()), int((~same).sum())
    s_same = float(np.average(rating[same], weights=w[same])) if n_same else None
    s_diff = float(np.average(rating[~same], weights=w[~same])) if n_diff else None
    result = {"s_same": s_same, "s_diff": s_diff,
              "score": s_same - s_diff if n_same and n_diff else None,
              "ci95": score_ci(rating, same, n_bootstrap, rng, weight),
              "n_same": n_same, "n_diff": n_diff,
              "valid": n_same >= min_pairs and n_diff >= min_pairs,
              "p_value": permutation_p(rating, same, n_permutations, rng, weight),
              "pair_f1": pair_f1(rating, same, threshold, weight)}
    if result["score"] is None:
        result["score_note"] = "undefined: no same-cluster or no different-cluster rated pair"
    return result


def rated_pairs(ratings: pd.DataFrame, pairs: pd.DataFrame, scale=SCALE_POINTS,
                dimensions=DIMENSION_NAMES) -> pd.DataFrame:
    """Validate ratings and pairs and join them: one row per rated pair and dimension.

    Ratings' ``item_id`` is the ``pair_id`` of the pairs table; a rating of
    an unknown pair is an error naming its rows. Returns ``pair_id, image_a,
    image_b, dimension, rating, source``.
    """
    ratings = validate_ratings(ratings, check_scale(scale), dimensions)
    if ratings["score"].isna().all():
        raise UserError(f"{source_name(ratings, 'ratings')}: no ratings to score with "
                        f"({'only a header' if ratings.empty else 'every score is empty'})")
    pairs = validate_pairs(pairs)
    fail_rows(ratings, ~ratings["item_id"].isin(pairs["pair_id"]), "ratings",
              f"item_id is not a pair_id of {pairs.attrs.get('source', 'the pairs')}")
    joined = pair_ratings(ratings).rename(columns={"item_id": "pair_id"})
    extra = [c for c in ("phase", "weight") if c in pairs.columns]
    joined = joined.merge(pairs[["pair_id", "image_a", "image_b", *extra]], on="pair_id",
                          how="left")
    joined.attrs["stratified"] = "stratum" in pairs.columns
    joined.attrs["dimensions"] = list(dict.fromkeys(
        [d for d in DIMENSION_NAMES if d in set(ratings["dimension"])]
        + sorted(set(ratings["dimension"]) - set(DIMENSION_NAMES))))
    return joined


def _weighting_note(kept: pd.DataFrame, stratified: bool) -> str | None:
    """Why the means are unweighted, or how pooled phases are weighted (None: nothing to say)."""
    if "weight" not in kept:
        return ("pairs have a stratum but no weight column: s_same and s_diff are unweighted "
                "means of the sampled pairs") if stratified else None
    if "phase" in kept and kept["phase"].nunique() > 1:
        return ("phases pooled: each pair weighted by its own phase's weight (1 / inclusion "
                "probability within the phase); see docs/evaluation.md")
    return None


def score_rated_pairs(rated: pd.DataFrame, labels: pd.DataFrame, min_pairs=MIN_PAIRS,
                      threshold=THRESHOLD, n_permutations=N_PERMUTATIONS,
                      n_bootstrap=N_BOOTSTRAP, seed=None) -> dict:
    """Quality per dimension of one clustering (``labels``) from :func:`rated_pairs` output."""
    labels = validate_labels(labels)
    membership = pair_membership(rated.drop_duplicates("pair_id"), labels).set_index("pair_id")
    result = {}
    for dimension in rated.attrs.get("dimensions", sorted(rated["dimension"].unique())):
        rows = rated[rated["dimension"] == dimension]
        same = rows["pair_id"].map(membership["same"])
        kept = rows[same.notna().to_numpy()]
        flags = same[same.notna()].astype(bool).to_numpy()
        weight = kept["weight"].to_numpy(float) if "weight" in kept else None
        scores = quality_of(kept["rating"].to_numpy(), flags, min_pairs, threshold,
                            n_permutations, n_bootstrap, seed, weight)
        scores["weighted"] = weight is not None
        scores["n_rated_pairs"] = int(len(rows))
        scores["n_excluded"] = int(len(rows) - len(kept))
        scores["rating_source"] = {"consensus": int((kept["source"] == "consensus").sum()),
                                   "mean": int((kept["source"] == "mean").sum())}
        note = _weighting_note(kept, rated.attrs.get("stratified", False))
        if note:
            scores["weighting_note"] = note
        result[dimension] = scores
    return result


def quality_scores(ratings: pd.DataFrame, pairs: pd.DataFrame, labels: pd.DataFrame,
                   min_pairs=MIN_PAIRS, threshold=THRESHOLD, n_permutations=N_PERMUTATIONS,
                   n_bootstrap=N_BOOTSTRAP, seed=None, scale=SCALE_POINTS,
                   dimensions=DIMENSION_NAMES) -> dict:
    """Cluster quality s_s - s_d of one clustering, per rating dimension.

    Parameters
    ----------
    ratings : DataFrame
        ``item_id, coder, dimension, score[, round, phase]``; item_id = pair_id.
    pairs : DataFrame
        ``pair_id, image_a, image_b[, phase, stratum]``.
    labels : DataFrame
        ``image_id, cluster`` (-1 = noise).
    min_pairs : int
        A result is ``valid`` with at least this many same-cluster and
        different-cluster rated pairs (default 25, as in the reference study).
    threshold : float
        Rating from which a pair counts as related in ``pair_f1`` (default 1:
        at least "loosely related" on average).
    n_permutations, n_bootstrap : int
        Replicates of the permutation test and of the bootstrap interval.
    seed : int or None
        Seed of both (None = ``semclust.study.DEFAULT_SEED``).

    Returns
    -------
    dict
        ``{dimension: {s_same, s_diff, score, ci95, n_same, n_diff, valid,
        p_value, pair_f1, n_rated_pairs, n_excluded, rating_source}}``;
        ``pair_f1`` is ``{precision, recall, f1, threshold}`` and
        ``rating_source`` counts the pairs rated by consensus and by the mean
        of the coders. Undefined values are None (``score_note`` says why).

    Examples
    --------
    Two clusters; pair p1 and p2 within a cluster, p3 and p4 across, p5 has
    a noise image and counts in neither mean.

    >>> ratings = pd.DataFrame({"item_id": ["p1", "p2", "p3", "p4", "p5"], "coder": "a",
    ...                         "dimension": "connotative", "score": [2, 1, 0, 1, 2]})
    >>> pairs = pd.DataFrame({"pair_id": ["p1", "p2", "p3", "p4", "p5"],
    ...                       "image_a": ["x1", "y1", "x1", "x2", "x1"],
    ...                       "image_b": ["x2", "y2", "y1", "y2", "n1"]})
    >>> labels = pd.DataFrame({"image_id": ["x1", "x2", "y1", "y2", "n1"],
    ...                        "cluster": [0, 0, 1, 1, -1]})
    >>> q = quality_scores(ratings, pairs, labels, min_pairs=2)["connotative"]
    >>> q["s_same"], q["s_diff"], q["score"], q["n_excluded"], q["valid"]
    (1.5, 0.5, 1.0, 1, True)
    """
    rated = rated_pairs(ratings, pairs, scale, dimensions)
    return score_rated_pairs(rated, labels, min_pairs, threshold, n_permutations, n_bootstrap,
                             seed)


def clustering_info(study: Study, clustering_id: str, labels: pd.DataFrame) -> dict:
    """Reduction, parameters, n_clusters and noise fraction of one clustering of a study.

    ``n_clusters`` and ``noise_fraction`` are computed from ``labels``;
    ``params`` is ``params.json`` as written by the grid ({} when absent);
    ``reduction`` is its ``reduction`` entry and ``embedding`` the embedding id
    (:meth:`Study.clustering_embedding`).
    """
    path = study.clustering_dir(clustering_id) / "params.json"
    params = study.read_clustering_json(clustering_id, "params.json") if path.is_file() else {}
    clusters = labels["cluster"].astype(int)
    return {"reduction": params.get("reduction"),
            "embedding": study.clustering_embedding(clustering_id),
            "params": params,
            "n_clusters": int(clusters[clusters != NOISE].nunique()),
            "noise_fraction": float((clusters == NOISE).mean()) if len(clusters) else None}


def quality_grid(study: Study, clustering="all", ratings: pd.DataFrame | None = None,
                 progress: bool = False, **options) -> dict:
    """Quality of every (or one) clustering of a study, ready for the grid table.

    Parameters
    ----------
    study : Study
    clustering : str
        A clustering id, or ``"all"`` for every clustering with a labels.csv.
    ratings : DataFrame or None
        Ratings to use (default: the study's ``exports/ratings.csv``).
    progress : bool
        Show a tqdm bar on stderr.
    **options
        Passed to :func:`score_rated_pairs` (min_pairs, threshold,
        n_permutations, n_bootstrap, seed).

    Returns
    -------
    dict
        ``{clustering_id: {reduction, embedding, params, n_clusters,
        noise_fraction, scores: {dimension: {...as quality_scores...}}}}``.
    """
    from tqdm import tqdm

    ids = study.list_clusterings() if clustering == "all" else [clustering]
    if not ids:
        raise UserError(f"study {study.root} has no clusterings yet: run `semclust cluster` first")
    if ratings is None:
        if not study.ratings_csv.is_file():
            raise UserError(f"study {study.root} has no exports/ratings.csv: run `semclust export`")
        ratings = read_ratings(study.ratings_csv)
    rated = rated_pairs(ratings, study_pairs(study), options.pop("scale", SCALE_POINTS),
                        options.pop("dimensions", DIMENSION_NAMES))
    result = {}
    for cid in tqdm(ids, desc="quality", unit="clustering", disable=not progress):
        labels = study_labels(study, cid)
        entry = clustering_info(study, cid, labels)
        entry["scores"] = score_rated_pairs(rated, labels, **options)
        result[cid] = entry
    return result
