"""The prompts of IC|TC: shipped text files, each overridable from a folder of the researcher's.

Prompt files (``str.format`` templates; fields in braces):

- ``system.txt``: the system message of every request (no fields);
- ``label.txt``: step 2a, fields ``{criterion}``, ``{description}``;
- ``names.txt``: step 2b, fields ``{criterion}``, ``{k}``, ``{label_counts}``;
- ``correct.txt``: step 2b's correction, fields ``{k}``, ``{n_found}``, ``{found}``;
- ``assign.txt``: step 3, fields ``{criterion}``, ``{description}``, ``{names}``.

A ``--prompt-dir`` folder may hold any of these files; the others are the shipped ones.
"""
from __future__ import annotations

import string
from pathlib import Path

from semclust.resources import resource_path
from semclust.study import UserError

#: Prompt file name -> the fields it must use.
PROMPT_FIELDS = {
    "system": set(),
    "label": {"criterion", "description"},
    "names": {"criterion", "k", "label_counts"},
    "correct": {"k", "n_found", "found"},
    "assign": {"criterion", "description", "names"},
}
#: Characters stripped from both ends of an answer: white space, quotes, markdown, full stops.


def shipped_prompt_dir() -> Path:
    """The folder of the shipped prompts."""
    return resource_path("pipeline", "ictc", "prompts")


def load_prompts(prompt_dir: str | Path | None = None) -> dict:
    """``{name: template}`` for every prompt; those in ``prompt_dir`` replace the shipped ones.

    Raises UserError when a template is not a valid format string or uses a
    field other than its own (see the module docstring); a template may leave
    out fields.
    """
    prompts = {}
    for name, allowed in PROMPT_FIELDS.items():
        path = shipped_prompt_dir() / f"{name}.txt"
        if prompt_dir is not None:
            if not Path(prompt_dir).is_dir():
                raise UserError(f"prompt folder not found: {prompt_dir}")
            if (Path(prompt_dir) / f"{name}.txt").is_file():
                path = Path(prompt_dir) / f"{name}.txt"
        text = path.read_text(encoding="utf-8").strip()
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise UserError(f"{path}: not a valid template: {exc} (write {{{{ and }}}} "
                            "for literal braces)") from None
        if not used <= allowed:
            raise UserError(f"{path}: unknown field(s) {', '.join(sorted(used - allowed))} "
                            f"(allowed: {', '.join(sorted(allowed)) or 'none'})")
        prompts[name] = text
    return prompts


def messages(prompts: dict, step: str, **fields) -> list[dict]:
    """The messages of one request: the system prompt, then the step's prompt filled in."""
    from semclust.pipeline.chat import messages_of

    return messages_of(prompts["system"], prompts[step].format(**fields))
