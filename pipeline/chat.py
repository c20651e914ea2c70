"""Chat: text-only calls to an OpenAI-compatible chat-completions endpoint, cached and resumable.

This module owns what every OpenAI-compatible caller shares, so the ``openai``
describer (:mod:`semclust.pipeline.describers.openai_api`) and the text chat
client below behave alike:

- **Retries**: 429, 408, 409, 5xx, timeouts and connection errors are retried up
  to ``max_retries`` times (:func:`request_with_retries`). The wait is the
  server's ``Retry-After`` (or ``retry-after-ms``) when it sends one, else
  ``backoff_base * 2**attempt`` seconds times a random factor in [0.5, 1], both
  capped at ``backoff_max`` (:func:`backoff_delay`). Other failures (other 4xx,
  a malformed or empty answer) are not retried: they are recorded with their error.
- **Timeouts**: ``timeout`` seconds per request (the SDK's own retries are off).
- **Bounded concurrency**: at most ``concurrency`` requests in flight, on an
  asyncio loop in a background thread; results come back in completion order
  (:func:`run_bounded`) so the caller saves each one at once.
- **Token accounting**: :func:`~semclust.pipeline.answer_store.usage_tokens` reads ``prompt``/``completion``/``total``
  from each answer; callers sum them per run.

:class:`ChatClient` sends system + user messages; :func:`ask_cached` keeps every
answer in a JSONL file keyed by ``(model, messages, params)`` (appended and
fsynced per answer), so a killed run resumes without repeating a call.
"""
from __future__ import annotations

import asyncio
import email.utils
import json
import os
import queue
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from semclust.pipeline.answer_store import (
    AnswerCounts,
    ModelAnswer,
    RecordWriter,
    capped_answer,
    parse_completion,
)
from semclust.study import UserError, iter_jsonl, now_iso

_NO_KEY = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) ignore the key


# --- shared by every OpenAI-compatible caller ----------------------------------------------
def resolve_api_key(base_url: str | None, api_key_env: str = "OPENAI_API_KEY") -> str:
    """The API key from environment variable ``api_key_env``.

    A missing key is an error only for the official API (no ``base_url``);
    local OpenAI-compatible servers get a placeholder.
    """
    key = os.environ.get(api_key_env, "").strip()
    if key:
        return key
    if base_url:
        return _NO_KEY
    raise UserError(f"no API key: set the environment variable {api_key_env} "
                    "(or name another one with --api-key-env, or give --base-url for a local server)")


def retry_after_seconds(headers) -> float | None:
    """Seconds the server asks us to wait (``retry-after-ms`` or ``Retry-After``), or None.

    ``Retry-After`` may be a number of seconds or an HTTP date (RFC 9110).
    """
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, retry_after: float | None, base: float, cap: float,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    if retry_after is not None:
        return min(retry_after, cap)
    jitter = (rng or random).uniform(0.5, 1.0)
    return min(base * 2 ** attempt, cap) * jitter


def classify_error(exc: Exception) -> tuple[bool, str, float | None]:
    """``(retryable, message, retry_after_seconds)`` for a failed request."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return True, "request timed out", None
    if isinstance(exc, openai.APIConnectionError):
        return True, f"connection error: {exc}", None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = f"HTTP {status}: {str(exc)[:200]}"
        retryable = status in (408, 409, 429) or status >= 500
        return retryable, message, retry_after_seconds(getattr(exc.response, "headers", None))
    return False, f"malformed answer: {type(exc).__name__}: {str(exc)[:200]}", None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (see the module docstring)."""

    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0


async def request_with_retries(call: Callable[[], Awaitable], policy: RetryPolicy):
    """``(response, None)`` after the first success of ``call()``, or ``(None, error message)``."""
    error = "no attempt made"
    for attempt in range(policy.max_retries + 1):
        try:
            return await call(), None
        except Exception as exc:  # noqa: BLE001 - classified below
            retryable, error, wait = classify_error(exc)
            if not retryable or attempt == policy.max_retries:
                if retryable:
                    error = f"{error} (gave up after {attempt + 1} attempts)"
                return None, error
            await asyncio.sleep(backoff_delay(attempt, wait, policy.backoff_base, policy.backoff_max))
    return None, error  # pragma: no cover - the loop always returns


