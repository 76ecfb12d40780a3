"""Stage 3a: causal estimation of the questions of QUESTIONS.md.

``estimate(portfolio, question_id, method=None)`` and ``estimate_all(portfolio)`` return
:class:`Estimates` of :class:`CausalEstimate` (estimate, interval, unit, method, adjustment set,
n, sensitivity). The domain DAG and back-door identification are in :mod:`.dag`; the estimators
are registered in :mod:`.estimators` (one small file each, adapting the implementations in
:mod:`.regression`, :mod:`.aipw`, :mod:`.mediation`, :mod:`.repeat`, :mod:`.did`); refutations
in :mod:`.refute`.
"""

from typing import TYPE_CHECKING

from satprofit.lazy import lazy_exports

if TYPE_CHECKING:
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

#: Where each public name lives: imported on first use, so importing one submodule (a
#: report kernel imports ``client``) does not import all the others (PEP 562).
_EXPORTS = {
    "aipw": "satprofit.causal.aipw",
    "plot_overlap": "satprofit.causal.aipw",
    "DEFAULT_METHODS": "satprofit.causal.api",
    "METHODS": "satprofit.causal.api",
    "Estimates": "satprofit.causal.api",
    "compare_methods": "satprofit.causal.api",
    "estimate": "satprofit.causal.api",
    "estimate_all": "satprofit.causal.api",
    "DESIGNS": "satprofit.causal.dag",
    "domain_dag": "satprofit.causal.dag",
    "draw_dag": "satprofit.causal.dag",
    "identification_table": "satprofit.causal.dag",
    "identify": "satprofit.causal.dag",
    "plot_event_study": "satprofit.causal.did",
    "staggered_did": "satprofit.causal.did",
    "ESTIMATORS": "satprofit.causal.estimators",
    "Estimator": "satprofit.causal.estimators",
    "mediation": "satprofit.causal.mediation",
    "naive": "satprofit.causal.regression",
    "regression_adjustment": "satprofit.causal.regression",
    "STATUSES": "satprofit.causal.results",
    "CausalEstimate": "satprofit.causal.results",
    "e_value": "satprofit.causal.results",
    "no_answer": "satprofit.causal.results",
    "robustness_value": "satprofit.causal.results",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)

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
