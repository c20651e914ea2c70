"""The grid runner: GRID.yaml -> one clusterings/<id>/ folder per combination."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from semclust.pipeline.grid import load_grid, plan_jobs, run_grid
from semclust.study import Study

REPO = Path(__file__).resolve().parents[2]

TOPIC_WORDS = {
    0: ["dog", "beach", "sand", "waves", "joy"],
    1: ["protest", "crowd", "banner", "anger", "march"],
    2: ["sunset", "mountain", "calm", "lake", "serene"],
}
FILLER = "This image conveys a sense of {a} and suggests {b}, evoking {c} overall."

SMALL_GRID = """
embeddings: [textemb]
seed: 7
reductions:
  - method: umap
    n_components: 2
    n_neighbors: [5, 15]
  - method: pca
    n_components: [5, 0.8]
clusterers:
  - method: hdbscan
    min_cluster_size: [10, 20]
"""


def planted(n: int, dim: int, k: int, seed: int, spread: float = 0.35):
    """n points around k random centres of a 6-d latent space, mapped linearly into dim."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    latent = rng.normal(size=(k, 6))[truth] + spread * rng.normal(size=(n, 6))
    X = latent @ rng.normal(size=(6, dim)) + 0.05 * rng.normal(size=(n, dim))
    return X.astype(np.float32), truth


@pytest.fixture
def study(tmp_path):
    """A 300-image study with a description embedding of 3 planted topics."""
    study = Study.create(tmp_path / "study", tmp_path)
    n = 300
    X, truth = planted(n, 32, 3, seed=1)
    ids = [f"img{i:04d}" for i in range(n)]
    study.write_images(pd.DataFrame({
        "image_id": ids, "path": [f"photos/{i}.jpg" for i in ids], "sha256": ids,
        "width": 10, "height": 10, "status": "ok", "error": ""}))
    rng = np.random.default_rng(2)
    with open(study.description_path("vlm"), "w", encoding="utf-8") as fh:
        for image_id, topic in zip(ids, truth):
            a, b, c = rng.choice(TOPIC_WORDS[topic], 3, replace=False)
            fh.write(json.dumps({"image_id": image_id, "text": FILLER.format(a=a, b=b, c=c),
                                 "error": None}) + "\n")
    study.write_embeddings("textemb", X, ids, {"source": "descriptions:vlm"})
    study.write_embeddings("imgemb", X[:, :16], ids, {"source": "images"})
    (study.root / "truth.csv").write_text(
        pd.DataFrame({"image_id": ids, "topic": truth}).to_csv(index=False))
    return study


