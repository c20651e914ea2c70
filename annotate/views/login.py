"""Login by personal link, logout, and the home page that sends each role to its work."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, session, url_for

from semclust.annotate.auth import db_conn
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
        session.clear()
        return render_template("login/index.html", invalid=True), 403
    session.clear()
    session.permanent = True
    session["person_id"] = person["id"]
    return redirect(url_for(HOME[person["role"]]))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("login.index"))
