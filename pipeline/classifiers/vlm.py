"""Zero-shot by asking a vision-language model: "Answer with exactly one of: ...".

The question is generated from the classes (:func:`semclust.pipeline.classes.vlm_prompt`)
and asked through the describe machinery (:func:`semclust.pipeline.describe.describe_study`:
cache, resume, retries, token counts), so the answers are ordinary records in
``descriptions/classify-<backend>-<model>-<hash>.jsonl`` (the hash covers the
prompt, hence the classes). Each answer is mapped to a class by
:func:`semclust.pipeline.classes.match_answer` (exact, normalised, then a
close-string match with ratio >= ``cutoff``); anything else is -1 and counted
by reason in ``answers.csv``, ``params.json`` and ``summary.json``.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from semclust.pipeline.classes import DEFAULT_CUTOFF, keyword_texts, vlm_prompt
from semclust.pipeline.classifiers.classify import Prediction
from semclust.pipeline.model_answers import map_reply
from semclust.pipeline.registry import Classifier, Param, choice, number, text
from semclust.study import check_id

#: Columns of ``answers.csv``: every image's answer and the class it was mapped to.
ANSWER_COLUMNS = ["image_id", "answer", "cluster", "class", "match"]
#: Default answer length: a class name needs a few tokens.
DEFAULT_MAX_TOKENS = 32


def describer_id(backend: str, model: str, prompt: str) -> str:
    """``classify-<backend>-<model>-<6 hex>``: where the answers are kept (the hash covers the prompt)."""
    from semclust.pipeline.describe import default_describer_id

    return check_id("describer", f"classify-{default_describer_id(backend, model, prompt)}")


def map_answers(image_ids: list[str], records: pd.DataFrame, classes, cutoff: float) -> pd.DataFrame:
    """One row per image: its answer, class index (-1 = none) and how it was matched.

    ``match`` is exact, normalised or close (a class), or none, empty,
    ambiguous, unrecognised (the answer gave no class), failed (the request
    failed; its error in ``answer``) or not asked (e.g. ``--limit``).
    """
    by_id = {str(r["image_id"]): r for r in records.to_dict("records")}
    rows = []
    for image_id in image_ids:
        record = by_id.get(image_id)
        if record is None:
            index, how, answer = -1, "not asked", ""
        elif isinstance(record.get("error"), str) and record["error"]:
            empty = record["error"].startswith("empty answer")
            index, how, answer = -1, "empty" if empty else "failed", "" if empty else record["error"]
        else:
            answer = record.get("text") or ""
            index, how = map_reply(answer, classes, cutoff)
        rows.append({"image_id": image_id, "answer": answer, "cluster": index,
                     "class": classes[index].name if index >= 0 else "", "match": how})
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)


def predict(study, classes, params: dict, runtime: dict, echo):
    from semclust.pipeline.describe import describe_study, study_items
    from semclust.pipeline.describers import get_describer

    prompt = vlm_prompt(classes)
    options = dict(runtime.get("describer_options") or {})
    describer = get_describer(params["backend"], model=params["model"], **options)
    answers_id = runtime.get("describer_id") or describer_id(params["backend"], params["model"], prompt)
    described = describe_study(study, describer, prompt=prompt, describer_id=answers_id,
                               retry_failed=runtime.get("retry_failed", False),
                               limit=runtime.get("limit"), progress=runtime.get("progress", True))
    lines = described.lines()
    ids = [item.image_id for item in study_items(study)]
    if described.nothing_succeeded:
        return Prediction(ids, np.full(len(ids), -1), lines=lines, ok=False)
    answers = map_answers(ids, study.read_descriptions(answers_id), classes, params["cutoff"])
    labels = answers["cluster"].to_numpy(dtype=int)
    counts = dict(Counter(answers["match"]))
    unassigned = {k: int(v) for k, v in counts.items() if k not in ("exact", "normalised", "close")}
    lines.append("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    odd = answers[answers["match"].isin(["unrecognised", "ambiguous"])]
    lines += [f"unrecognised answer ({r.image_id}): {r.answer[:80]!r}" for r in odd.head(5).itertuples()]
    texts, source = keyword_texts(study, ids, runtime.get("keywords_from"))
    if texts is None:
        lines.append(source)
    return Prediction(
        image_ids=ids, labels=labels,
        info={"model": params["model"],
              "describer": {"id": answers_id, "backend": describer.backend, "model": describer.model,
                            "params": describer.params, "prompt": prompt},
              "matching": {"rules": "exact, normalised (casefold, no punctuation, no a/an/the), "
                                    "then difflib close match", "cutoff": params["cutoff"],
                           "counts": {k: int(v) for k, v in counts.items()}},
              "tokens": described.tokens},
        unassigned=unassigned, texts=texts, keywords_source=source,
        extra={"answers.csv": answers}, lines=lines)


def _subject(p: dict) -> str:
    from semclust.pipeline.embedders import short_name

    return f"{p['backend']}-{short_name(p['model'])}"


CLASSIFIER = Classifier(
    name="vlm",
    params=(Param("backend", choice("openai", "hf"), doc="describe backend that asks the model"),
            Param("model", text("a model name or folder"), doc="the vision-language model"),
            Param("cutoff", number(0, 1), default=DEFAULT_CUTOFF,
                  doc="lowest difflib ratio of a close match to a class name or alias")),
    step_id=lambda p: "classify-vlm",
    doc="ask a vision-language model to answer with one class name; answers mapped, never guessed",
    subject=_subject, predict=predict,
)
