"""Options every command shares, declared once: ``--study`` (an opened :class:`~semclust.study.Study`).

``@study_option()`` gives the command a ``study`` argument that is already an
opened study (``Study.open``: a missing or broken ``study.yaml`` is one line and
exit 2 before the command runs); ``required=False`` gives ``None`` when absent.
Commands that create a study (``ingest``, ``demo``) declare their own folder option.
"""
from __future__ import annotations

from pathlib import Path

import click


def _open(ctx, param, value):
    if value is None:
        return None
    from semclust.study import Study

    return Study.open(value)


def study_option(help: str = "Study folder.", required: bool = True):
    """The ``--study STUDY`` option; the command receives ``study``: a :class:`Study` (or None)."""
    return click.option("--study", "study", required=required, type=click.Path(file_okay=False, path_type=Path),
                        callback=_open, help=help)
