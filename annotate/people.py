"""People, login tokens, sessions and roles of the annotation app (no web framework needed).

Each person gets a personal login link carrying a random token
(``secrets.token_urlsafe(24)``, 192 bits). Only its SHA-256 is stored, so a
copy of the database does not let anyone log in. Opening the link starts a
*session*: a random session id (``secrets.token_urlsafe(32)``, 256 bits) goes
into the browser's signed cookie, and only its SHA-256 goes into the
``sessions`` table. Every request looks the session up again, so a session
ends for good when it is ended here: by logging out (that browser), by a new
link (:func:`new_token`), by :func:`revoke_sessions` or :func:`remove_person`
(all of that person's browsers), or after :data:`SESSION_LIFETIME_S`.

Roles: ``coder`` rates pairs, ``evaluator`` matches sets to cluster
descriptions, ``admin`` opens phases, records consensus and exports. Each
page admits exactly one role; any other logged-in person gets 403 (see
:mod:`semclust.annotate.auth` for the request side).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import secrets
import sqlite3
from pathlib import Path

from semclust.annotate import db
from semclust.study import UserError, now_iso
from semclust.vocabulary import SIMULATED_PREFIX

ROLES = ("coder", "evaluator", "admin")
CONSENSUS_NAME = "consensus"  # the coder name of consensus scores in exports: not a person
SESSION_LIFETIME_S = 60 * 86400  # a session (and its cookie) lasts 60 days unless ended earlier
MAX_SESSIONS_PER_PERSON = 10     # a new login beyond this ends the person's oldest running session
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a login token or session id (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login_url(base_url: str, token: str) -> str:
    """The personal login link, e.g. ``http://127.0.0.1:5000/login/<token>``."""
    return f"{base_url.rstrip('/')}/login/{token}"


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid person name, else raise UserError."""
    if not isinstance(name, str) or not _NAME.match(name) or name.strip() != name:
        raise UserError(f"invalid person name {name!r}: use 1-64 letters, digits, spaces and . _ -")
    if name.lower() == CONSENSUS_NAME:
        raise UserError(f"the name {name!r} is reserved for consensus scores")
    if name.lower().startswith(SIMULATED_PREFIX):
        raise UserError(f"invalid person name {name!r}: names starting with {SIMULATED_PREFIX!r} are reserved "
                        "for simulated raters (`semclust simulate`)")
    return name


def add_person(db_path: str | Path, name: str, role: str) -> str:
    """Add a person and return their login token (shown once; only its hash is kept).

    Raises UserError for an unknown role, an invalid name or a name already taken.
    """
    check_name(name)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(24)
    with db.opened(db_path) as conn:
        try:
            with db.transaction(conn):
                conn.execute("INSERT INTO people (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                             (name, role, hash_token(token), now_iso()))
        except sqlite3.IntegrityError:
            raise UserError(f"a person named {name!r} already exists in {db_path}") from None
    return token


def new_token(db_path: str | Path, name: str) -> str:
    """Replace a person's login token and end all their sessions; return the new token.

    The old link stops working, and so does every browser logged in with it
    (a new link is given because the old one leaked). Raises UserError for an
    unknown or removed person.
    """
    token = secrets.token_urlsafe(24)
    with db.opened(db_path) as conn, db.transaction(conn):
        person = _active_person(conn, db_path, name)
        conn.execute("UPDATE people SET token_hash = ? WHERE id = ?", (hash_token(token), person["id"]))
        _end_person_sessions(conn, person["id"])
    return token


def revoke_sessions(db_path: str | Path, name: str) -> int:
    """End all sessions of a person (every browser logs out); the link stays valid.

    Returns the number of sessions ended. Raises UserError for an unknown or removed person.
    """
    with db.opened(db_path) as conn, db.transaction(conn):
        return _end_person_sessions(conn, _active_person(conn, db_path, name)["id"])


def remove_person(db_path: str | Path, name: str) -> int:
    """Deactivate a person: their link stops working and their sessions end.

    Their answers stay (the answer tables are append-only and exports keep
    them); the name stays taken. Removal is final. Returns the number of
    sessions ended. Raises UserError for an unknown or already removed person.
    """
    with db.opened(db_path) as conn, db.transaction(conn):
        person = _active_person(conn, db_path, name)
        conn.execute("UPDATE people SET removed_at = ? WHERE id = ?", (now_iso(), person["id"]))
        return _end_person_sessions(conn, person["id"])


def list_people(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """All people (id, name, role, created_at, removed_at), removed ones included, by name."""
    return conn.execute("SELECT id, name, role, created_at, removed_at FROM people ORDER BY name").fetchall()


def person_by_token(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    """The (not removed) person whose login token is ``token``, or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    return conn.execute("SELECT id, name, role FROM people WHERE token_hash = ? AND removed_at IS NULL",
                        (hash_token(token),)).fetchone()


