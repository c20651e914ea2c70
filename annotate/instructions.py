"""What a coder reads before the first pair: the study's instructions and practice pairs.

``STUDY/instructions.md``
    Markdown written by the study's team (optional). Rendered by
    :func:`markdown_to_html`, a small safe subset: every character of the file
    is HTML-escaped first, then ``#``/``##``/``###`` headings, paragraphs,
    ``-``/``*`` bullet lists, ``**bold**``, ``*italic*`` and ``![caption](image:ID)``
    (an image of images.csv, shown by id) are formatted. Nothing else of HTML
    survives, so the file cannot inject script or markup.
``STUDY/practice.csv``
    Practice pairs (optional): ``image_a, image_b`` (image ids) and optionally
    ``denotative, connotative`` (the expected scores, shown after answering).
    Practice answers are never sent to the server, so they are never data.
"""
from __future__ import annotations

import html
import re

import pandas as pd
from markupsafe import Markup

from semclust.study import Study, UserError
from semclust.vocabulary import DIMENSION_NAMES, SCALE_POINTS

INSTRUCTIONS_FILE = "instructions.md"
BULLET = re.compile(r"^[-*]\s+")
PRACTICE_FILE = "practice.csv"
DEFAULT_INSTRUCTIONS = """# Before you start

You will see two images side by side. Rate each pair twice: once for **denotative** similarity
(what the images literally show) and once for **connotative** similarity (what they mean).
Both definitions are below and stay one key away (**D**) while you rate.

- Judge each pair on its own; there is no right number of similar pairs.
- If an image does not load or you cannot understand it, choose *cannot judge* and say why in the comment.
- Some pairs are checks of attention with an obvious answer.
"""


def _inline(text: str) -> str:
    """Inline formatting of already-escaped text."""
    text = re.sub(r"!\[([^\]]*)\]\(image:([A-Za-z0-9_.-]+)\)",
                  r'<figure class="example"><img src="/images/\2" alt="\1"><figcaption>\1</figcaption></figure>',
                  text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\*)", r"<em>\1</em>", text)


def markdown_to_html(source: str) -> Markup:
    """A safe Markdown subset as HTML (see the module docstring); all input HTML is escaped.

    >>> str(markdown_to_html("# Hi <b>\\n\\nSome **bold** text.\\n\\n- one\\n- two"))
    '<h1>Hi &lt;b&gt;</h1>\\n<p>Some <strong>bold</strong> text.</p>\\n<ul><li>one</li><li>two</li></ul>'
    """
    blocks, out = re.split(r"\n\s*\n", html.escape(source.replace("\r\n", "\n"), quote=True).strip()), []
    for block in blocks:
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        heading = re.match(r"(#{1,3})\s+(.*)", lines[0])
        if heading and len(lines) == 1:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif all(re.match(r"\s*[-*]\s+", line) for line in lines):
            items = "".join(f"<li>{_inline(BULLET.sub('', line.strip()))}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return Markup("\n".join(out))


def render_instructions(study: Study) -> Markup:
    """The study's ``instructions.md`` as safe HTML, or the default text when it has none."""
    path = study.root / INSTRUCTIONS_FILE
    return markdown_to_html(path.read_text(encoding="utf-8") if path.is_file() else DEFAULT_INSTRUCTIONS)


def practice_pairs(study: Study) -> list[dict]:
    """The rows of ``practice.csv``: {image_a, image_b, expected: {dimension: score} or None}."""
    path = study.root / PRACTICE_FILE
    if not path.is_file():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("image_a", "image_b") if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {missing[0]} (columns: image_a, image_b[, denotative, connotative])")
    rows = []
    for i, row in frame.iterrows():
        expected = None
        if all(row.get(d, "") != "" for d in DIMENSION_NAMES):
            try:
                expected = {d: int(row[d]) for d in DIMENSION_NAMES}
            except ValueError:
                expected = {}
            if set(expected.values()) - set(SCALE_POINTS) or not expected:
                raise UserError(f"{path}: row {i + 2}: expected scores must be one of {list(SCALE_POINTS)}")
        rows.append({"image_a": row["image_a"], "image_b": row["image_b"], "expected": expected})
    return rows
