"""Names or keywords (issue 12): sets matched under LLM names, keywords, or both, compared per kind."""
from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from semclust.annotate import db
from semclust.annotate.export import export_study
from semclust.annotate.samples import description_kinds, sets_meta_path
from semclust.evaluation.interpretability import interpretability_by_kind, kind_comparison
from semclust.resources import resource_path
from support.app_study import CLUSTERING, db_rows, open_matching, post_json

NAMES = {0: "red things", 1: "blue things", 2: "green thing"}
KEYWORDS = {"word00, word01, word02", "word10, word11, word12", "word20, word21, word22"}


def write_names(study, names=NAMES) -> None:
    pd.DataFrame([{"cluster": c, "name": n, "status": "ok", "doc_image_ids": ""}
                  for c, n in names.items()]).to_csv(study.clustering_dir(CLUSTERING) / "names.csv", index=False)


def sample_sets(run_cli, study, kind: str, *extra):
    # clusters 0 and 1 have 3 images each, cluster 2 one: one set each of clusters 0 and 1
    return run_cli("sample", "sets", "--study", study.root, "--clustering", CLUSTERING,
                   "--per-cluster", 1, "--size", 3, "--descriptions", kind, *extra)


@pytest.fixture
def named(env, run_cli):
    write_names(env.study)
    result = sample_sets(run_cli, env.study, "names", "--force")
    assert result.exit_code == 0, result.stderr
    assert "descriptions: names" in result.stdout
    return env


def is_red(item: dict) -> bool:
    """Whether the item shows a set of cluster 0 (images i0, i1, i2, in the drawn order)."""
    return set(item["images"]) == {"/images/i0", "/images/i1", "/images/i2"}


def choose(client, item: dict, text: str):
    label = next(o["label"] for o in item["options"] if o["text"] == text)
    return post_json(client, "/matching/answer", {"item": item["key"], "choice": label})


def test_sets_sampled_with_names_show_names_on_the_matching_page(named, login, admin):
    assert json.loads(sets_meta_path(named.study, CLUSTERING).read_text()) == {"descriptions": ["names"]}
    open_matching(admin)
    eve = login("eve")
    items = eve.get("/matching/state").json["items"]
    assert len(items) == 2
    assert all({o["text"] for o in i["options"]} == set(NAMES.values()) for i in items)
    html = eve.get("/matching/").get_data(as_text=True)
    assert "red things" in html and "word00" not in html


def test_answer_records_the_kind_and_export_writes_it(named, login, admin):
    open_matching(admin)
    eve = login("eve")
    item = next(i for i in eve.get("/matching/state").json["items"] if is_red(i))
    assert choose(eve, item, "red things").status_code == 200
    assert db_rows(named.study, "SELECT chosen_cluster, descriptions FROM matches") == [
        {"chosen_cluster": 0, "descriptions": "names"}]
    export_study(named.study)
    frame = pd.read_csv(named.study.matches_csv)
    assert frame.columns.tolist()[-2:] == ["clustering", "descriptions"]
    assert frame["descriptions"].tolist() == ["names"]


def test_both_kinds_give_each_set_once_per_kind_on_separate_pages(named, login, admin, run_cli):
    before = named.study.sets_csv(CLUSTERING).read_bytes()
    added = sample_sets(run_cli, named.study, "keywords")  # same sets, other kind: no --force needed
    assert added.exit_code == 0, added.stderr
    assert named.study.sets_csv(CLUSTERING).read_bytes() == before
    assert description_kinds(named.study, CLUSTERING) == ["names", "keywords"]
    again = sample_sets(run_cli, named.study, "keywords")
    assert again.exit_code == 2 and "--force" in again.stderr

    open_matching(admin)
    eve = login("eve")
    items = eve.get("/matching/state").json["items"]
    assert len(items) == 4 and len({i["key"] for i in items}) == 4
    kinds = []
    for item in items:
        texts = {o["text"] for o in item["options"]}
        assert texts in (set(NAMES.values()), KEYWORDS)  # never both kinds on one page
        kinds.append("names" if texts == set(NAMES.values()) else "keywords")
    assert sorted(kinds) == ["keywords", "keywords", "names", "names"]
    for item, kind in zip(items, kinds):
        red = is_red(item)
        # names: right every time; keywords: cluster 0 every time (right for one set of two)
        text = ("red things" if red else "blue things") if kind == "names" else "word00, word01, word02"
        assert choose(eve, item, text).status_code == 200
    state = eve.get("/matching/state").json
    assert state["start"] == 4 and all(i["answer"] for i in state["items"])

    export_study(named.study)
    frame = pd.read_csv(named.study.matches_csv)
    assert sorted(frame["descriptions"]) == ["keywords", "keywords", "names", "names"]
    result = run_cli("interpretability", "--study", named.study.root, "--clustering", CLUSTERING, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out["by_descriptions"]) == ["keywords", "names"]
    assert {r["descriptions"]: r["accuracy"] for r in out["comparison"]} == {"keywords": 0.5, "names": 1.0}
    text = run_cli("interpretability", "--study", named.study.root, "--clustering", CLUSTERING)
    assert "descriptions: names" in text.stdout and "precision (macro)" in text.stdout


