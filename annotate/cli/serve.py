"""`semclust serve`: the annotation app (or only its image route) on a waitress server."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from semclust.extras import needs

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--study", "study_dir", required=True, type=click.Path(path_type=Path), help="Study folder.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. Only loopback unless you mean to expose the app.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads of the waitress server.")
@click.option("--images-only", is_flag=True,
              help="Serve only GET /images/<image_id>, without login (for Label Studio).")
@needs("app")
def serve(study_dir, host, port, threads, images_only):
    """Serve the annotation app of STUDY with waitress until Ctrl-C.

    Coders and evaluators open their personal links (`semclust people add`);
    the admin opens phases and exports at /admin. Every answer is committed to
    STUDY/annotations.sqlite before the browser is told it was saved.

    \b
    Example:
      semclust serve --study studies/demo
      semclust serve --study studies/demo --port 8081 --images-only
    """
    import waitress

    from semclust.annotate.app import create_app

    app = create_app(study_dir, images_only=images_only)
    if host not in LOOPBACK and not _is_loopback(host):
        click.echo(f"warning: binding {host}: the app is reachable from other machines", err=True)
    what = "images only (no login)" if images_only else "annotation app"
    click.echo(f"serving {what} of {app.config['STUDY']} on http://{host}:{port}/ (Ctrl-C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="semclust",
                   channel_timeout=60, connection_limit=200)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


commands = [serve]
