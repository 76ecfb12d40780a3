"""The project table: one row per project with its delivery quality, engagement and satisfaction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import DAYS_PER_MONTH, SEVERITIES
from satprofit.features.keys import positions, reindex
from satprofit.features.periods import EVENT_DATES, ratio
from satprofit.features.windows import EventIndex, day_number
from satprofit.io import Portfolio

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def data_start_of(portfolio: Portfolio) -> pd.Timestamp:
    """The first event date of a portfolio."""
    dates = pd.concat(
        [portfolio.tables[t][c] for t, cols in EVENT_DATES.items() for c in cols],
        ignore_index=True,
    )
    return dates.min()


def data_end_of(portfolio: Portfolio) -> pd.Timestamp:
    """The last event date of a portfolio."""
    dates = pd.concat(
        [portfolio.tables[t][c] for t, cols in EVENT_DATES.items() for c in cols],
        ignore_index=True,
    )
    return dates.max()


def sales_status_reports(portfolio: Portfolio) -> pd.DataFrame:
    """Interactions that count as business status reports sent by sales."""
    it = portfolio.interactions
    return it[(it["kind"] == "status_report") & it["sales_present"]]


def joint_engagements(portfolio: Portfolio) -> pd.DataFrame:
    """Interactions with both sales and delivery present."""
    it = portfolio.interactions
    return it[it["sales_present"] & it["delivery_present"]]


def project_table(portfolio: Portfolio, data_end: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per project: delivery quality, escalations, sales engagement, satisfaction.

    Parameters
    ----------
    portfolio : Portfolio
    data_end : date, optional
        Last day of data (default: the last event date); running projects are measured up to it.

    Returns
    -------
    DataFrame
        Keyed by ``project_id`` (a column), in the projects table's order, with:

        - ``finished`` (has an actual_end_date), ``duration_months`` (start to actual end, or to
          ``data_end`` while running; days / 30.4375);
        - ``ontime_rate`` = milestones_on_time / milestones_planned (NaN when none planned),
          ``cost_overrun`` = (actual_cost - budget) / budget, ``schedule_slip_days`` =
          actual_end_date - planned_end_date (NaN while running), ``margin`` =
          (revenue - actual_cost) / revenue (NaN when revenue is 0), ``defects``,
          ``change_requests``;
        - ``escalations``, ``escalations_with_sales``, ``worst_severity`` (text, NaN when none),
          ``worst_severity_rank`` (0 low .. 3 critical, -1 none), ``days_to_resolve`` (mean over
          resolved escalations);
        - ``status_reports_by_sales``: the client's interactions of kind status_report with
          sales present dated in [start_date, actual_end_date] (or ``data_end``), and
          ``status_reports_per_month`` (that count / ``duration_months``);
          ``joint_engagements`` likewise (sales and delivery both present);
        - ``presales_signoff``, ``deal_type``, ``contract_value``, ``sales_owner`` of the deal;
        - ``responses``, ``csat_mean``, ``nps_mean`` of the survey responses tied to the project.
    """
    end = pd.Timestamp(data_end) if data_end is not None else data_end_of(portfolio)
    pr = portfolio.projects
    out = pr[
        [
            "project_id",
            "client_id",
            "deal_id",
            "delivery_team",
            "business_unit",
            "start_date",
            "planned_end_date",
            "actual_end_date",
        ]
    ].copy()
    finished = pr["actual_end_date"].notna().to_numpy()
    out["finished"] = finished
    window_end = pr["actual_end_date"].fillna(end)
    days = (window_end - pr["start_date"]).dt.days.to_numpy().astype(float)
    out["duration_months"] = days / DAYS_PER_MONTH
    mp = pr["milestones_planned"].to_numpy().astype(float)
    out["ontime_rate"] = ratio(pr["milestones_on_time"].to_numpy().astype(float), mp)
    budget = pr["budget"].to_numpy()
    out["cost_overrun"] = (pr["actual_cost"].to_numpy() - budget) / budget
    out["schedule_slip_days"] = (pr["actual_end_date"] - pr["planned_end_date"]).dt.days.astype(
        float
    )
    rev = pr["revenue"].to_numpy()
    out["margin"] = ratio(rev - pr["actual_cost"].to_numpy(), rev)
    out["defects"] = pr["defects"].to_numpy()
    out["change_requests"] = pr["change_requests"].to_numpy()

    # escalations of the project
    es = portfolio.escalations
    g = es.assign(
        rank=es["severity"].map(SEVERITY_RANK).astype(int),
        resolve=(es["resolved_date"] - es["opened_date"]).dt.days.astype(float),
        sales=es["sales_involved"].astype(int),
    ).groupby("project_id")
    agg = pd.DataFrame(
        {
            "escalations": g.size(),
            "escalations_with_sales": g["sales"].sum(),
            "worst_severity_rank": g["rank"].max(),
            "days_to_resolve": g["resolve"].mean(),
        }
    )
    agg = reindex(agg, pr["project_id"])
    out["escalations"] = agg["escalations"].fillna(0).astype(int).to_numpy()
    out["escalations_with_sales"] = agg["escalations_with_sales"].fillna(0).astype(int).to_numpy()
    rank = agg["worst_severity_rank"].fillna(-1).astype(int).to_numpy()
    out["worst_severity_rank"] = rank
    out["worst_severity"] = pd.Series(
        np.where(rank >= 0, np.array(SEVERITIES, dtype=object)[np.maximum(rank, 0)], None),
        index=out.index,
        dtype="str",
    )
    out["days_to_resolve"] = agg["days_to_resolve"].to_numpy()

    # the client's interactions during the project
    cl = pd.Index(portfolio.clients["client_id"])
    pc = positions(pr["client_id"], cl)
    lo, hi = day_number(pr["start_date"]), day_number(window_end)
    for name, frame in (
        ("status_reports_by_sales", sales_status_reports(portfolio)),
        ("joint_engagements", joint_engagements(portfolio)),
    ):
        idx = EventIndex(positions(frame["client_id"], cl), frame["date"])
        out[name] = idx.count(pc, lo, hi).astype(int)
    out["status_reports_per_month"] = ratio(
        out["status_reports_by_sales"].to_numpy(float), out["duration_months"].to_numpy()
    )

    # the deal
    de = portfolio.deals
    at = positions(pr["deal_id"], de["deal_id"])  # every project's deal exists (validated)
    out["presales_signoff"] = de["presales_delivery_signoff"].to_numpy()[at].astype(bool)
    out["deal_type"] = pd.Series(de["deal_type"].to_numpy()[at], dtype="str")
    out["contract_value"] = de["contract_value"].to_numpy()[at].astype(float)
    out["sales_owner"] = pd.Series(de["sales_owner"].to_numpy()[at], dtype="str")

    # survey responses tied to the project
    sv = portfolio.surveys.dropna(subset=["project_id"])
    g = sv.assign(nps=sv["nps"].astype(float)).groupby("project_id")
    s = pd.DataFrame(
        {"responses": g.size(), "csat_mean": g["csat"].mean(), "nps_mean": g["nps"].mean()}
    )
    s = reindex(s, pr["project_id"])
    out["responses"] = s["responses"].fillna(0).astype(int).to_numpy()
    out["csat_mean"] = s["csat_mean"].to_numpy()
    out["nps_mean"] = s["nps_mean"].to_numpy()
    return out.reset_index(drop=True)
