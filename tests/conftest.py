"""Shared fixtures: the CLI runner, the demo data, temporary studies.

Fixtures for one area live in that area's test files; only what several
areas use lives here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

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
