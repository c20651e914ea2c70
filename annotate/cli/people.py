"""`semclust people`: add coders, evaluators and admins; print their personal login links."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.annotate.people import ROLES

BASE_URL_HELP = "Address the app is served at, used to build the link."


@click.group()
def people():
    """Manage the people who annotate a study (login links, roles)."""


@people.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the person does.")
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path), help="Study folder.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help=BASE_URL_HELP)
def add(name, role, study_dir, base_url):
    """Add NAME with a role and print their personal login link (shown only once).

    \b
    Example:
      semclust people add alice --role coder --study studies/demo
    """
    from semclust.annotate.people import add_person, login_url
    from semclust.pipeline.study import Study

    study = Study.open(study_dir)
    token = add_person(study.annotations_db, name, role)
    click.echo(f"{name} ({role}): {login_url(base_url, token)}")


@people.command("link")
@click.argument("name")
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path), help="Study folder.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help=BASE_URL_HELP)
def link(name, study_dir, base_url):
    """Give NAME a new login link; the old one stops working.

    \b
    Example:
      semclust people link alice --study studies/demo
    """
    from semclust.annotate.people import login_url, new_token
    from semclust.pipeline.study import Study

    study = Study.open(study_dir)
    click.echo(f"{name}: {login_url(base_url, new_token(study.annotations_db, name))}")


@people.command("list")
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path), help="Study folder.")
def list_(study_dir):
    """List everyone with their role (links cannot be shown again: use `people link`).

    \b
    Example:
      semclust people list --study studies/demo
    """
    from semclust.annotate import db
    from semclust.annotate.people import list_people
    from semclust.pipeline.study import Study

    study = Study.open(study_dir)
    db.init_db(study.annotations_db)
    conn = db.connect(study.annotations_db)
    try:
        rows = list_people(conn)
    finally:
        conn.close()
    if not rows:
        click.echo("nobody yet: add people with `semclust people add NAME --role ROLE`")
    for row in rows:
        click.echo(f"{row['name']}\t{row['role']}\tadded {row['created_at']}")


commands = [people]
