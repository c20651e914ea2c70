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

Secrets
-------
The database holds no secret: login tokens and session ids are stored only as
SHA-256 digests, and the key that signs session cookies lives outside it
(see :func:`semclust.annotate.auth.secret_key`). Databases written by older
versions kept that key in ``meta``; :func:`init_db` deletes that row.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from semclust.resources import resource_path
from semclust.study import UserError

BUSY_TIMEOUT_MS = 10_000
# Columns added to tables after they first shipped: (table, column, declaration).
# Constants only (identifiers cannot be SQL parameters); applied by :func:`migrate`.
ADDED_COLUMNS = (("people", "removed_at", "TEXT"),
                 ("ratings", "seconds_on_item", "REAL"),  # time from showing the pair to the answer
                 ("matches", "descriptions", "TEXT NOT NULL DEFAULT 'keywords'"))  # kind shown: keywords | names


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
            if conn.in_transaction:  # SQLite already rolled back after e.g. SQLITE_FULL
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


DAMAGED = ("file is not a database", "database disk image is malformed", "malformed database schema")


def database_error(path: Path, exc: sqlite3.DatabaseError) -> UserError:
    """A one-line UserError naming the annotation database and what to do about ``exc``."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if any(text in message for text in DAMAGED):
        return UserError(f"{path} is damaged or truncated ({message}): stop any `semclust serve` of the study, "
                         "keep the file for inspection and restore annotations.sqlite from a backup (move any "
                         "annotations.sqlite-wal and -shm beside it away first; docs/annotation.md, Durability)")
    if "locked" in message or "busy" in message:
        return UserError(f"{path}: {message}: another process is writing to it; try again")
    return UserError(f"{path}: {message} (check that the file and its folder are readable and writable)")


def check_database(path: Path) -> None:
    """Raise :func:`database_error` unless ``path`` is missing or passes SQLite's ``PRAGMA quick_check``.

    quick_check reads every page (a few ms per MB) without writing anything.
    """
    if not Path(path).is_file():
        return
    try:
        conn = _read_only(Path(path))  # reads only: works on a read-only study too
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise database_error(path, exc) from exc
    if problems != ["ok"]:
        raise database_error(path, sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}"))


VIEWS_MARKER = "-- @views"


def schema_parts() -> tuple[str, str]:
    """``schema.sql`` as (tables and indexes, views): the views are made after :func:`migrate`."""
    text = resource_path("annotate", "schema.sql").read_text(encoding="utf-8")
    tables, _, views = text.partition(VIEWS_MARKER)
    return tables, views


def init_db(path: str | Path) -> None:
    """Create the database (or bring an existing one up to the schema); never drops anything.

    Switches the file to WAL mode (a persistent property of the file), applies
    ``schema.sql`` (its tables, then after :func:`migrate` its views: the rule
    "the latest submission counts" is written once, there), adds missing columns (:func:`migrate`) and deletes the
    cookie signing key older versions stored in ``meta`` (:func:`forget_old_secret`).
    A damaged or truncated file raises UserError naming it (:func:`check_database`).
    """
    check_database(path)
    try:
        conn = connect(path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            tables, views = schema_parts()
            _in_one_transaction(conn, tables)
            migrate(conn)
            _in_one_transaction(conn, views)  # after migrate: the views use columns it adds
            forget_old_secret(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise database_error(path, exc) from exc


def _in_one_transaction(conn: sqlite3.Connection, script: str) -> None:
    """Run ``script`` inside one ``BEGIN IMMEDIATE`` transaction.

    Every command runs :func:`init_db`, whose views are dropped and made again:
    statement by statement, two processes starting at once interleaved their
    ``DROP VIEW``/``CREATE VIEW`` and one failed with "view ... already exists".
    """
    try:
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def opened(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to the study's database, brought up to the schema first (:func:`init_db`),
    closed on exit: for short CLI and library calls outside the app."""
    init_db(path)
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


READ_ONLY = ("readonly database", "unable to open database file", "read-only file system")


@contextmanager
def opened_for_reading(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection for commands that only read (``people list``, ``export``), closed on exit.

    Like :func:`opened` where the study can be written; where it cannot (a
    read-only folder or file, a read-only mount) the database is opened
    read-only instead (``mode=ro``, and ``immutable=1`` when SQLite cannot even
    create the WAL's shared-memory file beside it: nothing can be writing then).
    """
    path = Path(path)
    try:
        init_db(path)
    except UserError as exc:
        if not path.is_file() or not any(text in str(exc) for text in READ_ONLY):
            raise
        try:
            conn = _read_only(path)
        except sqlite3.DatabaseError as error:
            raise database_error(path, error) from error
    else:
        conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: ``mode=ro``, or ``immutable=1`` where SQLite cannot create the WAL's
    shared-memory file (a read-only folder). Raises sqlite3.DatabaseError for a damaged file."""
    uri = path.resolve().as_uri()
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(uri + query, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               factory=Connection)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if not any(text in str(exc) for text in READ_ONLY):
                raise
    raise sqlite3.OperationalError("unable to open database file read-only")


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Add the columns of :data:`ADDED_COLUMNS` a database lacks; return them as ``table.column``.

    Idempotent, and safe when two processes start at once: the check and the
    ``ALTER TABLE ... ADD COLUMN`` run in one write transaction.
    """
    added = []
    with transaction(conn):
        for table, column, declaration in ADDED_COLUMNS:
            have = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                added.append(f"{table}.{column}")
    return added


def forget_old_secret(conn: sqlite3.Connection) -> bool:
    """Delete the ``meta`` row ``secret_key`` (where older versions kept the cookie key).

    That key was in every copy of the database, so it is never used again. The
    row is overwritten with zeros (``secure_delete``) and the write-ahead log is
    checkpointed and truncated, so the key's bytes leave the files. Returns
    whether there was a row.
    """
    conn.execute("PRAGMA secure_delete = ON")
    with transaction(conn):
        deleted = conn.execute("DELETE FROM meta WHERE key = 'secret_key'").rowcount
    if deleted:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return bool(deleted)


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """Value of one ``meta`` key, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]
