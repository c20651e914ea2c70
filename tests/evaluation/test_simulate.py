"""Simulated ratings and matches follow the stated generative model (evaluation/simulate.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from semclust.evaluation.simulate import cluster_themes, simulate_matches, simulate_ratings
from semclust.study import Study

THEME = pd.Series({f"i{k}": ("wind" if k < 6 else "fire") for k in range(12)})


def pairs_frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    ids = THEME.index.to_numpy()
    rows = [rng.choice(ids, 2, replace=False) for _ in range(n)]
    return pd.DataFrame({"pair_id": [f"p{k:03d}" for k in range(n)], "image_a": [r[0] for r in rows],
                         "image_b": [r[1] for r in rows], "phase": "1"})


def test_simulated_ratings_without_noise_follow_the_latent_model():
    pairs = pairs_frame()
    ratings = simulate_ratings(pairs, THEME, n_coders=2, noise=0.0, seed=1)
    con = ratings[ratings["dimension"] == "connotative"].merge(pairs, left_on="item_id", right_on="pair_id")
    same = THEME.loc[con["image_a"]].to_numpy() == THEME.loc[con["image_b"]].to_numpy()
    assert (con.loc[same, "score"] == 2).all()
    assert con.loc[~same, "score"].isin([0, 1]).all()
    wide = ratings.pivot_table(index=["item_id", "dimension"], columns="coder", values="score")
    assert (wide["sim-coder-1"] == wide["sim-coder-2"]).all()  # no noise: coders agree
    assert len(ratings) == 2 * 2 * len(pairs)


def test_simulated_ratings_with_full_noise_use_the_whole_scale_and_disagree():
    ratings = simulate_ratings(pairs_frame(300), THEME, noise=1.0, seed=2)
    assert set(ratings["score"]) == {0, 1, 2}
    wide = ratings.pivot_table(index=["item_id", "dimension"], columns="coder", values="score")
    assert (wide["sim-coder-1"] != wide["sim-coder-2"]).mean() > 0.5


def test_simulated_ratings_are_reproducible_for_a_seed():
    a = simulate_ratings(pairs_frame(), THEME, seed=5).drop(columns="created_at")
    b = simulate_ratings(pairs_frame(), THEME, seed=5).drop(columns="created_at")
    c = simulate_ratings(pairs_frame(), THEME, seed=6).drop(columns="created_at")
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_simulated_matches_pick_the_cluster_of_the_sets_theme_without_noise():
    labels = pd.DataFrame({"image_id": THEME.index, "cluster": [0] * 6 + [1] * 5 + [-1]})
    assert cluster_themes(labels, THEME).to_dict() == {0: "wind", 1: "fire"}
    sets = pd.DataFrame({"set_id": ["s1", "s2"], "cluster": [0, 1],
                         "image_ids": ["i0;i1;i2", "i6;i7;i8"]})
    matches = simulate_matches(sets, labels, THEME, n_evaluators=3, noise=0.0, seed=0)
    assert len(matches) == 6
    chosen = matches.groupby("set_id")["chosen_cluster"].unique()
    assert list(chosen["s1"]) == [0] and list(chosen["s2"]) == [1]


def test_simulate_refuses_to_overwrite_real_ratings(run_cli, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    study = Study.create(tmp_path / "study", images)
    pd.DataFrame({"pair_id": ["p1"], "image_a": ["a"], "image_b": ["b"], "phase": ["1"]}).to_csv(
        study.pairs_csv, index=False)
    pd.DataFrame({"image_id": ["a", "b"], "theme": ["x", "x"]}).to_csv(tmp_path / "truth.csv", index=False)
    pd.DataFrame({"item_id": ["p1"], "coder": ["alice"], "dimension": ["connotative"], "score": [2],
                  "round": ["independent"], "phase": ["1"], "created_at": ["t"]}).to_csv(
        study.ratings_csv, index=False)
    result = run_cli("simulate", "--study", study.root, "--truth", tmp_path / "truth.csv")
    assert result.exit_code == 2 and "real answers" in result.stderr
    assert "alice" in study.ratings_csv.read_text()
    result = run_cli("simulate", "--study", study.root, "--truth", tmp_path / "truth.csv", "--force")
    assert result.exit_code == 0, result.stderr
    assert "alice" not in study.ratings_csv.read_text()


def _study_with_pairs(tmp_path) -> Study:
    images = tmp_path / "images"
    images.mkdir()
    study = Study.create(tmp_path / "study", images)
    ids = list(THEME.index)
    study.write_images(pd.DataFrame({"image_id": ids, "path": [f"{i}.jpg" for i in ids], "sha256": "",
                                     "width": 1, "height": 1, "status": "ok", "error": ""}))
    pairs_frame(40).to_csv(study.pairs_csv, index=False)
    return study


def test_simulate_draws_themes_from_an_imported_truth(run_cli, tmp_path):
    study = _study_with_pairs(tmp_path)
    labels = THEME.copy()
    labels["i11"] = None  # unlabelled: its pairs are not rated
    study.write_truth("themes", pd.DataFrame({"image_id": labels.index, "label": labels.values}))
    result = run_cli("simulate", "--study", study.root, "--truth", "themes", "--noise", "0")
    assert result.exit_code == 0, result.stderr
    ratings = pd.read_csv(study.ratings_csv).merge(pairs_frame(40), left_on="item_id", right_on="pair_id")
    assert not (ratings[["image_a", "image_b"]] == "i11").any().any()
    con = ratings[ratings["dimension"] == "connotative"]
    same = THEME.loc[con["image_a"]].to_numpy() == THEME.loc[con["image_b"]].to_numpy()
    assert (con.loc[same, "score"] == 2).all() and (con.loc[~same, "score"] < 2).all()


def test_simulate_truth_that_is_neither_a_file_nor_a_truth_exits_2(run_cli, tmp_path):
    study = _study_with_pairs(tmp_path)
    result = run_cli("simulate", "--study", study.root, "--truth", "nope")
    assert result.exit_code == 2 and "no truth 'nope' in study (known: none)" in result.stderr
    result = run_cli("simulate", "--study", study.root, "--truth", tmp_path / "missing.csv")
    assert result.exit_code == 2 and "file not found" in result.stderr
