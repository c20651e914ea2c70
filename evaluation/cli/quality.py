"""``semclust quality``: cluster quality s_s - s_d from rated pairs."""
from __future__ import annotations

import click

from semclust.cli_options import study_option
from semclust.evaluation.cli.agreement import apply_check_exclusion, echo_json, fmt, format_table
from semclust.vocabulary import SCALE_POINTS


def _score_cells(stats: dict) -> list[str]:
    return [fmt(stats["score"]), fmt(stats["ci95"], 2), f"{stats['n_same']}/{stats['n_diff']}",
            fmt(stats["valid"]), fmt(stats["p_value"]), fmt(stats["pair_f1"]["f1"])]


def scores_table(scores: dict) -> str:
    """Quality of one clustering: one row per dimension."""
    rows = [[dimension, fmt(stats["s_same"]), fmt(stats["s_diff"]), *_score_cells(stats)]
            for dimension, stats in scores.items()]
    header = ["dimension", "s_same", "s_diff", "score", "95% CI", "same/diff", "valid", "p",
              "pair F1"]
    sources = {d: s["rating_source"] for d, s in scores.items()}
    notes = [f"ratings used: {d}: {s['consensus']} consensus, {s['mean']} mean of coders"
             for d, s in sources.items()]
    notes += sorted({s["weighting_note"] for s in scores.values() if "weighting_note" in s})
    return format_table(rows, header) + "\n" + "\n".join(notes)


def grid_table(grid: dict) -> str:
    """Quality of many clusterings: one row per clustering and dimension, best connotative first."""
    def key(item):
        score = item[1]["scores"].get("connotative", {}).get("score")
        return (score is None, -(score or 0.0))

    rows = []
    for cid, entry in sorted(grid.items(), key=key):
        for dimension, stats in entry["scores"].items():
            rows.append([cid, str(entry["n_clusters"]), fmt(entry["noise_fraction"], 2), dimension,
                         *_score_cells(stats)])
    header = ["clustering", "clusters", "noise", "dimension", "score", "95% CI", "same/diff",
              "valid", "p", "pair F1"]
    return format_table(rows, header)


@click.command("quality")
@study_option(help="Study folder: ratings, pairs and clusterings from it.", required=False)
@click.option("--clustering", default="all", show_default=True,
              help="Clustering id in the study, or 'all'.")
@click.option("--ratings", "ratings_path", type=click.Path(dir_okay=False),
              help="Ratings CSV (item_id = pair_id); default: the study's exports/ratings.csv.")
@click.option("--pairs", "pairs_path", type=click.Path(dir_okay=False),
              help="Pairs CSV: pair_id, image_a, image_b (without --study).")
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False),
              help="Labels CSV: image_id, cluster (-1 = noise) (without --study).")
@click.option("--min-pairs", default=25, show_default=True, type=click.IntRange(min=1),
              help="Same- and different-cluster rated pairs needed for a valid score.")
@click.option("--threshold", default=1.0, show_default=True, type=float,
              help="Pair F1: a pair is related when its rating >= this.")
@click.option("--permutations", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Permutations of the p-value; 0 = none.")
@click.option("--bootstrap", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Bootstrap replicates of the 95% CI; 0 = none.")
@click.option("--seed", type=int, default=None, help="Seed (default: the study's).")
@click.option("--scale", default=",".join(map(str, SCALE_POINTS)), show_default=True,
              help="The rating scale.")
@click.option("--min-check-accuracy", type=click.FloatRange(0, 1), default=None,
              help="Leave out coders whose attention-check accuracy is below this share (0-1); "
                   "reads --checks or the study's exports/checks.csv.")
@click.option("--checks", "checks_path", type=click.Path(dir_okay=False),
              help="Attention checks CSV (coder, correct), as `semclust export` writes.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def quality(study, clustering, ratings_path, pairs_path, labels_path, min_pairs, threshold,
            permutations, bootstrap, seed, scale, min_check_accuracy, checks_path, as_json):
    """Cluster quality s_s - s_d (Grimmer & King 2011) per clustering and rating dimension.

    s_s is the mean rating of rated pairs within one cluster, s_d across
    clusters; pairs with a noise or unclustered image count in neither. A pair's
    rating is its consensus score, else the mean of the coders.

    \b
    Example:
      semclust quality --study studies/demo --clustering all
      semclust quality --ratings ratings.csv --pairs pairs.csv --labels labels.csv --json
      semclust quality --study studies/demo --min-check-accuracy 0.8
    """
    from semclust.evaluation.inputs import (
        parse_scale,
        read_labels,
        read_pairs,
        read_ratings,
    )
    from semclust.evaluation.quality import quality_grid, quality_scores
    from semclust.study import UserError

    options = dict(min_pairs=min_pairs, threshold=threshold, n_permutations=permutations,
                   n_bootstrap=bootstrap)
    if study is not None:
        if pairs_path or labels_path:
            raise UserError("give either --study (with --clustering) or --pairs and --labels")
        ratings = read_ratings(ratings_path) if ratings_path else None
        note = None
        if min_check_accuracy is not None:
            from semclust.evaluation.inputs import load_ratings
            ratings, note = apply_check_exclusion(load_ratings(ratings_path, study), study, checks_path,
                                                  min_check_accuracy)
        grid = quality_grid(study, clustering, ratings=ratings, progress=True,
                            seed=study.seed if seed is None else seed,
                            scale=parse_scale(scale), **options)
        if as_json:
            echo_json({**grid, "excluded_coders": note} if note else grid)
        else:
            click.echo(grid_table(grid))
            if note:
                click.echo(note["text"])
        return
    if not (ratings_path and pairs_path and labels_path):
        raise UserError("give --study FOLDER, or all of --ratings, --pairs and --labels")
    ratings, note = read_ratings(ratings_path), None
    if min_check_accuracy is not None:
        ratings, note = apply_check_exclusion(ratings, None, checks_path, min_check_accuracy)
    result = quality_scores(ratings, read_pairs(pairs_path),
                            read_labels(labels_path), seed=seed, scale=parse_scale(scale),
                            **options)
    if as_json:
        echo_json({**result, "excluded_coders": note} if note else result)
    else:
        click.echo(scores_table(result))
        if note:
            click.echo(note["text"])


commands = [quality]
