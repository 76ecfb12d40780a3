"""Defaults shared by several modules, kept in one place.

Changing a value here changes it everywhere: interval probability, seeds, the names of the
period and client dimensions, and the vocabularies fixed by the data contract. Questions and
estimands (ids, parts, units, titles) are specified in :mod:`satprofit.questions`.
"""

from __future__ import annotations

# Question and estimand ids and units are defined by the question specs of satprofit.questions;
# these three names are re-exported for modules not yet reading the specs (runs, bayes.fits,
# bayes.repeat, bayes.path, validation.causal_calibration). New code imports them from
# satprofit.questions.
from satprofit.questions import ESTIMAND_IDS as ESTIMAND_IDS
from satprofit.questions import ESTIMAND_UNITS as ESTIMAND_UNITS
from satprofit.questions import QUESTION_IDS as QUESTION_IDS

#: Default random seed for simulation, cross-fitting, bootstraps and MCMC.
DEFAULT_SEED: int = 20240601

#: Probability mass of the intervals reported everywhere (frequentist and Bayesian).
INTERVAL_PROB: float = 0.95
#: Its bounds as quantiles, ``(0.025, 0.975)`` (rounded: ``(1 - 0.95) / 2`` is
#: 0.025000000000000022 in floating point).
INTERVAL_QUANTILES: tuple[float, float] = (
    round((1 - INTERVAL_PROB) / 2, 12),
    round((1 + INTERVAL_PROB) / 2, 12),
)
#: Its label in text, ``"95%"``.
INTERVAL_LABEL: str = f"{100 * INTERVAL_PROB:g}%"
#: Its level in per cent, ``95`` (the ``level`` of interval texts).
INTERVAL_PERCENT: float = float(f"{100 * INTERVAL_PROB:g}")

#: Days in an average month, as fixed by QUESTIONS.md ("a month is days / 30.4375").
DAYS_PER_MONTH: float = 30.4375

#: Size bands in increasing order (DATA_CONTRACT.md, clients.size_band).
SIZE_BANDS: tuple[str, ...] = ("small", "medium", "large", "enterprise")

#: Deal types; the last three are repeat business.
DEAL_TYPES: tuple[str, ...] = ("new_logo", "renewal", "add_on", "cross_sell")
REPEAT_DEAL_TYPES: tuple[str, ...] = ("renewal", "add_on", "cross_sell")

DEAL_STATUSES: tuple[str, ...] = ("won", "lost", "open")
SOURCE_TEAMS: tuple[str, ...] = ("sales", "delivery", "partner", "marketing")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
INTERACTION_KINDS: tuple[str, ...] = (
    "status_report",
    "sales_meeting",
    "joint_meeting",
    "governance_review",
)
POLICIES: tuple[str, ...] = ("delivery_lead_bonus", "shared_bonus_pool", "presales_signoff")

#: Dimension names used in data frames and ArviZ objects.
PERIOD_DIM: str = "period"
CLIENT_DIM: str = "client"

#: The convergence gate of every Bayesian fit (the structural models of satprofit.bayes and the
#: survey path model): R-hat at most RHAT_MAX, bulk and tail ESS at least ESS_MIN, at most
#: DIVERGENCES_MAX divergent transitions.
RHAT_MAX: float = 1.01
ESS_MIN: int = 400
DIVERGENCES_MAX: int = 0
