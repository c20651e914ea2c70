"""methods.md quotes the study's own names literally: Markdown and HTML in them are escaped (issue 18, item 17)."""
from __future__ import annotations

import yaml

from semclust.evaluation.methods_text import escape_markdown, methods_paragraphs
from semclust.study import Study
from support.app_study import CLUSTERING, make_study

NAME = "*x* <b>y</b> [z](http://e)"


def test_escape_markdown_leaves_no_markup():
    text = escape_markdown("**bold** `code` <img src=x onerror=alert(1)> ![i](j) a|b ~~s~~ _e_")
    for raw in ("**", "<img", "`code`", "![i]", "_e_"):
        assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "a\\|b" in text


def test_the_methods_markdown_escapes_the_study_and_clustering_names(tmp_path):
    study = make_study(tmp_path).study
    config = yaml.safe_load(study.config_path.read_text())
    study.config_path.write_text(yaml.safe_dump({**config, "name": NAME}))
    study = Study.open(study.root)
    markdown = " ".join(methods_paragraphs(study, CLUSTERING, None, None, markdown=True))
    assert "\\*x\\* &lt;b&gt;y&lt;/b&gt; \\[z\\](http://e)" in markdown and "<b>" not in markdown
    assert "umap5-hdb50" in markdown  # ids stay readable
    plain = " ".join(methods_paragraphs(study, CLUSTERING, None, None))
    assert NAME in plain  # the HTML page gets the text itself (its template escapes it)


def test_a_value_with_line_breaks_stays_inside_its_sentence(tmp_path):
    study = make_study(tmp_path).study
    config = yaml.safe_load(study.config_path.read_text())
    study.config_path.write_text(yaml.safe_dump({**config, "name": "Climate\n\n# Pwned\n- item\n    code"}))
    paragraphs = methods_paragraphs(Study.open(study.root), CLUSTERING, None, None, markdown=True)
    assert all("\n" not in p for p in paragraphs)  # no heading, list or code block can start
    assert "\u201cClimate # Pwned - item code\u201d" in paragraphs[0]
    assert escape_markdown("a\r\n\tb  c") == "a b  c"
