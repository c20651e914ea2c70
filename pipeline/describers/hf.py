"""The ``hf`` describer: a local transformers vision-language model.

Any model that loads with ``AutoModelForImageTextToText`` and ``AutoProcessor``
(LLaVA-1.5/1.6, Qwen2-VL, Idefics, ...), by hub name or local path. Images are
described in batches with greedy decoding and left padding. Items are sorted
by pixel size before batching: for dynamic-resolution models the number of
image tokens (hence the prompt length) follows the image size, so similar
lengths share a batch and little compute goes to padding; for fixed-resolution
models (LLaVA-1.5) every prompt has the same length anyway. On CUDA
out-of-memory the batch size is halved and the batch retried, down to 1.
While the GPU generates one group, the next group's images are decoded on a
CPU thread.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

from semclust.pipeline.describers import Description, ImageItem, chunks, load_image_rgb
from semclust.study import UserError

_PREFETCH_BATCHES = 4  # images decoded ahead = this x batch size


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA (or other accelerator) out-of-memory error."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def run_halving(pairs: list, run: Callable[[list], list], state: dict,
                is_oom: Callable[[BaseException], bool] = is_out_of_memory,
                on_oom: Callable[[], None] | None = None) -> Iterator[tuple[list, object]]:
    """Run ``run`` over consecutive sub-batches of ``pairs``, halving the size on OOM.

    ``state["batch_size"]`` is the current batch size; it is lowered in place
    on out-of-memory so later calls start from a size that fits. Yields
    ``(sub_batch, outputs)``, or ``(sub_batch, exception)`` when ``run``
    failed for another reason or ran out of memory at batch size 1.
    """
    start = 0
    while start < len(pairs):
        sub = pairs[start:start + state["batch_size"]]
        retry = False
        try:
            outputs = run(sub)
        except Exception as exc:  # noqa: BLE001 - classified here
            retry = is_oom(exc) and len(sub) > 1
            outputs = None if retry else exc
        if retry:  # outside the except block, so the failed batch's tensors can be freed
            state["batch_size"] = max(1, len(sub) // 2)
            state["oom_events"] = state.get("oom_events", 0) + 1
            if on_oom is not None:
                on_oom()
            continue
        yield sub, outputs
        start += len(sub)


class HFDescriber:
    """Describe images with a local transformers vision-language model.

    Parameters
    ----------
    model : str
        Hub name or local folder of the model and its processor.
    batch_size : int
        Images per ``generate()`` call at the start (halved on OOM).
    device : str
        ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ...
    dtype : str
        ``auto`` (bfloat16 on GPU, float32 on CPU), ``float32``, ``float16``, ``bfloat16``.
    max_new_tokens : int
        Longest answer in tokens (default 256).
    min_new_tokens : int, optional
        Shortest answer (benchmarks fix the generated length with min = max).
    cache_implementation : str, optional
        Passed to ``generate()`` (e.g. ``"static"`` for a static KV cache).
    loaded : tuple, optional
        ``(model, processor)`` already in memory (then ``model`` is only a label).
    """

    backend = "hf"

    def __init__(self, model: str | None = None, batch_size: int = 8, device: str = "auto",
                 dtype: str = "auto", max_new_tokens: int = 256, min_new_tokens: int | None = None,
                 cache_implementation: str | None = None, loaded: tuple | None = None):
        if not model:
            raise UserError("the hf backend needs --model (a hub name or a local model folder)")
        if batch_size < 1 or max_new_tokens < 1:
            raise UserError("--batch-size and --max-tokens must be at least 1")
        self.model = str(model)
        self.device = device
        self.dtype = dtype
        self.state = {"batch_size": int(batch_size)}
        self.params = {"max_new_tokens": int(max_new_tokens), "do_sample": False}
        if min_new_tokens:
            self.params["min_new_tokens"] = int(min_new_tokens)
        self.cache_implementation = cache_implementation
        self._loaded = loaded

    # --- loading ----------------------------------------------------------
    def load(self):
        """Load (once) and return ``(model, processor)``."""
        if self._loaded is None:
            self._loaded = self._load()
        model, processor = self._loaded
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        return model, processor

    def _load(self):
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = self.dtype
        if dtype == "auto":
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
        try:
            processor = AutoProcessor.from_pretrained(self.model)
            model = AutoModelForImageTextToText.from_pretrained(self.model,
                                                                dtype=getattr(torch, dtype))
            model = model.to(device).eval()
        except (OSError, ValueError, RuntimeError) as exc:
            raise UserError(f"cannot load hf model {self.model!r} on {device}: "
                            f"{str(exc).splitlines()[0]}") from None
        return model, processor

    @staticmethod
    def chat_text(processor, prompt: str) -> str:
        """The model's own chat template around one image and ``prompt``."""
        if getattr(processor, "chat_template", None):
            messages = [{"role": "user", "content": [{"type": "image"},
                                                     {"type": "text", "text": prompt}]}]
            return processor.apply_chat_template(messages, add_generation_prompt=True,
                                                 tokenize=False)
        token = getattr(processor, "image_token", "<image>")
        return f"USER: {token}\n{prompt} ASSISTANT:"

    # --- the protocol -----------------------------------------------------
    def describe(self, items: list[ImageItem], prompt: str) -> Iterator[Description]:
        """Yield one Description per item, batch by batch (sorted by image size)."""
        model, processor = self.load()
        text = self.chat_text(processor, prompt)
        ordered = sorted(items, key=lambda it: (it.width * it.height, it.width, it.image_id))
        groups = list(chunks(ordered, self.state["batch_size"] * _PREFETCH_BATCHES))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hf-prefetch") as pool:
            pending = pool.submit(_load_group, groups[0]) if groups else None
            for index in range(len(groups)):
                loaded, failed = pending.result()
                if index + 1 < len(groups):
                    pending = pool.submit(_load_group, groups[index + 1])
                yield from failed
                yield from self._describe_loaded(model, processor, text, loaded)

    def _describe_loaded(self, model, processor, text, loaded) -> Iterator[Description]:
        def run(sub):
            return self._generate(model, processor, text, sub)

        for sub, outcome in run_halving(loaded, run, self.state, on_oom=_free_cuda_memory):
            if isinstance(outcome, BaseException):
                message = f"generation failed: {type(outcome).__name__}: {str(outcome)[:200]}"
                for item, _ in sub:
                    yield Description(item.image_id, error=message)
            else:
                yield from outcome

    def _generate(self, model, processor, text: str, sub: list) -> list[Description]:
        import torch

        start = time.monotonic()
        inputs = processor(images=[image for _, image in sub], text=[text] * len(sub),
                           return_tensors="pt", padding=True).to(model.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        tokenizer = getattr(processor, "tokenizer", processor)
        kwargs = dict(self.params, pad_token_id=tokenizer.pad_token_id)
        if self.cache_implementation:
            kwargs["cache_implementation"] = self.cache_implementation
        with torch.inference_mode():
            output = model.generate(**inputs, **kwargs)
        new = output[:, inputs["input_ids"].shape[1]:]
        answers = processor.batch_decode(new, skip_special_tokens=True)
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        completion_tokens = (new != tokenizer.pad_token_id).sum(dim=1).tolist()
        latency = (time.monotonic() - start) / len(sub)
        results = []
        for (item, _), answer, n_in, n_out in zip(sub, answers, prompt_tokens, completion_tokens):
            tokens = {"prompt": int(n_in), "completion": int(n_out), "total": int(n_in + n_out)}
            answer = answer.strip()
            results.append(Description(item.image_id, text=answer or None, latency_s=latency,
                                       tokens=tokens, error=None if answer else "empty answer"))
        return results


def _load_group(group: list[ImageItem]) -> tuple[list, list]:
    """Decode a group of images: ``([(item, PIL image)], [Description errors])``."""
    loaded, failed = [], []
    for item in group:
        try:
            loaded.append((item, load_image_rgb(item.path)))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is recorded
            failed.append(Description(item.image_id, error=f"cannot read image {item.path.name}: {exc}"))
    return loaded, failed


def _free_cuda_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
