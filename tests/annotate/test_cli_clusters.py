"""`semclust clusters list` and the "did you mean" of a mistyped clustering id (on the app's test study)."""
from __future__ import annotations

from click.testing import CliRunner

from semclust.cli import cli, main
from support.app_study import CLUSTERING


def test_clusters_list_prints_a_table_and_csv(env):
    result = CliRunner().invoke(cli, ["clusters", "list", "--study", str(env.study.root)])
    assert result.exit_code == 0 and result.stdout.startswith("clustering")
    assert CLUSTERING in result.stdout
    as_csv = CliRunner().invoke(cli, ["clusters", "list", "--study", str(env.study.root), "--csv"])
    assert as_csv.exit_code == 0
    assert as_csv.stdout.splitlines()[0] == "clustering,n_clusters,noise_fraction,n_images"
    assert as_csv.stdout.splitlines()[1].startswith(f"{CLUSTERING},")


def test_mistyped_clustering_id_suggests_the_closest(env, capsys):
    assert main(["clusters", "show", "--study", str(env.study.root), "--clustering", CLUSTERING[:-1] + "x"]) == 2
    assert f"did you mean {CLUSTERING!r}?" in capsys.readouterr().err


def test_help_lists_commands_in_workflow_order_without_cut_summaries():
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    listing = result.stdout.split("Commands", 1)[1]
    names = [line.split()[0] for line in listing.splitlines()[1:] if line.startswith("  ") and line[2] != " "]
    order = ["ingest", "describe", "embed", "cluster", "sample", "people", "checks", "serve", "export",
             "agreement", "quality", "report"]
    assert [n for n in names if n in order] == order
    assert not any(line.rstrip().endswith("...") for line in listing.splitlines())
    for group in ("people", "checks"):
        sub = CliRunner().invoke(cli, [group, "--help"], terminal_width=80).stdout.split("Commands", 1)[1]
        assert not any(line.rstrip().endswith("...") for line in sub.splitlines())
