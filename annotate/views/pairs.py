"""``/pairs``: a coder rates image pairs for denotative and connotative similarity.

The page carries the coder's whole queue (pairs of the open phases, with the
coder's latest answers, and the attention checks at their positions, see
:mod:`annotate.checks`) and starts at the first unanswered pair, so closing
the browser and coming back resumes exactly there. Each answer is POSTed as
JSON (CSRF header) with the seconds the pair was on screen and acknowledged
only after it is committed; an edit appends a new submission.

Before the first pair a coder sees ``/pairs/instructions`` (the study's
``instructions.md``, the definitions, the keys) and, where the study has
``practice.csv``, practice pairs that are never sent to the server.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from semclust.annotate import answers, checks
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.blinding import is_item_id
from semclust.annotate.instructions import practice_pairs, render_instructions
from semclust.annotate.keymap import key_map
from semclust.annotate.views import bad_request, blinder, brief, catalog, json_body, study
from semclust.vocabulary import DIMENSION_NAMES, SCALE_POINTS

bp = Blueprint("pairs", __name__, url_prefix="/pairs")
MAX_COMMENT = 2000
MAX_SECONDS = 24 * 3600.0
SEEN_INSTRUCTIONS = "seen_instructions"


def _item(key: str, image_a: str, image_b: str, answer) -> dict:
    return {"pair_id": key, "a": url_for("images.image", image_id=image_a),
            "b": url_for("images.image", image_id=image_b), "answer": answer}


def person_checks(person: str) -> dict[str, dict]:
    """The coder's check item ids -> active check rows."""
    return {checks.check_key(blinder(), person, c["id"]): c for c in checks.list_checks(db_conn())}


def person_pairs(person: str) -> dict[str, dict]:
    """The coder's pair item ids -> pairs of the open phases (with ``item_id``)."""
    cat = catalog()
    open_now = answers.open_phases(db_conn())
    return {p["item_id"]: p for p in cat.pair_queue([p for p in cat.phases() if p in open_now], person, blinder())}


def coder_state(person_id: int, person: str, practice: bool = False) -> dict:
    """The coder's queue, answers and resume position (no cluster information).

    Attention checks sit at their per-coder positions and look like pairs.
    With ``practice``, the study's practice pairs come first (``practice: true``,
    never submitted) and the queue starts with them.
    """
    queue = person_pairs(person).values()
    given = answers.latest_pair_answers(db_conn(), person_id)
    items = [_item(p["item_id"], p["image_a"], p["image_b"], given.get(p["pair_id"])) for p in queue]
    if items:
        check_answers = checks.latest_answers(db_conn(), person_id)
        placed = checks.positions(blinder(), person, checks.list_checks(db_conn()), len(items))
        for offset, (position, check) in enumerate(placed):
            items.insert(min(position + offset, len(items)),
                         _item(checks.check_key(blinder(), person, check["id"]), check["image_a"], check["image_b"],
                               check_answers.get(check["id"])))
    start = next((i for i, item in enumerate(items) if item["answer"] is None), len(items))
    if practice:
        trial = [{**_item(f"practice-{i}", p["image_a"], p["image_b"], None), "practice": True,
                  "expected": p["expected"]} for i, p in enumerate(practice_pairs(study()))]
        items, start = trial + items, 0
    return {"items": items, "start": start, "answer_url": url_for("pairs.answer")}


@bp.get("/")
@require_role("coder")
def rate():
    if not session.get(SEEN_INSTRUCTIONS) and not answers.latest_pair_answers(db_conn(), g.person["id"]):
        return redirect(url_for("pairs.instructions"))
    practice = request.args.get("practice") == "1"
    return render_template("pairs/rate.html", keys=key_map(study()),
                           state=coder_state(g.person["id"], g.person["name"], practice))


@bp.get("/instructions")
@require_role("coder")
def instructions():
    return render_template("pairs/instructions.html", body=render_instructions(study()),
                           keys=key_map(study()), n_practice=len(practice_pairs(study())))


@bp.post("/instructions")
@require_role("coder")
def start():
    """The coder read the instructions: on to the practice pairs (if any) or the first pair."""
    session[SEEN_INSTRUCTIONS] = True
    practice = bool(practice_pairs(study())) and request.form.get("practice") != "skip"
    return redirect(url_for("pairs.rate", practice="1") if practice else url_for("pairs.rate"))


@bp.get("/state")
@require_role("coder")
def state():
    return jsonify(coder_state(g.person["id"], g.person["name"]))


def parse_answer(body) -> tuple[dict | None, str]:
    """Validate a submitted answer; returns ({pair_id, phase, check, scores, comment, seconds}, "") or (None, why).

    ``check`` is the check row when the key is one of the coder's attention checks (then
    ``pair_id`` and ``phase`` are None).
    """
    if not isinstance(body, dict):
        return None, "expected a JSON object"
    key = body.get("pair_id") if is_item_id(body.get("pair_id")) else None
    check = person_checks(g.person["name"]).get(key) if key else None
    pair = person_pairs(g.person["name"]).get(key) if key and check is None else None
    if check is None and pair is None:
        return None, f"unknown pair {brief(body.get('pair_id'))} (not in an open phase)"
    cannot = body.get("cannot_judge", False)
    comment = body.get("comment", "")
    seconds = body.get("seconds_on_item")
    if not isinstance(cannot, bool):
        return None, "cannot_judge must be true or false"
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        return None, f"comment must be text of at most {MAX_COMMENT} characters"
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                or not 0 <= seconds <= MAX_SECONDS):
        return None, f"seconds_on_item must be a number of seconds from 0 to {MAX_SECONDS:.0f}"
    scores = {}
    for dim in DIMENSION_NAMES:
        value = body.get(dim)
        if cannot:
            if value is not None:
                return None, f"{dim}: no score allowed when cannot_judge is true"
        elif isinstance(value, bool) or not isinstance(value, int) or value not in SCALE_POINTS:
            return None, f"{dim}: score must be one of {list(SCALE_POINTS)} (got {value!r})"
        scores[dim] = None if cannot else value
    return {"pair_id": pair["pair_id"] if pair else None, "phase": pair["phase"] if pair else None,
            "check": check, "scores": scores, "comment": comment.strip(),
            "seconds": None if seconds is None else round(float(seconds), 3)}, ""


@bp.post("/answer")
@require_role("coder")
def answer():
    body, why = json_body()
    parsed, why = parse_answer(body) if not why else (None, why)
    if parsed is None:
        return bad_request(why)
    if parsed["check"] is not None:
        ids = [checks.record_answer(db_conn(), parsed["check"]["id"], g.person["id"], parsed["scores"],
                                    parsed["comment"], parsed["seconds"])]
    else:
        ids = answers.record_pair(db_conn(), g.person["id"], parsed["pair_id"], parsed["phase"],
                                  parsed["scores"], parsed["comment"], seconds=parsed["seconds"])
    return jsonify({"ok": True, "ids": ids})
