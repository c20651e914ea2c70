"""`semclust export` never destroys answers the database does not have; it exports comments.

Ratings pulled from Label Studio into exports/ratings.csv (docs/label-studio.md), typed in by
hand or from another study must survive an export of an app database that lacks them.
"""
from __future__ import annotations

import os

import pandas as pd
import pytest

from semclust.annotate import answers, db
from semclust.annotate.export import export_study
from semclust.study import RATING_COLUMNS, UserError
from support.app_study import db_rows, open_phase, rate

LABEL_STUDIO_RATINGS = (
    "item_id,coder,dimension,score,round,phase,created_at\n"
    "p001,ann@lab.org,denotative,2,independent,1,2026-11-20T10:00:00Z\n"
    "p001,ann@lab.org,connotative,1,independent,1,2026-11-20T10:00:00Z\n"
    "p002,ann@lab.org,denotative,,independent,1,2026-11-20T10:01:00Z\n"
)
LABEL_STUDIO_MATCHES = "set_id,evaluator,chosen_cluster,created_at\ns1,bo@lab.org,0,2026-11-20T11:00:00Z\n"


def _exports(study) -> dict[str, bytes]:
    """Every file of exports/ with its bytes (what a refused export must leave untouched)."""
    folder = study.exports_dir
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def _write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_export_refuses_to_overwrite_label_studio_ratings_with_an_empty_database(run_cli, env):
    _write(env.study.ratings_csv, LABEL_STUDIO_RATINGS)
    before = _exports(env.study)
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(env.study.ratings_csv) in lines[0] and "--force" in lines[0]
    assert "ann@lab.org" in lines[0]  # names an example row
    assert _exports(env.study) == before  # nothing written: no header-only ratings, no new matches.csv


def test_export_refuses_when_only_matches_are_foreign_and_writes_neither_file(run_cli, env, login, admin):
    open_phase(admin, "1")
    rate(login("cora"), "p001", 2, 1)
    assert run_cli("export", "--study", env.study.root).exit_code == 0
    _write(env.study.matches_csv, LABEL_STUDIO_MATCHES)
    rate(login("colin"), "p001", 0, 0)  # new answers: a successful export would rewrite ratings.csv
    before = _exports(env.study)
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 2
    assert str(env.study.matches_csv) in result.stderr and "--force" in result.stderr
    assert _exports(env.study) == before


def test_export_study_raises_user_error_before_writing_anything(env):
    _write(env.study.ratings_csv, LABEL_STUDIO_RATINGS)
    before = _exports(env.study)
    with pytest.raises(UserError, match="--force"):
        export_study(env.study)  # what the admin dashboard's Export button calls
    assert _exports(env.study) == before


def test_export_force_overwrites_foreign_rows(run_cli, env):
    _write(env.study.ratings_csv, LABEL_STUDIO_RATINGS)
    result = run_cli("export", "--study", env.study.root, "--force")
    assert result.exit_code == 0 and "wrote 0 ratings" in result.stdout
    assert pd.read_csv(env.study.ratings_csv).columns.tolist() == [*RATING_COLUMNS, "seconds_on_item"]
    assert len(pd.read_csv(env.study.ratings_csv)) == 0


@pytest.mark.parametrize("text", [
    "pair,who,value\np001,ann,2\n",             # a CSV of other columns, with rows
    "\x00\x01\x02 not a csv \xff\n\"\n",         # not a CSV at all
])
def test_export_refuses_to_overwrite_a_file_it_cannot_compare(run_cli, env, text):
    env.study.exports_dir.mkdir(parents=True, exist_ok=True)
    env.study.ratings_csv.write_bytes(text.encode("latin-1"))
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 2 and str(env.study.ratings_csv) in result.stderr
    assert env.study.ratings_csv.read_bytes() == text.encode("latin-1")


def test_export_overwrites_its_own_earlier_export_after_answers_were_edited(run_cli, env, login, admin):
    open_phase(admin, "1")
    cora = login("cora")
    rate(cora, "p001", 0, 0)
    admin.post("/consensus/record", data={"pair_id": "p001", "dimension": "denotative", "score": "1",
                                          "csrf_token": admin.csrf})
    assert run_cli("export", "--study", env.study.root).exit_code == 0
    rate(cora, "p001", 2, 2)  # an edit: the exported rows are no longer the latest, but the database has them
    admin.post("/consensus/record", data={"pair_id": "p001", "dimension": "denotative", "score": "2",
                                          "csrf_token": admin.csrf})
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(env.study.ratings_csv, dtype=str, keep_default_na=False)
    assert set(frame["score"]) == {"2"}