def test_names_missing_for_a_cluster_exit_2_and_write_nothing(env, run_cli):
    write_names(env.study, {0: "red things", 2: "green thing"})
    before = env.study.sets_csv(CLUSTERING).read_bytes()
    result = sample_sets(run_cli, env.study, "names", "--force")
    assert result.exit_code == 2
    assert "cluster(s) 1" in result.stderr and "semclust name" in result.stderr
    assert env.study.sets_csv(CLUSTERING).read_bytes() == before
    assert not sets_meta_path(env.study, CLUSTERING).exists()
    (env.study.clustering_dir(CLUSTERING) / "names.csv").unlink()
    assert "semclust name" in sample_sets(run_cli, env.study, "names", "--force").stderr


def test_old_database_gains_the_descriptions_column_and_keeps_its_matches(tmp_path):
    path = tmp_path / "annotations.sqlite"
    conn = sqlite3.connect(path)  # the schema before issue 12: matches without descriptions
    conn.executescript(resource_path("annotate", "schema.sql").read_text(encoding="utf-8"))
    conn.execute("INSERT INTO people (name, role, token_hash, created_at) VALUES ('eve', 'evaluator', 'x', 't')")
    conn.execute("INSERT INTO matches (clustering, set_id, person_id, chosen_cluster, shown_label, created_at) "
                 "VALUES ('c', 's1', 1, 0, 'A', 't')")
    conn.commit()
    conn.close()
    db.init_db(path)
    conn = db.connect(path)
    try:
        assert [dict(r) for r in conn.execute("SELECT set_id, descriptions FROM matches")] == [
            {"set_id": "s1", "descriptions": "keywords"}]
        assert db.migrate(conn) == []
    finally:
        conn.close()


def test_interpretability_per_kind_and_keywords_where_the_column_is_empty():
    sets = pd.DataFrame({"set_id": ["s1", "s2"], "cluster": [0, 1], "image_ids": "a;b"})
    matches = pd.DataFrame({"set_id": ["s1", "s2", "s1", "s2"], "evaluator": "eve",
                            "chosen_cluster": [0, 0, 0, 1], "descriptions": ["", "keywords", "names", "names"]})
    rows = kind_comparison(interpretability_by_kind(matches, sets))
    assert [(r["descriptions"], r["n_sets"], r["accuracy"]) for r in rows] == [("keywords", 2, 0.5),
                                                                             ("names", 2, 1.0)]
    assert rows[1]["precision_macro"] == 1.0 and rows[1]["recall_macro"] == 1.0


def _report_study_builder():
    path = Path(__file__).parents[1] / "evaluation" / "test_report.py"
    spec = importlib.util.spec_from_file_location("_report_study_for_names", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_study


def test_report_shows_names_and_keywords_side_by_side(tmp_path):
    from semclust.evaluation.report import build_report

    study, _ = _report_study_builder()(tmp_path, n_per_theme=12)
    keywords = pd.read_csv(study.matches_csv, dtype={"set_id": str})
    names = keywords.copy()
    names["chosen_cluster"] = (names["chosen_cluster"] + 1) % 4  # names: every set wrong
    both = pd.concat([keywords.assign(descriptions="keywords"), names.assign(descriptions="names")])
    both.to_csv(study.matches_csv, index=False)
    page = Path(build_report(study, clustering="text--good", bootstrap=20)).read_text(encoding="utf-8")
    assert "Names or keywords" in page
    table = pd.read_csv(study.reports_dir / "tables" / "matching_kinds.csv") \
        if (study.reports_dir / "tables" / "matching_kinds.csv").is_file() else None
    assert table is not None, sorted(p.name for p in study.reports_dir.rglob("matching*"))
    assert table["descriptions"].tolist() == ["keywords", "names"]
    assert table["accuracy"].tolist() == [1.0, 0.0]


def test_labelstudio_key_uses_names_when_the_sets_are_matched_under_names_only(named, run_cli):
    from semclust.annotate.labelstudio import matching_key

    key = matching_key(named.study, CLUSTERING)
    assert all({text for _, _, text in options} == set(NAMES.values()) for options in key["sets"].values())
    assert sample_sets(run_cli, named.study, "keywords").exit_code == 0  # both kinds: keywords there
    key = matching_key(named.study, CLUSTERING)
    assert all({text for _, _, text in options} == KEYWORDS for options in key["sets"].values())
