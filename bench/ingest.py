"""Benchmark: ingest 10,000 generated images; print images/s, peak memory and bytes read.

Usage: python bench/ingest.py [--n 10000] [--out bench/out/ingest]

Runs ingest twice on the same files, side by side: one process (which also
shows, from /proc/self/io, that each file is read once: bytes read / bytes on
disk ~ 1.0) and the default process pool.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image

from semclust.pipeline.ingest import folder_files, ingest
from semclust.study import Study


def generate(folder: Path, n: int) -> int:
    """Write ``n`` distinct 320x240 JPEGs (noise + gradient); returns bytes on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 320, dtype=np.uint8)[None, :, None].repeat(240, 0).repeat(3, 2)
    total = 0
    for i in range(n):
        path = folder / f"{i // 1000:02d}" / f"img_{i:05d}.jpg"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            noise = rng.integers(0, 60, size=(240, 320, 3), dtype=np.uint8)
            Image.fromarray(base // 2 + noise + (i % 50)).save(path, quality=85)
        total += path.stat().st_size
    return total


def rchar() -> int:
    with open("/proc/self/io") as fh:
        return int(next(line for line in fh if line.startswith("rchar")).split()[1])


def run(images: Path, study_dir: Path, workers: int) -> tuple[float, int]:
    shutil.rmtree(study_dir, ignore_errors=True)
    study = Study.create(study_dir, images)
    files = folder_files(images)
    before = rchar()
    start = time.perf_counter()
    summary = ingest(study, files, workers=workers, progress=False)
    elapsed = time.perf_counter() - start
    assert summary.new_ok == len(files), summary.lines()
    return elapsed, rchar() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/ingest"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    on_disk = generate(args.out / "images", args.n)
    print(f"generated/checked {args.n} images ({on_disk / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    t1, read1 = run(args.out / "images", args.out / "study-1", workers=1)
    print(f"1 process : {args.n / t1:7.0f} images/s ({t1:.1f} s); bytes read / bytes on disk = "
          f"{read1 / on_disk:.2f} (1.00 = every file read exactly once)")
    workers = os.cpu_count() or 1
    tn, _ = run(args.out / "images", args.out / "study-n", workers=workers)
    print(f"{workers} processes: {args.n / tn:7.0f} images/s ({tn:.1f} s); speed-up x{t1 / tn:.2f}")
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak memory: main process {self_kb / 1024:.0f} MiB, largest worker {child_kb / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
