"""``/consensus``: after a phase, the admin records the coders' agreed score where they differed.

One card per pair on which the coders' latest scores differ on at least one
dimension: the two images, and for both dimensions each coder's score, with
the coders' comments and "cannot judge" reasons. The agreed score is stored
as its own round (``round = 'consensus'``) next to the coders' own ratings,
which stay untouched. The page records without reloading (``fetch`` POST
answered with JSON), has keyboard shortcuts (the rating keys of the study,
J/K to move) and an "unresolved only" filter; without JavaScript the same
forms post and redirect back.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from semclust.annotate import answers
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.keymap import key_map
from semclust.annotate.views import brief, catalog, json_body, study
from semclust.vocabulary import CONSENSUS_ROUND, DIMENSION_NAMES, SCALE_POINTS

bp = Blueprint("consensus", __name__, url_prefix="/consensus")


def consensus_cards(pair_ids: list[str]) -> list[dict]:
    """One dict per pair of ``pair_ids`` with a disagreement, in their order.

    Keys: pair_id, a, b (image ids), dims {dimension: {scores {coder: score or None},
    disputed (bool), consensus (score or None)}}, comments [{coder, comment, cannot_judge}],
    resolved (every disputed dimension has a consensus score).
    """
    conn, index = db_conn(), catalog().pair_index()
    disputed = answers.disagreements(conn, pair_ids)
    wanted = list(dict.fromkeys(r["pair_id"] for r in disputed))
    if not wanted:
        return []
    scores, agreed = answers.independent_scores(conn, wanted), answers.consensus_scores(conn)
    comments = answers.pair_comments(conn, wanted)
    disputed_dims = {(r["pair_id"], r["dimension"]) for r in disputed}
    cards = []
    for pair_id in wanted:
        dims = {d: {"scores": dict(sorted(scores.get((pair_id, d), {}).items())),
                    "disputed": (pair_id, d) in disputed_dims, "consensus": agreed.get((pair_id, d))}
                for d in DIMENSION_NAMES}
        cannot = {coder for d in dims.values() for coder, s in d["scores"].items() if s is None}
        cards.append({"pair_id": pair_id, "a": index[pair_id]["image_a"], "b": index[pair_id]["image_b"],
                      "dims": dims,
                      "comments": [{**c, "cannot_judge": c["coder"] in cannot} for c in comments[pair_id]],
                      "resolved": all(d["consensus"] is not None for d in dims.values() if d["disputed"])})
    return cards


@bp.get("/")
@require_role("admin")
def disagreements():
    cat = catalog()
    phases = cat.phases()
    phase = request.args.get("phase") or (phases[0] if phases else None)
    if phase is not None and phase not in phases:
        abort(400, f"unknown phase {phase!r}")
    unresolved_only = request.args.get("unresolved") == "1"
    cards = consensus_cards([p["pair_id"] for p in cat.phase_pairs(phase)] if phase else [])
    shown = [c for c in cards if not (unresolved_only and c["resolved"])]
    return render_template("consensus/list.html", phases=phases, phase=phase, cards=shown,
                           n_pairs=len(cards), open_pairs=sum(not c["resolved"] for c in cards),
                           unresolved_only=unresolved_only, keys=key_map(study()))


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.post("/record")
@require_role("admin")
def record():
    if request.is_json:
        form, why = json_body()
        if why:
            return jsonify({"ok": False, "error": why}), 400
    else:
        form = request.form
    form = form if isinstance(form, dict) or hasattr(form, "get") else {}
    pair = catalog().pair_index().get(str(form.get("pair_id", "")))
    dimension, score = form.get("dimension"), str(form.get("score", ""))
    problem = None
    if pair is None:
        problem = f"unknown pair {brief(form.get('pair_id'))}"
    elif pair["phase"] not in answers.ever_opened_phases(db_conn()):
        problem = f"phase {pair['phase']!r} was never opened: there is nothing to agree on"
    elif dimension not in DIMENSION_NAMES:
        problem = f"unknown dimension {brief(dimension)}"
    elif score not in {str(s) for s in SCALE_POINTS}:
        problem = f"score must be one of {list(SCALE_POINTS)} (got {brief(score)})"
    if problem:
        if wants_json():
            return jsonify({"ok": False, "error": problem}), 400
        abort(400, problem)
    ids = answers.record_pair(db_conn(), g.person["id"], pair["pair_id"], pair["phase"],
                              {dimension: int(score)}, round_=CONSENSUS_ROUND)
    if wants_json():
        card = next(iter(consensus_cards([pair["pair_id"]])), None)
        return jsonify({"ok": True, "ids": ids, "pair_id": pair["pair_id"], "dimension": dimension,
                        "score": int(score), "resolved": bool(card and card["resolved"])})
    return redirect(url_for("consensus.disagreements", phase=pair["phase"]) + f"#{pair['pair_id']}")
