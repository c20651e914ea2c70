"""`semclust export`: the annotation database -> exports/ratings.csv, matches.csv, comments.csv, checks.csv."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from semclust.cli_options import study_option


# What SQLite says about a file that is not (or no longer) a whole database.
@click.command("export")
@study_option()
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the four files into this folder instead of STUDY/exports/ (a read-only study "
                   "can be exported so).")
@click.option("--force", is_flag=True,
              help="Overwrite export files even if they hold rows the database never recorded "
                   "(e.g. ratings pulled from Label Studio into exports/ratings.csv).")
def export(study, to, force):
    """Write the latest answers of STUDY/annotations.sqlite to STUDY/exports/.

    ratings.csv: item_id, coder, dimension, score, round, phase, created_at,
    seconds_on_item (empty score = cannot judge; consensus scores have
    round=consensus; seconds_on_item = time the pair was on screen).
    matches.csv: set_id, evaluator, chosen_cluster, created_at, clustering.
    comments.csv: item_id, coder, comment, round, phase, created_at (the
    comment of each coder's latest answer per pair, where not empty).
    checks.csv: check_id, coder, expected and given scores, correct (1/0),
    seconds_on_item, created_at (attention checks; never in ratings.csv).

    Refuses (exit 2, nothing written) to overwrite a file that holds rows the
    database never recorded, such as ratings from Label Studio; --force
    overwrites it. Rows of simulated people (sim-...) may always be replaced.

    \b
    Example:
      semclust export --study studies/demo
      semclust export --study /mnt/archive/study --to ./exports-copy
    """
    from semclust.annotate.db import check_database, database_error
    from semclust.annotate.export import export_study
    check_database(study.annotations_db)
    try:
        result = export_study(study, force=force, to=to)
    except sqlite3.DatabaseError as exc:
        raise database_error(study.annotations_db, exc) from exc
    click.echo(f"wrote {result.n_ratings} ratings to {result.ratings}")
    click.echo(f"wrote {result.n_matches} matches to {result.matches}")
    click.echo(f"wrote {result.n_comments} comments to {result.comments}")
    click.echo(f"wrote {result.n_checks} attention-check answers to {result.checks}")


commands = [export]
