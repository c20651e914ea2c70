"""User YAML files cannot blow up memory or the terminal (issue 18, item 6).

A few hundred bytes of anchors and aliases expand into gigabytes ("billion laughs"); semclust's
files need no aliases, so every reader refuses them with one line, fast. Any error line is capped.
"""
from __future__ import annotations

import time

import pytest

from semclust.study import Study, UserError
from semclust.yamlfile import MAX_YAML_DEPTH, brief, load_yaml

LAUGHS = "\n".join(["a: &a [" + ", ".join(['"lol"'] * 9) + "]"] +
                   [f"{chr(98 + k)}: &{chr(98 + k)} [" + ", ".join([f"*{chr(97 + k)}"] * 9) + "]"
                    for k in range(8)])  # 9^9 = 387 million strings from ~340 bytes


def bomb_list() -> str:
    """A classes.yaml (a list) whose last item expands to 9^8 names."""
    lines = ["- &a [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"- &{chr(98 + k)} [" + ", ".join([f"*{chr(97 + k)}"] * 9) + "]" for k in range(7)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def study(tmp_path) -> Study:
    (tmp_path / "images").mkdir()
    return Study.create(tmp_path / "study", tmp_path / "images")


def bomb_definition() -> str:
    """A classes.yaml whose one class has a definition that expands to 9^8 strings: a reader that
    expands aliases quotes it whole in its error message (gigabytes)."""
    levels = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"{chr(98 + k)}: &{chr(98 + k)} [" + ", ".join([f"*{chr(97 + k)}"] * 9) + "]" for k in range(7)]
    return "- name: lol\n  definition: {" + ", ".join(levels) + "}\n"


@pytest.mark.parametrize("text", [bomb_list(), bomb_definition()], ids=["list-of-lists", "definition"])
def test_an_alias_bomb_in_classes_yaml_is_refused_fast_with_one_line(run_cli, study, tmp_path, text):
    path = tmp_path / "classes.yaml"
    path.write_text(text)
    assert len(path.read_bytes()) < 400
    start = time.perf_counter()
    result = run_cli("classify", "text", "--study", study.root, "--classes", path, "--embedding", "none")
    assert time.perf_counter() - start < 10
    assert result.exit_code == 2 and "aliases" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_alias_bomb_in_study_yaml_gives_a_short_error_line(run_cli, study):
    study.config_path.write_text(study.config_path.read_text() + LAUGHS + "\nserve:\n  port: *i\n")
    result = run_cli("people", "add", "Dana", "--role", "coder", "--study", study.root)
    assert result.exit_code == 2 and "aliases" in result.stderr
    assert len(result.stderr) < 1200 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, text", [
    ("grid.yaml", "reductions: &r [{method: pca, n_components: 5}]\nclusterers: *r\n"),
    ("space.space.yaml", "reductions: &r {}\nclusterers: *r\n"),
])
def test_grid_and_search_files_with_aliases_are_refused(tmp_path, name, text):
    from semclust.pipeline.gridfile import read_yaml_mapping

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UserError, match="aliases"):
        read_yaml_mapping(path, {"reductions", "clusterers"})


def test_deep_nesting_and_huge_files_are_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * (MAX_YAML_DEPTH + 5) + "]" * (MAX_YAML_DEPTH + 5))
    with pytest.raises(UserError, match="nested"):
        load_yaml(deep)
    huge = tmp_path / "huge.yaml"
    huge.write_text("a: " + "x" * 2_000_000)
    with pytest.raises(UserError, match="bytes"):
        load_yaml(huge)


def test_ordinary_yaml_still_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: demo\nserve: {host: 127.0.0.1, port: 8080}\nlist: [1, 2, {a: b}]\n")
    assert load_yaml(path) == {"name": "demo", "serve": {"host": "127.0.0.1", "port": 8080},
                               "list": [1, 2, {"a": "b"}]}


def test_a_huge_value_in_an_error_is_cut(run_cli, study):
    study.config_path.write_text(study.config_path.read_text() + f"serve:\n  port: '{'9' * 400_000}'\n")
    result = run_cli("people", "add", "Dana", "--role", "coder", "--study", study.root)
    assert result.exit_code == 2 and len(result.stderr) < 1200
    assert brief("y" * 1000).endswith("(1002 characters)")


def test_every_cli_error_line_is_capped():
    from semclust.cli import MAX_ERROR_CHARS, error_line

    line = error_line(UserError("x" * 50_000 + "\nsecond line"))
    assert "\n" not in line and len(line) < MAX_ERROR_CHARS + 60 and "more characters cut" in line


@pytest.mark.parametrize("value", ["9" * 5000, "2026-02-30"], ids=["int-of-5000-digits", "impossible-date"])
def test_a_scalar_python_cannot_build_is_one_line(run_cli, study, value):
    study.config_path.write_text(study.config_path.read_text() + f"serve:\n  port: {value}\n")
    result = run_cli("people", "add", "Dana", "--role", "coder", "--study", study.root)
    assert result.exit_code == 2 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 600


def test_brief_of_a_huge_or_deep_value_is_short_and_cheap():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    wide = {f"k{i}": list(range(1000)) for i in range(1000)}
    for value in (deep, wide, 10 ** 5000, "z" * 10_000_000):
        start = time.perf_counter()
        assert len(brief(value)) < 250
        assert time.perf_counter() - start < 1
