"""Ground truth: import (truth/<name>.csv), the metrics of evaluation/truth.py, `semclust evaluate`,
and proof that the unsupervised commands never open truth/."""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from semclust.evaluation.truth import (
    class_scores,
    contingency,
    hungarian_accuracy,
    match_clusters,
    partition_indices,
    purity,
    truth_metrics,
)
from semclust.study import IMAGE_COLUMNS, Study, UserError, atomic_write_csv

INDICES = ("ari", "nmi", "ami", "homogeneity", "completeness", "v_measure")


def make_study(tmp_path, clusterings: dict[str, list[int]], n: int | None = None) -> Study:
    """A study of ``n`` listed images (no files needed) with hand-written clusterings."""
    n = n or len(next(iter(clusterings.values())))
    images = tmp_path / "images"
    images.mkdir()
    study = Study.create(tmp_path / "study", images)
    ids = [f"im{i:02d}" for i in range(n)]
    study.write_images(pd.DataFrame({
        "image_id": ids, "path": [f"sub/img{i:02d}.jpg" for i in range(n)], "sha256": "",
        "width": 1, "height": 1, "status": "ok", "error": ""}, columns=IMAGE_COLUMNS))
    for cid, labels in clusterings.items():
        atomic_write_csv(study.clustering_dir(cid) / "labels.csv",
                         pd.DataFrame({"image_id": ids, "cluster": labels}))
    return study


# --- contingency table and matching scores, on hand-computed tables ---------------
def test_contingency_counts_images_per_cluster_and_class_noise_row_first():
    table = contingency([2, 0, 0, -1, 2], ["b", "a", "b", "a", "b"])
    assert table.index.tolist() == [-1, 0, 2] and table.columns.tolist() == ["a", "b"]
    assert table.to_numpy().tolist() == [[1, 0], [1, 1], [0, 2]]


def test_more_clusters_than_classes_leave_a_cluster_unmatched_and_purity_rises():
    table = [[2, 0], [2, 0], [0, 2]]  # cluster 1 splits class a: it has no class left
    assert match_clusters(table) == {0: 0, 2: 1}
    assert hungarian_accuracy(table) == pytest.approx(4 / 6)
    assert purity(table) == 1.0


def test_more_classes_than_clusters_leave_classes_unmatched():
    table = pd.DataFrame([[3, 2, 1]], index=[0], columns=["a", "b", "c"])
    assert match_clusters(table) == {0: "a"}
    assert hungarian_accuracy(table) == 0.5 and purity(table) == 0.5
    scores = class_scores(table, match_clusters(table))
    assert scores["a"] == {"cluster": 0, "support": 3, "precision": 0.5, "recall": 1.0,
                           "f1": pytest.approx(2 * 3 / (2 * 3 + 3 + 0))}
    assert scores["b"] == {"cluster": None, "support": 2, "precision": None, "recall": 0.0, "f1": 0.0}


def test_hungarian_matching_beats_the_greedy_majority_assignment():
    # greedy: cluster 0 -> a (5), cluster 1 -> b (0) = 5; optimal: 0 -> b, 1 -> a = 8 of 13
    table = pd.DataFrame([[5, 4], [4, 0]], index=[0, 1], columns=["a", "b"])
    assert match_clusters(table) == {0: "b", 1: "a"}
    assert hungarian_accuracy(table) == pytest.approx(8 / 13)
    assert purity(table) == pytest.approx(9 / 13)


def test_noise_row_is_never_matched_and_counts_as_wrong():
    table = pd.DataFrame([[5, 0], [0, 1]], index=[-1, 0], columns=["a", "b"])
    assert match_clusters(table) == {0: "b"}
    assert hungarian_accuracy(table) == pytest.approx(1 / 6)
    assert purity(table) == pytest.approx(1 / 6)


def test_empty_table_scores_are_undefined():
    assert hungarian_accuracy(np.zeros((0, 0))) is None and purity(np.zeros((2, 2))) is None


# --- truth_metrics ------------------------------------------------------------------
CLUSTERS = [0, 0, 0, 1, 1, 2, -1]
TRUTH = ["a", "a", "b", "b", "b", "c", "a"]


