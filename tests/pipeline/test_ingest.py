"""Ingest: a folder or manifest of images becomes images.csv (issue 2)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from semclust.pipeline.ingest import image_id_for, inspect_image
from semclust.study import IMAGE_COLUMNS, Study


def make_image(path: Path, seed: int, size=(96, 72), fmt=None) -> Path:
    """A small distinct image (its colour depends on ``seed``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size[0], 7):  # some texture so JPEGs carry real scan data
        img.putpixel((x, (x * seed) % size[1]), (255, 255, 255))
    img.save(path, format=fmt)
    return path


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "images"
    for i in range(4):
        make_image(folder / f"photo_{i}.jpg", i)
    make_image(folder / "nested" / "deeper" / "chart.png", 10)
    make_image(folder / "meme.webp", 11)
    (folder / "notes.txt").write_text("not an image")
    return folder


def read_table(study_dir: Path) -> pd.DataFrame:
    return pd.read_csv(study_dir / "images.csv", keep_default_na=False, dtype=str)


def test_ingest_folder_lists_every_image_recursively(run_cli, images, tmp_path):
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    assert result.exit_code == 0, result.stderr
    table = read_table(tmp_path / "study")
    assert list(table.columns[: len(IMAGE_COLUMNS)]) == IMAGE_COLUMNS
    assert sorted(table["path"]) == ["meme.webp", "nested/deeper/chart.png"] + [
        f"photo_{i}.jpg" for i in range(4)]
    assert set(table["status"]) == {"ok"}
    assert (table["width"] == "96").all() and (table["height"] == "72").all()
    assert "ok 6, unreadable 0, duplicate 0" in result.stdout


def test_ingest_image_id_is_derived_from_content_hash(run_cli, images, tmp_path):
    run_cli("ingest", images, "--study", tmp_path / "study")
    table = read_table(tmp_path / "study")
    row = table[table["path"] == "photo_0.jpg"].iloc[0]
    assert inspect_image(images / "photo_0.jpg")["sha256"] == row["sha256"]
    assert row["image_id"] == image_id_for(row["sha256"])


def test_ingest_writes_study_yaml_and_reserved_folders(run_cli, images, tmp_path):
    run_cli("ingest", images, "--study", tmp_path / "study", "--seed", "7", "--name", "climate")
    study = Study.open(tmp_path / "study")
    config = study.config
    assert config["name"] == "climate" and config["seed"] == 7
    assert Path(config["image_root"]) == images.resolve()
    assert {"created_at", "toolkit_version"} <= set(config)
    for sub in ("descriptions", "embeddings", "clusterings", "samples", "exports", "reports"):
        assert (tmp_path / "study" / sub).is_dir()


