"""Step 2b of IC|TC: the label counts -> exactly K cluster names, with at most 2 corrections."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from semclust.pipeline.classes import NONE_ANSWERS, normalise
from semclust.pipeline.ictc.prompting import STRIP_CHARS, messages
from semclust.pipeline.study import UserError

#: How many times the model is asked again when its answer does not hold exactly K names.
MAX_CORRECTIONS = 2
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)]|\(\d+\))\s+")


def parse_names(text) -> list[str]:
    """The distinct names of an answer, in order.

    Lines starting with a bullet (``-``, ``*``, ``•``) or a number (``1.``,
    ``1)``, ``(1)``) are the names, with the marker removed; when no line has
    one, every non-empty line is a name. Names are stripped of quotes,
    asterisks and a final full stop; a name whose :func:`~semclust.pipeline.classes.normalise`
    form repeats an earlier one, is empty or means "none" is dropped.

    >>> parse_names("Here they are:\\n1. Joy\\n2. fear.\\n3. joy\\nHope this helps!")
    ['Joy', 'fear']
    """
    if not isinstance(text, str):
        return []
    lines = [line for line in text.splitlines() if line.strip()]
    marked = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    names, seen = [], set()
    for line in marked or lines:
        name = line.strip(STRIP_CHARS)
        key = normalise(name)
        if key and key not in seen and key not in NONE_ANSWERS:
            names.append(name)
            seen.add(key)
    return names


def counts_text(counts: pd.DataFrame) -> str:
    """The kept labels as prompt lines: ``- <label> (<count>)``."""
    kept = counts[counts["kept"]]
    return "\n".join(f"- {row.label} ({row.count})" for row in kept.itertuples())


@dataclass
class NamesResult:
    """The names, and every answer the model gave on the way (``answers``)."""

    names: list
    answers: list = field(default_factory=list)
    corrections: int = 0


def ask_names(ask, counts: pd.DataFrame, criterion: str, k: int, prompts: dict,
              max_corrections: int = MAX_CORRECTIONS) -> NamesResult:
    """Ask for exactly ``k`` names; correct the model at most ``max_corrections`` times.

    ``ask(key, messages) -> record`` answers one conversation (cached). Each
    correction continues the conversation: the model's answer, then the
    ``correct`` prompt naming what was wrong. Raises UserError (with the last
    answer) when no answer holds exactly ``k`` distinct names.
    """
    if k < 2:
        raise UserError(f"--k must be at least 2, got {k}")
    if not counts["kept"].any():
        raise UserError("no label is left to name: every label was seen fewer than --min-count "
                        "times (lower --min-count) or step 2a gave no labels")
    conversation = messages(prompts, "names", criterion=criterion, k=k, label_counts=counts_text(counts))
    result = NamesResult([])
    for attempt in range(max_corrections + 1):
        rec = ask(f"names-{attempt}", conversation)
        if rec.get("error"):
            raise UserError(f"asking for the {k} names failed: {rec['error']}")
        answer = rec.get("text") or ""
        result.answers.append(answer)
        names = parse_names(answer)
        if len(names) == k:
            result.names, result.corrections = names, attempt
            return result
        correction = prompts["correct"].format(k=k, n_found=len(names),
                                               found=", ".join(names) or "none")
        conversation = conversation + [{"role": "assistant", "content": answer},
                                       {"role": "user", "content": correction}]
    raise UserError(f"the model did not give exactly {k} distinct names after {max_corrections} "
                    f"correction(s); its last answer ({len(names)} names): {answer!r}")


def read_names_file(path) -> list[str]:
    """Names the researcher wrote: a ``.json`` list (or ``{"names": [...]}``) or one name per line."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise UserError(f"names file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON: {exc}") from None
        data = data.get("names") if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise UserError(f"{path}: expected a list of names or {{\"names\": [...]}}")
        names = [x.strip() for x in data if x.strip()]
    else:
        names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return check_names(names, str(path))


def check_names(names: list[str], source: str) -> list[str]:
    """``names`` if there are at least 2 and they differ after normalising; else UserError."""
    from semclust.pipeline.classes import ClassSpec, check_classes

    check_classes([ClassSpec(n) for n in names], source)
    return list(names)
