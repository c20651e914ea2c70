"""Blueprints of the annotation app, one per activity, and the helpers they share."""
from __future__ import annotations

from flask import current_app, jsonify

from semclust.annotate.items import Catalog
from semclust.pipeline.study import Study


def catalog() -> Catalog:
    """The app's cached view of the study's pairs, sets and images."""
    return current_app.extensions["semclust"]["catalog"]


def study() -> Study:
    """The app's study folder."""
    return current_app.extensions["semclust"]["study"]


def bad_request(message: str):
    """A JSON 400 answer naming what was wrong (nothing has been written)."""
    response = jsonify({"ok": False, "error": message})
    response.status_code = 400
    return response
