"""Grid: run every embedding x reduction x clusterer combination of a GRID.yaml.

The orchestrator holds no algorithm: it reads and checks the grid file
(:func:`load_grid`), expands it into clusterings with readable, stable ids
(:func:`plan_jobs`), shares the expensive work between them and writes one
``clusterings/<id>/`` folder per combination (:func:`run_grid`).

Work shared (see ``docs/scaling.md`` and ``bench/grid.py``):

* one kNN graph per embedding and metric, at the grid's largest UMAP
  ``n_neighbors``, sliced for the smaller ones (:func:`pipeline.reduce.knn_graph`);
* one full PCA per embedding, sliced per number of components / variance fraction;
* each reduction is computed once and clustered with every clusterer setting;
* reductions run in parallel worker processes (``n_jobs``), each with its own
  share of the numba/BLAS threads.

Combinations whose folder is complete with the same configuration are skipped
(resumable); ``force=True`` recomputes them.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import pandas as pd

from semclust.pipeline import cluster as clustering
from semclust.pipeline import keywords as kw
from semclust.pipeline import reduce as reducing
from semclust.pipeline.clusterers import CLUSTERERS
from semclust.pipeline.gridfile import Grid, Step, load_grid, resolve_grid_path  # noqa: F401  (re-exported)
from semclust.pipeline.reducers import REDUCERS
from semclust.study import Study, UserError, library_versions, now_iso, provenance, toolkit_version

VERSIONED = ("umap-learn", "pynndescent", "hdbscan", "scikit-learn", "numpy", "numba")


@dataclass(frozen=True)
class Job:
    """One clustering to produce: an embedding, a reduction, a clusterer."""

    embedding: str
    reduction: Step
    clusterer: Step
    reassign: bool

    @property
    def clustering_id(self) -> str:
        tail = "-reassigned" if self.reassign else ""
        return f"{self.embedding}--{self.reduction.id}--{self.clusterer.id}{tail}"


@dataclass
class Outcome:
    """What happened to one job: ``status`` is "written", "skipped" or "kept"."""

    clustering_id: str
    status: str
    summary: dict = field(default_factory=dict)


def plan_jobs(study: Study, grid: Grid) -> list[Job]:
    """All combinations of the grid for this study, in a stable order.

    Raises UserError when ``embeddings: all`` finds none or an id is unknown.
    """
    known = study.list_embeddings()
    if grid.embeddings == "all":
        embeddings = known
        if not embeddings:
            raise UserError(f"study {study.root} has no embeddings yet: run `semclust embed` first")
    else:
        embeddings = list(grid.embeddings)
        missing = [e for e in embeddings if e not in known]
        if missing:
            raise UserError(f"{grid.source}: embeddings: no embedding {', '.join(map(repr, missing))} "
                            f"in study (known: {', '.join(known) or 'none'})")
    return [Job(e, r, c, grid.reassign_outliers)
            for e in embeddings for r in grid.reductions for c in grid.clusterers]


def job_config(job: Job, grid: Grid, seed: int) -> dict:
    """The parameters that define a clustering; a folder with other ones is not reused."""
    return {
        "embedding": job.embedding,
        "reduction": {"method": job.reduction.method, **job.reduction.params},
        "clusterer": {"method": job.clusterer.method, **job.clusterer.params},
        "reassign_outliers": job.reassign,
        "seed": seed,
        "keywords": {"k": grid.keywords_k, "from": grid.keywords_from,
                     "stopwords": str(grid.stopwords) if grid.stopwords else "default"},
    }


def _existing_status(study: Study, job: Job, config: dict) -> str | None:
    """None when the job must run; "skipped" (same config) or "kept" (other config)."""
    folder = study.clustering_dir(job.clustering_id)
    if not (folder / "labels.csv").is_file() or not (folder / "params.json").is_file():
        return None
    try:
        old = study.read_clustering_json(job.clustering_id, "params.json").get("config")
    except ValueError:
        return None
    return "skipped" if old == config else "kept"


def _keyword_texts(study: Study, grid: Grid, info: dict, image_ids: list[str]):
    """Descriptions aligned with ``image_ids`` and their source, or (None, note)."""
    source = str(info.get("source", ""))
    describer = source.split(":", 1)[1] if source.startswith("descriptions:") else grid.keywords_from
    if not describer:
        return None, (f"no keywords: embedding source is {source or 'unknown'!r} and the grid "
                      "names no `keywords_from` describer")
    descriptions = study.read_descriptions(describer)
    if "text" not in descriptions.columns:
        return None, f"no keywords: descriptions {describer!r} have no text"
    texts = descriptions.set_index("image_id")["text"].reindex(image_ids)
    return texts.reset_index(drop=True), f"descriptions:{describer}"


def _worker(payload, reduction: Step, clusterers: list[Step], seed: int, reassign: bool,
            threads: int):
    """Reduce once, then run every clusterer on the result (in a worker process)."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        Y = reduction.entry.reduce(payload, reduction.params, seed)
        reduce_s = time.perf_counter() - start
        results = []
        for step in clusterers:
            start = time.perf_counter()
            labels = step.entry.fit(Y, step.params, seed, threads)
            if reassign:
                labels = clustering.reassign_outliers(Y, labels)
            results.append((step, labels, time.perf_counter() - start))
    return reduction, Y.shape[1], reduce_s, results


