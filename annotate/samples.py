"""Samples of a study folder: draw and write pairs and matching sets, plan the pair sample.

The study-folder side of :mod:`annotate.sampling`: reads images, descriptions
and clusterings through :class:`semclust.study.Study`, draws with the pure
functions there, and writes ``samples/pairs.csv``, ``samples/pairs.json`` and
``samples/sets/<clustering_id>.csv`` atomically. See ``docs/sampling.md``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from semclust.annotate.sampling import (
    eligible_images,
    make_rng,
    next_pair_number,
    pair_counts,
    pair_ids,
    pairs_needed,
    prob_enough,
    sample_pairs,
    sample_sets,
)
from semclust.study import (
    PAIR_COLUMNS,
    Study,
    UserError,
    atomic_write_csv,
    atomic_write_json,
    now_iso,
    read_csv,
    toolkit_version,
)
from semclust.vocabulary import NOISE

WEIGHTED_COLUMNS = PAIR_COLUMNS + ["stratum", "weight"]
_PHASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def resolve_describer(study: Study, describer: str | None) -> str:
    """The describer to use: the given one, or the study's only one."""
    known = study.list_describers()
    if describer is not None:
        if describer not in known:
            raise UserError(f"no descriptions {describer!r} in study {study.root} "
                            f"(known: {', '.join(known) or 'none'})")
        return describer
    if len(known) == 1:
        return known[0]
    if not known:
        raise UserError(f"study {study.root} has no descriptions yet: run `semclust describe` first")
    raise UserError(f"study {study.root} has several describers ({', '.join(known)}): "
                    "choose one with --describer")


def sampling_pool(study: Study, describer: str | None = None) -> list[str]:
    """Sorted ids of the images pairs are drawn from: status ok and successfully described."""
    describer = resolve_describer(study, describer)
    return eligible_images(study.read_images(status="ok"), study.read_descriptions(describer))


def _pairs_meta_path(study: Study) -> Path:
    return study.samples_dir / "pairs.json"


def read_pairs_meta(study: Study) -> dict:
    """``samples/pairs.json``: how each phase was drawn (``{}`` when absent)."""
    path = _pairs_meta_path(study)
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("phases", {}), dict):
        raise UserError(f"{path}: expected an object with a 'phases' mapping")
    return meta


def _existing_pairs(study: Study) -> pd.DataFrame:
    if not study.pairs_csv.is_file():
        return pd.DataFrame(columns=PAIR_COLUMNS)
    return study.read_pairs()


def _check_phase(phase: str) -> str:
    if not _PHASE.match(phase):
        raise UserError(f"invalid phase name {phase!r}: use up to 64 letters, digits and . _ -")
    return phase


def _next_phase(phases: list[str]) -> str:
    k = len(phases) + 1
    while str(k) in phases:
        k += 1
    return str(k)


def _with_weights(frame: pd.DataFrame, phases_meta: dict) -> pd.DataFrame:
    """Add ``stratum`` and ``weight`` when any phase is stratified, else keep the four columns."""
    frame = frame.copy()
    if "weight" not in frame:
        frame["weight"] = np.nan
    stratum = frame["stratum"] if "stratum" in frame else pd.Series(np.nan, index=frame.index)
    frame["stratum"] = stratum.astype(object).where(stratum.notna(), "all")
    if not frame["stratum"].isin(["same", "diff"]).any():
        return frame[PAIR_COLUMNS]
    for i in np.flatnonzero(frame["weight"].isna().to_numpy()):
        stratum = phases_meta.get(frame.at[i, "phase"], {}).get("strata", {}).get(frame.at[i, "stratum"])
        if stratum:
            frame.at[i, "weight"] = stratum["population"] / stratum["sampled"]
    return frame[WEIGHTED_COLUMNS]


