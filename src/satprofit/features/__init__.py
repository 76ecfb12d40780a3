"""Stage 2: pure functions from a validated :class:`~satprofit.io.Portfolio` to tidy tables.

- :func:`project_table`: one row per project (quality, escalations, engagement, satisfaction);
- :func:`client_panel`: one row per client and period, with leakage-free features and targets;
- :func:`business_unit_panel`: business unit by period, delivery leads and policies in force;
- :func:`question_table`: the analysis table of each question id of QUESTIONS.md.
"""

from satprofit.features.business_units import business_unit_panel, client_business_unit
from satprofit.features.indices import (
    DELIVERY_QUALITY_WEIGHTS,
    SALES_ENGAGEMENT_WEIGHTS,
    composite_index,
)
from satprofit.features.panel import DASHBOARD_METRICS, client_panel
from satprofit.features.periods import PeriodGrid
from satprofit.features.projects import project_table
from satprofit.features.questions import QuestionTable, client_covariates, question_table

__all__ = [
    "DASHBOARD_METRICS",
    "DELIVERY_QUALITY_WEIGHTS",
    "SALES_ENGAGEMENT_WEIGHTS",
    "PeriodGrid",
    "QuestionTable",
    "business_unit_panel",
    "client_business_unit",
    "client_covariates",
    "client_panel",
    "composite_index",
    "project_table",
    "question_table",
]
