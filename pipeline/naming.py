"""Cluster names: an LLM reads a cluster's most typical descriptions and keywords and names it.

Everyone who clusters text now asks an LLM to name the clusters (BERTopic's
representation models: a few representative documents plus the keywords, "a
label of at most three words"). semclust does it with the same care as paid
VLM calls (:mod:`semclust.pipeline.chat`: cached, resumable, retried, tokens
counted) and then lets people judge whether names are more interpretable than
keywords, with the same matching sets (``semclust sample sets``).

For each non-noise cluster:

1. *documents*: the ``nr_docs`` most typical descriptions of its images —
   ``select="tfidf"``: the highest sum of the cluster's keyword TF-IDF scores
   over the keywords a description contains; ``select="centroid"``: nearest the
   cluster's centroid in the clustering's embedding (cosine). Ties are broken
   by a seeded random order, so the choice is reproducible. Each document is
   cut to ``doc_chars`` characters.
2. one prompt (:data:`DEFAULT_PROMPT`, or the user's file with the fields
   ``{keywords}`` and ``{documents}``) asks for a name of at most three words;
3. the answer's first non-empty line, without quotes, a ``Name:`` prefix and
   trailing punctuation, is the name (:func:`~semclust.pipeline.model_answers.read_name`).

``clusterings/<id>/names.csv`` holds ``cluster, name, status, doc_image_ids``:
status ``ok``, ``duplicate`` (another cluster got the same name, casefolded) or
``failed`` (no answer; the error is in ``names.jsonl``).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from semclust.pipeline.model_answers import read_name
from semclust.study import Study, UserError
from semclust.vocabulary import NOISE

NAME_COLUMNS = ["cluster", "name", "status", "doc_image_ids"]
SELECTIONS = ("tfidf", "centroid")
DEFAULT_PROMPT = """A group of social-media images was formed by clustering descriptions of their meaning.
Its most distinctive keywords are: {keywords}

Descriptions of typical images in the group:
{documents}

