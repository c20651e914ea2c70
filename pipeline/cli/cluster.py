"""`semclust cluster` (run a GRID.yaml), `semclust clusters list` (every clustering) and `clusters show`."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.extras import needs
from semclust.study import UserError


@click.command()
@study_option()
@click.option("--grid", "grid_name", required=True,
              help="GRID.yaml file, or the name of a shipped grid: paper, demo.")
@click.option("--force", is_flag=True, help="Recompute clusterings that already exist.")
@click.option("--jobs", type=int, default=None,
              help="Worker processes (default: min(2, CPU count)); 1 = no subprocesses.")
@click.option("--stopwords", type=click.Path(path_type=Path), default=None,
              help="File of extra keyword stop words (replaces pipeline/vlm_stopwords.txt).")
@needs("pipeline", "umap", "hdbscan")
def cluster(study, grid_name, force, jobs, stopwords):
    """Reduce and cluster every embedding as GRID says; one clusterings/<id>/ per combination.

    Each folder holds labels.csv, params.json, keywords.csv and summary.json.
    Finished combinations are skipped, so an interrupted run resumes.

    \b
    Example:
      semclust cluster --study studies/demo --grid demo
      semclust cluster --study studies/climate --grid my-grid.yaml --jobs 2
    """
    from semclust.pipeline.grid import load_grid, run_grid

    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
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


@clusters.command("list")
@study_option()
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def list_(study, as_csv):
    """List the clusterings of a study: id, clusters, noise share, images.

    \b
    Example:
      semclust clusters list --study studies/demo
      semclust clusters list --study studies/demo --csv > clusterings.csv
    """
    import csv
    import sys

    header = ["clustering", "n_clusters", "noise_fraction", "n_images"]
    rows = []
    for clustering_id in study.list_clusterings():
        try:
            summary = study.read_clustering_json(clustering_id, "summary.json")
        except UserError:
            summary = {}
        rows.append([clustering_id, summary.get("n_clusters", ""),
                     "" if summary.get("noise_fraction") is None else f"{summary['noise_fraction']:.3f}",
                     summary.get("n_images", "")])
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    if not rows:
        click.echo(f"no clusterings in {study.root} yet: run `semclust cluster`")
        return
    table = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for k, row in enumerate(table):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            click.echo("  ".join("-" * w for w in widths))


@clusters.command("show")
@study_option()
@click.option("--clustering", "clustering_id", required=True, help="Clustering id.")
@click.option("--examples", type=int, default=3, show_default=True,
              help="Example image paths per cluster.")
def show(study, clustering_id, examples):
    """Print a table of clusters: size, keywords and a few example image paths.

    \b
    Example:
      semclust clusters show --study studies/demo --clustering minilm-l6--demo--umap-c5-n15--hdb-m12
    """
    from semclust.pipeline.keywords import cluster_table

    if examples < 0:
        raise UserError(f"--examples must be 0 or more, got {examples}")
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
