"""The ``semclust`` command: assembles one command list per package.

Each package owns its commands in ``<package>/cli.py`` (a module-level list
``commands``); this file only joins them and turns :class:`UserError` into a
one-line message with exit status 2. Heavy libraries (torch, transformers,
umap) are imported inside the commands that need them, so ``--help`` is fast.
"""
from __future__ import annotations

import sys

import click

from semclust.study import UserError

# `semclust --help` lists commands in the order a study uses them; any not named here follow, sorted.
WORKFLOW = ["demo", "ingest", "describe", "descriptions", "embed", "cluster", "clusters", "search", "name",
            "ictc", "classify", "fewshot", "truth", "crosstab", "sample", "people", "checks",
            "serve", "labelstudio", "export", "simulate", "agreement", "quality", "interpretability", "report"]


class WorkflowGroup(click.Group):
    """A group that lists its commands in :data:`WORKFLOW` order, each with its whole first sentence."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(self.commands)
        return [n for n in WORKFLOW if n in names] + sorted(names - set(WORKFLOW))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))  # wrapped, never cut
        if rows:
            with formatter.section("Commands (in the order of a study)"):
                formatter.write_dl(rows)


@click.group(cls=WorkflowGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--verbose", is_flag=True, help="Show full tracebacks for errors.")
@click.version_option(package_name="semclust")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Cluster social-media images by meaning and validate the clusters with human judgment.

    \b
    A study moves through three stages, each reading and writing the study folder:
      pipeline    ingest -> describe -> embed -> cluster
      annotate    sample -> people / serve (coders rate pairs, evaluators match sets) -> export
      evaluation  agreement, quality, interpretability -> report

    Run `semclust COMMAND --help` for an example of each command.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def _register() -> None:
    from semclust.annotate.cli import commands as annotate_commands
    from semclust.evaluation.cli import commands as evaluation_commands
    from semclust.pipeline.cli import commands as pipeline_commands
    from semclust.search_cli import commands as search_commands

    for command in [*pipeline_commands, *annotate_commands, *evaluation_commands, *search_commands]:
        cli.add_command(command)


_register()


MAX_ERROR_CHARS = 1000  # an error is one line; a value quoted in it never floods the terminal


def error_line(exc: Exception, limit: int = MAX_ERROR_CHARS) -> str:
    """The message of ``exc`` on one line of at most ``limit`` characters (a cut says how much)."""
    text = " ".join(str(exc).split("\n"))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters cut)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args
    try:
        # without standalone mode, click returns ctx.exit(N)'s status instead of exiting
        status = cli.main(args=args, prog_name="semclust", standalone_mode=False)
        if isinstance(status, int) and status:
            return status
    except UserError as exc:
        if verbose:
            raise
        click.echo(f"error: {error_line(exc)}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0

