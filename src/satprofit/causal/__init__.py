"""Stage 3a: causal estimation of the questions of QUESTIONS.md.

``estimate(portfolio, question_id, method=None)`` and ``estimate_all(portfolio)`` return
:class:`Estimates` of :class:`CausalEstimate` (estimate, interval, unit, method, adjustment set,
n, sensitivity). The domain DAG and back-door identification are in :mod:`.dag`; the estimators
are registered in :mod:`.estimators` (one small file each, adapting the implementations in
:mod:`.regression`, :mod:`.aipw`, :mod:`.mediation`, :mod:`.repeat`, :mod:`.did`); refutations
in :mod:`.refute`.
"""

from satprofit.causal.aipw import aipw, plot_overlap
from satprofit.causal.api import (
    DEFAULT_METHODS,
    METHODS,
    Estimates,
    compare_methods,
    estimate,
    estimate_all,
)
from satprofit.causal.dag import DESIGNS, domain_dag, draw_dag, identification_table, identify
from satprofit.causal.did import plot_event_study, staggered_did
from satprofit.causal.estimators import ESTIMATORS, Estimator
from satprofit.causal.mediation import mediation
from satprofit.causal.regression import naive, regression_adjustment
from satprofit.causal.results import (
    STATUSES,
    CausalEstimate,
    e_value,
    no_answer,
    robustness_value,
)

__all__ = [
    "DEFAULT_METHODS",
    "DESIGNS",
    "ESTIMATORS",
    "METHODS",
    "STATUSES",
    "CausalEstimate",
    "Estimator",
    "Estimates",
    "aipw",
    "compare_methods",
    "domain_dag",
    "draw_dag",
    "e_value",
    "estimate",
    "estimate_all",
    "identification_table",
    "identify",
    "mediation",
    "naive",
    "no_answer",
    "plot_event_study",
    "plot_overlap",
    "regression_adjustment",
    "robustness_value",
    "staggered_did",
]
