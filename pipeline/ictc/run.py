"""Run IC|TC on a study: the steps wired to their caches and files. No algorithm lives here.

Files of one run (``<run>`` is a name made of letters, digits and ``. _ = + -``)::

    criteria/<run>/config.json        criterion, describer, model, parameters, prompts, tokens per step
    criteria/<run>/labels.jsonl       step 2a answers (chat cache: one record per request)
    criteria/<run>/labels.csv         image_id, label, status, answer
    criteria/<run>/label_counts.csv   label, count, kept
    criteria/<run>/names.jsonl        step 2b answers, corrections included
    criteria/<run>/names.json         names, source (model or file), answers
    criteria/<run>/assign.jsonl       step 3 answers
    criteria/<run>/assignments.csv    image_id, answer, cluster, name, match
    clusterings/<run>/                labels.csv, params.json, keywords.csv (the names),
                                      summary.json, names.csv (cluster, name), answers.csv
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.pipeline.answer_store import add_tokens, no_tokens
from semclust.pipeline.chat import ask_cached
from semclust.pipeline.classes import DEFAULT_CUTOFF
from semclust.pipeline.ictc import assign as assign_step
from semclust.pipeline.ictc import labels as label_step
from semclust.pipeline.ictc import names as name_step
from semclust.study import (
    Study,
    UserError,
    atomic_write_csv,
    atomic_write_json,
    now_iso,
    provenance,
    read_csv,
    toolkit_version,
)

STEPS = ("labels", "names", "assign")



def read_config(study: Study, run: str) -> dict:
    """``criteria/<run>/config.json``; UserError when step 2a never ran."""
    path = study.criteria_dir(run) / "config.json"
    if not path.is_file():
        raise UserError(f"no IC|TC run {run!r} in study: run `semclust ictc labels` (or `ictc run`) first")
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def descriptions(study: Study, describer: str) -> tuple[list[str], dict]:
    """``(image ids of the readable images, {image_id: description})`` of those with a description."""
    ids = study.read_images(status="ok")["image_id"].astype(str).tolist()
    frame = study.read_descriptions(describer)
    by_id = {}
    for rec in frame.to_dict("records"):
        error, text = rec.get("error"), rec.get("text")
        if not (isinstance(error, str) and error) and isinstance(text, str) and text.strip():
            by_id[str(rec["image_id"])] = text.strip()
    return ids, {i: by_id[i] for i in ids if i in by_id}


@dataclass
class StepResult:
    """What one step did: lines to print and the tokens it spent now."""

    lines: list = field(default_factory=list)
    tokens: dict = field(default_factory=no_tokens)


def _add_tokens(config: dict, step: str, tokens: dict) -> None:
    add_tokens(config.setdefault("tokens", {}).setdefault(step, no_tokens()), tokens)


def _holding_the_run(step):
    """Run ``step(study, run, ...)`` holding the lock ``criteria/<run>``: each step reads
    ``config.json``, asks the model and writes it back, so a second command on the same run
    waits (then exits 2 naming the holder) instead of losing the first one's record."""
    @functools.wraps(step)
    def locked(study: Study, run: str, *args, **kwargs):
        study.criteria_dir(run)  # the run name checked (one line) before it names a lock
        with study.lock(f"criteria/{run}", f"IC|TC run {run}"):
            return step(study, run, *args, **kwargs)
    return locked


def _client_info(client) -> dict:
    return {"model": client.model, "base_url": client.base_url, "params": client.params}


