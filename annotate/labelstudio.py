"""The Label Studio bridge, offline half: configs, tasks, the matching key, and conversion.

Labs that already run Label Studio can collect the same pair ratings and
matching answers there. This module turns a study's samples into Label Studio
labeling configs and task lists, and turns Label Studio's JSON export back into
rows of our ``ratings`` and ``matches`` schemas (``semclust.study.RATING_COLUMNS``,
``MATCH_COLUMNS``), so ``evaluation/`` analyses them unchanged. Talking to a
server lives in :mod:`annotate.labelstudio_api`.

Blindness: Label Studio Community shows annotators the task data, so a task
carries only an opaque ``ref`` (a keyed hash of the pair or set id), image URLs
and, for matching, the keyword descriptions labelled with neutral letters in a
per-set random order. Which letter is which cluster is kept in the study
(``exports/labelstudio-key-<clustering>.json``), never sent to Label Studio.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import pandas as pd

from semclust.annotate.blinding import study_blinder
from semclust.resources import templates_dir
from semclust.study import (
    MATCH_COLUMNS,
    RATING_COLUMNS,
    Study,
    UserError,
    atomic_write_json,
    atomic_write_text,
    check_id,
)
from semclust.vocabulary import CANNOT_JUDGE, DIMENSION_NAMES, DIMENSIONS, INDEPENDENT_ROUND, NOISE, SCALE

TASKS = ("pairs", "sets")
URL_MODES = ("local-files", "serve")
N_TERMS = None  # all of keywords.csv, as our app shows them
#: Control names that mark a config as ours (checked before pushing to or pulling from a project).
CONTROLS = {"pairs": DIMENSION_NAMES, "sets": ("match",)}


# --- configs ----------------------------------------------------------------
def _render(name: str, **context) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "labelstudio")), autoescape=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(name).render(**context).strip() + "\n"


def pairs_config() -> str:
    """The labeling config (XML) for rating pairs: two images, two required 0/1/2 questions.

    Each question offers the scale of :mod:`semclust.vocabulary` plus "cannot judge";
    the stored choice (the ``alias``) is ``"0"``, ``"1"``, ``"2"`` or ``"cannot_judge"``.
    """
    return _render("pairs.xml", dimensions=DIMENSIONS, scale=SCALE, cannot_judge=CANNOT_JUDGE)


def matching_config(n_images: int) -> str:
    """The labeling config (XML) for matching a set of ``n_images`` images to one description."""
    if n_images < 1:
        raise ValueError(f"a matching set needs at least one image, got {n_images}")
    return _render("matching.xml", n_images=int(n_images))


def config_kind(label_config: str) -> str | None:
    """``"pairs"`` or ``"sets"`` if ``label_config`` is one of our configs, else ``None``."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(label_config or "")
    except ET.ParseError:
        return None
    names = {el.get("name") for el in root.iter("Choices")}
    for kind, controls in CONTROLS.items():
        if set(controls) <= names:
            return kind
    return None


# --- task ids and image URLs ------------------------------------------------
# The "person" of Label Studio's orders and refs: its annotators share one task list. Not a
# valid person name (``*``), so no person of our app is ever shown the same orders.
LABEL_STUDIO = "*label-studio*"


def task_refs(study: Study, kind: str, item_ids) -> dict[str, str]:
    """``{ref: item_id}``: the item id each task carries instead of the pair or set id.

    Keyed by the study's blinding key (:mod:`semclust.annotate.blinding`), so ids
    that might encode a stratum or a cluster (``same-0003``, ``c12-s2``) are not
    shown to annotators, and nobody without the key can link a ref to its item.
    """
    blinder = study_blinder(study.root)
    return {blinder.item_id(LABEL_STUDIO, kind, i): i for i in item_ids}


def legacy_task_refs(study: Study, kind: str, item_ids) -> dict[str, str]:
    """The refs of tasks pushed by semclust before blinding keys (a hash salted by the study's
    creation time): still recognised by :func:`pairs_from_export` and :func:`matches_from_export`."""
    salt = str(study.config.get("created_at", study.root.name))
    return {hashlib.sha256(f"{salt}|{kind}|{i}".encode()).hexdigest()[:16]: i for i in item_ids}