def _check_settings(X, jobs: list[Job], grid: Grid) -> None:
    """Every pending setting must suit the data (e.g. KMeans k <= n); UserError naming it."""
    n, dim = X.shape
    for step in dict.fromkeys([j.reduction for j in jobs] + [j.clusterer for j in jobs]):
        problem = step.entry.check_data(step.params, n, dim)
        if problem:
            raise UserError(f"{grid.source.name}: {step.id}: {problem}")


def _prepare_data(X, jobs: list[Job], grid: Grid, seed: int, echo) -> tuple[dict, dict]:
    """Per pending reduction: the payload its worker reduces, and its note for params.json.

    Each method prepares all its settings at once, so they share work (one kNN
    graph per metric for UMAP, one SVD for PCA).
    """
    payload, notes = {}, {}
    pending = list(dict.fromkeys(j.reduction for j in jobs))
    for method in dict.fromkeys(step.method for step in pending):
        steps = [s for s in pending if s.method == method]
        every = [s.params for s in grid.reductions if s.method == method]
        try:
            prepared = steps[0].entry.prepare(X, [s.params for s in steps], every, seed, echo)
        except ValueError as exc:
            raise UserError(f"{grid.source.name}: {method}: {exc}") from None
        for step, (data, note) in zip(steps, prepared):
            payload[step], notes[step] = data, note
            density = any(j.clusterer.method == "hdbscan" for j in jobs if j.reduction == step)
            if density and note["n_components_kept"] > reducing.MANY_DIMENSIONS:
                echo(f"warning: {step.id} leaves {note['n_components_kept']} dimensions "
                     f"(> {reducing.MANY_DIMENSIONS}): HDBSCAN gets very slow there")
    return payload, notes


def _write(study: Study, job: Job, config: dict, ids, labels, texts, kw_source: str,
           stop_words, red_note: dict, seconds: dict, meta: dict, extra: dict | None = None) -> dict:
    """Write one clustering folder; returns its summary. ``extra``: more top-level params.json keys."""
    labels_s = pd.Series(labels, name="cluster")
    if texts is not None:
        keywords = kw.cluster_keywords(texts, labels_s, k=config["keywords"]["k"],
                                       stop_words=stop_words)
    else:
        keywords = pd.DataFrame(columns=["cluster", "rank", "term", "score"])
    summary = {**clustering.cluster_summary(labels),
               "n_components": red_note["n_components_kept"], "keywords_source": kw_source}
    params = {
        "clustering_id": job.clustering_id,
        "config": config,
        "reduction": {"method": job.reduction.method, **job.reduction.params, **red_note,
                      **REDUCERS.method(job.reduction.method).describe({**job.reduction.params, **red_note})},
        "clusterer": {"method": job.clusterer.method, **job.clusterer.params,
                      **CLUSTERERS.method(job.clusterer.method).describe(job.clusterer.params)},
        "keywords": {"source": kw_source, "k": config["keywords"]["k"],
                     "tfidf": kw.TFIDF_SETTINGS, "stopwords": config["keywords"]["stopwords"]},
        **meta,
        **(extra or {}),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "created_at": now_iso(),
    }
    frame = pd.DataFrame({"image_id": list(ids), "cluster": labels_s.astype(int)})
    describer = kw_source.split(":", 1)[1] if kw_source.startswith("descriptions:") else None
    source = provenance("search" if (extra or {}).get("search") else "grid", descriptions=describer,
                        embedding=job.embedding, libraries=VERSIONED)
    study.write_clustering(job.clustering_id, frame, params, keywords, summary, source)
    return summary


def _meta(embedding: str, shape: tuple, info: dict, seed: int, grid: Grid) -> dict:
    """The params.json keys that describe the run rather than the clustering."""
    return {"embedding": {"id": embedding, "n_images": int(shape[0]), "dim": int(shape[1]),
                          "info": info},
            "seed": seed, "grid_file": str(grid.source), "versions": library_versions(*VERSIONED),
            "toolkit_version": toolkit_version()}


