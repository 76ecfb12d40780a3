"""Survey measurement and path models between constructs (a model layer beside causal and bayes).

A :class:`SurveySpec` (YAML, :func:`load_spec`) maps constructs to the item columns that measure
them and states the structural paths; :func:`read_survey` reads and checks the responses;
:func:`measure` gives reliability and validity per construct (Cronbach's alpha, composite
reliability, AVE, loadings, HTMT) with warnings; :func:`fit_pls` fits the PLS path model with
bootstrap intervals. Imports only from io, features, questions and constants.
"""

from satprofit.survey.data import (
    SurveyData,
    SurveyDataError,
    check_items,
    read_portfolio_survey,
    read_survey,
    wide_items,
)
from satprofit.survey.measurement import MeasurementResult, measure
from satprofit.survey.pls import PLSConvergenceError, PLSPathModel, PLSResult, fit_pls
from satprofit.survey.spec import SHIPPED_SPECS, Construct, SpecError, SurveySpec, load_spec

__all__ = [
    "SHIPPED_SPECS",
    "Construct",
    "MeasurementResult",
    "PLSConvergenceError",
    "PLSPathModel",
    "PLSResult",
    "SpecError",
    "SurveyData",
    "SurveyDataError",
    "SurveySpec",
    "check_items",
    "fit_pls",
    "load_spec",
    "measure",
    "read_portfolio_survey",
    "read_survey",
    "wide_items",
]