def open_client(base_url: str | None, api_key: str, timeout: float):
    """An ``openai.AsyncOpenAI`` client with the SDK's own retries off (ours are above)."""
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


def run_bounded(items: list, one: Callable, make_client: Callable, concurrency: int,
                name: str = "chat") -> Iterator:
    """Yield ``await one(client, item)`` for every item, in completion order.

    At most ``concurrency`` calls run at once on an asyncio loop in a background
    thread. When the consumer stops early, calls not yet started are dropped.
    """
    out: queue.Queue = queue.Queue()
    stop = threading.Event()

    async def run_all() -> None:
        client = make_client()
        gate = asyncio.Semaphore(concurrency)

        async def guarded(item) -> None:
            async with gate:
                if not stop.is_set():
                    out.put(await one(client, item))

        try:
            await asyncio.gather(*(guarded(item) for item in items))
        except BaseException as exc:  # noqa: BLE001 - a bug, not a request failure; re-raised
            out.put(exc)
        finally:
            await client.close()

    worker = threading.Thread(target=lambda: asyncio.run(run_all()), name=name, daemon=True)
    worker.start()
    try:
        for _ in range(len(items)):
            result = out.get()
            if isinstance(result, BaseException):
                raise result
            yield result
    finally:
        stop.set()  # requests not yet started are dropped; in-flight ones end on their own


# --- the text chat client ----------------------------------------------------------------------
def messages_of(system: str | None, user: str) -> list[dict]:
    """The message list of one request: an optional system message, then the user message."""
    return ([{"role": "system", "content": system}] if system else []) + \
        [{"role": "user", "content": user}]


class EndpointClient:
    """What every caller of an OpenAI-compatible endpoint holds, checked once.

    Attributes: ``model``, ``base_url``, ``api_key``, ``concurrency``, ``timeout``
    (seconds per request), ``policy`` (:class:`RetryPolicy`) and ``params`` (the
    generation parameters sent with, and recorded for, every request:
    ``max_tokens``, ``temperature``). ``what`` names the caller in errors.
    """

    def __init__(self, model, base_url, api_key_env, concurrency, timeout, max_retries, backoff_base,
                 backoff_max, max_tokens, temperature, what: str):
        if not model:
            raise UserError(f"{what} needs --model (the model name the server serves)")
        if concurrency < 1 or max_retries < 0 or timeout <= 0 or max_tokens < 1:
            raise UserError("--concurrency, --timeout and --max-tokens must be positive "
                            "and --max-retries at least 0")
        self.model = model
        self.base_url = base_url
        self.api_key = resolve_api_key(base_url, api_key_env)
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self.policy = RetryPolicy(int(max_retries), float(backoff_base), float(backoff_max))
        self.params = {"max_tokens": int(max_tokens), "temperature": float(temperature)}


class ChatClient(EndpointClient):
    """Ask an OpenAI-compatible chat-completions endpoint text-only questions.

    Parameters are those of the ``openai`` describer: ``model``, ``base_url``
    (None = the OpenAI API), ``api_key_env``, ``concurrency`` (default 8),
    ``timeout`` (seconds per request, default 120), ``max_retries`` (default 5),
    ``backoff_base``/``backoff_max`` (seconds, defaults 1 and 60), ``max_tokens``
    (default 256) and ``temperature`` (default 0). ``params`` holds the
    generation parameters sent with (and recorded for) every request.
    """

    backend = "openai"

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8, timeout: float = 120.0,
                 max_retries: int = 5, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 max_tokens: int = 256, temperature: float = 0.0):
        super().__init__(model, base_url, api_key_env, concurrency, timeout, max_retries, backoff_base,
                         backoff_max, max_tokens, temperature, what="a chat")

    def chat(self, requests: list[tuple[str, list[dict]]]) -> Iterator[ModelAnswer]:
        """Yield one :class:`ModelAnswer` per ``(key, messages)``, in completion order."""
        import openai  # noqa: F401 - fail here, not in the worker thread

        return run_bounded(list(requests), self._one,
                           lambda: open_client(self.base_url, self.api_key, self.timeout),
                           self.concurrency, name="chat")

    async def _one(self, client, request) -> ModelAnswer:
        key, messages = request
        start = time.monotonic()
        response, error = await request_with_retries(
            lambda: client.chat.completions.create(model=self.model, messages=messages, **self.params),
            self.policy)
        if response is None:
            return ModelAnswer(key, error=error, latency_s=time.monotonic() - start)
        return parse_completion(key, response, time.monotonic() - start)


