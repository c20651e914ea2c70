"""Description health: flag degenerate descriptions before they are embedded and clustered.

The reference study found that LLaVA sometimes produced "sequences of random
words", which lowered its scores. Each check below is a plain, documented
heuristic on one text; a description is *flagged* when any check fires, and
the reasons are kept so a researcher can see why (``descriptions/<id>.health.csv``)
and ask again for those images only (``semclust describe --retry-flagged``).

Checks (thresholds in :data:`DEFAULTS`):

``empty``
    no text (a failed request, an empty or whitespace-only answer).
``too short``
    fewer than ``min_words`` words (word = a run of letters, digits or apostrophes).
``repetitive``
    the text compresses too well (zlib-compressed bytes / UTF-8 bytes below
    ``min_compression`` for texts of at least 200 characters), or one word
    3-gram makes up more than ``max_trigram_share`` of all 3-grams.
``not prose``
    among texts of at least 10 words, fewer than ``min_function_words`` of the
    words are English function words (sklearn's English stop-word list): prose
    has roughly 40-55 %, a list or a sequence of random words far fewer.
``mostly non-words``
    fewer than ``min_wordlike`` of the whitespace-separated tokens look like
    words (letters, optionally with an apostrophe, hyphen or closing punctuation).
``refusal``
    the model declined ("I'm sorry, but I can't", "as an AI", "unable to see
    the image", ...): :data:`REFUSAL`.
"""
from __future__ import annotations

import re
import zlib
from collections import Counter

import pandas as pd

DEFAULTS = {"min_words": 8, "min_compression": 0.35, "max_trigram_share": 0.3,
            "min_function_words": 0.15, "min_wordlike": 0.6}
REASONS = ("empty", "too short", "repetitive", "not prose", "mostly non-words", "refusal")
HEALTH_COLUMNS = ["image_id", "flagged", "reasons", "n_words", "compression", "trigram_share",
                  "function_words", "wordlike"]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_WORDLIKE = re.compile(r"^[\"'(\[]*[^\W\d_]+(?:['-][^\W\d_]+)*[\"')\].,;:!?]*$", re.UNICODE)
REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i apologi[sz]e|i can(?:'|no)t (?:help|assist|describe|provide|see|view)"
    r"|i cannot (?:help|assist|describe|provide|see|view)|as an ai\b|i(?:'m| am) (?:not able|unable) to"
    r"|unable to (?:see|view|describe|analy[sz]e) (?:the |this )?image)", re.IGNORECASE)


def _function_words() -> frozenset:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def text_measures(text: str | None) -> dict:
    """The measures the checks read, for one text.

    Returns ``n_words``, ``compression`` (zlib bytes / UTF-8 bytes, None under
    200 characters), ``trigram_share`` (share of the most frequent word 3-gram,
    None under 3 words), ``function_words`` and ``wordlike`` (fractions, None
    for no words).

    >>> m = text_measures("the cat sat on the mat")
    >>> m["n_words"], m["function_words"]
    (6, 0.5)
    """
    text = text or ""
    words = [w.lower() for w in _WORD.findall(text)]
    tokens = text.split()
    raw = text.encode("utf-8")
    trigrams = Counter(zip(words, words[1:], words[2:]))
    return {
        "n_words": len(words),
        "compression": round(len(zlib.compress(raw, 9)) / len(raw), 4) if len(text) >= 200 else None,
        "trigram_share": (round(max(trigrams.values()) / sum(trigrams.values()), 4)
                          if trigrams else None),
        "function_words": (round(sum(w in _function_words() for w in words) / len(words), 4)
                           if words else None),
        "wordlike": round(sum(bool(_WORDLIKE.match(t)) for t in tokens) / len(tokens), 4) if tokens else None,
    }


def check_text(text: str | None, **thresholds) -> tuple[list[str], dict]:
    """``(reasons, measures)`` for one description; no reasons = healthy.

    ``thresholds`` override :data:`DEFAULTS`.

    >>> check_text("A crowd of young people carry placards through a city street, "
    ...            "which conveys urgency and hope about the climate.")[0]
    []
    >>> check_text("sky sky sky sky sky sky sky sky sky sky sky sky")[0]
    ['repetitive', 'not prose']
    >>> check_text("I'm sorry, but I can't describe this image.")[0]
    ['refusal']
    """
    t = {**DEFAULTS, **thresholds}
    m = text_measures(text)
    if not (text or "").strip():
        return ["empty"], m
    reasons = []
    if m["n_words"] < t["min_words"] and not REFUSAL.search(text):
        reasons.append("too short")
    if ((m["compression"] is not None and m["compression"] < t["min_compression"])
            or (m["trigram_share"] is not None and m["n_words"] >= 6
                and m["trigram_share"] > t["max_trigram_share"])):
        reasons.append("repetitive")
    if m["n_words"] >= 10 and m["function_words"] < t["min_function_words"]:
        reasons.append("not prose")
    if m["wordlike"] is not None and m["wordlike"] < t["min_wordlike"]:
        reasons.append("mostly non-words")
    if REFUSAL.search(text):
        reasons.append("refusal")
    return reasons, m


def check_descriptions(descriptions: pd.DataFrame, **thresholds) -> pd.DataFrame:
    """Health of a describer's descriptions (``image_id, text`` as from ``Study.read_descriptions``).

    Returns one row per image with :data:`HEALTH_COLUMNS`: ``flagged`` (bool),
    ``reasons`` (``;``-separated, empty when healthy) and the measures.
    """
    rows = []
    for image_id, text in zip(descriptions["image_id"], descriptions.get("text", pd.Series(dtype=str))):
        reasons, m = check_text(text if isinstance(text, str) else None, **thresholds)
        rows.append({"image_id": image_id, "flagged": bool(reasons), "reasons": ";".join(reasons), **m})
    return pd.DataFrame(rows, columns=HEALTH_COLUMNS)
