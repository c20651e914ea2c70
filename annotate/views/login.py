"""Login by personal link, logout, and the home page that sends each role to its work.

Opening a link (``GET /login/<token>``) only shows a confirmation page: a GET
never changes who is logged in, so a page elsewhere that links or embeds the
link can neither log a browser in as someone else nor log it out. The button
on that page POSTs (with the CSRF token) and starts a server-side session
(:func:`auth.log_in`); logging out ends it in the database, so a saved copy of
the cookie stops working too.

Failed attempts (an unknown or withdrawn token) are logged with the client's
address, never the token, and limited per address
(:data:`semclust.annotate.auth.LOGIN_FAILURES_ALLOWED` per
:data:`~semclust.annotate.auth.LOGIN_FAILURE_WINDOW_S` seconds; beyond, 429).
"""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for

from semclust.annotate.auth import db_conn, log_in, log_out, login_attempts
from semclust.annotate.people import person_by_token

bp = Blueprint("login", __name__)
HOME = {"coder": "pairs.rate", "evaluator": "matching.match", "admin": "admin.dashboard"}


@bp.get("/")
def index():
    if g.person is None:
        return render_template("login/index.html"), 401
    return redirect(url_for(HOME[g.person["role"]]))


def _person_of(token: str):
    """The person of a login token, or the invalid-link page (403; 429 when an address keeps failing)."""
    attempts = login_attempts()
    if attempts.blocked():
        abort(429, "Too many invalid login links were tried from this address; wait a few minutes.")
    person = person_by_token(db_conn(), token)
    if person is None:
        attempts.failed()
        return None, (render_template("login/index.html", invalid=True), 403)
    return person, None


@bp.get("/login/<token>")
def confirm(token: str):
    """The confirmation page of a personal link: who it signs in, and a button that does."""
    person, refused = _person_of(token)
    if refused:
        return refused
    return render_template("login/confirm.html", name=person["name"], role=person["role"],
                           current=g.person, token=token)


@bp.post("/login/<token>")
def login(token: str):
    person, refused = _person_of(token)
    if refused:
        return refused
    log_in(person["id"])
    return redirect(url_for(HOME[person["role"]]))


@bp.post("/logout")
def logout():
    log_out()
    return redirect(url_for("login.index"))
