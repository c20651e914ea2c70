"""`semclust fewshot`: stratified few-shot draws on a synthetic embedding, and on the demo (slow)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.pipeline.fewshot import LEARNERS, draw, evaluate
from semclust.study import Study, UserError

CLASSES = ("cats", "dogs", "fish")


@pytest.fixture
def synthetic_study(tmp_path):
    """A study with a 16-d embedding of 3 noisy, separable classes x 20 images, and truth ``t``.

    Images ``c*_18`` and ``c*_19`` are unlabelled (empty label); ``odd0`` has a label
    but no embedding row.
    """
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(len(CLASSES), 16)) * 3
    ids, vectors, labels = [], [], []
    for k, name in enumerate(CLASSES):
        for i in range(20):
            ids.append(f"{name}_{i}")
            vectors.append(centres[k] + rng.normal(size=16))
            labels.append(name if i < 18 else None)
    study = Study.create(tmp_path / "study", tmp_path / "images")
    study.write_embeddings("emb", np.array(vectors), ids, {"kind": "text", "model": "synthetic"})
    truth = pd.DataFrame({"image_id": ids + ["odd0"], "label": labels + ["cats"]})
    study.write_truth("t", truth)
    return study


def fewshot(run_cli, study, *extra):
    return run_cli("fewshot", "--study", study.root, "--embedding", "emb", "--truth", "t", *extra)


def test_fewshot_logreg_writes_mean_and_sd_over_repeats(run_cli, synthetic_study):
    result = fewshot(run_cli, synthetic_study, "--shots", "5", "--repeats", "4", "--seed", "3")
    assert result.exit_code == 0, result.stderr
    path = synthetic_study.fewshot_dir / "emb--t--logreg-s5" / "results.json"
    results = json.loads(path.read_text())
    assert results["accuracy"]["mean"] > 0.9 and results["macro_f1"]["mean"] > 0.9
    assert len(results["accuracy"]["values"]) == 4 and results["accuracy"]["sd"] >= 0
    assert results["n_labelled"] == 54 and results["n_test"] == 54 - 15
    assert results["classes"] == {"cats": 18, "dogs": 18, "fish": 18}
    assert results["chance"]["uniform"] == pytest.approx(1 / 3, abs=1e-6)
    assert results["seed"] == 3 and results["classifier"]["name"] == "logreg"
    assert "accuracy" in result.stdout and "macro-F1" in result.stdout and "wrote fewshot/" in result.stdout
    assert "1 labelled image(s) are not in the embedding" in result.stderr
    again = fewshot(run_cli, synthetic_study, "--shots", "5", "--repeats", "4", "--seed", "3")
    assert again.exit_code == 0
    assert json.loads(path.read_text())["accuracy"]["values"] == results["accuracy"]["values"]


@pytest.mark.parametrize("learner", list(LEARNERS))
def test_fewshot_every_classifier_runs(run_cli, synthetic_study, learner):
    result = fewshot(run_cli, synthetic_study, "--shots", "3", "--repeats", "2", "--classifier", learner)
    assert result.exit_code == 0, result.stderr
    results = json.loads((synthetic_study.fewshot_dir / f"emb--t--{learner}-s3" / "results.json")
                         .read_text())
    assert 0 <= results["accuracy"]["mean"] <= 1 and results["classifier"]["name"] == learner


def test_fewshot_class_with_too_few_images_exits_2_naming_it(run_cli, synthetic_study):
    truth = synthetic_study.read_truth("t")
    extra = pd.DataFrame({"image_id": ["fish_18", "fish_19"], "label": ["eels", "eels"]})
    synthetic_study.write_truth("t", pd.concat([truth, extra]))
    result = fewshot(run_cli, synthetic_study, "--shots", "2")
    assert result.exit_code == 2
    assert "'eels' (2)" in result.stderr and "at least 3 labelled images per class" in result.stderr
    assert "cats" not in result.stderr


def test_fewshot_unknown_truth_exits_2(run_cli, synthetic_study):
    result = run_cli("fewshot", "--study", synthetic_study.root, "--embedding", "emb", "--truth", "nope")
    assert result.exit_code == 2 and "no truth 'nope'" in result.stderr


def test_fewshot_predict_all_writes_a_clustering_of_every_image(run_cli, synthetic_study):
    result = fewshot(run_cli, synthetic_study, "--shots", "5", "--repeats", "2", "--predict-all")
    assert result.exit_code == 0, result.stderr
    cid = "emb--fewshot-logreg--t"
    labels = synthetic_study.read_labels(cid)
    assert len(labels) == 60 and labels["cluster"].between(0, 2).all()
    clusters = pd.read_csv(synthetic_study.clustering_dir(cid) / "clusters.csv")
    assert clusters["name"].tolist() == list(CLASSES)
    unlabelled = labels[labels["image_id"].str.endswith(("_18", "_19"))]
    names = clusters.set_index("cluster")["name"]
    assert (unlabelled["cluster"].map(names) == unlabelled["image_id"].str.split("_").str[0]).all()
    params = synthetic_study.read_clustering_json(cid, "params.json")
    assert params["trained_on"] == 54 and params["method"] == "fewshot-logreg"
    assert params["provenance"]["source"] == "fewshot" and set(params["provenance"]["versions"]) >= {"scikit-learn"}
    assert synthetic_study.clustering_embedding(cid) == "emb"


def test_draw_takes_shots_of_every_class_and_evaluate_checks_repeats():
    labels = np.array(["a"] * 5 + ["b"] * 7, dtype=object)
    mask = draw(labels, 3, np.random.default_rng(0))
    assert mask[:5].sum() == 3 and mask[5:].sum() == 3
    with pytest.raises(UserError, match="--repeats"):
        evaluate(np.eye(12), labels, "logreg", 2, repeats=0)


# --- the demo (issue acceptance: 10-shot logreg on the demo's text embedding > .9) ----------


@pytest.mark.slow
def test_demo_fewshot_logreg_above_90_and_classify_text_accuracy(run_cli, demo_study):
    """`semclust demo` imported the demo themes as the truth `themes` and ran classify text."""
    import yaml

    from semclust.annotate.cli.demo import EMBEDDING
    from semclust.resources import demo_dir

    study, study_dir = demo_study, demo_study.root

    result = run_cli("fewshot", "--study", study_dir, "--embedding", EMBEDDING, "--truth", "themes",
                     "--shots", "10", "--classifier", "logreg")
    assert result.exit_code == 0, result.stderr
    results = json.loads((study.fewshot_dir / f"{EMBEDDING}--themes--logreg-s10" / "results.json")
                         .read_text())
    measured = (f"demo 10-shot logreg accuracy {results['accuracy']['mean']:.3f} "
                f"+- {results['accuracy']['sd']:.3f}")
    assert results["accuracy"]["mean"] > 0.9, measured  # measured .971 +- .023

    classes = demo_dir() / "themes.yaml"  # shipped; `semclust demo` already classified with it
    labels = study.read_labels(f"{EMBEDDING}--classify-text--themes")
    names = [c["name"].replace(" ", "_") for c in yaml.safe_load(classes.read_text())]
    predicted = labels["cluster"].map(lambda c: names[c] if c >= 0 else None)
    expected = labels["image_id"].map(study.read_truth("themes").set_index("image_id")["label"])
    accuracy = float((predicted == expected).mean())
    print(f"{measured}; demo classify text accuracy {accuracy:.3f}")  # run_cli captures earlier prints
    assert accuracy > 0.85  # measured .896 with these definitions (names only: ~.70)
