"""Zero-shot by text similarity: each description's embedding against the classes' texts.

Every class is turned into texts by :data:`TEMPLATES` ("<name>", "an image about
<name>", "<name>: <definition>", "<definition>"; aliases fill ``{name}`` too, and
the definition templates apply only to classes with a definition), embedded with
the same sentence-transformers model as the descriptions (read from the
embedding's ``.json``) and averaged into one unit vector per class
(:func:`semclust.pipeline.classes.prototypes`). An image goes to the class of
highest cosine similarity; with ``min_similarity`` a best similarity below it
sends the image to -1. The IC|TC paper's cheap variant (caption -> text
embedding) with the researcher's classes instead of KMeans.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semclust.pipeline.classes import assign, keyword_texts, prototypes, unit_rows
from semclust.pipeline.classifiers.classify import Prediction, optional_number, templates_param
from semclust.pipeline.registry import Classifier, Param, text
from semclust.study import UserError

#: Texts per class, averaged: ``{definition}`` templates apply to classes that have one.
TEMPLATES = ("{name}", "an image about {name}", "{name}: {definition}", "{definition}")


def text_model(info: dict, embedding: str) -> str:
    """The sentence-transformers model an embedding of descriptions was made with; UserError otherwise."""
    source = str(info.get("source", ""))
    if info.get("kind") != "text" or not source.startswith("descriptions:") \
            or info.get("library") != "sentence-transformers" or not info.get("model"):
        raise UserError(f"embedding {embedding!r} was not made from descriptions with a "
                        f"sentence-transformers model (kind {info.get('kind')!r}, source "
                        f"{source or 'unknown'!r}, library {info.get('library')!r}); classify text needs "
                        "one: `semclust embed --from descriptions:ID`")
    return str(info["model"])


def predict(study, classes, params: dict, runtime: dict, echo):
    from semclust.pipeline.embedders import text_embedder

    embedding = params["embedding"]
    info = study.read_embedding_info(embedding)
    model = text_model(info, embedding)
    X, ids, info = study.read_embeddings(embedding)
    embedder = text_embedder(model, runtime.get("device", "auto"))
    P = prototypes(classes, params["templates"], embedder.embed)
    if P.shape[1] != X.shape[1]:
        raise UserError(f"embedding {embedding!r} has {X.shape[1]} dimensions but {model} "
                        f"gives {P.shape[1]}")
    S = unit_rows(X) @ P.T
    labels = assign(S, params["min_similarity"])
    texts, source = keyword_texts(study, ids, runtime.get("keywords_from"), info)
    scores = pd.DataFrame(np.round(S, 6), columns=[c.name for c in classes])
    scores.insert(0, "image_id", list(ids))
    below = int(np.sum(labels == -1))
    return Prediction(
        image_ids=list(ids), labels=labels,
        info={"embedding": {"id": embedding, "n_images": len(X), "dim": int(X.shape[1]),
                            "info": info},
              "model": model, "score": "cosine similarity to the class prototype"},
        unassigned={"below_min_similarity": below} if params["min_similarity"] is not None else {},
        texts=texts, keywords_source=source, extra={"scores.csv": scores},
        lines=[] if texts is not None else [source])


CLASSIFIER = Classifier(
    name="text",
    params=(Param("embedding", text("an embedding id"),
                  doc="an embedding of descriptions (sentence-transformers)"),
            Param("min_similarity", optional_number(-1, 1), default=None,
                  doc="best cosine below this -> -1"),
            Param("templates", templates_param, default=list(TEMPLATES),
                  doc="class texts, averaged")),
    step_id=lambda p: "classify-text",
    doc="cosine of description embeddings to class texts (same sentence-transformers model)",
    subject=lambda p: p["embedding"], predict=predict,
)
