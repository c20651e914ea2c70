"""Embedding descriptions: default all-MiniLM-L6-v2 (real weights), skip-and-list, cache, errors."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from semclust.pipeline.embed import default_embedder_id, embed_texts, l2_normalize, parse_source
from semclust.pipeline.embedders import short_name, text_embedder
from semclust.study import Study, UserError

TEXTS = {
    "img0": "A joyful crowd celebrates a football victory, fans cheering and waving flags.",
    "img1": "Supporters in a stadium shout with delight as their team scores the winning goal.",
    "img2": "A quiet forest path covered in autumn leaves evokes calm and solitude.",
    "img3": "A politician gives a speech at a podium in front of national flags.",
    "img4": "Short.",
}


def make_study(tmp_path, n_images=7):
    """A study of ``n_images`` small PNGs (status ok) with a hand-written images.csv."""
    image_root = tmp_path / "images"
    image_root.mkdir()
    rows = []
    for i in range(n_images):
        path = image_root / f"img{i}.png"
        Image.new("RGB", (20 + i, 16), color=(30 * i % 256, 80, 160)).save(path)
        rows.append({"image_id": f"img{i}", "path": path.name,
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "width": 20 + i, "height": 16, "status": "ok", "error": None})
    study = Study.create(tmp_path / "study", image_root)
    study.write_images(pd.DataFrame(rows))
    return study


def write_descriptions(study, describer_id, records):
    path = study.description_path(describer_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps({"model": "hand", "prompt": "p", **record}) + "\n")


@pytest.fixture
def study(tmp_path):
    """Study of 7 images: 5 described, img5 failed upstream, img6 has an empty text, plus none."""
    study = make_study(tmp_path)
    records = [{"image_id": k, "text": v, "error": None} for k, v in TEXTS.items()]
    records.append({"image_id": "img5", "text": None, "error": "HTTP 500 after 5 retries"})
    records.append({"image_id": "img6", "text": "  ", "error": None})
    write_descriptions(study, "demo-file", records)
    return study


@pytest.fixture(scope="module")
def minilm():
    return text_embedder(device="cpu")


def test_default_text_embedder_puts_similar_sentences_closer(minilm):
    vectors = l2_normalize(minilm.embed([TEXTS["img0"], TEXTS["img1"], TEXTS["img2"], TEXTS["img3"]]))
    sims = vectors @ vectors.T
    assert minilm.dim == 384 and vectors.dtype == np.float32
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert sims[0, 1] > sims[0, 3]
    assert sims[1, 0] > sims[1, 2]


def test_embed_texts_keeps_input_order_despite_length_sorting(minilm):
    texts = [TEXTS[k] for k in sorted(TEXTS)]
    batched = embed_texts(minilm, texts, batch_size=2, progress=False)
    one_by_one = np.concatenate([minilm.embed([t]) for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_embed_cli_writes_vectors_ids_and_provenance(study, run_cli, minilm):
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:demo-file",
                     "--device", "cpu")
    assert result.exit_code == 0, result.stderr
    assert "minilm-l6--demo-file" in result.stdout
    vectors, ids, info = study.read_embeddings("minilm-l6--demo-file")
    assert ids == ["img0", "img1", "img2", "img3", "img4"]
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    expected = l2_normalize(minilm.embed([TEXTS[i] for i in ids]))
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    assert info["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["source"] == "descriptions:demo-file" and info["dim"] == 384
    assert info["normalized"] is True and info["created_at"].endswith("Z")
    assert info["versions"]["sentence-transformers"] and info["versions"]["torch"]
    assert len(info["input_hash"]) == 64


def test_embed_skips_and_lists_failed_descriptions(study, run_cli):
    frame = study.read_images()
    extra = frame.iloc[[0]].assign(image_id="img7", path="img0.png")
    study.write_images(pd.concat([frame, extra]))  # img7: ok image without any description
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:demo-file", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "skipped 3 image(s)" in result.stdout
    for image_id, reason in [("img5", "HTTP 500"), ("img6", "empty description"),
                             ("img7", "no description")]:
        assert f"{image_id} ({reason}" in result.stdout
    _, ids, info = study.read_embeddings("minilm-l6--demo-file")
    assert not {"img5", "img6", "img7"} & set(ids)
    assert info["n_skipped"] == 3
    assert {s["image_id"] for s in info["skipped"]} == {"img5", "img6", "img7"}


def test_embed_second_run_is_cached_and_force_recomputes(study, run_cli):
    args = ("embed", "--study", study.root, "--from", "descriptions:demo-file", "--quiet")
    assert run_cli(*args).exit_code == 0
    npy = study.embedding_path("minilm-l6--demo-file")
    first = npy.stat()
    again = run_cli(*args)
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    assert "skipped 2 image(s)" in again.stdout
    assert (npy.stat().st_ino, npy.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    forced = run_cli(*args, "--force")
    assert forced.exit_code == 0 and "nothing to do" not in forced.stdout
    assert npy.stat().st_ino != first.st_ino


def test_embed_changed_description_replaces_embedding(study, run_cli):
    args = ("embed", "--study", study.root, "--from", "descriptions:demo-file", "--quiet")
    assert run_cli(*args).exit_code == 0
    before, _, _ = study.read_embeddings("minilm-l6--demo-file")
    records = [{"image_id": k, "text": v, "error": None} for k, v in TEXTS.items()]
    records[2]["text"] = "A tank rolls through a burning city street."
    write_descriptions(study, "demo-file", records)
    result = run_cli(*args)
    assert result.exit_code == 0 and "replaced" in result.stdout
    after, _, _ = study.read_embeddings("minilm-l6--demo-file")
    assert not np.allclose(before[2], after[2]) and np.allclose(before[0], after[0], atol=1e-5)


def test_embed_id_option_names_the_files(study, run_cli):
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:demo-file",
                     "--id", "my-text", "--quiet", "--no-normalize")
    assert result.exit_code == 0, result.stderr
    assert study.list_embeddings() == ["my-text"]
    assert study.read_embeddings("my-text")[2]["normalized"] is False


@pytest.mark.parametrize("source", ["descriptions", "descriptions:", "image", "texts:demo-file", ""])
def test_embed_bad_from_value_exits_2(study, run_cli, source):
    result = run_cli("embed", "--study", study.root, "--from", source)
    assert result.exit_code == 2
    assert "--from must be 'images' or 'descriptions:<describer_id>'" in result.stderr
    assert "Traceback" not in result.stderr


def test_embed_unknown_describer_exits_2_naming_known_ones(study, run_cli):
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:nope")
    assert result.exit_code == 2
    assert "'nope'" in result.stderr and "demo-file" in result.stderr
    assert study.list_embeddings() == []


@pytest.mark.parametrize("bad", ["../escape", "a b"])
def test_embed_invalid_id_exits_2(study, run_cli, bad):
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:demo-file", "--id", bad)
    assert result.exit_code == 2 and "invalid embedder id" in result.stderr


def test_embed_all_descriptions_failed_exits_2(tmp_path, run_cli):
    study = make_study(tmp_path, n_images=2)
    write_descriptions(study, "broken", [{"image_id": "img0", "text": None, "error": "timeout"},
                                         {"image_id": "img1", "text": "", "error": None}])
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:broken")
    assert result.exit_code == 2 and "nothing to embed" in result.stderr


def test_embed_unknown_text_model_exits_2(study, run_cli, tmp_path):
    result = run_cli("embed", "--study", study.root, "--from", "descriptions:demo-file",
                     "--model", str(tmp_path / "no-such-model"), "--quiet")
    assert result.exit_code == 2 and "cannot load sentence-transformers model" in result.stderr


def test_parse_source_and_default_ids():
    assert parse_source("images") == ("image", None)
    assert parse_source("descriptions:gpt4o") == ("text", "gpt4o")
    with pytest.raises(UserError):
        parse_source("descriptions:a/b")
    assert default_embedder_id("descriptions:demo-file", "all-MiniLM-L6-v2") == "minilm-l6--demo-file"
    assert default_embedder_id("images", "facebook/dinov2-base") == "dinov2-base--images"
    assert short_name("openai/clip-vit-base-patch32") == "clip-vit-b32"
    assert short_name("/tmp/models/Tiny CLIP/") == "tiny-clip"


def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows():
    vectors = np.array([[3.0, 4.0], [0.0, 0.0]])
    out = l2_normalize(vectors)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert vectors[0, 0] == 3.0 and out.dtype == np.float32
