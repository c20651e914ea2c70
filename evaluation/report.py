"""The study report: ``reports/index.html`` with its PNG figures beside it.

Gathers the study's results through the statistics modules (agreement,
quality, interpretability), draws the figures (:mod:`evaluation.figures`) and
renders ``templates/report/index.html``. The page is self-contained apart from
the PNGs (inline CSS, no scripts, no external fonts), so it can be zipped,
mailed or archived with the study.
"""
from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from semclust.evaluation.agreement import agreement_by_dimension
from semclust.evaluation.families import method_family
from semclust.evaluation.inputs import read_matches, read_ratings, study_sets
from semclust.evaluation.interpretability import interpretability
from semclust.evaluation.quality import quality_grid
from semclust.evaluation.truth import evaluate_study
from semclust.pipeline.study import Study, iter_jsonl, now_iso, toolkit_version
from semclust.resources import templates_dir
from semclust.vocabulary import CONSENSUS_ROUND, INDEPENDENT_ROUND

LIBRARIES = ("numpy", "pandas", "scikit-learn", "umap-learn", "hdbscan", "sentence-transformers",
             "transformers", "torch", "krippendorff")
GALLERY_IMAGES = 6
THUMB_SIZE = (200, 200)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


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
                "reduction": ", ".join(f"{k}={v}" for k, v in reduction.items()),
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
    """Per imported truth: every clustering's coverage, K, Hungarian accuracy, purity and ARI.

    Accuracy and ARI are given for both noise policies (noise as wrong / one more
    cluster, and clustered images only); docs/evaluation.md defines them.
    """
    tables = []
    for name in study.list_truths():
        result = evaluate_study(study, name, "all", noise="both")
        rows = []
        for cid, entry in result["clusterings"].items():
            whole, clustered = entry["as-cluster"], entry["exclude"]
            rows.append({"clustering": cid, "family": method_family(study, cid), "n": whole["n"],
                         "coverage": whole["coverage"], "k_pred": whole["k_pred"],
                         "k_true": whole["k_true"], "accuracy": whole["accuracy"],
                         "accuracy_clustered": clustered["accuracy"], "purity": clustered["purity"],
                         "ari": whole["ari"], "ari_clustered": clustered["ari"],
                         "note": whole["note"] or clustered["note"]})
        rows.sort(key=lambda r: -1 if r["accuracy"] is None else r["accuracy"], reverse=True)
        tables.append({"truth": name, "n_labelled": result["n_truth_labelled"], "rows": rows})
    return tables


def choose_clustering(study: Study, table: list[dict], requested: str | None) -> str | None:
    """The clustering shown in detail: requested, else the one with matching sets, else the best."""
    if requested:
        study.read_labels(requested)  # raises UserError naming the known ones
        return requested
    with_sets = study.list_sets()
    if len(with_sets) == 1:
        return with_sets[0]
    valid = [r["clustering"] for r in table if r["valid"]]
    return valid[0] if valid else (table[0]["clustering"] if table else None)


def gallery(study: Study, clustering: str, out_dir: Path, seed: int,
            per_cluster: int = GALLERY_IMAGES) -> list[dict]:
    """Keywords and a random sample of thumbnails for each cluster of ``clustering``.

    Thumbnails (at most 200x200 px JPEG) are written to ``out_dir/thumbs``.
    """
    from PIL import Image

    labels = study.read_labels(clustering)
    keyword_path = study.clustering_dir(clustering) / "keywords.csv"
    keywords = study.read_keywords(clustering) if keyword_path.is_file() else pd.DataFrame(
        columns=["cluster", "rank", "term"])
    paths = study.read_images().set_index("image_id")["path"]
    (out_dir / "thumbs").mkdir(parents=True, exist_ok=True)
    clusters = []
    for cluster, members in labels[labels["cluster"] >= 0].groupby("cluster"):
        sample = members.sample(min(per_cluster, len(members)), random_state=seed)
        thumbs = []
        for image_id in sample["image_id"]:
            target = out_dir / "thumbs" / f"{image_id}.jpg"
            if not target.is_file():
                try:
                    with Image.open(study.image_path(paths[image_id])) as img:
                        img.thumbnail(THUMB_SIZE)
                        img.convert("RGB").save(target, quality=85)
                except (OSError, KeyError):
                    continue
            thumbs.append(f"thumbs/{image_id}.jpg")
        terms = keywords[keywords["cluster"] == cluster].sort_values("rank")["term"].tolist()
        clusters.append({"cluster": int(cluster), "size": len(members), "keywords": terms,
                         "thumbs": thumbs})
    return clusters


def _first_description(study: Study, embedding_info: dict) -> dict:
    source = embedding_info.get("source", "")
    if not source.startswith("descriptions:"):
        return {}
    path = study.description_path(source.split(":", 1)[1])
    return next(iter_jsonl(path), {}) if path.is_file() else {}


def description_health_sentence(study: Study, describer_id: str) -> str:
    """How many of a describer's descriptions the health check flagged (or that it never ran)."""
    health = study.read_health(describer_id)
    if health is None:
        return (f"The descriptions ({describer_id}) were not checked for degenerate texts "
                "(`semclust descriptions check`).")
    flagged = health[health["flagged"]]
    reasons = flagged["reasons"].str.split(";").explode().value_counts()
    detail = ", ".join(f"{n} {r}" for r, n in reasons.items()) if len(flagged) else "none"
    return (f"A health check flagged {len(flagged)} of {len(health)} descriptions ({describer_id}) as "
            f"degenerate ({detail}).")


