"""Few-shot: how well do a few labelled images per class teach a classifier on an embedding?

The researcher's ground truth (``truth/<name>.csv``) says the class of some
images. One *draw* takes ``shots`` labelled images of every class at random
(stratified, without replacement) as the training set; every other labelled
image is the test set. A classifier (:data:`LEARNERS`) is fitted on the
training rows of the embedding and scored on the test rows:

* accuracy = correct / test images;
* macro-F1 = the unweighted mean over classes of F1 = 2PR / (P + R)
  (scikit-learn's ``f1_score(average="macro")``, 0 for a class never predicted).

Draws are repeated ``repeats`` times from one generator seeded with ``seed``;
results are the mean and the sample standard deviation (ddof = 1) over draws,
written to ``fewshot/<id>/results.json``. Embedding rows are L2-normalised
first, so distances are cosine-like for every learner. ``predict_all`` fits on
every labelled image and labels all images of the embedding as a clustering
folder (class i = cluster i, classes in sorted order).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from semclust.pipeline.classes import ClassSpec, keyword_texts, unit_rows, write_classification
from semclust.study import (
    Study,
    UserError,
    atomic_write_json,
    check_id,
    library_versions,
    now_iso,
    toolkit_version,
)

#: The few-shot learners (scikit-learn) and how each is set up; ``shots`` caps k of the kNN.
LEARNERS = {
    "logreg": "LogisticRegression(C=1.0, max_iter=2000): multinomial, L2 penalty",
    "knn": "KNeighborsClassifier(n_neighbors=min(5, shots), weights='distance')",
    "centroid": "NearestCentroid(): the class whose mean vector is nearest",
}


def make_learner(name: str, shots: int):
    """A new, unfitted scikit-learn classifier ``name`` (a key of :data:`LEARNERS`)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

    if name == "logreg":
        return LogisticRegression(C=1.0, max_iter=2000)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=max(1, min(5, shots)), weights="distance")
    if name == "centroid":
        return NearestCentroid()
    raise UserError(f"unknown few-shot classifier {name!r} (known: {', '.join(LEARNERS)})")


@dataclass
class Labelled:
    """The labelled rows of an embedding: ``rows`` (indices), ``labels`` (str), sorted ``classes``."""

    rows: np.ndarray
    labels: np.ndarray
    classes: list
    notes: list


def labelled_rows(image_ids: list[str], truth: pd.DataFrame) -> Labelled:
    """Rows of ``image_ids`` that the truth labels (NaN/empty = unlabelled), with their labels."""
    labels = truth.dropna(subset=["label"]).drop_duplicates("image_id", keep="last")
    labels = labels[labels["label"].astype(str).str.strip() != ""]
    by_id = dict(zip(labels["image_id"].astype(str), labels["label"].astype(str).str.strip()))
    rows = np.array([i for i, image_id in enumerate(image_ids) if image_id in by_id], dtype=int)
    y = np.array([by_id[image_ids[i]] for i in rows], dtype=object)
    notes = []
    missing = len(by_id) - len(rows)
    if missing:
        notes.append(f"{missing} labelled image(s) are not in the embedding and are left out")
    return Labelled(rows, y, sorted(set(y)), notes)


def check_shots(labels: np.ndarray, shots: int) -> None:
    """UserError naming every class with fewer than ``shots + 1`` labelled images."""
    if shots < 1:
        raise UserError(f"--shots must be at least 1, got {shots}")
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        raise UserError(f"few-shot needs at least 2 labelled classes, the truth has {len(counts)}")
    short = counts[counts < shots + 1].sort_index()
    if len(short):
        names = ", ".join(f"{name!r} ({n})" for name, n in short.items())
        raise UserError(f"--shots {shots} needs at least {shots + 1} labelled images per class "
                        f"(shots + 1 to test on); too few: {names}")


