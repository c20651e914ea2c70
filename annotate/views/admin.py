"""``/admin``: progress and logins per person, live agreement, phase openings, export.

Krippendorff's alpha comes from ``evaluation.agreement`` (the statistics
live there; :mod:`annotate.dashboard` feeds it the latest ratings, as in
``exports/ratings.csv``); if that module cannot be imported the dashboard says
so and shows counts only. Alpha from fewer than 30 items carries a warning.
"""
from __future__ import annotations

import threading

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from semclust.annotate import answers, checks, export
from semclust.annotate import dashboard as dashboard_stats
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.people import list_people, session_summary
from semclust.annotate.views import catalog, study
from semclust.study import UserError

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Export files offered for download: name -> its path in a study.
EXPORTS = {"ratings.csv": lambda s: s.ratings_csv, "matches.csv": lambda s: s.matches_csv,
           "comments.csv": lambda s: s.comments_csv, "checks.csv": lambda s: s.checks_csv}


def progress_rows(people, phases: list[str], clusterings: list[str], pairs_done: dict | None = None) -> list[dict]:
    """One row per person: answered/total per phase (coders) or per clustering (evaluators).

    Each row also has ``removed`` (when the person was removed, or None),
    ``sessions`` (browsers logged in now) and ``last_login`` (ISO 8601 UTC, or None).
    """
    cat, conn = catalog(), db_conn()
    pairs_done = answers.pair_progress(conn) if pairs_done is None else pairs_done
    sets_done = answers.match_progress(conn)
    logins = session_summary(conn)
    phase_sizes = dict.fromkeys(phases, 0)
    for row in cat.pair_index().values():
        if row["phase"] in phase_sizes:
            phase_sizes[row["phase"]] += 1
    set_sizes = {c: len(cat.sets(c)) * len(cat.description_kinds(c)) for c in clusterings}  # one item per kind
    rows = []
    for person in people:
        if person["role"] == "coder":
            cells = [(p, pairs_done.get((person["id"], p), 0), phase_sizes[p]) for p in phases]
        elif person["role"] == "evaluator":
            cells = [(c, sets_done.get((person["id"], c), 0), set_sizes[c]) for c in clusterings]
        else:
            cells = []
        login = logins.get(person["id"], {"active": 0, "last_login": None})
        rows.append({"name": person["name"], "role": person["role"], "cells": cells,
                     "removed": person["removed_at"], "sessions": login["active"],
                     "last_login": login["last_login"]})
    return rows


@bp.get("/")
@require_role("admin")
def dashboard():
    return render_dashboard()


def render_dashboard(export_error: str | None = None):
    """The dashboard page; ``export_error`` is shown in the export section."""
    cat, conn = catalog(), db_conn()
    phases, clusterings = cat.phases(), cat.clusterings_with_sets()
    ext = current_app.extensions["semclust"]
    cache = ext.setdefault("rating_cache", dashboard_stats.RatingCache())  # read incrementally
    with ext.setdefault("rating_cache_lock", threading.Lock()):
        latest = dashboard_stats.latest_ratings(conn, cache)
    alpha_rows, alpha_message = dashboard_stats.alpha_rows(latest, phases)
    return render_template(
        "admin/dashboard.html", phases=phases, clusterings=clusterings,
        open_phases=answers.open_phases(conn), open_clusterings=answers.open_clusterings(conn),
        progress=progress_rows(list_people(conn), phases, clusterings, dashboard_stats.pair_progress(latest)),
        alpha_rows=alpha_rows, alpha_message=alpha_message, counts=dashboard_stats.counts(latest),
        min_items=dashboard_stats.MIN_ITEMS_FOR_ALPHA, check_accuracy=checks.accuracy_by_coder(conn),
        n_checks=len(checks.list_checks(conn)),
        exports={name: path_of(study()).is_file() for name, path_of in EXPORTS.items()},
        export_error=export_error)


@bp.post("/phase")
@require_role("admin")
def phase():
    name, action = request.form.get("phase"), request.form.get("action")
    if name not in catalog().phases() or action not in ("open", "close"):
        abort(400, "unknown phase or action")
    answers.set_phase(db_conn(), name, action == "open", g.person["id"])
    flash(f"phase {name} {'opened' if action == 'open' else 'closed'}")
    return redirect(url_for("admin.dashboard"))


@bp.post("/matching")
@require_role("admin")
def matching():
    name, action = request.form.get("clustering"), request.form.get("action")
    if name not in catalog().clusterings_with_sets() or action not in ("open", "close"):
        abort(400, "unknown clustering or action")
    if action == "open":
        try:  # refuse a clustering without keywords (or names) before any evaluator sees it
            for kind in catalog().description_kinds(name):
                catalog().descriptions(name, kind)
        except UserError as exc:
            abort(400, str(exc))
    answers.set_matching(db_conn(), name, action == "open", g.person["id"])
    flash(f"matching for {name} {'opened' if action == 'open' else 'closed'}")
    return redirect(url_for("admin.dashboard"))


@bp.post("/export")
@require_role("admin")
def run_export():
    """Export; a refusal (e.g. the files hold rows the database lacks) is shown with 409, nothing written."""
    try:
        ratings_path, matches_path, n_ratings, n_matches = export.export_study(study(), force=False)
    except UserError as exc:
        return render_dashboard(export_error=str(exc)), 409
    flash(f"exported {n_ratings} ratings to {ratings_path} and {n_matches} matches to {matches_path}")
    return redirect(url_for("admin.dashboard"))


@bp.get("/exports/<name>")
@require_role("admin")
def download(name: str):
    if name not in EXPORTS:
        abort(404)
    path = EXPORTS[name](study())
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name, max_age=0)
