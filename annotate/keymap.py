"""The keyboard map of the pair-rating page: which key gives which score on which dimension.

By default the keys of the first dimension are the scores themselves
(``0`` ``1`` ``2``, so the key pressed is the score stored) and the second
dimension uses a row of letters (``q`` ``w`` ``e``); every answer button shows
its key. A study may choose others in ``study.yaml``::

    keys:
      denotative: [0, 1, 2]
      connotative: [q, w, e]

Keys are single characters, case-insensitive, distinct, and not one of the
page's other shortcuts (:data:`RESERVED`).
"""
from __future__ import annotations

from semclust.study import Study, UserError
from semclust.vocabulary import DIMENSION_NAMES, SCALE_POINTS

DEFAULT_KEYS: dict[str, list[str]] = {"denotative": ["0", "1", "2"], "connotative": ["q", "w", "e"]}
#: Keys used for other things: cannot judge, comment, enlarge, definitions, instructions (pairs page);
#: next, previous, unresolved only (consensus page).
RESERVED = frozenset("cmzxdi?jku")


def key_map(study: Study) -> dict[str, list[str]]:
    """dimension -> one key per scale point (lower case), from ``study.yaml``'s ``keys`` or the default.

    Raises UserError naming ``study.yaml`` for a malformed entry.
    """
    configured = study.config.get("keys") or {}
    if not isinstance(configured, dict):
        raise UserError(f"{study.config_path}: keys must map each dimension to {len(SCALE_POINTS)} keys")
    unknown = sorted(set(configured) - set(DIMENSION_NAMES))
    if unknown:
        raise UserError(f"{study.config_path}: keys: unknown dimension {unknown[0]!r} "
                        f"(dimensions: {', '.join(DIMENSION_NAMES)})")
    keys = {}
    for dimension in DIMENSION_NAMES:
        row = configured.get(dimension, DEFAULT_KEYS[dimension])
        if not isinstance(row, list) or len(row) != len(SCALE_POINTS):
            raise UserError(f"{study.config_path}: keys: {dimension} needs {len(SCALE_POINTS)} keys, "
                            f"one per score {list(SCALE_POINTS)} (got {row!r})")
        keys[dimension] = [str(k).lower() for k in row]
    flat = [k for row in keys.values() for k in row]
    bad = next((k for k in flat if len(k) != 1 or k in RESERVED or k.isspace()), None)
    if bad is not None:
        raise UserError(f"{study.config_path}: keys: {bad!r} cannot be a rating key (one character, "
                        f"not one of {' '.join(sorted(RESERVED))})")
    if len(set(flat)) != len(flat):
        raise UserError(f"{study.config_path}: keys: every key must be different (got {flat})")
    return keys
