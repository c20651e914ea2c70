"""Reading what language models answer: lists of names, one answer, one name, and a class.

Every LLM/VLM step reads its answers here: IC|TC's labels, names and
assignments (:mod:`semclust.pipeline.ictc`), ``classify vlm`` and ``semclust
name``. Models wrap what was asked for in many ways; the readers handle the
ones real models produce and never guess beyond them:

- **lists** (:func:`read_names`): numbered (``1.``, ``1)``, ``1:``, ``1 -``,
  ``1 –``, ``(1)``) or bulleted lines, optionally prefixed (``Cluster 3:``,
  ``Name 3 -``, ``Topic:``); Markdown bold, italics, headings and code fences;
  a JSON list or object (also fenced, also after a preamble); one
  comma-separated line. Preambles (``Here are the names:``) and commentary
  (``Reason 1: ...``, ``Explanation: ...``, ``Hope this helps``) are dropped,
  and so is an explanation after a name (``name — why``, ``name: why``,
  ``name (why)``). When some lines are numbered or bulleted, only those are
  names, so commentary never fills a slot.
- **one answer** (:func:`read_answer`): the text after the last ``Answer:``
  (also ``**Answer:**``, ``Final answer -``), ``The answer is X.``, a JSON
  ``{"answer": ...}``, or a reply that is one line once commentary lines are
  dropped; else nothing ("unreadable").
- **one name** (:func:`read_name`): the first line that is not a preamble, with
  ``Name:`` and the like removed, cut before an explanation.
- **a class** (:func:`match_answer`): exact (a name or alias as written), then
  normalised (:func:`normalise`), then "none" for answers such as "none of
  these", "other", "unknown", then the one closest name by
  :func:`difflib.get_close_matches` at ``cutoff`` (default
  :data:`DEFAULT_CUTOFF`); anything else, or a tie, gives no class.

>>> read_names("Here are the names:\\n1: database\\n2 - **sound** — noises\\nReason 1: grouped by purpose")
['database', 'sound']
>>> read_answer("The description mentions rain.\\n**Answer:** Weather.")
'Weather'
"""
from __future__ import annotations

import difflib
import json
import re

from semclust.vocabulary import NOISE

DEFAULT_CUTOFF = 0.8  # difflib ratio a misspelt answer needs to count as a close match
NONE_ANSWERS = frozenset({"none", "none of these", "none of them", "none of above", "none of the above",
                          "no class", "not applicable", "n", "other", "others", "unknown", "no answer",
                          "no match", "not sure", "unclear"})  # "n/a" normalises to "n"
STRIP_CHARS = " \t\"'*`_\u201c\u201d\u2018\u2019.,;:!"
_ARTICLES = frozenset({"a", "an", "the"})
_PREFIX_WORDS = r"(?:cluster|name|topic|category|group|label|class|theme)"
_MARKER = re.compile(
    r"^(?:[-*+\u2022\u25cf]\s+"                                        # - item, * item, • item
    rf"|(?:{_PREFIX_WORDS}\s*)?#?\(?\d+\)?\s*(?:[.):]|\s-|-|\u2013|\u2014)\s*"  # 1. 1) 1: 1 - (1) Cluster 3:
    rf"|{_PREFIX_WORDS}\s*[:\-\u2013\u2014]\s+)",                      # Topic: x
    re.IGNORECASE)
_COMMENTARY = re.compile(
    r"^(?:reason|reasons|explanation|rationale|note|notes|justification|because|here (?:are|is)|"
    r"sure|certainly|of course|okay|ok|hope this|i hope|let me know|feel free|these (?:names|clusters|"
    r"labels)|this (?:list|grouping)|based on|i (?:have|would|chose|grouped)|in summary|summary)\b",
    re.IGNORECASE)
