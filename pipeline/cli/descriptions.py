"""`semclust descriptions check`: flag degenerate descriptions (empty, short, repetitive, refusals)."""
from __future__ import annotations

import click

from semclust.cli_options import study_option


@click.group()
def descriptions():
    """Look after a study's descriptions."""


@descriptions.command("check")
@study_option()
@click.option("--describer", "describer_ids", multiple=True,
              help="Describer id to check (repeatable; default: every describer of the study).")
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Flagged examples printed per describer.")
def check(study, describer_ids, examples):
    """Flag degenerate descriptions and write descriptions/<id>.health.csv.

    A description is flagged when it is empty, very short, highly repetitive,
    not prose (few function words: a sequence of random words), mostly
    non-words, or a refusal; docs/describe.md gives the exact rules. Re-ask the
    flagged images with `semclust describe ... --retry-flagged`.

    \b
    Example:
      semclust descriptions check --study studies/demo
      semclust descriptions check --study S --describer openai-gpt-4o-mini-1a2b3c
    """
    from semclust.pipeline.health import REASONS, check_descriptions
    from semclust.study import UserError
    known = study.list_describers()
    chosen = list(describer_ids) or known
    if not chosen:
        raise UserError(f"study {study.root} has no descriptions yet: run `semclust describe` first")
    for describer_id in chosen:
        if describer_id not in known:
            raise UserError(f"no describer {describer_id!r} in study (known: {', '.join(known) or 'none'})")
        descriptions_ = study.read_descriptions(describer_id)
        health = check_descriptions(descriptions_)
        path = study.write_health(describer_id, health)
        flagged = health[health["flagged"]]
        counts = {r: int(flagged["reasons"].str.split(";").apply(lambda rs, r=r: r in rs).sum())
                  for r in REASONS}
        shown = ", ".join(f"{r} {n}" for r, n in counts.items() if n) or "none"
        click.echo(f"{describer_id}: {len(flagged)} of {len(health)} flagged ({shown}) -> {path}")
        texts = descriptions_.set_index("image_id")["text"] if "text" in descriptions_ else {}
        for row in flagged.head(examples).itertuples(index=False):
            text = str(texts.get(row.image_id) or "")[:80].replace("\n", " ")
            click.echo(f"  {row.image_id}: {row.reasons}: {text!r}")


commands = [descriptions]
