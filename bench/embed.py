"""Benchmark: descriptions per second of the default text embedder (all-MiniLM-L6-v2).

Generates N paragraph-length descriptions in the style of VLM prose (seeded,
60-120 words each), loads the bundled model once, warms it up, then embeds
all N through :func:`pipeline.embed.embed_texts` (batches sorted by length),
and, for comparison, in the given order without sorting. Prints the figures.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/embed.py [--n 2000] [--batch-size 64] [--device cpu]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = ("the image conveys a sense of joy calm tension nostalgia pride protest celebration solitude "
         "crowd flag street family child city night light colour warmth community hope anger "
         "political message humour irony warmth friendship nature sea mountain sunset food table "
         "smiling people gathered together evokes suggests feeling moment everyday life social media "
         "post meme text bold contrast soft muted vibrant bright dark shadow power unity").split()


def make_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` pseudo-descriptions of 60-120 words, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        words = rng.choice(WORDS, size=int(rng.integers(60, 121)))
        sentences = [" ".join(chunk).capitalize() + "." for chunk in np.array_split(words, 5)]
        texts.append(" ".join(sentences))
    return texts


def time_run(embed, texts: list[str], batch_size: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process, all threads) of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    embed(texts, batch_size)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import torch

    from semclust.pipeline.embed import embed_texts
    from semclust.pipeline.embedders import text_embedder

    texts = make_texts(args.n)
    embedder = text_embedder(device=args.device)
    embedder.embed(texts[: args.batch_size])  # warm-up

    def sorted_run(batch, size):
        embed_texts(embedder, batch, size, progress=False)

    def unsorted_run(batch, size):
        for start in range(0, len(batch), size):
            embedder.embed(batch[start:start + size])

    words = np.mean([len(t.split()) for t in texts])
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch threads "
          f"{torch.get_num_threads()}, device {args.device}")
    print(f"{args.n} descriptions, mean {words:.0f} words, batch size {args.batch_size}")
    for name, run in [("sorted by length", sorted_run), ("input order", unsorted_run)]:
        seconds, cpu = time_run(run, texts, args.batch_size)
        print(f"{name:>17}: {seconds:7.1f} s  {args.n / seconds:8.1f} descriptions/s "
              f"(CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
