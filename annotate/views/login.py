"""Login by personal link, logout, and the home page that sends each role to its work.

Opening a link starts a server-side session (:func:`auth.log_in`); logging
out ends it in the database, so a saved copy of the cookie stops working too.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from semclust.annotate.auth import db_conn, log_in, log_out
from semclust.annotate.people import person_by_token

bp = Blueprint("login", __name__)
HOME = {"coder": "pairs.rate", "evaluator": "matching.match", "admin": "admin.dashboard"}


@bp.get("/")
def index():
    if g.person is None:
        return render_template("login/index.html"), 401
    return redirect(url_for(HOME[g.person["role"]]))


@bp.get("/login/<token>")
def login(token: str):
    person = person_by_token(db_conn(), token)
    if person is None:
        log_out()
        return render_template("login/index.html", invalid=True), 403
    log_in(person["id"])
    return redirect(url_for(HOME[person["role"]]))


@bp.post("/logout")
def logout():
    log_out()
    return redirect(url_for("login.index"))
