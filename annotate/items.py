"""What the annotation app shows: pairs, matching sets, options and images of a study.

A :class:`Catalog` reads the study's files through :mod:`semclust.study` and
keeps each one until its modification time changes, so a request never parses
a CSV it parsed before, and a re-sampled ``pairs.csv`` is picked up without a
restart. It holds no per-person state.

Everything a person is shown is blinded with the study's
:class:`~semclust.annotate.blinding.Blinder`: a coder's pairs come phase by
phase, in an order keyed per coder, each under a per-coder item id; an
evaluator sees neither the clustering id, the set id nor cluster ids: each
matching item has a per-evaluator item id, sets come in a keyed order, and the
options are the clustering's clusters in a keyed order per set and evaluator
(stable across visits), labelled A, B, C...

A clustering's sets are matched under the description kinds recorded in
``samples/sets/<id>.json`` (keywords, names, or both; keywords without the
file). Under both, every set is one item per kind, the kinds one after the
other, so an evaluator never sees both descriptions of a set on one page.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from semclust.annotate.blinding import Blinder
from semclust.study import Study, UserError
from semclust.vocabulary import NOISE


@dataclass(frozen=True)
class MatchItem:
    """One set to match: ``key`` is its item id for this evaluator; ``options`` are (label, cluster, text) triples.

    ``descriptions`` is the kind of the options' texts: keywords or names.
    """

    key: str
    clustering: str
    set_id: str
    image_ids: tuple[str, ...]
    options: tuple[tuple[str, int, str], ...]
    descriptions: str = "keywords"


def option_labels(n: int) -> list[str]:
    """Labels of ``n`` options: A..Z, then AA, AB, ... (spreadsheet style)."""
    labels = []
    for i in range(n):
        label, k = "", i
        while True:
            label = chr(ord("A") + k % 26) + label
            k = k // 26 - 1
            if k < 0:
                break
        labels.append(label)
    return labels


def option_order(blinder: Blinder, clusters: list[int], clustering: str, set_id: str, kind: str,
                 person: str) -> list[int]:
    """``clusters`` in a keyed order per (clustering, set, kind, evaluator): stable, unpredictable without the key."""
    return blinder.order(person, ("options", clustering, set_id, kind), sorted(clusters))


class Catalog:
    """Cached, read-only view of one study's images, pairs, sets and keywords."""

    def __init__(self, study: Study):
        self.study = study
        self._cache: dict[str, tuple[tuple, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, name: str, path: Path, load: Callable[[], object]):
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        value = load() if stamp is not None else None
        with self._lock:
            self._cache[name] = (stamp, value)
        return value

    # --- images -------------------------------------------------------------
    def image_paths(self) -> dict[str, Path]:
        """image_id -> absolute file path, for every row of images.csv (empty if none)."""
        def load():
            frame = self.study.read_images()
            return {str(i): self.study.image_path(p) for i, p in zip(frame["image_id"], frame["path"])}
        return self._cached("images", self.study.images_csv, load) or {}

    # --- pairs --------------------------------------------------------------
    def pairs(self) -> pd.DataFrame:
        """``samples/pairs.csv`` (pair_id, image_a, image_b, phase), empty if not sampled yet."""
        value = self._cached("pairs", self.study.pairs_csv, self.study.read_pairs)
        return value if value is not None else pd.DataFrame(columns=["pair_id", "image_a", "image_b", "phase"])

    def phases(self) -> list[str]:
        """Phase names in order of first appearance in pairs.csv."""
        return list(dict.fromkeys(self.pairs()["phase"].astype(str)))

    def pair_index(self) -> dict[str, dict]:
        """pair_id -> {pair_id, image_a, image_b, phase} for fast validation."""
        def load():
            return {r["pair_id"]: r for r in self.pairs().to_dict("records")}
        return self._cached("pair_index", self.study.pairs_csv, load) or {}

    def phase_pairs(self, phase: str) -> list[dict]:
        """The pairs of one phase in file order (for the admin; never shown to coders in this order)."""
        return [row for row in self.pair_index().values() if row["phase"] == phase]

    def pair_queue(self, open_phases: list[str], person: str, blinder: Blinder) -> list[dict]:
        """Pairs of the open phases for one coder: phase by phase (``open_phases`` order), in
        a keyed order per coder and phase; each row gains ``item_id``, the id the coder is shown.

        Kept per (coder, open phases) until ``pairs.csv`` changes: every answer looks its item up.
        """
        key = "\x1f".join(["queue", person, *open_phases])
        return self._cached(key, self.study.pairs_csv,
                            lambda: self._pair_queue(open_phases, person, blinder)) or []

    def _pair_queue(self, open_phases: list[str], person: str, blinder: Blinder) -> list[dict]:
        index = self.pair_index()
        by_phase: dict[str, list[str]] = {}
        for pair_id, row in index.items():
            by_phase.setdefault(row["phase"], []).append(pair_id)
        queue = []
        for phase in open_phases:
            for pair_id in blinder.order(person, ("pairs", phase), by_phase.get(phase, [])):
                queue.append({**index[pair_id], "item_id": blinder.item_id(person, "pair", pair_id)})
        return queue

    # --- matching -----------------------------------------------------------
    def clusterings_with_sets(self) -> list[str]:
        """Clusterings that have a ``samples/sets/<id>.csv``."""
        return self.study.list_sets()

    def sets(self, clustering: str) -> pd.DataFrame:
        """Matching sets of one clustering (set_id, cluster, image_ids)."""
        path = self.study.sets_csv(clustering)
        value = self._cached(f"sets:{clustering}", path, lambda: self.study.read_sets(clustering))
        if value is None:
            raise UserError(f"no matching sets for clustering {clustering!r}: run `semclust sample sets`")
        return value

    def description_kinds(self, clustering: str) -> list[str]:
        """The kinds of descriptions the clustering's sets are matched under (sets sidecar)."""
        from semclust.annotate.samples import description_kinds, sets_meta_path

        value = self._cached(f"kinds:{clustering}", sets_meta_path(self.study, clustering),
                             lambda: description_kinds(self.study, clustering))
        return value if value is not None else ["keywords"]

    def descriptions(self, clustering: str, kind: str = "keywords") -> dict[int, str]:
        """cluster -> its description, noise excluded.

        ``kind`` keywords: its TF-IDF terms joined by rank; names: its name in
        ``clusterings/<id>/names.csv`` (``semclust name``).
        """
        if kind == "names":
            from semclust.annotate.samples import read_names

            path = self.study.clustering_dir(clustering) / "names.csv"
            value = self._cached(f"names:{clustering}", path, lambda: read_names(self.study, clustering))
            if not value:
                raise UserError(f"clustering {clustering!r} has no names.csv: run `semclust name`")
            return value
        path = self.study.clustering_dir(clustering) / "keywords.csv"

        def load():
            frame = self.study.read_keywords(clustering).sort_values(["cluster", "rank"])
            frame = frame[frame["cluster"] != NOISE]
            return {int(c): ", ".join(str(t) for t in g["term"]) for c, g in frame.groupby("cluster")}
        value = self._cached(f"keywords:{clustering}", path, load)
        if value is None:
            raise UserError(f"clustering {clustering!r} has no keywords.csv")
        return value

    def match_queue(self, open_clusterings: list[str], person: str, blinder: Blinder) -> list[MatchItem]:
        """The matching items of the open clusterings for one evaluator.

        Clusterings in the given order; within one, sets in a keyed order per
        evaluator (sets files list each cluster's sets together, and seeing
        them in a row would hint that they share a cluster). A clustering
        matched under several description kinds gives all its sets under the
        first kind, then all under the next (own order per kind).
        """
        items = []
        for clustering in open_clusterings:
            for kind in self.description_kinds(clustering):
                texts = self.descriptions(clustering, kind)
                rows = {r["set_id"]: r for r in self.sets(clustering).to_dict("records")}
                for set_id in blinder.order(person, ("sets", clustering, kind), rows):
                    row = rows[set_id]
                    order = option_order(blinder, list(texts), clustering, set_id, kind, person)
                    labels = option_labels(len(order))
                    items.append(MatchItem(
                        key=blinder.item_id(person, "set", clustering, set_id, kind),
                        clustering=clustering, set_id=set_id,
                        image_ids=tuple(i for i in str(row["image_ids"]).split(";") if i),
                        options=tuple((lab, c, texts[c]) for lab, c in zip(labels, order)),
                        descriptions=kind))
        return items
