"""The annotation web app: a Flask application factory.

``create_app(study)`` builds one app for one study folder: coders rate pairs
(``/pairs``), evaluators match sets (``/matching``), admins open phases, watch
progress and agreement, record consensus and export (``/admin``,
``/consensus``). Images are served by id only (``/images/<image_id>``).
Everything the app knows lives in the app object (config + ``extensions``);
there is no module-level state, so tests can run several apps side by side.

Security settings: the cookie signing key comes from outside the database
(:func:`auth.secret_key`); ``SESSION_COOKIE_SECURE`` (or
``SEMCLUST_SECURE_COOKIES=1``) marks the cookie ``Secure`` for HTTPS
deployments behind a reverse proxy.

Served in production by waitress (``semclust serve``), never by Flask's
development server.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from semclust import vocabulary
from semclust.annotate import auth, db
from semclust.annotate.items import Catalog
from semclust.annotate.people import SESSION_LIFETIME_S
from semclust.pipeline.study import Study, UserError
from semclust.resources import templates_dir

SECURE_COOKIES_ENV = "SEMCLUST_SECURE_COOKIES"


def create_app(study_or_config: str | os.PathLike | dict[str, Any], images_only: bool = False) -> Flask:
    """Build the app for one study.

    Parameters
    ----------
    study_or_config : path or dict
        The study folder, or a config dict with at least ``STUDY`` (the folder)
        and optionally Flask settings: ``SECRET_KEY`` (else ``$SEMCLUST_SECRET_KEY``,
        else the study's key file, see :func:`auth.secret_key`),
        ``SESSION_COOKIE_SECURE`` (else ``$SEMCLUST_SECURE_COOKIES``; default off),
        ``TESTING``, ...
    images_only : bool
        Serve only ``GET /images/<image_id>``, without login (for Label Studio).
    """
    config = dict(study_or_config) if isinstance(study_or_config, dict) else {"STUDY": study_or_config}
    study = Study.open(config["STUDY"])
    db.init_db(study.annotations_db)

    templates = templates_dir()
    app = Flask("semclust.annotate", template_folder=str(templates), static_folder=str(templates / "static"),
                static_url_path="/static")
    app.config.update(
        DATABASE=str(study.annotations_db), IMAGES_ONLY=images_only,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env_flag(SECURE_COOKIES_ENV), PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME_S,
        WTF_CSRF_TIME_LIMIT=None, MAX_CONTENT_LENGTH=64 * 1024, JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in config.items() if k != "STUDY"})
    app.config["SECRET_KEY"] = auth.secret_key(study.root, config.get("SECRET_KEY"))
    app.config["STUDY"] = str(study.root)
    app.extensions["semclust"] = {"study": study, "catalog": Catalog(study),
                                  "connections": threading.local(),  # one per server thread
                                  "write_lock": threading.Lock()}     # writers queue here, not in SQLite

    _register(app, images_only)
    return app


def env_flag(name: str, environ: Mapping[str, str] = os.environ) -> bool:
    """An on/off environment variable: ``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``/unset.

    Raises UserError for any other value (a typo must not silently mean off).
    """
    value = environ.get(name, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise UserError(f"${name} must be 1 or 0, not {value!r}")


def _register(app: Flask, images_only: bool) -> None:
    from semclust.annotate.views import admin, consensus, images, login, matching, pairs

    app.register_error_handler(UserError, _study_error)
    for code in ERROR_TEXT:
        app.register_error_handler(code, _http_error)
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


ERROR_TEXT = {400: "The request was not understood", 403: "This page is not for your role",
              404: "There is no such page", 405: "This page cannot be used that way"}


def _http_error(exc: HTTPException):
    """A styled error page with a way back to the person's own work.

    JSON requests get ``{"ok": false, "error": ...}``; image URLs (and the images-only
    app, which has no pages) keep the bare answer.
    """
    code = exc.code or 500
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": exc.description}), code
    if request.path.startswith("/images/") or current_app.config.get("IMAGES_ONLY"):
        return exc
    return render_template("error.html", code=code, title=ERROR_TEXT.get(code, "Something went wrong"),
                           detail=exc.description, person=getattr(g, "person", None),
                           home=url_for("login.index")), code


def _study_error(exc: UserError):
    """A broken or missing study file: say which, instead of a bare 500."""
    return f"study file problem: {exc}", 500, {"Content-Type": "text/plain; charset=utf-8"}


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