# --- the cache ---------------------------------------------------------------------------------
def chat_cache_key(model: str, messages: list[dict], params: dict) -> str:
    """The cache key of one request: canonical JSON of ``[model, messages, params]``."""
    return json.dumps([model, messages, params], sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class ChatSummary(AnswerCounts):
    """Counts of one :func:`ask_cached` call (:class:`~semclust.pipeline.answer_store.AnswerCounts`
    plus the requests in all and those answered from the cache)."""

    path: Path
    total: int = 0
    cached: int = 0

    def lines(self) -> list[str]:
        return [(f"{self.total} requests -> {self.path.name}: asked {self.done + self.failed} "
                 f"(failed {self.failed}), from cache {self.cached}"),
                self.token_line(), *self.problem_lines(self.path.name)]


def load_chat_cache(path: Path) -> dict:
    """Latest record per cache key of a chat JSONL file ({} when there is none)."""
    path = Path(path)
    if not path.is_file():
        return {}
    out = {}
    for rec in iter_jsonl(path):
        out[chat_cache_key(rec.get("model"), rec.get("messages"), rec.get("params") or {})] = rec
    return out


def record_ok(record: dict) -> bool:
    """True when a chat record holds an answer (non-empty text, no error)."""
    return not record.get("error") and isinstance(record.get("text"), str) and bool(record["text"].strip())


def ask_cached(client: ChatClient, path: Path, requests: Iterable[tuple[str, list[dict]]],
               retry_failed: bool = True, progress: bool = False, desc: str = "chat"):
    """Answer every ``(key, messages)``, asking only what ``path`` does not hold yet.

    Every answer is appended to ``path`` (JSONL, fsynced) the moment it
    arrives, with fields ``key, model, messages, params, text, error,
    created_at, latency_s, tokens``. A request whose ``(model, messages,
    params)`` has a successful record is never asked again; one whose latest
    record failed is asked again unless ``retry_failed`` is False.

    Returns ``({key: record}, ChatSummary)``.
    """
    import sys

    from tqdm import tqdm


    requests = list(requests)
    path = Path(path)
    cache = load_chat_cache(path)
    summary = ChatSummary(path, total=len(requests))
    records, to_ask = {}, []
    for key, messages in requests:
        rec = cache.get(chat_cache_key(client.model, messages, client.params))
        if rec is not None and (record_ok(rec) or not retry_failed):
            records[key] = dict(rec, key=key)
            summary.cached += 1
        else:
            to_ask.append((key, messages))
    if not to_ask:
        return records, summary
    by_key = dict(to_ask)
    bar = tqdm(total=len(to_ask), desc=desc, unit="req", disable=not progress, file=sys.stderr)
    with RecordWriter(path) as writer:
        for answer in client.chat(to_ask):
            text, cut = capped_answer(answer.text if answer.ok else None)
            rec = {"key": answer.key, "model": client.model, "messages": by_key[answer.key],
                   "params": client.params, "text": text, **cut,
                   "error": None if answer.ok else (answer.error or "empty answer"),
                   "created_at": now_iso(), "latency_s": round(answer.latency_s, 4),
                   "tokens": answer.tokens}
            writer.write(rec)
            records[answer.key] = rec
            summary.count(rec, answer.tokens, answer.key)
            bar.update(1)
    bar.close()
    return records, summary
