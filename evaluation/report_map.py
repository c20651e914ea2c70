"""Galleries and the interactive map of the report.

* :func:`typicality_order` ranks a cluster's images by cosine similarity to
  the cluster's centroid in the clustering's embedding (most typical first).
* :func:`cluster_galleries` builds one gallery per cluster plus a noise gallery,
  each image with its thumbnail, a larger view and its description.
* :func:`map_coordinates` places every image in 2-d: UMAP (``n_components=2``,
  cosine, ``random_state=seed``) of the clustering's embedding, PCA when there
  are too few images for UMAP or umap-learn (the pipeline extra) is not
  installed (said in the returned note and on the map).
* :func:`map_points` gathers what ``reports/map.html`` draws.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.study import STALE_TEMPORARY_S, Study, atomic_write_bytes, remove_stale_temporaries

THUMB_SIZE = (200, 200)
LARGE_SIZE = (900, 900)
GALLERY_IMAGES = 8
NOISE_IMAGES = 12
DESCRIPTION_CHARS = 600


def typicality_order(vectors: np.ndarray) -> np.ndarray:
    """Row indices of ``vectors`` (n, d) by decreasing cosine similarity to their mean direction.

    >>> typicality_order(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]])).tolist()
    [2, 0, 1]
    """
    x = np.asarray(vectors, dtype=float)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    centroid = x.mean(axis=0)
    return np.argsort(-(x @ centroid), kind="stable")


JPEG_END = b"\xff\xd9"


def _complete_jpeg(path: Path) -> bool:
    """Whether ``path`` is a whole JPEG (starts with SOI and ends with EOI): a cheap check, no decode."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"\xff\xd8":
                return False
            fh.seek(-2, os.SEEK_END)
            return fh.read(2) == JPEG_END
    except OSError:
        return False


def _image(study: Study, paths: pd.Series, image_id: str, target: Path, size) -> bool:
    """Write a JPEG of ``image_id`` fitted into ``size`` at ``target`` (cached); False if unreadable.

    Written atomically; a cached file that is not a whole JPEG (e.g. from an
    older version cut short by a full disk) is made again.
    """
    from PIL import Image

    if target.is_file() and _complete_jpeg(target):
        return True
    try:
        with Image.open(study.image_path(paths[image_id])) as img:
            img.thumbnail(size)
            buffer = io.BytesIO()
            img.convert("RGB").save(buffer, format="JPEG", quality=85)
    except (OSError, KeyError, ValueError):
        return False
    try:
        atomic_write_bytes(target, buffer.getvalue())
    except OSError:  # e.g. a full disk: no file, not half a file
        return False
    return True


def thumbnails(study: Study, image_ids, out_dir: Path, large: bool = False) -> dict[str, str]:
    """Relative paths (``thumbs/<id>.jpg``, or ``large/<id>.jpg``) of the images that could be read."""
    paths = study.read_images().set_index("image_id")["path"]
    folder, size = ("large", LARGE_SIZE) if large else ("thumbs", THUMB_SIZE)
    remove_stale_temporaries(out_dir / folder, min_age_s=STALE_TEMPORARY_S)
    return {i: f"{folder}/{i}.jpg" for i in image_ids
            if _image(study, paths, i, out_dir / folder / f"{i}.jpg", size)}


def descriptions(study: Study, embedding_info: dict) -> dict[str, str]:
    """Description text per image: the embedding's own describer, else the study's first one."""
    source = str(embedding_info.get("source", ""))
    describers = study.list_describers()
    describer = source.split(":", 1)[1] if source.startswith("descriptions:") else \
        (describers[0] if describers else None)
    if describer is None or not study.description_path(describer).is_file():
        return {}
    frame = study.read_descriptions(describer)
    frame = frame[frame["text"].notna() & (frame["text"].astype(str) != "")]
    return {str(i): _shorten(str(t)) for i, t in zip(frame["image_id"], frame["text"])}


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"


def cluster_names(study: Study, clustering: str) -> dict[int, str]:
    """``clusterings/<id>/names.csv`` (columns cluster, name) if present, else {}."""
    path = study.clustering_dir(clustering) / "names.csv"
    if not path.is_file():
        return {}
    frame = pd.read_csv(path, dtype={"name": str})
    return {int(c): str(n) for c, n in zip(frame["cluster"], frame["name"]) if isinstance(n, str) and n}


def cluster_labels(clusters: list[dict]) -> dict[str, str]:
    """Axis label per cluster id: its name, else ``<id>: <first three keywords>``."""
    return {str(c["cluster"]): c.get("name") or
            (f"{c['cluster']}: {', '.join(c['keywords'][:3])}" if c["keywords"] else str(c["cluster"]))
            for c in clusters}


