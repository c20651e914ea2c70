"""``semclust agreement``: inter-coder agreement per rating dimension."""
from __future__ import annotations

import json

import click

from semclust.cli_options import study_option
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, ROUNDS, SCALE_POINTS

LEVEL_CHOICES = ("ordinal", "nominal", "interval", "ratio")


def fmt(value, digits: int = 3) -> str:
    """A number for a table: rounded, ``n/a`` for None, ``[a, b]`` for an interval."""
    if value is None:
        return "n/a"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v, digits) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def format_table(rows: list[list[str]], header: list[str] | None = None) -> str:
    """Left-aligned plain-text columns (two spaces apart)."""
    rows = ([header] if header else []) + [[str(c) for c in row] for row in rows]
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    if header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def echo_json(result) -> None:
    """Print a result as indented JSON (NaN is impossible: allow_nan=False)."""
    click.echo(json.dumps(result, indent=2, allow_nan=False))


def agreement_table(result: dict, level: str) -> str:
    """The agreement result of :func:`agreement_by_dimension` as text, one block per dimension."""
    blocks = []
    for dimension, stats in result.items():
        rows = [["Krippendorff's alpha (" + level + ")", fmt(stats["krippendorff_alpha"]),
                 "95% CI " + fmt(stats["alpha_ci95"])],
                ["percent agreement", fmt(stats["percent_agreement"]), ""]]
        for pair, value in stats["cohen_kappa"].items():
            rows.append([f"Cohen's kappa {pair}", fmt(value),
                         f"linear {fmt(stats['weighted_kappa']['linear'][pair])}, "
                         f"quadratic {fmt(stats['weighted_kappa']['quadratic'][pair])}"])
        rows.append(["Cohen's kappa, mean of pairs", fmt(stats["cohen_kappa_mean"]), ""])
        rows.append(["Fleiss' kappa", fmt(stats["fleiss_kappa"]), ""])
        notes = [f"  note: {k[:-5]}: {v}" for k, v in stats.items() if k.endswith("_note") and v]
        blocks.append(f"{dimension}: {stats['n_items']} items, {stats['n_coders']} coders\n"
                      + format_table(rows) + ("\n" + "\n".join(notes) if notes else ""))
    return "\n\n".join(blocks)


@click.command("agreement")
@click.option("--ratings", "ratings_path", type=click.Path(dir_okay=False),
              help="Ratings CSV: item_id, coder, dimension, score[, round, phase].")
@study_option(help="Study folder: use its exports/ratings.csv.", required=False)
@click.option("--scale", default=",".join(map(str, SCALE_POINTS)), show_default=True,
              help="The rating scale: integers such as 0,1,2 or 1..5.")
@click.option("--level", type=click.Choice(LEVEL_CHOICES), default="ordinal", show_default=True,
              help="Level of measurement of Krippendorff's alpha.")
@click.option("--round", "round_", type=click.Choice(ROUNDS), default=INDEPENDENT_ROUND,
              show_default=True, help="Which ratings to compare.")
@click.option("--phase", default=None, help="Only this phase (default: all phases pooled).")
@click.option("--bootstrap", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Bootstrap replicates (over items) for alpha's 95% CI; 0 = none.")
@click.option("--seed", type=int, default=None, help="Bootstrap seed (default: the study's).")
@click.option("--dimensions", default=None,
              help="Dimensions to analyse, comma-separated (default: every dimension in the file; "
                   "with --study, the study's own).")
@click.option("--min-check-accuracy", type=click.FloatRange(0, 1), default=None,
              help="Leave out coders whose attention-check accuracy is below this share (0-1); "
                   "reads --checks or the study's exports/checks.csv.")
@click.option("--checks", "checks_path", type=click.Path(dir_okay=False),
              help="Attention checks CSV (coder, correct), as `semclust export` writes.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object keyed by dimension.")
def agreement(ratings_path, study, scale, level, round_, phase, bootstrap, seed, dimensions,
              min_check_accuracy, checks_path, as_json):
    """Inter-coder agreement per dimension: Krippendorff's alpha, Cohen's and Fleiss' kappa.

    \b
    Example:
      semclust agreement --ratings studies/demo/exports/ratings.csv --phase 1
      semclust agreement --study studies/demo --level nominal --bootstrap 2000 --json
      semclust agreement --ratings relevance.csv --scale 1..5 --dimensions relevance
      semclust agreement --study studies/demo --min-check-accuracy 0.8

    Ratings collected elsewhere may use any dimension names and scale. A study's
    own ratings are checked against its dimensions (a misspelt one exits 2).
    """
    from semclust.evaluation.agreement import agreement_by_dimension
    from semclust.evaluation.inputs import load_ratings, parse_scale, validate_ratings
    ratings = load_ratings(ratings_path, study)
    if seed is None and study is not None:
        seed = study.seed
    scale = parse_scale(scale)
    chosen = [d for d in dimensions.split(",") if d.strip()] if dimensions else None
    if chosen is None and ratings_path is None:  # the app's own export: only our dimensions
        validate_ratings(ratings, scale, DIMENSION_NAMES)
    note = None
    if min_check_accuracy is not None:
        ratings, note = apply_check_exclusion(ratings, study, checks_path, min_check_accuracy)
    result = agreement_by_dimension(ratings, scale, level, round_, phase, bootstrap, seed,
                                    dimensions=chosen)
    if as_json:
        echo_json({**result, "excluded_coders": note} if note else result)
    else:
        click.echo(agreement_table(result, level))
        if note:
            click.echo(note["text"])


def apply_check_exclusion(ratings, study, checks_path, min_accuracy):
    """(ratings without coders below ``min_accuracy`` on the attention checks, note dict)."""
    from semclust.evaluation.agreement import exclude_by_checks_file

    path = checks_path or (study.checks_csv if study is not None else None)
    return exclude_by_checks_file(ratings, path, min_accuracy)


commands = [agreement]
