"""Label Studio bridge at the reference study's size: push 500 pairs and 160 sets, pull them back.

Starts a real Label Studio from .venv-labelstudio (``make labelstudio``) on
127.0.0.1, as the tests do, and prints seconds per step. Run:

    .venv/bin/python bench/labelstudio.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from semclust.annotate import labelstudio as ls
from semclust.annotate import labelstudio_api as api
from semclust.study import Study

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helpers, imported as support.x (a real Label Studio)
from support.labelstudio_server import ensure_virtualenv, fresh_server  # noqa: E402

N_IMAGES, N_CLUSTERS, N_PAIRS, SETS_PER_CLUSTER = 320, 32, 500, 5
CLUSTERING = "bench"


def make_study(root: Path) -> Study:
    rng = np.random.default_rng(0)
    images = root / "images"
    images.mkdir(parents=True)
    rows = []
    for i in range(N_IMAGES):
        Image.new("RGB", (8, 8), tuple(int(v) for v in rng.integers(0, 256, 3))).save(images / f"{i}.png")
        rows.append({"image_id": f"i{i}", "path": f"{i}.png", "sha256": f"{i:064x}", "width": 8,
                     "height": 8, "status": "ok", "error": ""})
    study = Study.create(root / "study", images)
    study.write_images(pd.DataFrame(rows))
    cluster = {f"i{i}": i % N_CLUSTERS for i in range(N_IMAGES)}
    keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": f"term{c}x{r}", "score": 1.0}
                             for c in range(N_CLUSTERS) for r in range(10)])
    study.write_clustering(CLUSTERING, pd.DataFrame({"image_id": list(cluster), "cluster": list(cluster.values())}),
                           {}, keywords, {})
    ids = list(cluster)
    picks = rng.choice(len(ids), (N_PAIRS, 2), replace=True)
    pd.DataFrame({"pair_id": [f"p{k}" for k in range(N_PAIRS)],
                  "image_a": [ids[a] for a, _ in picks], "image_b": [ids[(b + 1) % len(ids)] if a == b else ids[b]
                                                                  for a, b in picks],
                  "phase": ["1" if k < N_PAIRS // 2 else "2" for k in range(N_PAIRS)]}
                 ).to_csv(study.pairs_csv, index=False)
    study.sets_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"set_id": f"s{c}-{s}", "cluster": c,
                   "image_ids": ";".join(f"i{c + N_CLUSTERS * k}" for k in range(s, s + 3))}
                  for c in range(N_CLUSTERS) for s in range(SETS_PER_CLUSTER)]
                 ).to_csv(study.sets_csv(CLUSTERING), index=False)
    return study


def timed(label: str, func, results: list):
    start = time.perf_counter()
    value = func()
    results.append((label, time.perf_counter() - start))
    print(f"{label}: {results[-1][1]:.2f} s", flush=True)
    return value


def main() -> None:
    reason = ensure_virtualenv()
    if reason:
        sys.exit(f"cannot run: {reason}")
    results: list = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        study = make_study(tmp / "s")
        start = time.perf_counter()
        with fresh_server(tmp, document_root=tmp) as server:
            results.append(("server start (migrated template copied)", time.perf_counter() - start))
            client = api.connect(server.url, api_key=server.token)
            url = ls.image_url_builder(study, "local-files", document_root=tmp)
            folder = ls.local_files_storage_path(study, tmp)
            push = lambda task, cid=None: api.push(client, study, task, cid, url, folder)  # noqa: E731
            timed(f"push pairs ({N_PAIRS} tasks, new project)", lambda: push("pairs"), results)
            timed("push pairs again (0 imported)", lambda: push("pairs"), results)
            n_sets = N_CLUSTERS * SETS_PER_CLUSTER
            timed(f"push sets ({n_sets} tasks, {N_CLUSTERS} choices each)",
                  lambda: push("sets", CLUSTERING), results)
            project = api.find_project(client, api.project_title(study, "pairs"), "pairs")
            tasks = list(client.tasks.list(project=project.id, fields="task_only"))[:100]
            result = [{"from_name": d, "to_name": "image_a", "type": "choices", "value": {"choices": ["1"]}}
                      for d in ("denotative", "connotative")]
            timed("post 100 annotations, one REST call each",
                  lambda: [client.annotations.create(id=t.id, result=result) for t in tasks], results)
            frames, _ = timed(f"pull pairs ({N_PAIRS} tasks, 100 annotations)",
                              lambda: api.pull(client, study, "pairs"), results)
            export = api.export_json(client, project.id)
        template = next(t for t in export if t["annotations"])
        big = [{**t, "annotations": [{**template["annotations"][0], "completed_by": u} for u in (1, 2)]}
               for t in export]
        timed(f"convert an export of {len(big) * 2} annotations ({len(big)} tasks, offline)",
              lambda: ls.ratings_from_export(study, big, {1: "a", 2: "b"}), results)
    assert len(frames["ratings"]) == 200
    print("\n| step | seconds |\n|---|---|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
