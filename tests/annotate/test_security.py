"""The annotation app's security promises (issue #10), one test each.

Sessions are server-side and revocable; a copy of the database is not enough to
log in; images are served only from inside the image root and only if ``ok``,
without their file names; the cookie can be ``Secure``; a refused export is
shown to the admin. Real SQLite files, the Flask test client and the CLI in-process.
"""
from __future__ import annotations

import shutil
import sqlite3
import stat

import pandas as pd
import pytest
import yaml

from semclust.annotate import auth
from semclust.annotate.app import create_app
from semclust.study import Study, UserError
from support.app_study import db_rows, open_phase, rate, sign_in

OTHER_KEY = "f" * 64


def cookie_of(client) -> str:
    """The value of the client's session cookie."""
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, cookie: str):
    """A fresh browser of ``app`` that only has a saved copy of ``cookie``."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return client


def logged_in(client) -> bool:
    """Whether the client is logged in: the home page redirects to its work instead of 401."""
    return client.get("/").status_code == 302


def session_id_of(app, cookie: str) -> str:
    """The session id inside a cookie signed by ``app``."""
    return app.session_interface.get_signing_serializer(app).loads(cookie)[auth.SESSION_KEY]


def forged_cookie(secret: str, payload: dict) -> str:
    """A session cookie with ``payload`` signed with ``secret`` the way Flask signs it."""
    from flask import Flask

    other = Flask("forger")
    other.secret_key = secret
    return other.session_interface.get_signing_serializer(other).dumps(payload)


def raw_database(study: Study) -> bytes:
    """Every byte of the database files (main file, write-ahead log, shared memory)."""
    paths = [study.annotations_db, *(study.annotations_db.with_name(f"annotations.sqlite-{s}")
                                     for s in ("wal", "shm"))]
    return b"".join(p.read_bytes() for p in paths if p.exists())


# --- sessions ---------------------------------------------------------------------
def test_logout_ends_the_session_even_for_a_replayed_cookie(app, login):
    cora = login("cora")
    saved = cookie_of(cora)
    assert cora.post("/logout", data={"csrf_token": cora.csrf}).status_code == 302
    thief = replay(app, saved)
    assert not logged_in(thief)
    assert thief.get("/pairs/").status_code == 302 and thief.get("/images/i0").status_code == 401


def test_new_link_logs_out_every_browser_of_that_person_only(run_cli, app, env, login):
    laptop, phone, colin = login("cora"), login("cora"), login("colin")
    result = run_cli("people", "link", "cora", "--study", env.study.root)
    assert result.exit_code == 0, result.stderr
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(colin)
    assert sign_in(app.test_client(), env.tokens['cora']).status_code == 403
    new_token = result.stdout.strip().rsplit("/", 1)[1]
    assert sign_in(app.test_client(), new_token).status_code == 302


def test_revoke_ends_all_sessions_but_keeps_the_link(run_cli, app, env, login):
    cora = login("cora")
    saved = cookie_of(cora)
    result = run_cli("people", "revoke", "cora", "--study", env.study.root)
    assert result.exit_code == 0 and "ended 1 session" in result.stdout
    assert not logged_in(cora) and not logged_in(replay(app, saved))
    assert logged_in(login("cora"))  # the same link still works


def test_removed_person_cannot_log_in_and_their_answers_stay(run_cli, app, env, login, admin):
    open_phase(admin, "1")
    cora = login("cora")
    assert rate(cora, "p001").status_code == 200
    result = run_cli("people", "remove", "cora", "--study", env.study.root)
    assert result.exit_code == 0 and "removed" in result.stdout
    assert not logged_in(cora)
    assert sign_in(app.test_client(), env.tokens['cora']).status_code == 403
    assert len(db_rows(env.study, "SELECT id FROM ratings")) == 2  # both dimensions, still there
    listing = run_cli("people", "list", "--study", env.study.root).stdout
    assert "cora\tcoder" in listing and "removed" in listing
    html = admin.get("/admin/").get_data(as_text=True)
    assert "cora</td><td>coder</td>" in html and "removed" in html
    for command in ("link", "revoke", "remove"):
        again = run_cli("people", command, "cora", "--study", env.study.root)
        assert again.exit_code == 2 and "was removed" in again.stderr


@pytest.mark.parametrize("command", ["link", "revoke", "remove"])
def test_people_commands_refuse_an_unknown_name_with_exit_2_on_one_line(run_cli, env, command):
    result = run_cli("people", command, "nobody", "--study", env.study.root)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no person named 'nobody'" in result.stderr


def test_old_style_cookie_with_a_person_id_is_not_accepted(app, env):
    ada_id = db_rows(env.study, "SELECT id FROM people WHERE name = 'ada'")[0]["id"]
    forged = replay(app, forged_cookie(app.secret_key, {"person_id": ada_id}))
    assert not logged_in(forged) and forged.get("/admin/").status_code == 302


def test_expired_session_is_not_accepted(app, env, login):
    cora = login("cora")
    with sqlite3.connect(env.study.annotations_db) as conn:
        conn.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z'")
    assert not logged_in(cora)


def test_each_request_checks_its_session_with_one_query(app, login):
    cora = login("cora")
    conn = app.extensions["semclust"]["connections"].conn  # the test client runs in this thread
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert cora.get("/").status_code == 302
    finally:
        conn.set_trace_callback(None)
    assert len(statements) == 1 and "JOIN people" in statements[0]
    plan = " ".join(str(tuple(r)) for r in conn.execute("EXPLAIN QUERY PLAN " + statements[0]))
    assert "SCAN" not in plan  # an index lookup of the session, then the person by id


def test_dashboard_shows_active_sessions_and_last_login_per_person(admin, login):
    login("cora"), login("cora")
    html = admin.get("/admin/").get_data(as_text=True)
    row = html[html.index("<td>cora</td>"):]
    row = row[:row.index("</tr>")]
    assert '<td class="sessions">2</td>' in row and "Z</td>" in row  # two browsers, last login time
    colin = html[html.index("<td>colin</td>"):]
    assert '<td class="sessions">0</td>' in colin[:colin.index("</tr>")] and "never" in colin[:colin.index("</tr>")]


# --- the signing key ----------------------------------------------------------------
def test_a_copy_of_the_database_alone_lets_nobody_log_in(app, env, login, tmp_path):
    cora = login("cora")
    cookie = cookie_of(cora)
    copy_root = tmp_path / "copy"
    shutil.copytree(env.study.root, copy_root, ignore=shutil.ignore_patterns(".secret_key"))
    for config in ({}, {"SECRET_KEY": OTHER_KEY}):  # its own new key file, or a key of its own
        thief = create_app({"STUDY": copy_root, "TESTING": True, **config})
        assert not logged_in(replay(thief, cookie))
    raw = raw_database(env.study)
    secrets_seen = [app.secret_key, session_id_of(app, cookie), *env.tokens.values()]
    assert not [s for s in secrets_seen if s.encode() in raw]
    assert db_rows(env.study, "SELECT * FROM meta WHERE key = 'secret_key'") == []


def test_secret_key_file_is_private_created_once_and_reused(env):
    first = create_app({"STUDY": env.study.root})
    path = auth.secret_key_path(env.study.root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first.secret_key and len(first.secret_key) >= 32
    assert create_app(env.study.root).secret_key == first.secret_key


def test_secret_key_from_the_environment_wins_and_writes_no_file(env, monkeypatch):
    monkeypatch.setenv(auth.SECRET_KEY_ENV, OTHER_KEY)
    assert create_app(env.study.root).secret_key == OTHER_KEY
    assert not auth.secret_key_path(env.study.root).exists()
    assert create_app({"STUDY": env.study.root, "SECRET_KEY": "configured"}).secret_key == "configured"


@pytest.mark.parametrize("where", ["env", "file"])
def test_short_secret_key_is_a_user_error(env, monkeypatch, where):
    if where == "env":
        monkeypatch.setenv(auth.SECRET_KEY_ENV, "short")
    else:
        auth.secret_key_path(env.study.root).write_text("short\n")
    with pytest.raises(UserError, match="shorter than 32"):
        create_app(env.study.root)


def old_version_database(study: Study, old_secret: str) -> None:
    """Turn the study's database into one written by the previous version.

    ``people`` without ``removed_at``, no ``sessions`` table, the cookie key in ``meta``.
    """
    with sqlite3.connect(study.annotations_db) as conn:
        conn.execute("DROP TABLE IF EXISTS sessions")
        if "removed_at" in {row[1] for row in conn.execute("PRAGMA table_info(people)")}:
            conn.execute("ALTER TABLE people DROP COLUMN removed_at")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('secret_key', ?)", (old_secret,))
    conn.close()


def test_database_of_an_older_version_keeps_working_without_its_secret(env):
    old_secret = "0123456789abcdef" * 4
    old_version_database(env.study, old_secret)
    ada_id = db_rows(env.study, "SELECT id FROM people WHERE name = 'ada'")[0]["id"]
    app = create_app({"STUDY": env.study.root, "TESTING": True})
    assert app.secret_key != old_secret
    assert db_rows(env.study, "SELECT * FROM meta WHERE key = 'secret_key'") == []
    assert old_secret.encode() not in raw_database(env.study)
    assert not logged_in(replay(app, forged_cookie(old_secret, {"person_id": ada_id})))
    client = app.test_client()
    assert sign_in(client, env.tokens['cora']).status_code == 302 and logged_in(client)
    assert {r["name"] for r in db_rows(env.study, "PRAGMA table_info(people)")} >= {"removed_at"}


# --- images ---------------------------------------------------------------------------
def image_client(env, images_only: bool):
    """A fresh app of the study: the images-only app, or the full app logged in as cora."""
    if images_only:
        return create_app(env.study.root, images_only=True).test_client()
    client = create_app({"STUDY": env.study.root, "TESTING": True}).test_client()
    assert sign_in(client, env.tokens['cora']).status_code == 302
    return client


def own_image_root(env, tmp_path) -> Study:
    """Give the study a private copy of its images (the template's folder is shared); return it reopened."""
    images = tmp_path / "own-images"
    shutil.copytree(env.study.image_root, images, symlinks=True)
    config = dict(env.study.config, image_root=str(images))
    env.study.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env.study = Study.open(env.study.root)
    return env.study


def add_image_rows(study: Study, rows: list[dict]) -> None:
    """Append rows to images.csv (status ok unless given)."""
    extra = [{"sha256": "", "width": 1, "height": 1, "status": "ok", "error": "", **r} for r in rows]
    study.write_images(pd.concat([study.read_images(), pd.DataFrame(extra)], ignore_index=True))


@pytest.mark.parametrize("images_only", [False, True], ids=["app", "images-only"])
def test_unreadable_images_are_404(env, images_only):
    frame = env.study.read_images()
    frame.loc[frame["image_id"] == "i3", ["status", "error"]] = ["unreadable", "truncated"]
    env.study.write_images(frame)
    client = image_client(env, images_only)
    assert client.get("/images/i3").status_code == 404
    assert client.get("/images/i2").status_code == 200


@pytest.mark.parametrize("images_only", [False, True], ids=["app", "images-only"])
def test_symlinks_out_of_the_image_root_are_404(env, tmp_path, images_only):
    study = own_image_root(env, tmp_path)
    outside = tmp_path / "private.txt"
    outside.write_text("not an image")
    root = study.image_root
    (root / "evil.png").symlink_to(outside)
    (root / "db.png").symlink_to(study.annotations_db)
    (root / "alias.png").symlink_to(root / "img2.png")  # inside the root: fine
    add_image_rows(study, [{"image_id": "evil", "path": "evil.png"}, {"image_id": "db", "path": "db.png"},
                           {"image_id": "abs", "path": str(outside)}, {"image_id": "alias", "path": "alias.png"}])
    client = image_client(env, images_only)
    for image_id in ("evil", "db", "abs"):
        assert client.get(f"/images/{image_id}").status_code == 404, image_id
    alias = client.get("/images/alias")
    assert alias.status_code == 200 and alias.data == (root / "img2.png").read_bytes()


def test_image_responses_name_no_file_and_carry_no_file_time(login, env):
    cora = login("cora")
    response = cora.get("/images/i3")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "filename" not in response.headers.get("Content-Disposition", "")
    assert "img3" not in str(response.headers)
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers  # mtimes hint at sources


# --- the cookie ------------------------------------------------------------------------
@pytest.mark.parametrize("config, environ, secure", [
    ({}, {}, False),
    ({"SESSION_COOKIE_SECURE": True}, {}, True),
    ({}, {"SEMCLUST_SECURE_COOKIES": "1"}, True),
    ({"SESSION_COOKIE_SECURE": False}, {"SEMCLUST_SECURE_COOKIES": "1"}, False),
])
def test_session_cookie_is_secure_when_configured(env, monkeypatch, config, environ, secure):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app({"STUDY": env.study.root, "TESTING": True, **config})
    response = sign_in(app.test_client(), env.tokens['cora'])
    cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in cookie) == secure and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_secure_cookies_value_is_a_user_error(env, monkeypatch):
    monkeypatch.setenv("SEMCLUST_SECURE_COOKIES", "yes please")
    with pytest.raises(UserError, match="SEMCLUST_SECURE_COOKIES"):
        create_app(env.study.root)


# --- export -------------------------------------------------------------------------------
def test_refused_export_is_shown_to_the_admin_with_409_and_writes_nothing(admin, env, monkeypatch):
    from semclust.annotate import export

    env.study.ratings_csv.parent.mkdir(parents=True, exist_ok=True)
    env.study.ratings_csv.write_text("kept\n")

    def refuse(study, **kwargs):
        raise UserError("exports/ratings.csv has 3 rows the database does not have; use --force")
    monkeypatch.setattr(export, "export_study", refuse)
    response = admin.post("/admin/export", data={"csrf_token": admin.csrf})
    assert response.status_code == 409
    assert "rows the database does not have" in response.get_data(as_text=True)
    assert env.study.ratings_csv.read_text() == "kept\n"

