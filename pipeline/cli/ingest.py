"""`semclust ingest`: a folder of images or a CSV manifest -> the study's images.csv."""
from __future__ import annotations

import signal
from pathlib import Path

import click

from semclust.study import DEFAULT_SEED, UserError


def _raise_interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: checkpoint, then stop
    raise KeyboardInterrupt


@click.command()
@click.argument("images_dir", required=False, type=click.Path(path_type=Path))
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path),
              help="Study folder (created if absent).")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="CSV with a `path` column (+ metadata columns) instead of IMAGES_DIR.")
@click.option("--image-root", type=click.Path(path_type=Path),
              help="With --manifest: folder that relative paths start from (default: the manifest's folder).")
@click.option("--name", help="Study name (default: the folder name).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Default seed recorded in study.yaml for later stages.")
@click.option("--workers", type=int, default=None, help="Decoding processes (default: CPU count).")
@click.option("--max-file-size", default="200MB", show_default=True,
              help="Larger files are listed as unreadable without being read (e.g. 500MB, 2GB).")
def ingest(images_dir, study_dir, manifest, image_root, name, seed, workers, max_file_size):
    """Hash and check every image and list it in STUDY/images.csv.

    Re-running only processes new files; an interrupted run resumes.

    \b
    Example:
      semclust ingest data/demo/images --study studies/demo
      semclust ingest --manifest posts.csv --image-root /data/imgs --study studies/climate
    """
    from semclust.pipeline.ingest import folder_files, manifest_files, parse_size
    from semclust.pipeline.ingest import ingest as run_ingest
    from semclust.study import Study

    max_bytes = parse_size(max_file_size)
    if manifest is not None and images_dir is not None:
        raise UserError("give either IMAGES_DIR or --manifest, not both")
    if manifest is None and images_dir is None:
        raise UserError("give IMAGES_DIR or --manifest FILE")
    skipped_folders: list[str] = []
    if manifest is not None:
        if not manifest.is_file():
            raise UserError(f"manifest not found: {manifest}")
        root = (image_root or manifest.parent).resolve()
        if not root.is_dir():
            raise UserError(f"image root not found: {root}")
        files = manifest_files(manifest, root)
    else:
        root = images_dir.resolve()
        files = folder_files(root, skipped_folders)
    study = Study.create(study_dir, root, name=name, seed=seed)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        summary = run_ingest(study, files, workers=workers, max_file_bytes=max_bytes)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in summary.lines():
        click.echo(line)
    for folder in skipped_folders:
        click.echo(f"warning: cannot read folder {folder}; its images were not ingested", err=True)
    if summary.interrupted:
        raise click.exceptions.Exit(130)


commands = [ingest]
