"""A small study folder of real image files (the describe tests; fixtures in tests/pipeline/conftest.py)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from semclust.study import IMAGE_COLUMNS, Study


def make_study(tmp_path: Path, n: int = 6, twins: int = 0) -> Study:
    """A study of ``n`` distinct PNG images (varied colours and sizes) under ``tmp_path``.

    ``twins`` more images are byte-identical copies of the first ones (same sha256,
    other file names), as happens when one picture is posted twice.
    """
    from PIL import Image

    image_root = tmp_path / "images"
    (image_root / "sub").mkdir(parents=True)
    rows = []
    for i in range(n + twins):
        rel = f"sub/img_{i:04d}.png" if i % 2 else f"img_{i:04d}.png"
        path = image_root / rel
        if i < n:
            size = (24 + 8 * (i % 3), 24 + 4 * (i % 4))
            Image.new("RGB", size, ((37 * i) % 256, (91 * i) % 256, (53 * i + 7) % 256)).save(path)
        else:
            src = image_root / rows[i - n]["path"]
            path.write_bytes(src.read_bytes())
        with Image.open(path) as img:
            width, height = img.size
        rows.append({"image_id": f"im{i:04d}", "path": rel,
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "width": width, "height": height, "status": "ok", "error": ""})
    study = Study.create(tmp_path / "study", image_root)
    study.write_images(pd.DataFrame(rows, columns=IMAGE_COLUMNS))
    return study


def records(study: Study, describer_id: str) -> list[dict]:
    """Every record of ``descriptions/<describer_id>.jsonl``, in file order."""
    import json

    path = study.description_path(describer_id)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