def _phase_frame(existing: pd.DataFrame, phase: str | None, force: bool,
                 exclude_phases: Iterable[str]) -> tuple[pd.DataFrame, str, set]:
    """Existing rows to keep, the phase name, and the images of the excluded phases."""
    phases = list(dict.fromkeys(existing["phase"].astype(str)))
    phase = _check_phase(phase) if phase is not None else _next_phase(phases)
    if phase in phases:
        if not force:
            raise UserError(f"phase {phase!r} already has {int((existing['phase'] == phase).sum())} "
                            "pairs in samples/pairs.csv; choose another --phase, or --force to "
                            "replace it (ratings of its pairs would no longer match)")
        existing = existing[existing["phase"] != phase].reset_index(drop=True)
    images: set = set()
    for other in exclude_phases:
        if other == phase:
            raise UserError(f"--exclude-phase {other!r} is the phase being drawn")
        rows = existing[existing["phase"] == other]
        if rows.empty:
            raise UserError(f"--exclude-phase {other!r}: no such phase in samples/pairs.csv "
                            f"(phases: {', '.join(phases) or 'none'})")
        images |= set(rows["image_a"]) | set(rows["image_b"])
    return existing, phase, images


def draw_pairs(study: Study, n: int, phase: str | None = None, seed: int | None = None,
               exclude_phases: Iterable[str] = (), describer: str | None = None,
               stratify: str | None = None, same_fraction: float | None = None,
               force: bool = False) -> pd.DataFrame:
    """Draw one phase of pairs and add it to ``samples/pairs.csv``; return the new rows.

    Pairs come from :func:`sampling_pool`, never repeat a pair of another phase
    and avoid every image of ``exclude_phases``. The phase defaults to the next
    number (``"1"``, ``"2"``, ...); an existing phase is replaced only with
    ``force``. Pair ids continue the file's numbering and are never reused.
    The generator is :func:`make_rng` of ``(seed or study.seed, "pairs:<phase>")``.
    ``samples/pairs.json`` records how the phase was drawn.
    """
    with study.lock("samples", "the study's samples"):  # another `sample pairs` waits for this one
        return _draw_pairs(study, n, phase, seed, list(exclude_phases), describer, stratify, same_fraction, force)


def _draw_pairs(study: Study, n: int, phase: str | None, seed: int | None, exclude_phases: list[str],
                describer: str | None, stratify: str | None, same_fraction: float | None,
                force: bool) -> pd.DataFrame:
    original = _existing_pairs(study)
    existing, phase, banned = _phase_frame(original, phase, force, exclude_phases)
    describer = resolve_describer(study, describer)
    pool = [x for x in sampling_pool(study, describer) if x not in banned]
    clusters = None
    if stratify is not None:
        labels = study.read_labels(stratify)
        clusters = dict(zip(labels["image_id"].astype(str), labels["cluster"].astype(int)))
    elif same_fraction is not None:
        raise UserError("--same-fraction needs --stratify CLUSTERING")
    seed = study.seed if seed is None else int(seed)
    sample = sample_pairs(pool, n, make_rng(seed, f"pairs:{phase}"),
                          exclude=zip(existing["image_a"], existing["image_b"]),
                          clusters=clusters, same_fraction=same_fraction)
    new = sample.pairs.assign(phase=phase)
    new.insert(0, "pair_id", pair_ids(next_pair_number(original["pair_id"]), len(new)))
    meta = read_pairs_meta(study)
    phases_meta = meta.setdefault("phases", {})
    phases_meta.pop(phase, None)
    phases_meta[phase] = {
        "seed": seed, "n": int(n), "describer": describer, "n_images": sample.n_images,
        "exclude_phases": exclude_phases, "stratify": stratify, "same_fraction": same_fraction,
        "strata": sample.strata, "first_pair_id": new["pair_id"].iloc[0],
        "created_at": now_iso(), "toolkit_version": toolkit_version(),
        "numpy_version": np.__version__,
    }
    if sample.strata.keys() == {"all"}:
        new["weight"] = np.nan
        new["stratum"] = np.nan  # filled with "all" only if the file holds a stratified phase
    else:
        new["weight"] = [sample.strata[s]["population"] / sample.strata[s]["sampled"]
                         for s in new["stratum"]]
    combined = _with_weights(pd.concat([existing, new], ignore_index=True), phases_meta)
    atomic_write_csv(study.pairs_csv, combined)
    atomic_write_json(_pairs_meta_path(study), meta)
    return combined[combined["phase"] == phase].reset_index(drop=True)


