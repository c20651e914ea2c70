"""The `openai` paths against a real OpenAI-compatible server: `transformers serve` (issue #12).

The other tests of these paths use the hand-written server of
``support.chat_server``; here the protocol is transformers' own. The models are
tiny and random (``support.tiny_models``), so the answers are gibberish: the
tests check the protocol and the bookkeeping (a record per request with text,
tokens counted, a re-run asks nothing again), never what the answers say.

One server per model for the whole module: a tiny LLaVA for ``describe``, a
tiny Llama for ``name`` and ``ictc``. Needs ``transformers serve``'s extras
(fastapi, uvicorn, accelerate, psutil: in the ``test`` extra).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.study import Study
from support import image_study as builder
from support.ci import require
from support.transformers_server import TransformersServer, missing_requirements

pytestmark = pytest.mark.slow

MAX_TOKENS = "8"


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _tokens_ok(rec) -> bool:
    tokens = rec.get("tokens") or {}
    return (tokens.get("prompt", 0) > 0 and 0 < tokens.get("completion", 0) <= int(MAX_TOKENS)
            and tokens.get("total") == tokens["prompt"] + tokens["completion"])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    missing = missing_requirements()
    require("`transformers serve` (" + ", ".join(missing) + ")", not missing, "pip install -e '.[test]'")
    from support.tiny_models import build_tiny_llama, build_tiny_llava

    root = tmp_path_factory.mktemp("models")
    return {"llava": build_tiny_llava(root / "llava"), "llama": build_tiny_llama(root / "llama")}


@pytest.fixture(scope="module")
def llava_server(models):
    with TransformersServer(models["llava"]) as server:
        yield server


@pytest.fixture(scope="module")
def llama_server(models):
    with TransformersServer(models["llama"]) as server:
        yield server


def _chat(server) -> tuple:
    return ("--model", server.model, "--base-url", server.url, "--max-tokens", MAX_TOKENS,
            "--concurrency", "2", "--backoff", "0.05", "--timeout", "60")


# --- describe: images through the LLaVA server ---------------------------------------------------
def test_describe_through_transformers_serve_records_every_image_and_reruns_for_free(
        run_cli, tmp_path, llava_server):
    study = builder.make_study(tmp_path, n=6)
    args = ("describe", "--study", study.root, "--backend", "openai", "--id", "d", *_chat(llava_server))
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr + llava_server.output()
    assert "done 6, failed 0, skipped 0" in result.stdout
    path = study.description_path("d")
    recs = _lines(path)
    assert sorted(r["image_id"] for r in recs) == sorted(study.read_images()["image_id"])
    for rec in recs:
        assert rec["error"] is None and isinstance(rec["text"], str) and rec["text"].strip(), rec
        assert rec["model"] == llava_server.model and _tokens_ok(rec), rec
    assert f"tokens: {sum(r['tokens']['total'] for r in recs)}" in result.stdout

    again = run_cli(*args)
    assert again.exit_code == 0, again.stderr
    assert "done 0, failed 0, skipped 6" in again.stdout
    assert len(_lines(path)) == len(recs)  # no new request, so no new record


# --- name: clusters through the Llama server -----------------------------------------------------
THEMES = {0: "protest crowd people", 1: "sea sky blue", 2: "night city light"}


@pytest.fixture
def clustered_study(tmp_path) -> Study:
    """12 described images in 3 clusters of 3 plus 3 noise; keywords from descriptions:d."""
    study = Study.create(tmp_path / "study", tmp_path)
    ids = [f"img{k:02d}" for k in range(12)]
    labels = [k % 3 if k < 9 else -1 for k in range(12)]
    study.descriptions_dir.mkdir(parents=True, exist_ok=True)
    study.description_path("d").write_text("".join(
        json.dumps({"image_id": i, "text": f"the image shows {THEMES[k % 3]}"}) + "\n"
        for k, i in enumerate(ids)))
    keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": w, "score": 1.0 - r / 10}
                             for c, words in THEMES.items() for r, w in enumerate(words.split())])
    study.write_embeddings("e", np.eye(12)[:, :4] + np.arange(12)[:, None] % 3, ids,
                           {"source": "descriptions:d"})
    study.write_clustering("c", pd.DataFrame({"image_id": ids, "cluster": labels}),
                           {"embedding": {"id": "e"}, "keywords": {"source": "descriptions:d"}},
                           keywords, {})
    return study


def test_name_through_transformers_serve_writes_a_row_per_cluster_and_reruns_for_free(
        run_cli, clustered_study, llama_server):
    args = ("name", "--study", clustered_study.root, "--clustering", "c", "--quiet", *_chat(llama_server))
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr + llama_server.output()
    folder = clustered_study.clustering_dir("c")
    table = pd.read_csv(folder / "names.csv")
    assert sorted(table["cluster"]) == [0, 1, 2]  # noise is never named
    assert set(table["status"]) <= {"ok", "duplicate", "failed"}
    recs = _lines(folder / "names.jsonl")
    assert len(recs) == 3
    for rec in recs:
        assert rec["error"] is None and rec["model"] == llama_server.model and _tokens_ok(rec), rec

    again = run_cli(*args)
    assert again.exit_code == 0, again.stderr
    assert len(_lines(folder / "names.jsonl")) == 3


# --- IC|TC: labels and names through the Llama server --------------------------------------------
@pytest.fixture
def described_study(tmp_path) -> Study:
    """6 images with a description each (descriptions/d.jsonl)."""
    study = builder.make_study(tmp_path, n=6)
    study.descriptions_dir.mkdir(parents=True, exist_ok=True)
    ids = study.read_images()["image_id"].tolist()
    study.description_path("d").write_text("".join(
        json.dumps({"image_id": i, "text": f"the image shows {THEMES[k % 3]}"}) + "\n"
        for k, i in enumerate(ids)))
    return study


def test_ictc_labels_and_names_through_transformers_serve(run_cli, described_study, llama_server):
    study = described_study
    result = run_cli("ictc", "labels", "--study", study.root, "--run", "mood", "--describer", "d",
                     "--criterion", "mood", "--quiet", *_chat(llama_server))
    assert result.exit_code == 0, result.stderr + llama_server.output()
    folder = study.root / "criteria" / "mood"
    recs = _lines(folder / "labels.jsonl")
    assert len(recs) == 6  # a request per description
    for rec in recs:
        assert rec["error"] is None and rec["model"] == llama_server.model and _tokens_ok(rec), rec
    labels = pd.read_csv(folder / "labels.csv", dtype=str)
    assert sorted(labels["image_id"]) == sorted(study.read_images()["image_id"])
    config = json.loads((folder / "config.json").read_text())
    assert config["tokens"]["labels"]["total"] == sum(r["tokens"]["total"] for r in recs)

    # A one-line gibberish answer is never 3 names: two corrections, then exit 2 with the answer.
    names = run_cli("ictc", "names", "--study", study.root, "--run", "mood", "--k", "3", "--min-count", "1",
                    *_chat(llama_server))
    assert names.exit_code == 2, names.stdout + names.stderr
    assert "did not give exactly 3 distinct names after 2 correction(s)" in names.stderr
    asked = _lines(folder / "names.jsonl")
    assert len(asked) == 3 and all(r["error"] is None and _tokens_ok(r) for r in asked)
    assert not (folder / "names.json").exists()