_EXPLANATION = re.compile(r"\s+[\u2014\u2013]\s+|\s+-\s+|:\s+|\s+\(")  # name — why / name - why / name: why / name (why)
_ANSWER = re.compile(r"(?:final\s+)?answer\s*(?:\*\*|__)?\s*[:\-\u2013\u2014]\s*(?:\*\*|__)?", re.IGNORECASE)
_ANSWER_IS = re.compile(r"\bthe (?:final |best )?answer is\s*:?\s*(.+)", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[\w-]*\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_NAME_PREFIX = re.compile(rf"^(?:{_PREFIX_WORDS}(?:\s+name)?|short name|suggested name)\s*\d*\s*[:\-\u2013\u2014]\s*",
                          re.IGNORECASE)


def normalise(text: str) -> str:
    """Casefold, turn punctuation and underscores into spaces, drop a/an/the, collapse spaces.

    Articles are kept when nothing else is left (a class may be called "A").

    >>> normalise("  The Ocean_Plastic! ")
    'ocean plastic'
    >>> normalise("None of these.")
    'none of these'
    """
    words = re.sub(r"[\W_]+", " ", str(text).casefold()).split()
    return " ".join([w for w in words if w not in _ARTICLES] or words)


def _clean(text: str) -> str:
    """A line without Markdown wrapping: heading marks, emphasis, quotes, end punctuation."""
    text = _HEADING.sub("", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(\S.*?)\1(?![\w*])", r"\2", text)
    return text.strip(STRIP_CHARS)


def _lines(text: str) -> list[str]:
    """Non-empty lines, code fences removed."""
    return [line for line in text.splitlines() if line.strip() and not _FENCE.match(line)]


def _json_value(text: str):
    """The JSON list or object in ``text`` (code fences and a preamble around it allowed), or None."""
    body = "\n".join(_lines(text)).strip()
    for start, end in (("[", "]"), ("{", "}")):
        i, j = body.find(start), body.rfind(end)
        if i < 0 or j <= i:
            continue
        try:
            value = json.loads(body[i:j + 1])
        except ValueError:
            continue
        if isinstance(value, (list, dict)):
            return value
    return None


def _json_strings(value) -> list[str] | None:
    """The strings of a JSON list (or of an object's one list, or its values); None for no JSON."""
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        value = lists[0] if len(lists) == 1 else list(value.values())
    if not isinstance(value, list):
        return None
    items = [v.get("name") if isinstance(v, dict) else v for v in value]
    return [str(v) for v in items if isinstance(v, (str, int, float)) and not isinstance(v, bool)]


def _after_preamble(line: str) -> str:
    """``a, b`` of ``Here are the names: a, b`` (a preamble and a list on one line); else ``line``."""
    head, sep, tail = line.partition(":")
    return tail.strip() if sep and _COMMENTARY.match(_clean(head) + " ") and "," in tail else line


def _item(text: str) -> str:
    """One listed name: the marker, Markdown and any explanation after it removed."""
    text = _clean(text)
    text = _clean(_MARKER.sub("", text, count=1))
    head = _EXPLANATION.split(text, maxsplit=1)[0]
    return _clean(head)


def read_names(text) -> list[str]:
    """The distinct names of a list answer, in order (see the module docstring for the formats).

    Names whose :func:`normalise` form repeats an earlier one, is empty or means
    "none" are dropped.

    >>> read_names('```json\\n["Joy", "fear", "joy"]\\n```')
    ['Joy', 'fear']
    >>> read_names("Names: protest, ocean plastic and wildfire.")
    ['protest', 'ocean plastic', 'wildfire']
    """
    if not isinstance(text, str) or not text.strip():
        return []
    found = _json_strings(_json_value(text))
    if found is None:
        lines = [_HEADING.sub("", line).strip() for line in _lines(text)]
        stripped = [re.sub(r"^(\*\*|__)", "", line) for line in lines]
        marked = [line for line in stripped if _MARKER.match(line) and not _COMMENTARY.match(line)]
        if marked:
            found = [_item(line) for line in marked]
        else:
            lines = [_after_preamble(line) for line in lines]
            content = [line for line in lines if not _COMMENTARY.match(_clean(line)) and not line.rstrip().endswith(":")]
            if len(content) == 1 and ("," in content[0] or " and " in content[0]):
                line = content[0].rsplit(":", 1)[-1]
                found = [_clean(part) for part in re.split(r",|\band\b", line)]
            else:
                found = [_item(line) for line in content]
    names, seen = [], set()
    for name in found:
        name = _clean(str(name))
        key = normalise(name)
        if key and key not in seen and key not in NONE_ANSWERS:
            names.append(name)
            seen.add(key)
    return names


def read_answer(text) -> str:
    """The one answer a reply gives ("" when it gives none we can read; see the module docstring).

    >>> read_answer("Answer: calm\\nAnswer: Joy\\nbecause ..."), read_answer("two\\nlines"), read_answer("Joy.")
    ('Joy', '', 'Joy')
    """
    if not isinstance(text, str) or not text.strip():
        return ""
    if text.lstrip().startswith(("{", "```")):
        value = _json_value(text)
        if isinstance(value, dict):
            for key in ("answer", "class", "label", "name", "category", "cluster"):
                if isinstance(value.get(key), str):
                    return _clean(value[key])
        found = _json_strings(value)
        if found and len(found) == 1:
            return _clean(found[0])
    parts = _ANSWER.split(text)
    if len(parts) > 1:
        tail = parts[-1].strip()
        return _item(tail.splitlines()[0]) if tail else ""
    match = _ANSWER_IS.search(text)
    if match:
        return _clean(match.group(1).splitlines()[0])
    content = [line for line in _lines(text) if not _COMMENTARY.match(_clean(line))]
    return _clean(content[0]) if len(content) == 1 else ""


def read_name(text) -> str | None:
    """The name a naming reply gives: its first content line without ``Name:``, cut before an explanation.

    >>> read_name('Name: "Climate protest".'), read_name("Sure! Here is a name:\\n**Melting ice** - glaciers")
    ('Climate protest', 'Melting ice')
    """
    if not isinstance(text, str):
        return None
    if text.lstrip().startswith(("{", "```")):
        answer = read_answer(text)
        if answer:
            return answer
    for line in _lines(text):
        cleaned = _clean(line)
        if not cleaned or _COMMENTARY.match(cleaned) or line.rstrip().endswith(":"):
            continue
        name = _NAME_PREFIX.sub("", _clean(_MARKER.sub("", cleaned, count=1)))
        name = _clean(_EXPLANATION.split(name, maxsplit=1)[0])
        return name or None
    return None


def match_answer(answer, classes, cutoff: float = DEFAULT_CUTOFF) -> tuple[int, str]:
    """``(class index or -1, how)`` for an answer already read (:func:`read_answer`).

    ``classes`` have ``name`` and ``aliases``. ``how`` is one of exact,
    normalised, close, none, empty, ambiguous, unrecognised.

    >>> from semclust.pipeline.classes import ClassSpec
    >>> classes = [ClassSpec("protest"), ClassSpec("ocean plastic", aliases=("litter",))]
    >>> [match_answer(a, classes) for a in ["litter", "Ocean plastic.", "protset", "None of these", "Other"]]
    [(1, 'exact'), (1, 'normalised'), (0, 'close'), (-1, 'none'), (-1, 'none')]
    """
    if not isinstance(answer, str) or not answer.strip():
        return NOISE, "empty"
    words = {w: i for i, c in enumerate(classes) for w in (c.name, *c.aliases)}
    if answer.strip() in words:
        return words[answer.strip()], "exact"
    norm = {normalise(w): i for w, i in words.items()}
    key = normalise(answer)
    if not key:
        return NOISE, "empty"
    if key in norm:
        return norm[key], "normalised"
    if key in NONE_ANSWERS:
        return NOISE, "none"
    close = difflib.get_close_matches(key, list(norm), n=len(norm), cutoff=cutoff)
    if not close:
        return NOISE, "unrecognised"
    best = difflib.SequenceMatcher(None, key, close[0]).ratio()
    rivals = {norm[w] for w in close if difflib.SequenceMatcher(None, key, w).ratio() == best}
    return (norm[close[0]], "close") if len(rivals) == 1 else (NOISE, "ambiguous")


def map_reply(text, classes, cutoff: float = DEFAULT_CUTOFF) -> tuple[int, str]:
    """Read a raw reply and match it: ``(class index or -1, how)``; ``how`` is "unreadable" for a
    non-empty reply whose answer cannot be read (:func:`read_answer`), else as :func:`match_answer`."""
    answer = read_answer(text)
    if not answer and isinstance(text, str) and text.strip():
        return NOISE, "unreadable"
    return match_answer(answer, classes, cutoff)
