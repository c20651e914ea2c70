"""Each piece of vocabulary is defined once, in semclust/vocabulary.py, and used from there."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from semclust import vocabulary

REPO = Path(__file__).resolve().parents[1]
PACKAGE_FILES = sorted(p for folder in ("pipeline", "annotate", "evaluation", "semclust")
                       for p in (REPO / folder).rglob("*.py"))
OWNED = {"DIMENSIONS", "DIMENSION_NAMES", "SCALE", "SCALE_POINTS", "ROUNDS", "INDEPENDENT_ROUND",
         "CONSENSUS_ROUND", "NOISE", "DEFAULT_N_KEYWORDS", "CANNOT_JUDGE"}


def _assigned_names(tree: ast.AST):
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Name):
                yield target.id, node.lineno


@pytest.mark.parametrize("path", [p for p in PACKAGE_FILES if p.name != "vocabulary.py"],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_redefines_the_vocabulary(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    redefined = [f"{name} (line {line})" for name, line in _assigned_names(tree) if name in OWNED]
    assert not redefined, f"{path.name} defines {redefined}: import it from semclust.vocabulary"
    literal_scales = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Tuple)
                      and [getattr(e, "value", None) for e in node.elts] == list(vocabulary.SCALE_POINTS)]
    assert not literal_scales, f"{path.name} spells the scale out at lines {literal_scales}"


def test_vocabulary_values_match_the_reference_study():
    assert vocabulary.SCALE_POINTS == (0, 1, 2)
    assert vocabulary.DIMENSION_NAMES == ("denotative", "connotative")
    assert vocabulary.ROUNDS == ("independent", "consensus")
    assert vocabulary.NOISE == -1
    assert vocabulary.DEFAULT_N_KEYWORDS == 7
