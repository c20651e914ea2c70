"""Agreement statistics reproduce published worked examples (evaluation/agreement.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.evaluation.agreement import (
    agreement_by_dimension,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from semclust.study import UserError

NAN = np.nan

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", section C
# (4 observers x 12 units, values 1..5, with missing data). Published: nominal .743,
# ordinal .815, interval .849, ratio .797. The same matrix and values appear in the
# krippendorff package's docstring and tests/test_krippendorff.py (pln-fing-udelar/
# fast-krippendorff: nominal 0.743, ordinal 0.815, ratio 0.797).
KRIPPENDORFF_2011 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
                     [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]

# Fleiss, J. L. (1971). "Measuring nominal scale agreement among many raters",
# Psychological Bulletin 76(5), 378-382: 30 patients, 6 psychiatrists, 5 diagnoses;
# kappa = .430. Raw data as distributed in R's irr package (`diagnoses`,
# kappam.fleiss -> 0.4302445) and statsmodels' test_inter_rater.py.
FLEISS_1971 = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
               [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
               [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
               [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
               [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
               [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
               [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
               [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]

# R irr's `anxiety` data, raters 2 and 3 (20 subjects, scale 1..6, level 5 unused);
# irr::kappa2 gives unweighted -0.006289308, "equal" (linear) 0.1459075, "squared"
# (quadratic) 0.2520325, with weights over the 5 levels observed (1, 2, 3, 4, 6), as
# reproduced in statsmodels' test_inter_rater.py::test_cohens_kappa_irr.
ANXIETY_2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


def long_ratings(matrix, dimension="connotative", coders=None) -> pd.DataFrame:
    """A coders x items matrix (NaN = missing) as ratings rows."""
    coders = coders or [f"c{i}" for i in range(len(matrix))]
    return pd.DataFrame([{"item_id": f"u{j:02d}", "coder": coders[i], "dimension": dimension,
                          "score": value}
                         for i, row in enumerate(matrix) for j, value in enumerate(row)])


def table_to_scores(table):
    """A rater A (rows) x rater B (columns) count table as two score vectors."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return a, b


