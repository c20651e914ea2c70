"""Sampling of pairs and matching sets, and sample-size planning (issue 4, "Sampling")."""
from __future__ import annotations

import json
import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from semclust.annotate import samples, sampling
from semclust.study import Study

SEED = 1234


def build_study(root: Path, ids, status=None, texts=None, clusterings=None, describers=("vlm",),
                seed=SEED) -> Study:
    """A study with ``ids`` in images.csv, one description file per describer, and clusterings.

    ``status`` maps id -> status (default ok); ``texts`` maps id -> text, or to
    ("", "error message") for a failed description, or None to leave the image
    undescribed (default: a text for every id). ``clusterings`` maps clustering
    id -> {image_id: cluster}.
    """
    study = Study.create(root, root.parent / "images", seed=seed)
    status = status or {}
    study.write_images(pd.DataFrame({
        "image_id": list(ids), "path": [f"{i}.jpg" for i in ids], "sha256": "0" * 64,
        "width": 64, "height": 48, "status": [status.get(i, "ok") for i in ids], "error": "",
    }))
    texts = texts if texts is not None else {}
    for describer in describers:
        lines = []
        for i in ids:
            value = texts.get(i, f"an image about {i}")
            if value is None:
                continue
            text, error = value if isinstance(value, tuple) else (value, None)
            lines.append(json.dumps({"image_id": i, "text": text, "error": error}))
        study.description_path(describer).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for cid, mapping in (clusterings or {}).items():
        labels = pd.DataFrame({"image_id": list(mapping), "cluster": list(mapping.values())})
        sizes = labels[labels.cluster >= 0].cluster.value_counts().sort_index()
        study.write_clustering(
            cid, labels, params={"method": "hand"},
            keywords=pd.DataFrame(columns=["cluster", "rank", "term", "score"]),
            summary={"n_clusters": len(sizes), "noise_fraction": float((labels.cluster < 0).mean()),
                     "sizes": {str(k): int(v) for k, v in sizes.items()}})
    return study


def image_ids(n: int) -> list[str]:
    return [f"img{k:03d}" for k in range(n)]


def unordered(frame: pd.DataFrame) -> list[frozenset]:
    return [frozenset(p) for p in zip(frame["image_a"], frame["image_b"])]


@pytest.fixture
def study(tmp_path) -> Study:
    """30 images, all ok and described; clustering ``c1`` with clusters of 10, 8, 6 and 6 noise."""
    ids = image_ids(30)
    labels = {i: (0 if k < 10 else 1 if k < 18 else 2 if k < 24 else -1) for k, i in enumerate(ids)}
    return build_study(tmp_path / "study", ids, clusterings={"c1": labels})


def labels_of(study: Study, clustering_id: str) -> dict:
    labels = study.read_labels(clustering_id)
    return dict(zip(labels["image_id"], labels["cluster"]))


def pairs_of(study: Study) -> pd.DataFrame:
    return study.read_pairs()


# --- pairs -------------------------------------------------------------------
def test_pairs_writes_requested_count_and_columns(study, run_cli):
    result = run_cli("sample", "pairs", "--study", study.root, "--n", 50)
    assert result.exit_code == 0, result.stderr
    pairs = pairs_of(study)
    assert list(pairs.columns) == ["pair_id", "image_a", "image_b", "phase"]
    assert len(pairs) == 50
    assert pairs["pair_id"].tolist() == [f"p{k:04d}" for k in range(1, 51)]
    assert set(pairs["phase"]) == {"1"}


def test_pairs_have_no_self_pairs_and_no_duplicates(study, run_cli):
    # 30 images -> 435 pairs: asking for 430 forces the draw through nearly all of them
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 430).exit_code == 0
    pairs = pairs_of(study)
    assert (pairs["image_a"] != pairs["image_b"]).all()
    assert len(set(unordered(pairs))) == 430


def test_pairs_left_right_order_is_randomised(tmp_path, run_cli):
    study = build_study(tmp_path / "s", image_ids(60))
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 500).exit_code == 0
    pairs = pairs_of(study)
    first_is_smaller = (pairs["image_a"] < pairs["image_b"]).mean()
    assert 0.4 < first_is_smaller < 0.6


