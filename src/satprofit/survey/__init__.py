"""Survey measurement and path models between constructs (a model layer beside causal and bayes).

A :class:`SurveySpec` (YAML, :func:`load_spec`) maps constructs to the item columns that measure
them and states the structural paths; :func:`read_survey` reads and checks the responses;
:func:`measure` gives reliability and validity per construct (Cronbach's alpha, composite
reliability, AVE, loadings, HTMT) with warnings; :func:`fit_pls` fits the PLS path model with
bootstrap intervals; :func:`survey_key_drivers` / :func:`key_drivers` split an outcome's
R-squared among its drivers (relative weights, Shapley) and say which drivers' effects a question
measures (:mod:`satprofit.survey.drivers`); :func:`portfolio_scores` gives 0-100 construct
scores of a portfolio's respondents. Imports only from io, features, questions and constants.
"""

from satprofit.survey.data import (
    SurveyData,
    SurveyDataError,
    check_items,
    read_portfolio_survey,
    read_survey,
    wide_items,
)
from satprofit.survey.drivers import KeyDrivers, causal_labels, key_drivers, survey_key_drivers
from satprofit.survey.measurement import MeasurementResult, measure
from satprofit.survey.pls import PLSConvergenceError, PLSPathModel, PLSResult, fit_pls
from satprofit.survey.scores import PortfolioScores, construct_scores, portfolio_scores
from satprofit.survey.spec import (
    QUESTION_OUTCOMES,
    SHIPPED_SPECS,
    Construct,
    SpecError,
    SurveySpec,
    load_spec,
)

__all__ = [
    "QUESTION_OUTCOMES",
    "SHIPPED_SPECS",
    "Construct",
    "KeyDrivers",
    "PortfolioScores",
    "MeasurementResult",
    "PLSConvergenceError",
    "PLSPathModel",
    "PLSResult",
    "SpecError",
    "SurveyData",
    "SurveyDataError",
    "SurveySpec",
    "causal_labels",
    "check_items",
    "construct_scores",
    "fit_pls",
    "key_drivers",
    "load_spec",
    "measure",
    "portfolio_scores",
    "read_portfolio_survey",
    "read_survey",
    "survey_key_drivers",
    "wide_items",
]
