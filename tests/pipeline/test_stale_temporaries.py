"""An interrupted write leaves temporary files; the next write of the same folder removes them (issue 18, item 13)."""
from __future__ import annotations

import os
import time

import pandas as pd

from semclust.study import STALE_TEMPORARY_S, Study, remove_stale_temporaries


def write(study: Study, cid: str = "c1") -> None:
    study.write_clustering(cid, pd.DataFrame({"image_id": ["a", "b"], "cluster": [0, -1]}), {"seed": 1},
                           pd.DataFrame(columns=["cluster", "rank", "term", "score"]), {"n_clusters": 1})


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_writing_a_clustering_removes_temporaries_an_interrupted_write_left(tmp_path):
    study = Study.create(tmp_path / "s", tmp_path / "images")
    write(study)
    folder = study.clustering_dir("c1")
    left = [folder / ".keywords.csv.k2j4_x9a.tmp", folder / ".labels.csv.00000000.tmp"]
    for path in left:
        path.write_text("half")  # just now: a re-run right after Ctrl-C cleans them too
    kept = [folder / "notes.tmp", folder / ".hidden"]  # not temporaries of ours
    for path in kept:
        path.write_text("mine")
    write(study)  # the clustering's lock is held: no other write of these files can be running
    assert not any(p.exists() for p in left) and all(p.exists() for p in kept)


def test_a_concurrent_writers_live_temporary_in_a_clustering_folder_survives(tmp_path):
    study = Study.create(tmp_path / "s", tmp_path / "images")
    write(study)
    folder = study.clustering_dir("c1")
    live = folder / ".names.csv.abcd1234.tmp"  # `semclust name` writes here without the clustering lock
    stale = folder / ".profile-themes.csv.efgh5678.tmp"
    live.write_text("being written")
    stale.write_text("left by a killed crosstab")
    age(stale, STALE_TEMPORARY_S + 5)
    write(study)
    assert live.exists() and not stale.exists()


def test_only_old_temporaries_go_when_a_margin_is_asked(tmp_path):
    fresh = tmp_path / ".x.npy.abcdefgh.npy"
    fresh.write_bytes(b"")
    assert remove_stale_temporaries(tmp_path, min_age_s=3600) == [] and fresh.exists()
    assert remove_stale_temporaries(tmp_path) == [] and fresh.exists()  # the default margin keeps a live write
    assert remove_stale_temporaries(tmp_path, min_age_s=0) == [fresh] and not fresh.exists()


def test_the_stale_rule_is_about_a_minute():
    assert 30 <= STALE_TEMPORARY_S <= 300  # long enough for any small atomic write, short enough to clean a re-run
