"""``GET /images/<image_id>``: an image of images.csv, looked up by id only.

The request's id is only ever a key into the id -> path table built from
images.csv; no part of the request becomes a file path. Only images with
``status == ok`` are served, and only if their resolved path (symlinks
followed) lies inside the resolved image root: a symlink in the image root
pointing elsewhere (``/etc/passwd``, another study's database) is 404, as is
every unknown, unreadable or missing image. Responses name no file, neither
in a ``Content-Disposition`` header nor through the ETag (file names can
reveal a source account or theme to a blinded coder), and carry neither an
ETag nor ``Last-Modified`` (file times can hint that images share a
source). In the full
app a login is required; with ``--images-only`` (for Label Studio) it is not.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, g, send_file

from semclust.annotate.views import catalog, study

bp = Blueprint("images", __name__, url_prefix="/images")
MAX_AGE_S = 7 * 86400  # ids are immutable: the browser may keep an image for a week
SERVABLE_STATUS = "ok"


@bp.get("/<image_id>")
def image(image_id: str):
    if not current_app.config["IMAGES_ONLY"] and getattr(g, "person", None) is None:
        abort(401)
    path = servable_path(image_id)
    if path is None:
        abort(404)
    # no ETag and no Last-Modified: the default ETag hashes the file's path, and file times can
    # hint that images share a source (downloaded together); the id is immutable anyway
    response = send_file(path, max_age=MAX_AGE_S, conditional=False, etag=False)
    response.headers.pop("Last-Modified", None)
    response.headers.pop("Content-Disposition", None)  # it would carry the original file name
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE_S}, immutable"
    return response


def servable_path(image_id: str) -> Path | None:
    """The resolved file of an ``ok`` image inside the resolved image root, or None.

    Resolved on every request (a symlink may change after images.csv was read).
    """
    path = ok_image_paths().get(image_id)
    if path is None:
        return None
    try:
        resolved = path.resolve(strict=True)
        root = study().image_root.resolve(strict=True)
    except (OSError, RuntimeError):  # missing file, symlink loop
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def ok_image_paths() -> dict[str, Path]:
    """image_id -> path (as listed) of the rows of images.csv with ``status == ok``.

    Cached by the catalog until images.csv changes.
    """
    cat = catalog()

    def load():
        frame = cat.study.read_images()
        ok = frame[frame["status"].astype(str) == SERVABLE_STATUS]
        return {str(i): cat.study.image_path(p) for i, p in zip(ok["image_id"], ok["path"])}
    return cat._cached("ok_images", cat.study.images_csv, load) or {}