def write_clustering_folder(study: Study, grid: Grid, job: Job, ids, labels, shape: tuple,
                            reduction_note: dict, seconds: dict, extra: dict | None = None) -> dict:
    """Write one ``clusterings/<id>/`` folder exactly as `semclust cluster` does.

    For callers that reduce and cluster outside :func:`run_grid` (``semclust
    search --materialize``). ``grid`` supplies the seed and the keyword settings
    (its ``source`` is recorded as ``grid_file``), ``shape`` is the embedding's
    ``(n, dim)``, ``reduction_note`` the reducer's note (at least
    ``n_components_kept``), ``seconds`` e.g. ``{"reduce": .., "cluster": ..}`` and
    ``extra`` more top-level keys of params.json. Returns the summary.
    """
    seed = grid.seed if grid.seed is not None else study.seed
    info = study.read_embedding_info(job.embedding)
    texts, kw_source = _keyword_texts(study, grid, info, list(ids))
    return _write(study, job, job_config(job, grid, seed), ids, labels, texts, kw_source,
                  kw.default_stop_words(grid.stopwords), reduction_note, seconds,
                  _meta(job.embedding, shape, info, seed, grid), extra)


def _run_embedding(study: Study, grid: Grid, embedding: str, jobs: list[Job], force: bool,
                   n_jobs: int, echo, progress: bool) -> list[Outcome]:
    """Run the pending jobs of one embedding."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    seed = grid.seed if grid.seed is not None else study.seed
    configs = {j: job_config(j, grid, seed) for j in jobs}
    outcomes, pending = [], []
    for job in jobs:
        status = None if force else _existing_status(study, job, configs[job])
        if status == "kept":
            echo(f"warning: {job.clustering_id} exists with other parameters; kept it "
                 "(use --force to recompute)")
        if status:
            outcomes.append(Outcome(job.clustering_id, status))
        else:
            pending.append(job)
    if not pending:
        echo(f"{embedding}: all {len(jobs)} clusterings exist; nothing to do")
        return outcomes
    X, ids, info = study.read_embeddings(embedding)
    _check_settings(X, pending, grid)
    texts, kw_source = _keyword_texts(study, grid, info, ids)
    if texts is None:
        echo(f"{embedding}: {kw_source}")
    stop_words = kw.default_stop_words(grid.stopwords)
    payload, notes = _prepare_data(X, pending, grid, seed, echo)
    meta = _meta(embedding, X.shape, info, seed, grid)
    by_reduction: dict[Step, list[Job]] = {}
    for job in pending:
        by_reduction.setdefault(job.reduction, []).append(job)
    # heavy reductions (UMAP, t-SNE) first, so the parallel workers finish together
    order = sorted(by_reduction, key=lambda r: not r.entry.heavy)
    workers = max(1, min(n_jobs, len(order)))
    threads = max(1, (os.cpu_count() or 1) // workers)
    tasks = (delayed(_worker)(payload[r], r, [j.clusterer for j in by_reduction[r]], seed,
                              grid.reassign_outliers, threads) for r in order)
    runner = Parallel(n_jobs=workers, return_as="generator_unordered") if workers > 1 else None
    results = runner(tasks) if runner else (f(*a, **k) for f, a, k in tasks)
    bar = tqdm(total=len(pending), desc=f"cluster {embedding}", unit="clustering",
               file=sys.stderr, disable=not progress)
    with bar:
        for reduction, dims, reduce_s, fits in results:
            jobs_here = {j.clusterer: j for j in by_reduction[reduction]}
            for step, labels, cluster_s in fits:
                job = jobs_here[step]
                summary = _write(study, job, configs[job], ids, labels, texts, kw_source,
                                 stop_words, notes[reduction],
                                 {"reduce": reduce_s, "cluster": cluster_s}, meta)
                outcomes.append(Outcome(job.clustering_id, "written", summary))
                bar.update(1)
    if runner:
        _release_workers()
    return outcomes


def _release_workers() -> None:
    """Stop joblib's reusable worker processes now rather than at interpreter exit.

    They would otherwise idle (holding memory and semaphores) for as long as
    this process lives, e.g. through `semclust demo`'s app server.
    """
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def run_grid(study: Study, grid: Grid, force: bool = False, n_jobs: int | None = None,
             echo=None, progress: bool = True) -> list[Outcome]:
    """Produce every clustering of ``grid`` in ``study``.

    Parameters
    ----------
    study : Study
    grid : Grid
        From :func:`load_grid`.
    force : bool
        Recompute clusterings that already exist.
    n_jobs : int, optional
        Worker processes (default: ``min(2, CPU count)``); 1 runs in this process.
    echo : callable, optional
        Receives one-line notes and warnings (default: print to stderr).
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    list of Outcome, in plan order.
    """
    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    n_jobs = n_jobs or min(2, os.cpu_count() or 1)
    jobs = plan_jobs(study, grid)
    outcomes = []
    for embedding in dict.fromkeys(j.embedding for j in jobs):
        outcomes += _run_embedding(study, grid, embedding,
                                   [j for j in jobs if j.embedding == embedding],
                                   force, n_jobs, echo, progress)
    rank = {j.clustering_id: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: rank[o.clustering_id])
