"""The Label Studio bridge against a real Label Studio server (its own virtualenv, 127.0.0.1).

Round trip: push the study's pairs and sets (twice), two annotators answer
through Label Studio's REST API with their own tokens (one skips a task), pull
(twice), and the agreement, quality and interpretability figures equal those
of the same answers entered directly.
"""
from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest

from semclust.annotate import labelstudio as ls
from semclust.annotate.labelstudio_api import project_title
from semclust.evaluation.agreement import agreement_by_dimension
from semclust.evaluation.interpretability import interpretability
from semclust.evaluation.quality import quality_scores
from semclust.study import RATING_COLUMNS
from semclust.vocabulary import DIMENSIONS
from support.labelstudio_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CLUSTERING,
    TERMS,
    add_annotator,
    fresh_server,
    make_study,
)

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow, pytest.mark.timeout(600)]
CODERS = ["coder.one@example.org", "coder.two@example.org"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, labelstudio_venv):
    """A real Label Studio with the bridge's study under its document root and two annotators."""
    root = tmp_path_factory.mktemp("labelstudio")
    study = make_study(root / "s")
    with fresh_server(root, document_root=root) as running:
        running.study = study
        running.coders = {email: add_annotator(running, email, "annotator-pass-1234")
                          for email in CODERS}
        yield running


@pytest.fixture
def cli(run_cli, server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.token)

    def run(command, task, *extra):
        args = ["labelstudio", command, "--study", server.study.root, "--task", task,
                "--url", server.url, *extra]
        if command == "push":
            args += ["--document-root", server.document_root]
        if task == "sets":
            args += ["--clustering", CLUSTERING]
        return run_cli(*args)

    return run


def _client(server, token=None):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=server.url, api_key=token or server.token, timeout=60)


def _project_tasks(server, task):
    admin = _client(server)
    title = project_title(server.study, task, CLUSTERING if task == "sets" else None)
    [project] = [p for p in admin.projects.list(title=title) if p.title == title]
    return project.id, {t.data["ref"]: t for t in admin.tasks.list(project=project.id)}


def _direct_ratings(study) -> pd.DataFrame:
    """Seeded answers of the two coders, as they would be entered in our app (score None = cannot judge)."""
    rng = np.random.default_rng(11)
    rows = []
    for pair in study.read_pairs().itertuples():
        base = {d: int(rng.integers(0, 3)) for d in ("denotative", "connotative")}
        for coder in CODERS:
            for dim, score in base.items():
                if coder == CODERS[1] and rng.random() < 0.3:
                    score = int(rng.integers(0, 3))
                rows.append([pair.pair_id, coder, dim, score, "independent", pair.phase, ""])
    frame = pd.DataFrame(rows, columns=RATING_COLUMNS)
    frame.loc[3, "score"] = None  # one "cannot judge"
    return frame.astype({"score": "Int64"})


def test_push_twice_imports_each_task_once(cli, server):
    for task, n in (("pairs", 16), ("sets", 6)):
        first = cli("push", task)
        assert first.exit_code == 0, first.stderr
        assert f"imported {n} task(s), 0 already there" in first.stdout
        again = cli("push", task)
        assert again.exit_code == 0 and f"imported 0 task(s), {n} already there" in again.stdout
        assert len(_project_tasks(server, task)[1]) == n


def test_local_files_images_are_served_by_label_studio(cli, server):
    import httpx

    assert cli("push", "pairs").exit_code == 0
    task = next(iter(_project_tasks(server, "pairs")[1].values()))
    got = httpx.get(server.url + task.data["image_a"], timeout=30,
                    headers={"Authorization": f"Token {server.token}"})
    name = task.data["image_a"].split("d=", 1)[1]
    assert name.startswith("s/images/img")
    assert got.status_code == 200 and got.content == (server.document_root / name).read_bytes()


