"""`semclust people`: add coders, evaluators and admins; print their links; end their logins."""
from __future__ import annotations

import click

from semclust.annotate.cli import Group
from semclust.annotate.people import ROLES
from semclust.cli_options import study_option

BASE_URL_HELP = ("Address people open the app at, used to build the link. [default: study.yaml serve: "
                 "base_url, else http://HOST:PORT of serve: host/port, else http://127.0.0.1:5000]")


@click.group(cls=Group)
def people():
    """Manage the people who annotate a study (login links, roles)."""


@people.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the person does.")
@study_option()
@click.option("--base-url", default=None, help=BASE_URL_HELP)
def add(name, role, study, base_url):
    """Add NAME with a role and print their personal login link (shown only once).

    \b
    Example:
      semclust people add alice --role coder --study studies/demo
    """
    from semclust.annotate.people import add_person, login_url
    from semclust.annotate.serving import serve_settings
    base_url = serve_settings(study, base_url=base_url)["base_url"]
    token = add_person(study.annotations_db, name, role)
    click.echo(f"{name} ({role}): {login_url(base_url, token)}")


@people.command("link")
@click.argument("name")
@study_option()
@click.option("--base-url", default=None, help=BASE_URL_HELP)
def link(name, study, base_url):
    """Give NAME a new login link (the old one stops working, NAME's browsers are logged out).

    \b
    Example:
      semclust people link alice --study studies/demo
    """
    from semclust.annotate.people import login_url, new_token
    from semclust.annotate.serving import serve_settings
    base_url = serve_settings(study, base_url=base_url)["base_url"]
    click.echo(f"{name}: {login_url(base_url, new_token(study.annotations_db, name))}")


@people.command("revoke")
@click.argument("name")
@study_option()
def revoke(name, study):
    """Log NAME out of every browser; their link keeps working.

    \b
    Example:
      semclust people revoke alice --study studies/demo
    """
    from semclust.annotate.people import revoke_sessions
    ended = revoke_sessions(study.annotations_db, name)
    click.echo(f"{name}: ended {ended} session{'s' if ended != 1 else ''}")


@people.command("remove")
@click.argument("name")
@study_option()
def remove(name, study):
    """Remove NAME: their link stops working and their browsers are logged out; answers stay.

    Removal is final; the name stays taken (exports keep NAME's answers).

    \b
    Example:
      semclust people remove alice --study studies/demo
    """
    from semclust.annotate.people import remove_person
    ended = remove_person(study.annotations_db, name)
    click.echo(f"{name}: removed (ended {ended} session{'s' if ended != 1 else ''}; answers kept)")


@people.command("list")
@study_option()
def list_(study):
    """List everyone with their role (links cannot be shown again: use `people link`).

    \b
    Example:
      semclust people list --study studies/demo
    """
    from semclust.annotate import db
    from semclust.annotate.people import list_people
    with db.opened_for_reading(study.annotations_db) as conn:  # works on a read-only study
        rows = list_people(conn)
    if not rows:
        click.echo("nobody yet: add people with `semclust people add NAME --role ROLE`")
    for row in rows:
        removed = f"\tremoved {row['removed_at']}" if row["removed_at"] else ""
        click.echo(f"{row['name']}\t{row['role']}\tadded {row['created_at']}{removed}")


commands = [people]
