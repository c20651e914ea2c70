"""Pair rating: login, permissions, validation, resume, edit history (real SQLite, Flask test client)."""
from __future__ import annotations

import pytest

from support.app_study import CLUSTERING, db_rows, open_phase, pairs_shown, post_json, rate, sign_in


@pytest.fixture
def coder(login, admin):
    open_phase(admin, "1")
    client = login("cora")
    client.post("/pairs/instructions", data={"csrf_token": client.csrf})  # read the instructions
    return client


def count_ratings(env) -> int:
    return db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"]


def test_login_link_sets_session_and_sends_coder_to_pairs(app, env):
    client = app.test_client()
    response = sign_in(client, env.tokens['cora'])
    assert response.status_code == 302 and response.location.endswith("/pairs/")
    assert response.headers["Set-Cookie"].startswith(app.config["SESSION_COOKIE_NAME"] + "=")
    assert client.get("/pairs/").location.endswith("/pairs/instructions")  # before the first pair
    assert client.get("/pairs/instructions").status_code == 200


def test_login_with_unknown_token_is_403_and_logs_out(app, login):
    client = login("cora")
    assert client.get("/login/not-a-real-token").status_code == 403
    assert client.get("/pairs/").status_code == 302  # back to the login page


def test_anonymous_visitor_is_sent_to_login_page_and_cannot_post(app):
    client = app.test_client()
    assert client.get("/").status_code == 401
    assert client.get("/pairs/").location.endswith("/")
    assert client.post("/pairs/answer", json={}).status_code in (400, 401)  # CSRF or login: refused


@pytest.mark.parametrize("name", ["eve", "ada"])
def test_pair_pages_are_403_for_other_roles(login, name):
    client = login(name)
    assert client.get("/pairs/").status_code == 403
    assert client.get("/pairs/state").status_code == 403
    assert rate(client, "p001").status_code == 403


def test_coder_sees_only_pairs_of_open_phases_phase_by_phase(login, admin, env):
    coder = login("cora")
    assert coder.get("/pairs/state").json["items"] == []
    open_phase(admin, "1")
    assert sorted(pairs_shown(coder, env.pairs)) == ["p001", "p002", "p003", "p004"]
    open_phase(admin, "2")
    shown = pairs_shown(coder, env.pairs)
    assert sorted(shown[:4]) == ["p001", "p002", "p003", "p004"] and sorted(shown[4:]) == ["p005", "p006"]
    open_phase(admin, "1", "close")
    assert sorted(pairs_shown(coder, env.pairs)) == ["p005", "p006"]


def test_rating_is_on_disk_when_acknowledged(coder, env):
    response = rate(coder, "p002", den=0, con=2, comment="  similar mood ")
    assert response.status_code == 200 and response.json["ok"]
    rows = db_rows(env.study, "SELECT pair_id, dimension, score, round, phase, comment FROM ratings ORDER BY id")
    assert rows == [
        {"pair_id": "p002", "dimension": "denotative", "score": 0, "round": "independent", "phase": "1",
         "comment": "similar mood"},
        {"pair_id": "p002", "dimension": "connotative", "score": 2, "round": "independent", "phase": "1",
         "comment": "similar mood"}]
    assert [r["id"] for r in db_rows(env.study, "SELECT id FROM ratings")] == response.json["ids"]


@pytest.mark.parametrize("bad", [3, -1, "1", 1.0, True, None, [1]])
def test_rating_outside_scale_is_400_and_writes_nothing(coder, env, bad):
    response = rate(coder, "p001", den=bad, con=1)
    assert response.status_code == 400 and "denotative" in response.json["error"]
    assert count_ratings(env) == 0


@pytest.mark.parametrize("pair_id", ["p999", "p005", "", None, 5, "../study.yaml"])
def test_unknown_or_closed_pair_is_400_and_writes_nothing(coder, env, pair_id):
    response = rate(coder, pair_id)
    assert response.status_code == 400 and "unknown pair" in response.json["error"]
    assert count_ratings(env) == 0


@pytest.mark.parametrize("body", [[1, 2], "text", {"pair_id": "p001", "denotative": 1, "connotative": 1,
                                                   "comment": "x" * 2001},
                                  {"pair_id": "p001", "cannot_judge": "yes"},
                                  {"pair_id": "p001", "cannot_judge": True, "denotative": 1}])
