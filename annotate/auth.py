"""Who is asking: the logged-in person of a request, and the role checks of the views.

The people themselves (names, roles, login tokens) live in
:mod:`semclust.annotate.people`, which needs no web framework.
"""
from __future__ import annotations

import functools
import sqlite3

from flask import abort, g, redirect, request, session, url_for

from semclust.annotate import db


def load_person() -> None:
    """``before_request`` hook: put the logged-in person (or None) into ``g.person``."""
    g.person = None
    person_id = session.get("person_id")
    if person_id is not None:
        g.person = db_conn().execute("SELECT id, name, role FROM people WHERE id = ?",
                                     (person_id,)).fetchone()


def db_conn() -> sqlite3.Connection:
    """This server thread's database connection (opened on first use and kept).

    Waitress runs a fixed set of threads; keeping one connection per thread
    avoids re-opening the file on every request and the WAL checkpoint SQLite
    runs when the last connection to a database closes.
    """
    from flask import current_app

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
