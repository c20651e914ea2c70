"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

It answers ``POST /v1/chat/completions`` with a text derived from the sha256 of
the image it received (so a test can check which answer went to which image),
counts requests and successful answers per image, and can be scripted per image
to misbehave: ``"429"`` (with ``Retry-After``), ``"500"``, ``"hang"`` (answer
later than the client's timeout), ``"garbage"`` (200 with a body that is not
JSON), ``"garbage-json"`` (200 with JSON that is no completion), ``"empty"``
(200 with empty content), or ``"say:<text>"`` (200 with exactly ``<text>`` as the
answer, e.g. ``"say:protset"`` to test how a classifier maps a misspelt class).
Each scripted action is used once, in order; then the image gets normal answers.

Text-only requests (no image; counted under ``"no-image"``) are answered by a
``responder``: a callable given the request body (use :func:`user_text` and
:func:`system_text` to read it) that returns an action of the same vocabulary,
e.g. ``"say:Answer: joy"`` or ``"429"``. It is called for every request that
has no scripted action left; without one, such requests get the normal answer.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer_text(sha256: str) -> str:
    """The description the server gives for an image with this sha256."""
    return f"Image {sha256[:12]} conveys a quiet mood of togetherness."


class ChatServer:
    """Start with ``with ChatServer(delay=0.2) as server: ... server.url ...``."""

    def __init__(self, delay: float = 0.0, script: dict | None = None, retry_after: str = "1",
                 hang_s: float = 3.0, responder=None):
        self.delay = delay
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.responder = responder
        self.requests: Counter = Counter()
        self.successes: Counter = Counter()
        self.times: dict = defaultdict(list)  # sha256 -> monotonic arrival times
        self.bodies: list = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self._httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "ChatServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real inference servers do

            def do_POST(self):  # noqa: N802 - http.server API
                server._handle(self)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- one request ------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0))
        body = json.loads(handler.rfile.read(length))
        sha = _image_sha(body)
        with self.lock:
            self.requests[sha] += 1
            self.times[sha].append(time.monotonic())
            self.bodies.append(body)
            steps = self.script.get(sha)
            action = steps.pop(0) if steps else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if action is None:  # outside the lock: a responder may be slow or lock on its own
                action = self.responder(body) if self.responder is not None else "ok"
            self._act(handler, action, sha, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) or was killed
        finally:
            with self.lock:
                self.in_flight -= 1

    def _act(self, handler, action: str, sha: str, body: dict) -> None:
        if action == "429":
            return _send(handler, 429, {"error": {"message": "rate limited"}},
                         {"Retry-After": self.retry_after})
        if action == "500":
            return _send(handler, 500, {"error": {"message": "internal error"}})
        if action == "garbage":
            return _send_raw(handler, 200, b"<html>upstream proxy error</html>", "application/json")
        if action == "garbage-json":
            return _send(handler, 200, {"unexpected": True})
        time.sleep(self.hang_s if action == "hang" else self.delay)
        content = ("" if action == "empty" else action[4:] if action.startswith("say:")
                   else answer_text(sha))
        completion = {
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
        }
        _send(handler, 200, completion)
        if action == "ok" or action.startswith("say:"):
            with self.lock:
                self.successes[sha] += 1


def _image_sha(body: dict) -> str:
    for message in body.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                data = part["image_url"]["url"].split("base64,", 1)[1]
                return hashlib.sha256(base64.b64decode(data)).hexdigest()
    return "no-image"


def user_text(body: dict) -> str:
    """The text of the last user message of a request body ("" when there is none)."""
    return _role_text(body, "user")


def system_text(body: dict) -> str:
    """The text of the system message of a request body ("" when there is none)."""
    return _role_text(body, "system")


def _role_text(body: dict, role: str) -> str:
    found = ""
    for message in body.get("messages", []):
        if message.get("role") == role:
            content = message.get("content")
            found = content if isinstance(content, str) else " ".join(
                part.get("text", "") for part in content or [] if part.get("type") == "text")
    return found


def _send(handler, status: int, payload: dict, headers: dict | None = None) -> None:
    _send_raw(handler, status, json.dumps(payload).encode(), "application/json", headers)


def _send_raw(handler, status: int, data: bytes, content_type: str, headers=None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


def main() -> None:
    """Run the server alone (for benchmarks): prints its URL, serves until killed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="OpenAI-compatible test server on 127.0.0.1")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each answer")
    args = parser.parse_args()
    server = ChatServer(delay=args.delay).start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
