"""`semclust report`: the study's HTML report with figures."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option


@click.command()
@study_option()
@click.option("--clustering", help="Clustering shown in detail (default: the best valid connotative "
              "score; without one, the clustering with matching sets). The report states the choice.")
@click.option("--bootstrap", type=int, default=1000, show_default=True,
              help="Bootstrap replicates of the alpha intervals.")
@click.option("--seed", type=int, help="Default: the study's seed.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default: STUDY/reports).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=200, show_default=True,
              help="Resolution of the PNG figures (SVG and PDF are written too).")
@click.option("--min-check-accuracy", type=click.FloatRange(0, 1), default=None,
              help="Leave out coders below this attention-check accuracy (exports/checks.csv); "
                   "the report names them.")
def report(study, clustering, bootstrap, seed, out, dpi, min_check_accuracy):
    """Write STUDY/reports/index.html, map.html, methods.md, figures and tables.

    The page holds agreement, the grid table, figures, galleries and methods;
    tables/ holds every table as CSV and LaTeX; figures are PNG, SVG and PDF.

    \b
    Example:
      semclust report --study studies/demo
    """
    from semclust.evaluation.report import build_report

    path = build_report(study, clustering=clustering, bootstrap=bootstrap,
                        seed=seed, out_dir=out, dpi=dpi, min_check_accuracy=min_check_accuracy)
    click.echo(f"report: {path}")


commands = [report]
