"""Advisory locks for read-modify-writes of study files, between processes.

Two commands that read a study file, change it and write it back (two
``semclust sample pairs`` at once, say) would otherwise both read the old file
and the second write would silently drop the first one's change. Each such
step holds an exclusive :func:`fcntl.flock` on ``STUDY/.locks/<name>.lock``
(:meth:`Study.lock <semclust.study.Study.lock>`). A second writer
polls for up to :data:`DEFAULT_WAIT_S` seconds (``$SEMCLUST_LOCK_WAIT_S``) and
then stops with one line naming who holds the lock: the holder writes its pid,
command line, host and start time into the lock file.

The kernel releases a flock when its holder exits, however it exits (even
SIGKILL), so a lock is never stale and nothing needs cleaning up. Lock files
stay in ``.locks/`` (empty between commands); locks are advisory: they bind
semclust's own commands, not an editor.

The names in use: ``samples`` (``samples/pairs.csv``, ``pairs.json``,
``sets/``), ``clustering/<id>`` (one folder of ``clusterings/``) and
``criteria/<run>`` (one IC|TC run's ``criteria/<run>/``). A thread that holds
a lock may take it again (a classification holds its clustering's lock and
calls :meth:`Study.write_clustering`, which takes it too); other threads and
processes wait.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

from semclust.study import UserError, now_iso

LOCKS_DIR = ".locks"
DEFAULT_WAIT_S = 10.0
WAIT_ENV = "SEMCLUST_LOCK_WAIT_S"
POLL_S = 0.05
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}$")
_held = threading.local()  # .paths: the lock files this thread holds


def lock_path(study_root: str | os.PathLike, name: str) -> Path:
    """``STUDY/.locks/<name>.lock`` (``name`` with ``/`` becomes ``--``)."""
    flat = name.replace("/", "--")
    if not _NAME.match(flat) or ".." in flat:
        raise ValueError(f"invalid lock name {name!r}")
    return Path(study_root) / LOCKS_DIR / f"{flat}.lock"


def wait_seconds(wait_s: float | None = None) -> float:
    """The wait: ``wait_s``, else ``$SEMCLUST_LOCK_WAIT_S``, else :data:`DEFAULT_WAIT_S`."""
    if wait_s is not None:
        return float(wait_s)
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_S
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise UserError(f"${WAIT_ENV} must be a number of seconds (got {raw[:40]!r})") from None


@contextlib.contextmanager
def study_lock(study_root: str | os.PathLike, name: str, what: str | None = None, wait_s: float | None = None):
    """Hold the exclusive lock ``name`` of a study for the ``with`` block.

    ``what`` names the files in the message a waiter gets (default: ``name``).
    Raises UserError when another process (or thread) holds it for longer than
    the wait. Re-entrant: a thread already holding ``name`` just goes on.
    """
    path = lock_path(study_root, name)
    held = _held.__dict__.setdefault("paths", set())
    key = os.path.abspath(path)
    if key in held:
        yield path
        return
    try:
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise UserError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + wait_seconds(wait_s)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    subject = what or name
                    verb = "are" if subject.endswith("samples") else "is"
                    raise UserError(f"{subject} {verb} being changed by another semclust command "
                                    f"({_holder(fd)}); wait for it to finish and run this again") from None
                time.sleep(POLL_S)
        _describe_self(fd)
        held.add(key)
        try:
            yield path
        finally:
            held.discard(key)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _describe_self(fd: int) -> None:
    command = " ".join(["semclust", *sys.argv[1:]])[:300]
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, `{command}`, on {socket.gethostname()}, since {now_iso()}\n"
              .encode("utf-8", "replace"), 0)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 1000, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "a process that has not said who it is yet"
