"""Blinding: every order and every item id a person is shown, keyed by a study secret.

What a coder or evaluator sees must say nothing about clusters, strata or the
kind of item. Two things could leak it:

- **orders** (pairs within a phase, matching sets, the options of a set, the
  positions of attention checks, Label Studio's task order): drawn from a
  hash of public facts (clustering id, set id, person name), anyone who
  guesses the facts recomputes the order and so the right answers;
- **item ids**: ``p0001`` beside ``k3fa9...`` tells a check from a pair, and
  ``s001, s002, ...`` in cluster order tells which sets share a cluster.

So every order and every id shown is derived with HMAC-SHA-256 under the
study's **blinding key** (``STUDY/.blinding_key``, 256 random bits, mode 0600,
created on first use; see :mod:`semclust.annotate.keyfiles`). The key never
reaches a browser, Label Studio or an export. Without it an order is a
pseudo-random permutation nobody can recompute, and a guessed clustering id
cannot be confirmed. Two copies of one study with different keys show the
same person different orders.

Item ids have one shape for every kind of item: :data:`ITEM_ID_CHARS`
lowercase hex characters (:func:`is_item_id`), different for every person.
The server maps them back to the pair, check or set; nothing else does.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Hashable, Iterable, TypeVar

from semclust.annotate.keyfiles import study_key

BLINDING_KEY_FILE = ".blinding_key"
ITEM_ID_CHARS = 20  # 80 bits of HMAC: ids never collide within a study
_ITEM_ID = re.compile(rf"^[0-9a-f]{{{ITEM_ID_CHARS}}}$")
_SEP = "\x1f"
T = TypeVar("T", bound=Hashable)


def blinding_key_path(study_root: str | os.PathLike) -> Path:
    """``STUDY/.blinding_key``: the key of every order and item id shown to people."""
    return Path(study_root) / BLINDING_KEY_FILE


def study_blinder(study_root: str | os.PathLike) -> "Blinder":
    """The :class:`Blinder` of a study (its key file is created on first use)."""
    return Blinder(study_key(blinding_key_path(study_root)))


def is_item_id(value: object) -> bool:
    """Whether ``value`` has the shape of an item id (it may still be unknown)."""
    return isinstance(value, str) and bool(_ITEM_ID.match(value))


class Blinder:
    """Keyed orders and ids for one study.

    Parameters
    ----------
    key : str
        The study's blinding key (at least 32 characters; :func:`study_blinder`).

    Every method is a pure function of the key and its arguments, so orders
    are stable across visits, restarts and server threads.
    """

    def __init__(self, key: str):
        if not isinstance(key, str) or len(key) < 32:
            raise ValueError("a blinding key has at least 32 characters")
        self._key = key.encode("utf-8")

    def __repr__(self) -> str:  # never show the key
        return "Blinder(<key hidden>)"

    def _digest(self, *parts: object) -> bytes:
        message = _SEP.join(str(p) for p in parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def item_id(self, person: str, kind: str, *ref: object) -> str:
        """The id under which ``person`` is shown item ``ref`` of ``kind`` (pair, check, set, ...).

        :data:`ITEM_ID_CHARS` hex characters, the same shape for every kind.
        """
        return self._digest("item", person, kind, *ref).hex()[:ITEM_ID_CHARS]

    def order(self, person: str, purpose: str | tuple, items: Iterable[T]) -> list[T]:
        """``items`` in a keyed pseudo-random order, stable per (person, purpose).

        ``purpose`` names the list (a string, or a tuple such as ``("sets",
        clustering, kind)``). The order is the sort by HMAC(key, person | purpose
        | item): without the key it is unpredictable; with it, reproducible.
        Items must be distinct.
        """
        parts = purpose if isinstance(purpose, tuple) else (purpose,)
        return sorted(items, key=lambda item: self._digest("order", person, *parts, item))

    def position(self, person: str, purpose: str | tuple, n: int) -> int:
        """A keyed pseudo-random integer in ``1..n`` (``n`` < 1 counts as 1)."""
        parts = purpose if isinstance(purpose, tuple) else (purpose,)
        value = int.from_bytes(self._digest("position", person, *parts)[:8], "big")
        return 1 + value % max(int(n), 1)
