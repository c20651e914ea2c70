"""``/admin``: progress and logins per person, live agreement, phase openings, export.

Krippendorff's alpha comes from ``evaluation.agreement`` (the statistics
live there, computed on the same frame as ``exports/ratings.csv``); if that
module cannot be imported the dashboard says so and shows counts only.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from semclust.annotate import answers, export
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.people import list_people, session_summary
from semclust.annotate.views import catalog, study
from semclust.pipeline.study import UserError
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, SCALE_POINTS

bp = Blueprint("admin", __name__, url_prefix="/admin")
EXPORTS = {"ratings.csv": "ratings_csv", "matches.csv": "matches_csv"}


def agreement_table(ratings, phases: list[str]) -> tuple[list[dict], str | None]:
    """Alpha per phase and dimension on the independent round; (rows, message if unavailable)."""
    try:
        from semclust.evaluation.agreement import agreement_by_dimension
    except ImportError as exc:
        return [], f"Krippendorff's alpha unavailable (evaluation.agreement not importable: {exc}); counts only."
    independent = ratings[ratings["round"] == INDEPENDENT_ROUND]
    rows = []
    for phase in phases:
        part = independent[independent["phase"] == phase]
        row = {"phase": phase, "n": int(part["score"].notna().sum())}
        try:
            result = agreement_by_dimension(part, scale=SCALE_POINTS, level="ordinal") if len(part) else {}
            for d in DIMENSION_NAMES:
                stats = result.get(d) or {}
                row[d] = stats.get("krippendorff_alpha")
                row[f"{d}_note"] = stats.get("krippendorff_alpha_note") or ("no ratings" if not stats else "")
        except Exception as exc:  # shown on the page, never hidden
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows, None


def progress_rows(people, phases: list[str], clusterings: list[str]) -> list[dict]:
    """One row per person: answered/total per phase (coders) or per clustering (evaluators).

    Each row also has ``removed`` (when the person was removed, or None),
    ``sessions`` (browsers logged in now) and ``last_login`` (ISO 8601 UTC, or None).
    """
    cat, conn = catalog(), db_conn()
    pairs_done, sets_done = answers.pair_progress(conn), answers.match_progress(conn)
    logins = session_summary(conn)
    phase_sizes = {p: len(cat.pair_queue([p])) for p in phases}
    set_sizes = {c: len(cat.sets(c)) for c in clusterings}
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
    ratings = export.ratings_frame(conn)
    alpha_rows, alpha_message = agreement_table(ratings, phases)
    counts = ratings.groupby(["phase", "round", "dimension"]).size().reset_index(name="n")
    return render_template(
        "admin/dashboard.html", phases=phases, clusterings=clusterings,
        open_phases=answers.open_phases(conn), open_clusterings=answers.open_clusterings(conn),
        progress=progress_rows(list_people(conn), phases, clusterings),
        alpha_rows=alpha_rows, alpha_message=alpha_message, counts=counts.to_dict("records"),
        exports={name: getattr(study(), attr).is_file() for name, attr in EXPORTS.items()},
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
        try:  # refuse a clustering without keywords before any evaluator sees it
            catalog().descriptions(name)
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
    path = getattr(study(), EXPORTS[name])
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name, max_age=0)
