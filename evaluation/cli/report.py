"""`semclust report`: the study's HTML report with figures."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path))
@click.option("--clustering", help="Clustering shown in detail (default: the one with matching "
              "sets, else the best valid connotative score).")
@click.option("--bootstrap", type=int, default=1000, show_default=True,
              help="Bootstrap replicates of the alpha intervals.")
@click.option("--seed", type=int, help="Default: the study's seed.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default: STUDY/reports).")
def report(study_dir, clustering, bootstrap, seed, out):
    """Write STUDY/reports/index.html: agreement, grid table, figures, galleries, methods.

    \b
    Example:
      semclust report --study studies/demo
    """
    from semclust.evaluation.report import build_report
    from semclust.pipeline.study import Study

    path = build_report(Study.open(study_dir), clustering=clustering, bootstrap=bootstrap,
                        seed=seed, out_dir=out)
    click.echo(f"report: {path}")


commands = [report]
