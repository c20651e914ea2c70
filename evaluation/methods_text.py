"""The report's methods section, written as a paper's would be, and the simulated-answers notice.

:func:`methods_paragraphs` states every model, prompt, reduction, clusterer,
seed, count and library version from the study's own files, in sentences (no
raw JSON). The same text is written to ``reports/methods.md``; there every
value that comes from the study's files (study, model, describer, clustering
and method names, prompts) passes through :func:`escape_markdown`, so a name
like ``*x* <b>y</b>`` is shown as written instead of being rendered.
"""
from __future__ import annotations

import html
import platform
import re
from collections.abc import Callable
from importlib import metadata

import pandas as pd

from semclust.evaluation.families import clusterer_title
from semclust.evaluation.report_tables import reduction_label
from semclust.study import Study, iter_jsonl, toolkit_version
from semclust.vocabulary import CONSENSUS_ROUND, SIMULATED_PREFIX

LIBRARIES = ("numpy", "pandas", "scikit-learn", "umap-learn", "hdbscan", "sentence-transformers",
             "transformers", "torch", "krippendorff")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_BREAK = re.compile(r"\s*[\n\r\v\f\x85\u2028\u2029]\s*")


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown: ``\\ ` * _ [ ] | ~`` backslash-escaped, ``< > &`` as entities.

    Emphasis, code, links, images, tables and raw HTML all need one of these;
    other punctuation (``-``, ``.``, ``#``) is special only at the start of a
    line, where these sentences never put a value, so model names such as
    ``llava-1.5-7b`` stay readable. Line breaks (and the blank space around
    them) become one space, so a value never starts a line: no heading, list,
    quote or code block can begin inside it, as on the HTML page.

    >>> print(escape_markdown("*x* <b>y</b> [z](http://e) llava-1.5_7b"))
    \\*x\\* &lt;b&gt;y&lt;/b&gt; \\[z\\](http://e) llava-1.5\\_7b
    """
    one_line = _LINE_BREAK.sub(" ", str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def simulated_parts(ratings: pd.DataFrame | None, matches: pd.DataFrame | None) -> list[str]:
    """Which answers are simulated (names starting ``sim-``): ``["ratings", "matches"]`` or fewer."""
    parts = []
    for what, frame, column in (("ratings", ratings, "coder"), ("matches", matches, "evaluator")):
        if frame is not None and column in frame and \
                frame[column].dropna().astype(str).str.startswith(SIMULATED_PREFIX).any():
            parts.append(what)
    return parts


def simulated_sentence(parts: list[str]) -> str:
    """One sentence saying which answers were simulated ("" when none were)."""
    if not parts:
        return ""
    what = {"ratings": "the pair ratings", "matches": "the matching answers"}
    named = " and ".join(what[p] for p in parts)
    return (f"{named[0].upper()}{named[1:]} in this study were simulated by `semclust simulate` from a ground truth "
            f"(coders and evaluators named {SIMULATED_PREFIX}...), not given by people; the "
            "agreement, quality and interpretability figures that use them describe the simulation, "
            "not human judgment.")


def _records(study: Study, describer: str) -> dict:
    path = study.description_path(describer)
    return next((r for r in iter_jsonl(path) if r.get("text")), {}) if path.is_file() else {}


def _params_text(params) -> str:
    if not isinstance(params, dict) or not params:
        return ""
    shown = {k: v for k, v in params.items() if not isinstance(v, (dict, list)) and "sha" not in k}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items())


def description_sentence(study: Study, describer: str, q: Callable[[object], str] = str) -> str:
    """Which model described the images, with which prompt and generation settings.

    ``q`` quotes every value from the study's files (:func:`escape_markdown` for Markdown).
    """
    record = _records(study, describer)
    if not record:
        return f"Descriptions '{q(describer)}' were used."
    model, prompt = record.get("model") or "an unnamed model", record.get("prompt")
    params = record.get("params") if isinstance(record.get("params"), dict) else {}
    if record.get("backend") == "file" or not prompt:
        source = f" from the file {q(params['input'])}" if params.get("input") else ""
        return (f"Image descriptions ('{q(describer)}') were imported{source}; they name the model "
                f"{q(model)} and record no prompt.")
    settings = q(_params_text(params))
    return (f"Each image was described by {q(model)} with the prompt \u201c{q(str(prompt).strip())}\u201d"
            + (f" ({settings})" if settings else "") + f" (descriptions '{q(describer)}').")


def health_sentence(study: Study, describer_id: str, q: Callable[[object], str] = str) -> str:
    """How many of a describer's descriptions the health check flagged (or that it never ran)."""
    health = study.read_health(describer_id)
    describer_id = q(describer_id)
    if health is None:
        return (f"The descriptions ({describer_id}) were not checked for degenerate texts "
                "(`semclust descriptions check`).")
    flagged = health[health["flagged"]]
    reasons = flagged["reasons"].str.split(";").explode().value_counts()
    detail = ", ".join(f"{n} {r}" for r, n in reasons.items()) if len(flagged) else "none"
    return (f"A health check flagged {len(flagged)} of {len(health)} descriptions ({describer_id}) "
            f"as degenerate ({detail}).")


def embedding_sentence(info: dict, q: Callable[[object], str] = str) -> str:
    source = str(info.get("source", ""))
    what = "The descriptions" if source.startswith("descriptions:") else "The images"
    dim = f" into {q(info['dim'])} dimensions" if info.get("dim") else ""
    norm = ", L2-normalised" if info.get("normalized") else ""
    return f"{what} were embedded with {q(info.get('model', 'an unnamed model'))}{dim}{norm}."


def clusterer_text(clusterer) -> str:
    """``HDBSCAN (minimum cluster size 10)`` and the like, from params.json's clusterer."""
    if not isinstance(clusterer, dict):
        return str(clusterer or "an unnamed method")
    name = clusterer_title(clusterer)
    settings = [f"{k.replace('_', ' ')} {v}" for k, v in clusterer.items()
                if k not in ("method", "title", "label") and not isinstance(v, (dict, list)) and v is not None]
    return name + (f" ({', '.join(settings)})" if settings else "")


def clustering_sentence(study: Study, clustering: str, q: Callable[[object], str] = str) -> str:
    """How the shown clustering was made, classification included."""
    params = study.read_clustering_json(clustering, "params.json")
    seed = f"; seed {q(params['seed'])}" if params.get("seed") is not None else ""
    classifier = params.get("classifier")
    if isinstance(classifier, dict):
        method = classifier.get("method") or classifier.get("name") or "a classifier"
        return (f"Clustering {q(clustering)} assigned each image to one of the researcher's classes "
                f"with the {q(method)} classifier, without dimension reduction{seed}.")
    reduction = reduction_label(params.get("reduction"))
    reduced = "without dimension reduction" if reduction == "none" else f"after reduction ({q(reduction)})"
    return f"Clustering {q(clustering)} grouped the images with {q(clusterer_text(params.get('clusterer')))} " \
           f"{reduced}{seed}."


def grid_sentence(study: Study, grid: list[dict], q: Callable[[object], str] = str) -> str:
    """The grid compared: how many clusterings, reductions, clusterers and seeds."""
    if not grid:
        return ""
    reductions = sorted({r["reduction"] for r in grid})
    sizes = sorted({int(r["min_cluster_size"]) for r in grid if r.get("min_cluster_size") == r.get("min_cluster_size")
                    and r.get("min_cluster_size") is not None})
    seeds = set()
    for r in grid:
        seeds.add(study.read_clustering_json(r["clustering"], "params.json").get("seed"))
    seeds.discard(None)
    return (f"{len(grid)} clusterings were compared: reductions {q('; '.join(reductions))}"
            + (f"; minimum cluster sizes {', '.join(map(str, sizes))}" if sizes else "")
            + (f"; seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, sorted(seeds)))}" if seeds else "")
            + ".")


def ratings_sentence(ratings: pd.DataFrame) -> str:
    coders = ratings["coder"].nunique()
    phases = sorted(ratings["phase"].dropna().astype(str).unique()) if "phase" in ratings else []
    consensus = "round" in ratings and (ratings["round"] == CONSENSUS_ROUND).any()
    return (f"{ratings['item_id'].nunique()} random image pairs were rated by {coders} coders on a 0-2 "
            "scale for denotative and connotative similarity"
            + (f" in {len(phases)} phases" if len(phases) > 1 else "")
            + ("; disagreements were resolved in consensus sessions" if consensus else "")
            + ". Agreement is Krippendorff's alpha (ordinal) with a bootstrap 95% interval over items. "
            "Cluster quality is s_same - s_diff (Grimmer & King 2011), the mean rating of same-cluster "
            "pairs minus that of different-cluster pairs, scored only with at least 25 pairs of each "
            "kind, with a bootstrap interval and a one-sided permutation p-value (cluster membership "
            "shuffled over the rated pairs).")


def matches_sentence(matches: pd.DataFrame) -> str:
    return (f"{matches['evaluator'].nunique()} evaluators matched {matches['set_id'].nunique()} "
            "image sets to the clusters' TF-IDF keyword descriptions; each set's label is the "
            "majority choice, or the first evaluator's on a three-way tie.")


def methods_paragraphs(study: Study, clustering: str | None, ratings: pd.DataFrame | None,
                       matches: pd.DataFrame | None, grid: list[dict] | None = None,
                       choice: str = "", markdown: bool = False) -> list[str]:
    """The methods section as paragraphs: data, representation, clustering, judgments, software.

    ``markdown`` escapes every value from the study's files (:func:`escape_markdown`)
    for ``methods.md``; the HTML page gets plain text (its template escapes it).
    """
    q = escape_markdown if markdown else str
    paragraphs = []
    notice = simulated_sentence(simulated_parts(ratings, matches))
    if notice:
        paragraphs.append("Note: " + notice[0].lower() + notice[1:])
    data = [(f"The study \u201c{q(study.config.get('name'))}\u201d holds "
             f"{len(study.read_images(status='ok'))} readable images.")]
    if clustering:
        embedding = study.clustering_embedding(clustering)
        info = study.read_embedding_info(embedding) if embedding else {}
        source = str(info.get("source", ""))
        if source.startswith("descriptions:"):
            describer = source.split(":", 1)[1]
            data += [description_sentence(study, describer, q), health_sentence(study, describer, q)]
        if info:
            data.append(embedding_sentence(info, q))
    paragraphs.append(" ".join(data))
    design = [grid_sentence(study, grid or [], q)]
    if clustering:
        design += [clustering_sentence(study, clustering, q), q(choice) if choice else ""]
    paragraphs.append(" ".join(s for s in design if s))
    judged = []
    if ratings is not None and len(ratings):
        judged.append(ratings_sentence(ratings))
    if matches is not None and len(matches):
        judged.append(matches_sentence(matches))
    if judged:
        paragraphs.append(" ".join(judged))
    versions = ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
    paragraphs.append(f"Software: semclust {toolkit_version()} (default seed {study.seed}), "
                      f"Python {platform.python_version()}, {versions}.")
    return [p for p in paragraphs if p]
