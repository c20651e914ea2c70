"""Files a study writes get the user's umask, like any other file they create."""
from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from semclust.study import Study, atomic_write_csv


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it after."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write_csv(tmp_path / "table.csv", pd.DataFrame({"a": [1]}))
    assert mode(tmp_path / "table.csv") == expected


def test_ingested_study_is_group_readable_under_a_group_umask(tmp_path, umask, run_cli):
    umask(0o002)
    images = tmp_path / "images"
    images.mkdir()
    for i in range(2):
        Image.new("RGB", (8, 8), (i * 90, 0, 0)).save(images / f"{i}.png")
    assert run_cli("ingest", images, "--study", tmp_path / "study").exit_code == 0
    study = Study.open(tmp_path / "study")
    study.write_embeddings("e", np.zeros((2, 3)), ["a", "b"], {"model": "none"})
    written = [study.root / "images.csv", study.embedding_path("e"), study.embedding_path("e").with_suffix(".json")]
    assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o664) for p in written}
