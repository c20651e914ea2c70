"""Blueprints of the annotation app, one per activity, and the helpers they share."""
from __future__ import annotations

import json

from flask import current_app, jsonify, request

from semclust.annotate.blinding import Blinder
from semclust.annotate.items import Catalog
from semclust.study import Study
from semclust.yamlfile import brief as _brief


def catalog() -> Catalog:
    """The app's cached view of the study's pairs, sets and images."""
    return current_app.extensions["semclust"]["catalog"]


def blinder() -> Blinder:
    """The study's keyed orders and item ids (:mod:`semclust.annotate.blinding`)."""
    return current_app.extensions["semclust"]["blinder"]


def study() -> Study:
    """The app's study folder."""
    return current_app.extensions["semclust"]["study"]


def brief(value: object) -> str:
    """A client's value as echoed in an error: :func:`semclust.yamlfile.brief`, at most 60 characters."""
    return _brief(value, limit=60)


def bad_request(message: str):
    """A JSON 400 answer naming what was wrong (nothing has been written)."""
    response = jsonify({"ok": False, "error": message})
    response.status_code = 400
    return response


MAX_JSON_DEPTH = 8  # answers are flat objects; anything deeper is refused before it is walked


def json_body() -> tuple[object, str]:
    """``(value, "")`` of the request's JSON body, or ``(None, why)`` for a body that is not one.

    Refused (never a 500): a body that is not UTF-8 JSON, nesting deeper than
    :data:`MAX_JSON_DEPTH`, and strings holding lone surrogates (``"\\ud800"``
    is valid JSON but no valid text, and cannot be stored).
    """
    raw = request.get_data(cache=True)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "expected a JSON object (the body is not valid UTF-8 JSON)"
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return None, f"expected a JSON object nested at most {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return None, "text must be valid Unicode (a lone surrogate such as \\ud800 is not)"
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for kv in item.items() for v in kv)
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value, ""