def _embedding(study: Study, clustering: str, ids: list[str]):
    """Vectors of ``ids`` in the clustering's embedding (rows aligned to ids) or None."""
    embedding = study.clustering_embedding(clustering)
    if not embedding:
        return None, {}
    try:
        vectors, vec_ids, info = study.read_embeddings(embedding)
    except Exception:  # noqa: BLE001 - a clustering imported from elsewhere may name no stored embedding
        return None, {}
    index = {i: k for k, i in enumerate(vec_ids)}
    if any(i not in index for i in ids):
        return None, info
    return np.asarray(vectors)[[index[i] for i in ids]], info


def cluster_galleries(study: Study, clustering: str, out_dir: Path, seed: int,
                      per_cluster: int = GALLERY_IMAGES, noise: int = NOISE_IMAGES) -> dict:
    """Per-cluster galleries, most typical image first, and the noise gallery.

    Returns ``{"clusters": [{cluster, name, size, keywords, images: [{id, thumb, large,
    description}]}], "noise": {...same, cluster -1...} or None, "order": "typicality" | "random"}``.
    """
    labels = study.read_labels(clustering)
    keyword_path = study.clustering_dir(clustering) / "keywords.csv"
    keywords = study.read_keywords(clustering) if keyword_path.is_file() else pd.DataFrame(
        columns=["cluster", "rank", "term"])
    names = cluster_names(study, clustering)
    vectors, info = _embedding(study, clustering, labels["image_id"].tolist())
    texts = descriptions(study, info)
    rng = np.random.default_rng(seed)
    result = {"clusters": [], "noise": None, "order": "typicality" if vectors is not None else "random"}
    for cluster, members in labels.groupby("cluster"):
        positions = members.index.to_numpy()
        if cluster < 0:
            chosen = rng.permutation(positions)[:noise]
        elif vectors is not None:
            chosen = positions[typicality_order(vectors[positions])][:per_cluster]
        else:
            chosen = rng.permutation(positions)[:per_cluster]
        ids = labels.loc[chosen, "image_id"].tolist()
        small, large = thumbnails(study, ids, out_dir), thumbnails(study, ids, out_dir, large=True)
        terms = keywords[keywords["cluster"] == cluster].sort_values("rank")["term"].astype(str).tolist()
        entry = {"cluster": int(cluster), "name": names.get(int(cluster), ""), "size": len(members),
                 "keywords": terms,
                 "images": [{"id": i, "thumb": small[i], "large": large.get(i, small[i]),
                             "description": texts.get(i, "")} for i in ids if i in small]}
        if cluster < 0:
            result["noise"] = entry
        else:
            result["clusters"].append(entry)
    return result


def map_coordinates(vectors: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """2-d positions of ``vectors`` (n, d) and a sentence saying how they were made."""
    from semclust.extras import missing_modules

    n = len(vectors)
    has_umap = not missing_modules(["umap"])
    if n >= 10 and has_umap:
        import warnings

        import umap

        k = min(15, n - 1)
        with warnings.catch_warnings():  # seeding makes UMAP single-threaded; it warns each time
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            xy = umap.UMAP(n_components=2, n_neighbors=k, min_dist=0.1, metric="cosine",
                           random_state=seed, n_jobs=1).fit_transform(vectors)
        return np.asarray(xy, dtype=float), (f"UMAP of the embedding to 2 dimensions ({k} neighbours, "
                                             f"cosine, min_dist 0.1, seed {seed})")
    from sklearn.decomposition import PCA

    xy = PCA(n_components=min(2, n, vectors.shape[1])).fit_transform(vectors) if n > 1 else np.zeros((n, 2))
    xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
    why = f"too few images, {n}, for UMAP" if has_umap else \
        "umap-learn is not installed; pip install 'semclust[pipeline]' for a UMAP map"
    return xy, f"PCA of the embedding to 2 dimensions ({why})"


def map_points(study: Study, clustering: str, out_dir: Path, seed: int) -> dict | None:
    """Everything ``map.html`` draws: points (x, y in [0, 1], cluster, thumb, text) and clusters."""
    labels = study.read_labels(clustering)
    ids = labels["image_id"].tolist()
    vectors, info = _embedding(study, clustering, ids)
    if vectors is None:
        return None
    xy, how = map_coordinates(vectors, seed)
    low, high = xy.min(axis=0), xy.max(axis=0)
    xy = (xy - low) / np.where(high > low, high - low, 1)
    thumbs = thumbnails(study, ids, out_dir)
    texts = descriptions(study, info)
    points = [{"id": i, "x": round(float(x), 4), "y": round(float(y), 4), "c": int(c),
               "t": thumbs.get(i, ""), "d": texts.get(i, "")}
              for i, c, (x, y) in zip(ids, labels["cluster"], xy)]
    return {"points": points, "how": how}
