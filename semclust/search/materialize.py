"""``--materialize best|top:K``: the selected trials as ordinary ``clusterings/<id>/`` folders.

The folders are written by :func:`semclust.pipeline.grid.write_clustering_folder`,
exactly as `semclust cluster` writes them (same ids, same ``config``), plus a
``search`` entry in params.json: the search id, the trial, its rank, the objective
and its held-out scores. Every later command (sample, quality, report) then
treats them like any other clustering.
"""
from __future__ import annotations

from semclust.pipeline.grid import Grid, Job, job_config, write_clustering_folder
from semclust.study import Study, UserError


def parse_materialize(text: str | None) -> int | None:
    """``best`` -> 1, ``top:K`` -> K, None -> None; UserError otherwise.

    >>> parse_materialize("top:3")
    3
    """
    if text is None:
        return None
    if text == "best":
        return 1
    kind, _, count = str(text).partition(":")
    if kind == "top" and count.isdigit() and int(count) >= 1:
        return int(count)
    raise UserError(f"--materialize {text!r}: expected best or top:K (K >= 1), e.g. top:3")


def _existing_config(study: Study, clustering_id: str) -> dict | None:
    folder = study.clustering_dir(clustering_id)
    if not (folder / "labels.csv").is_file() or not (folder / "params.json").is_file():
        return None
    try:
        return study.read_clustering_json(clustering_id, "params.json").get("config")
    except ValueError:
        return None


def materialize(study: Study, chosen, steps: dict, evaluator, ids, space, embedding: str,
                seed: int, search_id: str, holdouts: dict, echo) -> list[str]:
    """Write one clustering folder per row of ``chosen`` (:func:`results.select`), best first.

    ``steps`` maps trial numbers to their ``(reduction, clusterer)`` steps. A
    folder that exists with another ``config`` (e.g. another seed) is kept, with
    a warning. Returns the clustering ids written.
    """
    written = []
    for rank, row in enumerate(chosen.itertuples(index=False), start=1):
        reduction, clusterer = steps[row.trial][:2]
        job = Job(embedding, reduction, clusterer, False)
        grid = Grid(source=space.source, embeddings=(embedding,), reductions=(reduction,),
                    clusterers=(clusterer,), seed=seed)
        old = _existing_config(study, job.clustering_id)
        if old is not None and old != job_config(job, grid, seed):
            echo(f"warning: {job.clustering_id} exists with other parameters; kept it")
            continue
        labels, seconds = evaluator.labels(reduction, clusterer)
        note = evaluator.cache.get(reduction)[1]
        search = {"id": search_id, "trial": row.trial, "rank": rank,
                  "objective": evaluator.objective.name, "score": float(row.objective),
                  "holdout": holdouts.get(job.clustering_id)}
        write_clustering_folder(study, grid, job, ids, labels, evaluator.X.shape, note, seconds,
                                extra={"search": search})
        written.append(job.clustering_id)
    return written
