"""`semclust serve`: one clear line instead of a traceback; slow clients cannot lock everyone out.

All traffic stays on 127.0.0.1 (the "not an address of this machine" case fails before any).
"""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semclust.annotate.cli import serve as serve_module
from support.app_study import free_port

REPO = Path(__file__).resolve().parents[2]
SEMCLUST = [sys.executable, "-m", "semclust"]


def _serve(study_root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*SEMCLUST, "serve", "--study", str(study_root), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_serving(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            assert proc.poll() is None, f"server exited: {proc.communicate()}"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)


def _get(port: int, path: str = "/", timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_serve_on_a_port_in_use_exits_2_naming_the_address_before_saying_serving(env):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        code, out, err = _finish(_serve(env.study.root, "--port", str(port)))
    assert code == 2 and "serving" not in out
    line = _one_line(err)
    assert f"127.0.0.1:{port}" in line and "already in use" in line and "--port" in line


def test_serve_on_an_address_not_of_this_machine_exits_2_naming_it(env):
    code, out, err = _finish(_serve(env.study.root, "--host", "192.0.2.1", "--port", str(free_port())))
    assert code == 2 and "serving" not in out
    line = _one_line(err)
    assert "192.0.2.1" in line and "--host 127.0.0.1" in line


def damage_database(path: Path, how: str) -> None:
    """Overwrite ``path`` with random bytes or cut it in half (and drop its -wal/-shm)."""
    data = path.read_bytes()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(os.urandom(len(data)) if how == "random bytes" else data[: len(data) // 2])


@pytest.mark.parametrize("damage", ["random bytes", "truncated"])
def test_serve_on_a_damaged_database_exits_2_naming_the_file(env, damage):
    path = env.study.annotations_db
    damage_database(path, damage)
    code, out, err = _finish(_serve(env.study.root, "--port", str(free_port())))
    assert code == 2 and "serving" not in out
    line = _one_line(err)
    assert str(path) in line and "backup" in line


def test_serve_passes_its_connection_options_and_secure_cookies_to_the_server(env, run_cli, monkeypatch):
    import waitress.server

    seen = {}

    class FakeServer:
        effective_port = 5999

        def run(self):
            seen["ran"] = True

    def fake_create_server(app, **kw):
        seen.update(kw, secure=app.config.get("SESSION_COOKIE_SECURE"))
        return FakeServer()

    monkeypatch.setattr(waitress.server, "create_server", fake_create_server)
    result = run_cli("serve", "--study", env.study.root, "--connection-limit", "300",
                     "--channel-timeout", "9", "--secure-cookies")
    assert result.exit_code == 0, result.stderr
    assert seen["connection_limit"] == 300 and seen["channel_timeout"] == 9 and seen["secure"] is True
    assert seen["asyncore_use_poll"] is True and seen["ran"] and "http://127.0.0.1:5999/" in result.stdout
    assert run_cli("serve", "--study", env.study.root).exit_code == 0
    assert seen["connection_limit"] == 1000 and seen["channel_timeout"] == 15 and not seen["secure"]


def test_connection_limit_is_clamped_to_the_open_file_limit_with_a_warning(monkeypatch):
    resource = pytest.importorskip("resource")
    limits = {"soft": 256, "hard": 512}

    monkeypatch.setattr(resource, "getrlimit", lambda which: (limits["soft"], limits["hard"]))

    def setrlimit(which, value):
        limits["soft"] = value[0]

    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    allowed, warning = serve_module.fd_budget(1000, threads=8)
    assert limits["soft"] == 512  # raised as far as the hard limit allows
    assert allowed == 512 - 3 * 8 - serve_module.FD_RESERVE and "--connection-limit" in warning
    limits.update(soft=256, hard=100_000)
    assert serve_module.fd_budget(1000, threads=8) == (1000, "") and limits["soft"] >= 1000


@pytest.mark.slow
def test_silent_half_open_requests_do_not_lock_out_normal_requests(env):
    """~250 clients that send part of a request line and then nothing must not exhaust the server."""
    port = free_port()
    proc = _serve(env.study.root, "--port", str(port))
    stalled: list[socket.socket] = []
    try:
        _wait_until_serving(proc, port)
        for _ in range(250):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /pairs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
            stalled.append(sock)
        time.sleep(1.0)  # let the server accept them all
        t0 = time.monotonic()
        assert _get(port, "/", timeout=5) in (200, 302, 401)
        assert time.monotonic() - t0 < 5
    finally:
        for sock in stalled:
            sock.close()
        _stop(proc)


@pytest.mark.slow
def test_silent_connections_are_closed_after_the_channel_timeout(env):
    port = free_port()
    proc = _serve(env.study.root, "--port", str(port), "--channel-timeout", "2")
    stalled: list[socket.socket] = []
    try:
        _wait_until_serving(proc, port)
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET / HTTP/1.1\r\n")
            stalled.append(sock)
        t0 = time.monotonic()
        assert all(sock.recv(1) == b"" for sock in stalled)  # the server closed them (or recv times out)
        assert time.monotonic() - t0 < 8
    finally:
        for sock in stalled:
            sock.close()
        _stop(proc)


@pytest.mark.parametrize("damage", ["random bytes", "truncated"])
def test_people_commands_on_a_damaged_database_exit_2_naming_it(run_cli, env, damage):
    study = env.study
    damage_database(study.annotations_db, damage)
    for args in (["people", "list"], ["people", "add", "newcomer", "--role", "coder"]):
        result = run_cli(*args, "--study", study.root)
        assert result.exit_code == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(study.annotations_db) in lines[0] and "backup" in lines[0]