def test_pairs_never_use_images_not_ok_or_without_description(tmp_path, run_cli):
    ids = image_ids(12)
    status = {"img000": "unreadable", "img001": "duplicate"}
    texts = {"img002": None, "img003": ("", "timeout"), "img004": "   ",
             "img005": ("partial text", "model error")}
    study = build_study(tmp_path / "s", ids, status=status, texts=texts)
    eligible = set(ids[6:])
    n_all = math.comb(len(eligible), 2)
    assert run_cli("sample", "pairs", "--study", study.root, "--n", n_all).exit_code == 0
    pairs = pairs_of(study)
    assert set(unordered(pairs)) == {frozenset(p) for p in combinations(sorted(eligible), 2)}
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 1).exit_code == 2


@pytest.mark.parametrize("seed_b, same", [(7, True), (8, False)])
def test_pairs_same_seed_gives_same_bytes(tmp_path, run_cli, seed_b, same):
    files = []
    for name, seed in (("a", 7), ("b", seed_b)):
        study = build_study(tmp_path / name, image_ids(40))
        assert run_cli("sample", "pairs", "--study", study.root, "--n", 100, "--seed", seed).exit_code == 0
        files.append(study.pairs_csv.read_bytes())
    assert (files[0] == files[1]) is same


def test_pairs_seed_defaults_to_study_seed(tmp_path, run_cli):
    a = build_study(tmp_path / "a", image_ids(40), seed=99)
    b = build_study(tmp_path / "b", image_ids(40), seed=5)
    assert run_cli("sample", "pairs", "--study", a.root, "--n", 80).exit_code == 0
    assert run_cli("sample", "pairs", "--study", b.root, "--n", 80, "--seed", 99).exit_code == 0
    assert a.pairs_csv.read_bytes() == b.pairs_csv.read_bytes()


def test_pairs_phases_are_disjoint_and_ids_continue(tmp_path, run_cli):
    study = build_study(tmp_path / "s", image_ids(10))  # 45 pairs in all
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 30, "--phase", "1").exit_code == 0
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 15, "--phase", "2").exit_code == 0
    pairs = pairs_of(study)
    first, second = (set(unordered(pairs[pairs.phase == p])) for p in ("1", "2"))
    assert len(first) == 30 and len(second) == 15 and not first & second
    assert pairs.loc[pairs.phase == "2", "pair_id"].tolist() == [f"p{k:04d}" for k in range(31, 46)]
    before = study.pairs_csv.read_bytes()
    result = run_cli("sample", "pairs", "--study", study.root, "--n", 1, "--phase", "3")
    assert result.exit_code == 2 and "only 0 remain" in result.stderr
    assert study.pairs_csv.read_bytes() == before


def test_pairs_default_phase_is_next_number(study, run_cli):
    for _ in range(2):
        assert run_cli("sample", "pairs", "--study", study.root, "--n", 5).exit_code == 0
    assert pairs_of(study)["phase"].tolist() == ["1"] * 5 + ["2"] * 5


def test_pairs_existing_phase_needs_force_and_ids_are_not_reused(study, run_cli):
    run_cli("sample", "pairs", "--study", study.root, "--n", 10, "--phase", "a")
    run_cli("sample", "pairs", "--study", study.root, "--n", 10, "--phase", "b")
    before = study.pairs_csv.read_bytes()
    refused = run_cli("sample", "pairs", "--study", study.root, "--n", 10, "--phase", "a")
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert study.pairs_csv.read_bytes() == before
    old = pairs_of(study)
    forced = run_cli("sample", "pairs", "--study", study.root, "--n", 12, "--phase", "a", "--force")
    assert forced.exit_code == 0, forced.stderr
    pairs = pairs_of(study)
    assert pairs[pairs.phase == "b"].reset_index(drop=True).equals(
        old[old.phase == "b"].reset_index(drop=True))
    new_a = pairs[pairs.phase == "a"]
    assert len(new_a) == 12 and new_a["pair_id"].iloc[0] == "p0021"
    assert not set(unordered(new_a)) & set(unordered(pairs[pairs.phase == "b"]))


