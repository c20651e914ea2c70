"""Documentation is part of the product: every command and study file is documented."""
from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from semclust import cli as semclust_cli
from semclust import study as study_module

REPO = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text() for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])


def all_commands(group: click.Group = semclust_cli.cli, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from all_commands(command, path + " ")


COMMANDS = list(all_commands())


LEAVES = [(p, c) for p, c in COMMANDS if not isinstance(c, click.Group)]  # groups list subcommands


@pytest.mark.parametrize("path, command", LEAVES, ids=[p for p, _ in LEAVES])
def test_every_command_help_has_an_example(path, command):
    assert "Example" in (command.help or ""), f"`semclust {path} --help` shows no example"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_is_documented(path):
    assert f"semclust {path}" in DOCS, f"`semclust {path}` appears in neither README.md nor docs/"


def test_every_study_file_is_in_the_study_format_doc():
    doc = (REPO / "docs" / "study-format.md").read_text()
    layout = study_module.__doc__
    names = set(re.findall(r"^\s{4}(?:[\w<>./]*/)?([a-z_]+\.(?:yaml|csv|sqlite|jsonl|npy|json))", layout, re.M))
    names |= set(re.findall(r"^\s{4}(\.[a-z_]+)", layout, re.M))  # .secret_key, .blinding_key, .locks
    assert {".blinding_key", ".locks", "checks.csv", "comments.csv"} <= names
    names |= {"study.yaml", "images.csv", "labels.csv", "params.json", "keywords.csv", "summary.json",
              "pairs.csv", "pairs.json", "annotations.sqlite", "ratings.csv", "matches.csv", "index.html"}
    missing = sorted(n for n in names if n not in doc)
    assert not missing, f"docs/study-format.md does not describe {missing}"


def test_readme_opens_with_the_two_commands():
    head = (REPO / "README.md").read_text().split("\n\n", 3)[:3]
    assert "make demo" in "\n".join(head) and "make test" in "\n".join(head)