@_holding_the_run
def run_labels(study: Study, run: str, client, describer: str, criterion: str, prompts: dict,
               prompt_dir=None, progress: bool = False) -> StepResult:
    """Step 2a: ask a label for every description; write ``labels.csv``."""
    criterion = (criterion or "").strip()
    if not criterion:
        raise UserError("--criterion must not be empty")
    folder = study.criteria_dir(run)
    path = folder / "config.json"
    config = read_config(study, run) if path.is_file() else {}
    if config and (config.get("criterion"), config.get("describer")) != (criterion, describer):
        raise UserError(f"IC|TC run {run!r} is for criterion {config.get('criterion')!r} on "
                        f"describer {config.get('describer')!r}: choose another --run")
    ids, texts = descriptions(study, describer)
    if not texts:
        raise UserError(f"descriptions {describer!r} hold no text to label")
    config.update({"run": run, "criterion": criterion, "describer": describer,
                   "prompt_dir": str(prompt_dir) if prompt_dir else None,
                   "created_at": config.get("created_at", now_iso()),
                   "toolkit_version": toolkit_version()})
    config.setdefault("steps", {})["labels"] = {**_client_info(client), "at": now_iso()}
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, config)
    records, summary = ask_cached(client, folder / "labels.jsonl",
                                  label_step.label_requests(texts, criterion, prompts),
                                  progress=progress, desc="ictc labels")
    frame = label_step.label_frame(ids, records)
    atomic_write_csv(folder / "labels.csv", frame)
    _add_tokens(config, "labels", summary.tokens)
    atomic_write_json(path, config)
    status = frame["status"].value_counts()
    missing = ", ".join(f"{k} {int(v)}" for k, v in status.items() if k != "ok")
    lines = ["labels: " + line for line in summary.lines()]
    lines.append(f"labels: {int(status.get('ok', 0))} of {len(frame)} images labelled, "
                 f"{frame.loc[frame['status'] == 'ok', 'label'].nunique()} distinct labels"
                 + (f" (no label: {missing})" if missing else ""))
    return StepResult(lines, summary.tokens)


@_holding_the_run
def run_names(study: Study, run: str, client, k: int, prompts: dict, min_count: int | None = None,
              names_file=None) -> StepResult:
    """Step 2b: count the labels, ask for exactly ``k`` names (or read ``names_file``)."""
    config = read_config(study, run)
    folder = study.criteria_dir(run)
    labels = read_csv(folder / "labels.csv", label_step.LABEL_COLUMNS, "labels.csv", dtype=str)
    ok = labels[labels["status"] == "ok"]["label"].tolist()
    min_count = label_step.default_min_count(len(ok)) if min_count is None else int(min_count)
    counts = label_step.label_counts(ok, min_count)
    atomic_write_csv(folder / "label_counts.csv", counts)
    result = StepResult()
    if names_file is not None:
        names, info = name_step.read_names_file(names_file), {"source": "file", "file": str(names_file)}
        if k and int(k) != len(names):
            raise UserError(f"--k {k} but {names_file} holds {len(names)} names: give one or the other")
    else:
        cache = folder / "names.jsonl"

        def ask(key, conversation):
            records, summary = ask_cached(client, cache, [(key, conversation)])
            for name in result.tokens:
                result.tokens[name] += summary.tokens[name]
            return records[key]

        got = name_step.ask_names(ask, counts, config["criterion"], int(k), prompts)
        names = got.names
        info = {"source": "model", "answers": got.answers, "corrections": got.corrections,
                **_client_info(client)}
        config.setdefault("steps", {})["names"] = {**_client_info(client), "at": now_iso()}
    atomic_write_json(folder / "names.json", {"names": names, "k": len(names), "min_count": min_count,
                                              "criterion": config["criterion"], **info})
    config.update({"k": len(names), "min_count": min_count})
    _add_tokens(config, "names", result.tokens)
    atomic_write_json(folder / "config.json", config)
    kept = counts[counts["kept"]]
    result.lines += [(f"names: {len(kept)} of {len(counts)} distinct labels kept (min count {min_count}, "
                     f"{int(kept['count'].sum())} of {len(ok)} labels)"),
                     f"names ({info['source']}): " + " | ".join(names),
                     f"names: tokens {result.tokens['total']}"]
    return result


def current_names(study: Study, run: str) -> list[str]:
    """The names of ``criteria/<run>/names.json``; UserError when step 2b never ran."""
    import json

    path = study.criteria_dir(run) / "names.json"
    if not path.is_file():
        raise UserError(f"IC|TC run {run!r} has no names: run `semclust ictc names` first "
                        "(or give --names-file)")
    return name_step.check_names(json.loads(path.read_text(encoding="utf-8"))["names"], str(path))