Give this group a short name of at most three words that says what its images mean.
Reply with the name only."""


def typical_documents(texts: pd.Series, members: list[str], keywords: pd.DataFrame, nr_docs: int,
                      select: str, seed: int, vectors: dict | None = None) -> list[str]:
    """Image ids of a cluster's ``nr_docs`` most typical described members (see module docstring).

    Parameters
    ----------
    texts : Series, image_id -> description (NaN = none)
    members : image ids of the cluster
    keywords : the cluster's rows of keywords.csv (term, score)
    nr_docs : int
    select : "tfidf" or "centroid"
    seed : int
    vectors : image_id -> unit vector (needed for "centroid")
    """
    described = [i for i in members if isinstance(texts.get(i), str) and texts.get(i).strip()]
    order = np.random.default_rng(seed).permutation(len(described))
    described = [described[k] for k in order]  # the seeded tie-break
    if select == "centroid":
        if not vectors:
            raise UserError("--select centroid needs the clustering's embedding")
        usable = [i for i in described if i in vectors]
        matrix = np.stack([vectors[i] for i in usable]) if usable else np.zeros((0, 1))
        centroid = matrix.mean(axis=0) if len(matrix) else None
        scores = matrix @ centroid / (np.linalg.norm(centroid) or 1.0) if len(matrix) else []
        ranked = [usable[k] for k in np.argsort(-np.asarray(scores), kind="stable")]
    else:
        weights = dict(zip(keywords["term"].str.lower(), keywords["score"]))

        def score(image_id: str) -> float:
            words = set(re.findall(r"[^\W\d_]{2,}", texts[image_id].lower()))
            return sum(w for term, w in weights.items() if term in words)
        ranked = sorted(described, key=score, reverse=True)  # stable: the seeded order breaks ties
    return ranked[:nr_docs]


def naming_requests(study: Study, clustering_id: str, nr_docs: int = 4, select: str = "tfidf",
                    doc_chars: int = 600, prompt: str = DEFAULT_PROMPT, seed: int | None = None):
    """``[(cluster, doc_image_ids, messages)]`` for every non-noise cluster of a clustering.

    Raises UserError when the clustering has no descriptions to read (its
    keywords' source names the describer) or the prompt lacks a field.
    """
    from semclust.pipeline.chat import messages_of

    if select not in SELECTIONS:
        raise UserError(f"--select {select!r}: use one of {', '.join(SELECTIONS)}")
    for field in ("{keywords}", "{documents}"):
        if field not in prompt:
            raise UserError(f"the naming prompt must contain {field}")
    describer = study.clustering_describer(clustering_id)
    if describer is None:
        raise UserError(f"clustering {clustering_id!r} has no descriptions to name its clusters from "
                        "(its params.json names no describer of this study)")
    texts = study.read_descriptions(describer).set_index("image_id")["text"]
    labels = study.read_labels(clustering_id)
    keywords = study.read_keywords(clustering_id)
    vectors = _unit_vectors(study, clustering_id) if select == "centroid" else None
    seed = study.seed if seed is None else seed
    out = []
    for cluster in sorted(c for c in labels["cluster"].unique() if c != NOISE):
        members = labels.loc[labels["cluster"] == cluster, "image_id"].tolist()
        terms = keywords[keywords["cluster"] == cluster].sort_values("rank")
        docs = typical_documents(texts, members, terms, nr_docs, select, seed + int(cluster), vectors)
        documents = "\n".join(f"- {texts[i].strip()[:doc_chars]}" for i in docs)
        user = prompt.format(keywords=", ".join(terms["term"]) or "(none)", documents=documents or "(none)")
        out.append((int(cluster), docs, messages_of(None, user)))
    return out


def _unit_vectors(study: Study, clustering_id: str) -> dict:
    embedding = study.clustering_embedding(clustering_id)
    if not embedding:
        raise UserError(f"clustering {clustering_id!r} names no embedding: use --select tfidf")
    X, ids, _ = study.read_embeddings(embedding)
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return dict(zip(ids, X))


def names_table(requests: list, records: dict) -> pd.DataFrame:
    """``names.csv`` rows from the requests and the chat records keyed by cluster id (as str)."""
    rows = []
    for cluster, docs, _ in requests:
        record = records.get(str(cluster)) or {}
        name = read_name(record.get("text")) if not record.get("error") else None
        rows.append({"cluster": cluster, "name": name or "", "status": "ok" if name else "failed",
                     "doc_image_ids": ";".join(docs)})
    table = pd.DataFrame(rows, columns=NAME_COLUMNS)
    folded = table["name"].str.casefold()
    repeated = (table["status"] == "ok") & folded.duplicated(keep=False)
    table.loc[repeated, "status"] = "duplicate"
    return table


def name_clusters(study: Study, clustering_id: str, client, nr_docs: int = 4, select: str = "tfidf",
                  doc_chars: int = 600, prompt: str = DEFAULT_PROMPT, progress: bool = True):
    """Name every cluster of one clustering; write ``names.csv``; return ``(table, ChatSummary)``.

    Answers are cached in ``clusterings/<id>/names.jsonl`` keyed by (model,
    messages, params): a re-run asks nothing again, a killed run resumes.
    """
    from semclust.pipeline.chat import ask_cached
    from semclust.study import atomic_write_csv

    requests = naming_requests(study, clustering_id, nr_docs, select, doc_chars, prompt)
    folder = study.clustering_dir(clustering_id)
    records, summary = ask_cached(client, folder / "names.jsonl",
                                  [(str(c), messages) for c, _, messages in requests],
                                  progress=progress, desc=f"name {clustering_id}")
    table = names_table(requests, records)
    with study.lock(f"clustering/{clustering_id}", f"clustering {clustering_id}"):
        atomic_write_csv(folder / "names.csv", table)
    return table, summary
