"""Classes: the researcher's own categories, and what every classifier into them shares.

A ``classes.yaml`` names the classes, in the order that gives them their
cluster ids (the first class is cluster 0). It is a list whose items are a
plain name or a mapping::

    - protest
    - name: arctic
      definition: melting sea ice, glaciers, polar bears
      aliases: [polar, sea ice]

``definition`` and ``aliases`` are optional. :func:`load_classes` checks the
file and names the bad item and key. The classifiers
(:mod:`semclust.pipeline.classifiers`) and ``semclust fewshot --predict-all``
write their result as an ordinary clustering folder through
:func:`write_classification`, so that every human validation of clusterings
applies to it unchanged.

Mapping a free-text answer (a VLM's) to a class, :func:`match_answer`
(defined with the other readers of model answers in :mod:`semclust.pipeline.model_answers`):

1. *exact*: the answer, stripped of surrounding white space, is a class name or alias;
2. *normalised*: equal after :func:`normalise` (casefold, punctuation and the
   articles a/an/the removed, white space collapsed);
3. an answer that normalises to one of :data:`NONE_ANSWERS` is "none" (-1);
4. *close*: :func:`difflib.get_close_matches` of the normalised answer among the
   normalised names and aliases with ratio >= ``cutoff`` (default
   :data:`DEFAULT_CUTOFF` = 0.8, e.g. "protset" -> "protest"), unless two
   classes tie for the best ratio;
5. anything else is -1 ("unrecognised", "empty" or "ambiguous"); never a guess.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.pipeline.model_answers import DEFAULT_CUTOFF, NONE_ANSWERS, match_answer, normalise  # noqa: F401
from semclust.study import Study, UserError, atomic_write_csv, provenance
from semclust.vocabulary import DEFAULT_N_KEYWORDS, NOISE
from semclust.yamlfile import brief

#: Lowest difflib ratio for a close-string match of an answer to a name or alias.
#: Answers (normalised) that mean "no class fits"; the VLM prompt offers "none".
#: Columns of ``clusters.csv``: the class behind every cluster id of a classification.
CLUSTERS_COLUMNS = ["cluster", "name", "definition", "aliases", "n_images"]
#: Files a classifier may add to its clustering folder (see ``docs/classify.md``).
EXTRA_FILES = ("scores.csv", "answers.csv")
_KEYS = ("name", "definition", "aliases")
_FIELDS = ("name", "definition")


@dataclass(frozen=True)
class ClassSpec:
    """One class: its name, an optional definition and other names (aliases)."""

    name: str
    definition: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"name": self.name, "definition": self.definition, "aliases": list(self.aliases)}


def _item_error(source: str, index: int, item, key: str | None, message: str) -> UserError:
    label = f" ({brief(item['name'])})" if isinstance(item, dict) and isinstance(item.get("name"), str) \
        else f" ({brief(item)})" if isinstance(item, str) else ""
    where = f"item {index}{label}" + (f": key {brief(key)}" if key else "")
    return UserError(f"{source}: {where}: {message}")


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_item(item, index: int, source: str) -> ClassSpec:
    """One list item of a classes file as a :class:`ClassSpec`; UserError naming item and key."""
    if isinstance(item, str) or isinstance(item, (int, float)) and not isinstance(item, bool):
        name = _text(str(item))
        if name is None:
            raise _item_error(source, index, item, None, "empty class name")
        return ClassSpec(name)
    if not isinstance(item, dict):
        raise _item_error(source, index, item, None,
                          f"expected a name or a mapping with name/definition/aliases, got {brief(item)}")
    for key in item:
        if key not in _KEYS:
            raise _item_error(source, index, item, str(key), f"unknown key (known: {', '.join(_KEYS)})")
    if "name" not in item:
        raise _item_error(source, index, item, "name", "missing")
    name = _text(item["name"])
    if name is None:
        raise _item_error(source, index, item, "name", f"expected a non-empty string, got {brief(item['name'])}")
    definition = item.get("definition")
    if definition is not None and _text(definition) is None:
        raise _item_error(source, index, item, "definition",
                          f"expected a non-empty string, got {brief(definition)}")
    aliases = item.get("aliases") or []
    if isinstance(aliases, str) or not isinstance(aliases, list) or \
            not all(_text(a) for a in aliases):
        raise _item_error(source, index, item, "aliases",
                          f"expected a list of non-empty strings, got {brief(item.get('aliases'))}")
    return ClassSpec(name, _text(definition), tuple(a.strip() for a in aliases))


def check_classes(classes: list[ClassSpec], source: str = "classes") -> list[ClassSpec]:
    """Check that names and aliases tell the classes apart; return ``classes``.

    Every name and alias must normalise to something non-empty, not to a "none"
    answer, and differently from the names and aliases of every other class.
    """
    if len(classes) < 2:
        raise UserError(f"{source}: a classification needs at least 2 classes, got {len(classes)}")
    owner: dict[str, int] = {}
    for i, cls in enumerate(classes, 1):
        for word in (cls.name, *cls.aliases):
            key = normalise(word)
            if not key:
                raise UserError(f"{source}: item {i} ({brief(cls.name)}): {brief(word)} has no letters or digits")
            if key in NONE_ANSWERS:
                raise UserError(f"{source}: item {i} ({brief(cls.name)}): {brief(word)} is reserved for "
                                "answers that mean no class fits")
            if owner.get(key, i) != i:
                j = owner[key]
                raise UserError(f"{source}: item {i} ({brief(cls.name)}): {brief(word)} is also a name or "
                                f"alias of item {j} ({brief(classes[j - 1].name)})")
            owner[key] = i
    return classes


def load_classes(path: str | Path) -> list[ClassSpec]:
    """Read and check a ``classes.yaml`` (see the module docstring); UserError naming the problem."""
    from semclust.yamlfile import load_yaml

    path = Path(path)
    data = load_yaml(path, "classes file")
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a list of classes (names or mappings with "
                        f"name/definition/aliases), got {type(data).__name__}")
    return check_classes([parse_item(item, i, str(path)) for i, item in enumerate(data, 1)], str(path))


# --- templates ---------------------------------------------------------------------------
def check_templates(templates) -> tuple[str, ...]:
    """Templates as a tuple; ValueError unless each is a string using only {name}/{definition}."""
    if isinstance(templates, str) or not templates:
        raise ValueError(f"expected a list of templates, got {templates!r}")
    odd = [t for t in templates if not isinstance(t, str)]
    if odd:
        raise ValueError(f"expected template strings, got {odd[0]!r}")
    for template in templates:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as exc:
            raise ValueError(f"template {template!r}: {exc}") from None
        if not fields or not fields <= set(_FIELDS):
            raise ValueError(f"template {template!r} must use {{name}} and/or {{definition}} "
                             "and no other field")
    return tuple(templates)


def class_texts(cls: ClassSpec, templates) -> list[str]:
    """The texts of one class under ``templates``, in order.

    A template with ``{definition}`` is used only when the class has one and then
    filled with the class name; a template with ``{name}`` only is filled with the
    name and with every alias.

    >>> class_texts(ClassSpec("arctic", "melting ice", ("polar",)), ["an image about {name}",
    ...             "{name}: {definition}"])
    ['an image about arctic', 'an image about polar', 'arctic: melting ice']
    """
    texts = []
    for template in check_templates(templates):
        if "{definition}" in template:
            if cls.definition:
                texts.append(template.format(name=cls.name, definition=cls.definition))
        else:
            texts += [template.format(name=n) for n in (cls.name, *cls.aliases)]
    return texts


def prototypes(classes: list[ClassSpec], templates, embed) -> np.ndarray:
    """One unit vector per class: the mean of its L2-normalised text embeddings, re-normalised.

    ``embed(texts) -> (len(texts), dim)`` array. Returns float32 (n_classes, dim).
    """
    rows = []
    for cls in classes:
        vectors = np.asarray(embed(class_texts(cls, templates)), dtype=np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        mean = vectors.mean(axis=0)
        rows.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.asarray(rows, dtype=np.float32)


def unit_rows(X) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32; the input is not changed."""
    X = np.asarray(X, dtype=np.float32)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def assign(scores: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Argmax class per row of ``scores`` (n, k); rows whose best score is below ``threshold`` -> -1.

    >>> assign(np.array([[0.2, 0.7], [0.4, 0.3]]), threshold=0.5).tolist()
    [1, -1]
    """
    scores = np.asarray(scores)
    labels = scores.argmax(axis=1).astype(int)
    if threshold is not None:
        labels[scores.max(axis=1) < threshold] = NOISE
    return labels


# --- answers of a VLM ---------------------------------------------------------------------
def vlm_prompt(classes: list[ClassSpec]) -> str:
    """The question a VLM gets: the classes (with definitions) and "answer with exactly one of"."""
    lines = ["Which one of these classes does this image belong to?"]
    lines += [f"- {c.name}: {c.definition}" if c.definition else f"- {c.name}" for c in classes]
    lines.append(f"Answer with exactly one of: {', '.join(c.name for c in classes)}.")
    lines.append("If none of them fits, answer: none.")
    return "\n".join(lines)


# --- the clustering folder of a classification ---------------------------------------------
def keyword_texts(study: Study, image_ids: list[str], describer: str | None = None,
                  embedding_info: dict | None = None) -> tuple[pd.Series | None, str]:
    """Descriptions aligned with ``image_ids`` for a classification's keywords, and their source.

    From ``describer`` when given; else from the describer an embedding was made
    from (``embedding_info["source"]`` = ``descriptions:<id>``); else from the
    study's only description file that is not a classifier's answers
    (``classify-*``). Returns ``(None, reason)`` when there is none to choose.
    """
    source = str((embedding_info or {}).get("source", ""))
    if describer is None and source.startswith("descriptions:"):
        describer = source.split(":", 1)[1]
    if describer is None:
        candidates = [d for d in study.list_describers() if not d.startswith("classify-")]
        if len(candidates) != 1:
            return None, ("no keywords: " + (f"several describers ({', '.join(candidates)}); name one "
                          "with --keywords-from" if candidates else "the study has no descriptions"))
        describer = candidates[0]
    frame = study.read_descriptions(describer)
    if "text" not in frame.columns:
        return None, f"no keywords: descriptions {describer!r} have no text"
    texts = frame.set_index("image_id")["text"].reindex(list(image_ids))
    return texts.reset_index(drop=True), f"descriptions:{describer}"


def clusters_frame(classes: list[ClassSpec], labels) -> pd.DataFrame:
    """``clusters.csv``: cluster id, class name, definition, aliases (';'-joined), n_images."""
    labels = np.asarray(labels)
    return pd.DataFrame([{"cluster": i, "name": c.name, "definition": c.definition or "",
                          "aliases": ";".join(c.aliases), "n_images": int(np.sum(labels == i))}
                         for i, c in enumerate(classes)], columns=CLUSTERS_COLUMNS)


def class_table(classes: list[ClassSpec]) -> dict:
    """``{"0": "protest", ...}``: cluster id (as a string, like summary.json sizes) -> class name."""
    return {str(i): c.name for i, c in enumerate(classes)}


def write_classification(study: Study, clustering_id: str, image_ids: list[str], labels,
                         classes: list[ClassSpec], params: dict, texts: pd.Series | None = None,
                         keywords_source: str = "none", extra: dict | None = None,
                         summary_extra: dict | None = None, source: str = "classify",
                         libraries: tuple[str, ...] = ()) -> dict:
    """Write a classification as a clustering folder; return its summary.

    Parameters
    ----------
    image_ids : list of str, length n
    labels : array of int, length n
        Class index per image (the cluster id), -1 = no class.
    params : dict
        Written to ``params.json`` with ``clustering_id`` and ``classes`` added.
    texts : Series of str, length n, optional
        Descriptions aligned with ``image_ids`` for the TF-IDF keywords
        (:func:`semclust.pipeline.keywords.cluster_keywords`); None: no keywords.
    extra : dict, optional
        File name -> DataFrame written beside (``scores.csv``, ``answers.csv``).
    summary_extra : dict, optional
        Added to ``summary.json`` (e.g. why images got no class).

    Files: ``clusters.csv`` and the ``extra`` ones first, then through
    :meth:`Study.write_clustering` params.json, keywords.csv, summary.json and
    ``labels.csv`` last (it marks the folder complete).
    """
    from semclust.pipeline import keywords as kw
    from semclust.pipeline.cluster import cluster_summary

    labels = np.asarray(labels, dtype=int)
    if len(labels) != len(image_ids):
        raise ValueError(f"{len(labels)} labels for {len(image_ids)} images")
    if labels.size and (labels.min() < NOISE or labels.max() >= len(classes)):
        raise ValueError(f"labels must lie in [-1, {len(classes) - 1}]")
    labels_s = pd.Series(labels, name="cluster")
    if texts is not None:
        keywords = kw.cluster_keywords(texts.reset_index(drop=True), labels_s, k=DEFAULT_N_KEYWORDS)
    else:
        keywords = pd.DataFrame(columns=["cluster", "rank", "term", "score"])
    summary = {**cluster_summary(labels), "keywords_source": keywords_source,
               "classes": class_table(classes), **(summary_extra or {})}
    params = {"clustering_id": clustering_id, **params,
              "keywords": {"source": keywords_source, "k": DEFAULT_N_KEYWORDS,
                           "tfidf": kw.TFIDF_SETTINGS, "stopwords": "default"},
              "classes": [{"cluster": i, **c.as_dict()} for i, c in enumerate(classes)]}
    frame = pd.DataFrame({"image_id": list(image_ids), "cluster": labels})
    embedding = params.get("embedding")
    embedding = embedding.get("id") if isinstance(embedding, dict) else embedding
    describer = keywords_source.split(":", 1)[1] if keywords_source.startswith("descriptions:") else None
    folder = study.clustering_dir(clustering_id)
    with study.lock(f"clustering/{clustering_id}", f"clustering {clustering_id}"):  # the whole folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "labels.csv").unlink(missing_ok=True)  # incomplete until rewritten last
        for name in set(EXTRA_FILES) - set(extra or {}):  # a replaced classification's leftovers
            (folder / name).unlink(missing_ok=True)
        atomic_write_csv(folder / "clusters.csv", clusters_frame(classes, labels))
        for name, extra_frame in (extra or {}).items():
            atomic_write_csv(folder / name, extra_frame)
        study.write_clustering(clustering_id, frame, params, keywords, summary,
                               provenance(source, describer, embedding if isinstance(embedding, str) else None,
                                          libraries))
    return summary
