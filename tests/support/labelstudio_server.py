"""A real Label Studio server and a small study for the bridge tests (not a test module).

Label Studio runs from its own virtualenv (``make labelstudio`` creates
``.venv-labelstudio``: its pins differ from ours), bound to 127.0.0.1 on a
free port, with its data under the test's temp folder, telemetry and the
PyPI version check off, local-files serving on, and a legacy API token for
the admin created at start.

The first start of a fresh database runs Django's migrations (about two
minutes on 2 cores). The migrated, empty database is therefore kept once in
``.venv-labelstudio/semclust-test-data/`` (it belongs to that Label Studio
version and is removed with the virtualenv) and copied for every server.
``make labelstudio`` builds that template by running this file as a script
(``python tests/support/labelstudio_server.py``). Tests reach the virtualenv
through the ``labelstudio_venv`` fixture (tests/conftest.py): skipped loudly
where it cannot be built, a failure under ``CI``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from PIL import Image

from semclust.study import Study

REPO = Path(__file__).resolve().parents[2]
LS_VENV = REPO / ".venv-labelstudio"
LS_BIN = LS_VENV / "bin" / "label-studio"
TEMPLATE = LS_VENV / "semclust-test-data"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "semclust-admin-pass"
ADMIN_TOKEN = "semclust-test-token-0123456789"  # 6-40 characters
START_TIMEOUT = 300


@dataclass
class LabelStudioServer:
    url: str
    token: str
    document_root: Path
    data_dir: Path
    log: Path


def ensure_virtualenv() -> str | None:
    """Build ``.venv-labelstudio`` with ``make labelstudio`` if needed; the reason it failed, or None."""
    if (LS_VENV / ".installed").is_file() and LS_BIN.is_file():
        return None
    if shutil.which("make") is None:
        return "`make` is not installed, so .venv-labelstudio cannot be built"
    done = subprocess.run(["make", "-C", str(REPO), "labelstudio"], capture_output=True, text=True)
    if done.returncode != 0 or not LS_BIN.is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        return "`make labelstudio` failed: " + " | ".join(tail)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path, document_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "LABEL_STUDIO"))}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_USERNAME": ADMIN_EMAIL,
        "LABEL_STUDIO_PASSWORD": ADMIN_PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": ADMIN_TOKEN,
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(document_root),
        "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    return env


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Label Studio exited with {proc.returncode}; log {log}:\n"
                               + log.read_text(errors="replace")[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"Label Studio did not answer /health within {timeout:.0f} s; log {log}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group, started here
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def run_server(data_dir: Path, document_root: Path, timeout: float = START_TIMEOUT):
    """Start Label Studio on 127.0.0.1:<free port>; yield a :class:`LabelStudioServer`; stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    document_root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(LS_BIN), "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir)],
            env=_environment(data_dir, document_root), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=data_dir)
    try:
        _wait_healthy(url, proc, log, timeout)
        yield LabelStudioServer(url, ADMIN_TOKEN, document_root, data_dir, log)
    finally:
        _stop(proc)


def migrated_template(scratch: Path) -> Path:
    """The migrated empty data dir (built once, under a lock, by a first real start)."""
    lock_path = LS_VENV / ".semclust-test-data.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (TEMPLATE / "label_studio.sqlite3").is_file():
            building = scratch / "template-build"
            with run_server(building, scratch / "template-docs"):
                pass
            (building / "server.log").unlink(missing_ok=True)
            tmp = LS_VENV / "semclust-test-data.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(building, tmp)
            os.replace(tmp, TEMPLATE)
    return TEMPLATE


@contextlib.contextmanager
def fresh_server(tmp: Path, document_root: Path):
    """A server on a copy of the migrated template, with its data under ``tmp``."""
    template = migrated_template(tmp)
    data_dir = tmp / "label-studio-data"
    shutil.copytree(template, data_dir)
    with run_server(data_dir, document_root) as server:
        yield server


