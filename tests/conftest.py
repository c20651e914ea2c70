"""Shared fixtures: the CLI runner, the demo data, the tools the end-to-end tests need.

Fixtures for one area live in that area's ``conftest.py`` (``tests/annotate``,
``tests/pipeline``); only what several areas use lives here. No test module
imports a fixture. Helpers that are not fixtures (study builders, servers) live
in the ``support`` package (``tests/support``; pytest's ``pythonpath`` is ``tests``).

Tools beyond the virtualenv (Chromium, Playwright, Label Studio) are reached
only through the fixtures below, which call :func:`require`: a loud skip on a
workstation without the tool, a failure where ``CI`` is set.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.ci import require

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / "data" / "demo"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """Run ``semclust ARGS...`` in-process; returns exit_code, stdout, stderr."""
    from semclust.cli import main

    def run(*args) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """``data/demo``: the bundled demo images, descriptions and truth."""
    if not (DEMO_DIR / "truth.csv").is_file():
        pytest.fail(f"demo data missing: run `python data/make_demo.py` ({DEMO_DIR})")
    return DEMO_DIR


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    """A folder for artefacts humans may look at after a run (screenshots, reports)."""
    out = REPO / ".test-output"
    out.mkdir(exist_ok=True)
    return out


# --- tools beyond the virtualenv: skip loudly here, fail in CI (support.ci.require) -------------
@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's ``chromium``, with Playwright importable to drive it."""
    path = shutil.which("chromium")
    require("Chromium", path is not None,
            "Debian's `chromium` is not on PATH (install it with `make system-deps` "
            "or `apt-get install chromium`)")
    require("Playwright", importlib.util.find_spec("playwright") is not None,
            "the `playwright` package is not installed (`make install` installs semclust[test])")
    return path


@pytest.fixture(scope="session")
def labelstudio_venv() -> Path:
    """``.venv-labelstudio`` (Label Studio in its own virtualenv), built by ``make labelstudio`` if needed."""
    from support.labelstudio_server import LS_VENV, ensure_virtualenv

    reason = ensure_virtualenv()
    require("Label Studio (.venv-labelstudio)", reason is None,
            f"{reason} (`make labelstudio` builds it)")
    return LS_VENV


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory, demo_dir):
    """The study `semclust demo --no-serve` builds (about two minutes; shared by the slow tests)."""
    from semclust.cli import main
    from semclust.study import Study

    study_dir = tmp_path_factory.mktemp("demo") / "study"
    assert main(["demo", "--no-serve", "--study", str(study_dir)]) == 0
    return Study.open(study_dir)