@pytest.mark.parametrize("level, published", [("nominal", 0.743), ("ordinal", 0.815),
                                              ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_matches_krippendorff_2011_example_with_missing_data(level, published):
    value, note = krippendorff_alpha(KRIPPENDORFF_2011, scale=range(1, 6), level=level)
    assert round(value, 3) == published and note is None
    result = agreement_by_dimension(long_ratings(KRIPPENDORFF_2011), scale=range(1, 6),
                                    level=level)
    assert round(result["connotative"]["krippendorff_alpha"], 3) == published
    assert result["connotative"]["n_items"] == 12 and result["connotative"]["n_coders"] == 4


def test_cohen_kappa_matches_wikipedia_50_proposals_example():
    # Wikipedia, "Cohen's kappa", simple example: yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a, b = table_to_scores([[20, 5], [10, 15]])
    value, note = cohen_kappa(a, b, scale=(0, 1))
    assert value == pytest.approx(0.4) and note is None


def test_cohen_kappa_matches_sas_agreement_example_unweighted_and_linear():
    # SAS/STAT PROC FREQ AGREE printout for the 3x3 table [[0,4,1],[0,8,0],[0,1,5]]:
    # simple kappa 0.4842, weighted kappa (Cicchetti-Allison = linear) 0.4701;
    # reproduced in statsmodels' test_inter_rater.py (UnweightedCohens, TestWeightedCohens).
    a, b = table_to_scores([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert round(cohen_kappa(a, b, (0, 1, 2))[0], 4) == 0.4842
    assert round(cohen_kappa(a, b, (0, 1, 2), weights="linear")[0], 4) == 0.4701


@pytest.mark.parametrize("weights, published", [(None, -0.006289308), ("linear", 0.1459075),
                                                ("quadratic", 0.2520325)])
def test_weighted_kappa_matches_irr_anxiety_example(weights, published):
    value, _ = cohen_kappa(ANXIETY_2, ANXIETY_3, scale=(1, 2, 3, 4, 6), weights=weights)
    assert value == pytest.approx(published, abs=1e-6)


def test_weighted_kappa_counts_unused_categories_of_the_scale():
    # irr drops the unused level 5; on the whole scale 1..6 the weights differ.
    on_observed = cohen_kappa(ANXIETY_2, ANXIETY_3, (1, 2, 3, 4, 6), "quadratic")[0]
    on_scale = cohen_kappa(ANXIETY_2, ANXIETY_3, range(1, 7), "quadratic")[0]
    assert on_scale != pytest.approx(on_observed, abs=1e-3)
    result = agreement_by_dimension(long_ratings([ANXIETY_2, ANXIETY_3]), scale=range(1, 7))
    assert result["connotative"]["weighted_kappa"]["quadratic"]["c0|c1"] == pytest.approx(on_scale)


def test_fleiss_kappa_matches_fleiss_1971_psychiatric_diagnoses():
    result = agreement_by_dimension(long_ratings(np.array(FLEISS_1971).T.tolist()),
                                    scale=range(1, 6), level="nominal")
    stats = result["connotative"]
    assert round(stats["fleiss_kappa"], 3) == 0.430 and stats["fleiss_kappa_note"] is None
    assert stats["fleiss_kappa"] == pytest.approx(0.4302445, abs=1e-7)
    assert len(stats["cohen_kappa"]) == 15  # 6 coders -> 15 pairs


def test_fleiss_kappa_matches_wikipedia_worked_example():
    # Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters -> 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert round(fleiss_kappa(table), 3) == 0.210


def test_fleiss_kappa_is_null_with_note_when_items_have_unequal_ratings():
    stats = agreement_by_dimension(long_ratings(KRIPPENDORFF_2011), scale=range(1, 6))
    assert stats["connotative"]["fleiss_kappa"] is None
    assert "unequal" in stats["connotative"]["fleiss_kappa_note"]


def test_percent_agreement_averages_agreeing_pairs_per_item():
    # item 1: 3 coders agree (3/3 pairs); item 2: 1 of 3 pairs; item 3: one rating only.
    assert percent_agreement([[1, 1, 0], [1, 1, NAN], [1, 2, NAN]]) == pytest.approx((1 + 1 / 3) / 2)


def test_agreement_json_has_exactly_the_issue_keys():
    ratings = long_ratings([[0, 1, 2, 2, 1], [0, 1, 2, 1, 1]])
    stats = agreement_by_dimension(ratings, bootstrap=50, seed=1)["connotative"]
    assert set(stats) == {"n_items", "n_coders", "krippendorff_alpha", "alpha_ci95",
                          "percent_agreement", "cohen_kappa", "cohen_kappa_mean", "weighted_kappa",
                          "fleiss_kappa", "fleiss_kappa_note"}
    assert set(stats["weighted_kappa"]) == {"linear", "quadratic"}
    assert list(stats["cohen_kappa"]) == ["c0|c1"]
    json.dumps(stats, allow_nan=False)


def test_agreement_undefined_values_are_null_with_notes_not_nan():
    one_coder = long_ratings([[0, 1, 2]])
    stats = agreement_by_dimension(one_coder, bootstrap=20)["connotative"]
    assert stats["krippendorff_alpha"] is None and "two coders" in stats["krippendorff_alpha_note"]
    assert stats["cohen_kappa"] == {} and stats["cohen_kappa_mean"] is None
    assert stats["cohen_kappa_note"]
    no_variation = agreement_by_dimension(long_ratings([[1, 1, 1], [1, 1, 1]]))["connotative"]
    assert no_variation["krippendorff_alpha"] is None
    assert no_variation["cohen_kappa"] == {"c0|c1": None}
    assert no_variation["fleiss_kappa"] is None and no_variation["fleiss_kappa_note"]
    assert no_variation["percent_agreement"] == 1.0
    json.dumps([stats, no_variation], allow_nan=False)


def test_alpha_bootstrap_interval_is_reproducible_and_brackets_alpha():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 80)
    noisy = np.where(rng.random(80) < 0.3, rng.integers(0, 3, 80), truth)
    ratings = long_ratings([truth.tolist(), noisy.tolist()])
    first = agreement_by_dimension(ratings, bootstrap=300, seed=7)["connotative"]
    again = agreement_by_dimension(ratings, bootstrap=300, seed=7)["connotative"]
    other = agreement_by_dimension(ratings, bootstrap=300, seed=8)["connotative"]
    low, high = first["alpha_ci95"]
    assert low < first["krippendorff_alpha"] < high
    assert first["alpha_ci95"] == again["alpha_ci95"] != other["alpha_ci95"]


def test_agreement_uses_independent_round_and_filters_phase():
    ratings = pd.concat([
        long_ratings([[0, 1, 2], [0, 1, 2]]).assign(phase="1"),
        long_ratings([[2, 2, 2], [0, 0, 0]]).assign(phase="2", item_id=lambda f: f.item_id + "b"),
        long_ratings([[1, 1, 1]], coders=["both"]).assign(round="consensus", phase="1"),
    ], ignore_index=True)
    phase1 = agreement_by_dimension(ratings, phase="1")["connotative"]
    assert phase1["krippendorff_alpha"] == 1.0 and phase1["n_coders"] == 2
    pooled = agreement_by_dimension(ratings)["connotative"]
    assert pooled["n_items"] == 6 and pooled["krippendorff_alpha"] < 1
    with pytest.raises(UserError, match="phase=3"):
        agreement_by_dimension(ratings, phase="3")


def test_agreement_reports_every_dimension_in_the_file():
    ratings = pd.concat([long_ratings([[0, 1], [0, 1]], "denotative"),
                         long_ratings([[0, 2], [2, 0]], "connotative")])
    assert list(agreement_by_dimension(ratings)) == ["denotative", "connotative"]
