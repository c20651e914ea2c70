"""Benchmark: the admin dashboard (``GET /admin/``) with ~100k rating rows.

Builds a study with ``--pairs`` pairs in 4 phases, ``--coders`` coders who each rated
every pair on both dimensions (plus 10 % edits, which append rows), written straight into
annotations.sqlite; then times ``GET /admin/`` through Flask's test client (the full
view: progress, live alpha per phase and dimension, counts, check accuracy), warm
(the catalog's caches filled by a first request). Prints the rating rows, the median
and worst of ``--repeat`` requests (target < 300 ms) and where the time goes.

Usage::

    python bench/dashboard.py [--pairs 16000] [--coders 3] [--repeat 7]
"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.annotate import db
from semclust.annotate.app import create_app
from semclust.annotate.people import add_person
from semclust.study import Study


def make_study(root: Path, n_pairs: int, n_coders: int, seed: int = 0) -> tuple[Study, dict[str, str], int]:
    """A study with ``n_pairs`` rated pairs; returns (study, tokens, rating rows)."""
    from PIL import Image

    image_dir = root / "images"
    image_dir.mkdir(parents=True)
    n_images = 400
    Image.new("RGB", (8, 8), "#888").save(image_dir / "one.png")
    images = pd.DataFrame({"image_id": [f"i{i}" for i in range(n_images)], "path": "one.png", "sha256": "x",
                           "width": 8, "height": 8, "status": "ok", "error": ""})
    study = Study.create(root / "study", image_dir)
    study.write_images(images)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n_images, n_pairs), rng.integers(0, n_images, n_pairs)
    pairs = pd.DataFrame({"pair_id": [f"p{k:06d}" for k in range(n_pairs)], "image_a": [f"i{x}" for x in a],
                          "image_b": [f"i{x}" for x in b], "phase": [str(1 + k * 4 // n_pairs) for k in range(n_pairs)]})
    study.pairs_csv.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(study.pairs_csv, index=False)
    tokens = {"ada": add_person(study.annotations_db, "ada", "admin")}
    for c in range(n_coders):
        tokens[f"coder{c}"] = add_person(study.annotations_db, f"coder{c}", "coder")
    conn = db.connect(study.annotations_db)
    truth = rng.integers(0, 3, (n_pairs, 2))
    rows = []
    for person_id in range(2, 2 + n_coders):
        noisy = np.clip(truth + rng.integers(-1, 2, truth.shape) * (rng.random(truth.shape) < 0.3), 0, 2)
        for k in range(n_pairs):
            for d, dim in enumerate(("denotative", "connotative")):
                rows.append((pairs.pair_id[k], person_id, dim, int(noisy[k, d]), "independent", pairs.phase[k]))
                if rng.random() < 0.05:  # an edit appends a row
                    rows.append((pairs.pair_id[k], person_id, dim, int(noisy[k, d]), "independent", pairs.phase[k]))
    with db.transaction(conn):
        conn.executemany("INSERT INTO ratings (pair_id, person_id, dimension, score, round, phase, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')", rows)
        conn.executemany("INSERT INTO phase_events (phase, is_open, person_id, created_at) VALUES (?, 1, 1, 'x')",
                         [(p,) for p in sorted(set(pairs.phase))])
    conn.close()
    return study, tokens, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=16000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        study, tokens, n_rows = make_study(Path(tmp), args.pairs, args.coders)
        app = create_app({"STUDY": study.root, "TESTING": True})
        client = app.test_client()
        confirm = client.get(f"/login/{tokens['ada']}").get_data(as_text=True)  # its button signs in
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
        client.post(f"/login/{tokens['ada']}", data={"csrf_token": csrf})
        first = time.perf_counter()
        assert client.get("/admin/").status_code == 200
        first_ms = (time.perf_counter() - first) * 1000
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get("/admin/")
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        print(f"rating rows: {n_rows} ({args.pairs} pairs x {args.coders} coders x 2 dimensions + edits)")
        print(f"GET /admin/: first {first_ms:.0f} ms; warm median {statistics.median(times):.0f} ms, "
              f"max {max(times):.0f} ms over {args.repeat} (target < 300 ms)")
        with app.test_request_context():
            from semclust.annotate import export
            conn = db.connect(study.annotations_db)
            start = time.perf_counter()
            frame = export.ratings_frame(conn)
            print(f"  for comparison, export.ratings_frame (the former dashboard input): {(time.perf_counter() - start) * 1000:.0f} ms ({len(frame)} latest rows)")
            conn.close()


if __name__ == "__main__":
    main()
