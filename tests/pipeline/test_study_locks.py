"""Read-modify-writes of study files take a lock: concurrent commands never lose a change (issue 18, item 4)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from semclust.study import Study, UserError

SEMCLUST = [sys.executable, "-m", "semclust"]


@pytest.fixture
def study(tmp_path) -> Study:
    """40 described images, no samples yet."""
    study = Study.create(tmp_path / "study", tmp_path / "images")
    ids = [f"img{k:03d}" for k in range(40)]
    study.write_images(pd.DataFrame({"image_id": ids, "path": [f"{i}.jpg" for i in ids], "sha256": "0" * 64,
                                     "width": 8, "height": 8, "status": "ok", "error": ""}))
    study.description_path("vlm").write_text(
        "".join(json.dumps({"image_id": i, "text": f"about {i}", "error": None}) + "\n" for i in ids))
    return study


def sample(study: Study, phase: str, wait_s: float = 30) -> subprocess.Popen:
    env = {**os.environ, "SEMCLUST_LOCK_WAIT_S": str(wait_s)}
    return subprocess.Popen([*SEMCLUST, "sample", "pairs", "--study", str(study.root), "--n", "20", "--phase", phase],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_sample_pairs_at_once_keep_both_phases(study):
    with study.lock("samples"):  # both start while the samples are held, then race for them
        procs = [sample(study, "a"), sample(study, "b")]
        time.sleep(1.0)
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    pairs = study.read_pairs()
    assert sorted(pairs["phase"].unique()) == ["a", "b"] and len(pairs) == 40
    assert pairs["pair_id"].is_unique
    meta = json.loads((study.samples_dir / "pairs.json").read_text())
    assert sorted(meta["phases"]) == ["a", "b"]


def test_a_writer_that_waits_too_long_exits_2_naming_the_holder(study):
    with study.lock("samples"):
        proc = sample(study, "a", wait_s=0.5)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert f"pid {os.getpid()}" in line and "another semclust command" in line
    assert not study.pairs_csv.exists()  # nothing written


def test_a_killed_holder_frees_the_lock_at_once(study):
    code = ("import sys, time\nfrom semclust.study import Study\n"
            f"with Study.open({str(study.root)!r}).lock('samples'):\n    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(UserError, match=f"pid {holder.pid}"):
        with study.lock("samples", wait_s=0.2):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with study.lock("samples", wait_s=2):  # no stale lock to clean up
        pass


def test_concurrent_people_add_of_one_name_gives_one_person(study):
    """People live in SQLite: its transactions already serialise the writers."""
    procs = [subprocess.Popen([*SEMCLUST, "people", "add", "Dana", "--role", "coder", "--study", str(study.root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    assert codes == [0, 2, 2]
    from semclust.annotate import db

    with db.opened(study.annotations_db) as conn:
        assert conn.execute("SELECT count(*) FROM people WHERE name = 'Dana'").fetchone()[0] == 1
