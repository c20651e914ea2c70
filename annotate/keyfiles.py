"""Secret key files of a study folder: created once, mode 0600, never in the database.

A study keeps two secrets beside its files, each created on first use with
``O_CREAT | O_EXCL`` (two processes starting at once agree on one key):

- ``STUDY/.secret_key`` signs the app's session cookies (:func:`semclust.annotate.auth.secret_key`;
  ``$SEMCLUST_SECRET_KEY`` may replace it, and changing it logs everyone out);
- ``STUDY/.blinding_key`` keys every order and item id a person is shown
  (:mod:`semclust.annotate.blinding`); it has no override, so rotating the cookie key
  never reshuffles anyone's queue.

Neither ever reaches a browser, Label Studio or an export; a copy of
``annotations.sqlite`` holds neither.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from semclust.study import UserError

MIN_SECRET_CHARS = 32


def study_key(path: str | os.PathLike) -> str:
    """The key in the file ``path``, creating it on first use (mode 0600, 256 random bits as hex).

    Raises UserError for a file that cannot be created or read, or whose key is
    shorter than :data:`MIN_SECRET_CHARS` characters.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    except OSError as exc:
        raise UserError(f"cannot create the secret key file {path}: {exc.strerror}") from None
    key = secrets.token_hex(32)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)  # a half-written key would lock everyone out
        raise UserError(f"cannot write the secret key file {path}: {exc.strerror}") from None
    return key


def _read_key_file(path: Path, wait_s: float = 2.0) -> str:
    """The key in ``path``; waits up to ``wait_s`` seconds for a file another process is writing."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            key = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the secret key file {path}: {exc}") from None
        if len(key) >= MIN_SECRET_CHARS or time.monotonic() > deadline:
            return checked_key(key, str(path))
        time.sleep(0.05)


def checked_key(key: str, where: str) -> str:
    """``key`` if it has at least :data:`MIN_SECRET_CHARS` characters, else UserError naming ``where``."""
    if len(key) < MIN_SECRET_CHARS:
        raise UserError(f"the secret key in {where} is shorter than {MIN_SECRET_CHARS} characters; "
                        "use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`")
    return key
