"""The annotation database: the one owner of SQLite connections.

``annotations.sqlite`` in the study folder holds people, phase openings, pair
ratings and matching choices (schema: ``annotate/schema.sql``).

Durability
----------
The database runs in WAL mode with ``synchronous=FULL``: every commit appends
to the write-ahead log and fsyncs it before ``COMMIT`` returns. The app
acknowledges a submission (HTTP 200) only after that commit, so an
acknowledged submission survives the server being killed (SIGKILL) *and* the
machine losing power. (``synchronous=NORMAL`` in WAL mode would survive a
killed process but could lose the last commits on power loss; the extra fsync
costs about a millisecond per submission, which a human rater never notices.)

Write transactions are short (``BEGIN IMMEDIATE`` ... ``COMMIT`` around one
submission) and use parameterised SQL only.
"""
from __future__ import annotations

import secrets
import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from semclust.resources import resource_path

BUSY_TIMEOUT_MS = 10_000


class Connection(sqlite3.Connection):
    """A sqlite3 connection that may share an in-process write lock with its siblings.

    SQLite's busy handler makes a waiting writer poll with growing sleeps, which
    under many concurrent writers lets some wait for seconds. Server threads of
    one app therefore queue on a ``threading.Lock`` first, so at most one of them
    is inside a write transaction and the others wake as soon as it commits.
    """

    write_lock: threading.Lock | None = None


def connect(path: str | Path, write_lock: threading.Lock | None = None) -> Connection:
    """Open a connection with the app's settings (WAL, synchronous=FULL, foreign keys).

    The connection is in autocommit mode; group writes with :func:`transaction`.
    Rows come back as :class:`sqlite3.Row` (index by column name). Connections
    given the same ``write_lock`` take it around each write transaction.
    """
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False, factory=Connection)
    conn.write_lock = write_lock
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A short write transaction: ``BEGIN IMMEDIATE``, commit on success, roll back on error.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two writers never
    deadlock upgrading a read lock; the busy timeout makes a writer of another
    process wait. Writers sharing ``conn.write_lock`` queue on it first.
    """
    lock = getattr(conn, "write_lock", None) or nullcontext()
    with lock:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def init_db(path: str | Path) -> None:
    """Create the database (or bring an existing one up to the schema); never drops anything.

    Switches the file to WAL mode (a persistent property of the file) and
    stores a random secret key for session cookies on first use, so logins
    survive a server restart.
    """
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(resource_path("annotate", "schema.sql").read_text(encoding="utf-8"))
        with transaction(conn):
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('secret_key', ?)",
                         (secrets.token_hex(32),))
    finally:
        conn.close()


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """Value of one ``meta`` key, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]
