"""Step 3 of IC|TC: each description -> one of the K names, mapped without guessing.

Each reply is read and mapped by :func:`semclust.pipeline.model_answers.map_reply`:
its answer (after the last ``Answer:`` and the other shapes models write), then
exact, normalised, then a difflib close match with ratio >= ``cutoff``. "None"
answers, empty, unreadable, ambiguous and unrecognised answers, failed requests
and images without a description get -1 and are counted by reason. (The IC|TC reference code gives
such images a random cluster; this never does.)
"""
from __future__ import annotations

from collections import Counter

import pandas as pd

from semclust.pipeline.classes import ClassSpec
from semclust.pipeline.ictc.prompting import messages
from semclust.pipeline.model_answers import map_reply
from semclust.vocabulary import NOISE

#: Columns of ``criteria/<run>/assignments.csv`` (also the clustering's ``answers.csv``).
ASSIGN_COLUMNS = ["image_id", "answer", "cluster", "name", "match"]
#: ``match`` values that give a cluster.
MATCHED = ("exact", "normalised", "close")


def names_list(names: list[str]) -> str:
    """The names as prompt lines: ``- <name>``."""
    return "\n".join(f"- {name}" for name in names)


def assign_requests(texts: dict, criterion: str, names: list[str], prompts: dict):
    """``(image_id, messages)`` per description."""
    listed = names_list(names)
    return [(image_id, messages(prompts, "assign", criterion=criterion, description=text, names=listed))
            for image_id, text in texts.items()]


def map_assignments(image_ids: list[str], records: dict, names: list[str],
                    cutoff: float) -> pd.DataFrame:
    """One row per image: the raw answer, the cluster (-1 = none) and how it was matched.

    ``match`` is exact, normalised or close (a cluster); none, empty, ambiguous,
    unrecognised (the answer gave no cluster); failed (the request failed, its
    error in ``answer``) or no description.
    """
    classes = [ClassSpec(name) for name in names]
    rows = []
    for image_id in image_ids:
        rec = records.get(image_id)
        if rec is None:
            index, how, answer = NOISE, "no description", ""
        elif rec.get("error"):
            empty = str(rec["error"]).startswith("empty answer")
            index, how, answer = NOISE, "empty" if empty else "failed", "" if empty else rec["error"]
        else:
            answer = rec.get("text") or ""
            index, how = map_reply(answer, classes, cutoff)
        rows.append({"image_id": image_id, "answer": answer, "cluster": index,
                     "name": names[index] if index >= 0 else "", "match": how})
    return pd.DataFrame(rows, columns=ASSIGN_COLUMNS)


def match_counts(assignments: pd.DataFrame) -> dict:
    """``{match: number of images}``, e.g. ``{"exact": 230, "unrecognised": 3}``."""
    return {k: int(v) for k, v in sorted(Counter(assignments["match"]).items())}
