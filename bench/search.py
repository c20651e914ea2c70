"""Benchmark: `semclust search --objective quality:connotative` on a 12k-image synthetic study.

12,000 x 384 embeddings with planted structure (bench/grid.py's generator: 20 groups),
500 random pairs in two phases of 250, rated on both dimensions by two simulated coders
(evaluation.simulate, noise 0.15), and a space of PCA 5/10/20/0.8 (one SVD, each
setting computed once, then cached) x HDBSCAN (min_cluster_size 20-500 log,
min_samples 1-100 log, eom/leaf) or KMeans (k 5-60). Runs ``--trials`` trials through
``semclust.search.run_search`` exactly as `semclust search` does (phase 1 searched,
phase 2 held out) and prints:

* trials/s of the whole search (sampler, journal, trials.csv and the final holdout included);
* how a trial splits into reduction (first use of a setting only), clustering and scoring
  (the target: scoring adds < 10 % to a trial);
* what silhouette and dbcv would cost per trial instead (2,000-point subsample).

``--umap`` adds one UMAP setting (c5-n15): its kNN graph and layout are paid once, by the
first trial that picks it (tens of seconds plus numba's one-off compilation, see ## grid).

    .venv/bin/python bench/search.py                # 30 trials, ~2-3 min on 2 cores
    .venv/bin/python bench/search.py --trials 10    # quick check
    .venv/bin/python bench/search.py --record       # also append to bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from grid import planted_embeddings  # noqa: E402  (bench/grid.py: the same synthetic data)

SPACE = """
subsample: 2000
reductions:
  - method: pca
    n_components: [5, 10, 20, 0.8]
{umap}clusterers:
  - method: hdbscan
    min_cluster_size: {{low: 20, high: 500, log: true}}
    min_samples: {{low: 1, high: 100, log: true}}
    cluster_selection_method: [eom, leaf]
  - method: kmeans
    k: {{low: 5, high: 60}}
