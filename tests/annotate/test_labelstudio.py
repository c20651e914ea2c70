"""The Label Studio bridge without a server: configs, tasks, blindness, conversion, errors."""
from __future__ import annotations

import json
import socket

import pandas as pd
import pytest
from label_studio_sdk.label_interface import LabelInterface

from semclust.annotate import labelstudio as ls
from semclust.study import RATING_COLUMNS, UserError
from semclust.vocabulary import DIMENSIONS, SCALE
from support.labelstudio_server import CLUSTERING, TERMS


def test_pairs_config_parses_with_sdk_parser_and_has_both_questions():
    interface = LabelInterface(ls.pairs_config())
    controls = {c.name: c.tag for c in interface.controls}
    assert controls == {"denotative": "Choices", "connotative": "Choices", "comment": "TextArea"}
    assert {o.name for o in interface.objects} == {"image_a", "image_b"}
    for dim in DIMENSIONS:  # the parser reports the stored values (aliases)
        assert set(interface.get_control(dim).labels) == {str(s) for s in SCALE} | {"cannot_judge"}


def test_pairs_config_uses_the_shared_wording_and_stores_scores_as_aliases():
    config = ls.pairs_config()
    for dim in DIMENSIONS.values():
        assert dim["definition"] in config and dim["question"] in config
    for score, point in SCALE.items():
        assert f'alias="{score}" hint="{point["definition"]}"' in config
    assert 'alias="cannot_judge"' in config
    assert config.count('required="true"') == 2


@pytest.mark.parametrize("n_images", [1, 3, 5])
def test_matching_config_parses_with_sdk_parser_with_one_image_tag_per_set_member(n_images):
    interface = LabelInterface(ls.matching_config(n_images))
    assert [o.name for o in interface.objects] == [f"image_{i}" for i in range(n_images)]
    assert [c.name for c in interface.controls] == ["match"]
    assert 'value="$options"' in ls.matching_config(n_images)


def test_config_kind_recognises_ours_and_rejects_others():
    assert ls.config_kind(ls.pairs_config()) == "pairs"
    assert ls.config_kind(ls.matching_config(3)) == "sets"
    other = '<View><Image name="img" value="$image"/><Choices name="x" toName="img"><Choice value="a"/></Choices></View>'
    assert ls.config_kind(other) is None
    assert ls.config_kind("not xml <") is None


def test_tasks_carry_no_ids_cluster_or_clustering_name(ls_study):
    url = ls.image_url_builder(ls_study, "local-files")
    _, pair_tasks = ls.build(ls_study, "pairs", None, url)
    _, set_tasks = ls.build(ls_study, "sets", CLUSTERING, url)
    text = json.dumps(pair_tasks + set_tasks)
    for leak in ["same", "diff", "cluster", CLUSTERING, "c0-s1", "umap", "hdb", "phase"]:
        assert leak not in text, leak
    assert all(set(t["data"]) == {"ref", "image_a", "image_b"} for t in pair_tasks)
    assert all(set(t["data"]) == {"ref", "image_0", "image_1", "image_2", "options"} for t in set_tasks)


def test_matching_choices_are_lettered_in_a_per_set_order_that_is_stable(ls_study):
    url = ls.image_url_builder(ls_study, "local-files")
    _, first = ls.build(ls_study, "sets", CLUSTERING, url)
    ls.key_path(ls_study, CLUSTERING).unlink()
    _, again = ls.build(ls_study, "sets", CLUSTERING, url)
    assert first == again
    orders = {tuple(o["value"] for o in t["data"]["options"]) for t in first}
    assert len(orders) > 1, "every set shows the descriptions in the same order"
    descriptions = {", ".join(terms) for terms in TERMS.values()}
    for task in first:
        values = [o["value"] for o in task["data"]["options"]]
        assert [v.split(": ", 1)[0] for v in values] == ["A", "B", "C"]
        assert {v.split(": ", 1)[1] for v in values} == descriptions


def test_matching_key_maps_letters_back_to_the_sets_clusters(ls_study):
    url = ls.image_url_builder(ls_study, "local-files")
    ls.build(ls_study, "sets", CLUSTERING, url)
    key = json.loads(ls.key_path(ls_study, CLUSTERING).read_text())
    for set_id, options in key["sets"].items():
        for letter, cluster, text in options:
            assert text == ", ".join(TERMS[cluster])


def test_letters_go_past_z():
    assert ls.letters(28)[25:] == ["Z", "AA", "AB"]


def test_image_urls_in_both_modes(ls_study):
    local = ls.image_url_builder(ls_study, "local-files", document_root=ls_study.image_root.parent)
    assert local("i03") == "/data/local-files/?d=images/img03.png"
    served = ls.image_url_builder(ls_study, "serve", base_url="http://127.0.0.1:5001/")
    assert served("i03") == "http://127.0.0.1:5001/images/i03"


def test_local_files_default_document_root_is_the_image_roots_parent(ls_study):
    assert ls.image_url_builder(ls_study, "local-files")("i03") == "/data/local-files/?d=images/img03.png"
    assert ls.local_files_storage_path(ls_study) == ls_study.image_root.resolve()


def test_document_root_equal_to_image_root_is_user_error(ls_study):
    with pytest.raises(UserError, match="strictly below the local-files document root"):
        ls.local_files_storage_path(ls_study, ls_study.image_root)


def test_image_outside_document_root_is_user_error(ls_study, tmp_path):
    url = ls.image_url_builder(ls_study, "local-files", document_root=tmp_path / "elsewhere")
    with pytest.raises(UserError, match="outside the local-files document root"):
        url("i00")


