"""One analysis table per question of QUESTIONS.md: the units, treatment, outcome and candidate
confounders every method answers that question on.

Every builder returns a :class:`QuestionTable`; :func:`question_table` dispatches on a question
or estimand id (``"csat_to_repeat.margin"`` gives the margin part's rows). Candidate confounders
are measured before the treatment; columns that may be missing come filled with 0 plus a
``<name>_missing`` indicator, so every listed confounder is numeric or categorical and complete.
Which of them a method adjusts for is the causal graph's business (issue #4), not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from satprofit.constants import SIZE_BANDS
from satprofit.features.business_units import business_unit_panel, client_business_unit
from satprofit.features.panel import client_panel
from satprofit.features.projects import project_table
from satprofit.features.windows import EventIndex, day_number
from satprofit.io import Portfolio
from satprofit.questions import estimand as estimand_spec
from satprofit.questions import question as question_spec

CLIENT_COVARIATES = (
    "size_band",
    "size_rank",
    "industry",
    "region",
    "tenure_years",
    "business_unit",
    "sales_owner",
)


@dataclass(frozen=True)
class QuestionTable:
    """The rows and roles of one estimand's analysis.

    Attributes
    ----------
    estimand : str
        Estimand id (``question`` or ``question.part``).
    data : DataFrame
        One row per unit of analysis.
    unit : tuple of str
        Columns that identify a unit.
    treatment, outcome : str
        Column names.
    treatment_kind : {"binary", "continuous"}
    delta : float
        The ``+d`` of the estimand in treatment units (1 for binary treatments): the
        question spec's ``step`` (:mod:`satprofit.questions`).
    outcome_scale : float
        Multiply an effect on ``outcome`` by this to get the estimand's unit (100 for
        percentage points of a 0..1 rate).
    confounders : tuple of str
        Candidate pre-treatment covariates (complete; see module docstring).
    categorical : tuple of str
        Which confounders are categorical.
    cluster : str
        Column to cluster standard errors on (the client).
    time : str or None
        Period column, for fixed effects.
    mediator : str or None
        For mediation questions.
    estimand_kind : {"ate", "att"}
    """

    estimand: str
    data: pd.DataFrame
    unit: tuple[str, ...]
    treatment: str
    outcome: str
    treatment_kind: Literal["binary", "continuous"]
    delta: float
    outcome_scale: float
    confounders: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    cluster: str = "client_id"
    time: str | None = None
    mediator: str | None = None
    estimand_kind: Literal["ate", "att"] = "ate"
    notes: str = ""
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def question(self) -> str:
        return self.estimand.split(".")[0]

    @property
    def unit_label(self) -> str:
        """The estimand's unit as stated in QUESTIONS.md (its :mod:`satprofit.questions` spec)."""
        return estimand_spec(self.estimand).unit

    @property
    def n(self) -> int:
        return len(self.data)

    def summary(self) -> pd.DataFrame:
        """One row: estimand, units, treatment (mean), outcome (mean), confounders."""
        d = self.data
        return pd.DataFrame(
            [
                {
                    "estimand": self.estimand,
                    "n": self.n,
                    "treatment": self.treatment,
                    "treatment_mean": d[self.treatment].mean(),
                    "outcome": self.outcome,
                    "outcome_mean": d[self.outcome].mean(),
                    "confounders": ", ".join(self.confounders),
                }
            ]
        ).set_index("estimand")