def ref_aliases(study: Study, task: str, clustering_id: str | None = None) -> dict[str, str]:
    """``{legacy ref: ref}`` of a task's items, so a project pushed before blinding keys is still ours."""
    if task == "pairs":
        kind, ids = "pairs", study.read_pairs()["pair_id"]
    else:
        kind, ids = f"sets:{clustering_id}", study.read_sets(clustering_id)["set_id"]
    ids = list(ids)
    new = {item: ref for ref, item in task_refs(study, kind, ids).items()}
    return {ref: new[item] for ref, item in legacy_task_refs(study, kind, ids).items()}


def known_task_refs(study: Study, kind: str, item_ids) -> dict[str, str]:
    """Refs of both kinds (:func:`task_refs` and :func:`legacy_task_refs`) -> item id, for pulling."""
    item_ids = list(item_ids)
    return {**legacy_task_refs(study, kind, item_ids), **task_refs(study, kind, item_ids)}


def task_ref(study: Study, kind: str, item_id: str) -> str:
    """The ref of one pair (``kind="pairs"``) or set (``kind="sets:<clustering>"``)."""
    return next(iter(task_refs(study, kind, [item_id])))


def image_url_builder(study: Study, mode: str, base_url: str | None = None,
                      document_root: str | Path | None = None) -> Callable[[str], str]:
    """Return ``url(image_id) -> str`` for the chosen image URL mode.

    ``"local-files"``: Label Studio serves the files itself
    (``/data/local-files/?d=<path under LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT>``);
    ``document_root`` defaults to the parent of the study's image root (see
    :func:`local_files_storage_path`). ``"serve"``: our
    ``semclust serve --images-only`` at ``base_url`` (``<base_url>/images/<image_id>``).
    """
    if mode not in URL_MODES:
        raise UserError(f"unknown image URL mode {mode!r}: use one of {', '.join(URL_MODES)}")
    images = study.read_images()
    paths = dict(zip(images["image_id"], images["path"]))
    if mode == "serve":
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise UserError("--image-url-mode serve needs --image-base-url http://HOST:PORT "
                            "(where `semclust serve --images-only` runs)")
        base = base_url.rstrip("/")
    else:
        root = local_files_storage_path(study, document_root).parent if document_root is None \
            else Path(document_root).resolve()
        image_root = study.image_root  # study.image_path re-reads study.yaml on every call

    def url(image_id: str) -> str:
        if image_id not in paths:
            raise UserError(f"image {image_id!r} is in the samples but not in {study.images_csv}")
        if mode == "serve":
            return f"{base}/images/{quote(image_id, safe='')}"
        path = Path(paths[image_id])
        path = (path if path.is_absolute() else image_root / path).resolve()
        try:
            rel = path.relative_to(root)
        except ValueError:
            raise UserError(f"image {path} is outside the local-files document root {root}; "
                            "pass --document-root (= LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)") from None
        return f"/data/local-files/?d={quote(rel.as_posix())}"

    return url


def local_files_storage_path(study: Study, document_root: str | Path | None = None) -> Path:
    """The folder to register as the project's Local Files storage in local-files mode.

    Label Studio serves ``/data/local-files/`` only below a Local Files import
    storage of the project, and that storage must be a strict subfolder of its
    ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``: it is the study's image root,
    which must therefore lie below ``document_root`` (default: its parent).
    """
    images = study.image_root.resolve()
    root = Path(document_root).resolve() if document_root else images.parent
    if root not in images.parents:
        raise UserError(f"the image root {images} must lie strictly below the local-files document "
                        f"root {root} (Label Studio refuses a storage at the root itself); use "
                        f"--document-root {images.parent} and the same LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")
    return images


# --- pair tasks ---------------------------------------------------------------
def pair_tasks(study: Study, url: Callable[[str], str]) -> list[dict]:
    """One Label Studio task per row of ``samples/pairs.csv``, in a keyed order (Label Studio
    shows tasks in the order they were imported; file order could follow strata).

    Returns a list of ``{"data": {"ref", "image_a", "image_b"}}``.
    """
    pairs = {row.pair_id: row for row in study.read_pairs().itertuples(index=False)}
    refs = {pair_id: ref for ref, pair_id in task_refs(study, "pairs", pairs).items()}
    order = study_blinder(study.root).order(LABEL_STUDIO, "pairs", pairs)
    return [{"data": {"ref": refs[p], "image_a": url(pairs[p].image_a), "image_b": url(pairs[p].image_b)}}
            for p in order]


