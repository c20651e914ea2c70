"""``GET /images/<image_id>``: an image of images.csv, looked up by id only.

The request's id is only ever a key into the id -> path table built from
images.csv; no part of the request becomes a file path. In the full app a
login is required; with ``--images-only`` (for Label Studio) it is not.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, send_file

from semclust.annotate.views import catalog

bp = Blueprint("images", __name__, url_prefix="/images")
MAX_AGE_S = 7 * 86400  # ids are immutable: the browser may keep an image for a week


@bp.get("/<image_id>")
def image(image_id: str):
    if not current_app.config["IMAGES_ONLY"] and getattr(g, "person", None) is None:
        abort(401)
    path = catalog().image_paths().get(image_id)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, max_age=MAX_AGE_S, conditional=True)
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE_S}, immutable"
    return response
