"""Step 2b of IC|TC: the label counts -> exactly K cluster names, with at most 2 corrections."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from semclust.pipeline.ictc.prompting import messages
from semclust.pipeline.model_answers import read_names
from semclust.study import UserError

#: How many times the model is asked again when its answer does not hold exactly K names.
MAX_CORRECTIONS = 2


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
        names = read_names(answer)  # commentary never fills a slot: K counts names as read
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