def test_round_trip_gives_the_same_agreement_and_quality_as_direct_entry(cli, run_cli, server):
    study = server.study
    assert cli("push", "pairs").exit_code == 0
    _, tasks = _project_tasks(server, "pairs")
    direct = _direct_ratings(study)
    skipped = study.read_pairs()["pair_id"].iloc[-1]
    for coder, (_, token) in server.coders.items():
        annotator = _client(server, token)
        for pair_id, answers in direct[direct["coder"] == coder].groupby("item_id"):
            task = tasks[ls.task_ref(study, "pairs", pair_id)]
            if coder == CODERS[1] and pair_id == skipped:
                annotator.annotations.create(id=task.id, result=[], was_cancelled=True)
                continue
            result = [{"from_name": r.dimension, "to_name": "image_a", "type": "choices",
                       "value": {"choices": ["cannot_judge" if pd.isna(r.score) else str(r.score)]}}
                      for r in answers.itertuples()]
            annotator.annotations.create(id=task.id, result=result)
    direct = direct[~((direct["coder"] == CODERS[1]) & (direct["item_id"] == skipped))]

    first = cli("pull", "pairs")
    assert first.exit_code == 0, first.stderr
    assert "1 comment(s)" not in first.stdout
    assert f"1 skipped/cancelled annotation(s), not counted: {skipped} by {CODERS[1]}" in first.stderr
    out = study.exports_dir / "labelstudio-ratings.csv"
    pulled_once = out.read_text()
    assert cli("pull", "pairs").exit_code == 0
    assert out.read_text() == pulled_once

    pulled = pd.read_csv(out, dtype={"item_id": str, "phase": str}, keep_default_na=False,
                         na_values=[""]).astype({"score": "Int64"})
    key = ["item_id", "coder", "dimension"]
    compare = [c for c in RATING_COLUMNS if c != "created_at"]
    pd.testing.assert_frame_equal(pulled.sort_values(key)[compare].reset_index(drop=True),
                                  direct.sort_values(key)[compare].reset_index(drop=True))
    assert agreement_by_dimension(pulled) == agreement_by_dimension(direct)
    labels, pairs = study.read_labels(CLUSTERING), study.read_pairs()
    assert quality_scores(pulled, pairs, labels, min_pairs=2) == \
        quality_scores(direct, pairs, labels, min_pairs=2)
    assert run_cli("agreement", "--ratings", out, "--bootstrap", "0").exit_code == 0


def test_matching_round_trip_gives_the_same_interpretability_as_direct_entry(cli, server):
    study = server.study
    assert cli("push", "sets").exit_code == 0
    _, tasks = _project_tasks(server, "sets")
    sets = study.read_sets(CLUSTERING)
    description = {c: ", ".join(terms) for c, terms in TERMS.items()}
    direct = []
    for i, (coder, (_, token)) in enumerate(server.coders.items()):
        annotator = _client(server, token)
        for k, row in enumerate(sets.itertuples()):
            chosen = row.cluster if (k + i) % 3 else (row.cluster + 1) % 3  # some wrong answers
            task = tasks[ls.task_ref(study, f"sets:{CLUSTERING}", row.set_id)]
            [option] = [o["value"] for o in task.data["options"]
                        if o["value"].split(": ", 1)[1] == description[chosen]]
            annotator.annotations.create(id=task.id, result=[
                {"from_name": "match", "to_name": "image_0", "type": "choices",
                 "value": {"choices": [option]}}])
            direct.append({"set_id": row.set_id, "evaluator": coder, "chosen_cluster": chosen})
    result = cli("pull", "sets")
    assert result.exit_code == 0, result.stderr
    pulled = pd.read_csv(study.exports_dir / "labelstudio-matches.csv", dtype={"set_id": str})
    direct = pd.DataFrame(direct)
    order = ["set_id", "evaluator"]
    pd.testing.assert_frame_equal(
        pulled.sort_values(order)[["set_id", "evaluator", "chosen_cluster"]].reset_index(drop=True),
        direct.sort_values(order).reset_index(drop=True))
    assert interpretability(pulled, sets, evaluators=CODERS) == \
        interpretability(direct, sets, evaluators=CODERS)


