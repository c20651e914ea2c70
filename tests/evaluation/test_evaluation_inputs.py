"""Bad evaluation inputs exit 2 naming the rows; commands and docs (evaluation/inputs.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from semclust.evaluation.inputs import parse_scale, validate_ratings
from semclust.study import Study, UserError

REPO = Path(__file__).resolve().parents[2]
RATINGS = """item_id,coder,dimension,score,round,phase
p1,ann,connotative,2,independent,1
p1,bob,connotative,1,independent,1
p2,ann,connotative,{score_p2},independent,1
p2,bob,connotative,0,,1
p3,ann,{dimension},1,independent,1
p3,bob,connotative,1,independent,1
p4,ann,connotative,0,independent,1
p4,bob,connotative,,independent,1
"""


def write(tmp_path, text, name="ratings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def good_ratings(tmp_path) -> Path:
    return write(tmp_path, RATINGS.format(score_p2=2, dimension="connotative"))


def test_agreement_cli_prints_table_and_json(good_ratings, run_cli):
    table = run_cli("agreement", "--ratings", good_ratings, "--bootstrap", 50)
    assert table.exit_code == 0, table.stderr
    assert table.stdout.startswith("connotative: 4 items, 2 coders")
    assert "Krippendorff's alpha (ordinal)" in table.stdout
    result = run_cli("agreement", "--ratings", good_ratings, "--bootstrap", 50, "--json")
    data = json.loads(result.stdout)
    assert data["connotative"]["n_items"] == 4  # p4's empty score is missing, not 0
    assert data["connotative"]["cohen_kappa"].keys() == {"ann|bob"}


def test_score_outside_scale_exits_2_naming_the_rows(tmp_path, run_cli):
    path = write(tmp_path, RATINGS.format(score_p2=3, dimension="connotative")
                 + "p5,ann,connotative,3,independent,1\n")
    result = run_cli("agreement", "--ratings", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: ratings.csv rows 4, 10: score 3 outside scale 0,1,2"
    assert run_cli("agreement", "--ratings", path, "--scale", "0..3").exit_code == 0


def test_misspelt_dimension_in_a_studys_export_exits_2_naming_the_row(tmp_path, run_cli):
    study = Study.create(tmp_path / "study", tmp_path)
    study.ratings_csv.parent.mkdir(parents=True, exist_ok=True)
    study.ratings_csv.write_text(RATINGS.format(score_p2=2, dimension="conotative"))
    result = run_cli("agreement", "--study", study.root)
    assert result.exit_code == 2
    assert "ratings.csv row 6: unknown dimension" in result.stderr


def test_agreement_takes_any_dimension_and_scale_of_ratings_collected_elsewhere(tmp_path, run_cli):
    rows = ["item_id,coder,dimension,score"] + [
        f"doc{i},{coder},relevance,{score}" for i in range(6)
        for coder, score in (("ann", 1 + i % 5), ("bob", 1 + (i + i // 3) % 5))]
    path = write(tmp_path, "\n".join(rows) + "\n")
    result = run_cli("agreement", "--ratings", path, "--scale", "1,2,3,4,5", "--json", "--bootstrap", 0)
    assert result.exit_code == 0, result.stderr
    assert list(json.loads(result.stdout)) == ["relevance"]
    assert json.loads(result.stdout)["relevance"]["n_items"] == 6


def test_agreement_dimensions_option_chooses_and_names_an_absent_one(tmp_path, run_cli):
    path = write(tmp_path, RATINGS.format(score_p2=2, dimension="clarity"))
    every = run_cli("agreement", "--ratings", path, "--json", "--bootstrap", 0)
    assert list(json.loads(every.stdout)) == ["connotative", "clarity"]  # ours first
    chosen = run_cli("agreement", "--ratings", path, "--json", "--bootstrap", 0, "--dimensions", "clarity")
    assert list(json.loads(chosen.stdout)) == ["clarity"]
    absent = run_cli("agreement", "--ratings", path, "--dimensions", "denotative")
    assert absent.exit_code == 2
    assert absent.stderr.strip() == ("error: no ratings for dimension(s) denotative "
                                     "(dimensions in the ratings: connotative, clarity)")


def test_duplicate_rating_in_one_round_exits_2_naming_the_rows(good_ratings, run_cli):
    with open(good_ratings, "a") as fh:
        fh.write("p1,bob,connotative,2,independent,1\n")
    result = run_cli("agreement", "--ratings", good_ratings)
    assert result.exit_code == 2
    assert "ratings.csv rows 3, 10: the same coder rated the same item" in result.stderr


def test_consensus_round_is_not_a_duplicate_of_the_independent_one(good_ratings, run_cli):
    with open(good_ratings, "a") as fh:
        fh.write("p1,bob,connotative,2,consensus,1\n")
    assert run_cli("agreement", "--ratings", good_ratings, "--bootstrap", 0).exit_code == 0


@pytest.mark.parametrize("text, message", [
    ("item_id,coder,score\np1,ann,1\n", "lacks column(s) dimension"),
    ('item_id,coder,dimension,score\n"p1,ann,connotative,1\n', "cannot read"),
    ("", "cannot read"),
    ("item_id,coder,dimension,score\np1,ann,connotative,high\n", "row 2: score is not a number"),
    ("item_id,coder,dimension,score,round\np1,ann,connotative,1,final\n", "row 2: round must be"),
])
def test_malformed_ratings_exit_2(tmp_path, run_cli, text, message):
    result = run_cli("agreement", "--ratings", write(tmp_path, text))
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_missing_ratings_file_exits_2(tmp_path, run_cli):
    result = run_cli("agreement", "--ratings", tmp_path / "nope.csv")
    assert result.exit_code == 2 and "file not found" in result.stderr
    assert run_cli("agreement").exit_code == 2


def test_validate_ratings_does_not_modify_its_input():
    frame = pd.DataFrame({"item_id": ["p1"], "coder": ["a"], "dimension": ["connotative"],
                          "score": ["1"]})
    before = frame.copy()
    out = validate_ratings(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["round"].tolist() == ["independent"] and out["score"].tolist() == [1.0]


def test_scale_parsing():
    assert parse_scale("0,1,2") == (0, 1, 2) and parse_scale("1..5") == (1, 2, 3, 4, 5)
    for bad in ("a,b", "1", "3..3"):
        with pytest.raises(UserError):
            parse_scale(bad)


def test_sets_and_labels_reject_bad_cluster_ids(tmp_path, run_cli):
    sets = write(tmp_path, "set_id,cluster,image_ids\ns1,0,a;b\ns1,x,c;d\n", "sets.csv")
    matches = write(tmp_path, "set_id,evaluator,chosen_cluster\ns1,ann,0\n", "matches.csv")
    result = run_cli("interpretability", "--matches", matches, "--sets", sets)
    assert result.exit_code == 2 and "sets.csv row 3: cluster is not an integer" in result.stderr


@pytest.mark.parametrize("command", ["agreement", "quality", "interpretability"])
def test_every_evaluation_command_help_has_an_example(run_cli, command):
    result = run_cli(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
    assert f"semclust {command} --" in result.stdout


def test_docs_define_every_output_key_and_command():
    text = (REPO / "docs" / "evaluation.md").read_text()
    keys = ["n_items", "n_coders", "krippendorff_alpha", "alpha_ci95", "percent_agreement",
            "cohen_kappa", "cohen_kappa_mean", "weighted_kappa", "fleiss_kappa",
            "fleiss_kappa_note", "s_same", "s_diff", "score", "ci95", "n_same", "n_diff",
            "valid", "p_value", "pair_f1", "rating_source", "n_excluded", "accuracy",
            "precision_macro", "recall_macro", "random_baseline", "per_cluster",
            "evaluator_kappa", "evaluator_kappa_mean", "n_majority", "n_tie_first_evaluator",
            "confusion", "merged", "n_sets_unmatched", "stratum"]
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"docs/evaluation.md does not define {missing}"
    for command in ("agreement", "quality", "interpretability"):
        assert f"semclust {command}" in text


def test_agreement_cli_reads_a_study_and_uses_its_seed(tmp_path, run_cli):
    import numpy as np

    from semclust.study import Study

    (tmp_path / "images").mkdir()
    study = Study.create(tmp_path / "study", tmp_path / "images", seed=5)
    scores = np.random.default_rng(0).integers(0, 3, (2, 40))
    pd.DataFrame([{"item_id": f"p{j}", "coder": coder, "dimension": "connotative",
                   "score": scores[i, j]} for i, coder in enumerate(["ann", "bob"])
                  for j in range(40)]).to_csv(study.ratings_csv, index=False)
    args = ["agreement", "--study", study.root, "--bootstrap", 100, "--json"]
    from_study = json.loads(run_cli(*args).stdout)["connotative"]
    seeded = json.loads(run_cli(*args, "--seed", 5).stdout)["connotative"]
    other = json.loads(run_cli(*args, "--seed", 6).stdout)["connotative"]
    assert from_study == seeded and from_study["alpha_ci95"] != other["alpha_ci95"]
    assert from_study["n_coders"] == 2 and from_study["n_items"] == 40
