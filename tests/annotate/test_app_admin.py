"""Admin pages: permissions, phases, consensus, dashboard, export buttons, images (real SQLite)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from support.app_study import db_rows, open_phase, rate

ADMIN_GETS = ["/admin/", "/consensus/?phase=1", "/admin/exports/ratings.csv"]
ADMIN_POSTS = [("/admin/phase", {"phase": "1", "action": "open"}),
               ("/admin/matching", {"clustering": "umap5-hdb50", "action": "open"}),
               ("/admin/export", {}),
               ("/consensus/record", {"pair_id": "p001", "dimension": "denotative", "score": "1"})]


@pytest.fixture
def rated(login, admin):
    """Phase 1 open; cora and colin agree on p001, differ on p002 (denotative) and p003 (cannot judge)."""
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p001", 2, 2), rate(colin, "p001", 2, 2)
    rate(cora, "p002", 0, 1), rate(colin, "p002", 2, 1)
    rate(cora, "p003", 1, 1), rate(colin, "p003", None, None, cannot_judge=True)
    rate(cora, "p004", 1, 0)  # only one coder: not a disagreement
    return cora, colin


@pytest.mark.parametrize("name", ["cora", "eve"])
def test_admin_pages_are_403_for_coders_and_evaluators(login, env, name):
    client = login(name)
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    for url, form in ADMIN_POSTS:
        assert client.post(url, data={**form, "csrf_token": client.csrf}).status_code == 403, url
    assert db_rows(env.study, "SELECT count(*) AS n FROM phase_events")[0]["n"] == 0
    assert not env.study.ratings_csv.exists()


def test_admin_pages_need_a_login(app):
    client = app.test_client()
    assert all(client.get(url).status_code == 302 for url in ADMIN_GETS)


def test_admin_post_without_csrf_is_400_and_changes_nothing(admin, env):
    assert admin.post("/admin/phase", data={"phase": "1", "action": "open"}).status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM phase_events")[0]["n"] == 0


@pytest.mark.parametrize("form", [{"phase": "9", "action": "open"}, {"phase": "1", "action": "drop"}, {}])
def test_unknown_phase_or_action_is_400(admin, env, form):
    assert admin.post("/admin/phase", data={**form, "csrf_token": admin.csrf}).status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM phase_events")[0]["n"] == 0


def test_consensus_lists_one_card_per_pair_where_coders_differ(rated, admin):
    html = admin.get("/consensus/?phase=1").get_data(as_text=True)
    assert html.count('id="p002"') == 1 and html.count('id="p003"') == 1  # both dimensions on one card
    assert 'id="p001"' not in html and 'id="p004"' not in html
    assert "cannot judge" in html and "colin" in html and "/images/i0" in html


def test_consensus_is_recorded_as_its_own_round(rated, admin, env):
    response = admin.post("/consensus/record", data={"pair_id": "p002", "dimension": "denotative", "score": "1",
                                                     "csrf_token": admin.csrf})
    assert response.status_code == 302 and response.location.endswith("#p002")
    rows = db_rows(env.study, "SELECT score, round, phase FROM ratings WHERE round = 'consensus'")
    assert rows == [{"score": 1, "round": "consensus", "phase": "1"}]
    coders = db_rows(env.study, "SELECT score FROM ratings WHERE pair_id = 'p002' AND dimension = 'denotative' "
                                "AND round = 'independent' ORDER BY id")
    assert [r["score"] for r in coders] == [0, 2]  # the coders' own ratings are untouched
    html = admin.get("/consensus/?phase=1").get_data(as_text=True)
    assert "recorded: 1" in html


@pytest.mark.parametrize("form", [{"pair_id": "p999", "dimension": "denotative", "score": "1"},
                                  {"pair_id": "p002", "dimension": "mood", "score": "1"},
                                  {"pair_id": "p002", "dimension": "denotative", "score": "3"},
                                  {"pair_id": "p002", "dimension": "denotative", "score": ""}])
def test_invalid_consensus_is_400_and_writes_nothing(rated, admin, env, form):
    assert admin.post("/consensus/record", data={**form, "csrf_token": admin.csrf}).status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings WHERE round = 'consensus'")[0]["n"] == 0


def test_consensus_page_shows_the_coders_comments(login, admin):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p002", 0, 1, comment="the left image is a drawing, not a photo")
    rate(colin, "p002", 2, 1)
    html = admin.get("/consensus/?phase=1").get_data(as_text=True)
    assert "<b>cora</b>: the left image is a drawing, not a photo" in html


def test_consensus_for_a_pair_of_a_never_opened_phase_is_400(rated, admin, env):
    pairs = env.study.read_pairs()
    unopened = pairs[pairs["phase"].astype(str) == "2"]["pair_id"].iloc[0]
    form = {"pair_id": unopened, "dimension": "denotative", "score": "1", "csrf_token": admin.csrf}
    response = admin.post("/consensus/record", data=form)
    assert response.status_code == 400 and b"never opened" in response.data
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings WHERE round = 'consensus'")[0]["n"] == 0


def test_dashboard_shows_progress_and_alpha_per_dimension(rated, admin):
    html = admin.get("/admin/").get_data(as_text=True)
    assert "cora</td><td>coder</td>" in html and "1: 4 / 4" in html and "1: 3 / 4" in html
    alpha = html[html.index('id="alpha"'):html.index('id="counts"')]
    assert re.search(r'class="alpha-value">-?[01]\.\d\d<', alpha), alpha  # a computed alpha, not a placeholder
    assert "unstable" in alpha  # 4 pairs: the small-sample warning stands beside it
    assert "close phase 1" in html and "open phase 2" in html


def test_dashboard_falls_back_to_counts_without_evaluation(rated, admin, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "semclust.evaluation.agreement", None)  # import now raises ImportError
    html = admin.get("/admin/").get_data(as_text=True)
    assert "alpha unavailable" in html and 'id="counts"' in html


def test_export_button_writes_files_and_offers_download(rated, admin, env):
    response = admin.post("/admin/export", data={"csrf_token": admin.csrf}, follow_redirects=True)
    assert response.status_code == 200 and "exported 14 ratings" in response.get_data(as_text=True)
    download = admin.get("/admin/exports/ratings.csv")
    assert download.status_code == 200 and download.data == env.study.ratings_csv.read_bytes()
    assert admin.get("/admin/exports/study.yaml").status_code == 404


def test_images_are_served_by_id_only(login, env):
    client = login("cora")
    ok = client.get("/images/i3")
    assert ok.status_code == 200 and ok.mimetype == "image/png"
    assert ok.data == (env.study.image_root / "img3.png").read_bytes()
    for bad in ["nope", "img3.png", "..%2Fstudy.yaml", "%2Fetc%2Fpasswd", "i3%00"]:
        assert client.get(f"/images/{bad}").status_code == 404, bad
    assert client.get("/images/../study.yaml").status_code == 404


def test_images_need_a_login_in_the_full_app(app):
    assert app.test_client().get("/images/i0").status_code == 401


def test_images_only_app_serves_images_without_login_and_nothing_else(env):
    from semclust.annotate.app import create_app

    client = create_app(env.study.root, images_only=True).test_client()
    assert client.get("/images/i0").status_code == 200
    assert client.get("/images/nope").status_code == 404
    for url in ["/", "/pairs/", "/admin/", f"/login/{env.tokens['ada']}"]:
        assert client.get(url).status_code == 404, url


def test_export_csv_matches_study_schema(rated, admin, env):
    admin.post("/admin/export", data={"csrf_token": admin.csrf})
    frame = pd.read_csv(env.study.ratings_csv, dtype={"item_id": str, "phase": str})
    assert list(frame.columns) == ["item_id", "coder", "dimension", "score", "round", "phase", "created_at",
                                   "seconds_on_item"]
    cannot = frame[(frame["item_id"] == "p003") & (frame["coder"] == "colin")]
    assert len(cannot) == 2 and cannot["score"].isna().all()
