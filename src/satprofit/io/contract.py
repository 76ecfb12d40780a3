"""The data contract (``shared/DATA_CONTRACT.md`` v1) as code.

Each table is a :class:`TableSpec` of :class:`ColumnSpec`; the loader parses types from it,
:mod:`satprofit.io.validation` builds the pandera schemas and the cross-table rules from it, and
feature builders take column names from it instead of repeating string literals::

    >>> from satprofit.io.contract import DEALS
    >>> DEALS.close_date
    'close_date'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from satprofit.constants import (
    DEAL_STATUSES,
    DEAL_TYPES,
    INTERACTION_KINDS,
    SEVERITIES,
    SIZE_BANDS,
    SOURCE_TEAMS,
)

Kind = Literal["str", "date", "bool", "int", "float"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a contract table.

    Parameters
    ----------
    name : str
        Fixed column name.
    kind : {"str", "date", "bool", "int", "float"}
        Logical type; the loader parses text into it.
    nullable : bool
        Whether empty values are allowed (``?`` in the contract).
    unique : bool
        Values must be unique (primary keys).
    nonempty : bool
        Strings must not be blank.
    isin : tuple of str, optional
        Allowed values.
    ge, gt, le : float, optional
        Numeric bounds.
    free_text : bool
        Free text (names, roles): tabs and line breaks are allowed in it. Every other text column
        (keys, vocabularies, group labels) must hold no control character at all.
    """

    name: str
    kind: Kind
    nullable: bool = False
    unique: bool = False
    nonempty: bool = False
    isin: tuple[str, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    free_text: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns, its key and whether it may be absent or empty."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: str | None = None
    optional: bool = False
    allow_empty: bool = False
    _by_name: dict[str, ColumnSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    def __getattr__(self, item: str) -> str:
        # Only called when normal lookup fails: column names resolve to themselves.
        by_name = self.__dict__.get("_by_name", {})
        if item in by_name:
            return item
        raise AttributeError(f"table {self.__dict__.get('name')!r} has no column {item!r}")

    @property
    def names(self) -> list[str]:
        """Column names in contract order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        return self._by_name[name]


def _c(name: str, kind: Kind, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, **kw)


CLIENTS = TableSpec(
    "clients",
    (
        _c("client_id", "str", unique=True, nonempty=True),
        _c("client_name", "str", free_text=True),
        _c("industry", "str", free_text=True),
        _c("region", "str", free_text=True),
        _c("size_band", "str", isin=SIZE_BANDS),
        _c("first_engagement_date", "date"),
    ),
    key="client_id",
)

DEALS = TableSpec(
    "deals",
    (
        _c("deal_id", "str", unique=True, nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("deal_type", "str", isin=DEAL_TYPES),
        _c("lead_source", "str", isin=SOURCE_TEAMS),
        _c("lead_id", "str", nullable=True),
        _c("sales_owner", "str"),
        _c("business_unit", "str"),
        _c("proposal_date", "date"),
        _c("close_date", "date", nullable=True),
        _c("status", "str", isin=DEAL_STATUSES),
        _c("presales_delivery_signoff", "bool"),
        _c("contract_value", "float", ge=0),
    ),
    key="deal_id",
)

PROJECTS = TableSpec(
    "projects",
    (
        _c("project_id", "str", unique=True, nonempty=True),
        _c("deal_id", "str", nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("delivery_team", "str"),
        _c("business_unit", "str"),
        _c("start_date", "date"),
        _c("planned_end_date", "date"),
        _c("actual_end_date", "date", nullable=True),
        _c("budget", "float", gt=0),
        _c("actual_cost", "float", ge=0),
        _c("revenue", "float", ge=0),
        _c("milestones_planned", "int", ge=0),
        _c("milestones_on_time", "int", ge=0),
        _c("defects", "int", ge=0),
        _c("change_requests", "int", ge=0),
    ),
    key="project_id",
)

ESCALATIONS = TableSpec(
    "escalations",
    (
        _c("escalation_id", "str", unique=True, nonempty=True),
        _c("project_id", "str", nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("opened_date", "date"),
        _c("resolved_date", "date", nullable=True),
        _c("severity", "str", isin=SEVERITIES),
        _c("sales_involved", "bool"),
    ),
    key="escalation_id",
    allow_empty=True,
)

INTERACTIONS = TableSpec(
    "interactions",
    (
        _c("interaction_id", "str", unique=True, nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("project_id", "str", nullable=True),
        _c("date", "date"),
        _c("kind", "str", isin=INTERACTION_KINDS),
        _c("sales_present", "bool"),
        _c("delivery_present", "bool"),
    ),
    key="interaction_id",
    allow_empty=True,
)

SURVEYS = TableSpec(
    "surveys",
    (
        _c("response_id", "str", unique=True, nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("project_id", "str", nullable=True),
        _c("date", "date"),
        _c("csat", "int", ge=1, le=5),
        _c("nps", "int", nullable=True, ge=0, le=10),
        _c("respondent_role", "str", nullable=True, free_text=True),
    ),
    key="response_id",
)

LEADS = TableSpec(
    "leads",
    (
        _c("lead_id", "str", unique=True, nonempty=True),
        _c("client_id", "str", nonempty=True),
        _c("created_date", "date"),
        _c("source_team", "str", isin=SOURCE_TEAMS),
        _c("estimated_value", "float", ge=0),
        _c("converted_deal_id", "str", nullable=True),
    ),
    key="lead_id",
    allow_empty=True,
)

INCENTIVES = TableSpec(
    "incentives",
    (
        _c("business_unit", "str"),
        _c("policy", "str", nonempty=True),
        _c("start_date", "date"),
    ),
    optional=True,
    allow_empty=True,
)

#: Multi-item survey answers (optional, long format: one row per response and item). Which items
#: measure which construct is a survey spec (:mod:`satprofit.survey.spec`), not the contract.
SURVEY_ITEMS = TableSpec(
    "survey_items",
    (
        _c("response_id", "str", nonempty=True),
        _c("item", "str", nonempty=True),
        _c("value", "float"),
        _c("scale_min", "float"),
        _c("scale_max", "float"),
    ),
    optional=True,
    allow_empty=True,
)

#: Every contract table by name, in the order they are loaded and reported.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        CLIENTS,
        DEALS,
        PROJECTS,
        ESCALATIONS,
        INTERACTIONS,
        SURVEYS,
        LEADS,
        INCENTIVES,
        SURVEY_ITEMS,
    )
}

#: Foreign keys: (table, column) -> (referenced table, referenced key column).
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("deals", "client_id"): ("clients", "client_id"),
    ("deals", "lead_id"): ("leads", "lead_id"),
    ("projects", "deal_id"): ("deals", "deal_id"),
    ("projects", "client_id"): ("clients", "client_id"),
    ("escalations", "project_id"): ("projects", "project_id"),
    ("escalations", "client_id"): ("clients", "client_id"),
    ("interactions", "client_id"): ("clients", "client_id"),
    ("interactions", "project_id"): ("projects", "project_id"),
    ("surveys", "client_id"): ("clients", "client_id"),
    ("surveys", "project_id"): ("projects", "project_id"),
    ("leads", "client_id"): ("clients", "client_id"),
    ("leads", "converted_deal_id"): ("deals", "deal_id"),
    ("survey_items", "response_id"): ("surveys", "response_id"),
}

#: Calendar dates outside this range are placeholders (9999-12-31, 0001-01-01) or typos, and
#: are rejected as such (ISO text, compared as text: no timestamp overflow on the way).
DATE_MIN = "1900-01-01"
DATE_MAX = "2199-12-31"

#: Optional file of a portfolio folder stating facts about the whole portfolio (its currency).
METADATA_FILE = "portfolio.json"

#: Accepted spellings of booleans (compared case-insensitively after stripping).
TRUE_STRINGS = frozenset({"true", "1", "yes"})
FALSE_STRINGS = frozenset({"false", "0", "no"})
