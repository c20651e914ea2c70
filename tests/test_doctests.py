"""Every docstring example in the package runs and holds.

Modules are found, not listed: every module of the installed ``semclust``
package and its stages (``semclust.pipeline``, ``semclust.annotate``,
``semclust.evaluation``; the folders pipeline/, annotate/, evaluation/) whose
source contains ``>>>`` is one test. A module with examples that never run, or
one that fails, fails here. The resource packages (templates, grids, demo data)
hold no code and are not walked.
"""
from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

ROOTS = ["semclust", "semclust.pipeline", "semclust.annotate", "semclust.evaluation"]
RESOURCES = ("semclust.templates", "semclust.grids", "semclust.data")


def _walk() -> tuple[list[str], list[str]]:
    """(every module name under ROOTS, the packages that could not be imported while walking)."""
    names, broken = [], []
    for root in ROOTS:
        package = importlib.import_module(root)
        names.append(root)
        for info in pkgutil.walk_packages(package.__path__, root + ".", onerror=broken.append):
            names.append(info.name)
    names = [n for n in dict.fromkeys(names)
             if not n.endswith(".__main__")  # importing it would run the command line
             and not any(n == r or n.startswith(r + ".") for r in RESOURCES)]
    return names, broken


def _has_examples(name: str) -> bool:
    origin = importlib.util.find_spec(name).origin
    with open(origin, encoding="utf-8") as fh:
        return ">>>" in fh.read()


MODULES, BROKEN = _walk()
WITH_EXAMPLES = [name for name in MODULES if _has_examples(name)]


def test_every_stage_is_walked_and_imports():
    assert not BROKEN, f"packages that failed to import: {BROKEN}"
    for root in ROOTS[1:]:
        assert any(name.startswith(root + ".") for name in MODULES), f"no module found under {root}"
    assert WITH_EXAMPLES, "no module with docstring examples found"


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_hold(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0, f"{name} has '>>>' in its source but doctest found no example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} example(s) of {name} failed"


def test_the_library_guide_runs():
    """docs/library.md: the notebook examples of the core run as written."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "library.md"
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15 and result.failed == 0