# --------------------------------------------------------------------------------- helpers
def client_covariates(portfolio: Portfolio) -> pd.DataFrame:
    """Per client: size band (and its rank 0..3), industry, region, first engagement date,
    business unit and main sales owner (the owner of most of its deals). Indexed by client_id."""
    cl = portfolio.clients.set_index("client_id")
    de = portfolio.deals
    owner = (
        de.groupby(["client_id", "sales_owner"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["client_id", "n", "sales_owner"], ascending=[True, False, True])
        .drop_duplicates("client_id")
        .set_index("client_id")["sales_owner"]
    )
    return pd.DataFrame(
        {
            "size_band": cl["size_band"],
            "size_rank": cl["size_band"].map({s: i for i, s in enumerate(SIZE_BANDS)}).astype(int),
            "industry": cl["industry"],
            "region": cl["region"],
            "first_engagement_date": cl["first_engagement_date"],
            "business_unit": client_business_unit(portfolio).reindex(cl.index).fillna("(none)"),
            "sales_owner": owner.reindex(cl.index).fillna("(none)"),
        }
    )


def _with_client(
    frame: pd.DataFrame, portfolio: Portfolio, ref_date: pd.Series, skip: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Add client covariates and tenure (years from first engagement to ``ref_date``)."""
    cov = client_covariates(portfolio).reindex(frame["client_id"])
    out = frame.copy()
    for col in CLIENT_COVARIATES:
        if col == "tenure_years" or col in skip:
            continue
        out[col] = cov[col].to_numpy()
    days = (pd.DatetimeIndex(ref_date) - pd.DatetimeIndex(cov["first_engagement_date"])).days
    out["tenure_years"] = np.clip(np.asarray(days, dtype=float) / 365.25, 0, None)
    return out


def _prior_csat(portfolio: Portfolio, client: pd.Series, ref: pd.Series, days: int = 365):
    """Mean csat of the client's responses in the ``days`` before ``ref`` (NaN when none)."""
    sv = portfolio.surveys
    cl = pd.Index(portfolio.clients["client_id"])
    idx = EventIndex(
        cl.get_indexer(sv["client_id"]), sv["date"], {"csat": sv["csat"].to_numpy(float)}
    )
    c, r = cl.get_indexer(client), day_number(ref)
    n = idx.count(c, r - days, r - 1)
    s = idx.sum(c, r - days, r - 1, "csat")
    out = np.full(len(n), np.nan)
    np.divide(s, n, out=out, where=n > 0)
    return out


def _fill_missing(frame: pd.DataFrame, cols: list[str]) -> list[str]:
    """Fill NaN in ``cols`` with 0 and add ``<col>_missing`` indicators; return all names."""
    names = []
    for col in cols:
        miss = frame[col].isna()
        if miss.any():
            frame[f"{col}_missing"] = miss.astype(int)
            frame[col] = frame[col].fillna(0.0)
            names += [col, f"{col}_missing"]
        else:
            names.append(col)
    return names


_CATS = ("size_band", "industry", "region", "business_unit", "sales_owner")


# --------------------------------------------------------------------------------- questions
def presales_signoff_table(portfolio: Portfolio) -> QuestionTable:
    """Won deals whose project finished with milestones planned: sign-off -> on-time rate."""
    pt = project_table(portfolio)
    fin = pt[pt["finished"] & pt["ontime_rate"].notna()]
    deals = portfolio.deals.set_index("deal_id")
    g = fin.groupby("deal_id", sort=False)
    d = pd.DataFrame(
        {
            "project_id": g["project_id"].first(),
            "client_id": g["client_id"].first(),
            "delivery_team": g["delivery_team"].first(),
            "ontime_rate": g["ontime_rate"].mean(),
        }
    ).reset_index()
    dd = deals.reindex(d["deal_id"])
    d["presales_signoff"] = dd["presales_delivery_signoff"].astype(int).to_numpy()
    d["proposal_date"] = dd["proposal_date"].to_numpy()
    d["deal_type"] = dd["deal_type"].to_numpy()
    d["log_contract_value"] = np.log1p(dd["contract_value"].to_numpy())
    d["period"] = pd.PeriodIndex(d["proposal_date"], freq="Q").astype(str)
    d = _with_client(d, portfolio, d["proposal_date"])
    d["sales_owner"] = dd["sales_owner"].to_numpy()  # the deal's own owner
    d["business_unit"] = dd["business_unit"].to_numpy()
    conf = (
        "size_rank",
        "industry",
        "region",
        "tenure_years",
        "delivery_team",
        "business_unit",
        "sales_owner",
        "log_contract_value",
        "deal_type",
        "period",
    )
    return QuestionTable(
        "presales_signoff",
        d.reset_index(drop=True),
        ("deal_id",),
        "presales_signoff",
        "ontime_rate",
        "binary",
        question_spec("presales_signoff").step,
        100.0,
        conf,
        categorical=(
            "industry",
            "region",
            "delivery_team",
            "business_unit",
            "sales_owner",
            "deal_type",
            "period",
        ),
        time="period",
    )


def _project_csat_rows(portfolio: Portfolio, need_milestones: bool) -> pd.DataFrame:
    pt = project_table(portfolio)
    rows = pt[pt["finished"] & (pt["responses"] > 0)]
    if need_milestones:
        rows = rows[rows["ontime_rate"].notna()]
    d = rows.copy()
    d["period"] = pd.PeriodIndex(d["actual_end_date"], freq="Q").astype(str)
    d["log_contract_value"] = np.log1p(d["contract_value"])
    d["presales_signoff"] = d["presales_signoff"].astype(int)
    d = _with_client(d, portfolio, d["start_date"], skip=("business_unit", "sales_owner"))
    d["csat_prior"] = _prior_csat(portfolio, d["client_id"], d["start_date"])
    return d.reset_index(drop=True)


_PROJECT_CONFOUNDERS = (
    "size_rank",
    "industry",
    "region",
    "tenure_years",
    "delivery_team",
    "business_unit",
    "sales_owner",
    "presales_signoff",
    "log_contract_value",
    "duration_months",
    "defects",
    "change_requests",
    "escalations",
    "worst_severity_rank",
    "period",
    "csat_prior",
)
_PROJECT_CATEGORICAL = (
    "industry",
    "region",
    "delivery_team",
    "business_unit",
    "sales_owner",
    "period",
)


def _project_question(portfolio, estimand, treatment, other, need_milestones):
    """A project-level csat question: ``other`` is the other lever, adjusted for as well."""
    d = _project_csat_rows(portfolio, need_milestones=need_milestones)
    conf = _fill_missing(d, [*_PROJECT_CONFOUNDERS, other])
    return QuestionTable(
        estimand,
        d,
        ("project_id",),
        treatment,
        "csat_mean",
        "continuous",
        question_spec(estimand).step,
        1.0,
        tuple(conf),
        categorical=_PROJECT_CATEGORICAL,
        time="period",
        # the pooled csat answers: a two-valued treatment's difference is read on their scale
        extra={"csat": portfolio.surveys["csat"]},
    )


def quality_to_csat_table(portfolio: Portfolio) -> QuestionTable:
    """Finished projects with milestones and responses: on-time rate -> mean csat."""
    return _project_question(
        portfolio,
        "quality_to_csat",
        "ontime_rate",
        "status_reports_per_month",
        need_milestones=True,
    )


def status_reports_to_csat_table(portfolio: Portfolio) -> QuestionTable:
    """Finished projects with responses: sales status reports a month -> mean csat."""
    return _project_question(
        portfolio,
        "status_reports_to_csat",
        "status_reports_per_month",
        "ontime_rate",
        need_milestones=False,
    )


def sales_in_escalations_table(portfolio: Portfolio) -> QuestionTable:
    """Escalations followed by a response within 90 days: sales involved -> client's csat."""
    es = portfolio.escalations
    sv = portfolio.surveys
    cl = pd.Index(portfolio.clients["client_id"])
    idx = EventIndex(
        cl.get_indexer(sv["client_id"]), sv["date"], {"csat": sv["csat"].to_numpy(float)}
    )
    c, o = cl.get_indexer(es["client_id"]), day_number(es["opened_date"])
    n_after = idx.count(c, o + 1, o + 90)
    s_after = idx.sum(c, o + 1, o + 90, "csat")
    eidx = EventIndex(cl.get_indexer(es["client_id"]), es["opened_date"])
    d = es[["escalation_id", "project_id", "client_id", "opened_date", "severity"]].copy()
    d["sales_involved"] = es["sales_involved"].astype(int).to_numpy()
    d["responses_after"] = n_after
    d["csat_after"] = np.where(n_after > 0, s_after / np.maximum(n_after, 1), np.nan)
    d["severity_rank"] = (
        es["severity"].map({"low": 0, "medium": 1, "high": 2, "critical": 3}).astype(int).to_numpy()
    )
    d["escalations_prior_90"] = eidx.count(c, o - 90, o - 1)
    d["csat_prior"] = _prior_csat(portfolio, es["client_id"], es["opened_date"])
    signoff = project_table(portfolio).set_index("project_id")["presales_signoff"]
    d["presales_signoff"] = d["project_id"].map(signoff).astype(int)
    d["period"] = pd.PeriodIndex(d["opened_date"], freq="Q").astype(str)
    d = _with_client(
        d[d["responses_after"] > 0].reset_index(drop=True),
        portfolio,
        d.loc[d["responses_after"] > 0, "opened_date"],
    )
    conf = [
        "severity_rank",
        "size_rank",
        "industry",
        "region",
        "tenure_years",
        "business_unit",
        "sales_owner",
        "escalations_prior_90",
        "presales_signoff",
        "period",
        "csat_prior",
    ]
    conf = _fill_missing(d, conf)
    return QuestionTable(
        "sales_in_escalations",
        d,
        ("escalation_id",),
        "sales_involved",
        "csat_after",
        "binary",
        question_spec("sales_in_escalations").step,
        1.0,
        tuple(conf),
        categorical=_CLIENT_PANEL_CATEGORICAL,
        time="period",
    )


#: Client-level confounders of the client-quarter questions, and their categorical columns.
_CLIENT_LEVEL = ("size_rank", "industry", "region", "tenure_years", "business_unit", "sales_owner")
_CLIENT_PANEL_CATEGORICAL = ("industry", "region", "business_unit", "sales_owner", "period")


def _client_quarter_question(
    portfolio, estimand, d, treatment, outcome, scale, conf, mediator=None
) -> QuestionTable:
    """Client covariates, text periods, filled confounders and the table, for the
    client-quarter questions."""
    d = _with_client(d, portfolio, d["period_end"])
    d["period"] = d["period"].astype(str)
    conf = _fill_missing(d, [*_CLIENT_LEVEL, *conf])
    if mediator is not None:
        d[f"{mediator}_missing"] = d[mediator].isna().astype(int)
    return QuestionTable(
        estimand,
        d.reset_index(drop=True),
        ("client_id", "period"),
        treatment,
        outcome,
        "continuous",
        question_spec(estimand).step,
        scale,
        tuple(conf),
        categorical=_CLIENT_PANEL_CATEGORICAL,
        time="period",
        mediator=mediator,
    )


def _quarter_panel(portfolio: Portfolio) -> pd.DataFrame:
    p = client_panel(portfolio, "Q", window=4, horizon=4, indices=False)
    p["period_end"] = p["period"].dt.end_time.dt.normalize()
    return p


def csat_to_repeat_table(portfolio: Portfolio, part: str = "value") -> QuestionTable:
    """Client-quarters with 4 full quarters after and a response in the last 4: trailing csat ->
    next 4 quarters' repeat value (``part="value"``) or delivered margin (``"margin"``)."""
    if part not in ("value", "margin"):
        raise ValueError("part must be 'value' or 'margin'")
    p = _quarter_panel(portfolio)
    d = p[p["repeat_value_next"].notna() & (p["responses_trailing"] > 0)].copy()
    outcome = "repeat_value_next"
    scale = 1.0
    if part == "margin":
        d = d[d["repeat_margin_next"].notna()].copy()
        outcome, scale = "repeat_margin_next", 100.0
    conf = [
        "ontime_rate_trailing",
        "status_reports_by_sales_trailing",
        "joint_engagements_trailing",
        "escalations_per_project_trailing",
        "repeat_value_trailing",
        "active_projects",
        "period",
    ]
    return _client_quarter_question(
        portfolio, f"csat_to_repeat.{part}", d, "csat_trailing", outcome, scale, conf
    )


def quality_to_repeat_table(portfolio: Portfolio, part: str = "total") -> QuestionTable:
    """Client-quarters with 4 full quarters after and a project (with milestones) finished in
    the last 4: trailing on-time rate -> next 4 quarters' repeat value; mediator ``csat_next``,
    the mean of the client's trailing csat at quarters q..q+3 (the windows that follow)."""
    if part not in ("total", "direct", "indirect"):
        raise ValueError("part must be 'total', 'direct' or 'indirect'")
    p = _quarter_panel(portfolio)
    p = p.sort_values(["client_id", "period"], kind="stable")
    g = p.groupby("client_id", sort=False)["csat_trailing"]
    ahead = pd.concat([g.shift(-k) for k in range(4)], axis=1)
    p["csat_next"] = ahead.mean(axis=1, skipna=True)
    before = p.groupby("client_id", sort=False)["csat_trailing"].shift(4)
    p["csat_before"] = before
    d = p[p["repeat_value_next"].notna() & p["ontime_rate_trailing"].notna()].copy()
    conf = [
        "status_reports_by_sales_trailing",
        "signoff_share_trailing",
        "defects_per_project_trailing",
        "change_requests_per_project_trailing",
        "escalations_per_project_trailing",
        "repeat_value_trailing",
        "active_projects",
        "period",
        "csat_before",
    ]
    return _client_quarter_question(
        portfolio,
        f"quality_to_repeat.{part}",
        d,
        "ontime_rate_trailing",
        "repeat_value_next",
        1.0,
        conf,
        mediator="csat_next",
    )


def delivery_bonus_to_leads_table(portfolio: Portfolio) -> QuestionTable:
    """Business-unit quarters: delivery lead bonus in force -> delivery leads (ATT)."""
    b = business_unit_panel(portfolio, "Q")
    b = b[b["full_period"]].copy()
    b["treated"] = b["delivery_lead_bonus"].astype(int)
    b["cohort"] = b["delivery_lead_bonus_first_period"]
    b["period"] = b["period"].astype(str)
    others = [c for c in ("shared_bonus_pool", "presales_signoff") if c in b.columns]
    for c in others:
        b[c] = b[c].astype(int)
    return QuestionTable(
        "delivery_bonus_to_leads",
        b.reset_index(drop=True),
        ("business_unit", "period"),
        "treated",
        "delivery_leads",
        "binary",  # a policy in force: treated vs not (yet) treated unit-quarters
        question_spec("delivery_bonus_to_leads").step,
        1.0,
        tuple(["clients", *others]),
        categorical=(),
        cluster="business_unit",
        time="period",
        estimand_kind="att",
    )


#: The table builder of each question id of :data:`satprofit.questions.QUESTIONS`.
BUILDERS = {
    "presales_signoff": presales_signoff_table,
    "quality_to_csat": quality_to_csat_table,
    "status_reports_to_csat": status_reports_to_csat_table,
    "sales_in_escalations": sales_in_escalations_table,
    "csat_to_repeat": csat_to_repeat_table,
    "quality_to_repeat": quality_to_repeat_table,
    "delivery_bonus_to_leads": delivery_bonus_to_leads_table,
}


def question_table(portfolio: Portfolio, estimand: str) -> QuestionTable:
    """The analysis table of a question id or estimand id (``question.part``)."""
    _, _, part = estimand.partition(".")
    build = BUILDERS[question_spec(estimand).id]  # KeyError naming the known questions
    return build(portfolio, part) if part else build(portfolio)
