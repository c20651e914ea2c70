"""Blinding holds against a curious coder or evaluator (issue 18, items 1 and 2).

Every order a person is shown (pairs, checks, sets, options, Label Studio tasks) and every item id
comes from HMAC under the study's blinding key (STUDY/.blinding_key), which never reaches a browser.
Two copies of one study with different keys show the same person different orders and ids; item ids
have one shape for every kind of item and say nothing about clusters or order.
"""
from __future__ import annotations

import re
import shutil

import pytest

from semclust.annotate import labelstudio as ls
from semclust.annotate.blinding import ITEM_ID_CHARS, Blinder, blinding_key_path, is_item_id
from semclust.study import Study
from support.app_study import CLUSTERING, AppStudy, blinded, csrf_from, open_matching, open_phase, sign_in

ITEM_ID = re.compile(rf"^[0-9a-f]{{{ITEM_ID_CHARS}}}$")


@pytest.fixture
def twin(env, tmp_path, jinja_cache):
    """``twin(key)`` -> logged-in clients of a copy of the study with its own blinding key."""
    from semclust.annotate.app import create_app

    def make(key: str):
        root = tmp_path / f"copy-{key[:4]}"
        shutil.copytree(env.study.root, root)
        blinding_key_path(root).write_text(key + "\n", encoding="ascii")
        app = create_app({"STUDY": root, "TESTING": True})
        app.jinja_env.bytecode_cache = jinja_cache

        def login(name):
            client = app.test_client()
            assert sign_in(client, env.tokens[name]).status_code == 302
            client.csrf = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))
            client.item = blinded(app, name)
            return client
        admin = login("ada")
        open_phase(admin, "1")
        open_phase(admin, "2")
        open_matching(admin)
        return login
    return make


def queue(client, url: str, key: str) -> list[str]:
    return [item[key] for item in client.get(url).json["items"]]


def test_two_copies_with_different_keys_show_one_person_different_orders_and_ids(twin, env):
    first, second = twin("a" * 32), twin("b" * 32)
    cora_1, cora_2 = first("cora"), second("cora")
    pairs_1 = [cora_1.item("pair", p) for p in env.pairs["pair_id"]]
    pairs_2 = [cora_2.item("pair", p) for p in env.pairs["pair_id"]]
    order_1 = [pairs_1.index(i) for i in queue(cora_1, "/pairs/state", "pair_id")]
    order_2 = [pairs_2.index(i) for i in queue(cora_2, "/pairs/state", "pair_id")]
    assert sorted(order_1) == sorted(order_2) == list(range(6))
    assert order_1 != order_2  # the same coder, another key: another order
    assert not set(pairs_1) & set(pairs_2)  # and other ids
    eve_1, eve_2 = first("eve"), second("eve")
    state_1, state_2 = eve_1.get("/matching/state").json, eve_2.get("/matching/state").json
    assert not {i["key"] for i in state_1["items"]} & {i["key"] for i in state_2["items"]}
    options = lambda state: [tuple(o["text"] for o in item["options"]) for item in state["items"]]  # noqa: E731
    images = lambda state: [tuple(item["images"]) for item in state["items"]]  # noqa: E731
    assert (images(state_1), options(state_1)) != (images(state_2), options(state_2))


def test_the_same_key_gives_the_same_orders_on_every_visit(twin):
    first = twin("c" * 32)
    assert queue(first("cora"), "/pairs/state", "pair_id") == queue(first("cora"), "/pairs/state", "pair_id")
    assert first("eve").get("/matching/state").json == first("eve").get("/matching/state").json


def test_orders_differ_between_people_of_one_study(login, admin):
    open_phase(admin, "1")
    open_phase(admin, "2")
    cora, colin = login("cora"), login("colin")
    reverse = lambda client: {client.item("pair", f"p{k:03d}"): k for k in range(1, 7)}  # noqa: E731
    cora_order = [reverse(cora)[i] for i in queue(cora, "/pairs/state", "pair_id")]
    colin_order = [reverse(colin)[i] for i in queue(colin, "/pairs/state", "pair_id")]
    assert sorted(cora_order[:4]) == sorted(colin_order[:4]) == [1, 2, 3, 4]  # phase by phase
    assert cora_order != colin_order


def test_matching_order_is_not_the_public_hash_of_clustering_set_and_person(login, admin, env):
    """The attack of the review: recompute the order from the clustering id, set id and name."""
    import hashlib
    import random

    open_matching(admin)
    state = login("eve").get("/matching/state").json
    texts = {c: ", ".join(f"word{c}{r}" for r in range(3)) for c in (0, 1, 2)}
    predicted = []
    for set_id in ("s1", "s2", "s3"):
        seed = hashlib.sha256(f"{CLUSTERING}\x1f{set_id}\x1feve".encode()).hexdigest()
        order = [0, 1, 2]
        random.Random(int(seed[:16], 16)).shuffle(order)
        predicted.append(tuple(texts[c] for c in order))
    sorted_sets = sorted(env.sets["set_id"], key=lambda s: hashlib.sha256(
        f"{CLUSTERING}\x1f{s}\x1feve\x1forder".encode()).hexdigest())
    shown = [tuple(o["text"] for o in item["options"]) for item in state["items"]]
    public = [predicted[["s1", "s2", "s3"].index(s)] for s in sorted_sets]
    blinder = Blinder(blinding_key_path(env.study.root).read_text().strip())
    keyed = blinder.order("eve", ("sets", CLUSTERING, "keywords"), ["s1", "s2", "s3"])
    expected = [tuple(texts[c] for c in blinder.order("eve", ("options", CLUSTERING, s, "keywords"), [0, 1, 2]))
                for s in keyed]
    assert shown == expected  # derived from the key ...
    assert shown != public   # ... not from public facts


