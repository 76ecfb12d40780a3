"""Everything the internal leadership report shows, computed from a fitted run.

For the firm's leadership, not for clients: every question's estimate by every method side by
side (causal estimators and the Bayesian posterior), the article's dashboard by delivery team and
business unit, the effect of the incentive policies and which unit adopted which policy when, and
the diagnostics behind the figures. It shows no client's name or figures (teams and business units
are the firm's own); text still goes through :mod:`satprofit.reporting.blocks`, escaped.

As for the client report, each section has a ``build_*`` function returning tables, a ``plot_*``
function returning a figure (or None) and a ``*_blocks`` function returning display blocks;
:func:`build_portfolio_report` computes everything at once. Sections, one module each:
``estimates`` (with the disagreements between methods), ``dashboards``, ``policy``,
``diagnostics``, ``survey`` (measurement and path model of a multi-item survey), ``overview`` (title, the portfolio at a glance, settings); shared helpers come
from :mod:`satprofit.reporting.common`, never from the client report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from satprofit.reporting.common import data_range
from satprofit.reporting.portfolio.dashboards import (
    DashboardTables,
    build_dashboards,
    dashboard_blocks,
    plot_dashboard,
)
from satprofit.reporting.portfolio.diagnostics import (
    Diagnostics,
    build_diagnostics,
    diagnostics_blocks,
)
from satprofit.reporting.portfolio.estimates import (
    build_disagreements,
    build_estimates,
    estimates_blocks,
    plot_estimates,
)
from satprofit.reporting.portfolio.overview import (
    overview_blocks,
    overview_table,
    settings_table,
    title_blocks,
)
from satprofit.reporting.portfolio.policy import (
    POLICY_QUESTION,
    PolicyEffects,
    build_policy,
    plot_policy,
    policy_blocks,
)
from satprofit.reporting.portfolio.survey import SurveySection, build_survey, survey_blocks

__all__ = [
    "POLICY_QUESTION",
    "DashboardTables",
    "Diagnostics",
    "PolicyEffects",
    "PortfolioReport",
    "SurveySection",
    "build_dashboards",
    "build_diagnostics",
    "build_disagreements",
    "build_estimates",
    "build_policy",
    "build_survey",
    "build_portfolio_report",
    "dashboard_blocks",
    "diagnostics_blocks",
    "estimates_blocks",
    "overview_blocks",
    "plot_dashboard",
    "plot_estimates",
    "plot_policy",
    "policy_blocks",
    "survey_blocks",
    "title_blocks",
]


# --------------------------------------------------------------------------- the whole report


@dataclass
class PortfolioReport:
    """Every section of the leadership report."""

    overview: pd.DataFrame
    period: str
    estimates: pd.DataFrame
    dashboards: DashboardTables
    policy: PolicyEffects
    diagnostics: Diagnostics
    converged: bool
    settings: pd.DataFrame
    disagreements: pd.DataFrame | None = None
    survey: SurveySection | None = None


def build_portfolio_report(run) -> PortfolioReport:
    """Compute every section of the leadership report from a saved run (nothing is refitted)."""
    start, end = data_range(run.portfolio)
    est = build_estimates(run)
    return PortfolioReport(
        overview=overview_table(run),
        period=f"{start.date()} to {end.date()}",
        estimates=est,
        dashboards=build_dashboards(run),
        policy=build_policy(run, est),
        diagnostics=build_diagnostics(run),
        converged=run.fit.converged,
        settings=settings_table(run),
        disagreements=build_disagreements(est),
        survey=build_survey(run),
    )
