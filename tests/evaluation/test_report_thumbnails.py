"""The report's thumbnails are written atomically and a broken cached one is made again (issue 18, item 13)."""
from __future__ import annotations

import os
import time

from PIL import Image

from semclust.evaluation.report_map import thumbnails
from support.app_study import make_study


def test_a_half_written_thumbnail_is_made_again(tmp_path):
    study = make_study(tmp_path).study
    out = tmp_path / "reports"
    first = thumbnails(study, ["i0", "i1"], out)
    target = out / first["i0"]
    whole = target.read_bytes()
    target.write_bytes(whole[: len(whole) // 2])  # what a full disk left behind before
    again = thumbnails(study, ["i0", "i1"], out)
    assert again == first and target.read_bytes() == whole
    with Image.open(target) as img:
        img.load()


def test_thumbnails_leave_no_temporary_files_and_clean_stale_ones(tmp_path):
    study = make_study(tmp_path).study
    out = tmp_path / "reports"
    (out / "thumbs").mkdir(parents=True)
    stale = out / "thumbs" / ".i3.jpg.abcd1234.tmp"
    live = out / "thumbs" / ".i4.jpg.efgh5678.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    thumbnails(study, ["i0", "i2"], out)
    names = sorted(p.name for p in (out / "thumbs").iterdir())
    assert names == [".i4.jpg.efgh5678.tmp", "i0.jpg", "i2.jpg"]  # a recent one may be a live write
