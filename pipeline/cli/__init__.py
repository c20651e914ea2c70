"""Commands of the pipeline stage: one module per command, each a thin skin over the library.

Every module here defines a list ``commands`` of click commands (modules whose name
starts with ``_`` hold shared helpers). Modules import
heavy libraries inside the command functions only, so ``semclust --help`` is fast.
"""
from __future__ import annotations

import importlib
import pkgutil

commands: list = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):  # shared helpers, not commands
        continue
    commands.extend(importlib.import_module(f"{__name__}.{_info.name}").commands)