def methods_paragraph(study: Study, clustering: str | None, ratings: pd.DataFrame | None,
                      matches: pd.DataFrame | None) -> str:
    """A methods paragraph stating every model, prompt, parameter, seed and version used."""
    parts = [f"The study '{study.config.get('name')}' holds {len(study.read_images(status='ok'))} "
             f"readable images (semclust {toolkit_version()}, default seed {study.seed})."]
    if clustering:
        params = study.read_clustering_json(clustering, "params.json")
        embedding = study.clustering_embedding(clustering)
        info = study.read_embedding_info(embedding) if embedding else {}
        record = _first_description(study, info)
        if record:
            parts.append(f"Each image was described by {record.get('model')} with the prompt "
                         f"\"{record.get('prompt')}\" (generation parameters: "
                         f"{json.dumps(record.get('params') or {})}).")
        if record:
            parts.append(description_health_sentence(study, info["source"].split(":", 1)[1]))
        if info:
            parts.append(f"Descriptions were embedded with {info.get('model')} "
                         f"({info.get('dim')} dimensions, source {info.get('source')}).")
        reduction = {k: v for k, v in (params.get("reduction") or {}).items() if k != "knn"}
        parts.append(f"Clustering {clustering} reduced the embedding with "
                     f"{json.dumps(reduction)} and clustered it with "
                     f"{json.dumps(params.get('clusterer'))}; seed {params.get('seed')}.")
    if ratings is not None and len(ratings):
        coders = ratings["coder"].nunique()
        phases = sorted(ratings["phase"].dropna().astype(str).unique()) if "phase" in ratings else []
        consensus = "round" in ratings and (ratings["round"] == CONSENSUS_ROUND).any()
        parts.append(f"{ratings['item_id'].nunique()} random image pairs were rated by {coders} "
                     f"coders on a 0-2 scale for denotative and connotative similarity"
                     + (f" in {len(phases)} phases" if len(phases) > 1 else "")
                     + ("; disagreements were resolved in consensus sessions" if consensus else "")
                     + ". Agreement is Krippendorff's alpha (ordinal) with a bootstrap CI over items; "
                     "cluster quality is s_same - s_diff (Grimmer & King 2011), the mean rating of "
                     "same-cluster pairs minus that of different-cluster pairs, scored only with at "
                     "least 25 pairs of each kind.")
    if matches is not None and len(matches):
        parts.append(f"{matches['evaluator'].nunique()} evaluators matched "
                     f"{matches['set_id'].nunique()} image sets to the clusters' TF-IDF keyword "
                     "descriptions; each set's label is the majority choice, or the first "
                     "evaluator's on a three-way tie.")
    versions = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    parts.append(f"Software: Python {platform.python_version()}, {versions}.")
    return " ".join(parts)


def build_report(study: Study, clustering: str | None = None, bootstrap: int = 1000,
                 seed: int | None = None, out_dir: Path | None = None) -> Path:
    """Write ``reports/index.html`` (and its figures) for ``study``; returns its path."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from semclust.evaluation import figures

    seed = study.seed if seed is None else seed
    out_dir = Path(out_dir or study.reports_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ratings = read_ratings(study.ratings_csv) if study.ratings_csv.is_file() else None
    matches = read_matches(study.matches_csv) if study.matches_csv.is_file() else None
    context = {"study": study.config, "generated_at": now_iso(), "figures": {}, "notes": []}
    table, rows = [], pd.DataFrame()
    if ratings is not None and study.list_clusterings():
        context["agreement"] = agreement_rows(ratings, bootstrap, seed)
        figures.agreement_bars(context["agreement"], out_dir / "agreement.png")
        context["figures"]["agreement"] = "agreement.png"
        rows = grid_rows(study, quality_grid(study, ratings=ratings, seed=seed, progress=True))
        table = grid_table(rows)
        valid = rows[rows["valid"].astype(bool)] if not rows.empty else rows
        if len(valid):
            figures.quality_boxplots(valid, out_dir / "quality_boxplots.png")
            figures.family_boxplots(valid, out_dir / "quality_by_family.png")
            context["figures"].update(quality="quality_boxplots.png", families="quality_by_family.png")
        else:
            context["notes"].append("No clustering has 25 same- and 25 different-cluster rated "
                                    "pairs yet: no quality figure (see `semclust sample plan`).")
    else:
        context["notes"].append("No ratings (exports/ratings.csv) or no clusterings yet.")
    context["grid"] = table
    context["truth"] = truth_tables(study)
    chosen = choose_clustering(study, table, clustering)
    context["clustering"] = chosen
    if chosen and matches is not None and study.sets_csv(chosen).is_file():
        result = interpretability(matches, study_sets(study, chosen))
        context["interpretability"] = result
        figures.precision_recall_bars(result["per_cluster"], out_dir / "precision_recall.png")
        figures.confusion_heatmap(result["confusion"], out_dir / "confusion.png")
        context["figures"].update(precision_recall="precision_recall.png", confusion="confusion.png")
    context["gallery"] = gallery(study, chosen, out_dir, seed) if chosen else []
    context["methods"] = methods_paragraph(study, chosen, ratings, matches)
    env = Environment(loader=FileSystemLoader(templates_dir()), autoescape=select_autoescape(["html"]))
    html = env.get_template("report/index.html").render(**context)
    target = out_dir / "index.html"
    target.write_text(html, encoding="utf-8")
    return target
