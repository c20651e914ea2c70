"""A missing tool skips a test loudly on a workstation and fails it in CI (support.ci.require).

CI services set ``CI`` (``CI=true``); where it is set, a test that needs
Chromium, Playwright or Label Studio and cannot have it fails, naming what is
missing and how to get it, instead of going green by skipping.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.ci import in_ci, require

REPO = Path(__file__).resolve().parents[1]
NEEDS_A_TOOL = '''
from support.ci import require


def test_needs_the_frobnicator():
    require("Frobnicator", False, "install it with `apt-get install frobnicator`")
'''


def _environment(ci: str | None, path: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI" and "CHROMIUM" not in k.upper()}
    if ci is not None:
        env["CI"] = ci
    if path is not None:
        env["PATH"] = path
    return env


def _pytest(args: list, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``pytest ARGS`` in a child, with this repository's pytest configuration."""
    return subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"),
                           "--rootdir", str(REPO), "-p", "no:cacheprovider", *map(str, args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("", False), (None, False)])
def test_ci_means_the_variable_is_set_and_not_empty(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_require_fails_under_ci_and_skips_elsewhere_with_the_same_message(monkeypatch):
    message = "Frobnicator is missing: install it with `apt-get install frobnicator`"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=message):
        require("Frobnicator", False, "install it with `apt-get install frobnicator`")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=message):
        require("Frobnicator", False, "install it with `apt-get install frobnicator`")
    require("Frobnicator", True, "never shown")  # available: nothing happens


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["true", "", None], ids=["CI=true", "CI=", "no-CI"])
def test_a_missing_tool_fails_the_run_in_ci_and_is_a_loud_skip_elsewhere(tmp_path, ci):
    test_file = tmp_path / "test_needs_a_tool.py"
    test_file.write_text(NEEDS_A_TOOL)
    done = _pytest(["-q", test_file], _environment(ci))
    output = done.stdout + done.stderr
    assert "Frobnicator is missing: install it with `apt-get install frobnicator`" in output, output
    if ci:
        assert done.returncode == 1, output
        assert "1 failed" in output and "skipped" not in output, output
    else:
        assert done.returncode == 0, output
        assert "1 skipped" in output and "failed" not in output, output


def _path_without_chromium() -> str:
    """$PATH less every folder that holds a ``chromium`` executable."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders
                           if f and not os.access(os.path.join(f, "chromium"), os.X_OK))


@pytest.mark.slow
@pytest.mark.parametrize("target", [["tests/annotate/test_browser.py"],
                                    ["tests/evaluation/test_report.py", "-m", "browser"]],
                         ids=["app", "report"])
def test_browser_tests_fail_in_ci_when_chromium_is_absent(target):
    done = _pytest(["-x", "-q", *target], _environment("true", path=_path_without_chromium()))
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Chromium is missing" in output and "make system-deps" in output, output
    assert "skipped" not in output.strip().splitlines()[-1], output
