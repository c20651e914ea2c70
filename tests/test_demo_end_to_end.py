"""The whole method on the bundled demo data, exactly as `make demo` runs it (issues 2-5)."""
from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from semclust.study import Study

pytestmark = pytest.mark.slow


def truth_by_id(study: Study, demo_dir) -> pd.Series:
    truth = pd.read_csv(demo_dir / "truth.csv")
    ids = study.read_images().set_index("path")["image_id"]
    return pd.Series(truth["theme"].values, index=ids.loc[truth["path"]].values)


def test_demo_text_grid_recovers_the_demo_themes_better_than_the_cnn(demo_study, demo_dir):
    truth = truth_by_id(demo_study, demo_dir)
    scores = {}
    for cid in demo_study.list_clusterings():
        labels = demo_study.read_labels(cid).set_index("image_id")["cluster"]
        scores[cid] = adjusted_rand_score(truth.loc[labels.index], labels)
    grid = ("--umap-", "--pca-")  # the demo grid; raw KMeans and classify text are extra
    text = {c: v for c, v in scores.items() if c.startswith("minilm-l6--demo--") and any(g in c for g in grid)}
    image = {c: v for c, v in scores.items() if c.startswith("effnet-lite0--images--")}
    best = max(text, key=text.get)
    print(f"\nbest adjusted Rand index vs data/demo/truth.csv: {text[best]:.3f} ({best}); "
          f"median text {pd.Series(text).median():.3f}, median CNN {pd.Series(image).median():.3f}")
    assert len(text) == len(image) == 30
    assert {"minilm-l6--demo--raw--km-k8", "minilm-l6--demo--classify-text--themes"} <= set(scores)
    assert text[best] > 0.8
    assert pd.Series(text).median() > pd.Series(image).median()  # meaning beats shape


def test_demo_writes_every_stage_of_the_study(demo_study):
    assert len(demo_study.read_images(status="ok")) == 240
    assert demo_study.list_describers() == ["demo"]
    assert demo_study.list_embeddings() == ["effnet-lite0--images", "minilm-l6--demo"]
    assert demo_study.list_truths() == ["themes"]
    assert (demo_study.reports_dir / "truth-themes.json").is_file()
    pairs = demo_study.read_pairs()
    assert len(pairs) == 500 and set(pairs["phase"]) == {"1", "2"}
    assert len(list(demo_study.sets_dir.glob("*.csv"))) == 1
    ratings = pd.read_csv(demo_study.ratings_csv)
    assert ratings["coder"].str.startswith("sim-").all()
    assert (demo_study.reports_dir / "index.html").is_file()


def test_demo_report_shows_a_valid_clustering_and_the_matching_test(demo_study):
    html = (demo_study.reports_dir / "index.html").read_text()
    assert "quality_boxplots.png" in html and "confusion.png" in html
    assert "quality_by_family.png" in html and 'id="truth-themes"' in html
    for family in ("text: synthetic-demo [demo] · HDBSCAN", "image: efficientnet-lite0 · HDBSCAN",
                   "text: synthetic-demo [demo] · KMeans on the raw embedding"):
        assert family in html, family
    assert "the matching test" in html


def test_demo_rerun_skips_samples_and_keeps_them(demo_study, run_cli):
    before = demo_study.pairs_csv.read_bytes()
    result = run_cli("demo", "--no-serve", "--study", demo_study.root)
    assert result.exit_code == 0, result.stderr
    assert "skipped (already done): semclust sample pairs" in result.stderr
    assert demo_study.pairs_csv.read_bytes() == before
