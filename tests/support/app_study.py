"""A small real study for the annotation-app tests: images, pairs, one clustering with sets.

Not a test module: the fixtures built on it (``env``, ``app``, ``login``,
``admin``) live in ``tests/annotate/conftest.py``; ``test_app*.py`` and
``test_browser.py`` import the builder and the client helpers below.
Everything is written with pandas / Pillow straight into the study folder, the
way the sampling stage would write it.
"""
from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from semclust.annotate.blinding import blinding_key_path
from semclust.annotate.people import add_person
from semclust.study import Study

TEST_BLINDING_KEY = "0123456789abcdef" * 4
COLOURS = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#f39c12", "#16a085", "#7f8c8d", "#d35400"]
CLUSTERING = "umap5-hdb50"


@dataclass
class AppStudy:
    study: Study
    tokens: dict[str, str] = field(default_factory=dict)
    pairs: pd.DataFrame | None = None
    sets: pd.DataFrame | None = None


def make_study(root: Path, n_pairs_phase1: int = 4, n_pairs_phase2: int = 2, size=(96, 64),
               photo_like: bool = False) -> AppStudy:
    """Create a study with 8 images, pairs in phases "1" and "2", sets of one clustering, 5 people.

    ``photo_like`` writes noisy JPEGs (like real photos: costly to decode) instead of flat PNGs.
    """
    image_dir = root / "images"
    image_dir.mkdir(parents=True)
    rows = []
    rng = np.random.default_rng(0)
    for i, colour in enumerate(COLOURS):
        if photo_like:
            path = image_dir / f"img{i}.jpg"
            base = np.array(Image.new("RGB", (1, 1), colour)).reshape(1, 1, 3).astype(np.int16)
            noise = rng.integers(-60, 60, size=(size[1], size[0], 3))
            Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path, quality=85)
        else:
            path = image_dir / f"img{i}.png"
            Image.new("RGB", size, colour).save(path)
        rows.append({"image_id": f"i{i}", "path": path.name,
                     "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "width": size[0], "height": size[1], "status": "ok", "error": ""})
    study = Study.create(root / "study", image_dir)
    study.write_images(pd.DataFrame(rows))
    # a fixed blinding key: every test run sees the same (keyed) orders
    blinding_key_path(study.root).write_text(TEST_BLINDING_KEY + "\n", encoding="ascii")

    n = len(COLOURS)
    combos = [(a, b) for a in range(n) for b in range(a + 1, n)]
    pairs = pd.DataFrame(
        [{"pair_id": f"p{k + 1:03d}", "image_a": f"i{a}", "image_b": f"i{b}",
          "phase": "1" if k < n_pairs_phase1 else "2"}
         for k, (a, b) in enumerate(combos[: n_pairs_phase1 + n_pairs_phase2])])
    study.pairs_csv.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(study.pairs_csv, index=False)

    labels = pd.DataFrame({"image_id": [f"i{i}" for i in range(n)], "cluster": [0, 0, 0, 1, 1, 1, 2, -1]})
    keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": f"word{c}{r}", "score": 1.0 - r / 10}
                             for c in (-1, 0, 1, 2) for r in range(3)])
    study.write_clustering(CLUSTERING, labels, {"seed": 1}, keywords, {"n_clusters": 3})
    sets = pd.DataFrame([{"set_id": "s1", "cluster": 0, "image_ids": "i0;i1;i2"},
                         {"set_id": "s2", "cluster": 1, "image_ids": "i3;i4;i5"},
                         {"set_id": "s3", "cluster": 0, "image_ids": "i2;i0;i1"}])
    study.sets_dir.mkdir(parents=True, exist_ok=True)
    sets.to_csv(study.sets_csv(CLUSTERING), index=False)

    people = {"ada": "admin", "cora": "coder", "colin": "coder", "eve": "evaluator", "evan": "evaluator"}
    tokens = {name: add_person(study.annotations_db, name, role) for name, role in people.items()}
    return AppStudy(study=study, tokens=tokens, pairs=pairs, sets=sets)


def sign_in(client, token: str):
    """Open a personal link and press its sign-in button; the POST's response (302 signed in,
    403 refused). A link's GET only shows the confirmation page (or the invalid-link page)."""
    page = client.get(f"/login/{token}")
    if page.status_code != 200:
        return page
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the confirmation page has no sign-in form"
    return client.post(f"/login/{token}", data={"csrf_token": match.group(1)})


def blinded(app, person: str):
    """``item(kind, *ref)`` -> the item id ``person`` is shown for a pair, check or set of ``app``."""
    blinder = app.extensions["semclust"]["blinder"]
    return lambda kind, *ref: blinder.item_id(person, kind, *ref)


def pairs_shown(client, pairs: pd.DataFrame) -> list[str]:
    """The coder's queue (``/pairs/state``) as pair ids of ``pairs`` (other items keep their item id)."""
    reverse = {client.item("pair", p): p for p in pairs["pair_id"]}
    return [reverse.get(i["pair_id"], i["pair_id"]) for i in client.get("/pairs/state").json["items"]]


def csrf_from(html: str) -> str:
    """The CSRF token of a rendered page (its ``<meta name="csrf-token">``)."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- app-client helpers ---------------------------------------------------------
def open_phase(admin_client, phase: str, action: str = "open") -> None:
    response = admin_client.post("/admin/phase", data={"phase": phase, "action": action,
                                                       "csrf_token": admin_client.csrf})
    assert response.status_code == 302, response.status_code


def open_matching(admin_client, clustering: str = CLUSTERING, action: str = "open") -> None:
    response = admin_client.post("/admin/matching", data={"clustering": clustering, "action": action,
                                                          "csrf_token": admin_client.csrf})
    assert response.status_code == 302, response.status_code


def post_json(client, url: str, body) -> object:
    return client.post(url, json=body, headers={"X-CSRFToken": client.csrf})


def rate(client, pair_id: str, den=1, con=2, **extra):
    """Rate a pair of ``samples/pairs.csv`` (its id is turned into the coder's item id) or an item id."""
    from semclust.annotate.blinding import is_item_id

    item = pair_id if is_item_id(pair_id) or not hasattr(client, "item") else client.item("pair", pair_id)
    return post_json(client, "/pairs/answer", {"pair_id": item, "denotative": den, "connotative": con, **extra})


def db_rows(study: Study, sql: str, params=()) -> list:
    """Rows read through a separate connection (what is really on disk)."""
    from semclust.annotate import db

    conn = db.connect(study.annotations_db)
    try:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()
