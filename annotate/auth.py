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

import collections
import functools
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from flask import abort, current_app, g, redirect, request, session, url_for

from semclust.annotate import db
from semclust.annotate.keyfiles import checked_key, study_key
from semclust.annotate.people import end_session, person_by_session, start_session

SESSION_KEY = "sid"              # the cookie's field holding the session id
LEGACY_SESSION_KEY = "person_id"  # what older versions put in the cookie: no longer accepted
SECRET_KEY_FILE = ".secret_key"  # in the study folder, mode 0600
SECRET_KEY_ENV = "SEMCLUST_SECRET_KEY"
LOGIN_FAILURES_ALLOWED = 20     # invalid login links one address may try ...
LOGIN_FAILURE_WINDOW_S = 600    # ... within this many seconds; beyond, 429 until the window passes
log = logging.getLogger("semclust.annotate.login")


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


class LoginAttempts:
    """Failed logins per client address in a sliding window (one per app, thread-safe).

    Only the address and the time are kept, never a token.
    """

    def __init__(self, allowed: int = LOGIN_FAILURES_ALLOWED, window_s: float = LOGIN_FAILURE_WINDOW_S):
        self.allowed, self.window_s = allowed, window_s
        self._failures: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> collections.deque:
        times = self._failures.setdefault(address, collections.deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def blocked(self, address: str | None = None) -> bool:
        """Whether ``address`` (default: this request's) used up its failures in the window."""
        address = address or request.remote_addr or "?"
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.allowed

    def failed(self, address: str | None = None) -> None:
        """Count and log one failed login of ``address`` (default: this request's)."""
        address = address or request.remote_addr or "?"
        with self._lock:
            times = self._recent(address, time.monotonic())
            times.append(time.monotonic())
            n = len(times)
        log.warning("invalid login link tried from %s (%d in the last %d s)", address, n, self.window_s)


def login_attempts() -> LoginAttempts:
    """The app's failed-login counter."""
    return current_app.extensions["semclust"]["login_attempts"]


def cookie_name(study_root: str | os.PathLike, created_at: str, secure: bool) -> str:
    """The session cookie's name: its own per study, ``__Host-`` prefixed when Secure.

    Browsers scope cookies by host, not port, so two studies served on one host
    would otherwise replace each other's sessions. The suffix hashes the study's
    folder and creation time (nothing secret). ``__Host-`` makes a browser refuse
    the cookie unless it is Secure, host-only and for path ``/``, so another
    service on a sibling domain cannot plant it.
    """
    suffix = hashlib.sha256(f"{Path(study_root).resolve()}|{created_at}".encode()).hexdigest()[:10]
    return f"{'__Host-' if secure else ''}semclust-{suffix}"


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
        return checked_key(from_env, f"${SECRET_KEY_ENV}")
    return study_secret_key(study_root)


def secret_key_path(study_root: str | os.PathLike) -> Path:
    """``STUDY/.secret_key``: where a study keeps its cookie signing key."""
    return Path(study_root) / SECRET_KEY_FILE


def study_secret_key(study_root: str | os.PathLike) -> str:
    """Read the study's cookie key file, creating it on first use (see :func:`keyfiles.study_key`)."""
    return study_key(secret_key_path(study_root))
