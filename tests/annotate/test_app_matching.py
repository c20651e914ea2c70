"""Matching: blind options, stable per-evaluator order, validation, resume (real SQLite)."""
from __future__ import annotations

import pytest

from semclust.annotate.blinding import Blinder
from semclust.annotate.items import option_labels, option_order
from support.app_study import CLUSTERING, db_rows, open_matching, post_json


@pytest.fixture
def evaluator(login, admin):
    open_matching(admin)
    return login("eve")


SET_IMAGES = {"s1": ["/images/i0", "/images/i1", "/images/i2"], "s2": ["/images/i3", "/images/i4", "/images/i5"],
              "s3": ["/images/i2", "/images/i0", "/images/i1"]}


def item_of(items: list[dict], set_id: str) -> dict:
    """The item showing the images of ``set_id`` (the page never names the set)."""
    return next(i for i in items if i["images"] == SET_IMAGES[set_id])


def choose(client, item: dict, text_prefix: str):
    """Pick the option whose description starts with ``text_prefix``; returns the response."""
    label = next(o["label"] for o in item["options"] if o["text"].startswith(text_prefix))
    return post_json(client, "/matching/answer", {"item": item["key"], "choice": label})


def test_option_labels_run_a_to_z_then_aa():
    labels = option_labels(30)
    assert labels[:3] == ["A", "B", "C"] and labels[25] == "Z" and labels[26:28] == ["AA", "AB"]
    assert len(set(labels)) == 30


def test_option_order_is_stable_per_evaluator_and_varies_between_sets():
    blinder, clusters = Blinder("k" * 32), list(range(12))
    order = option_order(blinder, clusters, "c", "s1", "keywords", "eve")
    assert order == option_order(Blinder("k" * 32), clusters, "c", "s1", "keywords", "eve")
    orders = {tuple(option_order(blinder, clusters, "c", f"s{i}", "keywords", "eve")) for i in range(10)}
    assert len(orders) > 5
    assert sorted(option_order(blinder, clusters, "c", "s1", "keywords", "evan")) == clusters
    assert option_order(Blinder("q" * 32), clusters, "c", "s1", "keywords", "eve") != order  # another key


def test_evaluator_sees_sets_only_once_matching_is_opened(login, admin):
    eve = login("eve")
    assert eve.get("/matching/state").json["items"] == []
    open_matching(admin)
    items = eve.get("/matching/state").json["items"]
    assert [len(i["images"]) for i in items] == [3, 3, 3]
    assert all(len(i["options"]) == 3 for i in items)  # clusters 0, 1, 2; noise is no option


def test_matching_page_reveals_no_cluster_or_set_ids(evaluator):
    state = evaluator.get("/matching/state").json
    html = evaluator.get("/matching/").get_data(as_text=True)
    for text in (html, str(state)):
        assert CLUSTERING not in text and "cluster" not in text and "'s1'" not in text and '"s1"' not in text
    assert {o["text"] for o in state["items"][0]["options"]} == {"word00, word01, word02", "word10, word11, word12",
                                                                  "word20, word21, word22"}


def test_set_order_is_shuffled_per_evaluator_not_file_order(login, admin):
    open_matching(admin)
    orders = {name: [i["images"] for i in login(name).get("/matching/state").json["items"]]
              for name in ("eve", "evan")}
    file_order = [SET_IMAGES[s] for s in ("s1", "s2", "s3")]
    assert sorted(orders["eve"]) == sorted(file_order)
    assert orders["eve"] != orders["evan"] or orders["eve"] != file_order


def test_option_order_is_the_same_on_every_visit(evaluator, login):
    first = evaluator.get("/matching/state").json["items"]
    again = login("eve").get("/matching/state").json["items"]
    assert [i["options"] for i in first] == [i["options"] for i in again]


def test_match_records_the_cluster_behind_the_chosen_label(evaluator, env):
    item = item_of(evaluator.get("/matching/state").json["items"], "s1")  # cluster 0
    response = choose(evaluator, item, "word00")
    assert response.status_code == 200
    rows = db_rows(env.study, "SELECT clustering, set_id, chosen_cluster, shown_label FROM matches")
    assert rows == [{"clustering": CLUSTERING, "set_id": "s1", "chosen_cluster": 0,
                     "shown_label": next(o["label"] for o in item["options"] if o["text"].startswith("word00"))}]


@pytest.mark.parametrize("body", [{"item": "nope", "choice": "A"}, {"item": None, "choice": "A"},
                                  {"choice": "A"}, ["A"], {"item": "KEY", "choice": "Z"},
                                  {"item": "KEY", "choice": 0}, {"item": "KEY"}])
def test_invalid_match_is_400_and_writes_nothing(evaluator, env, body):
    if isinstance(body, dict) and body.get("item") == "KEY":
        body = {**body, "item": evaluator.get("/matching/state").json["items"][0]["key"]}
    assert post_json(evaluator, "/matching/answer", body).status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM matches")[0]["n"] == 0


def test_match_of_closed_clustering_is_400(evaluator, admin, env):
    item = evaluator.get("/matching/state").json["items"][0]
    open_matching(admin, action="close")
    assert choose(evaluator, item, "word00").status_code == 400


def test_match_without_csrf_is_400(evaluator, env):
    item = evaluator.get("/matching/state").json["items"][0]
    response = evaluator.post("/matching/answer", json={"item": item["key"], "choice": "A"})
    assert response.status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM matches")[0]["n"] == 0


@pytest.mark.parametrize("name", ["cora", "ada"])
def test_matching_is_403_for_other_roles(login, name):
    client = login(name)
    assert client.get("/matching/").status_code == 403
    assert client.get("/matching/state").status_code == 403
    assert post_json(client, "/matching/answer", {"item": "x", "choice": "A"}).status_code == 403


def test_matching_resumes_and_edits_append(evaluator, login, env):
    items = evaluator.get("/matching/state").json["items"]
    s1, s2 = item_of(items, "s1"), item_of(items, "s2")
    choose(evaluator, s1, "word00")
    choose(evaluator, s2, "word10")
    choose(evaluator, s1, "word20")  # changed her mind
    state = login("eve").get("/matching/state").json
    assert state["items"][state["start"]]["images"] == SET_IMAGES["s3"]  # resumes at the open set
    assert item_of(state["items"], "s1")["answer"] == next(
        o["label"] for o in s1["options"] if o["text"].startswith("word20"))
    history = db_rows(env.study, "SELECT chosen_cluster FROM matches WHERE set_id = 's1' ORDER BY id")
    assert [r["chosen_cluster"] for r in history] == [0, 2]
    assert login("evan").get("/matching/state").json["start"] == 0  # others' choices are not shown
