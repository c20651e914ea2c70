"""The study report: ``reports/index.html``, ``map.html``, ``methods.md``, figures and tables.

Gathers the study's results through the statistics modules (agreement,
quality, interpretability), draws the figures (:mod:`evaluation.figures`, PNG,
SVG and PDF), writes every table as CSV and LaTeX
(:mod:`evaluation.report_tables`), the galleries and the map
(:mod:`evaluation.report_map`) and the methods section
(:mod:`evaluation.methods_text`), and renders ``templates/report/``. The pages
need no network (inline CSS and scripts, no external fonts; images referenced
relatively), so the folder can be zipped, mailed or archived with the study.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from semclust.evaluation.agreement import agreement_by_dimension, exclude_by_checks_file
from semclust.evaluation.families import method_family
from semclust.evaluation.inputs import read_matches, read_ratings, study_sets
from semclust.evaluation.interpretability import (
    description_kinds,
    interpretability,
    interpretability_by_kind,
    kind_comparison,
)
from semclust.evaluation.methods_text import health_sentence as description_health_sentence  # noqa: F401
from semclust.evaluation.methods_text import methods_paragraphs, simulated_parts, simulated_sentence
from semclust.evaluation.quality import N_PERMUTATIONS, quality_grid
from semclust.evaluation.report_map import cluster_galleries, cluster_labels, cluster_names, map_points
from semclust.evaluation.report_search import search_sections
from semclust.evaluation.report_tables import (
    agreement_table,
    clusters_display,
    fmt_number,
    grid_display,
    matching_display,
    reduction_label,
    truth_display,
    write_table,
)
from semclust.resources import templates_dir
from semclust.study import Study, UserError, now_iso
from semclust.vocabulary import INDEPENDENT_ROUND


def agreement_rows(ratings: pd.DataFrame, bootstrap: int, seed: int) -> list[dict]:
    """Agreement per phase (and all phases pooled) and dimension, independent round."""
    phases = sorted(ratings["phase"].dropna().astype(str).unique()) if "phase" in ratings else []
    rows = []
    for phase in [*phases, None] if len(phases) > 1 else [None]:
        stats = agreement_by_dimension(ratings, round=INDEPENDENT_ROUND, phase=phase,
                                       bootstrap=bootstrap, seed=seed)
        for dim, s in stats.items():
            quadratic = [v for v in s["weighted_kappa"]["quadratic"].values() if v is not None]
            rows.append({"phase": phase or "all", "dimension": dim, "n_items": s["n_items"],
                         "n_coders": s["n_coders"], "alpha": s["krippendorff_alpha"],
                         "ci": s["alpha_ci95"], "percent_agreement": s["percent_agreement"],
                         "kappa": s["cohen_kappa_mean"],
                         "kappa_quadratic": sum(quadratic) / len(quadratic) if quadratic else None,
                         "note": s.get("krippendorff_alpha_note")})
    return rows


def _embedding_kind(study: Study, embedding_id: str | None) -> str:
    if not embedding_id:
        return "unknown"
    source = study.read_embedding_info(embedding_id).get("source", "")
    return "VLM text" if source.startswith("descriptions") else ("image" if source == "images" else "unknown")


def _describe_step(params: dict, key: str) -> dict:
    value = params.get(key) or {}
    return value if isinstance(value, dict) else {"method": str(value)}


def grid_rows(study: Study, grid: dict) -> pd.DataFrame:
    """One row per clustering and dimension: parameters, size, score, validity."""
    rows = []
    for cid, entry in grid.items():
        params = entry["params"]
        reduction = _describe_step(params, "reduction")
        clusterer = _describe_step(params, "clusterer")
        for dim, s in entry["scores"].items():
            rows.append({
                "clustering": cid, "embedding": entry.get("embedding"),
                "embedding_kind": _embedding_kind(study, entry.get("embedding")),
                "family": method_family(study, cid),
                "reduction": reduction_label(reduction),
                "clusterer": clusterer.get("method", ""),
                "min_cluster_size": clusterer.get("min_cluster_size"),
                "n_clusters": entry["n_clusters"], "noise_fraction": entry["noise_fraction"],
                "dimension": dim, "score": s["score"], "ci": s["ci95"], "p_value": s["p_value"],
                "n_same": s["n_same"], "n_diff": s["n_diff"], "valid": s["valid"],
                "f1": (s.get("pair_f1") or {}).get("f1")})
    return pd.DataFrame(rows)


def grid_table(rows: pd.DataFrame) -> list[dict]:
    """Wide table (one row per clustering), sorted by connotative score, valid first."""
    if rows.empty:
        return []
    wide = rows.pivot_table(index="clustering", columns="dimension", values="score", aggfunc="first")
    base = rows.drop_duplicates("clustering").set_index("clustering")
    con = rows[rows["dimension"] == "connotative"].set_index("clustering")
    table = base.assign(connotative=wide.get("connotative"), denotative=wide.get("denotative"),
                        valid=con["valid"], n_same=con["n_same"], n_diff=con["n_diff"],
                        ci=con["ci"], p_value=con["p_value"]).reset_index()
    table = table.sort_values(["valid", "connotative"], ascending=[False, False], na_position="last")
    return table.to_dict("records")


def truth_tables(study: Study) -> list[dict]:
    """Per ``reports/truth-<name>.json`` (written by `semclust truth score`): every evaluated
    clustering's coverage, K, Hungarian accuracy, purity and ARI.

    The report never opens ``truth/`` itself (only the truth-aware commands do);
    it shows what `semclust truth score` last wrote. Accuracy and ARI are given for
    both noise policies where evaluated (noise as wrong / clustered images only);
    docs/evaluation.md defines them.
    """
    tables = []
    for path in sorted(study.reports_dir.glob("truth-*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        rows = []
        for cid, entry in result.get("clusterings", {}).items():
            whole, clustered = entry.get("as-cluster") or {}, entry.get("exclude") or {}
            either = whole or clustered
            try:
                family = method_family(study, cid)
            except UserError:  # evaluated, then deleted
                continue
            rows.append({"clustering": cid, "family": family, "n": either.get("n"),
                         "coverage": either.get("coverage"), "k_pred": either.get("k_pred"),
                         "k_true": either.get("k_true"), "accuracy": whole.get("accuracy"),
                         "accuracy_clustered": clustered.get("accuracy"),
                         "purity": clustered.get("purity"), "ari": whole.get("ari"),
                         "ari_clustered": clustered.get("ari"),
                         "note": whole.get("note") or clustered.get("note")})
        rows.sort(key=lambda r: -1 if r["accuracy"] is None else r["accuracy"], reverse=True)
        tables.append({"truth": result.get("truth", path.stem[len("truth-"):]),
                       "n_labelled": result.get("n_truth_labelled"), "rows": rows})
    return tables


def choose_clustering(study: Study, table: list[dict], requested: str | None) -> tuple[str | None, str]:
    """The clustering shown in detail and a sentence saying why.

    Rule: ``--clustering`` when given; else the valid clustering with the best
    connotative score (the grid table's first row); else, with no valid score,
    the only clustering with matching sets; else the first clustering.
    """
    ranks = {r["clustering"]: k + 1 for k, r in enumerate(table)}
    valid = [r for r in table if r["valid"]]

    def rank_text(cid: str) -> str:
        if cid not in ranks:
            return ""
        return f"; it ranks {ranks[cid]} of {len(table)} by connotative quality (valid scores first)"

    if requested:
        study.read_labels(requested)  # raises UserError naming the known ones
        best = f"; the best valid score is {valid[0]['clustering']}'s" \
            if valid and valid[0]["clustering"] != requested else ""
        return requested, (f"The clustering shown in detail, {requested}, was chosen with "
                           f"--clustering{rank_text(requested)}{best}.")
    if valid:
        cid = valid[0]["clustering"]
        return cid, (f"The clustering shown in detail, {cid}, has the best connotative quality among "
                     f"the {len(valid)} clusterings with a valid score (the default; choose another "
                     "with --clustering).")
    with_sets = study.list_sets()
    if len(with_sets) == 1:
        return with_sets[0], (f"No clustering has a valid quality score yet; the one shown, "
                              f"{with_sets[0]}, is the one with matching sets.")
    clusterings = [r["clustering"] for r in table] or study.list_clusterings()
    if not clusterings:
        return None, ""
    return clusterings[0], (f"No clustering has a valid quality score yet; the one shown, "
                            f"{clusterings[0]}, is the first listed.")


def _read(path: Path, reader):
    return reader(path) if path.is_file() else None


def _quality_section(study, ratings, bootstrap, seed, out_dir, dpi, context) -> list[dict]:
    """Agreement and grid figures and rows into ``context``; returns the grid table."""
    from semclust.evaluation import figures

    context["agreement"] = agreement_rows(ratings, bootstrap, seed)
    figures.agreement_bars(context["agreement"], out_dir / "agreement.png", dpi=dpi)
    context["figures"]["agreement"] = "agreement.png"
    rows = grid_rows(study, quality_grid(study, ratings=ratings, seed=seed, progress=True,
                                         n_permutations=N_PERMUTATIONS))
    table = grid_table(rows)
    valid = rows[rows["valid"].astype(bool)] if not rows.empty else rows
    if len(valid):
        figures.quality_boxplots(valid, out_dir / "quality_boxplots.png", dpi=dpi)
        figures.family_boxplots(valid, out_dir / "quality_by_family.png", dpi=dpi)
        context["figures"].update(quality="quality_boxplots.png", families="quality_by_family.png")
    else:
        context["notes"].append("No clustering has 25 same- and 25 different-cluster rated "
                                "pairs yet: no quality figure (see `semclust sample plan`).")
    return table


def _interpretability(study, chosen, matches, labels, out_dir, dpi, context) -> dict | None:
    from semclust.evaluation import figures

    if not chosen or matches is None or not study.sets_csv(chosen).is_file():
        if chosen and matches is not None and study.list_sets():
            context["notes"].append(f"The matching test was run on {', '.join(study.list_sets())}, "
                                    f"not on the clustering shown ({chosen}); show it with "
                                    "--clustering to see its results.")
        return None
    sets = study_sets(study, chosen)
    if len(description_kinds(matches)) > 1:
        # the same sets matched under several kinds: details of the first (keywords), kinds side by side
        by_kind = interpretability_by_kind(matches, sets)
        result = dict(next(iter(by_kind.values())))
        result.update(descriptions=next(iter(by_kind)), by_descriptions=kind_comparison(by_kind))
    else:
        result = interpretability(matches, sets)
        result["descriptions"] = (description_kinds(matches) or ["keywords"])[0]
    figures.precision_recall_bars(result["per_cluster"], out_dir / "precision_recall.png", labels, dpi)
    figures.confusion_heatmap(result["confusion"], out_dir / "confusion.png", labels, dpi)
    context["figures"].update(precision_recall="precision_recall.png", confusion="confusion.png")
    return result


def _tables(context: dict, folder: Path) -> dict:
    """Every table of the page as CSV and LaTeX under ``folder``; the page's copies."""
    tables = {}
    if context.get("agreement"):
        tables["agreement"] = write_table(agreement_table(context["agreement"]), folder, "agreement",
                                          "Inter-coder agreement, independent round.")
    if context.get("grid"):
        tables["grid"] = write_table(grid_display(context["grid"], N_PERMUTATIONS), folder, "grid",
                                     "Cluster quality s_same - s_diff of every clustering, best first.")
    for t in context.get("truth", []):
        t["table"] = write_table(truth_display(t["rows"]), folder, f"truth-{t['truth']}",
                                 f"Clusterings against the ground truth {t['truth']}.")
    if (context.get("interpretability") or {}).get("by_descriptions"):
        tables["matching_kinds"] = write_table(pd.DataFrame([{
            "descriptions": r["descriptions"], "sets": r["n_sets"], "accuracy": fmt_number(r["accuracy"]),
            "macro precision": fmt_number(r["precision_macro"]),
            "macro recall": fmt_number(r["recall_macro"])} for r in context["interpretability"]["by_descriptions"]]),
            folder, "matching_kinds", "The matching test per kind of cluster description shown to evaluators.")
    if context.get("interpretability"):
        tables["matching"] = write_table(
            matching_display(context["interpretability"]["per_cluster"], context["cluster_labels"]),
            folder, "matching", "Precision and recall of the matching test per cluster.")
    if context.get("clusters"):
        shown = context["clusters"] + ([context["noise"]] if context.get("noise") else [])
        tables["clusters"] = write_table(clusters_display(shown), folder, "clusters",
                                         f"The clusters of {context['clustering']}.")
    return tables


def _write_map(study, chosen, out_dir, seed, env) -> str | None:
    data = map_points(study, chosen, out_dir, seed)
    if data is None:
        return None
    labels = study.read_labels(chosen)
    keyword_path = study.clustering_dir(chosen) / "keywords.csv"
    keywords = study.read_keywords(chosen) if keyword_path.is_file() else pd.DataFrame(
        columns=["cluster", "rank", "term"])
    names = cluster_names(study, chosen)
    clusters = []
    for cluster, members in labels.groupby("cluster"):
        terms = keywords[keywords["cluster"] == cluster].sort_values("rank")["term"].astype(str)
        clusters.append({"id": int(cluster), "size": len(members),
                         "label": "noise" if cluster < 0 else
                         names.get(int(cluster)) or f"{cluster}: {', '.join(terms[:3])}"})
    html = env.get_template("report/map.html").render(
        study=study.config, clustering=chosen, how=data["how"],
        data={"points": data["points"], "clusters": clusters})
    (out_dir / "map.html").write_text(html, encoding="utf-8")
    return "map.html"


def _display_width(png: Path, dpi: int | None) -> int | None:
    """CSS width showing a PNG at the size of a 110-dpi figure, whatever ``dpi`` it was drawn at."""
    from PIL import Image

    from semclust.evaluation.figures import DPI

    try:
        with Image.open(png) as img:
            return round(img.width * 110 / (dpi or DPI))
    except OSError:
        return None


def build_report(study: Study, clustering: str | None = None, bootstrap: int = 1000,
                 seed: int | None = None, out_dir: Path | None = None, dpi: int | None = None,
                 min_check_accuracy: float | None = None) -> Path:
    """Write ``reports/index.html``, ``map.html``, ``methods.md``, figures and tables; returns the page.

    Figures are PNG (``dpi``, default :data:`semclust.evaluation.figures.DPI`), SVG
    and PDF; tables are CSV and LaTeX under ``tables/``. ``min_check_accuracy``
    drops the ratings of coders below that attention-check accuracy
    (``exports/checks.csv``); the report names them.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    seed = study.seed if seed is None else seed
    out_dir = Path(out_dir or study.reports_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ratings = _read(study.ratings_csv, read_ratings)
    matches = _read(study.matches_csv, read_matches)
    simulated = simulated_parts(ratings, matches)
    context = {"study": study.config, "generated_at": now_iso(), "figures": {}, "notes": [],
               "simulated": simulated, "simulated_text": simulated_sentence(simulated)}
    if min_check_accuracy is not None and ratings is not None:
        ratings, exclusion = exclude_by_checks_file(ratings, study.checks_csv,
                                                    min_check_accuracy)
        context["notes"].append(exclusion["text"] + " (their ratings are left out of every figure "
                                "and table of this report).")
    table = []
    if ratings is not None and study.list_clusterings():
        table = _quality_section(study, ratings, bootstrap, seed, out_dir, dpi, context)
    else:
        context["notes"].append("No ratings (exports/ratings.csv) or no clusterings yet.")
    context["grid"] = table
    context["invalid_rows"] = [k for k, r in enumerate(table) if not r["valid"]]
    context["truth"] = truth_tables(study)
    context["searches"] = search_sections(study, out_dir, dpi)
    chosen, why = choose_clustering(study, table, clustering)
    context.update(clustering=chosen, choice=why)
    if chosen:
        galleries = cluster_galleries(study, chosen, out_dir, seed)
        context.update(clusters=galleries["clusters"], noise=galleries["noise"],
                       gallery_order=galleries["order"])
        context["cluster_labels"] = cluster_labels(galleries["clusters"])
        context["interpretability"] = _interpretability(study, chosen, matches,
                                                        context["cluster_labels"], out_dir, dpi, context)
    context["tables"] = _tables(context, out_dir / "tables")
    methods = methods_paragraphs(study, chosen, ratings, matches, table, why)
    context["methods"] = methods
    methods_md = methods_paragraphs(study, chosen, ratings, matches, table, why, markdown=True)
    (out_dir / "methods.md").write_text("# Methods\n\n" + "\n\n".join(methods_md) + "\n", encoding="utf-8")
    context["widths"] = {name: _display_width(out_dir / name, dpi) for name in context["figures"].values()}
    env = Environment(loader=FileSystemLoader(templates_dir()), autoescape=select_autoescape(["html"]))
    context["map"] = _write_map(study, chosen, out_dir, seed, env) if chosen else None
    if chosen and context["map"] is None:
        context["notes"].append(f"No map: the embedding of {chosen} is not in the study or does not "
                                "cover its images.")
    html = env.get_template("report/index.html").render(**context)
    target = out_dir / "index.html"
    target.write_text(html, encoding="utf-8")
    return target