DESCRIPTION_KINDS = ("keywords", "names")


def sets_meta_path(study: Study, clustering_id: str) -> Path:
    """``samples/sets/<clustering_id>.json``: which descriptions evaluators are shown."""
    return study.sets_csv(clustering_id).with_suffix(".json")


def description_kinds(study: Study, clustering_id: str) -> list[str]:
    """The description kinds a clustering's sets are matched under (``["keywords"]`` without a sidecar)."""
    path = sets_meta_path(study, clustering_id)
    if not path.is_file():
        return ["keywords"]
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    kinds = meta.get("descriptions") if isinstance(meta, dict) else None
    if not isinstance(kinds, list) or not kinds or any(k not in DESCRIPTION_KINDS for k in kinds):
        raise UserError(f"{path}: expected {{\"descriptions\": [...]}} with kinds from "
                        f"{', '.join(DESCRIPTION_KINDS)}")
    return list(dict.fromkeys(kinds))


def read_names(study: Study, clustering_id: str) -> dict[int, str]:
    """cluster -> its name from ``clusterings/<id>/names.csv`` (empty names and noise left out)."""
    path = study.clustering_dir(clustering_id) / "names.csv"
    if not path.is_file():
        return {}
    frame = read_csv(path, ["cluster", "name"], what=f"clusterings/{clustering_id}/names.csv",
                     dtype={"name": str})
    out = {}
    for cluster, name in zip(frame["cluster"], frame["name"]):
        text = "" if pd.isna(name) else str(name).strip()
        if text and int(cluster) != NOISE:
            out[int(cluster)] = text
    return out


def check_names(study: Study, clustering_id: str, clusters: Iterable[int]) -> None:
    """UserError naming the clusters of ``clusters`` without a name in names.csv."""
    names = read_names(study, clustering_id)
    missing = sorted({int(c) for c in clusters} - set(names))
    if missing:
        raise UserError(f"--descriptions names: clustering {clustering_id!r} has no name for "
                        f"cluster(s) {', '.join(map(str, missing))} in clusterings/{clustering_id}/"
                        "names.csv; run `semclust name` first")


def draw_sets(study: Study, clustering_id: str, per_cluster: int = 5, size: int = 3,
              seed: int | None = None, force: bool = False, descriptions: str = "keywords"):
    """Draw matching sets of one clustering into ``samples/sets/<clustering_id>.csv``.

    Only images with status ok are drawn. Refuses to overwrite an existing file
    unless ``force`` (matches may refer to its sets). The generator is
    :func:`make_rng` of ``(seed or study.seed, "sets:<clustering_id>")``.

    ``descriptions`` (keywords | names) is the kind of cluster description
    evaluators are shown; it is recorded in ``samples/sets/<clustering_id>.json``.
    When the file exists and the draw gives the same sets, the file is kept and
    the kind is added (a clustering may be matched under both kinds); names
    need a name for every cluster of the sets (``semclust name``).

    Returns
    -------
    (sets, short, path)
        The sets written (or kept), the clusters that got fewer sets (see
        :func:`sample_sets`) and the file; :func:`description_kinds` gives the
        kinds now recorded.
    """
    if descriptions not in DESCRIPTION_KINDS:
        raise UserError(f"--descriptions must be one of {', '.join(DESCRIPTION_KINDS)}")
    with study.lock("samples", "the study's samples"):
        return _draw_sets(study, clustering_id, per_cluster, size, seed, force, descriptions)


