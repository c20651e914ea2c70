"""Benchmark: the hf describer, one image at a time vs batched.

Two models:

* ``--model tiny`` (default without a GPU): the tiny random-weight LLaVA of
  ``tests/support/tiny_models.py``, on CPU; shows the batching plumbing, not VLM speed.
* ``--model llava-1.5-7b`` (default with a GPU): a random-weight model of
  LLaVA-1.5-7B's architecture built in memory from its config (CLIP
  ViT-L/14-336 + 7B Llama, bfloat16). Throughput does not depend on weight
  values when the generated length is fixed, so every answer is exactly
  ``--new-tokens`` tokens long (min = max).

Images have varied social-media-like sizes; the describer sorts them by size,
left-pads, and halves its batch size on CUDA out-of-memory (the final batch
size is printed). Each configuration gets a warm-up batch first (not timed).

Usage::

    python bench/describe_hf.py                                 # CPU, tiny model
    python bench/describe_hf.py --model llava-1.5-7b --batch-sizes 1,32,128 \\
        --images 1024 --single-images 8 --cache-implementation static   # GPU
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from semclust.pipeline.describe import DEFAULT_PROMPT
from semclust.pipeline.describers import ImageItem
from semclust.pipeline.describers.hf import HFDescriber

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helpers, imported as support.x (support.tiny_models)

SIZES = [(640, 480), (480, 640), (1080, 1080), (1200, 675), (720, 900), (320, 240)]


def make_items(folder: Path, n: int) -> list[ImageItem]:
    """``n`` JPEGs of varied sizes with random-ish content, as describer items."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    items = []
    for i in range(n):
        width, height = SIZES[i % len(SIZES)]
        small = rng.integers(0, 256, size=(height // 40 + 1, width // 40 + 1, 3), dtype=np.uint8)
        path = folder / f"img_{i:05d}.jpg"
        Image.fromarray(small).resize((width, height)).save(path, quality=85)
        items.append(ImageItem(f"i{i:05d}", path, hashlib.sha256(path.read_bytes()).hexdigest(),
                               width, height))
    return items


def load_model(name: str, device: str, tmp: Path, shrink: int | None):
    """``(model, processor, label)`` for ``tiny`` or ``llava-1.5-7b``."""
    from support.tiny_models import build_random_llava_15_7b, build_tiny_llava

    if name == "tiny":
        from transformers import AutoModelForImageTextToText, AutoProcessor

        path = build_tiny_llava(tmp / "tiny-llava")
        model = AutoModelForImageTextToText.from_pretrained(path).to(device).eval()
        return model, AutoProcessor.from_pretrained(path), "tiny random LLaVA (2+2 layers)"
    dtype = "bfloat16" if device.startswith("cuda") else "float32"
    layers = {"text_layers": shrink, "vision_layers": shrink} if shrink else {}
    model, processor = build_random_llava_15_7b(device=device, dtype=dtype, **layers)
    label = "random-weight LLaVA-1.5-7B architecture" + (f" (shrunk to {shrink} layers)"
                                                          if shrink else "")
    return model, processor, f"{label}, {dtype}"


def run(describer: HFDescriber, items: list[ImageItem]) -> tuple[float, int, int]:
    """Describe ``items``; return (seconds, answers, generated tokens)."""
    start = time.perf_counter()
    results = list(describer.describe(items, DEFAULT_PROMPT))
    _sync()
    seconds = time.perf_counter() - start
    failed = [r for r in results if r.error]
    if failed:
        print(f"  {len(failed)} failed, first: {failed[0].error}")
    return seconds, len(results) - len(failed), sum(r.tokens.get("completion", 0) for r in results)


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> None:
    import torch

    gpu = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["tiny", "llava-1.5-7b"],
                        default="llava-1.5-7b" if gpu else "tiny")
    parser.add_argument("--device", default="cuda" if gpu else "cpu")
    parser.add_argument("--images", type=int, default=512 if gpu else 64)
    parser.add_argument("--single-images", type=int, default=8 if gpu else 16,
                        help="images timed at batch size 1 (it is slow on a real model)")
    parser.add_argument("--batch-sizes", default="1,128" if gpu else "1,16",
                        help="comma-separated starting batch sizes")
    parser.add_argument("--new-tokens", type=int, default=128 if gpu else 32)
    parser.add_argument("--cache-implementation", default=None, help="e.g. static")
    parser.add_argument("--shrink-layers", type=int, default=None,
                        help="smoke test: build the 7B shapes with this many layers only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        items = make_items(tmp / "images", args.images)
        model, processor, label = load_model(args.model, args.device, tmp, args.shrink_layers)
        device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else \
            f"CPU ({torch.get_num_threads()} threads)"
        print(f"{label} on {device_name}; {args.new_tokens} new tokens per image; "
              f"cache={args.cache_implementation or 'default'}")
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            describer = HFDescriber(model=args.model, batch_size=batch_size,
                                    max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                                    cache_implementation=args.cache_implementation,
                                    loaded=(model, processor))
            subset = items[:args.single_images] if batch_size == 1 else items
            run(describer, items[:min(batch_size, len(items))])  # warm-up
            if gpu:
                torch.cuda.reset_peak_memory_stats()
            seconds, answered, tokens = run(describer, subset)
            peak = f", peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if gpu else ""
            print(f"batch {batch_size:>4} (ran at {describer.state['batch_size']}, "
                  f"{describer.state.get('oom_events', 0)} OOM halvings): {answered} images in "
                  f"{seconds:7.2f} s = {answered / seconds:7.2f} images/s, "
                  f"{tokens / seconds:8.1f} tokens/s{peak}")


if __name__ == "__main__":
    main()
