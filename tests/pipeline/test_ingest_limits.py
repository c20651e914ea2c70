"""ingest never reads what it should not: special files, huge files (issue 18, item 7)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from semclust.pipeline.ingest import inspect_image, parse_size
from semclust.study import Study, UserError

SEMCLUST = [sys.executable, "-m", "semclust"]


def ingest_cli(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    """`semclust ingest ...` in a subprocess under a timeout: a hang fails the test, never hangs it."""
    return subprocess.run([*SEMCLUST, "ingest", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for k in range(2):
        Image.new("RGB", (16, 12), (90 * k, 20, 200)).save(folder / f"ok{k}.png")
    return folder


def rows(study_dir) -> dict[str, dict]:
    frame = Study.open(study_dir).read_images()
    return {r["path"]: r for r in frame.to_dict("records")}


def test_a_file_above_the_size_limit_is_unreadable_and_never_read(images, tmp_path):
    huge = images / "huge.jpg"
    with open(huge, "wb") as fh:
        os.truncate(fh.fileno(), 6 * 1000**3)  # a sparse 6 GB file: costs no disk
    result = ingest_cli(images, "--study", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    table = rows(tmp_path / "s")
    assert table["huge.jpg"]["status"] == "unreadable" and pd.isna(table["huge.jpg"]["sha256"])
    assert "6,000 MB, above the 200 MB limit (--max-file-size)" in table["huge.jpg"]["error"]
    assert {table[f"ok{k}.png"]["status"] for k in range(2)} == {"ok"}


def test_max_file_size_can_be_raised_or_lowered(images, tmp_path):
    result = ingest_cli(images, "--study", tmp_path / "s", "--max-file-size", "10")
    assert result.returncode == 0, result.stderr
    assert {r["status"] for r in rows(tmp_path / "s").values()} == {"unreadable"}
    bad = ingest_cli(images, "--study", tmp_path / "t", "--max-file-size", "lots")
    assert bad.returncode == 2 and "not a file size" in bad.stderr and not (tmp_path / "t").exists()


@pytest.mark.parametrize("listed", ["folder", "manifest"])
def test_a_fifo_is_unreadable_and_does_not_hang(images, tmp_path, listed):
    os.mkfifo(images / "pipe.jpg")
    if listed == "folder":
        result = ingest_cli(images, "--study", tmp_path / "s", timeout=60)
    else:
        pd.DataFrame({"path": ["ok0.png", "pipe.jpg"]}).to_csv(images / "posts.csv", index=False)
        result = ingest_cli("--manifest", images / "posts.csv", "--study", tmp_path / "s", timeout=60)
    assert result.returncode == 0, result.stderr
    row = rows(tmp_path / "s")["pipe.jpg"]
    assert row["status"] == "unreadable" and "not a regular file (fifo)" in row["error"]


def test_chunked_hashing_keeps_the_content_id(images):
    path = images / "ok0.png"
    assert inspect_image(path)["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    big = images / "big.bin.png"
    big.write_bytes(os.urandom(3 * (1 << 20) + 17))  # several chunks, not an image
    info = inspect_image(big)
    assert info["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest() and info["error"]


def test_parse_size_refuses_nonsense():
    assert parse_size("1 MiB") == 1 << 20
    with pytest.raises(UserError):
        parse_size("-5MB")


def test_a_file_is_held_in_memory_once_while_it_is_hashed_and_decoded(images):
    import tracemalloc

    path = images / "noise.png"
    path.write_bytes(os.urandom(24 * (1 << 20)))  # 24 MiB, not an image
    tracemalloc.start()
    try:
        info = inspect_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info["error"] and info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert peak < 1.4 * path.stat().st_size, f"peak {peak / 2**20:.0f} MiB for a 24 MiB file"


def test_a_decompression_bomb_is_unreadable_without_being_decoded(images):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = images / "bomb.png"  # a 40,000 x 40,000 header on a few bytes of data
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    info = inspect_image(bomb)
    assert info["width"] is None and "DecompressionBomb" in info["error"]
