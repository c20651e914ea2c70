"""Lighter installs: the core works without the extras, and a command whose extra is missing says
which `pip install 'semclust[...]'` to run (exit 2, one line)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from semclust.extras import EXTRAS

ALL_OPTIONAL = sorted({m for modules in EXTRAS.values() for m in modules})

# Runs the CLI in a fresh interpreter in which the given modules cannot be imported, as in a
# venv without those extras; prints the exit status and which blocked modules got imported.
RUNNER = textwrap.dedent("""
    import json, sys
    blocked = set(json.loads(sys.argv[1]))

    class NotInstalled:  # a finder that answers "no such module" for the blocked names
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    from semclust.cli import main
    code = main(json.loads(sys.argv[2]))
    print("EXIT", code)
""")


def run_without(blocked, *args):
    return subprocess.run([sys.executable, "-c", RUNNER, json.dumps(list(blocked)),
                           json.dumps([str(a) for a in args])],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def ratings_file(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("item_id,coder,dimension,score\n" + "".join(
        f"p{i},{c},connotative,{(i + (c == 'b')) % 3}\n" for i in range(8) for c in "ab"))
    return path


def test_core_commands_work_with_no_extra_installed(ratings_file):
    result = run_without(ALL_OPTIONAL, "agreement", "--ratings", ratings_file, "--bootstrap", 0)
    assert "EXIT 0" in result.stdout, result.stderr
    assert "Krippendorff's alpha" in result.stdout
    assert "EXIT 0" in run_without(ALL_OPTIONAL, "--help").stdout


@pytest.mark.parametrize("extra, args", [
    ("app", ["serve", "--study", "{study}"]),
    ("pipeline", ["cluster", "--study", "{study}", "--grid", "demo"]),
    ("pipeline", ["embed", "--study", "{study}", "--from", "images"]),
    ("pipeline", ["describe", "--study", "{study}", "--backend", "hf", "--model", "x"]),
    ("pipeline", ["demo", "--no-serve", "--study", "{study}"]),
    ("labelstudio", ["labelstudio", "push", "--study", "{study}", "--task", "pairs",
                     "--url", "http://127.0.0.1:9"]),
])
def test_command_without_its_extra_exits_2_naming_the_install(tmp_path, extra, args):
    from semclust.study import Study

    study = Study.create(tmp_path / "study", tmp_path)
    result = run_without(EXTRAS[extra], *[a.format(study=study.root) for a in args])
    assert "EXIT 2" in result.stdout, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert f"pip install 'semclust[{extra}]'" in lines[0]