@_holding_the_run
def run_assign(study: Study, run: str, client, prompts: dict, cutoff: float = DEFAULT_CUTOFF,
               names_file=None, progress: bool = False) -> StepResult:
    """Step 3: ask each description's name; write ``assignments.csv`` and ``clusterings/<run>/``."""
    config = read_config(study, run)
    folder = study.criteria_dir(run)
    if names_file is not None:
        names = name_step.read_names_file(names_file)
        atomic_write_json(folder / "names.json", {"names": names, "k": len(names),
                                                  "criterion": config["criterion"], "source": "file",
                                                  "file": str(names_file)})
    else:
        names = current_names(study, run)
    _check_clustering_is_ours(study, run)
    ids, texts = descriptions(study, config["describer"])
    records, summary = ask_cached(client, folder / "assign.jsonl",
                                  assign_step.assign_requests(texts, config["criterion"], names, prompts),
                                  progress=progress, desc="ictc assign")
    frame = assign_step.map_assignments(ids, records, names, cutoff)
    atomic_write_csv(folder / "assignments.csv", frame)
    config["k"] = len(names)
    config.setdefault("steps", {})["assign"] = {**_client_info(client), "at": now_iso(), "cutoff": cutoff}
    _add_tokens(config, "assign", summary.tokens)
    atomic_write_json(folder / "config.json", config)
    counts = assign_step.match_counts(frame)
    write_clustering(study, run, config, names, frame, counts, prompts, cutoff)
    lines = ["assign: " + line for line in summary.lines()]
    lines.append("assign: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    odd = frame[frame["match"].isin(["unrecognised", "ambiguous"])]
    lines += [f"assign: unrecognised answer ({r.image_id}): {r.answer[:80]!r}" for r in odd.head(5).itertuples()]
    return StepResult(lines, summary.tokens)


def _check_clustering_is_ours(study: Study, run: str) -> None:
    params = study.clustering_dir(run) / "params.json"
    if params.is_file():
        method = (study.read_clustering_json(run, "params.json").get("clusterer") or {}).get("method")
        if method != "ictc":
            raise UserError(f"clustering {run!r} exists and was not made by IC|TC: choose another --run")


def write_clustering(study: Study, run: str, config: dict, names: list[str], frame: pd.DataFrame,
                     counts: dict, prompts: dict, cutoff: float) -> Path:
    """``clusterings/<run>/``: labels, the names as keywords, params, summary, names.csv, answers.csv."""
    from semclust.pipeline.cluster import cluster_summary

    labels = frame["cluster"].to_numpy(dtype=int)
    keywords = pd.DataFrame({"cluster": range(len(names)), "rank": 1, "term": names, "score": 1.0})
    unassigned = {k: v for k, v in counts.items() if k not in assign_step.MATCHED}
    summary = {**cluster_summary(labels), "keywords_source": "ictc names",
               "names": {str(i): n for i, n in enumerate(names)}, "unassigned": unassigned}
    params = {"clustering_id": run, "clusterer": {"method": "ictc"},
              "criterion": config["criterion"], "names": list(names), "k": len(names),
              "describer": config["describer"], "criteria_dir": f"criteria/{run}",
              "min_count": config.get("min_count"), "steps": config.get("steps", {}),
              "matching": {"rules": "text after the last 'Answer:', first line; exact, normalised "
                                    "(casefold, no punctuation, no a/an/the), then difflib close match; "
                                    "anything else -1", "cutoff": cutoff, "counts": counts},
              "prompts": prompts, "tokens": config.get("tokens", {}),
              "keywords": {"source": "ictc names"}, "toolkit_version": toolkit_version()}
    folder = study.clustering_dir(run)
    with study.lock(f"clustering/{run}", f"clustering {run}"):  # the whole folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "labels.csv").unlink(missing_ok=True)  # incomplete until rewritten last
        atomic_write_csv(folder / "names.csv", pd.DataFrame({"cluster": range(len(names)), "name": names}))
        atomic_write_csv(folder / "answers.csv", frame)
        study.write_clustering(run, pd.DataFrame({"image_id": frame["image_id"], "cluster": labels}),
                               params, keywords, summary, provenance("ictc", descriptions=config["describer"],
                                                                     libraries=("openai",)))
    return folder


def total_tokens(study: Study, run: str) -> dict:
    """Tokens of every step of a run so far (``config.json``), and their sum under ``all``."""
    tokens = read_config(study, run).get("tokens", {})
    total = {n: int(np.sum([t.get(n, 0) for t in tokens.values()])) for n in ("prompt", "completion", "total")}
    return {**tokens, "all": total}
