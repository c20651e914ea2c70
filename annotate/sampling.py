"""Sampling for human validation: random image pairs for coders, matching sets for evaluators.

Pairs are drawn independently of any clustering, so one set of ratings
evaluates every clustering of a grid: a pair is a *same-cluster* pair of a
clustering when both images share a non-noise cluster, a *different-cluster*
pair when both are clustered in different clusters, and it is lost to that
clustering when either image is noise. :func:`pairs_needed` sizes the sample
so that enough pairs of both kinds survive.

Every draw uses ``numpy.random.Generator(PCG64)`` seeded from the study seed
and a text key (the phase name, or the clustering id), on inputs sorted by
image id, so the same seed gives the same sample on any machine with the same
NumPy release. Reading and writing a study folder is :mod:`annotate.samples`;
the file formats are documented in ``docs/sampling.md``.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from semclust.study import SET_COLUMNS, UserError
from semclust.vocabulary import NOISE

#: Strata whose candidate pairs are listed in full (below) or drawn by rejection (above).
ENUMERATE_LIMIT = 2_000_000
_BATCH = 4096
_PAIR_ID = re.compile(r"^p(\d+)$")


# --- random numbers ----------------------------------------------------------
def make_rng(seed: int, key: str) -> np.random.Generator:
    """A PCG64 generator seeded from ``(seed, sha256(key))``.

    Distinct keys (``"pairs:1"``, ``"sets:umap5"``) give independent streams from
    one study seed; the mapping uses no hash randomisation, so it is the same on
    every machine and every run.
    """
    if int(seed) < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed}")
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), digest])))


# --- the population of images ------------------------------------------------
def eligible_images(images: pd.DataFrame, descriptions: pd.DataFrame) -> list[str]:
    """Image ids with status ``ok`` and a successful description, sorted.

    Parameters
    ----------
    images : DataFrame
        ``images.csv`` rows (columns ``image_id``, ``status``).
    descriptions : DataFrame
        One record per image (columns ``image_id``, ``text``, optional ``error``).
        A description succeeded when its text is non-blank and it has no error.

    Returns
    -------
    list of str
        Sorted, without duplicates.
    """
    ok = set(images.loc[images["status"] == "ok", "image_id"].astype(str))
    text = descriptions.get("text", pd.Series(index=descriptions.index, dtype=object))
    error = descriptions.get("error", pd.Series(index=descriptions.index, dtype=object))
    has_text = text.fillna("").astype(str).str.strip() != ""
    no_error = error.fillna("").astype(str).str.strip() == ""
    described = set(descriptions.loc[has_text & no_error, "image_id"].astype(str))
    return sorted(ok & described)


def count_pairs(n_images: int) -> int:
    """Number of unordered pairs of distinct images, ``n (n - 1) / 2``."""
    return n_images * (n_images - 1) // 2


# --- pairs -------------------------------------------------------------------
@dataclass
class PairSample:
    """One draw of pairs.

    Attributes
    ----------
    pairs : DataFrame
        ``image_a, image_b, stratum`` in presentation order.
    strata : dict
        Per stratum (``all``, or ``same`` and ``diff``): ``population`` (pairs
        that could be drawn) and ``sampled``. Inclusion probability of a pair of
        stratum h is ``sampled_h / population_h``; its weight is the inverse.
    n_images : int
        Size of the image pool the pairs were drawn from.
    """

    pairs: pd.DataFrame
    strata: dict = field(default_factory=dict)
    n_images: int = 0


def _same_mask(lab: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (lab[a] == lab[b]) & (lab[a] != NOISE)


def _cluster_members(lab: np.ndarray) -> list[np.ndarray]:
    """Pool indices of each non-noise cluster with at least two members, by cluster id."""
    members = [np.flatnonzero(lab == c) for c in np.unique(lab[lab != NOISE])]
    return [m for m in members if len(m) >= 2]


def _stratum_size(stratum: str, lab: np.ndarray) -> int:
    same = sum(count_pairs(len(m)) for m in _cluster_members(lab))
    total = count_pairs(len(lab))
    return {"all": total, "same": same, "diff": total - same}[stratum]


def _in_stratum(stratum: str, lab: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if stratum == "all":
        return np.ones(len(a), dtype=bool)
    same = _same_mask(lab, a, b)
    return same if stratum == "same" else ~same


def _draw_enumerated(rng, stratum, n, lab, taken) -> list[tuple[int, int]]:
    """Draw ``n`` pairs of a small stratum by listing every candidate pair."""
    m = len(lab)
    if stratum == "same":
        parts = [(mem[i], mem[j]) for mem in _cluster_members(lab)
                 for i, j in [np.triu_indices(len(mem), 1)]]
        a = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=np.int64)
        b = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, dtype=np.int64)
    else:
        a, b = np.triu_indices(m, 1)
        keep = _in_stratum(stratum, lab, a, b)
        a, b = a[keep], b[keep]
    codes = a.astype(np.int64) * m + b
    taken_codes = np.array(sorted(x * m + y for x, y in taken), dtype=np.int64)
    free = ~np.isin(codes, taken_codes)
    a, b = a[free], b[free]
    pick = rng.choice(len(a), size=n, replace=False)
    return list(zip(a[pick].tolist(), b[pick].tolist()))


def _candidate_batch(rng, stratum, lab, members, batch):
    """A batch of ordered index pairs, uniform over the stratum's ordered pairs (before checks)."""
    if stratum != "same":
        m = len(lab)
        return rng.integers(0, m, batch), rng.integers(0, m, batch)
    sizes = np.array([len(mem) for mem in members])
    weights = sizes * (sizes - 1) / np.sum(sizes * (sizes - 1))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(members)
    c = rng.choice(len(sizes), size=batch, p=weights)
    i = rng.integers(0, sizes[c])
    j = rng.integers(0, sizes[c] - 1)
    j = j + (j >= i)  # uniform over the n_c (n_c - 1) ordered pairs of distinct members
    return flat[offsets[c] + i], flat[offsets[c] + j]