def _draw_sets(study: Study, clustering_id: str, per_cluster: int, size: int, seed: int | None, force: bool,
               descriptions: str):
    labels = study.read_labels(clustering_id)
    path = study.sets_csv(clustering_id)
    ok = set(study.read_images(status="ok")["image_id"].astype(str))
    labels = labels[labels["image_id"].astype(str).isin(ok)]
    seed = study.seed if seed is None else int(seed)
    sets, short = sample_sets(labels, per_cluster, size, make_rng(seed, f"sets:{clustering_id}"))
    kinds = [descriptions]
    if path.is_file() and not force:
        existing = study.read_sets(clustering_id)
        same = (list(existing.columns) == list(sets.columns) and len(existing) == len(sets)
                and all(existing[c].astype(str).tolist() == sets[c].astype(str).tolist()
                        for c in sets.columns))
        if not same:
            raise UserError(f"{path} exists (matches may refer to its sets); use --force to replace it")
        kinds = description_kinds(study, clustering_id)
        if descriptions in kinds:
            raise UserError(f"{path} exists with the same sets, already matched under {descriptions}; "
                            "use --force to replace it")
        kinds = kinds + [descriptions]
    if sets.empty:
        raise UserError(f"clustering {clustering_id!r} has no cluster with {size} usable images; "
                        "nothing written")
    if descriptions == "names":
        check_names(study, clustering_id, sets["cluster"])
    if len(kinds) == 1:  # a new or replaced sets file (else the file is kept)
        atomic_write_csv(path, sets)
    meta = sets_meta_path(study, clustering_id)
    if kinds != ["keywords"] or meta.is_file():  # no sidecar means keywords, as before
        atomic_write_json(meta, {"descriptions": kinds})
    return sets, short, path


def plan_pairs(study: Study, target_same: int = 25, target_diff: int = 25, budget: int = 500,
               confidence: float = 0.9, describer: str | None = None) -> pd.DataFrame:
    """For every clustering: how many random pairs give enough same/different-cluster pairs.

    N is the pool of :func:`sampling_pool` (noise included); images of the pool
    missing from a clustering's labels count as noise. Columns: ``clustering,
    n_images, n_clusters, noise, p_same, p_diff, expected_same, expected_diff``
    (at ``budget`` pairs), ``p_enough`` (probability of both targets at
    ``budget``), ``n_expected``, ``n_needed`` (at ``confidence``), ``over_budget``;
    sorted by ``n_needed`` (clusterings that can never reach a target last).
    """
    for name, value in (("--target-same", target_same), ("--target-diff", target_diff)):
        if value < 0:
            raise UserError(f"{name} must be >= 0, got {value}")
    if not 0 < confidence < 1 or budget < 1:
        raise UserError(f"--confidence must be in (0, 1) and --budget >= 1 "
                        f"(got {confidence}, {budget})")
    pool = set(sampling_pool(study, describer))
    ids = study.list_clusterings()
    if not ids:
        raise UserError(f"study {study.root} has no clusterings yet: run `semclust cluster` first")
    if len(pool) < 2:
        raise UserError(f"study {study.root} has {len(pool)} eligible image(s); pairs need two")
    rows = []
    for cid in ids:
        labels = study.read_labels(cid)
        labels = labels[labels["image_id"].astype(str).isin(pool) & (labels["cluster"] != NOISE)]
        sizes = labels["cluster"].value_counts().sort_index().to_numpy()
        same, diff, total = pair_counts(sizes, len(pool))
        n_expected, n_needed = pairs_needed(same, diff, total, target_same, target_diff, confidence)
        ps, pd_ = same / total, diff / total
        rows.append({
            "clustering": cid, "n_images": len(pool), "n_clusters": len(sizes),
            "noise": 1 - int(sizes.sum()) / len(pool), "p_same": ps, "p_diff": pd_,
            "expected_same": budget * ps, "expected_diff": budget * pd_,
            "p_enough": prob_enough(budget, ps, pd_, target_same, target_diff),
            "n_expected": n_expected, "n_needed": n_needed, "over_budget": n_needed > budget,
        })
    frame = pd.DataFrame(rows)
    return frame.sort_values(["n_needed", "clustering"], kind="mergesort").reset_index(drop=True)
