"""The ``openai`` describer: any OpenAI-compatible chat-completions endpoint.

Works with the OpenAI API and with servers that speak its protocol (vLLM,
Ollama, llama.cpp server, LM Studio, ...). Each image travels as a base64 data
URL next to the prompt in one user message. Requests run concurrently (at most
``concurrency`` in flight) on an asyncio loop in a background thread; results
are yielded in completion order so the caller can save each one at once.

Retries, timeouts, bounded concurrency and token accounting are shared with
the text chat client and live in :mod:`semclust.pipeline.chat`: 429, 5xx,
timeouts and connection errors are retried up to ``max_retries`` times. The
wait is the server's ``Retry-After`` (or ``retry-after-ms``) when it sends one,
else ``backoff_base * 2**attempt`` seconds times a random factor in [0.5, 1],
both capped at ``backoff_max``. Other failures (4xx, a malformed or empty
answer, an unreadable image) are not retried: they become a Description with
``error`` set.
"""
from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator

from semclust.pipeline.answer_store import parse_completion
from semclust.pipeline.chat import (
    EndpointClient,
    backoff_delay,
    classify_error,
    open_client,
    request_with_retries,
    resolve_api_key,
    retry_after_seconds,
    run_bounded,
)
from semclust.pipeline.describers import Description, ImageItem, load_image_bytes

__all__ = [
    "OpenAIDescriber",
    "backoff_delay",
    "resolve_api_key",
    "retry_after_seconds",
]

_INLINE_LOAD_BYTES = 2 << 20  # smaller images are read on the event loop itself


class OpenAIDescriber(EndpointClient):
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
        super().__init__(model, base_url, api_key_env, concurrency, timeout, max_retries, backoff_base,
                         backoff_max, max_tokens, temperature, what="the openai backend")
        import openai  # noqa: F401 - import now (slow, once) rather than inside the first request

    # --- the protocol -----------------------------------------------------
    def describe(self, items: list[ImageItem], prompt: str) -> Iterator[Description]:
        """Yield one Description per item, in completion order."""
        return run_bounded(list(items), lambda client, item: self._describe_one(client, item, prompt),
                           lambda: open_client(self.base_url, self.api_key, self.timeout),
                           self.concurrency, name="openai-describer")

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
        response, error = await request_with_retries(
            lambda: client.chat.completions.create(model=self.model, messages=messages, **self.params),
            self.policy)
        if response is None:
            return Description(item.image_id, error=error, latency_s=time.monotonic() - start)
        return parse_completion(item.image_id, response, time.monotonic() - start)

    _classify = staticmethod(classify_error)