# --- matching sets, descriptions and the key ---------------------------------
def cluster_descriptions(keywords: pd.DataFrame, n_terms: int | None = N_TERMS) -> dict[int, str]:
    """Each cluster's description: its keywords in rank order joined by ``", "`` (as in our app).

    ``n_terms`` keeps only the top ones (None: all).
    ``keywords`` has the columns of ``keywords.csv`` (cluster, rank, term, score);
    noise (cluster -1) is left out.
    """
    kw = keywords[keywords["cluster"] != NOISE].sort_values(["cluster", "rank"])
    return {int(c): ", ".join(g["term"].astype(str).head(n_terms or len(g)))
            for c, g in kw.groupby("cluster")}


def letters(n: int) -> list[str]:
    """Neutral choice labels: A ... Z, then AA, AB, ... (enough for 702 clusters).

    >>> letters(3), letters(28)[-2:]
    (['A', 'B', 'C'], ['AA', 'AB'])
    """
    alphabet = [chr(ord("A") + i) for i in range(26)]
    return (alphabet + [a + b for a in alphabet for b in alphabet])[:n]


def key_path(study: Study, clustering_id: str) -> Path:
    """Where the letter -> cluster key of a clustering's matching tasks is kept."""
    return study.exports_dir / f"labelstudio-key-{check_id('clustering', clustering_id)}.json"


def matching_key(study: Study, clustering_id: str, n_terms: int | None = N_TERMS) -> dict:
    """The per-set choice order: ``{"clustering", "sets": {set_id: [[letter, cluster, text], ...]}}``.

    Descriptions are the keywords, or the names (``names.csv``) when the sets
    were sampled with ``--descriptions names`` only (see
    :func:`annotate.samples.description_kinds`).
    Each set gets every cluster's description in its own order, keyed by the
    study's blinding key, the clustering id and the set id (stable across runs).
    An existing key file is kept for the sets it already has, so tasks already in
    Label Studio keep their meaning; new sets are added.
    """
    from semclust.annotate.samples import description_kinds, read_names

    # Names when the sets were sampled with --descriptions names only; a clustering
    # matched under both kinds is matched on keywords here (one key per clustering).
    if description_kinds(study, clustering_id) == ["names"]:
        descriptions = read_names(study, clustering_id)
        if not descriptions:
            raise UserError(f"clustering {clustering_id!r} has no names.csv: run `semclust name`")
    else:
        descriptions = cluster_descriptions(study.read_keywords(clustering_id), n_terms)
    if not descriptions:
        raise UserError(f"clustering {clustering_id!r} has no keywords for any cluster")
    sets = study.read_sets(clustering_id)
    path = key_path(study, clustering_id)
    key = {"clustering": clustering_id, "sets": {}}
    if path.is_file():
        try:
            key = json.loads(path.read_text(encoding="utf-8"))
            key["sets"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{path}: not a matching key written by semclust ({exc}); "
                            "move it away only if no tasks were pushed with it") from None
    clusters = sorted(descriptions)
    blinder = study_blinder(study.root)
    for set_id in sets["set_id"]:
        if set_id in key["sets"]:
            continue
        order = blinder.order(LABEL_STUDIO, ("options", clustering_id, set_id), clusters)
        key["sets"][set_id] = [[letter, c, descriptions[c]]
                               for letter, c in zip(letters(len(order)), order)]
    return key


def save_key(study: Study, key: dict) -> Path:
    """Write the matching key into the study (``exports/labelstudio-key-<clustering>.json``)."""
    path = key_path(study, key["clustering"])
    atomic_write_json(path, key)
    return path


def set_size(study: Study, clustering_id: str) -> int:
    """The largest number of images in one set of the clustering's matching sample."""
    sets = study.read_sets(clustering_id)
    if sets.empty:
        raise UserError(f"{study.sets_csv(clustering_id)} has no sets")
    return int(sets["image_ids"].str.split(";").map(len).max())


