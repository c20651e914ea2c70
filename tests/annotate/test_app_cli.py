"""People, export and serve commands; database durability settings and export rules."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from semclust.annotate import db
from semclust.annotate.export import export_study
from semclust.annotate.people import hash_token
from semclust.study import MATCH_COLUMNS, RATING_COLUMNS
from support.app_study import db_rows, free_port, open_phase, rate, sign_in

REPO = Path(__file__).resolve().parents[2]
REPO_SEMCLUST = [sys.executable, "-m", "semclust"]


def test_people_add_prints_a_working_link_and_stores_only_the_hash(run_cli, env, app):
    result = run_cli("people", "add", "Dana", "--role", "coder", "--study", env.study.root)
    assert result.exit_code == 0, result.stderr
    link = result.stdout.strip().split()[-1]
    assert link.startswith("http://127.0.0.1:5000/login/")
    token = link.rsplit("/", 1)[1]
    raw = env.study.annotations_db.read_bytes() + (env.study.annotations_db.with_name("annotations.sqlite-wal")
                                                   .read_bytes() if env.study.annotations_db.with_name(
                                                       "annotations.sqlite-wal").exists() else b"")
    assert token.encode() not in raw
    assert db_rows(env.study, "SELECT token_hash FROM people WHERE name = 'Dana'") == [{"token_hash": hash_token(token)}]
    response = sign_in(app.test_client(), token)
    assert response.status_code == 302 and response.location.endswith("/pairs/")


@pytest.mark.parametrize("args, message", [
    (["cora", "--role", "coder"], "already exists"),
    (["consensus", "--role", "coder"], "reserved"),
    (["../x", "--role", "coder"], "invalid person name"),
])
def test_people_add_refuses_bad_names_with_exit_2(run_cli, env, args, message):
    result = run_cli("people", "add", *args, "--study", env.study.root)
    assert result.exit_code == 2 and message in result.stderr


def test_people_add_refuses_unknown_role(run_cli, env):
    assert run_cli("people", "add", "x", "--role", "boss", "--study", env.study.root).exit_code == 2


def test_people_list_shows_names_and_roles_without_links(run_cli, env):
    result = run_cli("people", "list", "--study", env.study.root)
    assert result.exit_code == 0
    assert "cora\tcoder" in result.stdout and "ada\tadmin" in result.stdout and "/login/" not in result.stdout


def test_people_link_replaces_the_old_token(run_cli, env, app):
    result = run_cli("people", "link", "cora", "--study", env.study.root, "--base-url", "http://h:1")
    assert result.exit_code == 0 and "http://h:1/login/" in result.stdout
    client = app.test_client()
    assert sign_in(client, env.tokens['cora']).status_code == 403
    assert sign_in(client, result.stdout.split('/login/')[1].strip()).status_code == 302
    assert run_cli("people", "link", "nobody", "--study", env.study.root).exit_code == 2


def test_people_on_a_missing_study_is_exit_2(run_cli, tmp_path):
    result = run_cli("people", "list", "--study", tmp_path / "none")
    assert result.exit_code == 2 and "not a study folder" in result.stderr


def test_database_uses_wal_and_full_sync_and_survives_reinit(env):
    db.init_db(env.study.annotations_db)  # a second start must not lose anyone
    conn = db.connect(env.study.annotations_db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert len(conn.execute("SELECT * FROM people").fetchall()) == 5
    finally:
        conn.close()


def test_schema_refuses_scores_outside_the_scale(env):
    conn = db.connect(env.study.annotations_db)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO ratings (pair_id, person_id, dimension, score, round, phase, created_at) "
                         "VALUES ('p001', 1, 'denotative', 3, 'independent', '1', 'now')")
    finally:
        conn.close()


def test_export_keeps_latest_per_item_coder_dimension_round(login, admin, env, run_cli):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p001", 0, 0)
    rate(cora, "p001", 2, 1)  # edit: this one counts
    rate(colin, "p001", None, None, cannot_judge=True)
    for score in ("0", "2"):  # two consensus sessions: the latest counts
        admin.post("/consensus/record", data={"pair_id": "p001", "dimension": "denotative", "score": score,
                                              "csrf_token": admin.csrf})
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 0 and "wrote 5 ratings" in result.stdout
    frame = pd.read_csv(env.study.ratings_csv, dtype={"item_id": str, "phase": str}, keep_default_na=False)
    assert list(frame.columns) == [*RATING_COLUMNS, "seconds_on_item"]
    got = {(r.coder, r.dimension, r.round): r.score for r in frame.itertuples()}
    assert got == {("cora", "denotative", "independent"): "2", ("cora", "connotative", "independent"): "1",
                   ("colin", "denotative", "independent"): "", ("colin", "connotative", "independent"): "",
                   ("consensus", "denotative", "consensus"): "2"}
    assert set(frame["phase"]) == {"1"} and frame["created_at"].str.endswith("Z").all()


def test_export_of_matches_and_of_an_empty_database(env, login, admin):
    ratings, matches, n_ratings, n_matches = export_study(env.study)
    assert (n_ratings, n_matches) == (0, 0)
    assert pd.read_csv(matches).columns.tolist()[:4] == MATCH_COLUMNS
    admin.post("/admin/matching", data={"clustering": "umap5-hdb50", "action": "open", "csrf_token": admin.csrf})
    eve = login("eve")
    item = next(i for i in eve.get("/matching/state").json["items"] if i["images"][0] == "/images/i3")  # set s2
    label = item["options"][0]["label"]
    eve.post("/matching/answer", json={"item": item["key"], "choice": label}, headers={"X-CSRFToken": eve.csrf})
    export_study(env.study)
    frame = pd.read_csv(env.study.matches_csv, dtype={"set_id": str})
    assert frame[["set_id", "evaluator", "clustering"]].values.tolist() == [["s2", "eve", "umap5-hdb50"]]
    assert frame["chosen_cluster"].iloc[0] in (0, 1, 2)


def _get(url: str, timeout: float = 2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_serve_images_only_runs_waitress_on_loopback(env):
    port = free_port()
    proc = subprocess.Popen([*REPO_SEMCLUST, "serve", "--study", str(env.study.root), "--port", str(port),
                             "--images-only"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/images/i1")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert status == 200 and body == (env.study.image_root / "img1.png").read_bytes()
        assert _get(f"http://127.0.0.1:{port}/pairs/")[0] == 404
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/" in out and "images only" in out
