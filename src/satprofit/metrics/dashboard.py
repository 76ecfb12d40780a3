"""The six metrics of the article, by client, sales owner, delivery team or business unit.

Each event is counted in the period in which it is dated (leads: created_date; deals:
close_date; interactions: date; escalations: opened_date) and attributed to a group:

* ``client``: the event's client_id.
* ``sales_owner``: the deal's owner for deals; for events tied to a project, the owner of the
  project's deal; for leads, the owner of the deal they converted into; otherwise the client's
  main owner (the owner of most of its deals).
* ``delivery_team``: the project's team for events tied to a project (escalations,
  interactions with a project_id); for deals, the team of their project; for leads, the team of
  the project of the deal they converted into. Events with no project are ``(unassigned)``:
  delivery teams are only credited with what can be traced to them.
* ``business_unit``: the deal's or project's unit; otherwise the client's unit (the unit of most
  of its deals), as QUESTIONS.md assigns leads.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from satprofit.features.panel import DASHBOARD_METRICS, metric_events
from satprofit.features.periods import PeriodGrid, grid_sum
from satprofit.features.questions import client_covariates
from satprofit.io import Portfolio

GroupBy = Literal["client", "sales_owner", "delivery_team", "business_unit"]
#: Output column of the group key for each ``by``.
GROUP_KEYS: dict[str, str] = {
    "client": "client_id",
    "sales_owner": "sales_owner",
    "delivery_team": "delivery_team",
    "business_unit": "business_unit",
}
UNASSIGNED = "(unassigned)"


def _attribute(portfolio: Portfolio, events: pd.DataFrame, by: str) -> pd.Series:
    """The group each event belongs to (see module docstring)."""
    if by == "client":
        return events["client_id"]
    key = GROUP_KEYS[by]
    deals = portfolio.deals.set_index("deal_id")
    projects = portfolio.projects.set_index("project_id")
    project_of_deal = portfolio.projects.drop_duplicates("deal_id").set_index("deal_id")
    cov = client_covariates(portfolio)
    result = pd.Series(np.nan, index=events.index, dtype="object")

    def fill(values: pd.Series) -> None:
        nonlocal result
        result = result.where(result.notna(), values.to_numpy())

    if key in events.columns:  # deals carry owner and unit themselves
        fill(events[key])
    if "project_id" in events.columns:  # tied to a project
        proj = events["project_id"].map(projects["deal_id"]) if by == "sales_owner" else None
        if by == "sales_owner":
            fill(proj.map(deals["sales_owner"]))
        else:
            fill(events["project_id"].map(projects[key]))
    if "converted_deal_id" in events.columns:  # leads that became deals
        deal = events["converted_deal_id"]
        if by == "sales_owner":
            fill(deal.map(deals["sales_owner"]))
        else:
            fill(deal.map(project_of_deal[key]))
            if by == "business_unit":
                fill(deal.map(deals["business_unit"]))
    if "deal_id" in events.columns and by == "delivery_team":
        fill(events["deal_id"].map(project_of_deal["delivery_team"]))
    if by in ("sales_owner", "business_unit"):
        fill(events["client_id"].map(cov[key]))
    return result.fillna(UNASSIGNED).astype("str")


def dashboard(
    portfolio: Portfolio,
    by: GroupBy = "client",
    freq: str = "Q",
    *,
    data_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The six metrics of the article per group and period.

    Parameters
    ----------
    portfolio : Portfolio
    by : {"client", "sales_owner", "delivery_team", "business_unit"}
        Grouping (see the module docstring for how events are attributed).
    freq : str
        pandas period frequency (default quarters).
    data_end : date, optional
        Last day of data (default: the latest event date).

    Returns
    -------
    DataFrame
        Columns: the group key (``client_id``, ``sales_owner``, ``delivery_team`` or
        ``business_unit``), ``period`` (text, e.g. ``2023Q1``), then ``delivery_leads``,
        ``delivery_lead_net_sales``, ``sales_meetings_with_delivery``,
        ``status_reports_by_sales``, ``escalations_with_sales``, ``joint_engagements``. One row
        per group and period of the data's range; 0 where nothing happened.
    """
    if by not in GROUP_KEYS:
        raise ValueError(f"by must be one of {', '.join(GROUP_KEYS)}, not {by!r}")
    grid = PeriodGrid.from_portfolio(portfolio, freq, data_end)
    events = metric_events(portfolio)
    groups = {name: _attribute(portfolio, ev, by) for name, (ev, _, _) in events.items()}
    if by == "client":
        labels = pd.Index(portfolio.clients["client_id"])
    else:
        labels = pd.Index(
            sorted(set().union(*[set(g) for g in groups.values()]) | _all_groups(portfolio, by))
        )
    shape = (len(labels), grid.n)
    rows, cols = np.indices(shape).reshape(2, -1)
    out = pd.DataFrame(
        {
            GROUP_KEYS[by]: labels.to_numpy()[rows],
            "period": grid.periods.astype(str).to_numpy()[cols],
        }
    )
    for name in DASHBOARD_METRICS:
        ev, date_col, value_col = events[name]
        weights = None if value_col is None else ev[value_col].to_numpy()
        arr = grid_sum(labels.get_indexer(groups[name]), grid.code(ev[date_col]), shape, weights)
        out[name] = arr[rows, cols]
        if value_col is None:
            out[name] = out[name].astype(int)
    return out


def _all_groups(portfolio: Portfolio, by: str) -> set[str]:
    if by == "delivery_team":
        return set(portfolio.projects["delivery_team"])
    if by == "sales_owner":
        return set(portfolio.deals["sales_owner"])
    return set(portfolio.deals["business_unit"]) | set(portfolio.projects["business_unit"])
