"""A describe run killed with SIGKILL resumes without paying twice for a saved answer."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.chat_server import ChatServer

REPO = Path(__file__).resolve().parents[2]
N_IMAGES, CONCURRENCY = 40, 4


def _ok_records(path: Path) -> list[dict]:
    out = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # the torn line a kill may leave
            if rec.get("text"):
                out.append(rec)
    return out


@pytest.mark.slow
def test_describe_resume_after_sigkill_repeats_no_saved_answer(run_cli, make_image_study):
    study = make_image_study(n=N_IMAGES)
    path = study.description_path("d")
    with ChatServer(delay=0.1) as server:
        args = ["describe", "--study", str(study.root), "--backend", "openai", "--model", "m",
                "--base-url", server.url, "--id", "d", "--concurrency", str(CONCURRENCY)]
        proc = subprocess.Popen([sys.executable, "-m", "semclust", *args], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(_ok_records(path)) < 8 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        saved = {rec["sha256"] for rec in _ok_records(path)}
        assert 8 <= len(saved) < N_IMAGES, "the run must be killed mid-way"
        asked_before = dict(server.requests)

        result = run_cli(*args)

        assert result.exit_code == 0, result.stderr
        for sha in saved:  # nothing saved before the kill is requested again
            assert server.requests[sha] == asked_before[sha] == 1
        lost_in_flight = sum(server.successes.values()) - N_IMAGES
        assert 0 <= lost_in_flight <= CONCURRENCY
    final = _ok_records(path)
    assert sorted(r["image_id"] for r in final) == sorted(study.read_images()["image_id"])
    assert f"skipped {len(saved)}" in result.stdout
