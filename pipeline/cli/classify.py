"""``semclust classify text|clip|vlm``: zero-shot classification into the researcher's classes.

One subcommand per entry of :data:`semclust.pipeline.classifiers.CLASSIFIERS`;
each parses its options and calls
:func:`semclust.pipeline.classifiers.classify.classify_study`.
"""
from __future__ import annotations

import functools

import click

from semclust.cli_options import study_option
from semclust.extras import needs
from semclust.pipeline.cli._options import hf_model, openai_endpoint


def _common(command):
    """The options every classifier takes."""
    options = [
        study_option(),
        click.option("--classes", "classes_path", required=True, type=click.Path(dir_okay=False),
                     help="classes.yaml: a list of names or {name, definition, aliases} mappings."),
        click.option("--id", "clustering_id", default=None,
                     help="Clustering id [default: <embedding|model>--classify-<method>--<classes stem>]."),
        click.option("--force", is_flag=True,
                     help="Replace a clustering of this id made with other classes or settings."),
        click.option("--keywords-from", default=None, metavar="DESCRIBER",
                     help="Descriptions for the keywords.csv [default: the embedding's, or the "
                          "study's only describer]."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]
    return functools.reduce(lambda c, o: o(c), reversed(options), command)


def _run(method: str, study, classes_path, clustering_id, force, params: dict, runtime: dict):
    from semclust.pipeline.classifiers.classify import classify_study
    result = classify_study(study, method, classes_path, params, runtime, clustering_id, force,
                            echo=lambda msg: click.echo(f"note: {msg}", err=True))
    for line in result.prediction.lines:
        click.echo(line)
    if result.summary is None:
        click.echo("error: nothing was classified: every request failed (see the errors above); "
                   "nothing is lost, re-run with --retry-failed", err=True)
        raise click.exceptions.Exit(1)
    summary = result.summary
    verb = "replaced" if result.replaced else "wrote"
    click.echo(f"{result.clustering_id}: {verb} {result.path.relative_to(study.root)} "
               f"({summary['n_images']} images, {summary['n_noise']} without a class)")
    click.echo(f"{'cluster':>7}  {'images':>6}  class")
    for cluster, name in summary["classes"].items():
        click.echo(f"{cluster:>7}  {summary['sizes'].get(cluster, 0):>6}  {name}")
    if summary["n_noise"]:
        why = ", ".join(f"{k} {v}" for k, v in summary["unassigned"].items() if v)
        click.echo(f"{-1:>7}  {summary['n_noise']:>6}  (no class{': ' + why if why else ''})")


def _templates(values) -> dict:
    return {"templates": list(values)} if values else {}


@click.command("text")
@_common
@click.option("--embedding", required=True,
              help="Embedding of descriptions made with a sentence-transformers model.")
@click.option("--min-similarity", type=click.FloatRange(-1, 1), default=None,
              help="Images whose best cosine similarity is below this get -1 (no class).")
@click.option("--template", "templates", multiple=True,
              help="Class text template with {name} and/or {definition}; repeat to average several "
                   "[default: {name} | an image about {name} | {name}: {definition} | {definition}].")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1, ...")
@needs("pipeline", "torch", "transformers", "sentence_transformers")
def text(study, classes_path, clustering_id, force, keywords_from, quiet, embedding,
         min_similarity, templates, device):
    """Classify by cosine between description embeddings and the classes' texts.

    The class texts are embedded with the model the descriptions were embedded
    with (read from the embedding's .json). Writes clusterings/<id>/ with
    labels.csv, clusters.csv (cluster id -> class), scores.csv and the usual files.

    \b
    Example:
      semclust classify text --study studies/demo --classes themes.yaml \\
          --embedding minilm-l6--demo --min-similarity 0.3
    """
    _run("text", study, classes_path, clustering_id, force,
         {"embedding": embedding, "min_similarity": min_similarity, **_templates(templates)},
         {"device": device, "keywords_from": keywords_from, "progress": not quiet})


@click.command("clip")
@_common
@click.option("--model", required=True, help="CLIP or SigLIP model: hub name or local folder.")
@click.option("--min-probability", type=click.FloatRange(0, 1), default=None,
              help="Images whose best probability (softmax for CLIP, sigmoid for SigLIP) is below "
                   "this get -1.")
@click.option("--template", "templates", multiple=True,
              help="Class text template with {name} and/or {definition}; repeat to average several "
                   "[default: a photo of {name} | an image about {name} | {name}: {definition}].")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Images per forward pass when the images are embedded now (default 32).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1, ...")
@needs("pipeline", "torch", "transformers")
def clip(study, classes_path, clustering_id, force, keywords_from, quiet, model, min_probability,
         templates, batch_size, device):
    """Classify images against the classes' texts with a CLIP or SigLIP model.

    Reuses a stored image embedding of the same model (semclust embed --from
    images --model M), else embeds the images now.

    \b
    Example:
      semclust classify clip --study studies/demo --classes themes.yaml \\
          --model openai/clip-vit-base-patch32
    """
    _run("clip", study, classes_path, clustering_id, force,
         {"model": model, "min_probability": min_probability, **_templates(templates)},
         {"device": device, "batch_size": batch_size, "keywords_from": keywords_from,
          "progress": not quiet})


@click.command("vlm")
@_common
@click.option("--backend", required=True, type=click.Choice(["openai", "hf"]),
              help="openai: OpenAI-compatible endpoint; hf: local transformers model.")
@click.option("--model", required=True, help="Model name (openai) or name or path (hf).")
@click.option("--cutoff", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Lowest difflib ratio for a close match of an answer to a class name or alias.")
@click.option("--retry-failed", is_flag=True, help="Ask again for images whose earlier answer failed.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Ask for at most this many images now (the rest get -1 until a later run).")
@openai_endpoint
@click.option("--max-tokens", type=click.IntRange(min=1), default=32, show_default=True,
              help="Longest answer in tokens.")
@click.option("--temperature", type=float, default=0.0, show_default=True,
              help="[openai] Sampling temperature.")
@hf_model
def vlm(study, classes_path, clustering_id, force, keywords_from, quiet, backend, model, cutoff,
        retry_failed, limit, endpoint, max_tokens, temperature, hf):
    """Ask a vision-language model which class each image belongs to.

    The prompt lists the classes and asks to "Answer with exactly one of: ...".
    Answers are cached and resumed like `semclust describe` (descriptions/classify-*.jsonl)
    and mapped to a class by exact, normalised, then close-string match; anything
    else gets -1 and is counted (answers.csv lists every answer).

    \b
    Example:
      semclust classify vlm --study studies/demo --classes themes.yaml --backend openai \\
          --base-url http://localhost:8000/v1 --model llava-hf/llava-1.5-7b-hf
    """
    if backend == "openai":
        options = {**endpoint, "max_tokens": max_tokens, "temperature": temperature}
    else:
        options = {**hf, "max_new_tokens": max_tokens}
    _run("vlm", study, classes_path, clustering_id, force,
         {"backend": backend, "model": model, "cutoff": cutoff},
         {"describer_options": options, "retry_failed": retry_failed, "limit": limit,
          "keywords_from": keywords_from, "progress": not quiet})


_COMMANDS = {"text": text, "clip": clip, "vlm": vlm}


class _ClassifierGroup(click.Group):
    """Subcommands in registry order; an unknown one is a UserError naming the known ones."""

    def list_commands(self, ctx):
        from semclust.pipeline.classifiers import CLASSIFIERS

        return list(CLASSIFIERS)

    def resolve_command(self, ctx, args):
        from semclust.pipeline.classifiers import CLASSIFIERS

        if args and not args[0].startswith("-"):
            CLASSIFIERS.method(args[0])
        return super().resolve_command(ctx, args)


@click.group("classify", cls=_ClassifierGroup, commands=_COMMANDS)
def classify():
    """Classify images into the researcher's classes (zero-shot); each writes a clustering.

    The result is an ordinary clusterings/<id>/ folder (class i = cluster i, in
    classes.yaml order; -1 = no class), validated like any clustering.
    """


commands = [classify]
