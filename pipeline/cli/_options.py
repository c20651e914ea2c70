"""Options shared by several pipeline commands (not a command module: the leading _ skips it)."""
from __future__ import annotations

import functools

import click

_ENDPOINT = [
    click.option("--base-url", default=None, help="[openai] Endpoint, e.g. http://localhost:8000/v1."),
    click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True,
                 help="[openai] Environment variable that holds the API key."),
    click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
                 help="[openai] Requests in flight."),
    click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0,
                 show_default=True, help="[openai] Seconds per request."),
    click.option("--max-retries", type=click.IntRange(min=0), default=5, show_default=True,
                 help="[openai] Retries on 429/5xx/timeouts."),
    click.option("--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True,
                 help="[openai] First retry wait in seconds (doubles each retry) unless the "
                      "server sends Retry-After."),
]


def openai_endpoint(command):
    """Add the OpenAI-compatible endpoint options; the command receives them as one dict ``endpoint``.

    ``endpoint`` holds the keyword arguments of the openai describer and chat client:
    ``base_url, api_key_env, concurrency, timeout, max_retries, backoff_base``.
    """
    @functools.wraps(command)
    def wrapped(*args, base_url, api_key_env, concurrency, timeout, max_retries, backoff, **kwargs):
        endpoint = {"base_url": base_url, "api_key_env": api_key_env, "concurrency": concurrency,
                    "timeout": timeout, "max_retries": max_retries, "backoff_base": backoff}
        return command(*args, endpoint=endpoint, **kwargs)
    for option in reversed(_ENDPOINT):
        wrapped = option(wrapped)
    return wrapped


_HF_MODEL = [
    click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
                 help="[hf] Images per generate() call (halved on CUDA out-of-memory)."),
    click.option("--device", default="auto", show_default=True, help="[hf] cpu, cuda, cuda:1, ..."),
    click.option("--dtype", default="auto", show_default=True,
                 type=click.Choice(["auto", "float32", "float16", "bfloat16"]),
                 help="[hf] Weights dtype (auto: bfloat16 on GPU, float32 on CPU)."),
]


def hf_model(command):
    """Add the local transformers model options; the command receives them as one dict ``hf``
    (``batch_size, device, dtype``: keyword arguments of the hf describer)."""
    @functools.wraps(command)
    def wrapped(*args, batch_size, device, dtype, **kwargs):
        return command(*args, hf={"batch_size": batch_size, "device": device, "dtype": dtype}, **kwargs)
    for option in reversed(_HF_MODEL):
        wrapped = option(wrapped)
    return wrapped

