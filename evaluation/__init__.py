"""semclust evaluation: agreement, cluster quality, interpretability, report.

The statistics work on DataFrames of ratings collected anywhere (``docs/library.md``)::

    from semclust.evaluation import agreement_by_dimension, quality_scores, interpretability
"""
from semclust.evaluation.agreement import (
    agreement_by_dimension,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from semclust.evaluation.interpretability import interpretability
from semclust.evaluation.quality import pair_f1, quality_scores

__all__ = ["agreement_by_dimension", "cohen_kappa", "fleiss_kappa", "interpretability", "krippendorff_alpha",
           "pair_f1", "quality_scores"]