def test_malformed_answer_is_400_and_writes_nothing(coder, env, body):
    assert post_json(coder, "/pairs/answer", body).status_code == 400
    assert count_ratings(env) == 0


def test_answer_without_csrf_token_is_400_and_writes_nothing(coder, env):
    response = coder.post("/pairs/answer", json={"pair_id": "p001", "denotative": 1, "connotative": 1})
    assert response.status_code == 400
    response = coder.post("/pairs/answer", json={"pair_id": "p001", "denotative": 1, "connotative": 1},
                          headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert count_ratings(env) == 0


def test_cannot_judge_stores_empty_scores_with_comment(coder, env):
    response = post_json(coder, "/pairs/answer", {"pair_id": coder.item("pair", "p001"), "cannot_judge": True,
                                                  "comment": "left image does not load"})
    assert response.status_code == 200
    rows = db_rows(env.study, "SELECT dimension, score, cannot_judge, comment FROM ratings")
    assert {r["dimension"] for r in rows} == {"denotative", "connotative"}
    assert all(r["score"] is None and r["cannot_judge"] == 1 for r in rows)
    queue = pairs_shown(coder, env.pairs)
    assert coder.get("/pairs/state").json["items"][queue.index("p001")]["answer"]["cannot_judge"] is True


def test_resume_starts_at_first_unanswered_pair_after_new_login(coder, login, env):
    queue = pairs_shown(coder, env.pairs)
    rate(coder, queue[0])
    rate(coder, queue[1])
    again = login("cora")  # a new browser: only the link, no old cookie
    state = again.get("/pairs/state").json
    assert state["start"] == 2
    assert state["items"][1]["answer"] == {"denotative": 1, "connotative": 2, "cannot_judge": False,
                                           "comment": ""}


def test_edit_appends_submission_and_latest_counts(coder, env):
    first = pairs_shown(coder, env.pairs)[0]
    rate(coder, first, den=0, con=0)
    rate(coder, pairs_shown(coder, env.pairs)[1], den=1, con=1)
    rate(coder, first, den=2, con=1)  # back to the first pair, changed
    history = db_rows(env.study, "SELECT score FROM ratings WHERE pair_id = ? AND dimension = 'denotative' "
                                 "ORDER BY id", (first,))
    assert [r["score"] for r in history] == [0, 2]
    answer = coder.get("/pairs/state").json["items"][0]["answer"]
    assert (answer["denotative"], answer["connotative"]) == (2, 1)


def test_coders_never_see_each_others_answers(coder, login):
    rate(coder, "p001", den=2, con=2)
    other = login("colin").get("/pairs/state").json
    assert other["start"] == 0 and all(i["answer"] is None for i in other["items"])


def test_pair_page_reveals_no_cluster_information(coder, env):
    html = coder.get("/pairs/").get_data(as_text=True)
    assert coder.item("pair", "p001") in html and "/images/i0" in html
    for secret in (CLUSTERING, "word0", "cluster", "stratum", "p001", "p002"):
        assert secret not in html


def test_pair_page_preloads_next_images_and_documents_keys(coder):
    html = coder.get("/pairs/").get_data(as_text=True)
    first = coder.get("/pairs/state").json["items"][0]
    assert f'<link rel="preload" as="image" href="{first["a"]}">' in html
    for text in ("Denotative similarity", "Connotative similarity", "cannot judge", "<kbd>Enter</kbd>",
                 "<kbd>Backspace</kbd>"):
        assert text in html


def test_logout_ends_the_session(coder, env):
    assert coder.post("/logout", data={"csrf_token": coder.csrf}).status_code == 302
    assert coder.get("/pairs/").status_code == 302
    assert rate(coder, "p001").status_code in (400, 401)  # the session (and its CSRF token) is gone
    assert count_ratings(env) == 0


def test_pages_send_security_headers(coder):
    response = coder.get("/pairs/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    cookie = response.headers.get("Set-Cookie", "") or coder.get("/pairs/").headers.get("Set-Cookie", "")
    assert cookie == "" or "HttpOnly" in cookie
