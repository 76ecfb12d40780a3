"""Everything the client report shows, computed from a fitted run and one client id.

The report is for the client's executive, so it holds this client's figures and, as the only
view of anyone else, portfolio *benchmarks*: medians and quartiles over at least
``min_benchmark_clients`` other clients (fewer, and the benchmark is left out with a sentence
saying so). No other client's name, id or own figure is ever returned.

Each section is a function returning a small dataclass of tables (``build_*``), a figure function
(``plot_*``, returns a matplotlib figure or None) and a function returning the section's display
blocks (``*_blocks``), so a notebook cell is one line: ``show(client.metrics_blocks(report))``.
:func:`build_client_report` computes every section at once.

Sections, one module each: ``profile`` (who the client is, the title, the executive summary),
``metrics`` (the article's metrics over time), ``delivery`` (delivery quality and escalations),
``satisfaction`` (the trend), ``nps`` (Net Promoter Score with interval and trend),
``survey_scores`` (the detailed survey's construct scores), ``drivers`` (what drives
satisfaction, labelled measured effect or association), ``what_if`` (scenarios in currency),
``methods`` (the appendix). Helpers they share are in :mod:`satprofit.reporting.common`;
this module assembles the report and keeps every public name the template and tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from satprofit.reporting.client.delivery import (
    DeliveryQuality,
    build_delivery,
    delivery_blocks,
    plot_delivery,
)
from satprofit.reporting.client.drivers import (
    ASSOCIATIONAL_LABEL,
    CAUSAL_LABEL,
    DRIVERS,
    LABELS_NOTE,
    MEDIATOR_NOTE,
    QUADRANTS,
    Driver,
    Drivers,
    build_drivers,
    drivers_blocks,
    plot_drivers,
)
from satprofit.reporting.client.methods import Methods, build_methods, methods_blocks
from satprofit.reporting.client.metrics import (
    MetricsComparison,
    build_metrics,
    metrics_blocks,
    plot_metrics,
)
from satprofit.reporting.client.nps import (
    MIN_NPS_ANSWERS,
    ClientNPS,
    build_nps,
    nps_blocks,
    plot_nps_trend,
)
from satprofit.reporting.client.profile import (
    ClientProfile,
    client_profile,
    executive_summary,
    report_title,
    summary_blocks,
    title_blocks,
)
from satprofit.reporting.client.satisfaction import (
    MIN_RESPONSES,
    SatisfactionTrend,
    build_satisfaction,
    plot_satisfaction,
    satisfaction_blocks,
)
from satprofit.reporting.client.survey_scores import (
    MIN_SCORE_RESPONDENTS,
    SurveyScores,
    build_survey_scores,
    plot_survey_scores,
    survey_scores_blocks,
)
from satprofit.reporting.client.what_if import (
    SCENARIOS,
    WhatIf,
    build_what_if,
    plot_what_if,
    what_if_blocks,
)
from satprofit.reporting.common import (
    CLIENT_ESTIMANDS,
    NOT_CONVERGED,
    RECENT_DAYS,
    Benchmark,
    benchmark,
    client_levels,
    data_range,
    model_rows,
    not_converged,
    question_rows,
    status_text,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

__all__ = [
    "ASSOCIATIONAL_LABEL",
    "CAUSAL_LABEL",
    "LABELS_NOTE",
    "MEDIATOR_NOTE",
    "MIN_SCORE_RESPONDENTS",
    "CLIENT_ESTIMANDS",
    "DRIVERS",
    "MIN_NPS_ANSWERS",
    "MIN_RESPONSES",
    "NOT_CONVERGED",
    "QUADRANTS",
    "RECENT_DAYS",
    "SCENARIOS",
    "Benchmark",
    "ClientNPS",
    "ClientProfile",
    "ClientReport",
    "DeliveryQuality",
    "Driver",
    "Drivers",
    "Methods",
    "MetricsComparison",
    "SatisfactionTrend",
    "SurveyScores",
    "WhatIf",
    "benchmark",
    "build_client_report",
    "build_delivery",
    "build_drivers",
    "build_methods",
    "build_nps",
    "build_metrics",
    "build_satisfaction",
    "build_survey_scores",
    "build_what_if",
    "client_levels",
    "client_profile",
    "data_range",
    "delivery_blocks",
    "drivers_blocks",
    "executive_summary",
    "methods_blocks",
    "metrics_blocks",
    "model_rows",
    "not_converged",
    "nps_blocks",
    "plot_delivery",
    "plot_drivers",
    "plot_metrics",
    "plot_nps_trend",
    "plot_satisfaction",
    "plot_survey_scores",
    "plot_what_if",
    "question_rows",
    "report_title",
    "satisfaction_blocks",
    "status_text",
    "summary_blocks",
    "survey_scores_blocks",
    "title_blocks",
    "what_if_blocks",
]

# --------------------------------------------------------------------------- the whole report


@dataclass
class ClientReport:
    """Every section of one client's report."""

    profile: ClientProfile
    metrics: MetricsComparison
    delivery: DeliveryQuality
    satisfaction: SatisfactionTrend
    survey_scores: SurveyScores
    drivers: Drivers
    what_if: WhatIf
    methods: Methods
    converged: bool
    seed: int
    min_clients: int
    summary: list[str] = field(default_factory=list)
    nps: ClientNPS | None = None


def build_client_report(
    run, client_id: str, *, seed: int, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> ClientReport:
    """Compute every section of the client report.

    Parameters
    ----------
    run : satprofit.runs.Run
        A saved run (``satprofit fit``); nothing is refitted.
    client_id : str
        As in the data (any text).
    seed : int
        Seed of the what-if draws.
    min_clients : int
        Fewest other clients behind any benchmark.

    Returns
    -------
    ClientReport

    Raises
    ------
    KeyError
        The client is not in the run's portfolio.
    """
    kw = {"min_clients": min_clients}
    rep = ClientReport(
        profile=client_profile(run, client_id),
        metrics=build_metrics(run, client_id, **kw),
        delivery=build_delivery(run, client_id, **kw),
        satisfaction=build_satisfaction(run, client_id, **kw),
        nps=build_nps(run, client_id, seed=seed, **kw),
        survey_scores=build_survey_scores(run, client_id, **kw),
        drivers=build_drivers(run, client_id, **kw),
        what_if=build_what_if(run, client_id, seed=seed),
        methods=build_methods(run, client_id, seed=seed, min_clients=min_clients),
        converged=run.fit.converged,
        seed=seed,
        min_clients=min_clients,
    )
    rep.summary = executive_summary(rep)
    return rep