def test_exclude_scores_only_clustered_images():
    m = truth_metrics(CLUSTERS, TRUTH, "exclude")
    assert (m["n"], m["n_noise"], m["n_scored"]) == (7, 1, 6)
    assert m["coverage"] == pytest.approx(6 / 7)
    assert (m["k_pred"], m["k_true"]) == (3, 3)
    assert m["accuracy"] == pytest.approx(5 / 6) and m["purity"] == pytest.approx(5 / 6)
    assert m["matching"] == {"0": "a", "1": "b", "2": "c"}
    assert m["confusion"] == {"clusters": [0, 1, 2], "classes": ["a", "b", "c"],
                              "counts": [[2, 1, 0], [0, 2, 0], [0, 0, 1]]}
    assert m["per_class"]["b"] == {"cluster": "1", "support": 3, "precision": 1.0,
                                   "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8)}
    for key in INDICES:
        assert m[key] == pytest.approx(partition_indices(CLUSTERS[:6], TRUTH[:6])[key])
    assert m["note"] is None


def test_as_cluster_counts_noise_as_wrong_in_accuracy_and_as_a_cluster_in_the_indices():
    m = truth_metrics(CLUSTERS, TRUTH, "as-cluster")
    assert m["n_scored"] == 7 and m["coverage"] == pytest.approx(6 / 7)
    assert m["accuracy"] == pytest.approx(5 / 7) and m["purity"] == pytest.approx(5 / 7)
    assert m["confusion"]["clusters"] == [-1, 0, 1, 2]
    assert m["per_class"]["a"]["recall"] == pytest.approx(2 / 3)  # the noise image of a is missed
    assert m["ari"] == pytest.approx(metrics.adjusted_rand_score(TRUTH, CLUSTERS))


def test_partition_indices_equal_scikit_learn():
    rng = np.random.default_rng(3)
    clusters = rng.integers(-1, 6, 300)
    truth = rng.choice(["x", "y", "z", "w"], 300)
    for policy, keep in (("exclude", clusters != -1), ("as-cluster", np.ones(300, bool))):
        m = truth_metrics(clusters, truth, policy)
        t, c = truth[keep], clusters[keep]
        expected = {"ari": metrics.adjusted_rand_score(t, c),
                    "nmi": metrics.normalized_mutual_info_score(t, c),
                    "ami": metrics.adjusted_mutual_info_score(t, c),
                    "homogeneity": metrics.homogeneity_score(t, c),
                    "completeness": metrics.completeness_score(t, c),
                    "v_measure": metrics.v_measure_score(t, c)}
        assert {k: m[k] for k in INDICES} == pytest.approx(expected)


def test_one_class_matches_one_cluster_only():
    m = truth_metrics([0, 0, 1, 1], ["a"] * 4)
    assert m["accuracy"] == 0.5 and m["purity"] == 1.0
    assert m["homogeneity"] == 1.0 and m["completeness"] == 0.0 and m["ari"] == 0.0
    assert m["per_class"] == {"a": {"cluster": "0", "support": 4, "precision": 1.0, "recall": 0.5,
                                    "f1": pytest.approx(2 / 3)}}


@pytest.mark.parametrize("policy", ["exclude", "as-cluster"])
@pytest.mark.parametrize("truth", [["a", "a", "a"], ["a", "b", "c"]], ids=["one class", "three"])
def test_all_noise_gives_null_metrics_with_a_note_never_a_perfect_score(policy, truth):
    m = truth_metrics([-1, -1, -1], truth, policy)
    assert m["coverage"] == 0.0 and m["n"] == 3 and m["k_pred"] == 0
    assert all(m[k] is None for k in ("accuracy", "purity", *INDICES))
    assert "coverage 0" in m["note"]
    json.dumps(m, allow_nan=False)


def test_unlabelled_images_are_left_out():
    m = truth_metrics([0, 0, 1, -1, 1, 1], ["a", None, "b", "", np.nan, "  "])
    assert (m["n"], m["n_noise"], m["coverage"]) == (2, 0, 1.0)
    assert truth_metrics([0, 1], [None, ""])["note"] == "no image of the clustering has a truth label"


def test_truth_metrics_leaves_its_inputs_unchanged():
    clusters = pd.Series(CLUSTERS)
    truth = pd.Series([*TRUTH[:-1], None])
    before = (clusters.copy(), truth.copy())
    truth_metrics(clusters, truth, "as-cluster")
    pd.testing.assert_series_equal(clusters, before[0])
    pd.testing.assert_series_equal(truth, before[1])


@pytest.mark.parametrize("call", [
    lambda: contingency([0, 1], ["a"]),
    lambda: hungarian_accuracy([[1, -1]]),
    lambda: purity([[0.5, 1]]),
    lambda: match_clusters([[-2]]),
    lambda: truth_metrics([0, 1], ["a"]),
    lambda: truth_metrics([0, 1.5], ["a", "b"]),
    lambda: truth_metrics([0, -2], ["a", "b"]),
    lambda: truth_metrics([0, 1], ["a", "b"], noise="drop"),
], ids=["lengths", "negative count", "fractional count", "negative match", "metric lengths",
        "fractional cluster", "below noise", "noise policy"])
def test_every_public_function_validates_its_inputs(call):
    with pytest.raises(UserError):
        call()


# --- semclust truth import -----------------------------------------------------------
def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_truth_import_by_path_writes_image_id_and_label(run_cli, tmp_path):
    study = make_study(tmp_path, {"c": [0, 0, 1, 1]})
    file = write(tmp_path / "t.csv", "path,label,notes\nsub/img00.jpg,wind,x\n./sub/img01.jpg,fire,\n"
                 f"{study.image_root}/sub/img02.jpg, fire ,\nsub/img03.jpg,,\n")
    result = run_cli("truth", "import", file, "--study", study.root, "--name", "themes")
    assert result.exit_code == 0, result.stderr
    assert "4 images, 3 labelled, 2 classes" in result.stdout
    truth = study.read_truth("themes")
    assert truth["image_id"].tolist() == ["im00", "im01", "im02", "im03"]
    assert truth["label"].tolist()[:3] == ["wind", "fire", "fire"] and pd.isna(truth["label"][3])
    assert study.truth_path("themes").read_text().splitlines()[0] == "image_id,label"


def test_truth_import_uses_image_id_when_the_file_has_it(run_cli, tmp_path):
    study = make_study(tmp_path, {"c": [0, 0, 1, 1]})
    file = write(tmp_path / "t.csv", "image_id,path,label\nim01,nonsense,x\nim00,,y\n")
    assert run_cli("truth", "import", file, "--study", study.root, "--name", "t").exit_code == 0
    assert study.read_truth("t")["image_id"].tolist() == ["im01", "im00"]
    result = run_cli("truth", "import", file, "--study", study.root, "--name", "t", "--key", "path")
    assert result.exit_code == 2 and "exists" in result.stderr and "--force" in result.stderr
    result = run_cli("truth", "import", file, "--study", study.root, "--name", "t", "--key", "path",
                     "--force")
    assert result.exit_code == 2 and "t.csv row" in result.stderr  # the paths are not images


def test_truth_import_reads_a_spreadsheet_csv_with_a_byte_order_mark(run_cli, tmp_path):
    study = make_study(tmp_path, {"c": [0, 0, 1, 1]})
    file = tmp_path / "t.csv"
    file.write_bytes("path,label\nsub/img00.jpg,éte\n".encode("utf-8-sig"))
    result = run_cli("truth", "import", file, "--study", study.root, "--name", "t")
    assert result.exit_code == 0, result.stderr
    assert study.read_truth("t")["label"].tolist() == ["éte"]


@pytest.mark.parametrize("text, message", [
    ("path,label\nsub/img00.jpg,a\nsub/nope.jpg,b\nsub/img01.jpg,a\nother.jpg,c\n",
     "t.csv rows 3, 5: path not an image of the study"),
    ("path,label\nsub/img00.jpg,a\nsub/img01.jpg,b\n./sub/img00.jpg,a\n",
     "t.csv rows 2, 4: the same image more than once"),
    ("image_id,label\nim00,a\n,b\n", "t.csv row 3: empty image_id"),
    ("", "t.csv: the file is empty"),
    ("path,label\n", "t.csv: has no rows"),
    ("path,label\nsub/img00.jpg,\n", "t.csv: no row has a label"),
    ("path,theme\nsub/img00.jpg,a\n", "needs a `label` column"),
    ("file,label\nsub/img00.jpg,a\n", "needs an image_id or a path column"),
], ids=["unknown", "duplicate", "empty key", "empty file", "header only", "no label", "no label column",
        "no key column"])
def test_truth_import_bad_files_exit_2_naming_the_rows(run_cli, tmp_path, text, message):
    study = make_study(tmp_path, {"c": [0, 0, 1, 1]})
    result = run_cli("truth", "import", write(tmp_path / "t.csv", text), "--study", study.root,
                     "--name", "t")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not study.truth_dir.exists()


# --- semclust truth score ------------------------------------------------------------------
def test_truth_score_writes_the_report_and_prints_both_policies(run_cli, tmp_path):
    study = make_study(tmp_path, {"good": [0, 0, 0, 1, 1, 2, -1, 2], "noise": [-1] * 8})
    study.write_truth("t", pd.DataFrame({"image_id": [f"im{i:02d}" for i in range(7)],
                                         "label": TRUTH}))
    result = run_cli("truth", "score", "--study", study.root, "--truth", "t")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["good", "exclude"] for line in lines)
    assert "note: noise (as-cluster): coverage 0" in result.stdout
    report = json.loads((study.reports_dir / "truth-t.json").read_text())
    assert report["n_truth_labelled"] == 7 and set(report["clusterings"]) == {"good", "noise"}
    good = report["clusterings"]["good"]
    assert good["n_images"] == 8 and good["n_truth_not_in_clustering"] == 0
    assert good["exclude"]["accuracy"] == pytest.approx(5 / 6)  # im07 has no truth row
    assert good["as-cluster"]["accuracy"] == pytest.approx(5 / 7)
    assert report["clusterings"]["noise"]["exclude"]["accuracy"] is None