def test_export_accepts_label_studio_style_files_whose_rows_the_database_has(run_cli, env, login, admin):
    """Rows are compared on their identifying columns; a matches file without `clustering` still compares."""
    admin.post("/admin/matching",
               data={"clustering": "umap5-hdb50", "action": "open", "csrf_token": admin.csrf})
    eve = login("eve")
    item = next(i for i in eve.get("/matching/state").json["items"] if i["images"][0] == "/images/i3")
    eve.post("/matching/answer", json={"item": item["key"], "choice": item["options"][0]["label"]},
             headers={"X-CSRFToken": eve.csrf})
    [row] = db_rows(env.study, "SELECT m.set_id, m.chosen_cluster FROM matches m "
                               "JOIN people p ON p.id = m.person_id WHERE p.name = 'eve'")
    _write(env.study.matches_csv, "set_id,evaluator,chosen_cluster,created_at\n"
                                  f"{row['set_id']},eve,{row['chosen_cluster']}.0,2026-11-20T11:00:00Z\n")
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 0, result.stderr
    _write(env.study.matches_csv, "set_id,evaluator,chosen_cluster,created_at\n"
                                  f"{row['set_id']},eve,{row['chosen_cluster'] + 1},2026-11-20T11:00:00Z\n")
    assert run_cli("export", "--study", env.study.root).exit_code == 2  # a choice eve never made


def test_export_replaces_simulated_rows(run_cli, env):
    _write(env.study.ratings_csv, "item_id,coder,dimension,score,round,phase,created_at\n"
                                  "p001,sim-coder-1,denotative,2,independent,1,x\n")
    _write(env.study.matches_csv, "set_id,evaluator,chosen_cluster,created_at\ns1,sim-evaluator-1,0,x\n")
    assert run_cli("export", "--study", env.study.root).exit_code == 0


# --- comments -------------------------------------------------------------------------------
def test_export_writes_the_latest_non_empty_comment_per_coder_and_pair(run_cli, env, login, admin):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p001", 1, 1, comment="blurry")
    rate(cora, "p001", 1, 2, comment="left image blurry, text unreadable")  # edited: this one counts
    rate(colin, "p001", 0, 0, comment="a meme?")
    rate(colin, "p001", 0, 0, comment="")  # cleared: colin has no comment on p001 any more
    rate(colin, "p002", None, None, cannot_judge=True, comment="image does not load")
    rate(cora, "p002", 2, 2)  # no comment at all
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 0 and "wrote 2 comments" in result.stdout
    frame = pd.read_csv(env.study.exports_dir / "comments.csv", dtype=str, keep_default_na=False)
    assert frame.columns.tolist() == ["item_id", "coder", "comment", "round", "phase", "created_at"]
    assert frame[["item_id", "coder", "comment", "round", "phase"]].values.tolist() == [
        ["p001", "cora", "left image blurry, text unreadable", "independent", "1"],
        ["p002", "colin", "image does not load", "independent", "1"]]
    assert frame["created_at"].str.endswith("Z").all()
    again = run_cli("export", "--study", env.study.root)  # its own comments are rows the database has
    assert again.exit_code == 0, again.stderr


def test_export_refuses_to_overwrite_comments_the_database_does_not_have(run_cli, env):
    _write(env.study.exports_dir / "comments.csv", "item_id,coder,comment,round,phase,created_at\n"
                                    "p001,ann@lab.org,typed by hand,independent,1,x\n")
    result = run_cli("export", "--study", env.study.root)
    assert result.exit_code == 2 and "comments.csv" in result.stderr and "--force" in result.stderr


def test_pair_comments_gives_each_coders_latest_non_empty_comment(env, login, admin):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p001", 1, 1, comment="first")
    rate(cora, "p001", 1, 1, comment="second")
    rate(colin, "p001", 1, 1, comment="colin's")
    rate(colin, "p002", 1, 1, comment="gone")
    rate(colin, "p002", 1, 1)
    rate(cora, "p003", 1, 1, comment="not asked for")
    conn = db.connect(env.study.annotations_db)
    try:
        got = answers.pair_comments(conn, ["p002", "p001", "p004"])
    finally:
        conn.close()
    assert got == {"p002": [],
                   "p001": [{"coder": "colin", "comment": "colin's"}, {"coder": "cora", "comment": "second"}],
                   "p004": []}


def test_export_on_a_database_of_random_bytes_is_one_line_naming_the_file(run_cli, env):
    env.study.annotations_db.write_bytes(os.urandom(20_000))
    result = run_cli("export", "--study", env.study.root)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert str(env.study.annotations_db) in lines[0] and "backup" in lines[0]


def test_export_on_a_truncated_database_is_one_line_naming_the_file(run_cli, env, login, admin):
    open_phase(admin, "1")
    for pair in ("p001", "p002", "p003"):
        rate(login("cora"), pair, 1, 1, comment="x" * 1000)
    # A truncated copy, as a full disk or an interrupted copy leaves it (no -wal beside it).
    checkpoint = db.connect(env.study.annotations_db)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    data = env.study.annotations_db.read_bytes()
    for suffix in ("-wal", "-shm"):
        env.study.annotations_db.with_name(env.study.annotations_db.name + suffix).unlink(missing_ok=True)
    env.study.annotations_db.write_bytes(data[: len(data) // 2])
    result = run_cli("export", "--study", env.study.root)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert str(env.study.annotations_db) in lines[0] and "backup" in lines[0]
    assert not env.study.ratings_csv.exists()
