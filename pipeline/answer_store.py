"""The one store of model answers: every LLM/VLM answer, per request, in an append-only JSONL file.

``describe`` (one answer per image) and the chat steps (IC|TC, ``name``,
``classify vlm`` through describe) keep what a model said the same way:

- :class:`ModelAnswer`: one answer (``text`` or ``error``, ``latency_s``, ``tokens``),
  parsed from an OpenAI-compatible response by :func:`parse_completion`;
- :func:`capped_answer`: stored texts are at most :data:`MAX_ANSWER_CHARS` characters
  (the generation limit is only a request a server may ignore);
- :class:`RecordWriter`: each record appended, flushed and fsynced the moment it
  arrives, so a killed run loses nothing it was told and resumes from the file;
- :class:`AnswerCounts`: the counts every run summary shares (done, failed, cut,
  tokens as :data:`TOKEN_KINDS`, first errors).

What a cache key is differs by step (an image's sha256 + model + prompt +
params for describe; model + messages + params for chat) and stays with the step.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_KINDS = ("prompt", "completion", "total")


def no_tokens() -> dict:
    """``{"prompt": 0, "completion": 0, "total": 0}``: the token counts of nothing."""
    return dict.fromkeys(TOKEN_KINDS, 0)


def add_tokens(total: dict, tokens: dict | None) -> dict:
    """Add ``tokens`` (missing kinds count 0) into ``total`` in place; returns ``total``."""
    for kind in TOKEN_KINDS:
        total[kind] = int(total.get(kind) or 0) + int((tokens or {}).get(kind) or 0)
    return total


def usage_tokens(response) -> dict:
    """``{"prompt", "completion", "total"}`` of a response's ``usage`` ({} when it has none)."""
    usage = getattr(response, "usage", None)
    if usage is None:
        return {}
    return {"prompt": getattr(usage, "prompt_tokens", None),
            "completion": getattr(usage, "completion_tokens", None),
            "total": getattr(usage, "total_tokens", None)}


@dataclass
class ModelAnswer:
    """One model answer. ``key`` names the request (an image id for describe).

    ``text`` is None when ``error`` says why there is no answer; ``latency_s``
    is wall-clock seconds spent on it (all attempts); ``tokens`` holds
    ``prompt``, ``completion`` and ``total`` counts when known.
    """

    key: str
    text: str | None = None
    error: str | None = None
    latency_s: float = 0.0
    tokens: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.text and self.text.strip())

    @property
    def image_id(self) -> str:
        """The key, under the name describers use for it."""
        return self.key


def parse_completion(key: str, response, latency_s: float) -> ModelAnswer:
    """A chat-completions response as a :class:`ModelAnswer` (an error when empty or malformed)."""
    tokens = usage_tokens(response)
    try:
        choice = response.choices[0]
        text = choice.message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        return ModelAnswer(key, error=f"malformed answer: {str(response)[:200]!r}", latency_s=latency_s,
                           tokens=tokens)
    if not isinstance(text, str) or not text.strip():
        reason = getattr(choice, "finish_reason", None)
        return ModelAnswer(key, error=f"empty answer (finish_reason={reason})", latency_s=latency_s,
                           tokens=tokens)
    return ModelAnswer(key, text=text.strip(), latency_s=latency_s, tokens=tokens)


MAX_ANSWER_CHARS = 20_000  # longest model answer stored (a paragraph is ~1,000); servers may ignore max_tokens


def capped_answer(text: str | None) -> tuple[str | None, dict]:
    """``(text, fields)``: ``text`` cut to :data:`MAX_ANSWER_CHARS` characters.

    ``fields`` is ``{"truncated": True, "original_chars": n}`` for a cut answer,
    else ``{}``. The generation limit (``max_tokens``) is only a request to the
    server; this is what is enforced.

    >>> capped_answer("short")
    ('short', {})
    >>> text, fields = capped_answer("x" * 25_000); len(text), fields
    (20000, {'truncated': True, 'original_chars': 25000})
    """
    if not isinstance(text, str) or len(text) <= MAX_ANSWER_CHARS:
        return text, {}
    return text[:MAX_ANSWER_CHARS], {"truncated": True, "original_chars": len(text)}


def truncation_line(n: int) -> str:
    """The summary line for ``n`` cut answers."""
    return (f"{n} answer(s) were longer than {MAX_ANSWER_CHARS:,} characters and were cut (the server "
            "ignored the generation limit; the records say truncated and the original length)")


@dataclass(kw_only=True)
class AnswerCounts:
    """What every run over model answers counts: answers got now (``done``/``failed``), answers
    cut (``truncated``), the tokens they cost, and ``errors`` as (key, name, message)."""

    done: int = 0
    failed: int = 0
    truncated: int = 0
    tokens: dict = field(default_factory=no_tokens)
    errors: list = field(default_factory=list)

    def count(self, record: dict, tokens: dict | None, key: str = "", name: str = "") -> None:
        """Count one stored record (``error``, ``truncated``) and the tokens its answer cost."""
        if record.get("error"):
            self.failed += 1
            self.errors.append((key, name or key, record["error"]))
        else:
            self.done += 1
        self.truncated += bool(record.get("truncated"))
        add_tokens(self.tokens, tokens)

    def token_line(self) -> str:
        t = self.tokens
        return f"tokens: {t['total']} (prompt {t['prompt']}, completion {t['completion']})"

    def problem_lines(self, where: str) -> list[str]:
        """The cut answers and the first five errors (``where`` names the file of the rest)."""
        out = [truncation_line(self.truncated)] if self.truncated else []
        out += [f"error: {name} ({key}): {message}" if name != key else f"error ({key}): {message}"
                for key, name, message in self.errors[:5]]
        if len(self.errors) > 5:
            out.append(f"... and {len(self.errors) - 5} more errors (see {where})")
        return out


class RecordWriter:
    """Append JSON records to a ``.jsonl`` file; each one flushed and (by default) fsynced.

    ``fsync=False`` only flushes (for answers that cost nothing to redo, such
    as a file import); the file is fsynced once on close.
    """

    def __init__(self, path: Path, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = False
        if self.path.is_file() and self.path.stat().st_size:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                torn = fh.read(1) != b"\n"
        self._fh = open(self.path, "a", encoding="utf-8")
        if torn:  # a killed run left half a line: end it so the next record stands alone
            self._fh.write("\n")

    def write(self, record: dict) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
