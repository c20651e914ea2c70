"""Benchmark: the openai describer's concurrency against a slow local server.

A chat-completions server on 127.0.0.1, in its own process (as a real
endpoint would be), answers every request after 200 ms (like a remote VLM
endpoint with fixed latency). The same 400 images are
described at concurrency 1 and at concurrency 16, each into a fresh study (so
nothing is cached), through the full orchestrator (records written, fsynced).
Prints wall seconds, images/s and the speed-up (target >= 10x).

Usage::

    python bench/describe.py [--images 400] [--delay 0.2] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from semclust.pipeline.describe import describe_study
from semclust.pipeline.describers.openai_api import OpenAIDescriber
from semclust.study import IMAGE_COLUMNS, Study

REPO = Path(__file__).resolve().parents[1]


def make_images(folder: Path, n: int) -> pd.DataFrame:
    """``n`` distinct 64x64 JPEGs in ``folder``; returns their images.csv rows."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        path = folder / f"img_{i:05d}.jpg"
        Image.new("RGB", (64, 64), (i % 256, (i // 256) % 256, (7 * i) % 256)).save(path, quality=90)
        rows.append({"image_id": f"b{i:05d}", "path": path.name, "width": 64, "height": 64,
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "status": "ok", "error": ""})
    return pd.DataFrame(rows, columns=IMAGE_COLUMNS)


@contextlib.contextmanager
def server_process(delay: float):
    """Start ``tests/support/chat_server.py`` in a subprocess; yield its URL."""
    script = REPO / "tests" / "support" / "chat_server.py"
    proc = subprocess.Popen([sys.executable, str(script), "--delay", str(delay)],
                            stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait()


def run_once(tmp: Path, images: pd.DataFrame, image_root: Path, url: str, concurrency: int):
    """Describe all images into a fresh study; return (seconds, summary)."""
    study = Study.create(tmp / f"study-c{concurrency}", image_root)
    study.write_images(images)
    describer = OpenAIDescriber(model="bench-vlm", base_url=url, concurrency=concurrency)
    start = time.perf_counter()
    summary = describe_study(study, describer, describer_id=f"c{concurrency}", progress=False)
    return time.perf_counter() - start, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.2, help="server latency in seconds")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, server_process(args.delay) as url:
        tmp = Path(tmp_name)
        images = make_images(tmp / "images", args.images)
        print(f"{args.images} images, server latency {args.delay * 1000:.0f} ms per request")
        results = {}
        for concurrency in (1, args.concurrency):
            seconds, summary = run_once(tmp, images, tmp / "images", url, concurrency)
            assert summary.done == args.images, summary.lines()
            results[concurrency] = seconds
            print(f"concurrency {concurrency:>3}: {seconds:7.2f} s  "
                  f"{args.images / seconds:7.1f} images/s")
        ideal = min(args.concurrency, args.images)
        print(f"speed-up {results[1] / results[args.concurrency]:.1f}x "
              f"(ideal {ideal}x; target >= 10x)")


if __name__ == "__main__":
    main()