def add_annotator(server: LabelStudioServer, email: str, password: str) -> tuple[int, str]:
    """Add an annotator the way a lab does (the organisation's invite link) and return ``(id, token)``.

    Users created through ``POST /api/users/`` get no password, so they could
    never log in; the invite link makes a real account. The admin then sets its
    ``active_organization`` through the users API (without it every project
    endpoint answers 404 for the user), and the user's own session fetches its
    API token.
    """
    admin = {"Authorization": f"Token {server.token}"}
    invite = httpx.get(f"{server.url}/api/invite", headers=admin, timeout=30).json()
    with httpx.Client(base_url=server.url, timeout=60) as session:
        session.get(invite["invite_url"])
        csrf = session.cookies.get("csrftoken")
        signup = session.post(invite["invite_url"], headers={"Referer": server.url + invite["invite_url"]},
                              data={"email": email, "password": password, "csrfmiddlewaretoken": csrf})
        assert signup.status_code == 302, f"signup of {email} failed: HTTP {signup.status_code}"
        me = session.get("/api/current-user/whoami").json()
        org = httpx.get(f"{server.url}/api/current-user/whoami", headers=admin, timeout=30).json()
        patched = httpx.patch(f"{server.url}/api/users/{me['id']}/", headers=admin, timeout=30,
                              json={"active_organization": org["active_organization"]})
        patched.raise_for_status()
        token = session.get("/api/current-user/token").json()["token"]
    return me["id"], token


# --- a small study ------------------------------------------------------------
CLUSTERING = "umap5-hdb50"
TERMS = {0: ["protest", "crowd", "banner"], 1: ["beach", "sunset", "holiday"],
         2: ["vaccine", "doctor", "clinic"]}


def make_study(root: Path, n_pairs: int = 16, seed: int = 7) -> Study:
    """A study of 12 small PNGs: 3 clusters of 4 (one image is noise), pairs in phases 1 and 2,
    and 2 matching sets of 3 images per cluster.

    Pair and set ids deliberately leak what annotators must not see
    (``same-003``, ``c1-s2``), so the tests can check they never reach Label Studio.
    """
    rng = np.random.default_rng(seed)
    image_dir = root / "images"
    image_dir.mkdir(parents=True)
    rows = []
    for i in range(12):
        path = image_dir / f"img{i:02d}.png"
        Image.new("RGB", (48, 32), tuple(int(v) for v in rng.integers(0, 256, 3))).save(path)
        rows.append({"image_id": f"i{i:02d}", "path": path.name, "sha256": f"{i:064x}",
                     "width": 48, "height": 32, "status": "ok", "error": ""})
    study = Study.create(root / "study", image_dir, seed=seed)
    study.write_images(pd.DataFrame(rows))
    cluster = {f"i{i:02d}": i // 4 for i in range(12)}
    cluster["i11"] = -1
    labels = pd.DataFrame({"image_id": list(cluster), "cluster": list(cluster.values())})
    keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": t, "score": 1 - r / 10}
                             for c, terms in TERMS.items() for r, t in enumerate(terms)])
    study.write_clustering(CLUSTERING, labels, {"seed": seed}, keywords, {"n_clusters": 3})
    combos = [(a, b) for a in cluster for b in cluster if a < b]
    picked = [combos[k] for k in rng.choice(len(combos), n_pairs, replace=False)]
    pairs = pd.DataFrame([{"pair_id": f"{'same' if cluster[a] == cluster[b] else 'diff'}-{k:03d}",
                           "image_a": a, "image_b": b, "phase": "1" if k < n_pairs // 2 else "2"}
                          for k, (a, b) in enumerate(picked)])
    study.pairs_csv.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(study.pairs_csv, index=False)
    members = {c: [i for i, k in cluster.items() if k == c] for c in TERMS}
    sets = pd.DataFrame([{"set_id": f"c{c}-s{s}", "cluster": c,
                          "image_ids": ";".join(rng.choice(members[c], 3, replace=False))}
                         for c in TERMS for s in (1, 2)])
    study.sets_dir.mkdir(parents=True, exist_ok=True)
    sets.to_csv(study.sets_csv(CLUSTERING), index=False)
    return study


if __name__ == "__main__":  # `make labelstudio`: migrate the empty database once, at set-up time
    import tempfile

    if ensure_virtualenv() is not None:
        raise SystemExit(f"Label Studio virtualenv not usable: {ensure_virtualenv()}")
    with tempfile.TemporaryDirectory() as scratch:
        print(f"migrated Label Studio database template: {migrated_template(Path(scratch))}")
