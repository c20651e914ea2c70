"""The whole method on the bundled demo data, exactly as `make demo` runs it (issues 2-5)."""
from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from semclust.pipeline.study import Study

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory, demo_dir):
    from semclust.cli import main

    study_dir = tmp_path_factory.mktemp("demo") / "study"
    assert main(["demo", "--no-serve", "--study", str(study_dir)]) == 0
    return Study.open(study_dir)


def truth_by_id(study: Study, demo_dir) -> pd.Series:
    truth = pd.read_csv(demo_dir / "truth.csv")
    ids = study.read_images().set_index("path")["image_id"]
    return pd.Series(truth["theme"].values, index=ids.loc[truth["path"]].values)


def test_demo_grid_recovers_the_demo_themes(demo_study, demo_dir):
    truth = truth_by_id(demo_study, demo_dir)
    scores = {}
    for cid in demo_study.list_clusterings():
        labels = demo_study.read_labels(cid).set_index("image_id")["cluster"]
        scores[cid] = adjusted_rand_score(truth.loc[labels.index], labels)
    best = max(scores, key=scores.get)
    print(f"\nbest adjusted Rand index vs data/demo/truth.csv: {scores[best]:.3f} ({best}); "
          f"median over {len(scores)} clusterings: {pd.Series(scores).median():.3f}")
    assert len(scores) == 30
    assert scores[best] > 0.8


def test_demo_writes_every_stage_of_the_study(demo_study):
    assert len(demo_study.read_images(status="ok")) == 240
    assert demo_study.list_describers() == ["demo"]
    assert demo_study.list_embeddings() == ["minilm-l6--demo"]
    pairs = demo_study.read_pairs()
    assert len(pairs) == 500 and set(pairs["phase"]) == {"1", "2"}
    assert len(list(demo_study.sets_dir.glob("*.csv"))) == 1
    ratings = pd.read_csv(demo_study.ratings_csv)
    assert ratings["coder"].str.startswith("sim-").all()
    assert (demo_study.reports_dir / "index.html").is_file()


def test_demo_report_shows_a_valid_clustering_and_the_matching_test(demo_study):
    html = (demo_study.reports_dir / "index.html").read_text()
    assert "quality_boxplots.png" in html and "confusion.png" in html
    assert "the matching test" in html


def test_demo_rerun_skips_samples_and_keeps_them(demo_study, run_cli):
    before = demo_study.pairs_csv.read_bytes()
    result = run_cli("demo", "--no-serve", "--study", demo_study.root)
    assert result.exit_code == 0, result.stderr
    assert "skipped (already done): semclust sample pairs" in result.stderr
    assert demo_study.pairs_csv.read_bytes() == before
