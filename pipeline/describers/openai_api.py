"""The ``openai`` describer: any OpenAI-compatible chat-completions endpoint.

Works with the OpenAI API and with servers that speak its protocol (vLLM,
Ollama, llama.cpp server, LM Studio, ...). Each image travels as a base64 data
URL next to the prompt in one user message. Requests run concurrently (at most
``concurrency`` in flight) on an asyncio loop in a background thread; results
are yielded in completion order so the caller can save each one at once.

Retries: 429, 5xx, timeouts and connection errors are retried up to
``max_retries`` times. The wait is the server's ``Retry-After`` (or
``retry-after-ms``) when it sends one, else ``backoff_base * 2**attempt``
seconds times a random factor in [0.5, 1], both capped at ``backoff_max``.
Other failures (4xx, a malformed or empty answer, an unreadable image) are not
retried: they become a Description with ``error`` set.
"""
from __future__ import annotations

import asyncio
import base64
import email.utils
import os
import queue
import random
import threading
import time
from typing import Iterator

from semclust.pipeline.describers import Description, ImageItem, load_image_bytes
from semclust.pipeline.study import UserError

_NO_KEY = "not-needed"
_INLINE_LOAD_BYTES = 2 << 20  # smaller images are read on the event loop itself  # local servers (vLLM, Ollama, llama.cpp) ignore the key


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


class OpenAIDescriber:
    """Describe images through an OpenAI-compatible chat-completions endpoint.

    Parameters
    ----------
    model : str
        Model name as the server knows it (``gpt-4o-mini``, ``llava-hf/llava-1.5-7b-hf``, ...).
    base_url : str, optional
        Endpoint root, e.g. ``http://localhost:8000/v1``; None = the OpenAI API.
    api_key_env : str
        Environment variable holding the key (default ``OPENAI_API_KEY``).
    concurrency : int
        Maximum requests in flight (default 8).
    timeout : float
        Seconds allowed for one request (default 120).
    max_retries : int
        Retries after the first attempt for 429/5xx/timeouts (default 5).
    backoff_base, backoff_max : float
        Exponential backoff start and cap in seconds (defaults 1 and 60).
    max_tokens : int
        Completion token limit (default 512).
    temperature : float
        Sampling temperature (default 0: the most reproducible answer).
    """

    backend = "openai"

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8, timeout: float = 120.0,
                 max_retries: int = 5, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 max_tokens: int = 512, temperature: float = 0.0):
        if not model:
            raise UserError("the openai backend needs --model (the model name the server serves)")
        if concurrency < 1 or max_retries < 0 or timeout <= 0 or max_tokens < 1:
            raise UserError("--concurrency, --timeout and --max-tokens must be positive "
                            "and --max-retries at least 0")
        self.model = model
        self.base_url = base_url
        self.api_key = resolve_api_key(base_url, api_key_env)
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.params = {"max_tokens": int(max_tokens), "temperature": float(temperature)}
        import openai  # noqa: F401 - import now (slow, once) rather than inside the first request

    # --- the protocol -----------------------------------------------------
    def describe(self, items: list[ImageItem], prompt: str) -> Iterator[Description]:
        """Yield one Description per item, in completion order."""
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(target=lambda: asyncio.run(self._run_all(items, prompt, out, stop)),
                                  name="openai-describer", daemon=True)
        worker.start()
        try:
            for _ in range(len(items)):
                result = out.get()
                if isinstance(result, BaseException):
                    raise result
                yield result
        finally:
            stop.set()  # requests not yet started are dropped; in-flight ones end on their own

    # --- the loop ---------------------------------------------------------
    async def _run_all(self, items, prompt, out: queue.Queue, stop: threading.Event) -> None:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout,
                             max_retries=0)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(item: ImageItem) -> None:
            async with gate:
                if stop.is_set():
                    return
                out.put(await self._describe_one(client, item, prompt))

        try:
            await asyncio.gather(*(one(item) for item in items))
        except BaseException as exc:  # pragma: no cover - a bug, not a request failure
            out.put(exc)
        finally:
            await client.close()

    async def _describe_one(self, client, item: ImageItem, prompt: str) -> Description:
        start = time.monotonic()
        try:
            if item.path.stat().st_size < _INLINE_LOAD_BYTES:
                data, mime = load_image_bytes(item.path)  # a thread hop costs more than this
            else:
                data, mime = await asyncio.to_thread(load_image_bytes, item.path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is recorded
            return Description(item.image_id, error=f"cannot read image {item.path.name}: {exc}",
                               latency_s=time.monotonic() - start)
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        messages = [{"role": "user", "content": [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": url}},
        ]}]
        error = "no attempt made"
        for attempt in range(self.max_retries + 1):
            try:
                response = await client.chat.completions.create(
                    model=self.model, messages=messages, **self.params)
            except Exception as exc:  # noqa: BLE001 - classified below
                retryable, error, wait = self._classify(exc)
                if not retryable or attempt == self.max_retries:
                    if retryable:
                        error = f"{error} (gave up after {attempt + 1} attempts)"
                    break
                await asyncio.sleep(backoff_delay(attempt, wait, self.backoff_base, self.backoff_max))
                continue
            return parse_answer(item.image_id, response, time.monotonic() - start)
        return Description(item.image_id, error=error, latency_s=time.monotonic() - start)

    @staticmethod
    def _classify(exc: Exception) -> tuple[bool, str, float | None]:
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


def parse_answer(image_id: str, response, latency_s: float) -> Description:
    """Turn a chat-completions response into a Description (an error if empty or malformed)."""
    tokens = {}
    usage = getattr(response, "usage", None)
    if usage is not None:
        tokens = {"prompt": getattr(usage, "prompt_tokens", None),
                  "completion": getattr(usage, "completion_tokens", None),
                  "total": getattr(usage, "total_tokens", None)}
    try:
        choice = response.choices[0]
        text = choice.message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        return Description(image_id, error=f"malformed answer: {str(response)[:200]!r}",
                           latency_s=latency_s, tokens=tokens)
    if not isinstance(text, str) or not text.strip():
        reason = getattr(choice, "finish_reason", None)
        return Description(image_id, error=f"empty answer (finish_reason={reason})",
                           latency_s=latency_s, tokens=tokens)
    return Description(image_id, text=text.strip(), latency_s=latency_s, tokens=tokens)
