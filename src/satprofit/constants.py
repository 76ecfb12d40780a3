"""Defaults shared by several modules, kept in one place.

Changing a value here changes it everywhere: interval probability, seeds, the names of the
period and question dimensions, and the vocabularies fixed by the data contract.
"""

from __future__ import annotations

#: Default random seed for simulation, cross-fitting, bootstraps and MCMC.
DEFAULT_SEED: int = 20240601

#: Probability mass of the intervals reported everywhere (frequentist and Bayesian).
INTERVAL_PROB: float = 0.95

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

#: Question ids of QUESTIONS.md, in the order reports list them.
QUESTION_IDS: tuple[str, ...] = (
    "presales_signoff",
    "quality_to_csat",
    "status_reports_to_csat",
    "sales_in_escalations",
    "csat_to_repeat",
    "quality_to_repeat",
    "delivery_bonus_to_leads",
)

#: Questions with several parts are reported as ``question.part``.
QUESTION_PARTS: dict[str, tuple[str, ...]] = {
    "csat_to_repeat": ("value", "margin"),
    "quality_to_repeat": ("total", "direct", "indirect"),
}

#: Estimand ids, one per reported figure.
ESTIMAND_IDS: tuple[str, ...] = tuple(
    f"{q}.{p}" if q in QUESTION_PARTS else q
    for q in QUESTION_IDS
    for p in (QUESTION_PARTS.get(q) or ("",))
)

#: Units of each estimand, as stated in QUESTIONS.md.
ESTIMAND_UNITS: dict[str, str] = {
    "presales_signoff": "percentage points of on-time milestone rate",
    "quality_to_csat": "csat points per +10 pp on-time rate",
    "status_reports_to_csat": "csat points per +1 status report a month",
    "sales_in_escalations": "csat points",
    "csat_to_repeat.value": "currency per +1 csat point",
    "csat_to_repeat.margin": "percentage points of margin per +1 csat point",
    "quality_to_repeat.total": "currency per +10 pp on-time rate",
    "quality_to_repeat.direct": "currency per +10 pp on-time rate",
    "quality_to_repeat.indirect": "currency per +10 pp on-time rate",
    "delivery_bonus_to_leads": "delivery leads a quarter per business unit",
}

#: Dimension names used in data frames and ArviZ objects.
PERIOD_DIM: str = "period"
CLIENT_DIM: str = "client"
