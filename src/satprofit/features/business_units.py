"""Business-unit features: which unit a client belongs to, and the unit-quarter panel of the
incentive question."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import POLICIES
from satprofit.features.periods import PeriodGrid, grid_sum
from satprofit.io import Portfolio


def client_business_unit(portfolio: Portfolio) -> pd.Series:
    """Each client's business unit: the unit of most of its deals (ties: alphabetical first).

    Clients without deals get NaN. Indexed by ``client_id``.
    """
    de = portfolio.deals
    counts = de.groupby(["client_id", "business_unit"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["client_id", "n", "business_unit"], ascending=[True, False, True], kind="stable"
    )
    first = counts.drop_duplicates("client_id").set_index("client_id")["business_unit"]
    return first.reindex(portfolio.clients["client_id"]).rename("business_unit")


def policy_starts(portfolio: Portfolio) -> pd.DataFrame:
    """First start date of each (business_unit, policy) in the incentives table."""
    inc = portfolio.incentives
    return (
        inc.groupby(["business_unit", "policy"], as_index=False)["start_date"]
        .min()
        .sort_values(["business_unit", "policy"], kind="stable")
        .reset_index(drop=True)
    )


def business_unit_panel(
    portfolio: Portfolio, freq: str = "Q", data_end: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per business unit and period: delivery leads and the policies in force.

    A lead belongs to its client's business unit (:func:`client_business_unit`). A policy is
    *in force* in a period when its start date is on or before the period's first day.

    Returns
    -------
    DataFrame
        ``business_unit``, ``period``, ``full_period``, ``delivery_leads`` (leads with
        source_team delivery created in the period), ``leads`` (all sources), ``clients`` (of
        the unit), and per policy (the contract's three plus any other in the incentives table)
        ``<policy>`` (bool, in force at the period's start) and ``<policy>_first_period`` (the
        first period in force, as text; empty when never).
    """
    grid = PeriodGrid.from_portfolio(portfolio, freq, data_end)
    unit_of = client_business_unit(portfolio)
    units = pd.Index(sorted(set(unit_of.dropna()) | set(portfolio.incentives["business_unit"])))
    ld = portfolio.leads
    lunit = units.get_indexer(ld["client_id"].map(unit_of))
    lper = grid.code(ld["created_date"])
    shape = (len(units), grid.n)
    delivery = grid_sum(lunit, lper, shape, (ld["source_team"] == "delivery").to_numpy())
    allleads = grid_sum(lunit, lper, shape)
    n_clients = unit_of.value_counts().reindex(units).fillna(0).to_numpy()
    rows, cols = np.indices(shape).reshape(2, -1)
    out = pd.DataFrame(
        {
            "business_unit": units.to_numpy()[rows],
            "period": pd.PeriodIndex(grid.periods[cols]),
            "full_period": cols < grid.n_full,
            "delivery_leads": delivery[rows, cols],
            "leads": allleads[rows, cols],
            "clients": n_clients[rows],
        }
    )
    starts = policy_starts(portfolio)
    period_start = out["period"].dt.start_time
    policies = list(dict.fromkeys([*POLICIES, *starts["policy"]]))
    for pol in policies:
        s = starts[starts["policy"] == pol].set_index("business_unit")["start_date"]
        start = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        known = out["business_unit"].isin(s.index)
        if known.any():
            start[known] = out.loc[known, "business_unit"].map(s).to_numpy()
        out[pol] = (start <= period_start).fillna(False).astype(bool).to_numpy()
        first = {u: _first_full_period(d, freq) for u, d in s.items()}
        out[f"{pol}_first_period"] = [first.get(u, "") for u in out["business_unit"]]
    return out


def _first_full_period(start: pd.Timestamp, freq: str) -> str:
    """The first period whose first day is on or after ``start``."""
    p = start.to_period(freq)
    return str(p if p.start_time >= start else p + 1)
