"""`semclust cluster` (run a GRID.yaml) and `semclust clusters show` (one clustering's table)."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.extras import needs
from semclust.pipeline.study import UserError


@click.command()
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path),
              help="Study folder.")
@click.option("--grid", "grid_name", required=True,
              help="GRID.yaml file, or the name of a shipped grid: paper, demo.")
@click.option("--force", is_flag=True, help="Recompute clusterings that already exist.")
@click.option("--jobs", type=int, default=None,
              help="Worker processes (default: min(2, CPU count)); 1 = no subprocesses.")
@click.option("--stopwords", type=click.Path(path_type=Path), default=None,
              help="File of extra keyword stop words (replaces pipeline/vlm_stopwords.txt).")
@needs("pipeline", "umap", "hdbscan")
def cluster(study_dir, grid_name, force, jobs, stopwords):
    """Reduce and cluster every embedding as GRID says; one clusterings/<id>/ per combination.

    Each folder holds labels.csv, params.json, keywords.csv and summary.json.
    Finished combinations are skipped, so an interrupted run resumes.

    \b
    Example:
      semclust cluster --study studies/demo --grid demo
      semclust cluster --study studies/climate --grid my-grid.yaml --jobs 2
    """
    from semclust.pipeline.grid import load_grid, run_grid
    from semclust.pipeline.study import Study

    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
    study = Study.open(study_dir)
    grid = load_grid(grid_name, stopwords=stopwords)
    outcomes = run_grid(study, grid, force=force, n_jobs=jobs)
    click.echo(f"{'clustering':<48} {'status':<8} {'clusters':>8} {'noise':>6}")
    for o in outcomes:
        s = o.summary or study.read_clustering_json(o.clustering_id, "summary.json")
        click.echo(f"{o.clustering_id:<48} {o.status:<8} {s.get('n_clusters', ''):>8} "
                   f"{s.get('noise_fraction', 0):>6.1%}")
    written = sum(o.status == "written" for o in outcomes)
    click.echo(f"{written} written, {len(outcomes) - written} already there "
               f"in {study.clusterings_dir}")


@click.group()
def clusters():
    """Look at the clusterings of a study."""


@clusters.command("show")
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path),
              help="Study folder.")
@click.option("--clustering", "clustering_id", required=True, help="Clustering id.")
@click.option("--examples", type=int, default=3, show_default=True,
              help="Example image paths per cluster.")
def show(study_dir, clustering_id, examples):
    """Print a table of clusters: size, keywords and a few example image paths.

    \b
    Example:
      semclust clusters show --study studies/demo --clustering minilm--umap-c5-n15--hdb-m12
    """
    from semclust.pipeline.keywords import cluster_table
    from semclust.pipeline.study import Study

    if examples < 0:
        raise UserError(f"--examples must be 0 or more, got {examples}")
    study = Study.open(study_dir)
    labels = study.read_labels(clustering_id)
    table = cluster_table(labels, study.read_keywords(clustering_id), study.read_images(),
                          examples=examples)
    summary = study.read_clustering_json(clustering_id, "summary.json")
    click.echo(f"{clustering_id}: {summary['n_clusters']} clusters, "
               f"{summary['noise_fraction']:.1%} noise of {summary['n_images']} images")
    for row in table.itertuples(index=False):
        name = "noise" if row.cluster == -1 else str(row.cluster)
        click.echo(f"{name:>6} {row.size:>6}  {row.keywords}")
        for path in row.examples:
            click.echo(f"{'':>15}{path}")


@clusters.command("methods")
def methods():
    """List the reductions and clusterers a grid file may name, with their parameters.

    \b
    Example:
      semclust clusters methods
    """
    from semclust.pipeline.gridfile import REGISTRIES
    from semclust.pipeline.registry import describe_registry

    for kind, registry in REGISTRIES.items():
        click.echo(describe_registry(kind, registry))


commands = [cluster, clusters]