def _draw_rejection(rng, stratum, n, lab, taken) -> list[tuple[int, int]]:
    """Draw ``n`` distinct pairs of a large stratum by rejection, in draw order."""
    members = _cluster_members(lab) if stratum == "same" else []
    seen = set(taken)  # membership only: never iterated, so its order does not matter
    chosen: list[tuple[int, int]] = []
    batch = min(_BATCH, max(64, 4 * n))
    while len(chosen) < n:
        a, b = _candidate_batch(rng, stratum, lab, members, batch)
        keep = (a != b) & _in_stratum(stratum, lab, a, b)
        for x, y in zip(a[keep].tolist(), b[keep].tolist()):
            key = (x, y) if x < y else (y, x)
            if key not in seen:
                seen.add(key)
                chosen.append(key)
                if len(chosen) == n:
                    break
    return chosen


def _stratum_plan(n: int, same_fraction: float | None) -> list[tuple[str, int]]:
    if same_fraction is None:
        return [("all", n)]
    if not 0 < same_fraction < 1:
        raise UserError(f"--same-fraction must be strictly between 0 and 1, got {same_fraction}")
    n_same = int(math.floor(same_fraction * n + 0.5))
    if n_same == 0 or n_same == n:
        raise UserError(f"--same-fraction {same_fraction} of {n} pairs leaves a stratum empty; "
                        "draw more pairs or choose a fraction nearer 0.5")
    return [("same", n_same), ("diff", n - n_same)]


