"""Commands of the annotate stage: one module per command, each a thin skin over the library.

Every module here defines a list ``commands`` of click commands. Modules import
heavy libraries inside the command functions only, so ``semclust --help`` is fast.
"""
from __future__ import annotations

import importlib
import pkgutil

import click


class Group(click.Group):
    """A command group whose ``--help`` shows each command's whole first sentence (wrapped, never cut)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str(limit=10_000)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


commands: list = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    commands.extend(importlib.import_module(f"{__name__}.{_info.name}").commands)
