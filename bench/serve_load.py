"""Load and durability bench of the annotation app (`semclust serve`, waitress + SQLite).

1. Builds a throw-away study (1,000 pairs, 50 coders), starts `semclust serve` as a
   subprocess on 127.0.0.1 and lets N concurrent clients (threads, keep-alive
   http.client connections, each logged in by its own link, CSRF header like the
   browser) submit ratings for DURATION seconds. Prints throughput and p50/p99
   latency of acknowledged submissions.
2. Restarts the server, runs the same load and SIGKILLs the server mid-load; then
   opens the database and checks that every submission that was acknowledged
   (HTTP 200, in either run) is there with the submitted scores.

Usage: python bench/serve_load.py [--clients 50] [--duration 60] [--think-ms 0] [--stalled 0]
``--think-ms`` adds a pause between a client's submissions, uniform in [0, 2 x think],
and clients then also start at such a random offset (0 = all start at once and submit as
fast as possible: the server is saturated and latency is mostly queueing, ~N / throughput).
``--stalled N`` keeps N more connections open during the first run that send a request
header one byte every 10 s and never finish it (slow clients: never idle for the server's
15 s channel timeout, so they hold a connection slot each the whole time).
The server runs with `semclust serve`'s default connection settings.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from semclust.annotate import answers, db
from semclust.annotate.people import add_person
from semclust.study import Study

REPO = Path(__file__).resolve().parents[1]


def make_study(root: Path, n_images: int = 60, n_pairs: int = 1000, n_coders: int = 50) -> tuple[Study, list]:
    """A study with pairs in phase 1 (open), ``n_coders`` coders; returns (study, tokens)."""
    (root / "images").mkdir(parents=True)
    study = Study.create(root / "study", root / "images")
    study.write_images(pd.DataFrame({
        "image_id": [f"i{i}" for i in range(n_images)], "path": [f"{i}.png" for i in range(n_images)],
        "sha256": "0" * 64, "width": 10, "height": 10, "status": "ok", "error": ""}))
    combos = [(a, b) for a in range(n_images) for b in range(a + 1, n_images)][:n_pairs]
    study.pairs_csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"pair_id": [f"p{k:05d}" for k in range(len(combos))], "image_a": [f"i{a}" for a, _ in combos],
                  "image_b": [f"i{b}" for _, b in combos], "phase": "1"}).to_csv(study.pairs_csv, index=False)
    add_person(study.annotations_db, "admin", "admin")
    tokens = [add_person(study.annotations_db, f"coder{i:02d}", "coder") for i in range(n_coders)]
    conn = db.connect(study.annotations_db)
    answers.set_phase(conn, "1", True, 1)
    conn.close()
    return study, tokens


def start_server(study: Study, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "semclust", "serve", "--study", str(study.root),
                             "--port", str(port), "--threads", "8"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


class Client:
    """One coder: a keep-alive connection, the session cookie and the CSRF token."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        confirm = self.request("GET", f"/login/{token}")[1].decode()  # the link's page; its button signs in
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
        self.request("POST", f"/login/{token}", f"csrf_token={csrf}".encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        instructions = self.request("GET", "/pairs/instructions")[1].decode()  # read before the first pair
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', instructions).group(1)
        self.request("POST", "/pairs/instructions", f"csrf_token={self.csrf}&practice=skip".encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        page = self.request("GET", "/pairs/")[1].decode()
        self.pairs = re.findall(r'"pair_id": ?"([0-9a-f]{20})"', page)  # this coder's item ids

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None):
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        self.conn.request(method, url, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data

    def submit(self, pair_id: str, den: int, con: int):
        body = json.dumps({"pair_id": pair_id, "denotative": den, "connotative": con}).encode()
        return self.request("POST", "/pairs/answer", body, {"Content-Type": "application/json",
                                                            "X-CSRFToken": self.csrf})


class Stalled:
    """``n`` connections that trickle a never-finished request header (one byte every ``every_s``)."""

    def __init__(self, port: int, n: int, every_s: float = 10.0):
        self.socks = []
        for _ in range(n):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /pairs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            self.socks.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, args=(every_s,), daemon=True)
        self.thread.start()

    def _trickle(self, every_s: float) -> None:
        while not self.stop.wait(every_s):
            for sock in self.socks:
                try:
                    sock.sendall(b"a")
                except OSError:
                    pass

    def alive(self) -> int:
        """How many the server has not closed (a closed one reads b'' at once)."""
        n = 0
        for sock in self.socks:
            sock.setblocking(False)
            try:
                n += sock.recv(1) != b""
            except BlockingIOError:
                n += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return n

    def close(self) -> None:
        self.stop.set()
        for sock in self.socks:
            sock.close()


def run_load(port: int, tokens: list[str], duration: float, think_s: float, acked: list, on_start=None):
    """Clients submit until ``duration`` passes or the server is gone; returns latencies (s) of acks."""
    latencies: list[float] = []
    lock = threading.Lock()
    clients = [Client(port, t) for t in tokens]  # log in before the clock starts
    end = time.monotonic() + duration
    if on_start:
        on_start()

    def work(client: Client, seed: int):
        rng = random.Random(seed)
        if think_s:  # desynchronised start, as in the steady state (no lock-step burst at t=0)
            time.sleep(rng.uniform(0, 2 * think_s))
        while time.monotonic() < end:
            pair, den, con = rng.choice(client.pairs), rng.randint(0, 2), rng.randint(0, 2)
            t0 = time.perf_counter()
            try:
                status, data = client.submit(pair, den, con)
            except (OSError, http.client.HTTPException):
                return  # server gone: this submission was never acknowledged
            if status == 200:
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    acked.append((json.loads(data)["ids"], pair, den, con))
            if think_s:
                time.sleep(rng.uniform(0, 2 * think_s))

    threads = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def check_acked(study: Study, acked: list) -> int:
    """Number of acknowledged submissions missing (or different) in the database."""
    from semclust.annotate.blinding import study_blinder

    conn = sqlite3.connect(study.annotations_db)
    names = [r[0] for r in conn.execute("SELECT name FROM people")]
    blinder, pair_ids = study_blinder(study.root), study.read_pairs()["pair_id"]
    pair_of = {blinder.item_id(name, "pair", p): p for name in names for p in pair_ids}  # item id -> pair
    rows = {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT id, pair_id, dimension, score FROM ratings")}
    conn.close()
    acked = [(ids, pair_of.get(item), den, con) for ids, item, den, con in acked]
    lost = 0
    for (id_den, id_con), pair, den, con in acked:
        lost += rows.get(id_den) != (pair, "denotative", den) or rows.get(id_con) != (pair, "connotative", con)
    return lost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent coders (one connection each)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load in the first run")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause between a client's submissions")
    parser.add_argument("--kill-after", type=float, default=5.0, help="seconds of load before SIGKILL")
    parser.add_argument("--stalled", type=int, default=0,
                        help="slow connections held open during the first run (a header byte every 10 s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        study, tokens = make_study(Path(tmp), n_coders=args.clients)
        acked: list = []
        port = free_port()
        server = start_server(study, port)
        stalled = None
        try:
            stalled = Stalled(port, args.stalled) if args.stalled else None
            t_start: list[float] = []
            lat = run_load(port, tokens, args.duration, args.think_ms / 1000, acked,
                           on_start=lambda: t_start.append(time.monotonic()))
            elapsed = time.monotonic() - t_start[0]
            still_open = stalled.alive() if stalled else 0
        finally:
            if stalled:
                stalled.close()
            server.kill()
            server.wait()
        ms = sorted(x * 1000 for x in lat)
        p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else float("nan")
        print(f"load: {args.clients} clients, {args.duration:.0f} s, think {args.think_ms:.0f} ms, "
              f"cpus {os.cpu_count()}: {len(ms)} ratings acknowledged, {len(ms) / elapsed:.0f} ratings/s, "
              f"latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
              + (f"; {args.stalled} stalled connections, {still_open} still open at the end"
                 if args.stalled else ""))

        port = free_port()
        server = start_server(study, port)
        before = len(acked)
        killer = threading.Timer(args.kill_after, lambda: os.kill(server.pid, signal.SIGKILL))
        run_load(port, tokens, args.kill_after + 60, args.think_ms / 1000, acked, on_start=killer.start)
        killer.join()
        server.wait()
        lost = check_acked(study, acked)
        print(f"SIGKILL mid-load: {len(acked) - before} acknowledged in the killed run, "
              f"{len(acked)} in total; missing from the database: {lost}")
        if lost:
            sys.exit(1)


if __name__ == "__main__":
    main()
