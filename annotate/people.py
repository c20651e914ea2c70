"""People, login tokens and roles of the annotation app (no web framework needed).

Each person gets a personal login link carrying a random token
(``secrets.token_urlsafe(24)``, 192 bits). Only its SHA-256 is stored, so a
copy of the database does not let anyone log in. Opening the link sets a
signed session cookie; from then on the cookie identifies the person.

Roles: ``coder`` rates pairs, ``evaluator`` matches sets to cluster
descriptions, ``admin`` opens phases, records consensus and exports. Each
page admits exactly one role; any other logged-in person gets 403 (see
:mod:`semclust.annotate.auth` for the request side).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from pathlib import Path

from semclust.annotate import db
from semclust.pipeline.study import UserError, now_iso

ROLES = ("coder", "evaluator", "admin")
CONSENSUS_NAME = "consensus"  # the coder name of consensus scores in exports: not a person
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a login token (what the database stores)."""
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
    return name


def add_person(db_path: str | Path, name: str, role: str) -> str:
    """Add a person and return their login token (shown once; only its hash is kept).

    Raises UserError for an unknown role, an invalid name or a name already taken.
    """
    check_name(name)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    db.init_db(db_path)
    token = secrets.token_urlsafe(24)
    conn = db.connect(db_path)
    try:
        with db.transaction(conn):
            conn.execute("INSERT INTO people (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                         (name, role, hash_token(token), now_iso()))
    except sqlite3.IntegrityError:
        raise UserError(f"a person named {name!r} already exists in {db_path}") from None
    finally:
        conn.close()
    return token


def new_token(db_path: str | Path, name: str) -> str:
    """Replace a person's login token (the old link stops working); return the new token."""
    db.init_db(db_path)
    token = secrets.token_urlsafe(24)
    conn = db.connect(db_path)
    try:
        with db.transaction(conn):
            cur = conn.execute("UPDATE people SET token_hash = ? WHERE name = ?", (hash_token(token), name))
        if cur.rowcount != 1:
            raise UserError(f"no person named {name!r} in {db_path}")
    finally:
        conn.close()
    return token


def list_people(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """All people (id, name, role, created_at), by name."""
    return conn.execute("SELECT id, name, role, created_at FROM people ORDER BY name").fetchall()


def person_by_token(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    """The person whose login token is ``token``, or None."""
    if not token or len(token) > 200:
        return None
    return conn.execute("SELECT id, name, role FROM people WHERE token_hash = ?",
                        (hash_token(token),)).fetchone()