def sample_pairs(image_ids: Iterable[str], n: int, rng: np.random.Generator,
                 exclude: Iterable[tuple[str, str]] = (), clusters: Mapping[str, int] | None = None,
                 same_fraction: float | None = None) -> PairSample:
    """Draw ``n`` distinct unordered pairs of distinct images, without replacement.

    Unstratified (``clusters`` None), every pair of the pool not in ``exclude``
    has the same chance. Stratified, ``round(same_fraction * n)`` pairs are drawn
    uniformly from the same-cluster pairs of ``clusters`` (both images in one
    non-noise cluster; images missing from ``clusters`` count as noise) and the
    rest uniformly from all other pairs. Left/right order is a fair coin per pair
    and the rows come in random order.

    Parameters
    ----------
    image_ids : iterable of str
        The pool; sorted internally, duplicates ignored.
    n : int
        Number of pairs, >= 1.
    rng : numpy.random.Generator
    exclude : iterable of (str, str)
        Pairs (either order) that must not be drawn, e.g. those of earlier phases.
    clusters : mapping image_id -> cluster, optional
        The stratifying clustering (-1 = noise).
    same_fraction : float in (0, 1), optional
        Required with ``clusters``.

    Returns
    -------
    PairSample
    """
    if (clusters is None) != (same_fraction is None):
        raise UserError("stratified sampling needs both --stratify and --same-fraction")
    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    ids = sorted(set(map(str, image_ids)))
    index = {x: i for i, x in enumerate(ids)}
    lab = np.array([int((clusters or {}).get(x, NOISE)) for x in ids], dtype=np.int64)
    taken = {(min(index[a], index[b]), max(index[a], index[b])) for a, b in exclude
             if a in index and b in index and a != b}
    keys: list[tuple[int, int]] = []
    strata_col: list[str] = []
    strata: dict = {}
    for stratum, n_h in _stratum_plan(n, same_fraction):
        used = np.array(sorted(taken), dtype=np.int64).reshape(-1, 2)
        n_used = int(np.sum(_in_stratum(stratum, lab, used[:, 0], used[:, 1])))
        population = _stratum_size(stratum, lab) - n_used
        if n_h > population:
            raise UserError(f"cannot draw {n_h} {_describe(stratum)} pairs: only {population} remain "
                            f"among {len(ids)} eligible images ({n_used} used by earlier phases)")
        size = count_pairs(len(ids)) if stratum != "same" else _stratum_size("same", lab)
        draw = _draw_enumerated if size <= ENUMERATE_LIMIT else _draw_rejection
        chosen = draw(rng, stratum, n_h, lab, taken)
        taken.update(chosen)
        keys += chosen
        strata_col += [stratum] * n_h
        strata[stratum] = {"population": int(population), "sampled": int(n_h)}
    order = rng.permutation(len(keys))
    flip = rng.random(len(keys)) < 0.5
    left = [keys[pos][1] if flip[pos] else keys[pos][0] for pos in order.tolist()]
    right = [keys[pos][0] if flip[pos] else keys[pos][1] for pos in order.tolist()]
    frame = pd.DataFrame({"image_a": [ids[i] for i in left], "image_b": [ids[i] for i in right],
                          "stratum": [strata_col[pos] for pos in order.tolist()]})
    return PairSample(frame, strata, len(ids))


def _describe(stratum: str) -> str:
    return {"all": "distinct", "same": "same-cluster", "diff": "not-same-cluster"}[stratum]


def pair_ids(start: int, n: int) -> list[str]:
    """Readable, stable pair ids ``p0001``, ``p0002``, ... starting at number ``start``."""
    return [f"p{k:04d}" for k in range(start, start + n)]


def next_pair_number(existing: Iterable[str]) -> int:
    """One more than the largest number among ids of the form ``p<digits>`` (1 if none)."""
    numbers = [int(m.group(1)) for m in (_PAIR_ID.match(str(x)) for x in existing) if m]
    return max(numbers, default=0) + 1