def test_bad_api_key_is_user_error(run_cli, server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-right-token")
    result = run_cli("labelstudio", "pull", "--study", server.study.root, "--task", "pairs",
                     "--url", server.url)
    assert result.exit_code == 2
    assert "refused the API key" in result.stderr and "Traceback" not in result.stderr


def test_project_with_a_foreign_config_is_user_error(cli, server):
    other = make_study(server.document_root / "foreign")
    title = project_title(other, "pairs")
    _client(server).projects.create(title=title, label_config=(
        '<View><Image name="img" value="$image"/>'
        '<Choices name="label" toName="img"><Choice value="cat"/></Choices></View>'))
    result = cli("push", "pairs", "--study", other.root)  # the later --study wins
    assert result.exit_code == 2
    assert "not semclust's pairs config" in result.stderr


def test_tasks_not_in_the_study_are_user_error(cli, server):
    other = make_study(server.document_root / "stranger", seed=8)
    assert cli("push", "pairs", "--study", other.root).exit_code == 0
    title = project_title(other, "pairs")
    admin = _client(server)
    [project] = [p for p in admin.projects.list(title=title) if p.title == title]
    admin.projects.import_tasks(id=project.id, request=[{"data": {
        "ref": "ffffffffffffffff", "image_a": "/x.png", "image_b": "/y.png"}}])
    for command in ("pull", "push"):
        result = cli(command, "pairs", "--study", other.root)
        assert result.exit_code == 2, command
        assert "not in this study" in result.stderr


def test_exported_files_imported_by_hand_are_pulled_with_project_id(run_cli, server, tmp_path,
                                                                   monkeypatch):
    study = make_study(server.document_root / "by-hand", seed=9)
    out = tmp_path / "ls-pairs"
    assert run_cli("labelstudio", "export", "--study", study.root, "--task", "pairs",
                   "--out", out).exit_code == 0
    admin = _client(server)
    project = admin.projects.create(title="imported by hand",
                                    label_config=(out / "config.xml").read_text())
    admin.projects.import_tasks(id=project.id, request=json.loads((out / "tasks.json").read_text()))
    task = next(iter(admin.tasks.list(project=project.id)))
    admin.annotations.create(id=task.id, result=[
        {"from_name": d, "to_name": "image_a", "type": "choices", "value": {"choices": ["2"]}}
        for d in ("denotative", "connotative")] + [
        {"from_name": "comment", "to_name": "image_a", "type": "textarea",
         "value": {"text": ["both show a crowd"]}}])
    monkeypatch.delenv("LS_TEST_KEY", raising=False)
    result = run_cli("labelstudio", "pull", "--study", study.root, "--task", "pairs", "--url",
                     server.url, "--project", project.id, "--api-key-env", "LS_TEST_KEY")
    assert result.exit_code == 2 and "LS_TEST_KEY" in result.stderr
    monkeypatch.setenv("LS_TEST_KEY", server.token)
    result = run_cli("labelstudio", "pull", "--study", study.root, "--task", "pairs", "--url",
                     server.url, "--project", project.id, "--api-key-env", "LS_TEST_KEY")
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(study.exports_dir / "labelstudio-ratings.csv")
    assert len(rows) == 2 and set(rows["score"]) == {2} and set(rows["coder"]) == {"admin@example.org"}
    comments = pd.read_csv(study.exports_dir / "labelstudio-ratings-comments.csv")
    assert comments["comment"].tolist() == ["both show a crowd"]


def test_serve_mode_urls_are_answered_by_our_images_only_server(cli, server):
    import httpx
    from werkzeug.serving import make_server

    from semclust.annotate.app import create_app

    study = make_study(server.document_root / "served", seed=10)
    web = make_server("127.0.0.1", 0, create_app(study.root, images_only=True), threaded=True)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{web.server_port}"
        result = cli("push", "pairs", "--study", study.root, "--image-url-mode", "serve",
                     "--image-base-url", base)
        assert result.exit_code == 0, result.stderr
        title = project_title(study, "pairs")
        admin = _client(server)
        [project] = [p for p in admin.projects.list(title=title) if p.title == title]
        task = next(iter(admin.tasks.list(project=project.id)))
        image_id = task.data["image_a"].rsplit("/", 1)[1]
        assert task.data["image_a"] == f"{base}/images/{image_id}"
        got = httpx.get(task.data["image_a"], timeout=30)
        path = study.image_path(study.read_images().set_index("image_id").loc[image_id, "path"])
        assert got.status_code == 200 and got.content == path.read_bytes()
    finally:
        web.shutdown()


@pytest.mark.browser
def test_label_studio_shows_our_questions_and_images(chromium, cli, server, test_output_dir):
    from playwright.sync_api import sync_playwright

    pages = {}
    for task in ("pairs", "sets"):
        assert cli("push", task).exit_code == 0
        project, tasks = _project_tasks(server, task)
        pages[task] = f"{server.url}/projects/{project}/data?task={min(t.id for t in tasks.values())}"
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(server.url + "/user/login/")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/user/login" not in url, timeout=60_000)
            expected = {"pairs": ["0 - unrelated", "2 - closely related", "cannot judge",
                                  DIMENSIONS["connotative"]["question"]],
                        "sets": ["A: ", "B: ", "C: "]}
            for task, url in pages.items():
                page.goto(url)
                for text in expected[task]:
                    page.get_by_text(text).first.wait_for(timeout=60_000)
                page.wait_for_function(
                    "() => [...document.images].filter(i => i.src.includes('/data/local-files/')"
                    " && i.complete && i.naturalWidth > 0).length >= 2", timeout=60_000)
                page.screenshot(path=str(test_output_dir / f"labelstudio-{task}.png"))
        finally:
            browser.close()
