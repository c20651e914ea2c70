"""``semclust labelstudio export|push|pull``: collect ratings and matches in Label Studio."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.extras import needs
from semclust.spreadsheet import write_export_csv

_task = click.option("--task", "task", type=click.Choice(["pairs", "sets"]), required=True,
                     help="pairs: rate samples/pairs.csv; sets: match samples/sets/<clustering>.csv.")
_study = study_option(help="The study folder.")
_clustering = click.option("--clustering", "clustering_id", default=None,
                           help="Clustering id whose matching sets to use (--task sets).")
_url = click.option("--url", required=True, help="Label Studio address, e.g. http://localhost:8080.")
_project = click.option("--project", "project_id", type=int, default=None,
                        help="Label Studio project id (default: the study's project, found by title).")
_key_env = click.option("--api-key-env", default="LABEL_STUDIO_API_KEY", show_default=True,
                        help="Environment variable that holds the Label Studio API token.")


def _image_options(func):
    func = click.option("--document-root", type=click.Path(file_okay=False), default=None,
                        help="local-files mode: Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT, "
                             "a parent of the image root (default: the image root's parent).")(func)
    func = click.option("--image-base-url", default=None,
                        help="serve mode: where `semclust serve --images-only` runs, "
                             "e.g. http://localhost:5001.")(func)
    return click.option("--image-url-mode", type=click.Choice(["local-files", "serve"]),
                        default="local-files", show_default=True,
                        help="How Label Studio finds the images: its own local-files serving, "
                             "or our `semclust serve --images-only`.")(func)


@click.group("labelstudio")
def labelstudio() -> None:
    """Collect pair ratings and matches in a Label Studio server instead of our app.

    \b
    Example:
      semclust labelstudio export --study studies/demo --task pairs --out ls-pairs/
      export LABEL_STUDIO_API_KEY=...   # Label Studio: Account & Settings > Access Token
      semclust labelstudio push --study studies/demo --task pairs --url http://localhost:8080
      semclust labelstudio pull --study studies/demo --task pairs --url http://localhost:8080
    See docs/label-studio.md.
    """


@labelstudio.command("export")
@_study
@_task
@_clustering
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for config.xml and tasks.json.")
@_image_options
def export_command(study, task, clustering_id, out_dir, image_url_mode, image_base_url,
                   document_root):
    """Write a labeling config and a tasks JSON to import into Label Studio by hand.

    \b
    Example:
      semclust labelstudio export --study studies/demo --task sets --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 --out ls-sets/
    """
    from semclust.annotate import labelstudio as ls
    url = ls.image_url_builder(study, image_url_mode, image_base_url, document_root)
    paths = ls.export(study, task, clustering_id, out_dir, url)
    for what, path in paths.items():
        click.echo(f"{what}: {path}")


@labelstudio.command("push")
@_study
@_task
@_clustering
@_url
@_key_env
@_project
@_image_options
@needs("labelstudio")
def push_command(study, task, clustering_id, url, api_key_env, project_id, image_url_mode,
                 image_base_url, document_root):
    """Create (or find) the study's project in Label Studio and import the missing tasks.

    \b
    Example:
      semclust labelstudio push --study studies/demo --task pairs --url http://localhost:8080
    """
    from semclust.annotate import labelstudio as ls
    from semclust.annotate import labelstudio_api as api
    image_url = ls.image_url_builder(study, image_url_mode, image_base_url, document_root)
    client = api.connect(url, key_env=api_key_env)
    folder = (ls.local_files_storage_path(study, document_root)
              if image_url_mode == "local-files" else None)
    result = api.push(client, study, task, clustering_id, image_url, folder, project_id)
    click.echo(f"project {result['project']} {result['title']!r}: imported {result['imported']} "
               f"task(s), {result['already']} already there")


@labelstudio.command("pull")
@_study
@_task
@_clustering
@_url
@_key_env
@_project
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="CSV to write (default: exports/labelstudio-ratings.csv or "
                   "exports/labelstudio-matches.csv in the study).")
@needs("labelstudio")
def pull_command(study, task, clustering_id, url, api_key_env, project_id, out_path):
    """Export the project's annotations and write them as our ratings or matches rows.

    Rewrites the output file from the server's current state (so pulling twice
    gives the same file). Skipped or cancelled annotations are reported, not counted.

    \b
    Example:
      semclust labelstudio pull --study studies/demo --task pairs --url http://localhost:8080
    """
    from semclust.annotate import labelstudio_api as api
    client = api.connect(url, key_env=api_key_env)
    frames, report = api.pull(client, study, task, clustering_id, project_id)
    name = "ratings" if task == "pairs" else "matches"
    out = Path(out_path) if out_path else study.exports_dir / f"labelstudio-{name}.csv"
    write_export_csv(out, frames[name])
    click.echo(f"project {report['project']}: {report['tasks']} task(s), {report['annotations']} "
               f"annotation(s) -> {len(frames[name])} {name} row(s) in {out}")
    if len(frames.get("comments", ())):
        comments = out.with_name(out.stem + "-comments.csv")
        write_export_csv(comments, frames["comments"])
        click.echo(f"{len(frames['comments'])} comment(s) in {comments}")
    if report["skipped"]:
        who = ", ".join(f"{item} by {coder}" for item, coder in report["skipped"][:10])
        click.echo(f"{len(report['skipped'])} skipped/cancelled annotation(s), not counted: {who}"
                   + (" ..." if len(report["skipped"]) > 10 else ""), err=True)
    if report["incomplete"]:
        click.echo(f"{report['incomplete']} answer(s) left empty, not counted", err=True)
    if report["superseded"]:
        click.echo(f"{report['superseded']} older duplicate annotation(s) ignored (latest kept)",
                   err=True)


commands = [labelstudio]
