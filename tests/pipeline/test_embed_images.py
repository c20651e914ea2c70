"""Embedding images: tiny random-weight CLIP, DINOv2 and ResNet built from configs, loaded by path."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from semclust.pipeline.embed import l2_normalize
from semclust.pipeline.embedders import image_embedder
from semclust.pipeline.embedders.image import open_rgb
from semclust.study import Study

# model folder name -> (pooled dimension, pooling the embedder must use)
TINY_MODELS = {"tiny-clip": (16, "get_image_features"), "tiny-dinov2": (32, "pooler_output"),
               "tiny-resnet": (24, "pooler_output")}


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Save three tiny random-weight vision models with their image-processor configs."""
    import torch
    from transformers import (
        BitImageProcessor,
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        ConvNextImageProcessor,
        Dinov2Config,
        Dinov2Model,
        ResNetConfig,
        ResNetModel,
    )

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    crop = {"height": 32, "width": 32}
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                  image_size=32, patch_size=8)
    text = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
                vocab_size=99, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
              ).save_pretrained(root / "tiny-clip")
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size=crop).save_pretrained(root / "tiny-clip")
    Dinov2Model(Dinov2Config(**vision)).save_pretrained(root / "tiny-dinov2")
    BitImageProcessor(size={"shortest_edge": 32}, crop_size=crop).save_pretrained(root / "tiny-dinov2")
    ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8, 24], depths=[1, 1])
                ).save_pretrained(root / "tiny-resnet")
    ConvNextImageProcessor(size={"shortest_edge": 32}).save_pretrained(root / "tiny-resnet")
    return root


@pytest.fixture
def study(tmp_path):
    """Five noise images (ok), one unreadable at ingest, an ok row with a garbage file, one missing."""
    rng = np.random.default_rng(1)
    image_root = tmp_path / "images"
    image_root.mkdir()
    rows = []
    for i in range(5):
        path = image_root / f"img{i}.png"
        Image.fromarray(rng.integers(0, 256, (24 + 4 * i, 40, 3), dtype=np.uint8)).save(path)
        rows.append({"image_id": f"img{i}", "path": path.name, "status": "ok", "error": None})
    (image_root / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (image_root / "bad-at-ingest.jpg").write_bytes(b"broken")
    rows += [{"image_id": "garbage", "path": "garbage.jpg", "status": "ok", "error": None},
             {"image_id": "gone", "path": "gone.png", "status": "ok", "error": None},
             {"image_id": "ingest-bad", "path": "bad-at-ingest.jpg", "status": "unreadable",
              "error": "cannot identify image file"}]
    for row in rows:
        path = image_root / row["path"]
        row["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "0" * 64
        row["width"], row["height"] = 40, 24
    study = Study.create(tmp_path / "study", image_root)
    study.write_images(pd.DataFrame(rows))
    return study


@pytest.mark.parametrize("name", sorted(TINY_MODELS))
def test_image_embedder_pools_features_of_each_architecture(tiny_models, study, run_cli, name):
    dim, pooling = TINY_MODELS[name]
    result = run_cli("embed", "--study", study.root, "--from", "images", "--model",
                     tiny_models / name, "--device", "cpu", "--batch-size", "2", "--quiet")
    assert result.exit_code == 0, result.stderr
    vectors, ids, info = study.read_embeddings(f"{name}--images")
    assert ids == [f"img{i}" for i in range(5)]
    assert vectors.shape == (5, dim) and vectors.dtype == np.float32
    assert info["pooling"] == pooling and info["dim"] == dim and info["source"] == "images"
    assert info["versions"]["transformers"]
    embedder = image_embedder(str(tiny_models / name), device="cpu")
    direct = l2_normalize(embedder.embed([open_rgb(study.image_root / "img3.png")]))
    np.testing.assert_allclose(vectors[3], direct[0], atol=1e-4)
    assert np.linalg.matrix_rank(vectors) > 1  # different images, different vectors


def test_image_embed_skips_and_lists_unopenable_files(tiny_models, study, run_cli):
    result = run_cli("embed", "--study", study.root, "--from", "images", "--model",
                     tiny_models / "tiny-dinov2", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "skipped 2 image(s)" in result.stdout
    assert "garbage (cannot open" in result.stdout and "gone (cannot open" in result.stdout
    assert "1 image(s) not 'ok' in images.csv" in result.stderr
    _, ids, info = study.read_embeddings("tiny-dinov2--images")
    assert not {"garbage", "gone", "ingest-bad"} & set(ids)
    assert [s["image_id"] for s in info["skipped"]] == ["garbage", "gone"]


def test_image_embed_second_run_is_cached(tiny_models, study, run_cli):
    args = ("embed", "--study", study.root, "--from", "images", "--model",
            tiny_models / "tiny-clip", "--id", "clip", "--quiet")
    assert run_cli(*args).exit_code == 0
    npy = study.embedding_path("clip")
    first = npy.stat()
    again = run_cli(*args)
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    assert "skipped 2 image(s)" in again.stdout
    assert (npy.stat().st_ino, npy.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    other_model = run_cli("embed", "--study", study.root, "--from", "images", "--model",
                          tiny_models / "tiny-resnet", "--id", "clip", "--quiet")
    assert other_model.exit_code == 0 and "replaced" in other_model.stdout
    assert study.read_embeddings("clip")[0].shape[1] == TINY_MODELS["tiny-resnet"][0]


def test_image_embed_unloadable_model_exits_2(study, run_cli, tmp_path):
    (tmp_path / "empty-model").mkdir()
    result = run_cli("embed", "--study", study.root, "--from", "images", "--model",
                     tmp_path / "empty-model")
    assert result.exit_code == 2 and "cannot load image model" in result.stderr
    assert "Traceback" not in result.stderr


def test_image_embed_without_openable_images_exits_2(tiny_models, tmp_path, run_cli):
    image_root = tmp_path / "imgs"
    image_root.mkdir()
    (image_root / "x.png").write_bytes(b"nope")
    study = Study.create(tmp_path / "s", image_root)
    study.write_images(pd.DataFrame([{"image_id": "x", "path": "x.png", "sha256": "1" * 64,
                                      "width": 1, "height": 1, "status": "ok", "error": None}]))
    result = run_cli("embed", "--study", study.root, "--from", "images", "--model",
                     tiny_models / "tiny-resnet", "--quiet")
    assert result.exit_code == 2 and "none of the 1 images could be opened" in result.stderr
