"""`semclust describe --backend file`: importing descriptions someone already has."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from semclust.pipeline.describe import default_describer_id
from support.image_study import records


def _import(run_cli, study, path, *extra):
    return run_cli("describe", "--study", study.root, "--backend", "file", "--input", path,
                   "--id", "imp", *extra)


def test_describe_file_matches_paths_names_and_ids_and_reports_unknown_rows(run_cli, image_study,
                                                                           tmp_path):
    images = image_study.read_images()
    rows = [{"path": images["path"][1], "text": "by relative path"},          # sub/img_0001.png
            {"path": Path(images["path"][3]).name, "text": "by unique name"},  # img_0003.png
            {"image_id": images["image_id"][0], "text": "by id"},
            {"path": str(image_study.image_path(images["path"][2])), "text": "by absolute path"},
            {"path": "elsewhere/nope.png", "text": "unknown file"},
            {"image_id": "zzz", "text": "unknown id"}]
    csv = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    result = _import(run_cli, image_study, csv)
    assert result.exit_code == 0, result.stderr
    assert "2 row(s) of mine.csv name no image" in result.stdout
    assert "nope.png" in result.stdout and "zzz" in result.stdout
    texts = {r["image_id"]: r["text"] for r in records(image_study, "imp")}
    assert texts[images["image_id"][1]] == "by relative path"
    assert texts[images["image_id"][3]] == "by unique name"
    assert texts[images["image_id"][0]] == "by id"
    assert texts[images["image_id"][2]] == "by absolute path"
    missing = [r for r in records(image_study, "imp") if r["text"] is None]
    assert {r["image_id"] for r in missing} == {images["image_id"][4], images["image_id"][5]}
    assert all("no row in mine.csv" in r["error"] for r in missing)
    assert {r["model"] for r in records(image_study, "imp")} == {"mine"}
    assert "done 4, failed 2" in result.stdout


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_describe_file_takes_model_from_file_and_reimport_is_cached(run_cli, image_study, tmp_path):
    images = image_study.read_images()
    rows = [{"path": Path(p).name, "text": f"text {i}", "model": "synthetic-demo", "synthetic": True}
            for i, p in enumerate(images["path"])]
    path = _jsonl(tmp_path / "d.jsonl", rows)
    first = run_cli("describe", "--study", image_study.root, "--backend", "file", "--input", path)
    describer_id = default_describer_id("file", "synthetic-demo", "")
    assert first.exit_code == 0 and describer_id in first.stdout
    assert describer_id.startswith("file-synthetic-demo-")
    assert image_study.read_descriptions(describer_id)["text"].notna().sum() == 6
    again = run_cli("describe", "--study", image_study.root, "--backend", "file", "--input", path)
    assert "done 0, failed 0, skipped 6" in again.stdout
    _jsonl(path, [dict(r, text=r["text"] + " (edited)") for r in rows])
    edited = run_cli("describe", "--study", image_study.root, "--backend", "file", "--input", path)
    assert "done 6" in edited.stdout
    assert image_study.read_descriptions(describer_id)["text"].str.endswith("(edited)").all()


@pytest.mark.parametrize("content, needle", [
    ('{"path": "img_0000.png", "text": "ok"}\n{"path": "img_0002.png", "text": \n', "line 2"),
    ('{"path": "img_0000.png", "description": "no text column"}\n', "`text` column"),
    ('{"path": "other.png", "text": "t"}\n', "none of its 1 rows"),
    ('{"path": "img_0000.png", "text": "a", "model": "x"}\n'
     '{"path": "img_0002.png", "text": "b", "model": "y"}\n', "2 different values"),
])
def test_describe_file_bad_input_is_user_error_and_writes_nothing(run_cli, image_study, tmp_path,
                                                                  content, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = _import(run_cli, image_study, path)
    assert result.exit_code == 2 and needle in result.stderr and str(path.name) in result.stderr
    assert not image_study.description_path("imp").exists()


def test_describe_file_unknown_format_and_missing_file_are_user_errors(run_cli, image_study, tmp_path):
    (tmp_path / "d.xlsx").write_text("x")
    assert "unknown format" in _import(run_cli, image_study, tmp_path / "d.xlsx").stderr
    assert "not found" in _import(run_cli, image_study, tmp_path / "none.csv").stderr


@pytest.mark.slow
def test_describe_file_imports_the_demo_descriptions(run_cli, demo_dir, tmp_path):
    from semclust.study import Study

    study_dir = tmp_path / "demo"
    assert run_cli("ingest", demo_dir / "images", "--study", study_dir, "--workers", "1").exit_code == 0
    result = run_cli("describe", "--study", study_dir, "--backend", "file",
                     "--input", demo_dir / "descriptions.jsonl")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stdout and "failed 0" in result.stdout
    study = Study.open(study_dir)
    describer_id = study.list_describers()[0]
    texts = study.read_descriptions(describer_id)
    assert len(texts) == len(study.read_images(status="ok")) and texts["text"].notna().all()
    assert set(texts["model"]) == {"synthetic-demo"}
