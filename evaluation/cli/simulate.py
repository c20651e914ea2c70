"""`semclust simulate`: synthetic ratings and matches from known themes (demo and tests)."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.study import UserError


def _default_truth(study) -> Path:
    for candidate in (study.image_root / "truth.csv", study.image_root.parent / "truth.csv"):
        if candidate.is_file():
            return candidate
    raise UserError("no truth.csv beside the image root: give --truth FILE (columns: path or image_id, theme)")


def _guard(path: Path, column: str, force: bool) -> None:
    """Refuse to overwrite an export that holds real (non-simulated) answers."""
    from semclust.evaluation.simulate import real_people

    real = [] if force else real_people(path, column)
    if real:
        raise UserError(f"{path} holds real answers (e.g. {real[0]}); refusing to overwrite "
                        "without --force")


@click.command()
@study_option()
@click.option("--truth", metavar="FILE|NAME",
              help="CSV file (path or image_id, theme), or the name of a truth imported with "
              "`semclust truth import` (its label is the theme). Default: truth.csv beside the "
              "image root.")
@click.option("--clustering", help="Clustering whose matching sets get simulated matches "
              "(default: the only one with sets).")
@click.option("--coders", type=int, default=2, show_default=True)
@click.option("--evaluators", type=int, default=3, show_default=True)
@click.option("--noise", type=float, default=0.15, show_default=True,
              help="Probability that a coder/evaluator answers at random.")
@click.option("--seed", type=int, help="Default: the study's seed.")
@click.option("--force", is_flag=True, help="Overwrite exports that hold real answers.")
def simulate(study, truth, clustering, coders, evaluators, noise, seed, force):
    """Write synthetic exports/ratings.csv and exports/matches.csv from ground-truth themes.

    Simulated people are named sim-coder-N / sim-evaluator-N; the model is stated
    in evaluation/simulate.py and docs/evaluation.md. --truth names an existing
    CSV file (used as it is) or else an imported truth of the study.

    \b
    Example:
      semclust simulate --study studies/demo --noise 0.2
      semclust simulate --study studies/demo --truth themes
    """
    from semclust.evaluation.simulate import (
        load_themes,
        read_truth,
        simulate_matches,
        simulate_ratings,
    )
    from semclust.spreadsheet import write_export_csv
    seed = study.seed if seed is None else seed
    theme = load_themes(study, truth) if truth else read_truth(study, _default_truth(study))
    _guard(study.ratings_csv, "coder", force)
    ratings = simulate_ratings(study.read_pairs(), theme, n_coders=coders, noise=noise, seed=seed)
    write_export_csv(study.ratings_csv, ratings)
    click.echo(f"wrote {len(ratings)} simulated ratings ({ratings['item_id'].nunique()} pairs, "
               f"{coders} coders) to {study.ratings_csv}")
    with_sets = study.list_sets()
    if clustering is None and len(with_sets) != 1:
        click.echo("no matches simulated: " + ("no clustering has matching sets" if not with_sets else
                   f"several clusterings have sets ({', '.join(with_sets)}): give --clustering"))
        return
    clustering = clustering or with_sets[0]
    _guard(study.matches_csv, "evaluator", force)
    matches = simulate_matches(study.read_sets(clustering), study.read_labels(clustering), theme,
                               n_evaluators=evaluators, noise=noise, seed=seed)
    write_export_csv(study.matches_csv, matches)
    click.echo(f"wrote {len(matches)} simulated matches ({matches['set_id'].nunique()} sets of "
               f"{clustering}, {evaluators} evaluators) to {study.matches_csv}")


commands = [simulate]
