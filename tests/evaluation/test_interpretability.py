"""The matching test on hand-computed cases (evaluation/interpretability.py)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from semclust.evaluation.interpretability import interpretability, parse_merge
from semclust.study import UserError

SETS = pd.DataFrame({"set_id": ["s0a", "s0b", "s1a", "s1b", "s2a", "s2b"],
                     "cluster": [0, 0, 1, 1, 2, 2],
                     "image_ids": ["a;b;c", "d;e;f", "g;h;i", "j;k;l", "m;n;o", "p;q;r"]})
# Choices of ann, bob, cy per set. s1b is a three-way tie (0, 1, 2); nobody's final
# label is ever cluster 2, so cluster 2 is never chosen.
CHOICES = {"s0a": (0, 0, 0), "s0b": (0, 1, 1), "s1a": (1, 1, 1), "s1b": (0, 1, 2),
           "s2a": (1, 1, 2), "s2b": (1, 1, 1)}


def matches_frame() -> pd.DataFrame:
    return pd.DataFrame([{"set_id": set_id, "evaluator": evaluator, "chosen_cluster": choice}
                         for set_id, choices in CHOICES.items()
                         for evaluator, choice in zip(["ann", "bob", "cy"], choices)])


def test_majority_label_and_tie_goes_to_first_evaluator_in_file_order():
    r = interpretability(matches_frame(), SETS)
    # labels: s0a 0, s0b 1, s1a 1, s1b 0 (tie: ann, first in the file), s2a 1, s2b 1
    assert (r["n_majority"], r["n_tie_first_evaluator"]) == (5, 1)
    assert r["accuracy"] == pytest.approx(2 / 6)
    assert r["confusion"] == {"clusters": ["0", "1", "2"],
                              "counts": [[1, 1, 0], [1, 1, 0], [0, 2, 0]]}


def test_tie_goes_to_first_of_the_given_evaluators():
    r = interpretability(matches_frame(), SETS, evaluators=["bob", "ann", "cy"])
    assert r["accuracy"] == pytest.approx(3 / 6)  # s1b now takes bob's 1, which is right
    assert r["per_cluster"]["1"]["recall"] == 1.0


def test_precision_recall_with_a_never_chosen_cluster():
    r = interpretability(matches_frame(), SETS)
    assert r["per_cluster"] == {"0": {"precision": 0.5, "recall": 0.5, "n_sets": 2},
                                "1": {"precision": 0.25, "recall": 0.5, "n_sets": 2},
                                "2": {"precision": 0.0, "recall": 0.0, "n_sets": 2}}
    assert r["precision_macro"] == pytest.approx(0.75 / 3)
    assert r["recall_macro"] == pytest.approx(1 / 3)
    assert (r["n_clusters"], r["random_baseline"]) == (3, pytest.approx(1 / 3))


def test_merging_two_clusters_relabels_choices_before_voting():
    r = interpretability(matches_frame(), SETS, merge=["1,2"])
    # s1b becomes (0, 1, 1): majority 1; s2a (1, 1, 1); only s0b stays wrong.
    assert r["merged"] == [["1", "2"]] and r["n_clusters"] == 2
    assert r["accuracy"] == pytest.approx(5 / 6)
    assert (r["n_majority"], r["n_tie_first_evaluator"]) == (6, 0)
    assert r["per_cluster"]["0"] == {"precision": 1.0, "recall": 0.5, "n_sets": 2}
    assert r["per_cluster"]["1"] == {"precision": 0.8, "recall": 1.0, "n_sets": 4}
    assert r["random_baseline"] == 0.5


def test_merge_groups_sharing_a_cluster_join():
    assert parse_merge([(0, 1), "1,2"], [0, 1, 2, 3]) == {0: 0, 1: 0, 2: 0, 3: 3}
    with pytest.raises(UserError, match="cluster.s. 9 not in the sets file"):
        parse_merge(["1,9"], [0, 1, 2])


def test_evaluator_kappa_per_pair_and_mean():
    r = interpretability(matches_frame(), SETS)
    # ann 0,0,1,0,1,1 vs bob 0,1,1,1,1,1: p_o = 4/6, p_e = (3*1 + 3*5)/36 = 1/2 -> 1/3
    assert r["evaluator_kappa"]["ann|bob"] == pytest.approx(1 / 3)
    assert list(r["evaluator_kappa"]) == ["ann|bob", "ann|cy", "bob|cy"]
    assert r["evaluator_kappa_mean"] == pytest.approx(sum(r["evaluator_kappa"].values()) / 3)
    json.dumps(r, allow_nan=False)


def test_interpretability_json_has_the_issue_keys():
    r = interpretability(matches_frame(), SETS)
    assert {"n_sets", "n_clusters", "accuracy", "precision_macro", "recall_macro",
            "random_baseline", "per_cluster", "evaluator_kappa", "evaluator_kappa_mean",
            "n_majority", "n_tie_first_evaluator", "confusion"} <= set(r)


def test_unmatched_sets_are_counted_not_scored():
    r = interpretability(matches_frame()[lambda f: f.set_id != "s2b"], SETS)
    assert r["n_sets"] == 5 and r["n_sets_unmatched"] == 1
    assert r["per_cluster"]["2"]["n_sets"] == 1


def test_set_id_missing_from_sets_names_the_rows(tmp_path, run_cli):
    SETS.to_csv(tmp_path / "sets.csv", index=False)
    bad = pd.concat([matches_frame(), pd.DataFrame([{"set_id": "s9", "evaluator": "ann",
                                                     "chosen_cluster": 0}])])
    bad.to_csv(tmp_path / "matches.csv", index=False)
    result = run_cli("interpretability", "--matches", tmp_path / "matches.csv",
                     "--sets", tmp_path / "sets.csv")
    assert result.exit_code == 2
    assert "matches.csv row 20: set_id not in sets.csv" in result.stderr


def test_chosen_cluster_the_sets_never_had_names_the_rows(tmp_path, run_cli):
    SETS.to_csv(tmp_path / "sets.csv", index=False)
    bad = matches_frame()
    bad.loc[[3, 7], "chosen_cluster"] = 42
    bad.to_csv(tmp_path / "matches.csv", index=False)
    result = run_cli("interpretability", "--matches", tmp_path / "matches.csv",
                     "--sets", tmp_path / "sets.csv")
    assert result.exit_code == 2
    assert "matches.csv rows 5, 9: chosen_cluster not a cluster of sets.csv" in result.stderr


def test_unknown_evaluator_is_an_error():
    with pytest.raises(UserError, match="dora made no match"):
        interpretability(matches_frame(), SETS, evaluators=["ann", "dora"])


def test_interpretability_cli_table_json_and_merge(tmp_path, run_cli):
    SETS.to_csv(tmp_path / "sets.csv", index=False)
    matches_frame().to_csv(tmp_path / "matches.csv", index=False)
    args = ["interpretability", "--matches", tmp_path / "matches.csv", "--sets",
            tmp_path / "sets.csv"]
    result = run_cli(*args, "--evaluators", "bob,ann,cy", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] == pytest.approx(0.5)
    table = run_cli(*args, "--merge", "1,2")
    assert table.exit_code == 0, table.stderr
    assert "accuracy            0.333 -> 0.833" in table.stdout
    assert "merged clusters     1+2" in table.stdout


def test_interpretability_cli_reads_a_study(tmp_path, run_cli):
    from semclust.study import Study

    (tmp_path / "images").mkdir()
    study = Study.create(tmp_path / "study", tmp_path / "images")
    study.sets_dir.mkdir(parents=True, exist_ok=True)
    SETS.to_csv(study.sets_csv("umap5-mcs50"), index=False)
    matches_frame().to_csv(study.matches_csv, index=False)
    result = run_cli("interpretability", "--study", study.root, "--clustering", "umap5-mcs50",
                     "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_sets"] == 6
    missing = run_cli("interpretability", "--study", study.root)
    assert missing.exit_code == 2 and "umap5-mcs50" in missing.stderr


def test_merged_groups_sort_cluster_ids_numerically():
    from semclust.evaluation.interpretability import merged_groups

    assert merged_groups(parse_merge(["10,2", "3,4"], [2, 3, 4, 10])) == [["2", "10"], ["3", "4"]]
