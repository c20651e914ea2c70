"""Zero-shot by image-text similarity: a CLIP or SigLIP model compares each image with the classes.

Class texts come from :data:`TEMPLATES` ("a photo of <name>", "an image about
<name>", "<name>: <definition>"; aliases fill ``{name}`` too), each embedded by
the model's text tower, L2-normalised and averaged (the CLIP paper's prompt
ensembling). With ``s`` the cosine of the image and class embeddings, ``t`` the
model's learnt ``logit_scale.exp()`` and ``b`` its ``logit_bias`` (SigLIP):

* CLIP (and every model that is not SigLIP): ``p = softmax(t * s)`` over the
  classes, as in CLIP's zero-shot evaluation;
* SigLIP / SigLIP 2: ``p = sigmoid(t * s + b)`` per class, as it was trained.

The image goes to the class of highest ``p``; with ``min_probability`` a best
``p`` below it sends the image to -1. Image features are the model's
``get_image_features``: a stored embedding of the same model (``semclust
embed --from images --model M``) is reused, else the images are embedded now
(and not stored).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from semclust.pipeline.classes import assign, keyword_texts, prototypes, unit_rows
from semclust.pipeline.classifiers.classify import Prediction, optional_number, templates_param
from semclust.pipeline.embedders.image import ImageEmbedder
from semclust.pipeline.registry import Classifier, Param, text
from semclust.study import UserError

TEMPLATES = ("a photo of {name}", "an image about {name}", "{name}: {definition}")


class ZeroShotModel(ImageEmbedder):
    """An :class:`ImageEmbedder` of a CLIP-like model that also embeds texts and knows its logits.

    ``text_features(texts)`` -> float32 (n, dim) from ``get_text_features`` (texts
    truncated to the model's length); ``sigmoid`` is True for SigLIP models;
    ``logit_scale`` and ``logit_bias`` are the learnt constants (bias 0 for CLIP).
    """

    def __init__(self, model: str, device: str = "cpu"):
        from transformers import AutoTokenizer

        super().__init__(model, device)
        if not hasattr(self._net, "get_text_features"):
            raise UserError(f"{model!r} is a {type(self._net).__name__}, not an image-text model "
                            "(CLIP, SigLIP): it cannot embed class texts")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model)
        except Exception as exc:  # OSError, ValueError: no tokenizer files
            raise UserError(f"cannot load the tokenizer of {model!r}: {exc}".splitlines()[0]) from exc
        self.model_type = str(getattr(self._net.config, "model_type", ""))
        self.sigmoid = self.model_type.startswith("siglip")
        self.logit_scale = float(self._net.logit_scale.detach().exp()) if hasattr(self._net, "logit_scale") \
            else 100.0
        bias = getattr(self._net, "logit_bias", None)
        self.logit_bias = float(bias.detach()) if bias is not None else 0.0

    def _max_length(self) -> int:
        text_config = getattr(self._net.config, "text_config", self._net.config)
        limit = int(getattr(text_config, "max_position_embeddings", 77))
        return min(limit, int(getattr(self._tokenizer, "model_max_length", limit) or limit))

    def text_features(self, texts: list[str]) -> np.ndarray:
        import torch

        # SigLIP was trained on texts padded to the full length; CLIP pools at the end token
        padding = "max_length" if self.sigmoid else True
        inputs = self._tokenizer(list(texts), padding=padding, truncation=True,
                                 max_length=self._max_length(), return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in inputs.items()
                  if k in ("input_ids", "attention_mask", "position_ids")}
        if self.sigmoid:
            inputs.pop("attention_mask", None)  # SigLIP's text tower is used without one
        with torch.no_grad():
            out = self._net.get_text_features(**inputs)
        feats = out if torch.is_tensor(out) else out.pooler_output
        return feats.float().cpu().numpy().astype(np.float32)

    def probabilities(self, cosine: np.ndarray) -> np.ndarray:
        """Softmax (CLIP) or sigmoid (SigLIP) of the scaled cosines, shape (n, n_classes)."""
        logits = self.logit_scale * np.asarray(cosine, dtype=np.float64) + self.logit_bias
        if self.sigmoid:
            return 1.0 / (1.0 + np.exp(-logits))
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)


def _same_model(a, b) -> bool:
    from semclust.pipeline.embedders import canonical_model

    if not a or not b:
        return False
    a, b = canonical_model(str(a)), canonical_model(str(b))
    if Path(a).exists() and Path(b).exists():
        return Path(a).resolve() == Path(b).resolve()
    return a == b


def stored_image_embedding(study, model: str) -> str | None:
    """Id of an embedding of the study's images by ``model``'s ``get_image_features``, or None."""
    for embedding in study.list_embeddings():
        info = study.read_embedding_info(embedding)
        if info.get("kind") == "image" and info.get("pooling") == "get_image_features" \
                and _same_model(info.get("model"), model):
            return embedding
    return None


def image_features(study, zero_shot: ZeroShotModel, runtime: dict, echo):
    """``(vectors, image_ids, embedding note)``: stored features of the same model, or embedded now."""
    from semclust.pipeline.embed import DEFAULT_BATCH_SIZE, embed_images, image_inputs

    stored = stored_image_embedding(study, zero_shot.model)
    if stored:
        X, ids, info = study.read_embeddings(stored)
        echo(f"reusing image embedding {stored} ({len(ids)} images)")
        return X, ids, {"id": stored, "n_images": len(X), "dim": int(X.shape[1]), "info": info}
    inputs = image_inputs(study)
    X, ids, skipped = embed_images(zero_shot, inputs.image_ids, inputs.items,
                                   int(runtime.get("batch_size") or DEFAULT_BATCH_SIZE["image"]),
                                   runtime.get("progress", True))
    for image_id, reason in skipped[:5]:
        echo(f"skipped {image_id}: {reason}")
    return X, ids, {"id": None, "n_images": len(X), "dim": int(X.shape[1]),
                    "embedded_now": True, "n_skipped": len(skipped)}


def predict(study, classes, params: dict, runtime: dict, echo):
    from semclust.pipeline.embedders import resolve_device

    zero_shot = ZeroShotModel(params["model"], resolve_device(runtime.get("device", "auto")))
    X, ids, embedding = image_features(study, zero_shot, runtime, echo)
    P = prototypes(classes, params["templates"], zero_shot.text_features)
    if P.shape[1] != X.shape[1]:
        raise UserError(f"image features have {X.shape[1]} dimensions but the text features of "
                        f"{params['model']} have {P.shape[1]}")
    probs = zero_shot.probabilities(unit_rows(X) @ P.T)
    labels = assign(probs, params["min_probability"])
    texts, source = keyword_texts(study, ids, runtime.get("keywords_from"))
    scores = pd.DataFrame(np.round(probs, 6), columns=[c.name for c in classes])
    scores.insert(0, "image_id", list(ids))
    below = int(np.sum(labels == -1))
    return Prediction(
        image_ids=list(ids), labels=labels,
        info={"embedding": embedding, "model": params["model"],
              "model_type": zero_shot.model_type,
              "score": "sigmoid(t * cosine + b)" if zero_shot.sigmoid else "softmax(t * cosine)",
              "logit_scale": round(zero_shot.logit_scale, 6),
              "logit_bias": round(zero_shot.logit_bias, 6)},
        unassigned={"below_min_probability": below} if params["min_probability"] is not None else {},
        texts=texts, keywords_source=source, extra={"scores.csv": scores},
        lines=[] if texts is not None else [source])


def _subject(p: dict) -> str:
    from semclust.pipeline.embedders import short_name

    return short_name(p["model"])


CLASSIFIER = Classifier(
    name="clip",
    params=(Param("model", text("a model name or folder"),
                  doc="a transformers CLIP or SigLIP model"),
            Param("min_probability", optional_number(0, 1), default=None,
                  doc="best probability below this -> -1"),
            Param("templates", templates_param, default=list(TEMPLATES),
                  doc="class texts, averaged")),
    step_id=lambda p: "classify-clip",
    doc="image-text zero-shot with CLIP (softmax) or SigLIP (sigmoid)",
    subject=_subject, predict=predict,
)
