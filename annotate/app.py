"""The annotation web app: a Flask application factory.

``create_app(study)`` builds one app for one study folder: coders rate pairs
(``/pairs``), evaluators match sets (``/matching``), admins open phases, watch
progress and agreement, record consensus and export (``/admin``,
``/consensus``). Images are served by id only (``/images/<image_id>``).
Everything the app knows lives in the app object (config + ``extensions``);
there is no module-level state, so tests can run several apps side by side.

Served in production by waitress (``semclust serve``), never by Flask's
development server.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from semclust import vocabulary
from semclust.annotate import auth, db
from semclust.annotate.items import Catalog
from semclust.pipeline.study import Study, UserError
from semclust.resources import templates_dir


def create_app(study_or_config: str | os.PathLike | dict[str, Any], images_only: bool = False) -> Flask:
    """Build the app for one study.

    Parameters
    ----------
    study_or_config : path or dict
        The study folder, or a config dict with at least ``STUDY`` (the folder)
        and optionally Flask settings (``SECRET_KEY``, ``TESTING``, ...).
    images_only : bool
        Serve only ``GET /images/<image_id>``, without login (for Label Studio).
    """
    config = dict(study_or_config) if isinstance(study_or_config, dict) else {"STUDY": study_or_config}
    study = Study.open(config["STUDY"])
    db.init_db(study.annotations_db)

    templates = templates_dir()
    app = Flask("semclust.annotate", template_folder=str(templates), static_folder=str(templates / "static"),
                static_url_path="/static")
    conn = db.connect(study.annotations_db)
    try:
        secret = db.get_meta(conn, "secret_key")
    finally:
        conn.close()
    app.config.update(
        SECRET_KEY=secret, DATABASE=str(study.annotations_db), IMAGES_ONLY=images_only,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=60 * 86400,
        WTF_CSRF_TIME_LIMIT=None, MAX_CONTENT_LENGTH=64 * 1024, JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in config.items() if k != "STUDY"})
    app.config["STUDY"] = str(study.root)
    app.extensions["semclust"] = {"study": study, "catalog": Catalog(study),
                                  "connections": threading.local(),  # one per server thread
                                  "write_lock": threading.Lock()}     # writers queue here, not in SQLite

    _register(app, images_only)
    return app


def _register(app: Flask, images_only: bool) -> None:
    from semclust.annotate.views import admin, consensus, images, login, matching, pairs

    app.register_error_handler(UserError, _study_error)
    app.context_processor(_vocabulary)
    app.after_request(_security_headers)
    app.register_blueprint(images.bp)
    if images_only:
        return
    CSRFProtect(app)
    app.before_request(auth.load_person)
    for module in (login, pairs, matching, consensus, admin):
        app.register_blueprint(module.bp)


def _vocabulary() -> dict[str, Any]:
    """What every template may show: the dimensions, the scale, "cannot judge", the rounds."""
    return {"dimensions": vocabulary.DIMENSIONS, "scale": vocabulary.SCALE,
            "cannot_judge": vocabulary.CANNOT_JUDGE, "rounds": vocabulary.ROUNDS}


def _study_error(exc: UserError):
    """A broken or missing study file: say which, instead of a bare 500."""
    return f"study file problem: {exc}", 500, {"Content-Type": "text/plain; charset=utf-8"}


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