def test_export_cli_writes_config_and_tasks_for_import_by_hand(run_cli, ls_study, tmp_path):
    out = tmp_path / "ls-pairs"
    result = run_cli("labelstudio", "export", "--study", ls_study.root, "--task", "pairs", "--out", out,
                     "--image-url-mode", "serve", "--image-base-url", "http://localhost:5001")
    assert result.exit_code == 0, result.stderr
    tasks = json.loads((out / "tasks.json").read_text())
    assert len(tasks) == len(ls_study.read_pairs())
    assert tasks[0]["data"]["image_a"].startswith("http://localhost:5001/images/i")
    assert ls.config_kind((out / "config.xml").read_text()) == "pairs"


def test_export_cli_sets_writes_the_key_into_the_study(run_cli, ls_study, tmp_path):
    result = run_cli("labelstudio", "export", "--study", ls_study.root, "--task", "sets",
                     "--clustering", CLUSTERING, "--out", tmp_path / "ls-sets")
    assert result.exit_code == 0, result.stderr
    assert ls.key_path(ls_study, CLUSTERING).is_file()
    assert len(json.loads((tmp_path / "ls-sets" / "tasks.json").read_text())) == 6


@pytest.mark.parametrize("args, message", [
    (["--task", "sets"], "needs --clustering"),
    (["--task", "pairs", "--image-url-mode", "serve"], "needs --image-base-url"),
    (["--task", "sets", "--clustering", "nope"], "nope"),
])
def test_export_cli_bad_options_exit_2_with_one_line(run_cli, ls_study, tmp_path, args, message):
    result = run_cli("labelstudio", "export", "--study", ls_study.root, *args, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_push_to_unreachable_server_is_user_error(run_cli, ls_study, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "some-token")
    result = run_cli("labelstudio", "push", "--study", ls_study.root, "--task", "pairs",
                     "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert f"cannot reach Label Studio at http://127.0.0.1:{port}" in result.stderr


def test_push_without_api_key_names_the_variable(run_cli, ls_study, monkeypatch):
    monkeypatch.delenv("MY_LS_KEY", raising=False)
    result = run_cli("labelstudio", "push", "--study", ls_study.root, "--task", "pairs",
                     "--url", "http://127.0.0.1:9", "--api-key-env", "MY_LS_KEY")
    assert result.exit_code == 2 and "MY_LS_KEY" in result.stderr


def _annotation(user, choices: dict, cancelled=False, updated="2026-11-22T10:00:00.5Z"):
    result = [{"from_name": k, "to_name": "image_a", "type": "choices", "value": {"choices": [v]}}
              for k, v in choices.items()]
    return {"completed_by": user, "result": result, "was_cancelled": cancelled,
            "created_at": "2026-11-22T10:00:00.123456Z", "updated_at": updated}


def test_ratings_from_export_converts_scores_skips_and_duplicates(ls_study):
    pairs = ls_study.read_pairs()
    ref = ls.task_ref(ls_study, "pairs", pairs["pair_id"][0])
    export = [{"data": {"ref": ref}, "annotations": [
        _annotation(1, {"denotative": "2", "connotative": "cannot_judge"}),
        _annotation(2, {}, cancelled=True),
        _annotation(3, {"denotative": "0", "connotative": "1"}, updated="2026-11-22T09:00:00Z"),
        _annotation(3, {"denotative": "1 - loosely related", "connotative": "2"}),
    ]}]
    ratings, _, report = ls.ratings_from_export(ls_study, export, {1: "a@x.org", 2: "b@x.org", 3: "c@x.org"})
    assert list(ratings.columns) == RATING_COLUMNS
    got = {(r.coder, r.dimension): (None if pd.isna(r.score) else int(r.score)) for r in ratings.itertuples()}
    assert got == {("a@x.org", "denotative"): 2, ("a@x.org", "connotative"): None,
                   ("c@x.org", "denotative"): 1, ("c@x.org", "connotative"): 2}
    assert set(ratings["phase"]) == {pairs["phase"][0]} and set(ratings["round"]) == {"independent"}
    assert set(ratings["created_at"]) == {"2026-11-22T10:00:00Z"}
    assert report["skipped"] == [(pairs["pair_id"][0], "b@x.org")] and report["superseded"] == 1


def test_ratings_from_export_rejects_tasks_not_in_the_study(ls_study):
    export = [{"data": {"ref": "0123456789abcdef"}, "annotations": []}]
    with pytest.raises(UserError, match="not in this study"):
        ls.ratings_from_export(ls_study, export, {})


def test_answer_outside_the_scale_is_user_error(ls_study):
    ref = ls.task_ref(ls_study, "pairs", ls_study.read_pairs()["pair_id"][0])
    export = [{"data": {"ref": ref}, "annotations": [_annotation(1, {"denotative": "very"})]}]
    with pytest.raises(UserError, match="not on our scale"):
        ls.ratings_from_export(ls_study, export, {1: "a@x.org"})


def test_a_skip_later_answered_by_the_same_coder_is_not_reported(ls_study):
    ref = ls.task_ref(ls_study, "pairs", ls_study.read_pairs()["pair_id"][0])
    export = [{"data": {"ref": ref}, "annotations": [
        _annotation(1, {}, cancelled=True),
        _annotation(1, {"denotative": "0", "connotative": "0"})]}]
    ratings, _, report = ls.ratings_from_export(ls_study, export, {1: "a@x.org"})
    assert len(ratings) == 2 and report["skipped"] == []
