"""Benchmark: the 30-clustering reference grid, shared work vs a naive loop.

12,000 x 384 embeddings with planted structure (20 groups of different sizes
and spreads in a 10-d latent space, mapped linearly into 384-d, plus isotropic
noise, rows L2-normalised like sentence embeddings) go through
``grids/paper.yaml`` (UMAP 5/10 x 5/15/30 neighbours, PCA 5/10/20/0.8, HDBSCAN
50/100/200) twice:

* grid: ``pipeline.grid.run_grid`` exactly as ``semclust cluster`` runs it (one
  kNN graph, one PCA, each reduction once, reductions in parallel workers);
* naive: a loop that fits every configuration from scratch (``umap.UMAP`` /
  ``PCA`` then ``hdbscan.HDBSCAN``), as BERTopic users do.

Prints wall seconds of both, the ratio, and per clustering the adjusted Rand
index between the two paths' labels and against the planted truth.

    .venv/bin/python bench/grid.py                 # full size (~20-30 min on 2 cores)
    .venv/bin/python bench/grid.py --n 3000        # quick check
    .venv/bin/python bench/grid.py --record        # also append to bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def planted_embeddings(n: int, dim: int, groups: int, seed: int):
    """(X float32 (n, dim), truth int (n,)): groups of unequal size and spread."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 2.0, groups)
    truth = rng.choice(groups, size=n, p=weights / weights.sum())
    centres = rng.normal(size=(groups, 10)) * 3.0
    spread = rng.uniform(0.4, 0.9, groups)
    latent = centres[truth] + spread[truth, None] * rng.normal(size=(n, 10))
    X = latent @ rng.normal(size=(10, dim)) / np.sqrt(10) + 0.6 * rng.normal(size=(n, dim))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), truth


def naive_labels(X, job, seed: int):
    """Fit one configuration from scratch: reduction then clusterer."""
    import hdbscan
    import umap
    from sklearn.decomposition import PCA

    r = job.reduction.params
    if job.reduction.method == "umap":
        Y = umap.UMAP(n_neighbors=r["n_neighbors"], n_components=r["n_components"],
                      min_dist=r["min_dist"], metric=r["metric"], random_state=seed,
                      n_jobs=1).fit_transform(X)
    else:
        Y = PCA(n_components=r["n_components"], random_state=seed).fit_transform(X)
    return hdbscan.HDBSCAN(min_cluster_size=job.clusterer.params["min_cluster_size"]).fit_predict(Y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--record", action="store_true", help="append figures to bench/RESULTS.md")
    args = parser.parse_args()

    import umap
    from sklearn.metrics import adjusted_rand_score

    from semclust.pipeline.grid import load_grid, plan_jobs, run_grid
    from semclust.study import Study

    X, truth = planted_embeddings(args.n, args.dim, 20, args.seed)
    print(f"data: {args.n} x {args.dim}, 20 planted groups; cores: {os.cpu_count()}; "
          f"grid workers: {args.jobs}", flush=True)
    # JIT warm-up of both kNN paths (exact, pynndescent) and the layout, so that neither path
    # below pays numba's one-off compilation in this process (grid workers still compile theirs)
    for force in (False, True):
        umap.UMAP(n_neighbors=5, n_components=2, random_state=0, n_jobs=1,
                  force_approximation_algorithm=force).fit(X[:500])

    with tempfile.TemporaryDirectory() as tmp:
        study = Study.create(Path(tmp) / "study", tmp, seed=args.seed)
        ids = [f"i{i}" for i in range(args.n)]
        study.write_embeddings("bench", X, ids, {"source": "synthetic"})
        grid = load_grid("paper")
        start = time.perf_counter()
        notes: list[str] = []
        run_grid(study, grid, n_jobs=args.jobs, progress=True,
                 echo=lambda m: (notes.append(m), print(m, file=sys.stderr)))
        grid_s = time.perf_counter() - start
        print(f"grid: {grid_s:.1f} s", flush=True)
        jobs = plan_jobs(study, grid)
        grid_labels = {j.clustering_id: study.read_labels(j.clustering_id)["cluster"].to_numpy()
                       for j in jobs}
        summaries = {j.clustering_id: study.read_clustering_json(j.clustering_id, "summary.json")
                     for j in jobs}
        fits = {j.reduction.id: study.read_clustering_json(j.clustering_id, "params.json")
                ["seconds"]["reduce"] for j in jobs if j.reduction.method == "umap"}
        notes.append(f"UMAP fits inside the grid's workers (kNN given): "
                     f"{', '.join(f'{k} {v:.0f} s' for k, v in fits.items())}")

    rows, naive_s = [], 0.0
    for job in jobs:
        start = time.perf_counter()
        labels = naive_labels(X, job, args.seed)
        naive_s += time.perf_counter() - start
        cid = job.clustering_id
        rows.append((cid, adjusted_rand_score(labels, grid_labels[cid]),
                     adjusted_rand_score(truth, grid_labels[cid]),
                     adjusted_rand_score(truth, labels), summaries[cid]["n_components"]))
        print(f"naive {cid}: {time.perf_counter() - start:.1f} s", flush=True)
    report(args, grid_s, naive_s, rows, notes)


def report(args, grid_s: float, naive_s: float, rows: list, notes: list) -> None:
    """Print the figures as markdown (and append them to RESULTS.md with --record)."""
    ari = np.array([r[1] for r in rows])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"- machine load average at the end (1/5/15 min): {load} on {os.cpu_count()} cores",
        f"- data: {args.n} x {args.dim} planted (20 groups); grid `grids/paper.yaml` "
        f"(30 clusterings); grid workers: {args.jobs}",
        f"- grid (shared kNN + cached reductions + parallel): **{grid_s:.0f} s**; "
        f"naive loop: **{naive_s:.0f} s**; ratio grid/naive = **{grid_s / naive_s:.2f}**",
        f"- same labels? ARI(grid, naive) per clustering: min {ari.min():.3f}, "
        f"median {np.median(ari):.3f}; identical in {int(np.sum(ari == 1.0))}/{len(rows)}",
    ] + [f"- grid note: {n}" for n in notes if "kNN" in n or "kept" in n or "UMAP fits" in n] + [
        "",
        "| clustering | dims | ARI grid vs naive | ARI grid vs truth | ARI naive vs truth |",
        "|---|---|---|---|---|",
    ] + [f"| {c} | {d} | {a:.3f} | {g:.3f} | {n:.3f} |" for c, a, g, n, d in rows]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## grid\n2026-11-22, 2-core CPU sandbox (shared with other jobs)\n\n"
                     f"{text}\n")


if __name__ == "__main__":
    main()
