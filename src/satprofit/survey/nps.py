"""Net Promoter Score with honest intervals: per group, per client with partial pooling,
weighted by respondent role, and compared between periods or groups.

NPS is the share of promoters (9-10) minus the share of detractors (0-6), in points from -100
to 100. The maths (Dirichlet posteriors, Kish weights, the hierarchical Dirichlet-multinomial
and how it is fitted) is in :mod:`satprofit.survey.nps_core`; the data checks in
:mod:`satprofit.survey.nps_data`.

* :func:`nps_summary`: one Dirichlet posterior per group (the portfolio, a segment, a period):
  ``Dirichlet(prior + counts)``, prior Dirichlet(1, 1, 1) (``prior="uniform"``, the default) or
  Jeffreys' Dirichlet(1/2, 1/2, 1/2) (``prior="jeffreys"``) or any three positive numbers.
* :func:`pooled_nps`: per client, shrunk toward the client's segment (``clients.size_band`` by
  default) by the hierarchical Dirichlet-multinomial; reports ``n``, the raw NPS, the pooled NPS
  with its interval and the shrinkage weight ``kappa / (kappa + n)`` (0: the client's own
  answers, 1: its segment's).
* :func:`compare_periods`, :func:`compare_groups`, :func:`compare_last_periods`: posterior of
  ``NPS_b - NPS_a`` with its interval and ``P(NPS rose)``.
* :func:`client_trend`: one client's NPS per period (half-year by default), each client-period
  shrunk toward the portfolio's NPS of the same period, and ``P(rose)`` last vs previous period.

Every function takes ``seed`` (same seed, same numbers) and gives intervals at
:data:`satprofit.constants.INTERVAL_PROB`; results have ``.summary()`` (a DataFrame),
``.to_dict()`` (JSON-safe) and ``.plot()`` (:mod:`satprofit.survey.nps_plots`).

Modules: :mod:`~satprofit.survey.nps_groups` (per group, pooled per client),
:mod:`~satprofit.survey.nps_compare` (comparisons, trend), :mod:`~satprofit.survey.nps_results`
(result objects), :mod:`~satprofit.survey.nps_plots`, :mod:`~satprofit.survey.nps_core` (maths),
:mod:`~satprofit.survey.nps_data` (input checks); this module gathers the public names.
"""

from __future__ import annotations

from satprofit.survey.nps_compare import (
    client_trend,
    compare_groups,
    compare_last_periods,
    compare_periods,
    trend_fit,
)
from satprofit.survey.nps_groups import DEFAULT_DRAWS, nps_summary, pooled_nps
from satprofit.survey.nps_results import NPSComparison, NPSResult, NPSTrend

__all__ = [
    "DEFAULT_DRAWS",
    "NPSComparison",
    "NPSResult",
    "NPSTrend",
    "client_trend",
    "trend_fit",
    "compare_groups",
    "compare_last_periods",
    "compare_periods",
    "nps_summary",
    "pooled_nps",
]