# --- matching sets -----------------------------------------------------------
def sample_sets(labels: pd.DataFrame, per_cluster: int, size: int,
                rng: np.random.Generator) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """Draw matching sets: ``size`` images per set, without replacement within each cluster.

    Parameters
    ----------
    labels : DataFrame
        ``image_id, cluster`` (-1 = noise, never sampled).
    per_cluster, size : int
        Sets wanted per cluster and images per set (both >= 1).
    rng : numpy.random.Generator

    Returns
    -------
    sets : DataFrame
        ``set_id, cluster, image_ids`` (ids joined by ``;``), clusters in ascending
        order; set ids ``s001``, ``s002``, ... across the whole file.
    short : list of (cluster, n_images, n_sets)
        Clusters with fewer than ``per_cluster`` sets, because
        ``n_images < per_cluster * size``.
    """
    if per_cluster < 1 or size < 1:
        raise UserError(f"--per-cluster and --size must be at least 1 (got {per_cluster}, {size})")
    clustered = labels[labels["cluster"] != NOISE]
    rows, short = [], []
    for cluster in sorted(int(c) for c in clustered["cluster"].unique()):
        members = sorted(clustered.loc[clustered["cluster"] == cluster, "image_id"].astype(str))
        k = min(per_cluster, len(members) // size)
        if k < per_cluster:
            short.append((cluster, len(members), k))
        perm = rng.permutation(len(members))[:k * size]
        for s in range(k):
            chosen = [members[i] for i in perm[s * size:(s + 1) * size]]
            rows.append((cluster, ";".join(chosen)))
    ids = [f"s{k:03d}" for k in range(1, len(rows) + 1)]
    frame = pd.DataFrame([(i, c, s) for i, (c, s) in zip(ids, rows)], columns=SET_COLUMNS)
    return frame, short


# --- planning ----------------------------------------------------------------
def pair_counts(cluster_sizes: Iterable[int], n_images: int) -> tuple[int, int, int]:
    """Same-cluster, different-cluster and all unordered pairs of a pool.

    Parameters
    ----------
    cluster_sizes : iterable of int
        Sizes n_c of the non-noise clusters within the pool.
    n_images : int
        N, every image pairs are drawn from (noise included).

    Returns
    -------
    (same, diff, total) : tuple of int
        ``same = sum_c n_c (n_c - 1) / 2``; ``diff = K (K - 1) / 2 - same`` with
        ``K = sum_c n_c``; ``total = N (N - 1) / 2``. A random pair is same-cluster
        with probability ``p_same = same / total`` and lost to the clustering
        (a noise image) with probability ``1 - (same + diff) / total``.

    Examples
    --------
    Clusters of 3 and 2 images and one noise image (N = 6):

    >>> pair_counts([3, 2], 6)
    (4, 6, 15)
    """
    sizes = [int(s) for s in cluster_sizes]
    if sum(sizes) > n_images:
        raise UserError(f"clusters hold {sum(sizes)} images but the pool has only {n_images}")
    same = sum(count_pairs(s) for s in sizes)
    return same, count_pairs(sum(sizes)) - same, count_pairs(n_images)


def prob_enough(n: int, p_same: float, p_diff: float, target_same: int, target_diff: int) -> float:
    """P(S >= target_same and D >= target_diff) for n random pairs.

    (S, D, lost) ~ Multinomial(n; p_same, p_diff, 1 - p_same - p_diff): pairs are
    treated as drawn with replacement, accurate when n is small beside the
    number of pairs. Computed exactly as
    ``1 - P(S<a) - P(D<b) + sum_{s<a} P(S=s) P(D<b | S=s)`` with
    ``D | S=s ~ Binomial(n - s, p_diff / (1 - p_same))``.

    >>> round(prob_enough(2, 0.5, 0.5, 1, 1), 3)
    0.5
    """
    from scipy import stats

    a, b = int(target_same), int(target_diff)
    if n < a + b:
        return 0.0
    lt_same = stats.binom.cdf(a - 1, n, p_same) if a > 0 else 0.0
    lt_diff = stats.binom.cdf(b - 1, n, p_diff) if b > 0 else 0.0
    joint = 0.0
    if a > 0 and b > 0:
        s = np.arange(a)
        q = min(1.0, p_diff / (1 - p_same)) if p_same < 1 else 0.0  # rounding can pass 1
        joint = float(np.sum(stats.binom.pmf(s, n, p_same) * stats.binom.cdf(b - 1, n - s, q)))
    return float(min(1.0, max(0.0, 1.0 - lt_same - lt_diff + joint)))


def pairs_needed(same: int, diff: int, total: int, target_same: int, target_diff: int,
                 confidence: float = 0.9) -> tuple[float, float]:
    """Random pairs needed for ``target_same`` same- and ``target_diff`` different-cluster pairs.

    Parameters
    ----------
    same, diff, total : int
        Pair counts from :func:`pair_counts`.
    target_same, target_diff : int
        Minimum counts (the reference study scored a clustering only with >= 25 of each).
    confidence : float
        Wanted probability of reaching both targets.

    Returns
    -------
    (n_expected, n_confident) : tuple
        The least n whose *expected* counts reach both targets,
        ``max(ceil(a total / same), ceil(b total / diff))`` in exact integer
        arithmetic, and the least n with :func:`prob_enough` >= ``confidence``.
        ``math.inf`` when a target can never be reached (no such pairs).

    >>> pairs_needed(4, 6, 15, 2, 2)[0]
    8
    """
    a, b = int(target_same), int(target_diff)
    if (a > 0 and same == 0) or (b > 0 and diff == 0):
        return math.inf, math.inf
    n_expected = max(-(-a * total // same) if a else 0, -(-b * total // diff) if b else 0)
    ps, pd_ = same / total if total else 0.0, diff / total if total else 0.0
    ok = lambda k: prob_enough(k, ps, pd_, a, b) >= confidence  # noqa: E731
    if a + b == 0:
        return 0, 0
    lo, hi = a + b - 1, max(n_expected, a + b)  # fewer than a + b pairs can never do
    while not ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # invariant: ok(hi) and not ok(lo)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return n_expected, hi
