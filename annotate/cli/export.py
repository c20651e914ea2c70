"""`semclust export`: the annotation database -> exports/ratings.csv and exports/matches.csv."""
from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path), help="Study folder.")
def export(study_dir):
    """Write the latest answers of STUDY/annotations.sqlite to STUDY/exports/.

    ratings.csv: item_id, coder, dimension, score, round, phase, created_at
    (empty score = cannot judge; consensus scores have round=consensus).
    matches.csv: set_id, evaluator, chosen_cluster, created_at, clustering.

    \b
    Example:
      semclust export --study studies/demo
    """
    from semclust.annotate.export import export_study
    from semclust.pipeline.study import Study

    ratings, matches, n_ratings, n_matches = export_study(Study.open(study_dir))
    click.echo(f"wrote {n_ratings} ratings to {ratings}")
    click.echo(f"wrote {n_matches} matches to {matches}")


commands = [export]
