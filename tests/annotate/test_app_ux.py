"""The coder's and admin's day: key map, instructions and practice, consensus by JSON, error pages, time per item."""
from __future__ import annotations

import pytest
import yaml

from semclust.annotate.instructions import markdown_to_html
from support.app_study import db_rows, open_phase, post_json, rate, sign_in


@pytest.fixture
def coder(login, admin):
    open_phase(admin, "1")
    client = login("cora")
    client.post("/pairs/instructions", data={"csrf_token": client.csrf})
    return client


def test_default_keys_match_the_scores_and_are_shown_on_the_buttons(coder):
    html = coder.get("/pairs/").get_data(as_text=True)
    for score in (0, 1, 2):
        assert f'data-dimension="denotative" data-score="{score}">\n        <b>{score}</b>' in html
    assert '<kbd>0</kbd></button>' in html and '<kbd>Q</kbd></button>' in html
    assert '"denotative": ["0", "1", "2"]' in html and '"connotative": ["q", "w", "e"]' in html


def test_keys_come_from_study_yaml(env, app, login, admin):
    config = yaml.safe_load(env.study.config_path.read_text())
    config["keys"] = {"denotative": ["a", "s", "f"], "connotative": [7, 8, 9]}
    env.study.config_path.write_text(yaml.safe_dump(config))
    from semclust.annotate.app import create_app

    app2 = create_app({"STUDY": env.study.root, "TESTING": True})
    client = app2.test_client()
    sign_in(client, env.tokens['cora'])
    html = client.get("/pairs/instructions").get_data(as_text=True)
    assert "<kbd>A</kbd><kbd>S</kbd><kbd>F</kbd> denotative" in html and "<kbd>7</kbd>" in html


@pytest.mark.parametrize("keys", [{"denotative": ["0", "1"]}, {"denotative": ["c", "1", "2"]},
                                  {"connotative": ["0", "w", "e"]}, {"mood": ["0", "1", "2"]}])
def test_bad_keys_in_study_yaml_name_the_file(env, keys):
    from semclust.annotate.keymap import key_map
    from semclust.study import Study, UserError

    config = yaml.safe_load(env.study.config_path.read_text())
    env.study.config_path.write_text(yaml.safe_dump({**config, "keys": keys}))
    with pytest.raises(UserError, match="study.yaml: keys"):
        key_map(Study.open(env.study.root))


def test_instructions_come_first_and_render_study_markdown_safely(env, login, admin):
    open_phase(admin, "1")
    (env.study.root / "instructions.md").write_text("# Welcome\n\nRate **carefully**.\n\n<script>alert(1)</script>\n")
    client = login("cora")
    assert client.get("/pairs/").location.endswith("/pairs/instructions")
    html = client.get("/pairs/instructions").get_data(as_text=True)
    assert "<h1>Welcome</h1>" in html and "<strong>carefully</strong>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "Denotative similarity" in html and "Connotative similarity" in html
    assert client.post("/pairs/instructions", data={"csrf_token": client.csrf}).location.endswith("/pairs/")
    assert client.get("/pairs/").status_code == 200


def test_practice_pairs_come_first_and_are_never_recorded(env, login, admin):
    open_phase(admin, "1")
    (env.study.root / "practice.csv").write_text("image_a,image_b,denotative,connotative\ni0,i0,2,2\n")
    client = login("cora")
    response = client.post("/pairs/instructions", data={"csrf_token": client.csrf})
    assert response.location.endswith("/pairs/?practice=1")
    html = client.get("/pairs/?practice=1").get_data(as_text=True)
    assert '"practice": true' in html and '"expected": {"connotative": 2, "denotative": 2}' in html
    assert post_json(client, "/pairs/answer", {"pair_id": "practice-0", "denotative": 2,
                                               "connotative": 2}).status_code == 400
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"] == 0


def test_markdown_subset_escapes_everything_else():
    html = str(markdown_to_html('- *one* <img src=x onerror=alert(1)>\n- two\n\n![same image](image:i0)'))
    assert "<ul><li><em>one</em> &lt;img" in html and '<img src="/images/i0" alt="same image">' in html


def test_seconds_on_item_is_stored_and_exported(coder, env):
    assert rate(coder, "p001", seconds_on_item=4.25).status_code == 200
    assert {r["seconds_on_item"] for r in db_rows(env.study, "SELECT seconds_on_item FROM ratings")} == {4.25}
    assert rate(coder, "p002", seconds_on_item=-1).status_code == 400


def test_consensus_records_by_json_and_filters_unresolved(login, admin, env):
    open_phase(admin, "1")
    cora, colin = login("cora"), login("colin")
    rate(cora, "p002", 0, 1, comment="left is a drawing")
    rate(colin, "p002", 2, 1)
    rate(cora, "p003", 0, 0)
    post_json(colin, "/pairs/answer", {"pair_id": colin.item("pair", "p003"), "cannot_judge": True,
                                       "comment": "image blank"})
    html = admin.get("/consensus/?phase=1").get_data(as_text=True)
    assert html.count('class="card consensus-pair') == 2
    assert "left is a drawing" in html and "(cannot judge, reason)</span>: image blank" in html
    response = admin.post("/consensus/record", json={"pair_id": "p002", "dimension": "denotative", "score": 1},
                          headers={"X-CSRFToken": admin.csrf, "Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["resolved"] is True
    unresolved = admin.get("/consensus/?phase=1&unresolved=1").get_data(as_text=True)
    assert 'id="p002"' not in unresolved and 'id="p003"' in unresolved
    bad = admin.post("/consensus/record", json={"pair_id": "p002", "dimension": "mood", "score": 1},
                     headers={"X-CSRFToken": admin.csrf, "Accept": "application/json"})
    assert bad.status_code == 400 and "mood" in bad.get_json()["error"]


def test_coder_opening_admin_gets_a_styled_403_with_a_way_back(coder):
    response = coder.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and 'id="error-page"' in html and "back to your work" in html
    assert "cora" in html and 'href="/"' in html


def test_unknown_page_is_a_styled_404(coder):
    response = coder.get("/no-such-page")
    assert response.status_code == 404 and 'id="error-page"' in response.get_data(as_text=True)


def test_people_add_prints_links_for_the_study_serve_setting(env):
    from click.testing import CliRunner

    from semclust.annotate.serving import serve_settings
    from semclust.cli import cli

    config = yaml.safe_load(env.study.config_path.read_text())
    env.study.config_path.write_text(yaml.safe_dump({**config, "serve": {"host": "127.0.0.1", "port": 8123}}))
    result = CliRunner().invoke(cli, ["people", "add", "nora", "--role", "coder", "--study", str(env.study.root)])
    assert result.exit_code == 0 and "http://127.0.0.1:8123/login/" in result.stdout
    from semclust.study import Study
    assert serve_settings(Study.open(env.study.root))["port"] == 8123  # what `semclust serve` binds
