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


def test_six_sample_pairs_started_together_keep_every_phase(study):
    """Unsynchronised: without the lock, 3 of 3 tries of this lost one to three phases."""
    procs = [sample(study, phase) for phase in "abcdef"]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, results
    pairs = study.read_pairs()
    assert sorted(pairs["phase"].unique()) == list("abcdef") and len(pairs) == 120
    assert pairs["pair_id"].is_unique
    assert sorted(json.loads((study.samples_dir / "pairs.json").read_text())["phases"]) == list("abcdef")


def test_a_writer_that_waits_too_long_exits_2_naming_the_holder(study):
    with study.lock("samples"):
        proc = sample(study, "a", wait_s=0.5)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert f"pid {os.getpid()}" in line and "another semclust command" in line
    assert not study.pairs_csv.exists()  # nothing written


def hold(study: Study, name: str) -> subprocess.Popen:
    """Another process that holds the lock ``name`` for a minute (kill it when done)."""
    code = ("import sys, time\nfrom semclust.study import Study\n"
            f"with Study.open({str(study.root)!r}).lock({name!r}):\n    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def holders():
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_killed_holder_frees_the_lock_at_once(study, holders):
    holder = hold(study, "samples")
    holders.append(holder)
    with pytest.raises(UserError, match=f"pid {holder.pid}"):
        with study.lock("samples", wait_s=0.2):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with study.lock("samples", wait_s=2):  # no stale lock to clean up
        pass


def test_a_lock_is_reentrant_in_its_thread_and_exclusive_across_threads(study):
    import threading

    outcome = []

    def other_thread():
        try:
            with study.lock("samples", wait_s=0.2):
                outcome.append("took it")
        except UserError as exc:
            outcome.append(str(exc))

    with study.lock("samples"):
        with study.lock("samples", wait_s=0):  # the holder itself goes on
            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join()
    assert len(outcome) == 1 and "being changed by another semclust command" in outcome[0]
    with study.lock("samples", wait_s=0):  # released after the outer block
        pass


def test_a_classification_writes_nothing_while_its_clustering_is_locked(study, holders, monkeypatch):
    from semclust.pipeline.classes import ClassSpec, write_classification

    holders.append(hold(study, "clustering/cls1"))
    monkeypatch.setenv("SEMCLUST_LOCK_WAIT_S", "0.2")
    ids = [f"img{k:03d}" for k in range(40)]
    with pytest.raises(UserError, match="clustering cls1 is being changed by another semclust command"):
        write_classification(study, "cls1", ids, [k % 2 for k in range(40)],
                             [ClassSpec("a"), ClassSpec("b")], {"method": "test"})
    assert not study.clustering_dir("cls1").exists() or not any(study.clustering_dir("cls1").iterdir())


def test_an_ictc_step_waits_for_another_step_of_the_same_run(study, holders, monkeypatch):
    from semclust.pipeline.ictc.run import run_labels

    holders.append(hold(study, "criteria/r1"))
    monkeypatch.setenv("SEMCLUST_LOCK_WAIT_S", "0.2")
    with pytest.raises(UserError, match=r"IC\|TC run r1 is being changed by another semclust command"):
        run_labels(study, "r1", None, "vlm", "the stance", {})
    assert not study.criteria_dir("r1").exists()


def test_concurrent_people_add_of_one_name_gives_one_person(study):
    """People live in SQLite: its transactions already serialise the writers."""
    procs = [subprocess.Popen([*SEMCLUST, "people", "add", "Dana", "--role", "coder", "--study", str(study.root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    assert codes == [0, 2, 2]
    from semclust.annotate import db

    with db.opened(study.annotations_db) as conn:
        assert conn.execute("SELECT count(*) FROM people WHERE name = 'Dana'").fetchone()[0] == 1


def test_concurrent_writers_of_a_new_annotation_database_all_succeed(study):
    """Every command brings the database up to the schema first (its views are dropped and made
    again): processes doing so at once must neither fail nor lose a person or a check."""
    code = ("import sys\nfrom semclust.annotate import checks, db\nfrom semclust.annotate.people import add_person\n"
            "path, k = sys.argv[1], sys.argv[2]\nfor n in range(15):\n"
            "    add_person(path, f'p{k}x{n}', 'coder')\n"
            "    with db.opened(path) as conn:\n        checks.add_check(conn, 'img000', 'img000', 2, 2)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(study.annotations_db), str(k)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(5)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [e.strip().splitlines()[-1:] for e in errors]
    from semclust.annotate import db

    with db.opened(study.annotations_db) as conn:
        assert conn.execute("SELECT count(DISTINCT name) FROM people").fetchone()[0] == 75
        assert conn.execute("SELECT count(DISTINCT id) FROM checks").fetchone()[0] == 75
