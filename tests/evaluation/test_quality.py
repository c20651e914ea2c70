"""Cluster quality s_s - s_d on hand-computed cases (evaluation/quality.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.evaluation.inputs import read_ratings
from semclust.evaluation.quality import pair_f1, permutation_p, quality_grid, quality_scores, score_ci
from semclust.study import KEYWORD_COLUMNS, Study, UserError

# Clusters: x* in 0, y* in 1, n1 noise, u1 has no label (e.g. no description).
LABELS = pd.DataFrame({"image_id": ["x1", "x2", "x3", "y1", "y2", "y3", "n1"],
                       "cluster": [0, 0, 0, 1, 1, 1, -1]})
PAIRS = pd.DataFrame({"pair_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
                      "image_a": ["x1", "y1", "x1", "x2", "x1", "y3"],
                      "image_b": ["x2", "y2", "y1", "y2", "n1", "u1"],
                      "phase": "1"})


def rating_rows(item, scores, dimension="connotative", round_="independent"):
    return [{"item_id": item, "coder": coder, "dimension": dimension, "score": score,
             "round": round_} for coder, score in zip(["ann", "bob"], scores)]


def hand_ratings() -> pd.DataFrame:
    """p1: coders 1/0 but consensus 2; p2: 1/2 (mean 1.5); p3: 0/0; p4: 1/0 (0.5);
    p5 (noise image): 2/2; p6 (unclustered image): 2/2."""
    rows = (rating_rows("p1", [1, 0]) + [{"item_id": "p1", "coder": "ann+bob",
                                          "dimension": "connotative", "score": 2,
                                          "round": "consensus"}]
            + rating_rows("p2", [1, 2]) + rating_rows("p3", [0, 0]) + rating_rows("p4", [1, 0])
            + rating_rows("p5", [2, 2]) + rating_rows("p6", [2, 2]))
    return pd.DataFrame(rows)


def test_quality_hand_computed_excludes_noise_and_prefers_consensus():
    q = quality_scores(hand_ratings(), PAIRS, LABELS, min_pairs=2)["connotative"]
    # s_s = (2 [consensus, not (1+0)/2] + 1.5) / 2; s_d = (0 + 0.5) / 2; p5, p6 count in neither.
    assert q["s_same"] == pytest.approx(1.75) and q["s_diff"] == pytest.approx(0.25)
    assert q["score"] == pytest.approx(1.5)
    assert (q["n_same"], q["n_diff"], q["n_excluded"], q["n_rated_pairs"]) == (2, 2, 2, 6)
    assert q["rating_source"] == {"consensus": 1, "mean": 3}
    assert q["valid"] is True


def test_quality_valid_needs_min_pairs_in_both_groups():
    assert quality_scores(hand_ratings(), PAIRS, LABELS, min_pairs=3)["connotative"]["valid"] is False
    assert quality_scores(hand_ratings(), PAIRS, LABELS)["connotative"]["valid"] is False  # 25


def test_quality_json_has_the_issue_keys_and_no_nan():
    q = quality_scores(hand_ratings(), PAIRS, LABELS, min_pairs=2)["connotative"]
    assert {"s_same", "s_diff", "score", "ci95", "n_same", "n_diff", "valid", "p_value",
            "pair_f1"} <= set(q)
    assert set(q["pair_f1"]) == {"precision", "recall", "f1", "threshold"}
    json.dumps(q, allow_nan=False)


def test_pair_f1_counts_related_pairs_at_the_threshold():
    rating, same = [2.0, 1.5, 0.0, 0.5], [True, True, False, False]
    assert pair_f1(rating, same, threshold=1) == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                                  "threshold": 1.0}
    strict = pair_f1(rating, same, threshold=2)  # only p1 related: 1 of 2 same pairs
    assert (strict["precision"], strict["recall"]) == (0.5, 1.0)
    assert strict["f1"] == pytest.approx(2 / 3)
    assert pair_f1([0.0, 0.0], [False, False])["precision"] is None


def test_quality_with_one_group_empty_is_null_with_note():
    labels = LABELS.assign(cluster=[0, 0, 0, 0, 0, 0, -1])  # every clustered pair is "same"
    q = quality_scores(hand_ratings(), PAIRS, labels)["connotative"]
    assert q["s_diff"] is None and q["score"] is None and q["score_note"]
    assert q["p_value"] is None and q["ci95"] is None


def test_permutation_p_is_minimal_for_perfect_separation_and_one_without_signal():
    same = np.array([True] * 30 + [False] * 30)
    assert permutation_p(np.where(same, 2.0, 0.0), same, 999) == pytest.approx(1 / 1000)
    assert permutation_p(np.ones(60), same, 999) == 1.0


def test_score_ci_brackets_the_score_and_is_reproducible():
    rng = np.random.default_rng(0)
    same = rng.random(200) < 0.4
    rating = np.clip(np.round(rng.normal(np.where(same, 1.4, 0.6), 0.7)), 0, 2)
    score = rating[same].mean() - rating[~same].mean()
    low, high = score_ci(rating, same, 500, np.random.default_rng(1))
    assert low < score < high
    assert score_ci(rating, same, 500, np.random.default_rng(1)) == [low, high]


def test_quality_rating_of_an_unknown_pair_names_the_rows(tmp_path):
    ratings = pd.concat([hand_ratings(), pd.DataFrame(rating_rows("p99", [1, 1]))],
                        ignore_index=True)
    with pytest.raises(UserError, match=r"^ratings rows 13, 14: item_id is not a pair_id"):
        quality_scores(ratings, PAIRS, LABELS)  # a frame built in code: its index labels
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    with pytest.raises(UserError, match=r"^ratings.csv rows 15, 16: item_id is not a pair_id"):
        quality_scores(read_ratings(tmp_path / "ratings.csv"), PAIRS, LABELS)  # file rows


def test_quality_notes_stratified_pairs_without_weights_are_unweighted():
    q = quality_scores(hand_ratings(), PAIRS.assign(stratum="same"), LABELS)["connotative"]
    assert "unweighted" in q["weighting_note"] and q["weighted"] is False


def test_quality_weights_pairs_by_inverse_inclusion_probability():
    pairs = PAIRS.assign(stratum=["same", "same", "diff", "diff", "diff", "diff"],
                         weight=[1.0, 3.0, 1.0, 3.0, 3.0, 3.0])
    q = quality_scores(hand_ratings(), pairs, LABELS, min_pairs=2)["connotative"]
    # Hajek means: s_s = (2*1 + 1.5*3) / 4, s_d = (0*1 + 0.5*3) / 4; counts stay unweighted.
    assert q["s_same"] == pytest.approx(1.625) and q["s_diff"] == pytest.approx(0.375)
    assert q["score"] == pytest.approx(1.25) and q["weighted"] is True
    assert (q["n_same"], q["n_diff"]) == (2, 2) and "weighting_note" not in q
    assert q["pair_f1"]["precision"] == 1.0
    with pytest.raises(UserError, match=r"^pairs row 1: weight must be a positive number"):
        quality_scores(hand_ratings(), pairs.assign(weight=[1.0, 0.0, 1, 1, 1, 1]), LABELS)


def test_weighted_pair_f1_and_ci():
    # related same-cluster weight 3, unrelated same-cluster weight 1 -> precision 3/4.
    f1 = pair_f1([2.0, 0.0, 2.0], [True, True, False], weight=[3.0, 1.0, 1.0])
    assert f1["precision"] == pytest.approx(0.75) and f1["recall"] == pytest.approx(0.75)
    rating, same = np.array([2.0, 1.0, 2.0, 0.0, 1.0, 0.0]), np.array([1, 1, 1, 0, 0, 0], bool)
    ci = score_ci(rating, same, 300, np.random.default_rng(0), weight=np.arange(1, 7.0))
    assert ci[0] <= ci[1]


# --- a real study folder ------------------------------------------------------
def make_study(tmp_path, n_pairs=120, seed=0) -> Study:
    """A study with 60 images in 3 themes, rated pairs, a good and a shuffled clustering."""
    rng = np.random.default_rng(seed)
    (tmp_path / "images").mkdir()
    study = Study.create(tmp_path / "study", tmp_path / "images", seed=11)
    ids = [f"img{i:02d}" for i in range(60)]
    theme = {image: i % 3 for i, image in enumerate(ids)}
    drawn = [rng.choice(ids, 2, replace=False) for _ in range(n_pairs)]
    pairs = pd.DataFrame({"pair_id": [f"p{k:03d}" for k in range(n_pairs)],
                          "image_a": [a for a, _ in drawn], "image_b": [b for _, b in drawn],
                          "phase": ["1" if k < n_pairs // 2 else "2" for k in range(n_pairs)]})
    pairs.to_csv(study.pairs_csv, index=False)
    rows = []
    for pair_id, a, b in pairs[["pair_id", "image_a", "image_b"]].itertuples(index=False):
        for dimension in ("denotative", "connotative"):
            rows += rating_rows(pair_id, [2 if theme[a] == theme[b] else 0] * 2, dimension)
    pd.DataFrame(rows).assign(phase="1").to_csv(study.ratings_csv, index=False)
    good = pd.DataFrame({"image_id": ids, "cluster": [theme[i] for i in ids]})
    good.loc[:5, "cluster"] = -1
    shuffled = good.assign(cluster=rng.permutation(good["cluster"].to_numpy()))
    for cid, labels in (("good", good), ("shuffled", shuffled)):
        study.write_clustering(cid, labels, {"reduction": {"method": "umap", "n_components": 5},
                                             "embedding": "minilm"},
                               pd.DataFrame(columns=KEYWORD_COLUMNS), {"n_clusters": 3})
    return study


def test_quality_grid_scores_every_clustering_with_its_parameters(tmp_path):
    study = make_study(tmp_path)
    grid = quality_grid(study, n_permutations=200, n_bootstrap=200)
    assert set(grid) == {"good", "shuffled"}
    good = grid["good"]
    assert good["n_clusters"] == 3 and good["noise_fraction"] == pytest.approx(6 / 60)
    assert good["reduction"] == {"method": "umap", "n_components": 5}
    assert good["embedding"] == "minilm"
    assert good["scores"]["connotative"]["score"] == pytest.approx(2.0)
    assert good["scores"]["connotative"]["p_value"] < 0.01
    assert grid["shuffled"]["scores"]["connotative"]["score"] < 1.0
    assert list(good["scores"]) == ["denotative", "connotative"]


def test_quality_cli_study_json_and_table(tmp_path, run_cli):
    study = make_study(tmp_path)
    result = run_cli("quality", "--study", study.root, "--permutations", 100, "--bootstrap", 100,
                     "--json")
    assert result.exit_code == 0, result.stderr
    grid = json.loads(result.stdout)
    assert grid["good"]["scores"]["denotative"]["valid"] is True
    one = run_cli("quality", "--study", study.root, "--clustering", "shuffled", "--json")
    assert list(json.loads(one.stdout)) == ["shuffled"]
    table = run_cli("quality", "--study", study.root, "--bootstrap", 0)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["clustering", "clusters", "noise", "dimension"]
    assert lines[2].startswith("good")  # sorted by connotative score, best first


def test_quality_cli_explicit_files(tmp_path, run_cli):
    hand_ratings().to_csv(tmp_path / "r.csv", index=False)
    PAIRS.to_csv(tmp_path / "p.csv", index=False)
    LABELS.to_csv(tmp_path / "l.csv", index=False)
    result = run_cli("quality", "--ratings", tmp_path / "r.csv", "--pairs", tmp_path / "p.csv",
                     "--labels", tmp_path / "l.csv", "--min-pairs", 2, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["connotative"]["score"] == pytest.approx(1.5)
    table = run_cli("quality", "--ratings", tmp_path / "r.csv", "--pairs", tmp_path / "p.csv",
                    "--labels", tmp_path / "l.csv")
    assert "1 consensus, 3 mean of coders" in table.stdout
    missing = run_cli("quality", "--ratings", tmp_path / "r.csv", "--pairs", tmp_path / "p.csv")
    assert missing.exit_code == 2 and "--labels" in missing.stderr


def test_quality_cli_unknown_clustering_exits_2(tmp_path, run_cli):
    study = make_study(tmp_path)
    result = run_cli("quality", "--study", study.root, "--clustering", "nope")
    assert result.exit_code == 2 and "known: good, shuffled" in result.stderr


def test_quality_on_a_header_only_ratings_file_exits_2(tmp_path, run_cli):
    hand_ratings().iloc[:0].to_csv(tmp_path / "r.csv", index=False)
    PAIRS.to_csv(tmp_path / "p.csv", index=False)
    LABELS.to_csv(tmp_path / "l.csv", index=False)
    result = run_cli("quality", "--ratings", tmp_path / "r.csv", "--pairs", tmp_path / "p.csv",
                     "--labels", tmp_path / "l.csv")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: r.csv: no ratings to score with (only a header)"
