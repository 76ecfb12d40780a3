"""Survey measurement and path models between constructs (a model layer beside causal and bayes).

A :class:`SurveySpec` (YAML, :func:`load_spec`) maps constructs to the item columns that measure
them and states the structural paths; :func:`read_survey` reads and checks the responses;
:func:`measure` gives reliability and validity per construct (Cronbach's alpha, composite
reliability, AVE, loadings, HTMT) with warnings; :func:`fit_pls` fits the PLS path model with
bootstrap intervals; :func:`fit_bayes_paths` the Bayesian multilevel ordinal path model (latent
constructs, ordinal items, respondents nested in clients; :mod:`satprofit.survey.bayes_paths`);
:func:`survey_key_drivers` / :func:`key_drivers` split an outcome's
R-squared among its drivers (relative weights, Shapley) and say which drivers' effects a question
measures (:mod:`satprofit.survey.drivers`); :func:`portfolio_scores` gives 0-100 construct
scores of a portfolio's respondents; :func:`nps_summary`, :func:`pooled_nps` and the
``compare_*`` functions give NPS with intervals (Dirichlet-multinomial, partial pooling per
client, role weights, P(NPS rose); :mod:`satprofit.survey.nps`). Imports only from io,
features, questions and constants.
"""

from satprofit.survey.bayes_model import BayesPathDataError
from satprofit.survey.bayes_paths import (
    BayesPathConvergenceWarning,
    BayesPathResult,
    PathSampler,
    fit_bayes_paths,
)
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
from satprofit.survey.nps import (
    NPSComparison,
    NPSResult,
    client_trend,
    compare_groups,
    compare_last_periods,
    compare_periods,
    nps_summary,
    pooled_nps,
)
from satprofit.survey.nps_data import NoNPSAnswers, NPSData, NPSDataError, nps_data
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
    "BayesPathConvergenceWarning",
    "BayesPathDataError",
    "BayesPathResult",
    "PathSampler",
    "fit_bayes_paths",
    "QUESTION_OUTCOMES",
    "SHIPPED_SPECS",
    "Construct",
    "KeyDrivers",
    "PortfolioScores",
    "MeasurementResult",
    "NPSComparison",
    "NPSData",
    "NPSDataError",
    "NPSResult",
    "NoNPSAnswers",
    "PLSConvergenceError",
    "PLSPathModel",
    "PLSResult",
    "SpecError",
    "SurveyData",
    "SurveyDataError",
    "SurveySpec",
    "causal_labels",
    "check_items",
    "client_trend",
    "compare_groups",
    "compare_last_periods",
    "compare_periods",
    "construct_scores",
    "fit_pls",
    "key_drivers",
    "load_spec",
    "measure",
    "nps_data",
    "nps_summary",
    "pooled_nps",
    "portfolio_scores",
    "read_portfolio_survey",
    "read_survey",
    "survey_key_drivers",
    "wide_items",
]