@pytest.fixture
def grid_file(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(SMALL_GRID)
    return path


def test_shipped_grids_expand_to_30_clusterings_per_embedding(study):
    for name, sizes in (("paper", [50, 100, 200]), ("demo", [8, 12, 20])):
        grid = load_grid(name)
        jobs = plan_jobs(study, grid)
        assert len(jobs) == 30 * 2  # two embeddings in the study
        assert sorted({j.clusterer.params["min_cluster_size"] for j in jobs}) == sizes
    ids = {j.clustering_id for j in plan_jobs(study, load_grid("paper"))}
    assert {"textemb--umap-c5-n15--hdb-m50", "textemb--pca-v0.8--hdb-m200",
            "imgemb--pca-c20--hdb-m100"} <= ids


def test_grid_writes_expected_folders_with_complete_files(study, grid_file):
    outcomes = run_grid(study, load_grid(grid_file), n_jobs=1, progress=False)
    expected = {f"textemb--{r}--hdb-m{m}" for r in ("umap-c2-n5", "umap-c2-n15",
                                                    "pca-c5", "pca-v0.8") for m in (10, 20)}
    assert {o.clustering_id for o in outcomes} == expected
    assert set(study.list_clusterings()) == expected
    for cid in expected:
        labels = study.read_labels(cid)
        assert labels["image_id"].tolist() == [f"img{i:04d}" for i in range(300)]
        params = study.read_clustering_json(cid, "params.json")
        assert params["seed"] == 7 and params["config"]["seed"] == 7
        assert params["versions"]["umap-learn"] and params["versions"]["hdbscan"]
        assert params["embedding"]["id"] == "textemb"
        summary = study.read_clustering_json(cid, "summary.json")
        assert summary["n_clusters"] == labels.loc[labels.cluster >= 0, "cluster"].nunique()
        assert summary["noise_fraction"] == pytest.approx((labels.cluster == -1).mean(), abs=1e-6)
        keywords = study.read_keywords(cid)
        assert set(keywords["cluster"]) == set(labels.loc[labels.cluster >= 0, "cluster"])
    X, _, _ = study.read_embeddings("textemb")
    kept = PCA(n_components=0.8, svd_solver="full").fit(X).n_components_
    assert study.read_clustering_json("textemb--pca-v0.8--hdb-m10",
                                      "summary.json")["n_components"] == kept


def test_grid_recovers_planted_topics_with_topic_keywords(study, grid_file):
    run_grid(study, load_grid(grid_file), n_jobs=1, progress=False)
    truth = pd.read_csv(study.root / "truth.csv", dtype={"image_id": str})
    best, best_id = max((adjusted_rand_score(truth["topic"], study.read_labels(c)["cluster"]), c)
                        for c in study.list_clusterings())
    assert best > 0.9, best_id
    keywords = study.read_keywords(best_id)
    top = set(keywords.loc[keywords["rank"] == 1, "term"])
    assert len(top) == 3 and top <= {w for words in TOPIC_WORDS.values() for w in words}
    assert not {"image", "conveys", "suggests", "sense", "overall"} & set(keywords["term"])


def test_grid_resumes_skipping_complete_and_force_recomputes(study, grid_file):
    grid = load_grid(grid_file)
    run_grid(study, grid, n_jobs=1, progress=False)
    done = "textemb--umap-c2-n15--hdb-m20"
    removed = "textemb--pca-c5--hdb-m10"
    before = (study.clustering_dir(done) / "labels.csv").stat().st_mtime_ns
    (study.clustering_dir(removed) / "labels.csv").unlink()
    again = {o.clustering_id: o.status for o in run_grid(study, grid, n_jobs=1, progress=False)}
    assert again.pop(removed) == "written"
    assert set(again.values()) == {"skipped"}
    assert (study.clustering_dir(done) / "labels.csv").stat().st_mtime_ns == before
    forced = run_grid(study, grid, force=True, n_jobs=1, progress=False)
    assert {o.status for o in forced} == {"written"}


def test_grid_keeps_folder_made_with_other_parameters(study, grid_file):
    run_grid(study, load_grid(grid_file), n_jobs=1, progress=False)
    grid_file.write_text(SMALL_GRID.replace("seed: 7", "seed: 8"))
    notes = []
    outcomes = run_grid(study, load_grid(grid_file), n_jobs=1, progress=False, echo=notes.append)
    assert {o.status for o in outcomes} == {"kept"}
    assert any("other parameters" in n for n in notes)
    assert study.read_clustering_json(outcomes[0].clustering_id, "params.json")["seed"] == 7


def test_grid_image_embedding_without_describer_leaves_keywords_empty_with_note(study, tmp_path):
    path = tmp_path / "img.yaml"
    path.write_text("embeddings: [imgemb]\nreductions: [{method: pca, n_components: 3}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    notes = []
    run_grid(study, load_grid(path), n_jobs=1, progress=False, echo=notes.append)
    assert study.read_keywords("imgemb--pca-c3--km-k3").empty
    assert any("keywords_from" in n for n in notes)
    path.write_text(path.read_text() + "keywords_from: vlm\n")
    run_grid(study, load_grid(path), n_jobs=1, force=True, progress=False)
    assert not study.read_keywords("imgemb--pca-c3--km-k3").empty


def test_grid_reports_how_many_components_pca_variance_kept(study, tmp_path):
    path = tmp_path / "var.yaml"
    path.write_text("embeddings: [textemb]\nreductions: [{method: pca, n_components: [0.8, 31]}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    X, _, _ = study.read_embeddings("textemb")
    notes = []
    run_grid(study, load_grid(path), n_jobs=1, progress=False, echo=notes.append)
    kept = PCA(n_components=0.8, svd_solver="full").fit(X).n_components_
    assert any(f"pca-v0.8 kept {kept} components" in n for n in notes)
    assert not any("warning" in n for n in notes)  # 31 dimensions: no warning


def test_grid_warns_when_hdbscan_gets_more_than_50_dimensions_and_only_then(tmp_path):
    study = Study.create(tmp_path / "s", tmp_path)
    X, _ = planted(120, 64, 3, seed=3)
    study.write_embeddings("wide", X, [f"i{i}" for i in range(120)], {"source": "images"})
    path = tmp_path / "wide.yaml"
    for clusterer, warned in (("{method: hdbscan, min_cluster_size: 10}", True), ("{method: kmeans, k: 3}", False)):
        path.write_text(f"reductions: [{{method: pca, n_components: 55}}]\nclusterers: [{clusterer}]\n")
        notes = []
        run_grid(study, load_grid(path), n_jobs=1, progress=False, echo=notes.append)
        assert any("warning: pca-c55 leaves 55 dimensions" in n for n in notes) is warned, clusterer


@pytest.mark.slow
def test_grid_parallel_workers_give_the_same_labels_as_one_process(study, grid_file, tmp_path):
    grid = load_grid(grid_file)
    run_grid(study, grid, n_jobs=1, progress=False)
    serial = {c: study.read_labels(c) for c in study.list_clusterings()}
    run_grid(study, grid, n_jobs=2, force=True, progress=False)
    for cid, labels in serial.items():
        pd.testing.assert_frame_equal(study.read_labels(cid), labels)


BAD_GRIDS = [
    ("reduction: []\nclusterers: [{method: kmeans, k: 3}]\n", "reduction"),
    ("reductions: [{method: umap, n_components: 2, n_neighbors: many}]\n"
     "clusterers: [{method: kmeans, k: 3}]\n", "reductions[0].n_neighbors"),
    ("reductions: [{method: isomap}]\nclusterers: [{method: kmeans, k: 3}]\n",
     "reductions[0].method"),
    ("reductions: [{method: pca, n_components: 1.5}]\nclusterers: [{method: kmeans, k: 3}]\n",
     "reductions[0].n_components"),
    ("reductions: [{method: pca, n_components: 5}]\nclusterers: [{method: hdbscan}]\n",
     "clusterers[0].min_cluster_size"),
    ("reductions: [{method: pca, n_components: 5}]\n"
     "clusterers: [{method: hdbscan, min_cluster_size: 5, min_size: 3}]\n",
     "clusterers[0].min_size"),
    ("reductions: [{method: pca, n_components: 5}]\n", "clusterers"),
    ("seed: abc\nreductions: [{method: pca, n_components: 5}]\n"
     "clusterers: [{method: kmeans, k: 3}]\n", "seed"),
    ("reductions: [{method: pca, n_components: 5\n", "not valid YAML"),
]


@pytest.mark.parametrize("text, key", BAD_GRIDS)
def test_cli_cluster_bad_grid_exits_2_naming_the_key(run_cli, study, tmp_path, text, key):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.exit_code == 2
    assert key in result.stderr and "Traceback" not in result.stderr
    assert study.list_clusterings() == []


@pytest.mark.parametrize("reduction, clusterer, key", [
    ("{method: pca, n_components: 40}", "{method: kmeans, k: 3}", "pca-c40"),
    ("{method: pca, n_components: 5}", "{method: kmeans, k: 301}", "km-k301"),
])
def test_cli_cluster_impossible_setting_for_the_data_exits_2(run_cli, study, tmp_path,
                                                             reduction, clusterer, key):
    path = tmp_path / "g.yaml"
    path.write_text(f"embeddings: [textemb]\nreductions: [{reduction}]\nclusterers: [{clusterer}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.exit_code == 2 and key in result.stderr


def test_cli_cluster_unknown_embedding_and_missing_grid_exit_2(run_cli, study, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("embeddings: [nope]\nreductions: [{method: pca, n_components: 5}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.exit_code == 2 and "'nope'" in result.stderr and "textemb" in result.stderr
    result = run_cli("cluster", "--study", study.root, "--grid", "nosuchgrid")
    assert result.exit_code == 2 and "paper" in result.stderr


def test_cli_cluster_then_clusters_show_prints_sizes_keywords_and_paths(run_cli, study, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("embeddings: [textemb]\nreductions: [{method: pca, n_components: 5}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    assert "textemb--pca-c5--km-k3" in result.stdout and "1 written" in result.stdout
    result = run_cli("clusters", "show", "--study", study.root,
                     "--clustering", "textemb--pca-c5--km-k3")
    assert result.exit_code == 0, result.stderr
    assert "3 clusters" in result.stdout and "photos/img" in result.stdout
    sizes = study.read_clustering_json("textemb--pca-c5--km-k3", "summary.json")["sizes"]
    for cluster, size in sizes.items():
        assert f"{cluster:>6} {size:>6}" in result.stdout
    result = run_cli("clusters", "show", "--study", study.root, "--clustering", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_unknown_method_or_parameter_exits_2_naming_the_known_ones(run_cli, study, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("reductions: [{method: isomap}]\nclusterers: [{method: kmeans, k: 3}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: g.yaml: reductions[0].method: expected one of "
                                     "umap, pca, tsne, none, got 'isomap'")
    path.write_text("reductions: [{method: tsne, n_components: 2, early_exaggeration: 8}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.stderr.strip() == ("error: g.yaml: reductions[0].early_exaggeration: unknown key "
                                     "for tsne (known: method, n_components, perplexity, metric)")


def test_registered_methods_and_parameters_are_documented():
    from semclust.pipeline.gridfile import REGISTRIES

    docs = (REPO / "docs" / "clustering.md").read_text()
    for registry in REGISTRIES.values():
        for method in registry.values():
            assert f"`{method.name}`" in docs, method.name
            for param in method.params:
                assert f"{param.name}:" in docs, f"{method.name}.{param.name}"


def test_no_reduction_and_tsne_are_grid_settings_like_any_other(study, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("embeddings: [textemb]\n"
                    "reductions: [{method: none}, {method: tsne, n_components: 2, perplexity: 20}]\n"
                    "clusterers: [{method: kmeans, k: 3}, {method: hdbscan, min_cluster_size: 30}]\n")
    outcomes = run_grid(study, load_grid(path), n_jobs=1, progress=False)
    ids = {o.clustering_id for o in outcomes}
    assert ids == {"textemb--raw--km-k3", "textemb--raw--hdb-m30", "textemb--tsne-c2-p20--km-k3",
                   "textemb--tsne-c2-p20--hdb-m30"}
    truth = pd.read_csv(study.root / "truth.csv", dtype={"image_id": str}).set_index("image_id")["topic"]
    for cid in ("textemb--raw--km-k3", "textemb--tsne-c2-p20--km-k3"):
        labels = study.read_labels(cid).set_index("image_id")["cluster"]
        assert adjusted_rand_score(truth.loc[labels.index], labels) > 0.9, cid
    params = study.read_clustering_json("textemb--raw--km-k3", "params.json")
    assert params["reduction"] == {"method": "none", "n_components_kept": 32, "title": "none", "label": "none"}


def test_tsne_perplexity_not_below_the_number_of_images_exits_2(run_cli, study, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("embeddings: [textemb]\nreductions: [{method: tsne, n_components: 2, perplexity: 400}]\n"
                    "clusterers: [{method: kmeans, k: 3}]\n")
    result = run_cli("cluster", "--study", study.root, "--grid", path)
    assert result.exit_code == 2 and "tsne-c2-p400" in result.stderr and "perplexity" in result.stderr


def test_every_grid_clustering_records_its_provenance(study, grid_file):
    run_grid(study, load_grid(grid_file), n_jobs=1, progress=False)
    for cid in study.list_clusterings():
        record = study.read_clustering_json(cid, "params.json")["provenance"]
        assert record["schema"] == 1 and record["source"] == "grid"
        assert record["descriptions"] == "vlm" and record["embedding"] == "textemb"
        assert set(record["versions"]) >= {"python", "semclust", "hdbscan", "umap-learn", "numpy"}
        assert study.clustering_describer(cid) == "vlm" and study.clustering_embedding(cid) == "textemb"