def set_tasks(study: Study, clustering_id: str, url: Callable[[str], str], key: dict) -> list[dict]:
    """One task per matching set, in a keyed order (so one cluster's sets are not adjacent).

    Returns ``{"data": {"ref", "image_0", ..., "options": [{"value": "A: terms"}, ...]}}``;
    a set smaller than the largest gets empty strings for its missing images.
    """
    sets = study.read_sets(clustering_id)
    n = set_size(study, clustering_id)
    tasks = []
    refs = task_refs(study, f"sets:{clustering_id}", sets["set_id"])
    for ref, row in zip(refs, sets.itertuples(index=False)):
        ids = [i for i in str(row.image_ids).split(";") if i]
        data = {"ref": ref}
        data.update({f"image_{i}": url(ids[i]) if i < len(ids) else "" for i in range(n)})
        data["options"] = [{"value": f"{letter}: {text}"} for letter, _, text in key["sets"][row.set_id]]
        tasks.append({"data": data})
    ranks = {ref: k for k, ref in enumerate(study_blinder(study.root).order(LABEL_STUDIO, ("sets", clustering_id),
                                                                            refs))}
    return sorted(tasks, key=lambda task: ranks[task["data"]["ref"]])


# --- the offline export -------------------------------------------------------
def build(study: Study, task: str, clustering_id: str | None, url: Callable[[str], str]):
    """Return ``(config_xml, tasks)`` for ``task`` (``"pairs"`` or ``"sets"``).

    For ``"sets"`` the matching key is written into the study first.
    """
    if task == "pairs":
        return pairs_config(), pair_tasks(study, url)
    if task != "sets":
        raise UserError(f"unknown task {task!r}: use pairs or sets")
    if not clustering_id:
        raise UserError("--task sets needs --clustering ID (the clustering whose sets to match)")
    key = matching_key(study, clustering_id)
    tasks = set_tasks(study, clustering_id, url, key)
    save_key(study, key)
    return matching_config(set_size(study, clustering_id)), tasks


