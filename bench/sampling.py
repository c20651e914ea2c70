"""Benchmark: sampling at the reference study's size; prints seconds per command.

Usage: python bench/sampling.py [--images 11873] [--clusterings 40] [--out bench/out/sampling]

Builds a synthetic study of ``--images`` images (6 without a description, as in
the reference study) and ``--clusterings`` HDBSCAN-like clusterings (15-60
clusters of skewed sizes, 10-40% noise), then times: two phases of 250 pairs
(70 million candidate pairs, so the rejection path), a stratified phase of 500,
5 sets of 3 per cluster, and the plan over every clustering.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.annotate.samples import draw_pairs, draw_sets, plan_pairs
from semclust.study import Study


def build(root: Path, n_images: int, n_clusterings: int) -> Study:
    """The synthetic study (images.csv, one describer, clusterings with labels only)."""
    rng = np.random.default_rng(0)
    study = Study.create(root, root.parent / "images")
    ids = [f"img{k:05d}" for k in range(n_images)]
    study.write_images(pd.DataFrame({"image_id": ids, "path": [f"{i}.jpg" for i in ids],
                                     "sha256": "0" * 64, "width": 320, "height": 240,
                                     "status": "ok", "error": ""}))
    with open(study.description_path("vlm"), "w", encoding="utf-8") as fh:
        for k, i in enumerate(ids):
            text = "" if k < 6 else f"connotative description {k}"
            fh.write(json.dumps({"image_id": i, "text": text, "error": "x" if k < 6 else None}) + "\n")
    empty_kw = pd.DataFrame(columns=["cluster", "rank", "term", "score"])
    for c in range(n_clusterings):
        k = int(rng.integers(15, 61))
        noise = rng.uniform(0.1, 0.4)
        weights = rng.pareto(1.5, k) + 0.05
        labels = rng.choice(k, size=n_images, p=weights / weights.sum())
        labels[rng.random(n_images) < noise] = -1
        study.write_clustering(f"grid{c:02d}", pd.DataFrame({"image_id": ids, "cluster": labels}),
                               {"k": k}, empty_kw, {"n_clusters": k})
    return study


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - start:7.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=11873)
    parser.add_argument("--clusterings", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/out/sampling"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    study = timed(f"build study ({args.images} images, {args.clusterings} clusterings)",
                  lambda: build(args.out / "study", args.images, args.clusterings))
    timed("sample pairs --n 250 --phase 1", lambda: draw_pairs(study, 250, phase="1"))
    timed("sample pairs --n 250 --phase 2", lambda: draw_pairs(study, 250, phase="2"))
    timed("sample pairs --n 500 --stratify grid00 (0.5)",
          lambda: draw_pairs(study, 500, phase="s", stratify="grid00", same_fraction=0.5))
    sets, _, _ = timed("sample sets --clustering grid00 (5 x 3)", lambda: draw_sets(study, "grid00"))
    table = timed(f"sample plan ({args.clusterings} clusterings)", lambda: plan_pairs(study))
    print(f"sets drawn: {len(sets)}; clusterings over a 500-pair budget: "
          f"{int(table['over_budget'].sum())} of {len(table)}; "
          f"median n@90%: {table['n_needed'].median():.0f}")


if __name__ == "__main__":
    main()
