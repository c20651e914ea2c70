"""`semclust search`: hyperparameter search on the rated pairs, with a held-out half (docs/search.md)."""
from __future__ import annotations

import click

from semclust.cli_options import study_option
from semclust.extras import needs


@click.command()
@study_option()
@click.option("--embedding", required=True, help="Embedding id to cluster.")
@click.option("--objective", required=True,
              help="quality:connotative, quality:denotative, silhouette, dbcv or silhouette-noise.")
@click.option("--trials", "n_trials", type=int, required=True,
              help="Finished trials the search should have in all (a rerun adds only the missing).")
@click.option("--space", default=None,
              help="SPACE.yaml (default: the shipped search-default, around the paper grid).")
@click.option("--seed", type=int, default=None, help="Seed of the sampler, reductions, "
              "subsample and holdout draw (default: the study's seed).")
@click.option("--max-noise", type=float, default=0.5, show_default=True,
              help="Trials with a larger noise fraction are infeasible.")
@click.option("--holdout", default=None, help="phase:P or fraction:F (default: the last phase "
              "when the pairs have several, else fraction:0.5).")
@click.option("--materialize", default=None,
              help="best or top:K: write the selected trials as clusterings/<id>/ folders.")
@click.option("--id", "search_id", default=None,
              help="Search id (default: embedding--objective--hash of the settings).")
@needs("pipeline", "optuna", "umap", "hdbscan")
def search(study, embedding, objective, n_trials, space, seed, max_noise, holdout,
           materialize, search_id):
    """Search reductions and clusterer settings for the best clustering by OBJECTIVE.

    Optuna's TPE sampler, seeded; every trial is kept in searches/<id>/journal.log, so a
    killed search resumes where it stopped. Selection uses the search half of the rated
    pairs; the chosen clustering is then scored on the held-out half (bootstrap CI) and
    the difference is reported as the optimism. The final word is new pairs stratified on
    the chosen clustering (semclust sample pairs --stratify).

    \b
    Example:
      semclust search --study studies/climate --embedding minilm \\
          --objective quality:connotative --trials 100 --seed 1 --materialize best
      semclust search --study studies/climate --embedding minilm --objective silhouette-noise \\
          --trials 50 --space my-space.yaml --holdout fraction:0.5
    """
    from semclust.search import SearchOptions, run_search

    options = SearchOptions(embedding=embedding, objective=objective, n_trials=n_trials, seed=seed,
                            space=space, max_noise=max_noise, holdout=holdout,
                            materialize=materialize, search_id=search_id)
    result = run_search(study, options)
    _print_result(result)


def _print_result(result) -> None:
    from semclust.search.results import summary_line

    best = result.best
    click.echo(f"search {result.search_id}: {best['n_trials']} trials ({result.new_trials} run now), "
               f"{best['n_feasible']} feasible")
    if best["best"] is None:
        click.echo(best["note"])
        return
    click.echo(f"best ({best['objective']}, selected on {best['selected_on']}):")
    click.echo(f"  {summary_line(best['best'])}")
    holdout = best.get("holdout")
    if holdout:
        click.echo(f"held out ({holdout['pairs']}, {holdout['n_pairs']} pairs):")
        for dimension, s in holdout["scores"].items():
            ci = "" if s["ci95"] is None else f" [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}]"
            score = "undefined" if s["score"] is None else f"{s['score']:.3f}{ci}"
            click.echo(f"  {dimension:<12} s_s - s_d {score}  ({s['n_same']} same / "
                       f"{s['n_diff']} different pairs{'' if s['valid'] else ', too few'})")
    if best.get("optimism") is not None:
        click.echo(f"optimism (search - held out): {best['optimism']:+.3f}")
    click.echo(f"note: {best['validation']}")
    for cid in result.materialized:
        click.echo(f"materialized clusterings/{cid}/")
    click.echo(f"written: {result.folder}/ (search.yaml, trials.csv, best.json)")


commands = [search]
