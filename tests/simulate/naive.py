"""Naive estimators (no adjustment) used to show that the simulated confounding is real."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import DAYS_PER_MONTH, REPEAT_DEAL_TYPES


def presales_signoff_diff(p) -> float:
    """Difference of mean on-time rate (pp) between signed-off and other deals."""
    pr = p.projects.merge(p.deals[["deal_id", "presales_delivery_signoff"]], on="deal_id")
    fin = pr[pr["actual_end_date"].notna() & (pr["milestones_planned"] > 0)]
    rate = fin["milestones_on_time"] / fin["milestones_planned"]
    s = fin["presales_delivery_signoff"]
    return 100 * (rate[s].mean() - rate[~s].mean())


def status_reports_slope(p) -> float:
    """OLS slope of a project's mean csat on sales status reports a month."""
    y = p.surveys.dropna(subset=["project_id"]).groupby("project_id")["csat"].mean().rename("y")
    fin = p.projects[p.projects["actual_end_date"].notna()].merge(
        y, left_on="project_id", right_index=True
    )
    it = p.interactions[
        (p.interactions["kind"] == "status_report") & p.interactions["sales_present"]
    ]
    m = fin[["project_id", "client_id", "start_date", "actual_end_date"]].merge(
        it[["client_id", "date"]], on="client_id"
    )
    m = m[(m["date"] >= m["start_date"]) & (m["date"] <= m["actual_end_date"])]
    months = (fin["actual_end_date"] - fin["start_date"]).dt.days / DAYS_PER_MONTH
    rate = fin["project_id"].map(m.groupby("project_id").size()).fillna(0) / months
    return float(np.polyfit(rate, fin["y"], 1)[0])


def csat_to_repeat_slope(p, n_quarters: int) -> tuple[float, int]:
    """OLS slope of next-4-quarter repeat value on trailing 4-quarter mean csat."""
    start = p.surveys["date"].min().to_period("Q")
    periods = pd.period_range(start, periods=n_quarters, freq="Q")
    sv = p.surveys.assign(q=p.surveys["date"].dt.to_period("Q"))
    won = p.deals[(p.deals["status"] == "won") & p.deals["deal_type"].isin(REPEAT_DEAL_TYPES)]
    won = won.assign(q=won["close_date"].dt.to_period("Q"))
    rows = []
    for i, q in enumerate(periods[:-4]):
        t = sv[(sv["q"] >= periods[max(0, i - 3)]) & (sv["q"] <= q)].groupby("client_id")["csat"]
        t = t.mean()
        y = (
            won[(won["q"] > q) & (won["q"] <= periods[i + 4])]
            .groupby("client_id")["contract_value"]
            .sum()
        )
        rows.append(pd.DataFrame({"t": t, "y": y.reindex(t.index).fillna(0.0)}))
    u = pd.concat(rows)
    return float(np.polyfit(u["t"], u["y"], 1)[0]), len(u)
