"""``semclust truth import`` and ``semclust truth score`` (formerly ``semclust evaluate``): a researcher's ground truth."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.evaluation.cli.agreement import echo_json, fmt, format_table

NOISE_CHOICES = ("exclude", "as-cluster", "both")


@click.group("truth")
def truth():
    """Ground truth a researcher already has: a class per image (truth/<name>.csv).

    Only the truth-aware commands read it (evaluate, crosstab, simulate --truth,
    fewshot); the unsupervised method never does.
    """


@truth.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@study_option()
@click.option("--name", required=True, help="Name of the truth: writes truth/<name>.csv.")
@click.option("--key", type=click.Choice(["image_id", "path"]),
              help="Column naming the images: image_id, or path relative to the image root as in "
              "images.csv (default: image_id if FILE has it, else path).")
@click.option("--label-column", default="label", show_default=True,
              help="Column holding each image's class (e.g. theme).")
@click.option("--force", is_flag=True, help="Replace an existing truth of that name.")
def import_truth(file, study, name, key, label_column, force):
    """Import a CSV of one class per image as truth/<name>.csv (image_id, label).

    FILE needs a label column (`label`, or --label-column) and a key column (image_id or path). An empty
    label means unlabelled. Unknown images, an image given twice and an empty
    file are errors (exit 2) naming the rows, the header being row 1.

    \b
    Example:
      semclust truth import themes.csv --study studies/demo --name themes --key path
      semclust truth import data/demo/truth.csv --study studies/demo --name themes --label-column theme
    """
    from semclust.evaluation.truth import read_truth_file, truth_from_table
    from semclust.study import UserError
    path = study.truth_path(name)
    if path.is_file() and not force:
        raise UserError(f"truth {name!r} exists ({path}): give --force to replace it")
    table = read_truth_file(file)
    if label_column != "label":
        if label_column not in table.columns:
            raise UserError(f"{Path(file).name}: no column {label_column!r} "
                            f"(columns: {', '.join(table.columns)})")
        table = table.drop(columns=["label"], errors="ignore").rename(columns={label_column: "label"})
    table = truth_from_table(table, study.read_images(), key=key, image_root=study.image_root)
    study.write_truth(name, table)
    labelled = table["label"].dropna()
    counts = labelled.value_counts()
    not_given = (~study.read_images(status="ok")["image_id"].isin(table["image_id"])).sum()
    click.echo(f"wrote {path}: {len(table)} images, {len(labelled)} labelled, {len(counts)} classes "
               f"(largest {counts.index[0]!r}: {counts.iloc[0]}, smallest {counts.index[-1]!r}: "
               f"{counts.iloc[-1]}); {not_given} ok images of the study have no row")


def _metric_cells(m: dict) -> list[str]:
    return [str(m["n"]), fmt(m["coverage"], 2), str(m["k_pred"]), str(m["k_true"]),
            fmt(m["accuracy"]), fmt(m["purity"]), fmt(m["ari"]), fmt(m["nmi"]), fmt(m["ami"]),
            fmt(m["homogeneity"]), fmt(m["completeness"]), fmt(m["v_measure"])]


METRIC_HEADER = ["n", "coverage", "K pred", "K true", "accuracy", "purity", "ARI", "NMI", "AMI",
                 "homog.", "compl.", "V"]


def summary_table(result: dict) -> str:
    """One row per clustering and noise policy."""
    rows, notes = [], []
    for cid, entry in result["clusterings"].items():
        for policy in ("exclude", "as-cluster"):
            if policy in entry:
                rows.append([cid, policy, *_metric_cells(entry[policy])])
                if entry[policy]["note"]:
                    notes.append(f"note: {cid} ({policy}): {entry[policy]['note']}")
    head = (f"truth {result['truth']}: {result['n_truth_labelled']} labelled images; accuracy after "
            "Hungarian matching, purity = majority-label accuracy (rises with K)")
    return "\n".join([head, format_table(rows, ["clustering", "noise", *METRIC_HEADER]), *notes])


def detail_tables(m: dict) -> str:
    """Per-class scores and the confusion matrix of one clustering under one policy."""
    if m["confusion"] is None or not m["per_class"]:
        return ""
    rows = [[c, s["cluster"] or "-", str(s["support"]), fmt(s["precision"]), fmt(s["recall"]),
             fmt(s["f1"])] for c, s in m["per_class"].items()]
    per_class = format_table(rows, ["class", "matched cluster", "n", "precision", "recall", "F1"])
    conf = m["confusion"]
    names = ["noise" if k == -1 else str(k) for k in conf["clusters"]]
    confusion = format_table([[name, *map(str, counts)] for name, counts in zip(names, conf["counts"])],
                             ["cluster \\ class", *conf["classes"]])
    return f"per class ({m['noise']}):\n{per_class}\n\nconfusion ({m['noise']}):\n{confusion}"


_SCORE_OPTIONS = [
    study_option(),
    click.option("--truth", "truth_name", required=True, help="Name of an imported truth (truth/<name>.csv)."),
    click.option("--clustering", default="all", show_default=True, help="Clustering id, or 'all'."),
    click.option("--noise", type=click.Choice(NOISE_CHOICES), default="both", show_default=True,
                 help="exclude: score clustered images only; as-cluster: noise is one more cluster "
                 "(its images wrong in accuracy and purity); both."),
    click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
]


def _score_options(command):
    for option in reversed(_SCORE_OPTIONS):
        command = option(command)
    return command


@truth.command("score")
@_score_options
def score(study, truth_name, clustering, noise, as_json):
    """Score clusterings against an imported ground truth; writes reports/truth-<name>.json.

    Per clustering and noise policy: n (labelled images in the clustering),
    coverage (share of them not noise), predicted and true K, accuracy after
    Hungarian matching of clusters to classes, purity, ARI, NMI, AMI,
    homogeneity, completeness and V-measure; for one clustering also per-class
    precision/recall/F1 and the confusion matrix. Definitions: docs/evaluation.md.

    \b
    Example:
      semclust truth score --study studies/demo --truth themes
      semclust truth score --study studies/demo --truth themes --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 --noise exclude --json
    """
    from semclust.evaluation.truth import evaluate_study
    from semclust.study import atomic_write_json

    result = evaluate_study(study, truth_name, clustering=clustering, noise=noise)
    out = study.reports_dir / f"truth-{truth_name}.json"
    atomic_write_json(out, result)
    if as_json:
        echo_json(result)
        return
    click.echo(summary_table(result))
    if len(result["clusterings"]) == 1:
        entry = next(iter(result["clusterings"].values()))
        details = [detail_tables(entry[p]) for p in ("exclude", "as-cluster") if p in entry]
        click.echo("\n" + "\n\n".join(d for d in details if d))
    click.echo(f"\nwrote {out}")


@click.command("evaluate", hidden=True)
@_score_options
@click.pass_context
def evaluate(ctx, **kwargs):
    """The former name of `semclust truth score` (easy to confuse with the evaluation stage).

    \b
    Example:
      semclust truth score --study studies/demo --truth themes
    """
    click.echo("note: `semclust evaluate` is now `semclust truth score`; this name will go", err=True)
    ctx.invoke(score, **kwargs)


commands = [truth, evaluate]
