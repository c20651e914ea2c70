"""What a missing tool does to a test: a loud skip on a workstation, a failure in CI.

A few end-to-end tests need more than the virtualenv: Debian's Chromium, the
Playwright package, Label Studio's own virtualenv. On a workstation without
them those tests skip, saying what is missing and how to get it. Where the
environment variable ``CI`` is set (non-empty, as every CI service sets it),
the same message fails the test instead: a CI run must never go green by
silently skipping what it was meant to check.
"""
from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """True where the environment variable ``CI`` is set to a non-empty value."""
    return bool(os.environ.get("CI", "").strip())


def require(what: str, available: bool, hint: str) -> None:
    """Go on if ``available``; else fail (under CI) or skip with ``"<what> is missing: <hint>"``."""
    if available:
        return
    message = f"{what} is missing: {hint}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
