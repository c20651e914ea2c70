"""`semclust demo`: the whole method on the bundled demo data, as a user would type it."""
from __future__ import annotations

import shlex
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"


def demo_steps(study: Path) -> list[list[str]]:
    """The commands the demo runs, in order (each is a `semclust` argv)."""
    s = str(study)
    return [
        ["ingest", str(DEMO / "images"), "--study", s, "--name", "demo"],
    ]


@click.command()
@click.option("--study", "study_dir", type=click.Path(path_type=Path), default=Path("studies/demo"),
              show_default=True, help="Where to build the demo study.")
@click.option("--no-serve", is_flag=True, help="Stop after the report; do not start the app.")
@click.pass_context
def demo(ctx, study_dir, no_serve):
    """Run ingest -> describe -> embed -> cluster -> sample -> evaluate on data/demo.

    Each step is printed as the `semclust` command a user would type, then run.

    \b
    Example:
      semclust demo --no-serve
    """
    root = ctx.find_root().command
    for argv in demo_steps(study_dir):
        click.secho(f"$ semclust {shlex.join(argv)}", fg="cyan", err=True)
        root.main(args=argv, prog_name="semclust", standalone_mode=False)


commands = [demo]
