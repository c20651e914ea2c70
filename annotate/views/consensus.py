"""``/consensus``: after a phase, the admin records the coders' agreed score where they differed.

Lists every pair x dimension of a phase on which the coders' latest scores
differ, the two images side by side with each coder's score, and stores the
agreed score as its own round (``round = 'consensus'``) next to the coders'
own ratings, which stay untouched.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from semclust.annotate import answers
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.views import catalog
from semclust.vocabulary import CONSENSUS_ROUND, DIMENSION_NAMES, SCALE_POINTS

bp = Blueprint("consensus", __name__, url_prefix="/consensus")


@bp.get("/")
@require_role("admin")
def disagreements():
    cat = catalog()
    phases = cat.phases()
    phase = request.args.get("phase") or (phases[0] if phases else None)
    if phase is not None and phase not in phases:
        abort(400, f"unknown phase {phase!r}")
    index = cat.pair_index()
    pair_ids = [p["pair_id"] for p in cat.pair_queue([phase])] if phase else []
    rows = answers.disagreements(db_conn(), pair_ids)
    comments = answers.pair_comments(db_conn(), sorted({r["pair_id"] for r in rows}))
    for row in rows:
        row["a"], row["b"] = index[row["pair_id"]]["image_a"], index[row["pair_id"]]["image_b"]
        row["comments"] = comments[row["pair_id"]]
    return render_template("consensus/list.html", phases=phases, phase=phase, rows=rows,
                           open_rows=sum(r["consensus"] is None for r in rows))


@bp.post("/record")
@require_role("admin")
def record():
    pair = catalog().pair_index().get(request.form.get("pair_id", ""))
    dimension = request.form.get("dimension")
    score = request.form.get("score", "")
    if pair is None:
        abort(400, f"unknown pair {request.form.get('pair_id')!r}")
    if pair["phase"] not in answers.ever_opened_phases(db_conn()):
        abort(400, f"phase {pair['phase']!r} was never opened: there is nothing to agree on")
    if dimension not in DIMENSION_NAMES:
        abort(400, f"unknown dimension {dimension!r}")
    if score not in {str(s) for s in SCALE_POINTS}:
        abort(400, f"score must be one of {list(SCALE_POINTS)} (got {score!r})")
    answers.record_pair(db_conn(), g.person["id"], pair["pair_id"], pair["phase"],
                        {dimension: int(score)}, round_=CONSENSUS_ROUND)
    return redirect(url_for("consensus.disagreements", phase=pair["phase"]) + f"#{pair['pair_id']}-{dimension}")