def test_item_ids_have_one_shape_for_pairs_checks_and_sets(env, login, admin, run_cli):
    assert run_cli("checks", "add", "i0", "i0", "--denotative", "2", "--connotative", "2",
                   "--study", env.study.root).exit_code == 0
    open_phase(admin, "1")
    open_matching(admin)
    cora = login("cora")
    ids = queue(cora, "/pairs/state", "pair_id")
    assert len(ids) == 5 and all(ITEM_ID.match(i) for i in ids)  # 4 pairs and the check look alike
    keys = queue(login("eve"), "/matching/state", "key")
    assert len(keys) == 3 and all(ITEM_ID.match(k) for k in keys)
    for page in (cora.get("/pairs/").get_data(as_text=True), login("eve").get("/matching/").get_data(as_text=True)):
        for leak in ("p001", "s1\"", "s2\"", CLUSTERING, "check"):
            assert leak not in page


def test_an_item_id_of_another_person_or_a_raw_pair_id_is_refused(login, admin):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    for key in ("p001", colin.item("pair", "p001")):
        response = cora.post("/pairs/answer", json={"pair_id": key, "denotative": 1, "connotative": 1},
                             headers={"X-CSRFToken": cora.csrf})
        assert response.status_code == 400 and response.json["ok"] is False


def test_the_blinding_key_never_reaches_a_browser(env, login, admin):
    open_phase(admin, "1")
    open_matching(admin)
    key = blinding_key_path(env.study.root).read_text().strip()
    for name, urls in (("cora", ["/pairs/", "/pairs/state"]), ("eve", ["/matching/", "/matching/state"]),
                       ("ada", ["/admin/", "/consensus/?phase=1"])):
        client = login(name)
        for url in urls:
            response = client.get(url)
            assert key not in response.get_data(as_text=True) and key not in str(response.headers)


def test_label_studio_refs_and_orders_are_keyed(ls_study, tmp_path):
    copy = Study.open(shutil.copytree(ls_study.root, tmp_path / "ls-copy"))
    blinding_key_path(copy.root).unlink(missing_ok=True)
    blinding_key_path(ls_study.root).unlink(missing_ok=True)
    url = lambda image_id: f"/images/{image_id}"  # noqa: E731
    tasks_a, tasks_b = ls.pair_tasks(ls_study, url), ls.pair_tasks(copy, url)
    refs_a = [t["data"]["ref"] for t in tasks_a]
    assert all(is_item_id(r) for r in refs_a)
    assert not set(refs_a) & {t["data"]["ref"] for t in tasks_b}  # other key, other refs
    by_ref_a = ls.task_refs(ls_study, "pairs", ls_study.read_pairs()["pair_id"])
    by_ref_b = ls.task_refs(copy, "pairs", copy.read_pairs()["pair_id"])
    order_a = [by_ref_a[t["data"]["ref"]] for t in tasks_a]
    order_b = [by_ref_b[t["data"]["ref"]] for t in tasks_b]
    assert sorted(order_a) == sorted(order_b) and order_a != order_b
    assert order_a != sorted(order_a)  # not file order


def test_pulling_still_recognises_tasks_pushed_before_blinding_keys(ls_study):
    pairs = ls_study.read_pairs()["pair_id"]
    legacy = ls.legacy_task_refs(ls_study, "pairs", pairs)
    known = ls.known_task_refs(ls_study, "pairs", pairs)
    assert set(legacy) <= set(known) and set(ls.task_refs(ls_study, "pairs", pairs)) <= set(known)
    aliases = ls.ref_aliases(ls_study, "pairs")
    assert {known[a] for a in aliases} == set(pairs) and all(known[v] == known[a] for a, v in aliases.items())


def test_a_blinder_never_shows_its_key():
    assert "k" * 32 not in repr(Blinder("k" * 32)) and "k" * 32 not in str(Blinder("k" * 32))


def test_a_study_without_a_key_gets_one_on_first_use(tmp_path, app_study_template: AppStudy):
    import os
    import stat

    from semclust.annotate.blinding import study_blinder

    root = tmp_path / "fresh"
    shutil.copytree(app_study_template.study.root, root)
    blinding_key_path(root).unlink()
    blinder = study_blinder(root)
    assert stat.S_IMODE(os.stat(blinding_key_path(root)).st_mode) == 0o600
    assert study_blinder(root).item_id("a", "pair", "p1") == blinder.item_id("a", "pair", "p1")
