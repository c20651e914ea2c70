"""Keywords: the top TF-IDF terms of each cluster's joined descriptions.

As in the reference study: the descriptions of all images of a cluster are
joined into one document, TF-IDF is computed over these per-cluster documents
(document = one cluster; noise is not a document), and the k highest terms of
each cluster are kept. The TF-IDF is exactly scikit-learn's
``TfidfVectorizer`` with the settings in :data:`TFIDF_SETTINGS`::

    tf(t, c)     = raw count of term t in the joined document of cluster c
    idf(t)       = ln((1 + C) / (1 + df(t))) + 1        (smooth_idf=True)
    w(t, c)      = tf(t, c) * idf(t)                    (sublinear_tf=False)
    score(t, c)  = w(t, c) / ||w(., c)||_2              (norm="l2")

where C is the number of clusters and df(t) the number of clusters whose
document contains t. Tokens: lowercased, runs of 2 or more letters
(``(?u)\\b[^\\W\\d_]{2,}\\b``: no digits, no underscores), minus stop words =
sklearn's English list + ``pipeline/vlm_stopwords.txt`` (words such as
"conveys", "suggests", "image" that every VLM description contains).
Ties in score are broken alphabetically so the output is deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from semclust.resources import resource_path
from semclust.study import KEYWORD_COLUMNS, UserError
from semclust.vocabulary import DEFAULT_N_KEYWORDS, NOISE

TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
TFIDF_SETTINGS = {
    "lowercase": True,
    "token_pattern": TOKEN_PATTERN,
    "use_idf": True,
    "smooth_idf": True,
    "sublinear_tf": False,
    "norm": "l2",
}


def read_stopwords(path: str | Path | None = None) -> list[str]:
    """Words of a stop-word file (one per line, ``#`` comments), lowercased.

    ``None`` reads the shipped ``pipeline/vlm_stopwords.txt``. Raises
    UserError naming the file when it cannot be read.
    """
    path = Path(path) if path is not None else resource_path("pipeline", "vlm_stopwords.txt")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read stop-word file {path}: {exc}") from None
    words = (line.split("#", 1)[0].strip().lower() for line in lines)
    return sorted({w for w in words if w})


def default_stop_words(extra_file: str | Path | None = None) -> list[str]:
    """sklearn's English stop words plus the VLM filler words (or ``extra_file``'s)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | set(read_stopwords(extra_file)))


def cluster_documents(texts: pd.Series, labels: pd.Series) -> pd.Series:
    """One document per cluster: its texts joined with a space, noise left out.

    ``texts`` and ``labels`` are aligned by index; missing texts count as empty.
    Returns a Series indexed by cluster id (ascending).
    """
    frame = pd.DataFrame({"text": texts, "cluster": labels})
    frame = frame[frame["cluster"] != NOISE]
    frame["text"] = frame["text"].fillna("").astype(str)
    return frame.groupby("cluster", sort=True)["text"].agg(" ".join)


def cluster_keywords(texts: pd.Series, labels: pd.Series, k: int = DEFAULT_N_KEYWORDS,
                     stop_words: list[str] | None = None) -> pd.DataFrame:
    """Top-``k`` TF-IDF terms of every cluster (see the module docstring for the definition).

    Parameters
    ----------
    texts : Series of str, length n
        One description per image (NaN = no description).
    labels : Series of int, length n, same index as ``texts``
        Cluster per image; -1 (noise) is ignored.
    k : int
        Terms kept per cluster (7 by default); fewer when a cluster has fewer terms.
    stop_words : list of str, optional
        Terms never reported; default :func:`default_stop_words`.

    Returns
    -------
    DataFrame with columns cluster, rank (1 = best), term, score (float, rounded to 6 places)
        Empty (with these columns) when there is no cluster or no term.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    docs = cluster_documents(texts, labels)
    empty = pd.DataFrame(columns=KEYWORD_COLUMNS)
    if docs.empty:
        return empty
    stop = default_stop_words() if stop_words is None else list(stop_words)
    vectorizer = TfidfVectorizer(stop_words=stop, **TFIDF_SETTINGS)
    try:
        matrix = vectorizer.fit_transform(docs.tolist())
    except ValueError:  # empty vocabulary: every token was a stop word
        return empty
    terms = vectorizer.get_feature_names_out()
    rows = []
    for row, cluster in enumerate(docs.index):
        weights = matrix.getrow(row).toarray().ravel()
        nonzero = np.flatnonzero(weights)
        order = sorted(nonzero, key=lambda j: (-weights[j], terms[j]))[:k]
        rows += [(int(cluster), rank, str(terms[j]), round(float(weights[j]), 6))
                 for rank, j in enumerate(order, 1)]
    return pd.DataFrame(rows, columns=KEYWORD_COLUMNS)


def cluster_table(labels: pd.DataFrame, keywords: pd.DataFrame, images: pd.DataFrame,
                  examples: int = 3) -> pd.DataFrame:
    """One row per cluster (largest first, noise last): size, keywords and example paths.

    Parameters
    ----------
    labels : DataFrame with image_id, cluster
    keywords : DataFrame with cluster, rank, term, score
    images : DataFrame with image_id, path (the study's images.csv)
    examples : int
        Example image paths per cluster: the first ones in ``labels`` order.

    Returns
    -------
    DataFrame with columns cluster, size, keywords (terms joined by ", "), examples (list of str)
    """
    paths = images.set_index("image_id")["path"]
    terms = (keywords.sort_values(["cluster", "rank"]).groupby("cluster")["term"]
             .agg(lambda t: ", ".join(map(str, t))))
    rows = []
    for cluster, group in labels.groupby("cluster", sort=False):
        ids = group["image_id"].head(max(0, examples))
        rows.append({"cluster": int(cluster), "size": int(len(group)),
                     "keywords": terms.get(cluster, ""),
                     "examples": [str(paths.get(i, i)) for i in ids]})
    table = pd.DataFrame(rows, columns=["cluster", "size", "keywords", "examples"])
    if table.empty:
        return table
    table["_noise"] = table["cluster"] == NOISE
    table = table.sort_values(["_noise", "size", "cluster"], ascending=[True, False, True])
    return table.drop(columns="_noise").reset_index(drop=True)
