"""An interrupted write leaves temporary files; the next write of the same folder removes them (issue 18, item 13)."""
from __future__ import annotations

import pandas as pd

from semclust.study import Study, remove_stale_temporaries


def write(study: Study, cid: str = "c1") -> None:
    study.write_clustering(cid, pd.DataFrame({"image_id": ["a", "b"], "cluster": [0, -1]}), {"seed": 1},
                           pd.DataFrame(columns=["cluster", "rank", "term", "score"]), {"n_clusters": 1})


def test_writing_a_clustering_removes_temporaries_an_interrupted_write_left(tmp_path):
    study = Study.create(tmp_path / "s", tmp_path / "images")
    write(study)
    folder = study.clustering_dir("c1")
    left = [folder / ".keywords.csv.k2j4_x9a.tmp", folder / ".labels.csv.00000000.tmp"]
    for path in left:
        path.write_text("half")
    kept = [folder / "notes.tmp", folder / ".hidden"]  # not temporaries of ours
    for path in kept:
        path.write_text("mine")
    write(study)  # the clustering's lock is held: nothing else can be mid-write there
    assert not any(p.exists() for p in left) and all(p.exists() for p in kept)


def test_only_old_temporaries_go_when_a_margin_is_asked(tmp_path):
    fresh = tmp_path / ".x.npy.abcdefgh.npy"
    fresh.write_bytes(b"")
    assert remove_stale_temporaries(tmp_path, min_age_s=3600) == [] and fresh.exists()
    assert remove_stale_temporaries(tmp_path) == [fresh] and not fresh.exists()
