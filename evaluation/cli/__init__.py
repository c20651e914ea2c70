"""Commands of the evaluation stage: one module per command, each a thin skin over the library.

Every module here defines a list ``commands`` of click commands. Modules import
heavy libraries inside the command functions only, so ``semclust --help`` is fast.
"""
from __future__ import annotations

import importlib
import pkgutil

commands: list = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    commands.extend(importlib.import_module(f"{__name__}.{_info.name}").commands)