def test_truth_score_of_one_clustering_shows_per_class_scores_and_confusion(run_cli, tmp_path):
    study = make_study(tmp_path, {"good": [0, 0, 0, 1, 1, 2, -1]})
    study.write_truth("t", pd.DataFrame({"image_id": [f"im{i:02d}" for i in range(7)], "label": TRUTH}))
    result = run_cli("truth", "score", "--study", study.root, "--truth", "t", "--clustering", "good",
                     "--noise", "exclude")
    assert result.exit_code == 0, result.stderr
    assert "per class (exclude)" in result.stdout and "confusion (exclude)" in result.stdout
    assert "as-cluster" not in result.stdout
    result = run_cli("truth", "score", "--study", study.root, "--truth", "t", "--clustering", "good", "--json")
    assert set(json.loads(result.stdout)["clusterings"]["good"]) >= {"exclude", "as-cluster"}


def test_truth_score_of_an_unknown_truth_or_clustering_exits_2(run_cli, tmp_path):
    study = make_study(tmp_path, {"good": [0, 1]})
    study.write_truth("t", pd.DataFrame({"image_id": ["im00"], "label": ["a"]}))
    result = run_cli("truth", "score", "--study", study.root, "--truth", "nope")
    assert result.exit_code == 2 and "no truth 'nope' in study (known: t)" in result.stderr
    result = run_cli("truth", "score", "--study", study.root, "--truth", "t", "--clustering", "nope")
    assert result.exit_code == 2 and "no clustering 'nope'" in result.stderr


