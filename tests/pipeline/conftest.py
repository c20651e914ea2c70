"""Fixtures of the pipeline tests: a study of a few real PNG files (the describe tests).

Studies that only one file needs (the embedding tests' broken images, the grid
tests' 300 planted-topic images) are built in that file.
"""
from __future__ import annotations

import pytest

from semclust.study import Study
from support import image_study as builder


@pytest.fixture
def make_image_study(tmp_path):
    """``make_image_study(n=6, twins=0)`` -> a study of ``n`` distinct PNGs under ``tmp_path``.

    ``twins`` more images are byte-identical copies of the first ones. See
    :func:`support.image_study.make_study`; one study per test (it owns
    ``tmp_path/images`` and ``tmp_path/study``).
    """
    def make(n: int = 6, twins: int = 0) -> Study:
        return builder.make_study(tmp_path, n=n, twins=twins)
    return make


@pytest.fixture
def image_study(make_image_study) -> Study:
    """A study of 6 distinct PNGs (varied colours and sizes, some in a subfolder), nothing described."""
    return make_image_study(n=6)