# --- sessions -------------------------------------------------------------------
def start_session(conn: sqlite3.Connection, person_id: int, lifetime_s: int = SESSION_LIFETIME_S) -> str:
    """Start a session of ``person_id`` lasting ``lifetime_s`` seconds; return its id.

    The id (256 random bits) is returned once, for the cookie; the database keeps its SHA-256.
    A person keeps at most :data:`MAX_SESSIONS_PER_PERSON` running sessions: the
    oldest beyond that are ended in the same transaction (a leaked link cannot
    pile up sessions).
    """
    session_id = secrets.token_urlsafe(32)
    now = _dt.datetime.now(_dt.timezone.utc)
    with db.transaction(conn):
        conn.execute("INSERT INTO sessions (id_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (hash_token(session_id), person_id, _iso(now), _iso(now + _dt.timedelta(seconds=lifetime_s))))
        conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE rowid IN (SELECT rowid FROM sessions WHERE person_id = ? "
            "AND ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
            (_iso(now), person_id, _iso(now), MAX_SESSIONS_PER_PERSON))
    return session_id


def end_session(conn: sqlite3.Connection, session_id: str) -> bool:
    """End one session (logout); return whether it was still running."""
    if not _plausible(session_id):
        return False
    with db.transaction(conn):
        return conn.execute("UPDATE sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
                            (now_iso(), hash_token(session_id))).rowcount == 1


def person_by_session(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    """The person (id, name, role) of a running session, or None.

    One query: the primary-key lookup of the session joined to its person;
    ended, expired and removed people's sessions give None.
    """
    if not _plausible(session_id):
        return None
    return conn.execute(
        "SELECT p.id, p.name, p.role FROM sessions s JOIN people p ON p.id = s.person_id "
        "WHERE s.id_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND p.removed_at IS NULL",
        (hash_token(session_id), now_iso())).fetchone()


def session_summary(conn: sqlite3.Connection) -> dict[int, dict]:
    """person_id -> {"active": running sessions, "last_login": latest session start (ISO 8601 UTC)}.

    People who never logged in are absent.
    """
    rows = conn.execute(
        "SELECT person_id, sum(ended_at IS NULL AND expires_at > ?) AS active, max(created_at) AS last_login "
        "FROM sessions GROUP BY person_id", (now_iso(),)).fetchall()
    return {r["person_id"]: {"active": int(r["active"]), "last_login": r["last_login"]} for r in rows}


def _active_person(conn: sqlite3.Connection, db_path: str | Path, name: str) -> sqlite3.Row:
    """The row (id, removed_at) of person ``name``; UserError if there is none or they were removed."""
    row = conn.execute("SELECT id, removed_at FROM people WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise UserError(f"no person named {name!r} in {db_path}")
    if row["removed_at"] is not None:
        raise UserError(f"{name!r} was removed on {row['removed_at']} (removal is final; their answers stay)")
    return row


def _end_person_sessions(conn: sqlite3.Connection, person_id: int) -> int:
    """End every running session of a person (inside the caller's transaction); return how many."""
    now = now_iso()
    return conn.execute("UPDATE sessions SET ended_at = ? WHERE person_id = ? AND ended_at IS NULL "
                        "AND expires_at > ?", (now, person_id, now)).rowcount


def _plausible(session_id: object) -> bool:
    return isinstance(session_id, str) and 0 < len(session_id) <= 200


def _iso(moment: _dt.datetime) -> str:
    """A UTC time in the format of :func:`now_iso` (so stored times compare as strings)."""
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