def test_ingest_corrupt_file_marked_unreadable_with_reason(run_cli, images, tmp_path):
    (images / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (images / "empty.jpg").write_bytes(b"")
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    assert result.exit_code == 0
    table = read_table(tmp_path / "study").set_index("path")
    assert table.loc["garbage.png", "status"] == "unreadable"
    assert table.loc["garbage.png", "error"] != ""
    assert table.loc["empty.jpg", "error"] == "empty file"
    assert "unreadable 2" in result.stdout


def test_ingest_truncated_jpeg_marked_unreadable(run_cli, images, tmp_path):
    full = make_image(tmp_path / "big.jpg", 3, size=(640, 480))
    data = full.read_bytes()
    (images / "truncated.jpg").write_bytes(data[: len(data) // 2])
    run_cli("ingest", images, "--study", tmp_path / "study")
    row = read_table(tmp_path / "study").set_index("path").loc["truncated.jpg"]
    assert row["status"] == "unreadable"
    assert "truncated" in row["error"].lower()
    assert row["width"] == "640"  # the header was readable; the data was not


def test_ingest_byte_identical_copy_marked_duplicate_of_first(run_cli, images, tmp_path):
    shutil.copy(images / "photo_1.jpg", images / "zz_repost.jpg")
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    table = read_table(tmp_path / "study").set_index("path")
    original = table.loc["photo_1.jpg"]
    copy = table.loc["zz_repost.jpg"]
    assert copy["status"] == "duplicate" and copy["error"] == original["image_id"]
    assert copy["image_id"] != original["image_id"]
    assert table["image_id"].is_unique
    assert "duplicate 1" in result.stdout


def test_ingest_rerun_processes_only_added_images(run_cli, images, tmp_path):
    run_cli("ingest", images, "--study", tmp_path / "study")
    before = read_table(tmp_path / "study")
    make_image(images / "later.jpg", 42)
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    after = read_table(tmp_path / "study")
    assert "ingested 1 new file(s)" in result.stdout and "6 already known" in result.stdout
    assert len(after) == len(before) + 1
    pd.testing.assert_frame_equal(after.iloc[: len(before)], before)


def test_ingest_renamed_image_keeps_its_id(run_cli, images, tmp_path):
    run_cli("ingest", images, "--study", tmp_path / "study")
    old_id = read_table(tmp_path / "study").set_index("path").loc["photo_2.jpg", "image_id"]
    (images / "photo_2.jpg").rename(images / "renamed.jpg")
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    table = read_table(tmp_path / "study").set_index("path")
    assert "photo_2.jpg" not in table.index
    assert table.loc["renamed.jpg", "image_id"] == old_id
    assert table.loc["renamed.jpg", "status"] == "ok"
    assert "moved 1" in result.stdout and len(table) == 6


def test_ingest_manifest_carries_metadata_columns(run_cli, images, tmp_path):
    manifest = tmp_path / "posts.csv"
    pd.DataFrame({"path": ["photo_0.jpg", str(images / "meme.webp"), "gone.jpg"],
                  "post_id": ["t1", "t2", "t3"], "likes": [10, 250, 3]}).to_csv(manifest, index=False)
    result = run_cli("ingest", "--manifest", manifest, "--image-root", images,
                     "--study", tmp_path / "study")
    assert result.exit_code == 0, result.stderr
    table = read_table(tmp_path / "study").set_index("path")
    assert list(table.columns[-2:]) == ["post_id", "likes"]
    assert table.loc["photo_0.jpg", "post_id"] == "t1"
    assert table.loc["meme.webp", "likes"] == "250"  # absolute path stored relative to the root
    assert table.loc["gone.jpg", "status"] == "unreadable"
    assert "cannot read file" in table.loc["gone.jpg", "error"]


@pytest.mark.parametrize("manifest_text, message", [
    ("file\nphoto_0.jpg\n", "lacks column(s) path"),
    ("path,width\nphoto_0.jpg,3\n", "reserved"),
    ("path\nphoto_0.jpg\nphoto_0.jpg\n", "listed twice in row(s) 3"),
])
def test_ingest_malformed_manifest_exits_2_naming_the_problem(run_cli, images, tmp_path,
                                                               manifest_text, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(manifest_text)
    result = run_cli("ingest", "--manifest", manifest, "--image-root", images,
                     "--study", tmp_path / "study")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_ingest_user_errors_exit_2_with_one_line(run_cli, images, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    other = tmp_path / "other"
    make_image(other / "x.jpg", 5)
    run_cli("ingest", images, "--study", tmp_path / "study")
    cases = {
        "image folder not found": ("ingest", tmp_path / "missing", "--study", tmp_path / "s1"),
        "no images": ("ingest", empty, "--study", tmp_path / "s2"),
        "cannot write study folder": ("ingest", images, "--study", blocker / "study"),
        "belongs to image root": ("ingest", other, "--study", tmp_path / "study"),
    }
    for message, args in cases.items():
        result = run_cli(*args)
        assert result.exit_code == 2, message
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0]


# The child ingests for real, but 20 ms slower per image, so that the signal always lands
# part-way (unslowed, 300 small images take ~0.3 s on a quiet machine: a race).
RUNNER = """
import sys, time
import semclust.pipeline.ingest as ingest
from semclust.study import Study
real_inspect = ingest.inspect_image
def slow_inspect(path, **kw):
    time.sleep(0.02)
    return real_inspect(path, **kw)
ingest.inspect_image = slow_inspect
ingest.CHECKPOINT_SECONDS = 0.0
study = Study.create(sys.argv[1], sys.argv[2])
ingest.ingest(study, ingest.folder_files(study.image_root), workers=1, progress=False)
"""


@pytest.fixture
def many_images(tmp_path) -> Path:
    folder = tmp_path / "many"
    for i in range(300):
        make_image(folder / f"img_{i:04d}.jpg", i, size=(320, 240))
    return folder


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_ingest_interrupted_run_leaves_valid_table_and_resumes(run_cli, many_images, tmp_path, sig):
    study_dir = tmp_path / "study"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(study_dir), str(many_images)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        csv = study_dir / "images.csv"
        if csv.is_file() and len(csv.read_text().splitlines()) > 20:
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    partial = read_table(study_dir)  # parses: the file is never half-written
    assert 20 <= len(partial) < 300, "the run was interrupted part-way"
    result = run_cli("ingest", many_images, "--study", study_dir)
    assert result.exit_code == 0
    table = read_table(study_dir)
    assert len(table) == 300 and table["path"].is_unique
    assert f"{len(partial)} already known" in result.stdout
    pd.testing.assert_frame_equal(table.iloc[: len(partial)], partial)


def test_ingest_marks_a_symlink_leaving_the_image_root_unreadable(run_cli, images, tmp_path):
    secret = make_image(tmp_path / "elsewhere" / "private.png", 3)
    (images / "innocent.png").symlink_to(secret)
    (images / "passwd.jpg").symlink_to("/etc/passwd")
    (images / "inside.jpg").symlink_to(images / "photo_0.jpg")  # a link within the root is fine
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    assert result.exit_code == 0, result.stderr
    table = read_table(tmp_path / "study").set_index("path")
    for name, target in (("innocent.png", secret), ("passwd.jpg", Path("/etc/passwd"))):
        assert table.loc[name, "status"] == "unreadable"
        assert table.loc[name, "error"] == f"outside the image root: a symbolic link to {target}"
        assert table.loc[name, "sha256"] == ""  # never read
    assert {table.loc["inside.jpg", "status"], table.loc["photo_0.jpg", "status"]} == {"ok", "duplicate"}


def test_ingest_error_of_an_undecodable_file_names_no_python_object(run_cli, images, tmp_path):
    (images / "fake.jpg").write_bytes(b"this is not an image at all")
    run_cli("ingest", images, "--study", tmp_path / "study")
    error = read_table(tmp_path / "study").set_index("path").loc["fake.jpg", "error"]
    assert error == "not an image Pillow can read (unknown or damaged format)"
    assert "0x" not in error


def test_ingest_reports_a_folder_it_cannot_read(run_cli, images, tmp_path, monkeypatch):
    """Listing ``nested/`` fails as it would without read permission (tests run as root in CI,
    and root may list every folder, so the refusal is made by the OS call itself)."""
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "nested":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run_cli("ingest", images, "--study", tmp_path / "study")
    assert result.exit_code == 0, result.stderr
    assert f"warning: cannot read folder {images / 'nested'}: Permission denied" in result.stderr
    assert "ok 5," in result.stdout  # everything else was ingested
