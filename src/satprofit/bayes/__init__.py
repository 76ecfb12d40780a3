"""Stage 3b: Bayesian models (PyMC) with partial pooling, and their convergence gate."""

from satprofit.bayes.base import BayesModel, BayesResult, ConvergenceWarning, convergence
from satprofit.bayes.repeat import RepeatBusinessModel, repeat_data
from satprofit.bayes.satisfaction import SatisfactionModel, satisfaction_data

__all__ = [
    "BayesModel",
    "BayesResult",
    "ConvergenceWarning",
    "RepeatBusinessModel",
    "SatisfactionModel",
    "convergence",
    "repeat_data",
    "satisfaction_data",
]
