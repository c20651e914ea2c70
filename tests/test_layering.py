"""The stages depend on each other one way only, and meet in the study folder (issue 19).

pipeline -> annotate -> evaluation: pipeline imports neither annotate nor evaluation;
evaluation never imports annotate (its statistics work on ratings collected anywhere); annotate and
evaluation import nothing of pipeline; all three reach the study folder through ``semclust.study``.
Read from the source with ``ast``, imports inside functions included.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAGES = ("pipeline", "annotate", "evaluation")
FORBIDDEN = {"pipeline": ("semclust.annotate", "semclust.evaluation"),
             "annotate": ("semclust.pipeline",),
             "evaluation": ("semclust.annotate", "semclust.pipeline")}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_stage_downstream_of_it_nor_pipeline_internals(stage):
    problems = []
    for path in sorted((REPO / stage).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.startswith(FORBIDDEN[stage]):
                problems.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not problems, "\n".join(problems)


def test_the_study_folder_has_one_owner_at_the_root():
    assert (REPO / "semclust" / "study.py").is_file()
    assert not (REPO / "pipeline" / "study.py").exists()
    users = [p for stage in STAGES for p in (REPO / stage).rglob("*.py")
             if any(m == "semclust.study" for _, m in imported_modules(p))]
    assert len(users) > 20  # every stage reads and writes through it
