"""`semclust search`: a seeded, resumable Optuna search validated on held-out rated pairs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from semclust.evaluation.inputs import read_ratings, study_pairs
from semclust.evaluation.quality import quality_scores, rated_pairs
from semclust.evaluation.simulate import simulate_ratings
from semclust.search import SearchOptions, load_space, run_search, search_history
from semclust.search.objectives import (
    PairRatings,
    dbcv_objective,
    feasibility,
    pair_ratings,
    parse_objective,
    proxy_sample,
    quality_objective,
    silhouette_noise_objective,
    silhouette_objective,
    split_holdout,
)
from semclust.search.results import select
from semclust.study import PAIR_COLUMNS, Study, atomic_write_csv

REPO = Path(__file__).resolve().parents[1]
N_IMAGES, N_GROUPS, DIM = 300, 5, 32

SPACE = """
subsample: 200
reductions:
  - method: pca
    n_components: [2, 5]
  - method: none
clusterers:
  - method: hdbscan
    min_cluster_size: {low: 5, high: 80, log: true}
    min_samples: [null, 3, 10]
    cluster_selection_method: [eom, leaf]
  - method: kmeans
    k: {low: 2, high: 10}
"""


def build_study(root: Path, seed: int = 3, n_pairs: int = 600) -> Study:
    """300 images in 5 planted groups (32-d), 600 random pairs in phases 1 and 2, simulated
    ratings of both dimensions by two coders (evaluation.simulate)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, N_GROUPS, N_IMAGES)
    X = rng.normal(size=(N_GROUPS, DIM))[truth] * 2.0 + rng.normal(size=(N_IMAGES, DIM))
    ids = [f"img{i:04d}" for i in range(N_IMAGES)]
    study = Study.create(root, root)
    study.write_embeddings("planted", X.astype(np.float32), ids, {"source": "synthetic"})
    a, b = rng.integers(0, N_IMAGES, (2, 3 * n_pairs))
    drawn = list(dict.fromkeys((x, y) for x, y in zip(a.tolist(), b.tolist()) if x < y))[:n_pairs]
    pairs = pd.DataFrame({"pair_id": [f"p{i + 1}" for i in range(n_pairs)],
                          "image_a": [ids[x] for x, _ in drawn], "image_b": [ids[y] for _, y in drawn],
                          "phase": ["1"] * (n_pairs // 2) + ["2"] * (n_pairs - n_pairs // 2)})
    atomic_write_csv(study.pairs_csv, pairs[PAIR_COLUMNS])
    theme = pd.Series([f"theme{g}" for g in truth], index=ids)
    atomic_write_csv(study.ratings_csv, simulate_ratings(pairs, theme, seed=seed))
    return study


@pytest.fixture(scope="module")
def planted_study(tmp_path_factory) -> Study:
    return build_study(tmp_path_factory.mktemp("search") / "study")


@pytest.fixture(scope="module")
def space_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("space") / "space.yaml"
    path.write_text(SPACE)
    return path


def search_args(study, space, search_id, trials=20, *extra):
    return ["search", "--study", study.root, "--embedding", "planted", "--objective",
            "quality:connotative", "--trials", trials, "--seed", 1, "--space", space,
            "--id", search_id, *extra]


def trials_of(study, search_id) -> pd.DataFrame:
    return pd.read_csv(study.root / "searches" / search_id / "trials.csv")


def best_of(study, search_id) -> dict:
    return json.loads((study.root / "searches" / search_id / "best.json").read_text())


# --- reproducible and resumable ------------------------------------------------------------
def test_search_same_seed_gives_identical_trials_csv(run_cli, planted_study, space_file):
    for search_id in ("twin-a", "twin-b"):
        result = run_cli(*search_args(planted_study, space_file, search_id))
        assert result.exit_code == 0, result.stderr
    first, second = (planted_study.root / "searches" / s / "trials.csv" for s in ("twin-a", "twin-b"))
    assert first.read_bytes() == second.read_bytes()
    trials = trials_of(planted_study, "twin-a")
    assert len(trials) == 20 and trials["trial"].is_unique
    assert {"reduction", "clusterer", "hdbscan.min_cluster_size", "kmeans.k", "objective", "n_same",
            "n_diff", "noise", "feasible"} <= set(trials.columns)
    first_best, second_best = best_of(planted_study, "twin-a"), best_of(planted_study, "twin-b")
    assert {**first_best, "search_id": "x"} == {**second_best, "search_id": "x"}


def test_search_asked_for_more_trials_continues_as_one_uninterrupted_run(run_cli, planted_study,
                                                                         space_file):
    assert run_cli(*search_args(planted_study, space_file, "whole")).exit_code == 0
    assert run_cli(*search_args(planted_study, space_file, "parts", 7)).exit_code == 0
    assert len(trials_of(planted_study, "parts")) == 7
    again = run_cli(*search_args(planted_study, space_file, "parts", 20))
    assert again.exit_code == 0 and "13 run now" in again.stdout
    assert trials_of(planted_study, "parts").equals(trials_of(planted_study, "whole"))
    assert best_of(planted_study, "parts")["best"] == best_of(planted_study, "whole")["best"]


@pytest.mark.slow
def test_search_killed_then_resumed_has_no_duplicate_trial_and_the_same_best(run_cli, planted_study,
                                                                             space_file):
    assert run_cli(*search_args(planted_study, space_file, "calm")).exit_code == 0
    folder = planted_study.root / "searches" / "killed"
    process = subprocess.Popen([sys.executable, "-m", "semclust",
                                *map(str, search_args(planted_study, space_file, "killed"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (folder / "trials.csv").is_file() and len(trials_of(planted_study, "killed")) >= 5:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 5 <= len(trials_of(planted_study, "killed")) < 20, "the search was not killed mid-way"

    resumed = run_cli(*search_args(planted_study, space_file, "killed"))
    assert resumed.exit_code == 0, resumed.stderr
    killed, calm = trials_of(planted_study, "killed"), trials_of(planted_study, "calm")
    assert len(killed) == 20 and killed["trial"].is_unique
    # the trial cut short is marked failed in the journal and its number skipped; every draw
    # after it is the one the uninterrupted search made
    assert killed.drop(columns="trial").equals(calm.drop(columns="trial"))
    best_killed, best_calm = best_of(planted_study, "killed"), best_of(planted_study, "calm")
    assert best_killed["best"]["clustering_id"] == best_calm["best"]["clustering_id"]
    assert best_killed["holdout"] == best_calm["holdout"]


def test_search_id_reused_with_other_settings_exits_2(run_cli, planted_study, space_file):
    assert run_cli(*search_args(planted_study, space_file, "fixed", 3)).exit_code == 0
    result = run_cli(*search_args(planted_study, space_file, "fixed", 3, "--max-noise", "0.2"))
    assert result.exit_code == 2
    assert "exists with other settings (differ: max_noise)" in result.stderr


# --- selection, holdout, outputs -------------------------------------------------------------
def test_select_never_picks_an_infeasible_trial():
    trials = pd.DataFrame({"trial": [0, 1, 2, 3], "clustering_id": list("abcd"),
                           "objective": [0.4, 1.9, 0.6, None],
                           "feasible": [True, False, True, False]})
    assert select(trials, 3)["trial"].tolist() == [2, 0]
    assert select(trials.assign(feasible=False)).empty


def test_search_infeasible_trials_are_recorded_but_never_selected(run_cli, planted_study, space_file):
    result = run_cli(*search_args(planted_study, space_file, "strict", 20, "--max-noise", "0.0"))
    assert result.exit_code == 0, result.stderr
    trials = trials_of(planted_study, "strict")
    infeasible = trials[~trials["feasible"]]
    assert len(infeasible) > 0 and infeasible["reason"].str.contains("noise").all()
    best = best_of(planted_study, "strict")["best"]
    assert best["feasible"] is True and best["noise"] == 0.0
    assert best["objective"] == trials.loc[trials["feasible"], "objective"].max()


def test_search_with_no_feasible_trial_selects_nothing(planted_study, space_file):
    options = SearchOptions(embedding="planted", objective="quality:connotative", n_trials=5, seed=1,
                            space=space_file, search_id="hopeless", min_pairs=10_000)
    result = run_search(planted_study, options, progress=False)
    assert result.best["best"] is None and result.best["n_feasible"] == 0
    assert "no feasible trial" in result.best["note"]


def test_search_best_json_reports_holdout_ci_and_optimism(planted_study, space_file):
    options = SearchOptions(embedding="planted", objective="quality:connotative", n_trials=10, seed=1,
                            space=space_file, search_id="holdout")
    best = run_search(planted_study, options, progress=False).best
    held = best["holdout"]
    assert held["pairs"] == "phase:2" and held["n_pairs"] == 300
    connotative = held["scores"]["connotative"]
    low, high = connotative["ci95"]
    assert low <= connotative["score"] <= high
    assert best["optimism"] == pytest.approx(best["best"]["objective"] - connotative["score"])
    assert "--stratify " + best["best"]["clustering_id"] in best["validation"]

    # the held-out score is quality_scores on the phase-2 pairs of the same labels
    labels = _labels(planted_study, options, best["best"])
    ratings, pairs = read_ratings(planted_study.ratings_csv), study_pairs(planted_study)
    expected = quality_scores(ratings[ratings["phase"] == "2"], pairs[pairs["phase"] == "2"], labels,
                              n_permutations=0, n_bootstrap=0)["connotative"]["score"]
    assert connotative["score"] == pytest.approx(expected)


def _labels(study, options, best) -> pd.DataFrame:
    """Labels of a selected trial, materialized through a second (no-new-trial) run."""
    run_search(study, SearchOptions(**{**options.__dict__, "materialize": "best"}), progress=False)
    return study.read_labels(best["clustering_id"])


def test_search_materialize_top_k_writes_clustering_folders_with_a_search_field(run_cli, planted_study,
                                                                              space_file):
    result = run_cli(*search_args(planted_study, space_file, "kept", 12, "--materialize", "top:2"))
    assert result.exit_code == 0, result.stderr
    trials = trials_of(planted_study, "kept")
    chosen = select(trials, 2)
    for rank, row in enumerate(chosen.itertuples(index=False), start=1):
        params = planted_study.read_clustering_json(row.clustering_id, "params.json")
        assert params["search"]["id"] == "kept" and params["search"]["rank"] == rank
        assert params["search"]["trial"] == row.trial
        assert params["search"]["score"] == pytest.approx(row.objective)
        assert params["config"]["seed"] == 1 and params["clusterer"]["method"] == row.clusterer
        summary = planted_study.read_clustering_json(row.clustering_id, "summary.json")
        assert summary["n_clusters"] == row.n_clusters
        assert summary["noise_fraction"] == pytest.approx(row.noise)


def test_search_history_has_the_running_best_and_the_selected_trial(run_cli, planted_study, space_file):
    assert run_cli(*search_args(planted_study, space_file, "history", 12)).exit_code == 0
    history = search_history(planted_study, "history")
    assert len(history) == 12
    best = history["best_so_far"].dropna()
    assert (best.diff().dropna() >= 0).all()
    assert history["selected"].sum() == 1
    selected = history[history["selected"]].iloc[0]
    assert selected["objective"] == best.iloc[-1]


@pytest.mark.parametrize("objective", ["silhouette", "dbcv", "silhouette-noise"])
def test_search_with_a_proxy_objective_still_reports_held_out_quality(run_cli, planted_study,
                                                                      space_file, objective):
    args = search_args(planted_study, space_file, f"proxy-{objective}", 6)
    args[args.index("quality:connotative")] = objective
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    best = best_of(planted_study, f"proxy-{objective}")
    assert best["optimism"] is None and "proxy" in best["optimism_note"]
    assert set(best["holdout"]["scores"]) == {"connotative", "denotative"}


# --- objectives on hand-computed cases ----------------------------------------------------------
def test_quality_objective_hand_computed_with_weights_noise_and_unembedded_images():
    # rows 0..3; pairs: (0,1) same r2 w1, (2,3) same r1 w3, (0,2) diff r0 w1, (1,3) diff r1 w1,
    # (0,4) image 4 is noise, (1,-1) image not in the embedding
    pairs = PairRatings(np.array([f"p{i}" for i in range(6)]), np.array([0, 2, 0, 1, 0, 1]),
                        np.array([1, 3, 2, 3, 4, -1]), np.array([2.0, 1.0, 0.0, 1.0, 2.0, 2.0]),
                        np.array([1.0, 3.0, 1.0, 1.0, 1.0, 1.0]))
    q = quality_objective(np.array([0, 0, 1, 1, -1]), pairs, min_pairs=2)
    assert q["s_same"] == pytest.approx((2 * 1 + 1 * 3) / 4)
    assert q["s_diff"] == pytest.approx(0.5)
    assert q["score"] == pytest.approx(0.75)
    assert (q["n_same"], q["n_diff"], q["ci95"]) == (2, 2, None)


def test_quality_objective_equals_quality_scores(planted_study):
    ids = planted_study.read_embeddings("planted")[1]
    labels = (np.arange(len(ids)) * 7) % 4 - (np.arange(len(ids)) % 11 == 0)  # some noise
    rated = rated_pairs(read_ratings(planted_study.ratings_csv), study_pairs(planted_study))
    frame = pd.DataFrame({"image_id": ids, "cluster": labels})
    for dimension in ("connotative", "denotative"):
        q = quality_objective(labels, pair_ratings(rated, dimension, ids))
        expected = quality_scores(read_ratings(planted_study.ratings_csv), study_pairs(planted_study),
                                  frame, n_permutations=0, n_bootstrap=0)[dimension]
        assert q["score"] == pytest.approx(expected["score"])
        assert (q["n_same"], q["n_diff"]) == (expected["n_same"], expected["n_diff"])


POINTS = np.array([[0.0], [1.0], [10.0], [11.0], [5.0]])
# silhouette by hand: a = 1 for every point; b = 10.5 (ends) or 9.5 (inner points)
SILHOUETTE = (2 * (1 - 1 / 10.5) + 2 * (1 - 1 / 9.5)) / 4


def test_silhouette_objective_hand_computed_in_the_original_space_without_noise():
    sample = proxy_sample(POINTS, 5, seed=0, metric="euclidean")
    assert silhouette_objective(np.array([0, 0, 1, 1, -1]), sample) == pytest.approx(SILHOUETTE)
    assert silhouette_objective(np.array([0, 0, 0, 0, -1]), sample) is None  # one cluster


def test_silhouette_noise_objective_subtracts_point_three_per_unit_of_noise():
    sample = proxy_sample(POINTS, 5, seed=0, metric="euclidean")
    value = silhouette_noise_objective(np.array([0, 0, 1, 1, -1]), sample)
    assert value == pytest.approx(SILHOUETTE - 0.3 * 0.2)


def test_proxy_sample_is_seeded_and_cosine_by_default():
    X = np.random.default_rng(0).normal(size=(50, 4))
    first, second = proxy_sample(X, 20, seed=5), proxy_sample(X, 20, seed=5)
    assert np.array_equal(first.index, second.index) and len(first.index) == 20
    assert not np.array_equal(first.index, proxy_sample(X, 20, seed=6).index)
    i, j = first.index[:2]
    cosine = 1 - X[i] @ X[j] / np.linalg.norm(X[i]) / np.linalg.norm(X[j])
    assert first.distances[0, 1] == pytest.approx(cosine)


def test_dbcv_objective_is_hdbscans_validity_index_and_noise_lowers_it():
    from hdbscan.validity import validity_index

    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 0.3, (40, 2)), rng.normal(5, 0.3, (40, 2))])
    labels = np.repeat([3, 7], 40)  # ids need not be consecutive
    sample = proxy_sample(X, 80, seed=0, metric="euclidean")
    value = dbcv_objective(labels, sample)
    assert value == pytest.approx(validity_index(X.astype(np.float64), np.repeat([0, 1], 40)))
    assert value > 0.5
    noisy = labels.copy()
    noisy[::4] = -1
    assert dbcv_objective(noisy, sample) < value
    assert dbcv_objective(np.zeros(80, dtype=int), sample) is None


def test_feasibility_needs_pairs_for_quality_and_bounded_noise():
    quality, proxy = parse_objective("quality:denotative"), parse_objective("silhouette")
    assert feasibility(0.5, 0.1, 25, 25, quality, 0.5) == (True, "")
    ok, reason = feasibility(0.5, 0.1, 24, 80, quality, 0.5)
    assert not ok and "24 same" in reason
    assert feasibility(0.5, 0.1, None, None, proxy, 0.5) == (True, "")
    assert feasibility(None, 0.0, 30, 30, quality, 0.5) == (False, "objective undefined")


def test_split_holdout_by_phase_and_by_seeded_fraction(planted_study):
    rated = rated_pairs(read_ratings(planted_study.ratings_csv), study_pairs(planted_study))
    search, held = split_holdout(rated, "phase:2", seed=1)
    phases = rated.drop_duplicates("pair_id").set_index("pair_id")["phase"]
    assert set(phases[phases == "2"].index) == held and set(phases[phases == "1"].index) == search
    search, held = split_holdout(rated, "fraction:0.5", seed=1)
    assert len(held) == len(search) == 300 and not held & search
    assert split_holdout(rated, "fraction:0.5", seed=1)[1] == held
    assert split_holdout(rated, "fraction:0.5", seed=2)[1] != held


# --- bad input exits 2 ---------------------------------------------------------------------------
BASE_REDUCTIONS = "reductions:\n  - method: pca\n    n_components: 2\n"
BASE_CLUSTERERS = "clusterers:\n  - method: kmeans\n    k: 3\n"


@pytest.mark.parametrize("text, message", [
    (BASE_REDUCTIONS + BASE_CLUSTERERS + "trials: 3\n", "space.yaml: trials: unknown key"),
    (BASE_REDUCTIONS, "space.yaml: clusterers: expected a non-empty list"),
    (BASE_CLUSTERERS + "reductions:\n  - method: lda\n", "space.yaml: reductions[0].method: expected one of"),
    (BASE_CLUSTERERS + "reductions:\n  - method: umap\n    n_components: {low: 2, high: 9}\n"
     "    n_neighbors: 15\n", "space.yaml: reductions[0].n_components: reductions are a categorical"),
    (BASE_CLUSTERERS + "reductions:\n  - method: pca\n    n_components: 64\n",
     "space.yaml: reductions: pca-c64: PCA n_components must be between 1 and 32"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: hdbscan\n    min_cluster_size: {low: 1, high: 50}\n",
     "space.yaml: clusterers[0].min_cluster_size.low: expected integers >= 2, got 1"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: hdbscan\n    min_cluster_size: {low: 50, high: 10}\n",
     "space.yaml: clusterers[0].min_cluster_size: low (50) must be below high (10)"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: kmeans\n    k: {low: 2, high: 9, step: 2}\n",
     "space.yaml: clusterers[0].k.step: unknown key of a range"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: hdbscan\n    min_cluster_size: 10\n"
     "    cluster_selection_method: [eom, best]\n",
     "space.yaml: clusterers[0].cluster_selection_method[1]: expected eom or leaf, got 'best'"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: hdbscan\n    min_size: 10\n",
     "space.yaml: clusterers[0].min_size: unknown key for hdbscan"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: hdbscan\n",
     "space.yaml: clusterers[0].min_cluster_size: missing"),
    (BASE_REDUCTIONS + BASE_CLUSTERERS + "  - method: kmeans\n    k: 4\n",
     "space.yaml: clusterers[1].method: kmeans listed twice"),
    (BASE_REDUCTIONS + "clusterers:\n  - method: kmeans\n    k: {low: 2, high: 400}\n",
     "space.yaml: clusterers: kmeans: k=400 exceeds the 300 images"),
    (BASE_REDUCTIONS + BASE_CLUSTERERS + "subsample: many\n", "space.yaml: subsample: expected an integer"),
    ("reductions: [\n", "not valid YAML"),
])
def test_bad_space_file_exits_2_naming_the_key(run_cli, planted_study, tmp_path, text, message):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    result = run_cli(*search_args(planted_study, path, "bad", 2))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


@pytest.mark.parametrize("change, message", [
    (("--objective", "purity"), "--objective 'purity': expected one of quality:connotative"),
    (("--holdout", "phase:9"), "--holdout phase:9: leaves the held-out half without rated pairs"),
    (("--holdout", "fraction:1.5"), "the fraction must be strictly between 0 and 1"),
    (("--holdout", "half"), "expected phase:NAME or fraction:F"),
    (("--materialize", "top:0"), "--materialize 'top:0': expected best or top:K"),
    (("--trials", "0"), "--trials must be at least 1"),
    (("--max-noise", "1.5"), "--max-noise must lie in [0, 1]"),
    (("--embedding", "dino"), "no embedding 'dino' in study"),
    (("--space", "nowhere.yaml"), "space file not found: nowhere.yaml"),
])
def test_bad_search_options_exit_2(run_cli, planted_study, space_file, change, message):
    args = [str(a) for a in search_args(planted_study, space_file, "bad-options", 2)]
    option, value = change
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = run_cli(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_quality_objective_without_ratings_exits_2(run_cli, tmp_path, space_file):
    study = Study.create(tmp_path / "bare", tmp_path)
    study.write_embeddings("planted", np.random.default_rng(0).normal(size=(40, 8)),
                           [f"i{i}" for i in range(40)], {})
    result = run_cli(*search_args(study, space_file, "no-ratings", 2))
    assert result.exit_code == 2 and "needs rated pairs" in result.stderr


def test_default_space_is_the_paper_grid_opened_up():
    space = load_space()
    assert space.source.name == "search-default.space.yaml"
    assert [s.id for s in space.reductions] == [
        "umap-c5-n5", "umap-c5-n15", "umap-c5-n30", "umap-c10-n5", "umap-c10-n15", "umap-c10-n30",
        "pca-c5", "pca-c10", "pca-c20", "pca-v0.8"]
    hdbscan = dict(space.clusterer("hdbscan").items)
    assert hdbscan["min_cluster_size"].log and hdbscan["min_cluster_size"].low < 50
    assert hdbscan["min_cluster_size"].high > 200
    assert dict(space.clusterer("kmeans").items)["k"].integer


def test_report_section_shows_the_history_and_the_held_out_score(run_cli, planted_study, space_file, tmp_path):
    from semclust.evaluation.report_search import search_sections

    assert run_cli(*search_args(planted_study, space_file, "for-report", 8)).exit_code == 0
    (section,) = [s for s in search_sections(planted_study, tmp_path, dpi=50) if s["id"] == "for-report"]
    for suffix in (".png", ".svg", ".pdf"):
        assert (tmp_path / f"search-for-report{suffix}").is_file()
    best = best_of(planted_study, "for-report")
    assert section["selected"] == best["best"]["clustering_id"]
    assert section["holdout"]["columns"][0] == "dimension"
    assert (tmp_path / "tables" / "search-for-report.csv").is_file()
    assert section["optimism"] == f"{best['optimism']:.2f}"
