"""What a search maximises, when a trial counts, and which rated pairs it may look at.

Objectives (``--objective``), each a pure function of one labelling:

* ``quality:connotative``, ``quality:denotative``: s_s - s_d of the rated pairs of
  the *search half* (:func:`quality_objective`), exactly as
  :func:`semclust.evaluation.quality.quality_of` computes it (consensus first,
  pair weights honoured, noise pairs in neither mean), without bootstrap or
  permutations inside the loop;
* ``silhouette``: mean silhouette of the clustered points of a fixed, seeded
  subsample, with distances in the *original* embedding space
  (:func:`silhouette_objective`), so trials with different reductions compare;
* ``dbcv``: density-based clustering validation (Moulavi et al. 2014) by
  ``hdbscan.validity.validity_index`` on the same subsample (:func:`dbcv_objective`);
* ``silhouette-noise``: silhouette - 0.3 x the clustering's noise fraction (the thesis's rule).

A trial is feasible (:func:`feasibility`) when its objective is defined, its noise
fraction is at most ``max_noise`` and, for the quality objectives, the search half
has at least ``min_pairs`` same-cluster and ``min_pairs`` different-cluster pairs.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from semclust.evaluation.quality import MIN_PAIRS, quality_of
from semclust.study import UserError
from semclust.vocabulary import NOISE

QUALITY_DIMENSIONS = ("connotative", "denotative")
OBJECTIVES = (*(f"quality:{d}" for d in QUALITY_DIMENSIONS), "silhouette", "dbcv", "silhouette-noise")
NOISE_PENALTY = 0.3
#: The value Optuna is told when an objective is undefined (the bottom of its range).
FLOORS = {"quality": -2.0, "silhouette": -1.0, "dbcv": -1.0, "silhouette-noise": -1.0 - NOISE_PENALTY}


@dataclass(frozen=True)
class Objective:
    """A parsed ``--objective``: ``kind`` (quality, silhouette, dbcv, silhouette-noise) and,
    for quality, the rating ``dimension``."""

    name: str
    kind: str
    dimension: str | None = None

    @property
    def floor(self) -> float:
        return FLOORS[self.kind]

    @property
    def needs_ratings(self) -> bool:
        return self.kind == "quality"


def parse_objective(text: str) -> Objective:
    """``quality:connotative`` etc.; UserError naming the known objectives otherwise."""
    if text not in OBJECTIVES:
        raise UserError(f"--objective {text!r}: expected one of {', '.join(OBJECTIVES)}")
    kind, _, dimension = text.partition(":")
    return Objective(text, kind, dimension or None)


# --- rated pairs ---------------------------------------------------------------------
@dataclass(frozen=True)
class PairRatings:
    """The rated pairs of one dimension, aligned with an embedding's rows.

    ``a``, ``b``: row of each image in the embedding (-1: not embedded, so never
    clustered); ``rating``: one rating per pair (consensus, else the coders' mean);
    ``weight``: inverse inclusion probabilities, or None (unweighted).
    """

    pair_id: np.ndarray
    a: np.ndarray
    b: np.ndarray
    rating: np.ndarray
    weight: np.ndarray | None


def pair_ratings(rated: pd.DataFrame, dimension: str, image_ids) -> PairRatings:
    """:class:`PairRatings` of ``dimension`` from :func:`evaluation.quality.rated_pairs` rows."""
    rows = rated[rated["dimension"] == dimension]
    row_of = pd.Series(np.arange(len(image_ids)), index=pd.Index(list(image_ids)))
    a = rows["image_a"].map(row_of).fillna(-1).to_numpy(int)
    b = rows["image_b"].map(row_of).fillna(-1).to_numpy(int)
    weight = rows["weight"].to_numpy(float) if "weight" in rows else None
    return PairRatings(rows["pair_id"].to_numpy(), a, b, rows["rating"].to_numpy(float), weight)


def pair_groups(labels: np.ndarray, pairs: PairRatings):
    """``(rating, same, weight)`` of the pairs whose two images are both clustered."""
    labels = np.asarray(labels)
    la = np.where(pairs.a >= 0, labels[pairs.a], NOISE)
    lb = np.where(pairs.b >= 0, labels[pairs.b], NOISE)
    kept = (la != NOISE) & (lb != NOISE)
    weight = None if pairs.weight is None else pairs.weight[kept]
    return pairs.rating[kept], (la == lb)[kept], weight


def quality_objective(labels: np.ndarray, pairs: PairRatings, n_bootstrap: int = 0,
                      n_permutations: int = 0, seed: int | None = None,
                      min_pairs: int = MIN_PAIRS) -> dict:
    """s_s - s_d of one labelling on ``pairs`` (:func:`evaluation.quality.quality_of`).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        One label per embedding row, -1 = noise.
    pairs : PairRatings
    n_bootstrap, n_permutations : int
        0 inside the search loop; the held-out score uses 1000 of each.

    Returns
    -------
    dict
        ``quality_of``'s keys: ``score`` (None when a group is empty), ``s_same``,
        ``s_diff``, ``n_same``, ``n_diff``, ``ci95``, ``p_value``, ``valid``, ...

    >>> pairs = PairRatings(np.array(["p1", "p2", "p3"]), np.array([0, 0, 2]),
    ...                     np.array([1, 2, 3]), np.array([2.0, 0.0, 1.0]), None)
    >>> quality_objective(np.array([0, 0, 1, -1]), pairs, min_pairs=1)["score"]
    2.0
    """
    rating, same, weight = pair_groups(labels, pairs)
    return quality_of(rating, same, min_pairs=min_pairs, n_permutations=n_permutations,
                      n_bootstrap=n_bootstrap, seed=seed, weight=weight)


# --- proxies in the original space ----------------------------------------------------
def stream_seed(seed: int, key: str) -> np.random.SeedSequence:
    """A seed sequence from ``(seed, crc32(key))``: independent streams, the same on every machine."""
    return np.random.SeedSequence([int(seed), zlib.crc32(key.encode("utf-8"))])


@dataclass(frozen=True)
class ProxySample:
    """A fixed subsample of the original embedding for silhouette and dbcv.

    ``index``: its rows (sorted); ``distances``: their pairwise distances in
    ``metric``; ``points``: the rows as float64 for DBCV (L2-normalised when
    ``metric`` is cosine, where Euclidean distance orders pairs as cosine does).
    """

    index: np.ndarray
    distances: np.ndarray
    points: np.ndarray
    metric: str


def proxy_sample(X: np.ndarray, size: int, seed: int, metric: str = "cosine") -> ProxySample:
    """Draw ``min(size, n)`` rows of ``X`` without replacement (seeded) and their distances."""
    from sklearn.metrics import pairwise_distances

    X = np.asarray(X)
    rng = np.random.default_rng(stream_seed(seed, "search:subsample"))
    index = np.sort(rng.choice(len(X), size=min(int(size), len(X)), replace=False))
    points = X[index].astype(np.float64)
    distances = pairwise_distances(points, metric=metric)
    if metric == "cosine":
        points = points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
    return ProxySample(index, distances, points, metric)


def noise_fraction(labels: np.ndarray) -> float:
    """Share of the labels that are noise (-1)."""
    labels = np.asarray(labels)
    return float(np.mean(labels == NOISE)) if labels.size else 0.0


def silhouette_objective(labels: np.ndarray, sample: ProxySample) -> float | None:
    """Mean silhouette (Rousseeuw 1987; sklearn) of the subsample's clustered points.

    Distances are the sample's original-space ones; noise points are left out.
    None when fewer than 2 clusters, or fewer than 3 clustered points, remain.

    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> s = proxy_sample(X, 4, seed=0, metric="euclidean")
    >>> round(silhouette_objective(np.array([0, 0, 1, 1]), s), 4)  # (2(1 - 1/10.5) + 2(1 - 1/9.5)) / 4
    0.8997
    """
    from sklearn.metrics import silhouette_score

    lab = np.asarray(labels)[sample.index]
    kept = np.flatnonzero(lab != NOISE)
    n_clusters = len(np.unique(lab[kept]))
    if n_clusters < 2 or n_clusters > len(kept) - 1:
        return None
    d = sample.distances[np.ix_(kept, kept)]
    return float(silhouette_score(d, lab[kept], metric="precomputed"))


def dbcv_objective(labels: np.ndarray, sample: ProxySample) -> float | None:
    """DBCV of the subsample (``hdbscan.validity.validity_index``, Euclidean, noise kept as -1).

    Noise counts in the denominator of the cluster-size weights, so it lowers
    the index. None when fewer than 2 clusters remain or the index is not finite.
    """
    from hdbscan.validity import validity_index

    lab = np.asarray(labels)[sample.index].astype(np.intp)
    clusters, counts = np.unique(lab[lab != NOISE], return_counts=True)
    if len(clusters) < 2 or counts.min() < 2:
        return None
    # the all-points core distance raises distances to the power -dim: overflow is expected
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        value = validity_index(sample.points, _consecutive(lab), metric="euclidean")
    return float(value) if np.isfinite(value) else None


def _consecutive(lab: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..K-1 (validity_index loops over range(max + 1)); noise stays -1."""
    out = np.full(len(lab), NOISE, dtype=np.intp)
    kept = lab != NOISE
    out[kept] = np.unique(lab[kept], return_inverse=True)[1]
    return out


def silhouette_noise_objective(labels: np.ndarray, sample: ProxySample) -> float | None:
    """Silhouette - 0.3 x noise fraction (of all images), the thesis's selection rule."""
    silhouette = silhouette_objective(labels, sample)
    return None if silhouette is None else silhouette - NOISE_PENALTY * noise_fraction(labels)


PROXIES = {"silhouette": silhouette_objective, "dbcv": dbcv_objective,
           "silhouette-noise": silhouette_noise_objective}


def feasibility(value, noise: float, n_same, n_diff, objective: Objective, max_noise: float,
                min_pairs: int = MIN_PAIRS) -> tuple[bool, str]:
    """Whether a trial may be selected, and why not (``""`` when it may).

    >>> feasibility(0.4, 0.6, 30, 40, parse_objective("quality:connotative"), 0.5)
    (False, 'noise 60.0% > 50.0%')
    """
    reasons = []
    if value is None:
        reasons.append("objective undefined")
    if noise > max_noise:
        reasons.append(f"noise {noise:.1%} > {max_noise:.1%}")
    if objective.needs_ratings and min(n_same or 0, n_diff or 0) < min_pairs:
        reasons.append(f"{n_same or 0} same / {n_diff or 0} different-cluster pairs "
                       f"(< {min_pairs} each)")
    return not reasons, "; ".join(reasons)


# --- the halves ------------------------------------------------------------------------
def default_holdout(rated: pd.DataFrame) -> str:
    """``phase:<last phase>`` when the rated pairs come from several phases, else ``fraction:0.5``."""
    phases = sorted(rated["phase"].dropna().astype(str).unique(), key=_phase_key) \
        if "phase" in rated else []
    return f"phase:{phases[-1]}" if len(phases) > 1 else "fraction:0.5"


def _phase_key(phase: str):
    return (0, int(phase), "") if phase.isdigit() else (1, 0, phase)


def split_holdout(rated: pd.DataFrame, spec: str, seed: int) -> tuple[set, set]:
    """``(search pair ids, held-out pair ids)`` of the rated pairs.

    ``phase:P`` holds out the pairs of phase P and searches on all others;
    ``fraction:F`` holds out ``round(F x pairs)`` pairs drawn without replacement
    by a generator seeded from ``(seed, "search:holdout")`` over the sorted pair ids.
    UserError when the spec is malformed or either half would be empty.
    """
    kind, _, value = str(spec).partition(":")
    ids = sorted(set(rated["pair_id"]))
    if kind == "phase" and value:
        if "phase" not in rated:
            raise UserError(f"--holdout {spec}: the pairs have no phase column")
        phase = rated.drop_duplicates("pair_id").set_index("pair_id")["phase"].astype(str)
        held = set(phase.index[phase == value])
    elif kind == "fraction":
        try:
            fraction = float(value)
        except ValueError:
            fraction = -1.0
        if not 0 < fraction < 1:
            raise UserError(f"--holdout {spec}: the fraction must be strictly between 0 and 1")
        rng = np.random.default_rng(stream_seed(seed, "search:holdout"))
        chosen = rng.permutation(len(ids))[:int(np.floor(fraction * len(ids) + 0.5))]
        held = {ids[i] for i in chosen}
    else:
        raise UserError(f"--holdout {spec!r}: expected phase:NAME or fraction:F (e.g. phase:2, "
                        "fraction:0.5)")
    search = set(ids) - held
    if not held or not search:
        which = "held-out" if not held else "search"
        raise UserError(f"--holdout {spec}: leaves the {which} half without rated pairs "
                        f"({len(ids)} rated pairs in all)")
    return search, held
