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
from semclust.annotate.blinding import study_blinder
from semclust.annotate.items import Catalog
from semclust.annotate.people import SESSION_LIFETIME_S
from semclust.resources import templates_dir
from semclust.study import Study, UserError

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
    if "SESSION_COOKIE_NAME" not in config:
        app.config["SESSION_COOKIE_NAME"] = auth.cookie_name(study.root, str(study.config.get("created_at", "")),
                                                             bool(app.config["SESSION_COOKIE_SECURE"]))
    app.extensions["semclust"] = {"study": study, "catalog": Catalog(study),
                                  "blinder": study_blinder(study.root),  # every order and item id shown
                                  "login_attempts": auth.LoginAttempts(),
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
    import sqlite3

    from semclust.annotate.views import admin, consensus, images, login, matching, pairs

    app.register_error_handler(UserError, _study_error)
    app.register_error_handler(OSError, _disk_full)
    app.register_error_handler(sqlite3.OperationalError, _disk_full)
    for code in ERROR_TEXT:
        app.register_error_handler(code, _http_error)
    app.context_processor(_vocabulary)
    app.after_request(_security_headers)
    app.after_request(_relative_location)
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
              404: "There is no such page", 405: "This page cannot be used that way",
              413: "That was more than this page accepts", 429: "Too many attempts"}


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


STUDY_PROBLEM = "The study's files have a problem; nothing you sent was lost. Tell the study's administrator."
DISK_FULL = "disk full: the server cannot save anything now, so your last answer was not saved. " \
            "Tell the study's administrator."


def _study_error(exc: UserError):
    """A broken or missing study file: the styled page (or JSON) for the person, the detail in the log.

    The message names files by their absolute paths, which people using the app
    must not see; the server's log (``semclust serve``'s standard error) gets it.
    """
    current_app.logger.error("study file problem on %s %s: %s", request.method, request.path, exc)
    return _problem(500, "The study cannot be shown right now", STUDY_PROBLEM)


def _disk_full(exc: Exception):
    """A write failed because the disk (or the database) is full: say so; nothing was stored."""
    if not _is_disk_full(exc):
        raise exc
    current_app.logger.error("disk full on %s %s: %s", request.method, request.path, exc)
    return _problem(507, "The server's disk is full", DISK_FULL)


def _is_disk_full(exc: Exception) -> bool:
    import errno
    import sqlite3

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)


def _problem(code: int, title: str, detail: str):
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": detail}), code
    if current_app.config.get("IMAGES_ONLY"):
        return title, code, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html", code=code, title=title, detail=detail,
                           person=getattr(g, "person", None), home=url_for("login.index")), code


def _relative_location(response):
    """Make a ``Location`` on this host relative: trailing-slash redirects build it from the
    ``Host`` header, which a client chooses (a poisoned cache would send others elsewhere)."""
    location = response.headers.get("Location")
    if location:
        host = request.host_url  # scheme://host/ as the request claims it
        if location.startswith(host):
            response.headers["Location"] = "/" + location[len(host):]
    return response


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
