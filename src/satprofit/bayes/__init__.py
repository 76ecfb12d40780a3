"""Stage 3b: Bayesian models (PyMC) with partial pooling, their convergence gate, and the
what-if engine."""

from satprofit.bayes.base import BayesModel, BayesResult, ConvergenceWarning, convergence
from satprofit.bayes.fits import MODELS, PortfolioFit, fit_models
from satprofit.bayes.path import path_draws, path_effects
from satprofit.bayes.repeat import RepeatBusinessModel, repeat_data
from satprofit.bayes.satisfaction import SatisfactionModel, satisfaction_data
from satprofit.bayes.scenario import LEVERS, ScenarioResult, forecastable_clients, scenario

__all__ = [
    "LEVERS",
    "MODELS",
    "BayesModel",
    "BayesResult",
    "ConvergenceWarning",
    "PortfolioFit",
    "RepeatBusinessModel",
    "SatisfactionModel",
    "ScenarioResult",
    "convergence",
    "fit_models",
    "forecastable_clients",
    "path_draws",
    "path_effects",
    "repeat_data",
    "satisfaction_data",
    "scenario",
]
