"""`semclust checks`: attention checks, pairs with a known answer hidden among a coder's pairs."""
from __future__ import annotations

import click

from semclust.annotate.cli import Group
from semclust.cli_options import study_option
from semclust.vocabulary import SCALE_POINTS

STUDY_OPTION = study_option()
SCORE = click.IntRange(min(SCALE_POINTS), max(SCALE_POINTS))


@click.group(cls=Group)
def checks():
    """Attention checks: pairs with a known answer, shown to every coder, never exported as ratings."""


@checks.command("add")
@click.argument("image_a")
@click.argument("image_b")
@click.option("--denotative", type=SCORE, required=True, help="The denotative score a careful coder gives.")
@click.option("--connotative", type=SCORE, required=True, help="The connotative score a careful coder gives.")
@click.option("--note", default="", help="Why this answer is expected (shown to admins only).")
@STUDY_OPTION
def add(image_a, image_b, denotative, connotative, note, study):
    """Add a check: IMAGE_A and IMAGE_B (ids of images.csv) with the expected scores.

    An image paired with itself must be 2/2; a pair known to be unrelated 0/0.
    Every coder sees each check once, at a random position among the pairs.

    \b
    Example:
      semclust checks add 3f9a1c0e5b7d2a64 3f9a1c0e5b7d2a64 --denotative 2 --connotative 2 --study studies/demo
      semclust checks add 3f9a1c0e5b7d2a64 b80e47d19c25f3a1 --denotative 0 --connotative 0 --study studies/demo
    """
    from semclust.annotate import checks as lib
    from semclust.annotate import db
    from semclust.study import UserError
    images = study.read_images()
    ok = set(images.loc[images["status"].astype(str) == "ok", "image_id"].astype(str))
    for image in (image_a, image_b):
        if image not in ok:
            raise UserError(f"image {image!r} is not an ok image of {study.images_csv}")
    with db.opened(study.annotations_db) as conn:
        check_id = lib.add_check(conn, image_a, image_b, denotative, connotative, note)
    click.echo(f"check {check_id}: {image_a} / {image_b}, expected denotative {denotative}, "
               f"connotative {connotative}")


@checks.command("list")
@STUDY_OPTION
def list_(study):
    """List the active checks and each coder's accuracy on them.

    \b
    Example:
      semclust checks list --study studies/demo
    """
    from semclust.annotate import checks as lib
    from semclust.annotate import db
    with db.opened(study.annotations_db) as conn:
        rows, accuracy = lib.list_checks(conn), lib.accuracy_by_coder(conn)
    click.echo("check  image_a  image_b  expected (den/con)  note")
    for r in rows:
        click.echo(f"{r['id']}  {r['image_a']}  {r['image_b']}  {r['denotative']}/{r['connotative']}  {r['note']}")
    for coder, acc in accuracy.items():
        click.echo(f"{coder}: {acc['correct']} of {acc['answered']} checks as expected ({acc['accuracy']:.0%})")


@checks.command("remove")
@click.argument("check_id", type=int)
@STUDY_OPTION
def remove(check_id, study):
    """Stop showing check CHECK_ID to coders (the answers given stay).

    \b
    Example:
      semclust checks remove 3 --study studies/demo
    """
    from semclust.annotate import checks as lib
    from semclust.annotate import db
    conn = db.connect(study.annotations_db)
    try:
        lib.remove_check(conn, check_id)
    finally:
        conn.close()
    click.echo(f"check {check_id} removed")


commands = [checks]
