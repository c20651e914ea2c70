"""``transformers serve``: a real OpenAI-compatible server of a local model folder, for tests.

``transformers serve FOLDER`` (transformers >= 5, extra ``transformers[serving]``:
fastapi, uvicorn; it also needs accelerate and psutil) loads the model in the
folder once and answers ``POST /v1/chat/completions`` (text, and images for a
vision-language model), ``GET /v1/models`` and ``GET /health``. The server is
pinned to the folder: a request must name the model exactly as the folder was
given on the command line (anything else is a 400 "Server is pinned to ..."),
so :attr:`TransformersServer.model` is that string.

Use::

    with TransformersServer(folder) as server:
        run("semclust", "describe", ..., "--base-url", server.url, "--model", server.model)

The server runs as a subprocess on 127.0.0.1 on a free port; :meth:`start`
waits (bounded) for ``/health`` and fails with the server's last output when it
does not come up; :meth:`stop` terminates it, then kills it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command() -> list[str]:
    """The ``transformers`` CLI of this interpreter's environment, as an argv prefix."""
    script = Path(sys.executable).parent / ("transformers.exe" if os.name == "nt" else "transformers")
    if script.is_file():
        return [str(script)]
    found = shutil.which("transformers")
    if found:
        return [found]
    return [sys.executable, "-m", "transformers.cli.transformers"]


def missing_requirements() -> list[str]:
    """The modules ``transformers serve`` needs that this environment lacks (empty when ready)."""
    import importlib.util

    return [m for m in ("transformers", "fastapi", "uvicorn", "accelerate", "psutil")
            if importlib.util.find_spec(m) is None]


class TransformersServer:
    """``transformers serve folder`` on 127.0.0.1; ``url`` is the ``/v1`` base URL, ``model`` the id."""

    def __init__(self, folder: str | Path, startup_s: float = 180.0, extra_args: tuple = (),
                 env: dict | None = None):
        self.folder = str(folder)
        self.startup_s = startup_s
        self.extra_args = tuple(extra_args)
        self.env = env
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def model(self) -> str:
        """The model id requests must name: the folder exactly as given to ``transformers serve``."""
        return self.folder

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def output(self, chars: int = 4000) -> str:
        """The last ``chars`` characters the server wrote (stdout and stderr together)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-chars:]

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> TransformersServer:
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                   TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1", **(self.env or {}))
        self.port = free_port()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        command = [*serve_command(), "serve", self.folder, "--host", "127.0.0.1", "--port", str(self.port),
                   "--device", "cpu", "--log-level", "info", *self.extra_args]
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self.stop()
                raise RuntimeError(f"`{' '.join(command)}` exited with {self.process.returncode} "
                                   f"before answering /health; its last output:\n{output}")
            if self.healthy():
                return self
            time.sleep(0.5)
        output = self.output()
        self.stop()
        raise RuntimeError(f"`{' '.join(command)}` did not answer /health within {self.startup_s:.0f} s; "
                           f"its last output:\n{output}")

    def stop(self) -> None:
        """Terminate the server (then kill it after 10 s); safe to call twice."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
