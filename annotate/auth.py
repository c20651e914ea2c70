"""Who is asking: the logged-in person of a request, sessions, roles, and the cookie key.

The people themselves (names, roles, login tokens, the ``sessions`` table)
live in :mod:`semclust.annotate.people`, which needs no web framework.

The session cookie is signed (so nobody can forge one) and carries only a
random session id under :data:`SESSION_KEY` (plus Flask-WTF's CSRF secret).
Every request looks that id up in the database (:func:`load_person`), so a
session ended there is over in every copy of the cookie.

The signing key never lives in the database (:func:`secret_key`): a copy of
``annotations.sqlite`` alone holds no key, no token and no session id.
"""
from __future__ import annotations

import functools
import os
import secrets
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from flask import abort, current_app, g, redirect, request, session, url_for

from semclust.annotate import db
from semclust.annotate.people import end_session, person_by_session, start_session
from semclust.pipeline.study import UserError

SESSION_KEY = "sid"              # the cookie's field holding the session id
LEGACY_SESSION_KEY = "person_id"  # what older versions put in the cookie: no longer accepted
SECRET_KEY_FILE = ".secret_key"  # in the study folder, mode 0600
SECRET_KEY_ENV = "SEMCLUST_SECRET_KEY"
MIN_SECRET_CHARS = 32


def load_person() -> None:
    """``before_request`` hook: put the logged-in person (or None) into ``g.person``.

    A cookie whose session was ended (or an old-style cookie without a
    session id) is cleared, so the browser drops it.
    """
    g.person = None
    session_id = session.get(SESSION_KEY)
    if session_id is not None:
        g.person = person_by_session(db_conn(), session_id)
    if g.person is None and (SESSION_KEY in session or LEGACY_SESSION_KEY in session):
        session.clear()


def log_in(person_id: int) -> None:
    """Start a new session for ``person_id`` in this browser (ending the one it had)."""
    log_out()
    session.permanent = True
    lifetime_s = int(current_app.permanent_session_lifetime.total_seconds())
    session[SESSION_KEY] = start_session(db_conn(), person_id, lifetime_s)


def log_out() -> None:
    """End this browser's session in the database and empty its cookie."""
    session_id = session.get(SESSION_KEY)
    if session_id is not None:
        end_session(db_conn(), session_id)
    session.clear()


def db_conn() -> sqlite3.Connection:
    """This server thread's database connection (opened on first use and kept).

    Waitress runs a fixed set of threads; keeping one connection per thread
    avoids re-opening the file on every request and the WAL checkpoint SQLite
    runs when the last connection to a database closes.
    """
    state = current_app.extensions["semclust"]
    conn = getattr(state["connections"], "conn", None)
    if conn is None:
        conn = state["connections"].conn = db.connect(current_app.config["DATABASE"], state["write_lock"])
    return conn


def require_role(role: str):
    """View decorator: anonymous visitors go to the login page, other roles get 403."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.person is None:
                if request.method == "GET" and not request.path.startswith("/images/"):
                    return redirect(url_for("login.index"))
                abort(401)
            if g.person["role"] != role:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def require_login(view):
    """View decorator: any logged-in person; anonymous visitors get 401."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.person is None:
            abort(401)
        return view(*args, **kwargs)
    return wrapped


# --- the cookie signing key -------------------------------------------------------
def secret_key(study_root: str | os.PathLike, configured: str | None = None,
               environ: Mapping[str, str] = os.environ) -> str:
    """The key that signs session cookies, never stored in the database.

    First found wins: ``configured`` (a ``SECRET_KEY`` given to ``create_app``),
    the environment variable ``SEMCLUST_SECRET_KEY``, the key file
    ``STUDY/.secret_key`` (created on first use by :func:`study_secret_key`).
    Raises UserError for a key shorter than 32 characters from the environment or the file.
    """
    if configured:
        return configured
    from_env = environ.get(SECRET_KEY_ENV, "").strip()
    if from_env:
        return _checked_key(from_env, f"${SECRET_KEY_ENV}")
    return study_secret_key(study_root)


def secret_key_path(study_root: str | os.PathLike) -> Path:
    """``STUDY/.secret_key``: where a study keeps its cookie signing key."""
    return Path(study_root) / SECRET_KEY_FILE


def study_secret_key(study_root: str | os.PathLike) -> str:
    """Read the study's key file, creating it on first use (mode 0600, 256 random bits as hex).

    Created with ``O_CREAT | O_EXCL``, so two servers starting at once agree on one key.
    """
    path = secret_key_path(study_root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    except OSError as exc:
        raise UserError(f"cannot create the secret key file {path}: {exc.strerror}") from None
    key = secrets.token_hex(32)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)  # a half-written key would lock everyone out
        raise UserError(f"cannot write the secret key file {path}: {exc.strerror}") from None
    return key


def _read_key_file(path: Path, wait_s: float = 2.0) -> str:
    """The key in ``path``; waits up to ``wait_s`` seconds for a file another process is writing."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            key = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the secret key file {path}: {exc}") from None
        if len(key) >= MIN_SECRET_CHARS or time.monotonic() > deadline:
            return _checked_key(key, str(path))
        time.sleep(0.05)


def _checked_key(key: str, where: str) -> str:
    if len(key) < MIN_SECRET_CHARS:
        raise UserError(f"the secret key in {where} is shorter than {MIN_SECRET_CHARS} characters; "
                        "use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'` "
                        "(changing it logs everyone out)")
    return key
