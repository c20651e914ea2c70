"""``semclust fewshot``: accuracy of a classifier taught by a few labelled images per class."""
from __future__ import annotations

import click

from semclust.cli_options import study_option


@click.command("fewshot")
@study_option()
@click.option("--embedding", required=True, help="Embedding id (embeddings/<id>.npy).")
@click.option("--truth", "truth_name", required=True, help="Ground truth name (truth/<name>.csv).")
@click.option("--shots", type=click.IntRange(min=1), default=10, show_default=True,
              help="Labelled images drawn per class for training; the rest are the test set.")
@click.option("--repeats", type=click.IntRange(min=1), default=10, show_default=True,
              help="Random draws; results are the mean and sd over them.")
@click.option("--classifier", "learner", type=click.Choice(["logreg", "knn", "centroid"]),
              default="logreg", show_default=True,
              help="logreg: logistic regression; knn: k nearest neighbours; centroid: nearest class mean.")
@click.option("--seed", type=int, default=None, help="Seed of the draws [default: the study's seed].")
@click.option("--id", "fewshot_id", default=None,
              help="Result id (fewshot/<id>/) [default: <embedding>--<truth>--<classifier>-s<shots>].")
@click.option("--predict-all", is_flag=True,
              help="Also train on every labelled image and write a clustering of all images.")
@click.option("--clustering-id", default=None,
              help="With --predict-all: clustering id [default: <embedding>--fewshot-<classifier>--<truth>].")
@click.option("--force", is_flag=True,
              help="With --predict-all: replace a clustering of that id made with other settings.")
def fewshot(study, embedding, truth_name, shots, repeats, learner, seed, fewshot_id, predict_all,
            clustering_id, force):
    """Few-shot classification: train on SHOTS labelled images per class, test on the rest.

    Draws are stratified and repeated; prints and writes mean +- sd of accuracy and
    macro-F1 to fewshot/<id>/results.json. A class with fewer than shots + 1
    labelled images stops the run (exit 2) naming it.

    \b
    Example:
      semclust fewshot --study studies/demo --embedding minilm-l6--demo --truth themes --shots 10
      semclust fewshot --study studies/demo --embedding minilm-l6--demo --truth themes \\
          --classifier knn --repeats 20 --predict-all
    """
    from semclust.pipeline.fewshot import fewshot_study
    from semclust.pipeline.fewshot import predict_all as predict_everything
    results = fewshot_study(study, embedding, truth_name, shots=shots, repeats=repeats,
                            learner=learner, seed=seed, fewshot_id=fewshot_id)
    for note in results["notes"]:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{results['id']}: {learner}, {shots} shots x {results['n_classes']} classes, "
               f"{repeats} repeats, {results['n_test']} test images each")
    click.echo(f"{'':<10} {'mean':>6} {'sd':>6}")
    for label, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1")):
        click.echo(f"{label:<10} {results[key]['mean']:>6.3f} {results[key]['sd']:>6.3f}")
    click.echo(f"chance: {results['chance']['uniform']:.3f} uniform, "
               f"{results['chance']['majority']:.3f} majority class")
    click.echo(f"{'class':<24} {'labelled':>8} {'F1':>6}")
    for name, f1 in results["per_class_f1"].items():
        click.echo(f"{name:<24} {results['classes'][name]:>8} {f1:>6.3f}")
    click.echo(f"wrote {results['path'].relative_to(study.root)}")
    if predict_all:
        summary = predict_everything(study, embedding, truth_name, learner=learner, shots=shots,
                                     clustering_id=clustering_id, force=force)
        click.echo(f"{summary['clustering_id']}: wrote a clustering of {summary['n_images']} images "
                   f"into {summary['n_clusters']} classes (trained on {summary['trained_on']})")


commands = [fewshot]
