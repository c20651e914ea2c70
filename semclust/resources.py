"""Files shipped inside the package: templates, grids, the demo set, word lists.

Every shipped file is found here, through :mod:`importlib.resources`, so semclust
works the same from a checkout (editable install) and from an installed wheel.
Each resource folder is a package of its own (``semclust.templates``,
``semclust.grids``, ``semclust.data``) so that both kinds of install can find it.
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def resource_path(package: str, *parts: str) -> Path:
    """Path on disk of a file or folder shipped in ``semclust.<package>``.

    Parameters
    ----------
    package : str
        The package below ``semclust`` that holds it, e.g. ``"templates"``,
        ``"grids"``, ``"data"``, ``"pipeline"``.
    *parts : str
        Path components below that package's folder.

    Returns a real :class:`~pathlib.Path` (Jinja, Flask and file readers need one);
    a zipped install, which has none, raises ``RuntimeError``.
    """
    root = files(f"semclust.{package}")
    try:
        base = Path(os.fspath(root))
    except TypeError as exc:  # a zip import: no folder on disk
        raise RuntimeError(f"semclust must be installed unzipped; {root!r} is not a folder") from exc
    return base.joinpath(*parts)


def templates_dir() -> Path:
    """Jinja templates and static files of the app, the report and Label Studio."""
    return resource_path("templates")


def grids_dir() -> Path:
    """The shipped grid files (``paper.yaml``, ``demo.yaml``)."""
    return resource_path("grids")


def demo_dir() -> Path:
    """The bundled demo set: ``images/``, ``descriptions.jsonl``, ``truth.csv``."""
    return resource_path("data", "demo")