# --- the unsupervised method never opens truth/ ---------------------------------------
_OPENED: list[str] | None = None  # set to a list while a test records; the hook cannot be removed
_HOOKED = False
_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob"}


def _audit(event, args):
    if _OPENED is not None and event in _EVENTS and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if f"{os.sep}truth{os.sep}" in path or path.rstrip(os.sep).endswith(f"{os.sep}truth"):
            _OPENED.append(f"{event} {path}")


@pytest.fixture
def truth_opens():
    """A list that collects every open, listing or glob of a ``truth`` folder or a path in one."""
    global _OPENED, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


GRID = """embeddings: all
reductions:
  - method: pca
    n_components: [5]
clusterers:
  - method: hdbscan
    min_cluster_size: [4]
"""


@pytest.mark.slow
def test_unsupervised_commands_never_open_truth(run_cli, tmp_path, demo_dir, truth_opens):
    images = tmp_path / "images"
    images.mkdir()
    themes = pd.read_csv(demo_dir / "truth.csv").iloc[:48]
    for name in themes["path"]:
        shutil.copy(demo_dir / "images" / name, images / name)
    themes.to_csv(tmp_path / "truth.csv", index=False)  # simulate's own file, outside the study
    s = str(tmp_path / "study")
    assert run_cli("ingest", images, "--study", s, "--workers", "1").exit_code == 0
    themes.rename(columns={"theme": "label"}).to_csv(tmp_path / "labels.csv", index=False)
    result = run_cli("truth", "import", tmp_path / "labels.csv", "--study", s, "--name", "themes")
    assert result.exit_code == 0, result.stderr
    truth_opens.clear()
    (tmp_path / "grid.yaml").write_text(GRID)
    clustering = "e--pca-c5--hdb-m4"
    steps = [
        ["ingest", images, "--study", s, "--workers", "1"],
        ["describe", "--study", s, "--backend", "file", "--input", demo_dir / "descriptions.jsonl",
         "--id", "d", "--model", "demo"],
        ["embed", "--study", s, "--from", "descriptions:d", "--id", "e"],
        ["cluster", "--study", s, "--grid", tmp_path / "grid.yaml", "--jobs", "1"],
        ["clusters", "show", "--study", s, "--clustering", clustering],
        ["sample", "plan", "--study", s, "--target-same", "5", "--budget", "60"],
        ["sample", "pairs", "--study", s, "--n", "60", "--phase", "1"],
        ["sample", "sets", "--study", s, "--clustering", clustering, "--per-cluster", "2", "--size", "2"],
        ["simulate", "--study", s, "--truth", tmp_path / "truth.csv", "--clustering", clustering],
        ["agreement", "--study", s, "--bootstrap", "20"],
        ["quality", "--study", s, "--permutations", "20", "--bootstrap", "20", "--min-pairs", "2"],
        ["interpretability", "--study", s, "--clustering", clustering],
        ["report", "--study", s, "--clustering", clustering, "--bootstrap", "20"],
    ]
    for argv in steps:
        result = run_cli(*argv)
        assert result.exit_code == 0, f"semclust {argv[0]}: {result.stderr}"
    assert truth_opens == [], "an unsupervised command opened truth/"
    # the hook does see the truth-aware commands open it
    assert run_cli("evaluate", "--study", s, "--truth", "themes").exit_code == 0
    assert any(p.endswith(os.path.join("truth", "themes.csv")) for p in truth_opens)


