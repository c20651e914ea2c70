"""``/pairs``: a coder rates image pairs for denotative and connotative similarity.

The page carries the coder's whole queue (pairs of the open phases, with the
coder's latest answers) and starts at the first unanswered pair, so closing
the browser and coming back resumes exactly there. Each answer is POSTed as
JSON (CSRF token in the ``X-CSRFToken`` header) and acknowledged only after
it is committed; an edit appends a new submission.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request, url_for

from semclust.annotate import answers
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.views import bad_request, catalog
from semclust.vocabulary import DIMENSION_NAMES, SCALE_POINTS

bp = Blueprint("pairs", __name__, url_prefix="/pairs")
MAX_COMMENT = 2000


def coder_state(person_id: int) -> dict:
    """The coder's queue, answers and resume position (no cluster information)."""
    cat = catalog()
    open_now = answers.open_phases(db_conn())
    queue = cat.pair_queue([p for p in cat.phases() if p in open_now])
    given = answers.latest_pair_answers(db_conn(), person_id)
    items = [{"pair_id": p["pair_id"],
              "a": url_for("images.image", image_id=p["image_a"]),
              "b": url_for("images.image", image_id=p["image_b"]),
              "answer": given.get(p["pair_id"])} for p in queue]
    start = next((i for i, item in enumerate(items) if item["answer"] is None), len(items))
    return {"items": items, "start": start,
            "answer_url": url_for("pairs.answer")}


@bp.get("/")
@require_role("coder")
def rate():
    return render_template("pairs/rate.html", state=coder_state(g.person["id"]))


@bp.get("/state")
@require_role("coder")
def state():
    return jsonify(coder_state(g.person["id"]))


def parse_answer(body) -> tuple[dict | None, str]:
    """Validate a submitted answer; returns ({pair_id, phase, scores, comment}, "") or (None, why)."""
    if not isinstance(body, dict):
        return None, "expected a JSON object"
    pair = catalog().pair_index().get(body.get("pair_id")) if isinstance(body.get("pair_id"), str) else None
    if pair is None or pair["phase"] not in answers.open_phases(db_conn()):
        return None, f"unknown pair {body.get('pair_id')!r} (not in an open phase)"
    cannot = body.get("cannot_judge", False)
    comment = body.get("comment", "")
    if not isinstance(cannot, bool):
        return None, "cannot_judge must be true or false"
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        return None, f"comment must be text of at most {MAX_COMMENT} characters"
    scores = {}
    for dim in DIMENSION_NAMES:
        value = body.get(dim)
        if cannot:
            if value is not None:
                return None, f"{dim}: no score allowed when cannot_judge is true"
        elif isinstance(value, bool) or not isinstance(value, int) or value not in SCALE_POINTS:
            return None, f"{dim}: score must be one of {list(SCALE_POINTS)} (got {value!r})"
        scores[dim] = None if cannot else value
    return {"pair_id": pair["pair_id"], "phase": pair["phase"], "scores": scores,
            "comment": comment.strip()}, ""


@bp.post("/answer")
@require_role("coder")
def answer():
    parsed, why = parse_answer(request.get_json(silent=True))
    if parsed is None:
        return bad_request(why)
    ids = answers.record_pair(db_conn(), g.person["id"], parsed["pair_id"], parsed["phase"],
                              parsed["scores"], parsed["comment"])
    return jsonify({"ok": True, "ids": ids})
