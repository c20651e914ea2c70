"""Step 2a of IC|TC: one short label per description for the criterion, and their counts."""
from __future__ import annotations

import math

import pandas as pd

from semclust.pipeline.ictc.prompting import messages
from semclust.pipeline.model_answers import read_answer

#: Columns of ``criteria/<run>/labels.csv``.
LABEL_COLUMNS = ["image_id", "label", "status", "answer"]
#: Columns of ``criteria/<run>/label_counts.csv``.
COUNT_COLUMNS = ["label", "count", "kept"]
#: Descriptions per unit of the default ``min_count`` (see :func:`default_min_count`).
MIN_COUNT_PER = 500


def default_min_count(n_descriptions: int) -> int:
    """Labels seen fewer times than this are dropped before naming: ``max(1, ceil(n / 500))``.

    So nothing is dropped up to 500 descriptions, singletons from 501 to 1000, and
    labels rarer than 0.2 % of the descriptions beyond.

    >>> [default_min_count(n) for n in (240, 501, 10_000)]
    [1, 2, 20]
    """
    return max(1, math.ceil(int(n_descriptions) / MIN_COUNT_PER))


def label_requests(texts: dict, criterion: str, prompts: dict) -> list[tuple[str, list[dict]]]:
    """``(image_id, messages)`` per description; ``texts`` maps image id -> description."""
    return [(image_id, messages(prompts, "label", criterion=criterion, description=text))
            for image_id, text in texts.items()]


def label_frame(image_ids: list[str], records: dict) -> pd.DataFrame:
    """``labels.csv``: per image its label (:func:`~semclust.pipeline.model_answers.read_answer`,
    casefolded), status and raw answer.

    ``status`` is ``ok``, ``no answer`` (no answer could be read from the reply), ``failed`` (the request failed; the error in ``answer``) or
    ``no description`` (the image has no description to label).
    """
    rows = []
    for image_id in image_ids:
        rec = records.get(image_id)
        if rec is None:
            rows.append({"image_id": image_id, "label": "", "status": "no description", "answer": ""})
        elif rec.get("error"):
            rows.append({"image_id": image_id, "label": "", "status": "failed", "answer": rec["error"]})
        else:
            label = read_answer(rec.get("text")).casefold()
            rows.append({"image_id": image_id, "label": label, "status": "ok" if label else "no answer",
                         "answer": rec.get("text") or ""})
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def label_counts(labels, min_count: int) -> pd.DataFrame:
    """``label_counts.csv``: each non-empty label, how often it was given, and whether it is kept.

    Sorted by count (descending), then label. ``kept`` is ``count >= min_count``.

    >>> label_counts(["joy", "joy", "fear", ""], 2).to_dict("records")
    [{'label': 'joy', 'count': 2, 'kept': True}, {'label': 'fear', 'count': 1, 'kept': False}]
    """
    counts = pd.Series([x for x in labels if isinstance(x, str) and x]).value_counts()
    frame = pd.DataFrame({"label": counts.index.astype(str), "count": counts.to_numpy(dtype=int)})
    frame = frame.sort_values(["count", "label"], ascending=[False, True]).reset_index(drop=True)
    frame["kept"] = frame["count"] >= int(min_count)
    return frame[COUNT_COLUMNS]
