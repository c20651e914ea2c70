"""Image embedder: pooled features of a transformers vision model (no torchvision needed).

Features per architecture:

- models with ``get_image_features`` (CLIP, SigLIP, ...): the projected image
  embedding, i.e. what CLIP compares with text;
- other models: ``pooler_output`` (DINOv2: the layer-normed CLS token;
  ResNet: global average pooling of the last stage, flattened), or the CLS token
  ``last_hidden_state[:, 0]`` where a model has no pooler.

Pre-processing is the model's own ``AutoImageProcessor`` with its PIL backend,
so results do not depend on whether torchvision is installed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from semclust.study import UserError, library_versions


def open_rgb(path: Path):
    """Open an image fully as RGB (EXIF rotation applied); OSError/ValueError if unreadable."""
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        img.load()
        return ImageOps.exif_transpose(img).convert("RGB")


def _load_processor(model: str):
    from transformers import AutoImageProcessor

    try:
        return AutoImageProcessor.from_pretrained(model, backend="pil")
    except TypeError:  # transformers < 5 has no backend argument
        return AutoImageProcessor.from_pretrained(model)


class ImageEmbedder:
    """Embed images with a transformers vision model.

    Parameters
    ----------
    model : str
        Hub name (``facebook/dinov2-base``, ``openai/clip-vit-base-patch32``,
        ``microsoft/resnet-50``) or a local folder with the model and its
        image-processor config.
    device : str
        ``"cpu"``, ``"cuda"``, ...
    """

    def __init__(self, model: str, device: str = "cpu"):
        from PIL import Image
        from transformers import AutoModel

        self.model = model
        self.device = device
        try:
            self._processor = _load_processor(model)
            self._net = AutoModel.from_pretrained(model).to(device).eval()
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "cannot load"
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot load image model {model!r} (needs the model and its "
                            f"preprocessor_config.json): {reason}") from exc
        self.pooling = ("get_image_features" if hasattr(self._net, "get_image_features")
                        else "pooler_output")
        self.dim = int(self.embed([Image.new("RGB", (64, 64))]).shape[1])  # one blank image

    def info(self) -> dict:
        """How the vectors are made: architecture, pooling, versions."""
        return {
            "library": "transformers",
            "architecture": type(self._net).__name__,
            "processor": type(self._processor).__name__,
            "pooling": self.pooling,
            "versions": library_versions("transformers", "torch", "Pillow"),
        }

    def _features(self, pixel_values):
        import torch

        if self.pooling == "get_image_features":
            out = self._net.get_image_features(pixel_values=pixel_values)
            feats = out if torch.is_tensor(out) else out.pooler_output
        else:
            out = self._net(pixel_values=pixel_values)
            feats = getattr(out, "pooler_output", None)
            if feats is None:
                self.pooling = "cls_token"
                feats = out.last_hidden_state[:, 0]
        return feats.reshape(len(feats), -1)

    def embed(self, batch: list) -> np.ndarray:
        """Pooled features of RGB PIL images as float32 of shape (len(batch), dim)."""
        import torch

        inputs = self._processor(images=list(batch), return_tensors="pt")
        pixel_values = inputs["pixel_values"].to(self.device, dtype=self._net.dtype)
        with torch.no_grad():
            feats = self._features(pixel_values)
        return feats.float().cpu().numpy().astype(np.float32)
