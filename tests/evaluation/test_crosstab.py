"""Label profiles (evaluation/crosstab.py, `semclust crosstab`): majority label, purity, entropy."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import homogeneity_score

from semclust.evaluation.crosstab import (
    label_entropy,
    label_profile,
    profile_totals,
    resolve_labels,
)
from semclust.study import IMAGE_COLUMNS, Study, UserError, atomic_write_csv


def make_study(tmp_path, clusterings: dict[str, list[int]]) -> Study:
    """A study of listed images (no files needed) with hand-written clusterings."""
    n = len(next(iter(clusterings.values())))
    images = tmp_path / "images"
    images.mkdir()
    study = Study.create(tmp_path / "study", images)
    ids = [f"im{i:02d}" for i in range(n)]
    study.write_images(pd.DataFrame({"image_id": ids, "path": [f"{i}.jpg" for i in ids], "sha256": "",
                                     "width": 1, "height": 1, "status": "ok", "error": ""},
                                    columns=IMAGE_COLUMNS))
    for cid, labels in clusterings.items():
        atomic_write_csv(study.clustering_dir(cid) / "labels.csv",
                         pd.DataFrame({"image_id": ids, "cluster": labels}))
    return study


@pytest.mark.parametrize("counts, bits", [([5], 0.0), ([1, 1], 1.0), ([1, 1, 1, 1], 2.0),
                                          ([3, 1], 0.8112781), ([2, 1, 1, 0], 1.5)])
def test_label_entropy_is_in_bits(counts, bits):
    assert label_entropy(counts) == pytest.approx(bits)


def test_label_profile_gives_majority_purity_and_entropy_per_cluster():
    clusters = [0, 0, 0, 0, 1, 1, 1, 2, -1, -1]
    labels = ["a", "a", "a", "b", "c", "d", None, "", "a", "b"]
    p = label_profile(clusters, labels).set_index("cluster")
    assert p.loc[0, ["size", "n_labelled", "n_labels", "majority_label", "majority_count"]].tolist() == \
        [4, 4, 2, "a", 3]
    assert p.loc[0, "purity"] == 0.75 and p.loc[0, "entropy_bits"] == pytest.approx(0.8112781)
    assert p.loc[1, "majority_label"] == "c"  # tie c/d: the first in sorted order
    assert p.loc[1, ["size", "n_labelled", "purity", "entropy_bits"]].tolist() == [3, 2, 0.5, 1.0]
    assert p.loc[2, "n_labelled"] == 0 and pd.isna(p.loc[2, "majority_label"])
    assert np.isnan(p.loc[2, "purity"]) and np.isnan(p.loc[2, "entropy_bits"])
    assert p.loc[-1, "size"] == 2


def test_profile_totals_weight_clusters_by_labelled_images_with_and_without_noise():
    p = label_profile([0, 0, 0, 0, 1, 1, -1, -1], ["a", "a", "a", "b", "c", "d", "a", "b"])
    totals = profile_totals(p)
    assert totals["without_noise"] == {"n_clusters": 2, "n_labelled": 6, "purity": pytest.approx(4 / 6),
                                       "entropy_bits": pytest.approx((4 * 0.8112781 + 2 * 1.0) / 6)}
    assert totals["with_noise"]["n_clusters"] == 3 and totals["with_noise"]["n_labelled"] == 8
    assert totals["with_noise"]["purity"] == pytest.approx(5 / 8)


def test_total_entropy_is_the_conditional_entropy_behind_scikit_learns_homogeneity():
    rng = np.random.default_rng(7)
    clusters = rng.integers(-1, 5, 400)
    labels = rng.choice(["w", "x", "y", "z"], 400, p=[0.4, 0.3, 0.2, 0.1])
    total = profile_totals(label_profile(clusters, labels))["with_noise"]["entropy_bits"]
    h_label = label_entropy(pd.Series(labels).value_counts().to_numpy())
    assert 1 - total / h_label == pytest.approx(homogeneity_score(labels, clusters))


def test_profile_totals_without_labelled_images_are_null():
    totals = profile_totals(label_profile([0, 1], [None, None]))
    assert totals["with_noise"]["purity"] is None and totals["without_noise"]["entropy_bits"] is None


@pytest.mark.parametrize("call", [
    lambda: label_profile([0, 1], ["a"]),
    lambda: label_profile([0.5, 1], ["a", "b"]),
    lambda: label_profile([-2, 1], ["a", "b"]),
    lambda: label_entropy([1, -1]),
], ids=["lengths", "fractional cluster", "below noise", "negative count"])
def test_every_public_function_validates_its_inputs(call):
    with pytest.raises(UserError):
        call()


def test_resolve_labels_finds_truths_and_clusterings_and_refuses_ambiguity(tmp_path):
    study = make_study(tmp_path, {"A": [0, 0, 1, -1], "both": [1, 1, 0, 0]})
    study.write_truth("themes", pd.DataFrame({"image_id": ["im00", "im01"], "label": ["x", None]}))
    study.write_truth("both", pd.DataFrame({"image_id": ["im00"], "label": ["x"]}))
    kind, name, labels = resolve_labels(study, "themes")
    assert (kind, name) == ("truth", "themes") and labels.to_dict()["im00"] == "x"
    kind, _, labels = resolve_labels(study, "A")
    assert kind == "clustering" and labels.to_dict() == {"im00": "0", "im01": "0", "im02": "1"}
    assert resolve_labels(study, "clustering:both")[0] == "clustering"
    assert resolve_labels(study, "truth:both")[0] == "truth"
    with pytest.raises(UserError, match="both a truth and a clustering"):
        resolve_labels(study, "both")
    with pytest.raises(UserError, match="neither a truth"):
        resolve_labels(study, "nope")


def test_crosstab_writes_the_profile_and_prints_totals(run_cli, tmp_path):
    study = make_study(tmp_path, {"A": [0, 0, 0, 1, 1, -1]})
    study.write_truth("vlm", pd.DataFrame({"image_id": [f"im{i:02d}" for i in range(6)],
                                           "label": ["cat", "cat", "dog", "dog", "dog", None]}))
    result = run_cli("crosstab", "--study", study.root, "--clustering", "A", "--labels", "vlm")
    assert result.exit_code == 0, result.stderr
    assert "without noise: 2 clusters, 5 labelled images, purity 0.800" in result.stdout
    profile = pd.read_csv(study.clustering_dir("A") / "label_profile-truth-vlm.csv")
    assert profile["cluster"].tolist() == [-1, 0, 1]
    assert profile["majority_label"].tolist()[1:] == ["cat", "dog"]
    assert profile["purity"].tolist()[1:] == pytest.approx([2 / 3, 1.0])


def test_crosstab_against_another_clustering_leaves_its_noise_unlabelled(run_cli, tmp_path):
    study = make_study(tmp_path, {"A": [0, 0, 1, 1], "B": [5, -1, 7, 7]})
    result = run_cli("crosstab", "--study", study.root, "--clustering", "A", "--labels", "B", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["labels"] == {"kind": "clustering", "name": "B"}
    assert [(r["cluster"], r["n_labelled"], r["majority_label"]) for r in out["profile"]] == \
        [(0, 1, "5"), (1, 2, "7")]
    assert (study.clustering_dir("A") / "label_profile-clustering-B.csv").is_file()


def test_crosstab_unknown_labels_exit_2(run_cli, tmp_path):
    study = make_study(tmp_path, {"A": [0, 1]})
    result = run_cli("crosstab", "--study", study.root, "--clustering", "A", "--labels", "nope")
    assert result.exit_code == 2
    assert "neither a truth (known: none) nor a clustering (known: A)" in result.stderr
