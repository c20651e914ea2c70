"""``semclust sample``: draw the pairs coders rate and the sets evaluators match, and size them."""
from __future__ import annotations

import math

import click

from semclust.cli_options import study_option

STUDY = study_option(help="The study folder.")
SEED = click.option("--seed", type=click.IntRange(min=0), default=None,
                    help="Random seed (default: the study's seed in study.yaml).")


@click.group("sample")
def sample() -> None:
    """Draw samples for human validation: pairs to rate, sets to match.

    \b
    Size the pair sample first, then draw it in phases:
      semclust sample plan --study S --target-same 25 --budget 500
      semclust sample pairs --study S --n 250 --phase 1
      semclust sample pairs --study S --n 250 --phase 2
      semclust sample sets --study S --clustering minilm-l6--demo--umap-c5-n15--hdb-m12
    """


@sample.command("pairs")
@STUDY
@click.option("--n", "n", required=True, type=int, help="Number of pairs to draw.")
@click.option("--phase", default=None, help="Phase name (default: the next number, 1, 2, ...).")
@SEED
@click.option("--exclude-phase", "exclude_phases", multiple=True, metavar="PHASE",
              help="Avoid every image of this earlier phase (repeatable).")
@click.option("--describer", default=None,
              help="Describer whose descriptions define the pool (needed if several).")
@click.option("--stratify", default=None, metavar="CLUSTERING",
              help="Oversample same-cluster pairs of this clustering (weights in pairs.csv).")
@click.option("--same-fraction", type=float, default=None,
              help="With --stratify: fraction of the pairs drawn from same-cluster pairs.")
@click.option("--force", is_flag=True, help="Replace an existing phase of the same name.")
def pairs_command(study, n, phase, seed, exclude_phases, describer, stratify, same_fraction,
                  force) -> None:
    """Draw random image pairs for coders (samples/pairs.csv).

    Pairs are drawn uniformly, without replacement, from images with status ok
    and a description; no pair of an earlier phase is drawn again.

    \b
    Example:
      semclust sample pairs --study my-study --n 250 --phase 1
    """
    from semclust.annotate.samples import draw_pairs
    new = draw_pairs(study, n, phase=phase, seed=seed, exclude_phases=exclude_phases,
                     describer=describer, stratify=stratify, same_fraction=same_fraction,
                     force=force)
    counts = ""
    if "stratum" in new:
        counts = " (" + ", ".join(f"{k} {v}" for k, v in new["stratum"].value_counts()
                                  .sort_index().items()) + ")"
    click.echo(f"phase {new['phase'].iloc[0]}: {len(new)} pairs{counts}, "
               f"{new['pair_id'].iloc[0]}..{new['pair_id'].iloc[-1]} -> {study.pairs_csv}")


@sample.command("sets")
@STUDY
@click.option("--clustering", "clustering_id", required=True, help="Clustering id.")
@click.option("--per-cluster", type=click.IntRange(min=1), default=5, show_default=True,
              help="Sets per cluster.")
@click.option("--size", type=click.IntRange(min=1), default=3, show_default=True,
              help="Images per set.")
@SEED
@click.option("--force", is_flag=True, help="Replace an existing sets file.")
@click.option("--descriptions", type=click.Choice(["keywords", "names"]), default="keywords",
              show_default=True,
              help="What evaluators see of each cluster: TF-IDF keywords, or the names of "
                   "`semclust name` (clusterings/<id>/names.csv). Run again with the other kind "
                   "and the same sets to match them under both.")
def sets_command(study, clustering_id, per_cluster, size, seed, force, descriptions) -> None:
    """Draw matching sets of one clustering (samples/sets/).

    Sets are written to samples/sets/<clustering>.csv.

    Images are drawn without replacement within each non-noise cluster; a
    cluster too small for all its sets gets fewer, with a warning.

    The kind of description evaluators are shown (--descriptions) is recorded
    in samples/sets/<clustering>.json. When the sets file exists and the same
    options draw the same sets, it is kept and the kind is added: each set is
    then matched once per kind.

    \b
    Example:
      semclust sample sets --study my-study --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 --per-cluster 5 --size 3
    """
    from semclust.annotate.samples import description_kinds, draw_sets
    sets, short, path = draw_sets(study, clustering_id, per_cluster, size, seed=seed, force=force,
                                  descriptions=descriptions)
    for cluster, n_images, n_sets in short:
        click.echo(f"warning: cluster {cluster} has {n_images} images: "
                   f"{n_sets} of {per_cluster} sets of {size}", err=True)
    kinds = description_kinds(study, clustering_id)
    click.echo(f"{len(sets)} sets from {sets['cluster'].nunique()} clusters -> {path} "
               f"(descriptions: {', '.join(kinds)})")


def _count(value) -> str:
    return "never" if value == math.inf else f"{int(value):,}"


@sample.command("plan")
@STUDY
@click.option("--target-same", type=click.IntRange(min=0), default=25, show_default=True,
              help="Same-cluster pairs wanted per clustering.")
@click.option("--target-diff", type=click.IntRange(min=0), default=25, show_default=True,
              help="Different-cluster pairs wanted per clustering.")
@click.option("--budget", type=click.IntRange(min=1), default=500, show_default=True,
              help="Pairs the coders can rate; clusterings needing more are flagged.")
@click.option("--confidence", type=float, default=0.9, show_default=True,
              help="Wanted probability of reaching both targets.")
@click.option("--describer", default=None, help="Describer defining the pool (needed if several).")
def plan_command(study, target_same, target_diff, budget, confidence, describer) -> None:
    """Size the pair sample: pairs needed per clustering.

    A pair counts for a clustering as same-cluster (both images in one cluster)
    or different-cluster (in two clusters); pairs with a noise image are lost.

    \b
    Example:
      semclust sample plan --study my-study --target-same 25 --target-diff 25 --budget 500
    """
    from semclust.annotate.samples import plan_pairs
    table = plan_pairs(study, target_same, target_diff, budget, confidence, describer)
    width = max(10, *table["clustering"].str.len())
    pct = f"n@{confidence:.0%}"
    click.echo(f"{'clustering':<{width}}  clusters  noise   p_same  p_diff  E[same]  E[diff]  "
               f"P(ok)  n_expected  {pct:>9}")
    for row in table.itertuples():
        flag = "  over budget" if row.over_budget else ""
        click.echo(f"{row.clustering:<{width}}  {row.n_clusters:8d}  {row.noise:5.1%}  "
                   f"{row.p_same:7.4f} {row.p_diff:7.4f}  {row.expected_same:7.1f}  "
                   f"{row.expected_diff:7.1f}  {row.p_enough:5.2f}  {_count(row.n_expected):>10}  "
                   f"{_count(row.n_needed):>9}{flag}")
    over = int(table["over_budget"].sum())
    click.echo(f"{table['n_images'].iloc[0]:,} eligible images; E[...] and P(ok) at {budget} pairs; "
               f"{over} of {len(table)} clusterings need more than {budget} pairs for "
               f"{target_same} same- and {target_diff} different-cluster pairs at {confidence:.0%}.")


commands = [sample]
