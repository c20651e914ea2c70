"""`semclust name`: each non-noise cluster gets a name from its typical descriptions and keywords,
through a real OpenAI-compatible server on 127.0.0.1, cached like every paid call."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.pipeline.model_answers import read_name
from semclust.study import Study
from support.chat_server import ChatServer, user_text

THEMES = {0: ("protest", "crowds march with placards demanding climate action"),
          1: ("arctic", "melting sea ice and a lonely polar bear in the warming arctic"),
          2: ("wildfire", "orange smoke and flames of a wildfire over a burning forest")}


@pytest.fixture
def study(tmp_path) -> Study:
    """18 described images in 3 clusters of 5 plus 3 noise; keywords from descriptions:d."""
    study = Study.create(tmp_path / "study", tmp_path)
    ids, labels, rows = [], [], []
    for k in range(18):
        cluster = k % 3 if k < 15 else -1
        image_id = f"img{k:02d}"
        theme, text = THEMES[k % 3]
        rows.append({"image_id": image_id, "text": f"Image {k}: {text}." if k % 5 else "A plain photo of something."})
        ids.append(image_id)
        labels.append(cluster)
    study.descriptions_dir.mkdir(parents=True, exist_ok=True)
    study.description_path("d").write_text("".join(json.dumps(r) + "\n" for r in rows))
    keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": w, "score": 1.0 - r / 10}
                             for c, (theme, text) in THEMES.items()
                             for r, w in enumerate(text.split()[:3] + [theme])])
    study.write_embeddings("e", np.eye(18)[:, :6] + np.arange(18)[:, None] % 3, ids,
                           {"source": "descriptions:d"})
    study.write_clustering("c", pd.DataFrame({"image_id": ids, "cluster": labels}),
                           {"embedding": {"id": "e"}, "keywords": {"source": "descriptions:d"}},
                           keywords, {})
    return study


def answer(body) -> str:
    text = user_text(body)
    for theme, _ in THEMES.values():
        if f", {theme}" in text:  # the cluster's keyword list ends with its theme
            return {"protest": 'say:Name: "Climate protest".', "arctic": "say:Melting Arctic\nbecause ice",
                    "wildfire": "say:climate protest"}[theme]
    return "say:unknown"


def name(run_cli, study, server, *extra):
    return run_cli("name", "--study", study.root, "--clustering", "c", "--model", "llm",
                   "--base-url", server.url, "--backoff", "0.05", *extra)


def test_name_gives_every_cluster_a_parsed_name_and_flags_duplicates(run_cli, study):
    with ChatServer(responder=answer) as server:
        result = name(run_cli, study, server)
        assert result.exit_code == 0, result.stderr
        assert sum(server.requests.values()) == 3  # noise is never named
    table = pd.read_csv(study.clustering_dir("c") / "names.csv", dtype={"doc_image_ids": str})
    assert list(table.columns) == ["cluster", "name", "status", "doc_image_ids"]
    assert table.set_index("cluster")["name"].to_dict() == {0: "Climate protest", 1: "Melting Arctic",
                                                            2: "climate protest"}
    assert table.set_index("cluster")["status"].to_dict() == {0: "duplicate", 1: "ok", 2: "duplicate"}
    docs = table.set_index("cluster")["doc_image_ids"][0].split(";")
    assert len(docs) == 4 and "img00" not in docs  # the keyword-poor "plain photo" comes last


def test_name_rerun_asks_nothing_and_a_failed_cluster_is_marked(run_cli, study):
    def sometimes_fail(body):
        return "500" if ", arctic" in user_text(body) else answer(body)

    with ChatServer(responder=sometimes_fail) as server:
        name(run_cli, study, server, "--max-retries", "0")
        first = sum(server.requests.values())
        name(run_cli, study, server, "--max-retries", "0")
        assert sum(server.requests.values()) == first + 1  # only the failed one is asked again
    status = pd.read_csv(study.clustering_dir("c") / "names.csv").set_index("cluster")["status"]
    assert status[1] == "failed"


def test_name_centroid_selection_is_seeded_and_reproducible(run_cli, study):
    with ChatServer(responder=answer) as server:
        name(run_cli, study, server, "--select", "centroid")
        first = (study.clustering_dir("c") / "names.csv").read_text()
        name(run_cli, study, server, "--select", "centroid")
    assert (study.clustering_dir("c") / "names.csv").read_text() == first


@pytest.mark.parametrize("answer_text, expected", [
    ("Name: Ocean plastic.", "Ocean plastic"), ("  \n'Wind power'\nbecause turbines", "Wind power"),
    ("", None), ("**Heat**", "Heat")])
def test_read_name(answer_text, expected):
    assert read_name(answer_text) == expected