"""
UMAP = "  - method: umap\n    n_components: 5\n    n_neighbors: 15\n"


def build_study(root: Path, n: int, n_pairs: int, seed: int):
    """The synthetic study: embeddings, pairs.csv (phases 1, 2) and simulated ratings."""
    from semclust.evaluation.simulate import simulate_ratings
    from semclust.study import PAIR_COLUMNS, Study, atomic_write_csv

    X, truth = planted_embeddings(n, 384, 20, seed)
    ids = [f"i{i:05d}" for i in range(n)]
    study = Study.create(root, root, seed=seed)
    study.write_embeddings("bench", X, ids, {"source": "synthetic"})
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, (2, 3 * n_pairs))
    drawn = list(dict.fromkeys((x, y) for x, y in zip(a.tolist(), b.tolist()) if x < y))[:n_pairs]
    pairs = pd.DataFrame({"pair_id": [f"p{i + 1}" for i in range(n_pairs)],
                          "image_a": [ids[x] for x, _ in drawn], "image_b": [ids[y] for _, y in drawn],
                          "phase": ["1"] * (n_pairs // 2) + ["2"] * (n_pairs - n_pairs // 2)})
    atomic_write_csv(study.pairs_csv, pairs[PAIR_COLUMNS])
    theme = pd.Series([f"g{t}" for t in truth], index=ids)
    atomic_write_csv(study.ratings_csv, simulate_ratings(pairs, theme, seed=seed))
    return study, X


def proxy_costs(X, labels, seed: int) -> dict:
    """Seconds per call of the proxy objectives on one labelling (their sample drawn once)."""
    from semclust.search.objectives import dbcv_objective, proxy_sample, silhouette_objective

    start = time.perf_counter()
    sample = proxy_sample(X, 2000, seed)
    costs = {"subsample (once per search)": time.perf_counter() - start}
    for name, fn in (("silhouette", silhouette_objective), ("dbcv", dbcv_objective)):
        start = time.perf_counter()
        fn(labels, sample)
        costs[name] = time.perf_counter() - start
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12000)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--umap", action="store_true", help="add one (cached) UMAP setting")
    parser.add_argument("--record", action="store_true", help="append figures to bench/RESULTS.md")
    args = parser.parse_args()

    from semclust.search import SearchOptions, run_search

    with tempfile.TemporaryDirectory() as tmp:
        study, X = build_study(Path(tmp) / "study", args.n, args.pairs, args.seed)
        space = Path(tmp) / "space.yaml"
        space.write_text(SPACE.format(umap=UMAP if args.umap else ""))
        options = SearchOptions(embedding="bench", objective="quality:connotative",
                                n_trials=args.trials, seed=args.seed, space=space)
        print(f"data: {args.n} x 384 planted (20 groups), {args.pairs} rated pairs; "
              f"cores: {os.cpu_count()}; trials: {args.trials}", flush=True)
        start = time.perf_counter()
        result = run_search(study, options, echo=lambda m: print(m, file=sys.stderr))
        wall = time.perf_counter() - start
        start = time.perf_counter()
        run_search(study, options, progress=False)  # nothing left to run: the fixed costs
        finish = time.perf_counter() - start
        costs = {}
        if result.best["best"]:  # the proxies' cost on the winner's labels
            run_search(study, SearchOptions(**{**options.__dict__, "materialize": "best"}),
                       progress=False)
            labels = study.read_labels(result.best["best"]["clustering_id"])["cluster"].to_numpy()
            costs = proxy_costs(X, labels, args.seed)
    report(args, result, wall, finish, costs)


def report(args, result, wall: float, finish: float, costs: dict) -> None:
    """Print the figures as markdown (and append them to RESULTS.md with --record)."""
    s = result.seconds
    computed = s[s["cluster"] > 0]  # a repeated setting is scored once and costs nothing
    parts = computed[["reduce", "cluster", "score"]]
    per_trial = parts.sum(axis=1)
    cached = computed[computed["reduce"] == 0]
    share = (cached["score"] / cached[["cluster", "score"]].sum(axis=1)).median()
    method = result.trials.set_index("trial")["clusterer"]
    by_method = {m: computed.loc[computed["trial"].map(method) == m, "cluster"]
                 for m in dict.fromkeys(method)}
    best = result.best
    held = best["holdout"]["scores"]["connotative"] if best["best"] else None
    lines = [
        (f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
         f"{platform.python_version()}; load average at the end (1/5/15 min): "
         + ", ".join(f"{x:.1f}" for x in os.getloadavg())),
        (f"- data: {args.n} x 384 planted (20 groups), {args.pairs} rated pairs (phase 1 searched, "
         f"phase 2 held out); space: PCA 5/10/20/0.8{' + UMAP c5-n15' if args.umap else ''} x "
         "HDBSCAN (min_cluster_size 20-500 log, min_samples 1-100 log, eom/leaf) | KMeans (k 5-60)"),
        (f"- {result.new_trials} trials of quality:connotative in **{wall:.1f} s = "
         f"{result.new_trials / wall:.2f} trials/s** (everything: sampler, journal, trials.csv, "
         f"the held-out bootstrap); a rerun with nothing left to run takes {finish:.1f} s"),
        (f"- {len(computed)} trials computed a clustering ({len(s) - len(computed)} repeated a "
         "setting and were scored from memory)"),
        (f"- per computed trial, mean seconds: reduction {parts['reduce'].mean():.3f} (paid by the "
         f"{int((computed['reduce'] > 0).sum())} first uses of a setting: total "
         f"{parts['reduce'].sum():.2f} s), clustering {parts['cluster'].mean():.3f}, scoring "
         f"{parts['score'].mean() * 1000:.2f} ms; shares of the summed trial time: reduction "
         f"{parts['reduce'].sum() / per_trial.sum():.1%}, clustering "
         f"{parts['cluster'].sum() / per_trial.sum():.1%}, scoring "
         f"{parts['score'].sum() / per_trial.sum():.2%}"),
        ("- clustering seconds per computed trial by method: " + ", ".join(
            f"{m} mean {v.mean():.3f} (n={len(v)})" for m, v in by_method.items())),
        (f"- scoring adds **{share:.2%}** to a trial on a cached reduction (median of "
         "score / (cluster + score)); target < 10 %"),
        (f"- outside the trials (TPE sampling, journal, trials.csv rewrite, best.json with 2 x 1000 "
         f"bootstrap + permutation replicates): {wall - per_trial.sum():.1f} s"),
        ("- proxies instead, per call on a 2,000-point subsample of the 384-d embedding: "
         + ", ".join(f"{k} {v:.3f} s" for k, v in costs.items())),
        (f"- best: {best['best']['clustering_id']} objective {best['best']['objective']:.3f}; "
         f"held out {held['score']:.3f} {[round(v, 3) for v in held['ci95']]}; "
         f"optimism {best['optimism']:+.3f}") if held else "- no feasible trial",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## search\n`python bench/search.py --trials {args.trials}"
                     f"{' --umap' if args.umap else ''}` ({datetime.date.today()}, 2-core CPU "
                     f"sandbox, shared with other jobs)\n\n{text}\n")


if __name__ == "__main__":
    main()
