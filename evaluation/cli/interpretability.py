"""``semclust interpretability``: the matching test (sets of images vs cluster keywords or names)."""
from __future__ import annotations

import click

from semclust.cli_options import study_option
from semclust.evaluation.cli.agreement import echo_json, fmt, format_table


def interpretability_table(result: dict, before: dict | None = None) -> str:
    """Summary lines and the per-cluster table; with ``before``, the unmerged figures too."""
    def figure(key):
        text = fmt(result[key])
        return f"{fmt(before[key])} -> {text}" if before else text

    lines = [f"sets matched        {result['n_sets']} ({result['n_majority']} by majority, "
             f"{result['n_tie_first_evaluator']} by the first evaluator; "
             f"{result['n_sets_unmatched']} unmatched)",
             f"clusters            {result['n_clusters']}",
             f"accuracy            {figure('accuracy')}",
             f"precision (macro)   {figure('precision_macro')}",
             f"recall (macro)      {figure('recall_macro')}",
             f"random baseline     {figure('random_baseline')}",
             f"evaluator kappa     {fmt(result['evaluator_kappa_mean'])} (mean of "
             + (", ".join(f"{p} {fmt(v)}" for p, v in result["evaluator_kappa"].items()) or "none")
             + ")"]
    if result["merged"]:
        lines.append("merged clusters     " + "; ".join("+".join(g) for g in result["merged"]))
    rows = [[c, fmt(v["precision"]), fmt(v["recall"]), str(v["n_sets"])]
            for c, v in result["per_cluster"].items()]
    return "\n".join(lines) + "\n\n" + format_table(rows, ["cluster", "precision", "recall", "sets"])


def kind_table(rows: list[dict]) -> str:
    """The description kinds side by side: sets, accuracy, macro precision and recall."""
    return format_table([[r["descriptions"], str(r["n_sets"]), fmt(r["accuracy"]),
                          fmt(r["precision_macro"]), fmt(r["recall_macro"])] for r in rows],
                        ["descriptions", "sets", "accuracy", "precision (macro)", "recall (macro)"])


@click.command("interpretability")
@click.option("--matches", "matches_path", type=click.Path(dir_okay=False),
              help="Matches CSV: set_id, evaluator, chosen_cluster.")
@click.option("--sets", "sets_path", type=click.Path(dir_okay=False),
              help="Sets CSV: set_id, cluster, image_ids (';'-separated).")
@study_option(help="Study folder: its exports/matches.csv and samples/sets/<clustering>.csv.", required=False)
@click.option("--clustering", default=None, help="With --study: the clustering whose sets to use.")
@click.option("--evaluators", default=None,
              help="Evaluators to use, comma-separated, in tie-rule order "
                   "(default: all, in order of first appearance).")
@click.option("--merge", multiple=True, metavar="A,B",
              help="Treat clusters A and B as one (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def interpretability(matches_path, sets_path, study, clustering, evaluators, merge, as_json):
    """Matching test: how well evaluators match sets of images to cluster keywords.

    Each set's label is the majority of its evaluators' choices; with no
    majority, the first evaluator's choice. Prints per-cluster precision and
    recall, their macro means, accuracy, the random baseline and the
    evaluators' Cohen's kappa.

    When the matches have a descriptions column with several kinds (the same
    sets matched under keywords and under names), the test is run per kind
    and the kinds are compared side by side (JSON: by_descriptions and
    comparison).

    \b
    Example:
      semclust interpretability --matches matches.csv --sets sets.csv --evaluators ann,bob,cy
      semclust interpretability --study studies/demo --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 --merge 3,7 --json
    """
    from semclust.evaluation.inputs import load_matches_and_sets
    from semclust.evaluation.interpretability import (
        description_kinds,
        interpretability_by_kind,
        kind_comparison,
    )
    from semclust.evaluation.interpretability import interpretability as run
    matches, sets = load_matches_and_sets(matches_path, sets_path, study, clustering)
    order = [e.strip() for e in evaluators.split(",")] if evaluators else None
    if len(description_kinds(matches)) > 1:
        by_kind = interpretability_by_kind(matches, sets, order, merge)
        rows = kind_comparison(by_kind)
        if as_json:
            echo_json({"by_descriptions": by_kind, "comparison": rows})
            return
        before = interpretability_by_kind(matches, sets, order) if merge else {}
        for kind, result in by_kind.items():
            click.echo(f"descriptions: {kind}\n{interpretability_table(result, before.get(kind))}\n")
        click.echo(kind_table(rows))
        return
    result = run(matches, sets, order, merge)
    if as_json:
        echo_json(result)
        return
    click.echo(interpretability_table(result, run(matches, sets, order) if merge else None))


commands = [interpretability]
