"""Attention checks: added by CLI, hidden among a coder's pairs, kept out of ratings, scored per coder."""
from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from semclust.cli import cli
from support.app_study import db_rows, open_phase, post_json


def run_cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def coder_client(login, name="cora"):
    client = login(name)
    client.post("/pairs/instructions", data={"csrf_token": client.csrf, "practice": "skip"})
    return client


def check_items(client):
    """The items of the coder's queue that are no pair of samples/pairs.csv."""
    pairs = {client.item("pair", f"p{k:03d}") for k in range(1, 7)}
    state = client.get("/pairs/state").get_json()
    return [it for it in state["items"] if it["pair_id"] not in pairs]


def test_check_is_shown_among_pairs_and_never_exported_as_a_rating(env, admin, login):
    result = run_cli("checks", "add", "i0", "i0", "--denotative", "2", "--connotative", "2", "--study", env.study.root)
    assert result.exit_code == 0 and "check 1" in result.stdout
    open_phase(admin, "1")
    cora = coder_client(login)
    state = cora.get("/pairs/state").get_json()
    keys = [it["pair_id"] for it in state["items"]]
    assert len(keys) == 5  # 4 pairs + 1 check
    (check,) = check_items(cora)
    assert keys.index(check["pair_id"]) > 0 and check["a"] == check["b"] == "/images/i0"
    assert "check" not in check["pair_id"]  # an opaque key: the coder cannot tell
    response = post_json(cora, "/pairs/answer", {"pair_id": check["pair_id"], "denotative": 2, "connotative": 1,
                                                 "seconds_on_item": 3.5})
    assert response.status_code == 200
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"] == 0
    assert db_rows(env.study, "SELECT seconds_on_item FROM check_answers")[0]["seconds_on_item"] == 3.5
    assert run_cli("export", "--study", env.study.root).exit_code == 0
    assert len(pd.read_csv(env.study.ratings_csv)) == 0
    checks = pd.read_csv(env.study.exports_dir / "checks.csv")
    assert checks[["coder", "correct"]].to_dict("records") == [{"coder": "cora", "correct": 0}]
    html = admin.get("/admin/").get_data(as_text=True)
    assert 'id="check-accuracy"' in html and "0%" in html


def test_check_keys_differ_per_coder_and_another_coders_key_is_400(env, admin, login):
    run_cli("checks", "add", "i0", "i0", "--denotative", "2", "--connotative", "2", "--study", env.study.root)
    open_phase(admin, "1")
    cora, colin = coder_client(login, "cora"), coder_client(login, "colin")
    (cora_check,), (colin_check,) = check_items(cora), check_items(colin)
    assert cora_check["pair_id"] != colin_check["pair_id"]
    response = post_json(cora, "/pairs/answer", {"pair_id": colin_check["pair_id"], "denotative": 2,
                                                 "connotative": 2})
    assert response.status_code == 400


def test_checks_add_refuses_an_unknown_image(env):
    from semclust.cli import main

    assert main(["checks", "add", "nope", "i0", "--denotative", "0", "--connotative", "0",
                 "--study", str(env.study.root)]) == 2


def test_agreement_excludes_coders_below_check_accuracy(env, admin, login, tmp_path):
    from support.app_study import rate

    run_cli("checks", "add", "i0", "i0", "--denotative", "2", "--connotative", "2", "--study", env.study.root)
    open_phase(admin, "1")
    for name, answer in (("cora", 2), ("colin", 0)):
        client = coder_client(login, name)
        for pair in ("p001", "p002", "p003", "p004"):
            rate(client, pair, 1, 1)
        (check,) = check_items(client)
        post_json(client, "/pairs/answer", {"pair_id": check["pair_id"], "denotative": answer, "connotative": answer})
    assert run_cli("export", "--study", env.study.root).exit_code == 0
    result = run_cli("agreement", "--study", env.study.root, "--min-check-accuracy", "0.8", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "excluded 1 coder(s) below 80% check accuracy: colin (0%)" in result.stdout
    quality = run_cli("quality", "--study", env.study.root, "--min-check-accuracy", "0.8", "--permutations", "0",
                      "--bootstrap", "0", "--min-pairs", "1")
    assert quality.exit_code == 0, quality.output
    assert "excluded 1 coder(s) below 80% check accuracy: colin (0%)" in quality.stdout
    report = run_cli("report", "--study", env.study.root, "--min-check-accuracy", "0.8", "--bootstrap", "0")
    assert report.exit_code == 0, report.output
    html = (env.study.reports_dir / "index.html").read_text()
    assert "excluded 1 coder(s) below 80% check accuracy: colin (0%)" in html


def test_min_check_accuracy_without_a_checks_file_exits_2(env):
    from semclust.cli import main

    env.study.exports_dir.mkdir(parents=True, exist_ok=True)
    env.study.ratings_csv.write_text("item_id,coder,dimension,score,round,phase,created_at\n")
    assert main(["agreement", "--study", str(env.study.root), "--min-check-accuracy", "0.8"]) == 2
