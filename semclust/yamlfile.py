"""Reading the YAML files users write (study.yaml, classes.yaml, grids, search spaces), safely.

YAML anchors and aliases let a few hundred bytes expand into gigabytes (the
"billion laughs": ``a: &a [x, x, x]``, ``b: &b [*a, *a, *a]``, ...). None of
semclust's files needs them, so :func:`load_yaml` refuses every alias, and
also files over :data:`MAX_YAML_BYTES` and nesting deeper than
:data:`MAX_YAML_DEPTH`, with one line naming the file and the line. Parsing
uses ``yaml.SafeLoader`` (no Python objects). :func:`brief` caps any value
quoted back in an error message.
"""
from __future__ import annotations

import reprlib
from pathlib import Path

import yaml

from semclust.study import UserError

MAX_YAML_BYTES = 1_000_000   # a study's YAML files are a few kB
MAX_YAML_DEPTH = 32
BRIEF_CHARS = 200            # the longest value quoted in an error message


def _bounded_repr(limit: int) -> reprlib.Repr:
    shown = reprlib.Repr()
    shown.maxlevel = 3
    shown.maxlist = shown.maxtuple = shown.maxdict = shown.maxset = shown.maxfrozenset = 10
    shown.maxstring = shown.maxother = shown.maxlong = limit
    return shown


def brief(value: object, limit: int = BRIEF_CHARS) -> str:
    """``repr(value)`` of at most ``limit`` characters (longer ones cut, with their length).

    A string's repr is cut after its length is counted; a list, dict or other
    container is shown three levels deep and ten items wide at most
    (:mod:`reprlib`), so a huge or deeply nested value costs no more than a
    short one to quote.

    >>> brief("x" * 5)
    "'xxxxx'"
    >>> brief("x" * 500, limit=12)
    "'xxxxxxxxxx... (502 characters)"
    >>> brief([[[["deep"]]]] + list(range(100)))
    '[[[[...]]], 0, 1, 2, 3, 4, 5, 6, 7, 8, ...]'
    """
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = _bounded_repr(limit).repr(value)
        except Exception:  # noqa: BLE001 - a repr that fails (an int of over 4,300 digits): say what it is
            text = (f"<an integer of {value.bit_length():,} bits>" if isinstance(value, int)
                    else f"<{type(value).__name__}>")
    return text if len(text) <= limit else f"{text[:limit - 1]}... ({len(text)} characters)"


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting before anything is expanded."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"YAML aliases (*{event.anchor}) are not supported, line "
                                 f"{event.start_mark.line + 1}: write the value out")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"nested deeper than {MAX_YAML_DEPTH} levels, line {mark.line + 1}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(path: str | Path, what: str = "YAML file"):
    """The parsed content of the YAML file ``path`` (None for an empty file).

    Raises UserError (one line naming ``what`` and the file) for a missing or
    unreadable file, a file over :data:`MAX_YAML_BYTES`, invalid YAML, an alias,
    or nesting deeper than :data:`MAX_YAML_DEPTH`.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise UserError(f"{what} {path}: {size:,} bytes, more than the {MAX_YAML_BYTES:,} a YAML file "
                            "of semclust may have")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} {path}: {exc}") from None
    return parse_yaml(text, f"{path}")


def parse_yaml(text: str, where: str):
    """Parse YAML ``text`` like :func:`load_yaml` (``where`` names it in errors)."""
    if len(text) > MAX_YAML_BYTES:
        raise UserError(f"{where}: more than {MAX_YAML_BYTES:,} characters of YAML")
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{where}: not valid YAML: {first}"[:1000]) from None
    except RecursionError:
        raise UserError(f"{where}: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but Python cannot build
        # (an integer of more than 4,300 digits, a date like 2026-02-30)
        raise UserError(f"{where}: not valid YAML: {str(exc)[:300]}") from None