def test_truth_import_with_a_key_the_file_lacks_exits_2(run_cli, tmp_path):
    study = make_study(tmp_path, {"c": [0, 1]})
    file = write(tmp_path / "t.csv", "path,label\nsub/img00.jpg,a\n")
    result = run_cli("truth", "import", file, "--study", study.root, "--name", "t", "--key", "image_id")
    assert result.exit_code == 2 and "no 'image_id' column" in result.stderr


def test_truth_import_takes_the_label_from_another_column(tmp_path, run_cli):
    from semclust.study import Study

    images = tmp_path / "images"
    images.mkdir()
    from PIL import Image
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 80, 0, 0)).save(images / f"{i}.png")
    assert run_cli("ingest", images, "--study", tmp_path / "s").exit_code == 0
    (tmp_path / "t.csv").write_text("path,theme\n0.png,sea\n1.png,sky\n2.png,\n")
    result = run_cli("truth", "import", tmp_path / "t.csv", "--study", tmp_path / "s", "--name", "themes",
                     "--label-column", "theme")
    assert result.exit_code == 0, result.stderr
    truth = Study.open(tmp_path / "s").read_truth("themes")
    assert truth["label"].tolist()[:2] == ["sea", "sky"] and truth["label"].isna().sum() == 1
    wrong = run_cli("truth", "import", tmp_path / "t.csv", "--study", tmp_path / "s", "--name", "x",
                    "--label-column", "mood")
    assert wrong.exit_code == 2 and "no column 'mood' (columns: path, theme)" in wrong.stderr


def test_evaluate_is_the_former_name_of_truth_score_and_says_so(run_cli, tmp_path):
    study = make_study(tmp_path, {"good": [0, 0, 0, 1, 1, 2, -1, 2]})
    study.write_truth("t", pd.DataFrame({"image_id": [f"im{i:02d}" for i in range(7)], "label": TRUTH}))
    result = run_cli("evaluate", "--study", study.root, "--truth", "t")
    assert result.exit_code == 0 and "now `semclust truth score`" in result.stderr
    assert (study.reports_dir / "truth-t.json").is_file()