def draw(labels: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of one stratified draw: ``shots`` random positions per class are True."""
    mask = np.zeros(len(labels), dtype=bool)
    for cls in sorted(set(labels)):
        where = np.flatnonzero(labels == cls)
        mask[rng.choice(where, size=shots, replace=False)] = True
    return mask


def _stats(values) -> dict:
    values = [float(v) for v in values]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": round(float(np.mean(values)), 6), "sd": round(sd, 6),
            "values": [round(v, 6) for v in values]}


def evaluate(X: np.ndarray, labels: np.ndarray, learner: str, shots: int, repeats: int = 10,
             seed: int = 0) -> dict:
    """Accuracy and macro-F1 of ``learner`` trained on ``shots`` per class, over ``repeats`` draws.

    Parameters
    ----------
    X : array (n, dim)
        Embedding rows of the labelled images (normalised here, not in place).
    labels : array of str, length n
    learner : a key of :data:`LEARNERS`
    shots, repeats, seed : int

    Returns
    -------
    dict with ``accuracy``, ``macro_f1`` (each mean, sd, values), ``per_class_f1``
    (class -> mean F1), ``n_test`` (test images per draw) and ``chance``
    (``uniform`` = 1 / classes, ``majority`` = share of the largest class in the test sets).
    """
    from sklearn.metrics import accuracy_score, f1_score

    if repeats < 1:
        raise UserError(f"--repeats must be at least 1, got {repeats}")
    labels = np.asarray(labels, dtype=object)
    check_shots(labels, shots)
    X = unit_rows(X)
    classes = sorted(set(labels))
    rng = np.random.default_rng(seed)
    acc, f1, per_class, majority = [], [], [], []
    for _ in range(repeats):
        train = draw(labels, shots, rng)
        model = make_learner(learner, shots).fit(X[train], labels[train])
        truth, guess = labels[~train], model.predict(X[~train])
        acc.append(accuracy_score(truth, guess))
        f1.append(f1_score(truth, guess, labels=classes, average="macro", zero_division=0))
        per_class.append(f1_score(truth, guess, labels=classes, average=None, zero_division=0))
        majority.append(pd.Series(truth).value_counts(normalize=True).iloc[0])
    return {"accuracy": _stats(acc), "macro_f1": _stats(f1),
            "per_class_f1": {c: round(float(v), 6) for c, v in zip(classes, np.mean(per_class, 0))},
            "n_test": int(len(labels) - shots * len(classes)),
            "chance": {"uniform": round(1 / len(classes), 6),
                       "majority": round(float(np.mean(majority)), 6)}}


LIBRARIES = ("scikit-learn", "numpy")


def default_fewshot_id(embedding: str, truth: str, learner: str, shots: int) -> str:
    """``<embedding>--<truth>--<learner>-s<shots>``, e.g. ``minilm-l6--demo--themes--logreg-s10``."""
    return check_id("fewshot", f"{embedding}--{truth}--{learner}-s{shots}")


def fewshot_study(study: Study, embedding: str, truth: str, shots: int = 10, repeats: int = 10,
                  learner: str = "logreg", seed: int | None = None,
                  fewshot_id: str | None = None) -> dict:
    """Evaluate few-shot classification of a study's embedding against a truth; write results.json.

    Returns the results dict (also in ``fewshot/<id>/results.json``), with ``path``.
    """
    make_learner(learner, shots)  # an unknown name fails before any reading
    seed = study.seed if seed is None else int(seed)
    X, ids, info = study.read_embeddings(embedding)
    data = labelled_rows(ids, study.read_truth(truth))
    scores = evaluate(X[data.rows], data.labels, learner, shots, repeats, seed)
    fewshot_id = check_id("fewshot", fewshot_id or default_fewshot_id(embedding, truth, learner, shots))
    counts = pd.Series(data.labels).value_counts()
    results = {
        "id": fewshot_id,
        "embedding": {"id": embedding, "n_images": len(X), "dim": int(X.shape[1]),
                      "model": info.get("model"), "source": info.get("source")},
        "truth": truth,
        "classifier": {"name": learner, "definition": LEARNERS[learner],
                       "params": {k: v for k, v in make_learner(learner, shots).get_params().items()
                                  if isinstance(v, (int, float, str, bool, type(None)))}},
        "shots": int(shots), "repeats": int(repeats), "seed": seed,
        "n_labelled": len(data.rows), "n_classes": len(data.classes),
        "classes": {c: int(counts[c]) for c in data.classes},
        **scores,
        "notes": data.notes,
        "versions": library_versions(*LIBRARIES), "created_at": now_iso(),
    }
    path = study.fewshot_dir / fewshot_id / "results.json"
    atomic_write_json(path, results)
    return {**results, "path": path}


def predict_all(study: Study, embedding: str, truth: str, learner: str = "logreg",
                shots: int = 10, clustering_id: str | None = None, force: bool = False) -> dict:
    """Fit ``learner`` on every labelled image and label every image of the embedding.

    Writes ``clusterings/<id>/`` (default ``<embedding>--fewshot-<learner>--<truth>``):
    class i of the sorted truth labels is cluster i; no image gets -1. The
    labelled images are predicted by a model trained on them, so a validation
    of this clustering should look at the unlabelled ones. Returns the summary
    with ``clustering_id``.
    """
    X, ids, info = study.read_embeddings(embedding)
    data = labelled_rows(ids, study.read_truth(truth))
    if len(data.classes) < 2:
        raise UserError(f"truth {truth!r} labels {len(data.classes)} class(es) of embedding "
                        f"{embedding!r}; a classifier needs at least 2")
    clustering_id = check_id("clustering", clustering_id or f"{embedding}--fewshot-{learner}--{truth}")
    config = {"method": f"fewshot-{learner}", "embedding": embedding, "truth": truth,
              "classes": data.classes, "n_labelled": len(data.rows)}
    folder = study.clustering_dir(clustering_id)
    if (folder / "labels.csv").is_file() and not force and (folder / "params.json").is_file() and \
            study.read_clustering_json(clustering_id, "params.json").get("config") != config:
        raise UserError(f"clustering {clustering_id} exists with other settings; use --force to "
                        "replace it or --id to name another")
    Xn = unit_rows(X)
    model = make_learner(learner, shots).fit(Xn[data.rows], data.labels)
    index = {c: i for i, c in enumerate(data.classes)}
    labels = np.array([index[c] for c in model.predict(Xn)], dtype=int)
    texts, source = keyword_texts(study, ids, None, info)
    described = {"method": f"fewshot-{learner}", "definition": LEARNERS[learner]}
    params = {"method": f"fewshot-{learner}", "config": config, "classifier": described,
              "reduction": {"method": "none"}, "clusterer": described, "truth": truth,
              "trained_on": len(data.rows),
              "embedding": {"id": embedding, "n_images": len(X), "dim": int(X.shape[1]),
                            "info": info},
              "seed": study.seed, "versions": library_versions(*LIBRARIES), "toolkit_version": toolkit_version(),
              "created_at": now_iso()}
    summary = write_classification(study, clustering_id, list(ids), labels,
                                   [ClassSpec(c) for c in data.classes], params, texts, source,
                                   summary_extra={"trained_on": len(data.rows)}, source="fewshot",
                                   libraries=LIBRARIES)
    return {**summary, "clustering_id": clustering_id}
