"""Stage 3b: Bayesian models (PyMC) with partial pooling, and their convergence gate."""

from satprofit.bayes.base import BayesModel, BayesResult, ConvergenceWarning, convergence
from satprofit.bayes.satisfaction import SatisfactionModel, satisfaction_data

__all__ = [
    "BayesModel",
    "BayesResult",
    "ConvergenceWarning",
    "SatisfactionModel",
    "convergence",
    "satisfaction_data",
]