def export(study: Study, task: str, clustering_id: str | None, out_dir: str | Path,
           url: Callable[[str], str]) -> dict[str, Path]:
    """Write ``config.xml`` and ``tasks.json`` for import by hand into Label Studio.

    Returns the paths written (``config``, ``tasks`` and, for sets, ``key``).
    """
    config, tasks = build(study, task, clustering_id, url)
    out = Path(out_dir)
    paths = {"config": out / "config.xml", "tasks": out / "tasks.json"}
    atomic_write_text(paths["config"], config)
    atomic_write_text(paths["tasks"], json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    if task == "sets":
        paths["key"] = key_path(study, clustering_id)
    return paths


# --- from Label Studio's export back to our rows ------------------------------
def _timestamp(value) -> str:
    """Label Studio's ISO time (with microseconds, any zone) as our ``YYYY-MM-DDTHH:MM:SSZ``."""
    if not value:
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _coder(annotation: dict, emails: dict[int, str]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return who.get("email") or emails.get(who.get("id"), f"user-{who.get('id')}")
    return emails.get(who, f"user-{who}")


def _choice(annotation: dict, control: str) -> str | None:
    for region in annotation.get("result") or []:
        if region.get("from_name") == control:
            chosen = (region.get("value") or {}).get("choices") or []
            return str(chosen[0]) if chosen else None
    return None


def _text(annotation: dict, control: str) -> str:
    for region in annotation.get("result") or []:
        if region.get("from_name") == control:
            return " ".join((region.get("value") or {}).get("text") or []).strip()
    return ""


def answered(export: list[dict], refs: dict[str, str], emails: dict[int, str], what: str):
    """Walk an export: ``(answers, report)`` with one answer per task and annotator.

    ``answers`` is a list of ``(item_id, coder, annotation)``; ``refs`` maps task
    ``ref`` -> our item id. Skipped/cancelled annotations go to ``report["skipped"]``
    (``(item_id, coder)``), not to the answers; when one annotator has several
    annotations of a task, the latest updated one is kept and the others counted in
    ``report["superseded"]``. Raises UserError for tasks whose ref is not in the study.
    """
    unknown = [t.get("data", {}).get("ref") for t in export if t.get("data", {}).get("ref") not in refs]
    if unknown:
        raise UserError(f"{len(unknown)} Label Studio task(s) are not in this study's {what} "
                        f"(e.g. ref {unknown[0]!r}): is this the project of another study, or were "
                        "the samples re-drawn after pushing?")
    report = {"tasks": len(export), "annotations": 0, "skipped": [], "superseded": 0}
    latest: dict[tuple[str, str], dict] = {}
    for task in export:
        item = refs[task["data"]["ref"]]
        for ann in task.get("annotations") or []:
            report["annotations"] += 1
            coder = _coder(ann, emails)
            if ann.get("was_cancelled"):
                report["skipped"].append((item, coder))
                continue
            prior = latest.get((item, coder))
            if prior is not None:
                report["superseded"] += 1
                if str(prior.get("updated_at", "")) > str(ann.get("updated_at", "")):
                    continue
            latest[(item, coder)] = ann
    answers = [(item, coder, ann) for (item, coder), ann in sorted(latest.items())]
    # a skip followed by a real answer of the same annotator is no longer a skip
    report["skipped"] = [s for s in report["skipped"] if s not in latest]
    return answers, report


def _score(choice: str | None) -> int | None | str:
    """``"0"``/``"1"``/``"2"`` (or their labels) -> int; cannot judge -> None; missing -> ``"missing"``."""
    if choice is None:
        return "missing"
    head = choice.split(" ", 1)[0]
    if head.isdigit() and int(head) in SCALE:
        return int(head)
    if choice in ("cannot_judge", CANNOT_JUDGE["label"]):
        return None
    raise UserError(f"Label Studio answer {choice!r} is not on our scale: was the config edited?")


def ratings_from_export(study: Study, export: list[dict], emails: dict[int, str]):
    """Convert a pairs project's JSON export into ``(ratings, comments, report)``.

    ``ratings`` has ``RATING_COLUMNS``: one row per pair, coder and dimension;
    ``score`` is 0/1/2 or empty for "cannot judge"; ``round`` is ``"independent"``;
    ``phase`` comes from ``samples/pairs.csv``. ``comments`` has item_id, coder,
    comment, created_at. A dimension left unanswered gives no row (counted in
    ``report["incomplete"]``).
    """
    pairs = study.read_pairs()
    refs = known_task_refs(study, "pairs", pairs["pair_id"])
    phases = dict(zip(pairs["pair_id"], pairs["phase"]))
    answers, report = answered(export, refs, emails, "samples/pairs.csv")
    rows, comments, report["incomplete"] = [], [], 0
    for pair_id, coder, ann in answers:
        created = _timestamp(ann.get("created_at"))
        for dim in DIMENSIONS:
            score = _score(_choice(ann, dim))
            if score == "missing":
                report["incomplete"] += 1
                continue
            rows.append([pair_id, coder, dim, score, INDEPENDENT_ROUND, phases[pair_id], created])
        if _text(ann, "comment"):
            comments.append([pair_id, coder, _text(ann, "comment"), created])
    ratings = pd.DataFrame(rows, columns=RATING_COLUMNS).astype({"score": "Int64"})
    comment_frame = pd.DataFrame(comments, columns=["item_id", "coder", "comment", "created_at"])
    return ratings, comment_frame, report


def matches_from_export(study: Study, clustering_id: str, export: list[dict],
                        emails: dict[int, str], key: dict):
    """Convert a matching project's JSON export into ``(matches, report)`` with ``MATCH_COLUMNS``.

    The chosen option (``"C: terms ..."``) is mapped back to its cluster through
    the set's entry in the matching ``key``.
    """
    sets = study.read_sets(clustering_id)
    refs = known_task_refs(study, f"sets:{clustering_id}", sets["set_id"])
    answers, report = answered(export, refs, emails, f"samples/sets/{clustering_id}.csv")
    rows, report["incomplete"] = [], 0
    for set_id, coder, ann in answers:
        choice = _choice(ann, "match")
        if choice is None:
            report["incomplete"] += 1
            continue
        options = {f"{letter}: {text}": c for letter, c, text in key["sets"].get(set_id, [])}
        options.update({letter: c for letter, c, _ in key["sets"].get(set_id, [])})
        if choice not in options:
            raise UserError(f"set {set_id}: answer {choice!r} is not in the matching key "
                            f"{key_path(study, clustering_id)}: was the key replaced after pushing?")
        rows.append([set_id, coder, int(options[choice]), _timestamp(ann.get("created_at"))])
    return pd.DataFrame(rows, columns=MATCH_COLUMNS), report


def load_key(study: Study, clustering_id: str) -> dict:
    """Read the matching key written at export/push time; UserError if there is none."""
    path = key_path(study, clustering_id)
    if not path.is_file():
        raise UserError(f"no matching key {path}: the sets were never exported or pushed from "
                        "this study, so Label Studio's letters cannot be mapped to clusters")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
