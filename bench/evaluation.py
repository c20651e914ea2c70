"""Benchmark: the evaluation statistics at the reference study's size; prints seconds per step.

Usage: python bench/evaluation.py [--images 11873] [--clusterings 60] [--bootstrap 1000]

Builds a synthetic study in a temporary folder: ``--images`` images in 32
latent themes, ``--clusterings`` clusterings (themes with 10-40% noise and
some images moved), 500 pairs rated by 2 coders on 2 dimensions with a
consensus round, and 160 sets matched by 3 evaluators. Then times
``agreement_by_dimension`` (per phase, with the bootstrap CI),
``quality_grid`` over every clustering (permutation test and bootstrap CI)
and ``interpretability``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.evaluation.agreement import agreement_by_dimension
from semclust.evaluation.interpretability import interpretability
from semclust.evaluation.quality import quality_grid
from semclust.study import KEYWORD_COLUMNS, Study


def build(root: Path, n_images: int, n_clusterings: int, rng) -> tuple[Study, pd.DataFrame]:
    """The synthetic study and its sets (matches are returned separately)."""
    (root / "images").mkdir(parents=True)
    study = Study.create(root / "study", root / "images")
    ids = np.array([f"img{i:05d}" for i in range(n_images)])
    theme = rng.integers(0, 32, n_images)
    for k in range(n_clusterings):
        labels = theme.copy()
        moved = rng.random(n_images) < 0.1
        labels[moved] = rng.integers(0, 32, moved.sum())
        labels[rng.random(n_images) < rng.uniform(0.1, 0.4)] = -1
        study.write_clustering(f"c{k:02d}", pd.DataFrame({"image_id": ids, "cluster": labels}),
                               {"reduction": {"method": "umap"}, "embedding": "minilm"},
                               pd.DataFrame(columns=KEYWORD_COLUMNS), {})
    a, b = rng.integers(0, n_images, 500), rng.integers(0, n_images, 500)
    pairs = pd.DataFrame({"pair_id": [f"p{i:03d}" for i in range(500)], "image_a": ids[a],
                          "image_b": ids[b], "phase": np.where(np.arange(500) < 250, "1", "2")})
    pairs.to_csv(study.pairs_csv, index=False)
    rows = []
    for i, pair_id in enumerate(pairs["pair_id"]):
        base = 2 if theme[a[i]] == theme[b[i]] else int(rng.integers(0, 2))
        for dimension in ("denotative", "connotative"):
            for coder in ("ann", "bob"):
                score = base if rng.random() < 0.8 else int(rng.integers(0, 3))
                rows.append((pair_id, coder, dimension, score, "independent", pairs.phase[i]))
            rows.append((pair_id, "ann+bob", dimension, base, "consensus", pairs.phase[i]))
    pd.DataFrame(rows, columns=["item_id", "coder", "dimension", "score", "round", "phase"]).to_csv(
        study.ratings_csv, index=False)
    return study


def matching(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """160 sets (5 per cluster of 32) and 3 evaluators' choices (about 83% right)."""
    sets = pd.DataFrame({"set_id": [f"s{i:03d}" for i in range(160)],
                         "cluster": np.repeat(np.arange(32), 5), "image_ids": "a;b;c"})
    rows = [(s, e, c if rng.random() < 0.83 else int(rng.integers(0, 32)))
            for s, c in zip(sets.set_id, sets.cluster) for e in ("e1", "e2", "e3")]
    return pd.DataFrame(rows, columns=["set_id", "evaluator", "chosen_cluster"]), sets


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"{label:58s} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=11873)
    parser.add_argument("--clusterings", type=int, default=60)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        study = timed("build synthetic study", build, Path(tmp), args.images, args.clusterings, rng)
        ratings = pd.read_csv(study.ratings_csv, dtype={"phase": str})
        for phase in ("1", "2"):
            timed(f"agreement phase {phase} (250 items, bootstrap {args.bootstrap})",
                  agreement_by_dimension, ratings, phase=phase, bootstrap=args.bootstrap, seed=1)
        timed(f"quality_grid {args.clusterings} clusterings (perm+boot {args.bootstrap})",
              quality_grid, study, n_permutations=args.bootstrap, n_bootstrap=args.bootstrap)
        matches, sets = matching(rng)
        timed("interpretability 160 sets x 3 evaluators", interpretability, matches, sets)
        timed("interpretability with 4 merges", interpretability, matches, sets,
              merge=["0,1", "2,3", "4,5", "6,7"])


if __name__ == "__main__":
    main()