def test_pairs_exclude_phase_avoids_its_images(study, run_cli):
    run_cli("sample", "pairs", "--study", study.root, "--n", 8, "--phase", "1")
    result = run_cli("sample", "pairs", "--study", study.root, "--n", 40, "--phase", "2",
                     "--exclude-phase", "1")
    assert result.exit_code == 0, result.stderr
    pairs = pairs_of(study)
    first = pairs[pairs.phase == "1"]
    used = set(first.image_a) | set(first.image_b)
    second = pairs[pairs.phase == "2"]
    assert not (set(second.image_a) | set(second.image_b)) & used


def test_pairs_need_describer_when_study_has_several(tmp_path, run_cli):
    study = build_study(tmp_path / "s", image_ids(10), describers=("vlm", "other"),
                        texts={"img000": None})
    refused = run_cli("sample", "pairs", "--study", study.root, "--n", 5)
    assert refused.exit_code == 2 and "--describer" in refused.stderr
    assert not study.pairs_csv.exists()
    assert run_cli("sample", "pairs", "--study", study.root, "--n", 36, "--describer", "vlm").exit_code == 0
    assert "img000" not in set(pairs_of(study).image_a) | set(pairs_of(study).image_b)


@pytest.mark.parametrize("args, message", [
    (["--n", 436], "only 435 remain"),
    (["--n", 0], "at least 1"),
    (["--n", 5, "--phase", "../x"], "invalid phase"),
    (["--n", 5, "--exclude-phase", "9"], "no such phase"),
    (["--n", 5, "--describer", "nope"], "nope"),
    (["--n", 5, "--same-fraction", "0.5"], "--stratify"),
    (["--n", 5, "--stratify", "nope", "--same-fraction", "0.5"], "no clustering 'nope'"),
    (["--n", 5, "--stratify", "c1"], "--same-fraction"),
    (["--n", 10, "--stratify", "c1", "--same-fraction", "1.5"], "between 0 and 1"),
    (["--n", 300, "--stratify", "c1", "--same-fraction", "0.5"], "same-cluster"),
])
def test_pairs_bad_input_exits_2_and_writes_nothing(study, run_cli, args, message):
    result = run_cli("sample", "pairs", "--study", study.root, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not study.pairs_csv.exists()


def test_pairs_unknown_study_exits_2(tmp_path, run_cli):
    result = run_cli("sample", "pairs", "--study", tmp_path / "nothing", "--n", 5)
    assert result.exit_code == 2 and "not a study folder" in result.stderr


# --- stratified pairs ----------------------------------------------------------
def test_stratified_pairs_record_stratum_and_horvitz_thompson_weight(study, run_cli):
    result = run_cli("sample", "pairs", "--study", study.root, "--n", 40, "--stratify", "c1",
                     "--same-fraction", "0.6")
    assert result.exit_code == 0, result.stderr
    pairs = pairs_of(study)
    assert list(pairs.columns) == ["pair_id", "image_a", "image_b", "phase", "stratum", "weight"]
    labels = labels_of(study, "c1")
    same = [labels[a] == labels[b] != -1 for a, b in zip(pairs.image_a, pairs.image_b)]
    assert (pairs["stratum"] == np.where(same, "same", "diff")).all()
    assert (pairs["stratum"] == "same").sum() == 24
    same_pop = math.comb(10, 2) + math.comb(8, 2) + math.comb(6, 2)  # 45 + 28 + 15 = 88
    diff_pop = math.comb(30, 2) - same_pop
    expected = np.where(pairs["stratum"] == "same", same_pop / 24, diff_pop / 16)
    assert np.allclose(pairs["weight"], expected)
    meta = samples.read_pairs_meta(study)["phases"]["1"]
    assert meta["stratify"] == "c1" and meta["seed"] == SEED and meta["n_images"] == 30
    assert meta["strata"] == {"same": {"population": same_pop, "sampled": 24},
                              "diff": {"population": diff_pop, "sampled": 16}}


def test_stratified_phase_after_plain_phase_fills_weights_of_both(study, run_cli):
    run_cli("sample", "pairs", "--study", study.root, "--n", 20, "--phase", "1")
    run_cli("sample", "pairs", "--study", study.root, "--n", 10, "--phase", "2",
            "--stratify", "c1", "--same-fraction", "0.5")
    pairs = pairs_of(study)
    plain = pairs[pairs.phase == "1"]
    assert set(plain["stratum"]) == {"all"}
    assert np.allclose(plain["weight"], math.comb(30, 2) / 20)
    second = pairs[pairs.phase == "2"]
    assert np.allclose(second.loc[second.stratum == "same", "weight"], (88 - _same_in(study, plain)) / 5)


def _same_in(study: Study, frame: pd.DataFrame) -> int:
    labels = labels_of(study, "c1")
    return sum(labels[a] == labels[b] != -1 for a, b in zip(frame.image_a, frame.image_b))


def _inclusion_counts(pool, n, calls, **kwargs) -> dict:
    """How often each unordered pair (of stratum ``same`` when stratified) is drawn in ``calls`` draws."""
    counts: dict = {}
    for seed in range(calls):
        drawn = sampling.sample_pairs(pool, n, sampling.make_rng(seed, "uniformity"), **kwargs).pairs
        for a, b, stratum in zip(drawn.image_a, drawn.image_b, drawn.stratum):
            if stratum in ("all", "same"):
                counts[frozenset((a, b))] = counts.get(frozenset((a, b)), 0) + 1
    return counts


def _within(count, trials, p, sds=4.5) -> bool:
    return abs(count - trials * p) <= sds * math.sqrt(trials * p * (1 - p))


@pytest.mark.parametrize("limit", [sampling.ENUMERATE_LIMIT, 0], ids=["enumerated", "rejection"])
def test_sample_pairs_gives_every_pair_the_same_chance(monkeypatch, limit):
    # 6 images, 15 pairs, 5 drawn per call: each pair is in a call's sample with probability 1/3
    monkeypatch.setattr(sampling, "ENUMERATE_LIMIT", limit)
    counts = _inclusion_counts(image_ids(6), 5, 300)
    assert len(counts) == 15
    assert all(_within(c, 300, 1 / 3) for c in counts.values()), counts


@pytest.mark.parametrize("limit", [sampling.ENUMERATE_LIMIT, 0], ids=["enumerated", "rejection"])
def test_sample_pairs_same_stratum_gives_every_same_cluster_pair_the_same_chance(monkeypatch, limit):
    # 20 clusters of 2 (20 pairs), one of 6 (15 pairs), 2 noise: 10 of the 35 same pairs per call
    monkeypatch.setattr(sampling, "ENUMERATE_LIMIT", limit)
    ids = image_ids(48)
    clusters = {i: (k // 2 if k < 40 else 20 if k < 46 else -1) for k, i in enumerate(ids)}
    counts = _inclusion_counts(ids, 20, 200, clusters=clusters, same_fraction=0.5)
    assert len(counts) == 35
    assert all(_within(c, 200, 10 / 35) for c in counts.values()), counts
    # pairs from the clusters of 2: a sum of hypergeometric(35, 20, 10) draws over 200 calls
    small = sum(c for pair, c in counts.items() if clusters[next(iter(pair))] < 20)
    mean, var = 10 * 20 / 35, 10 * (20 / 35) * (15 / 35) * (25 / 34)
    assert abs(small - 200 * mean) <= 4.5 * math.sqrt(200 * var)


def test_sample_pairs_rejection_path_respects_exclusions(monkeypatch):
    monkeypatch.setattr(sampling, "ENUMERATE_LIMIT", 0)
    ids = image_ids(8)
    earlier = list(combinations(ids, 2))[:20]
    drawn = sampling.sample_pairs(ids, 8, sampling.make_rng(1, "t"), exclude=earlier).pairs
    got = set(unordered(drawn))
    assert len(got) == 8 and not got & {frozenset(p) for p in earlier}


# --- sets --------------------------------------------------------------------
def test_sets_draw_without_replacement_within_clusters(study, run_cli):
    result = run_cli("sample", "sets", "--study", study.root, "--clustering", "c1",
                     "--per-cluster", 2, "--size", 3)
    assert result.exit_code == 0, result.stderr
    sets = study.read_sets("c1")
    assert list(sets.columns) == ["set_id", "cluster", "image_ids"]
    assert sets["set_id"].tolist() == [f"s{k:03d}" for k in range(1, 7)]
    labels = labels_of(study, "c1")
    for cluster, group in sets.groupby("cluster"):
        members = [i for ids in group.image_ids for i in ids.split(";")]
        assert len(members) == len(set(members)) == 6
        assert {labels[i] for i in members} == {cluster}
    assert -1 not in set(sets.cluster)


def test_sets_small_cluster_gets_fewer_sets_with_warning(study, run_cli):
    result = run_cli("sample", "sets", "--study", study.root, "--clustering", "c1",
                     "--per-cluster", 3, "--size", 3)
    assert result.exit_code == 0
    sets = study.read_sets("c1")
    assert sets.groupby("cluster").size().to_dict() == {0: 3, 1: 2, 2: 2}
    assert "cluster 1 has 8 images: 2 of 3 sets" in result.stderr
    assert "cluster 2 has 6 images: 2 of 3 sets" in result.stderr
    assert "cluster 0" not in result.stderr


def test_sets_never_use_images_not_ok(tmp_path, run_cli):
    ids = image_ids(9)
    study = build_study(tmp_path / "s", ids, status={"img000": "unreadable"},
                        clusterings={"c": {i: 0 for i in ids}})
    assert run_cli("sample", "sets", "--study", study.root, "--clustering", "c",
                   "--per-cluster", 4, "--size", 2).exit_code == 0
    members = [i for ids_ in study.read_sets("c").image_ids for i in ids_.split(";")]
    assert len(members) == 8 and "img000" not in members


def test_sets_same_seed_same_bytes_and_refuse_overwrite(tmp_path, study, run_cli):
    other = build_study(tmp_path / "other", image_ids(30),
                        clusterings={"c1": labels_of(study, "c1")})
    for s in (study, other):
        assert run_cli("sample", "sets", "--study", s.root, "--clustering", "c1").exit_code == 0
    assert study.sets_csv("c1").read_bytes() == other.sets_csv("c1").read_bytes()
    before = study.sets_csv("c1").read_bytes()
    refused = run_cli("sample", "sets", "--study", study.root, "--clustering", "c1", "--seed", 3)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert study.sets_csv("c1").read_bytes() == before
    forced = run_cli("sample", "sets", "--study", study.root, "--clustering", "c1", "--seed", 3,
                     "--force")
    assert forced.exit_code == 0 and study.sets_csv("c1").read_bytes() != before


@pytest.mark.parametrize("args, message", [
    (["--clustering", "nope"], "no clustering 'nope'"),
    (["--clustering", "c1", "--size", 11], "no cluster with 11"),
    (["--clustering", "../c1"], "invalid clustering id"),
])
def test_sets_bad_input_exits_2(study, run_cli, args, message):
    result = run_cli("sample", "sets", "--study", study.root, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert not list(study.sets_dir.glob("*.csv"))


# --- plan --------------------------------------------------------------------
def test_pair_counts_match_hand_computation():
    # clusters of 10, 8, 6 and 6 noise images: N = 30
    same, diff, total = sampling.pair_counts([10, 8, 6], 30)
    assert same == 45 + 28 + 15
    assert diff == 10 * 8 + 10 * 6 + 8 * 6
    assert total == 435
    assert math.isclose(same / total, sum(n * (n - 1) for n in (10, 8, 6)) / (30 * 29))


def test_pairs_needed_expected_count_is_exact():
    # p_same = 88/435: 25 same pairs need ceil(25 * 435 / 88) = ceil(123.58) = 124 pairs
    n_expected, _ = sampling.pairs_needed(88, 188, 435, 25, 0)
    assert n_expected == 124
    n_expected, _ = sampling.pairs_needed(88, 188, 435, 25, 25)
    assert n_expected == max(124, math.ceil(25 * 435 / 188))


def _brute_prob(n, ps, pd_, a, b):
    """P(S >= a, D >= b) by summing the multinomial pmf over every outcome."""
    total = 0.0
    for s in range(n + 1):
        for d in range(n - s + 1):
            if s >= a and d >= b:
                total += (math.comb(n, s) * math.comb(n - s, d) * ps ** s * pd_ ** d
                          * (1 - ps - pd_) ** (n - s - d))
    return total


@pytest.mark.parametrize("n, ps, pd_, a, b", [(20, 0.2, 0.5, 3, 6), (15, 0.1, 0.3, 2, 0),
                                              (30, 0.05, 0.9, 1, 25), (4, 0.5, 0.5, 3, 3)])
def test_prob_enough_matches_brute_force(n, ps, pd_, a, b):
    assert math.isclose(sampling.prob_enough(n, ps, pd_, a, b), _brute_prob(n, ps, pd_, a, b),
                        abs_tol=1e-12)


def test_pairs_needed_is_least_n_with_confidence():
    same, diff, total = 88, 188, 435
    _, n = sampling.pairs_needed(same, diff, total, 25, 25, 0.9)
    assert sampling.prob_enough(n, same / total, diff / total, 25, 25) >= 0.9
    assert sampling.prob_enough(n - 1, same / total, diff / total, 25, 25) < 0.9


def test_pairs_needed_is_infinite_without_same_cluster_pairs():
    assert sampling.pairs_needed(0, 10, 45, 25, 25) == (math.inf, math.inf)


def test_plan_reports_each_clustering_sorted_by_need(tmp_path, run_cli):
    ids = image_ids(30)
    clusterings = {
        "big": {i: k % 2 for k, i in enumerate(ids)},                         # 2 clusters of 15
        "small": {i: (k % 10 if k < 20 else -1) for k, i in enumerate(ids)},  # 10 of 2, 10 noise
        "noise": {i: -1 for i in ids},
    }
    study = build_study(tmp_path / "s", ids, clusterings=clusterings)
    result = run_cli("sample", "plan", "--study", study.root, "--target-same", 25, "--budget", 100)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.split()[0] in clusterings]
    assert [line.split()[0] for line in lines] == ["big", "small", "noise"]
    assert "never" in lines[2]
    # big: p_same = 2 * 15 * 14 / (30 * 29) = 0.4828
    assert f"{2 * 15 * 14 / 870:7.4f}" in lines[0]
    assert "over budget" not in lines[0] and "over budget" in lines[1]
    table = samples.plan_pairs(study, 25, 25, 100)
    assert table.loc[table.clustering == "small", "n_expected"].item() == math.ceil(25 * 435 / 10)


def test_plan_counts_undescribed_images_out_of_the_pool(tmp_path):
    ids = image_ids(12)
    study = build_study(tmp_path / "s", ids, texts={"img000": None, "img001": None},
                        clusterings={"c": {i: k % 2 for k, i in enumerate(ids)}})
    row = samples.plan_pairs(study, 1, 1).iloc[0]
    # pool of 10: clusters of 5 (img002, 004, ..) and 5 -> p_same = 2 * 5 * 4 / 90
    assert row.n_images == 10 and math.isclose(row.p_same, 40 / 90)


@pytest.mark.parametrize("args, message", [
    (["--confidence", "1.5"], "--confidence"),
    (["--target-same", "-1"], "target-same"),
])
def test_plan_bad_input_exits_2(study, run_cli, args, message):
    result = run_cli("sample", "plan", "--study", study.root, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_plan_without_clusterings_exits_2(tmp_path, run_cli):
    study = build_study(tmp_path / "s", image_ids(5))
    result = run_cli("sample", "plan", "--study", study.root)
    assert result.exit_code == 2 and "no clusterings" in result.stderr


# --- documentation -------------------------------------------------------------
def test_sampling_doc_covers_commands_files_and_columns():
    text = (Path(__file__).resolve().parents[2] / "docs" / "sampling.md").read_text()
    for needle in ("sample pairs", "sample sets", "sample plan", "samples/pairs.csv",
                   "samples/pairs.json", "samples/sets/", "stratum", "weight", "Horvitz"):
        assert needle in text, needle
