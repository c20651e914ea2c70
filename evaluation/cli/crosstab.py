"""``semclust crosstab``: how a truth or another clustering distributes over the clusters."""
from __future__ import annotations

import json

import click

from semclust.cli_options import study_option
from semclust.evaluation.cli.agreement import echo_json, fmt, format_table


def profile_table(result: dict) -> str:
    """The per-cluster profile and its totals as text."""
    profile = result["profile"]
    rows = [["noise" if r.cluster == -1 else str(r.cluster), str(r.size), str(r.n_labelled),
             str(r.n_labels), "" if r.majority_label is None else str(r.majority_label),
             fmt(None if r.n_labelled == 0 else float(r.purity)),
             fmt(None if r.n_labelled == 0 else float(r.entropy_bits))]
            for r in profile.itertuples()]
    table = format_table(rows, ["cluster", "size", "labelled", "labels", "majority label", "purity",
                                "entropy (bits)"])
    totals = [f"{name.replace('_', ' ')}: {t['n_clusters']} clusters, {t['n_labelled']} labelled "
              f"images, purity {fmt(t['purity'])}, entropy {fmt(t['entropy_bits'])} bits"
              for name, t in result["totals"].items()]
    labels = result["labels"]
    head = f"{result['clustering']} against {labels['kind']} {labels['name']}"
    return "\n".join([head, table, "size-weighted totals (weights = labelled images):", *totals])


@click.command("crosstab")
@study_option()
@click.option("--clustering", required=True, help="Clustering id.")
@click.option("--labels", "labels_ref", required=True, metavar="NAME",
              help="An imported truth or another clustering id (prefix truth: or clustering: when "
              "a name is both).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def crosstab(study, clustering, labels_ref, as_json):
    """Per-cluster majority label, purity and entropy (bits) of a truth or another clustering.

    Writes clusterings/<clustering>/label_profile-<truth|clustering>-<name>.csv
    (one row per cluster) and prints it with size-weighted totals, with and
    without the noise cluster. Purity and entropy are defined in
    docs/evaluation.md; they are not scikit-learn's homogeneity.

    \b
    Example:
      semclust crosstab --study studies/demo --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 --labels themes
      semclust crosstab --study S --clustering A --labels clustering:B --json
    """
    from semclust.evaluation.crosstab import crosstab_study, profile_file_name
    from semclust.spreadsheet import write_export_csv
    result = crosstab_study(study, clustering, labels_ref)
    out = study.clustering_dir(clustering) / profile_file_name(**result["labels"])
    write_export_csv(out, result["profile"])
    if as_json:
        profile = json.loads(result["profile"].to_json(orient="records"))
        echo_json({**result, "profile": profile, "file": str(out)})
        return
    click.echo(profile_table(result))
    click.echo(f"\nwrote {out}")


commands = [crosstab]
