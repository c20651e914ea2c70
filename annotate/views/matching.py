"""``/matching``: an evaluator matches each set of images to one cluster description.

Blind by construction: the page shows images, and the descriptions (keywords,
or names where the sets were sampled with ``--descriptions names``) of every
cluster of the set's clustering labelled A, B, C... in an order random per set
and evaluator (stable across visits); under both kinds each set is an item per
kind, and every answer records the kind it was given under. Items are
addressed by per-evaluator item ids (:mod:`semclust.annotate.blinding`); neither
clustering, set nor cluster ids reach the browser.
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, url_for

from semclust.annotate import answers
from semclust.annotate.auth import db_conn, require_role
from semclust.annotate.blinding import is_item_id
from semclust.annotate.items import MatchItem
from semclust.annotate.views import bad_request, blinder, brief, catalog, json_body

bp = Blueprint("matching", __name__, url_prefix="/matching")


def evaluator_items(person: str) -> list[MatchItem]:
    """The evaluator's matching items, clusterings in name order."""
    open_now = sorted(answers.open_clusterings(db_conn()))
    return catalog().match_queue(open_now, person, blinder())


def evaluator_state(person_id: int, person: str) -> dict:
    given = answers.latest_matches(db_conn(), person_id)
    items = []
    for item in evaluator_items(person):
        chosen = given.get((item.clustering, item.set_id, item.descriptions))
        items.append({"key": item.key,
                      "images": [url_for("images.image", image_id=i) for i in item.image_ids],
                      "options": [{"label": lab, "text": text} for lab, _, text in item.options],
                      "answer": next((lab for lab, c, _ in item.options if c == chosen), None)})
    start = next((i for i, item in enumerate(items) if item["answer"] is None), len(items))
    return {"items": items, "start": start, "answer_url": url_for("matching.answer")}


@bp.get("/")
@require_role("evaluator")
def match():
    return render_template("matching/match.html", state=evaluator_state(g.person["id"], g.person["name"]))


@bp.get("/state")
@require_role("evaluator")
def state():
    return jsonify(evaluator_state(g.person["id"], g.person["name"]))


@bp.post("/answer")
@require_role("evaluator")
def answer():
    body, why = json_body()
    if why or not isinstance(body, dict):
        return bad_request(why or "expected a JSON object")
    key = body.get("item")
    item = next((i for i in evaluator_items(g.person["name"]) if i.key == key), None) if is_item_id(key) else None
    if item is None:
        return bad_request(f"unknown item {brief(key)}")
    option = next((o for o in item.options if o[0] == body.get("choice")), None)
    if option is None:
        return bad_request(f"choice must be one of the option labels (got {brief(body.get('choice'))})")
    row = answers.record_match(db_conn(), g.person["id"], item.clustering, item.set_id, option[1], option[0],
                               item.descriptions)
    return jsonify({"ok": True, "ids": [row]})
