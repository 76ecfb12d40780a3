"""The client-period panel: engagement, quality, satisfaction, commercial features and targets.

Leakage rule: a feature of period ``t`` uses only events dated on or before the end of ``t``;
a target of period ``t`` uses only events dated after it. Project measures that are only known
at the end of a project (on-time rate, overrun, slip, revenue, margin) count in the period the
project *finished*: a running project's milestone and cost figures are as of the export date,
so using them earlier would leak the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import REPEAT_DEAL_TYPES, SOURCE_TEAMS
from satprofit.features.indices import add_indices
from satprofit.features.keys import isin, lookup
from satprofit.features.periods import (
    ClientCodes,
    PeriodGrid,
    forward,
    grid_sum,
    ratio,
    trailing,
)
from satprofit.features.projects import joint_engagements, project_table, sales_status_reports
from satprofit.io import Portfolio

#: The article's six dashboard metrics, under the names fixed by the data contract.
DASHBOARD_METRICS: tuple[str, ...] = (
    "delivery_leads",
    "delivery_lead_net_sales",
    "sales_meetings_with_delivery",
    "status_reports_by_sales",
    "escalations_with_sales",
    "joint_engagements",
)


def metric_events(portfolio: Portfolio) -> dict[str, tuple[pd.DataFrame, str, str | None]]:
    """For each dashboard metric: the events it counts, their date column, and the value column
    summed (None to count rows)."""
    it, de, es, ld = (
        portfolio.interactions,
        portfolio.deals,
        portfolio.escalations,
        portfolio.leads,
    )
    return {
        "delivery_leads": (ld[ld["source_team"] == "delivery"], "created_date", None),
        "delivery_lead_net_sales": (
            de[(de["status"] == "won") & (de["lead_source"] == "delivery")],
            "close_date",
            "contract_value",
        ),
        "sales_meetings_with_delivery": (
            it[(it["kind"] == "sales_meeting") & it["delivery_present"]],
            "date",
            None,
        ),
        "status_reports_by_sales": (sales_status_reports(portfolio), "date", None),
        "escalations_with_sales": (es[es["sales_involved"]], "opened_date", None),
        "joint_engagements": (joint_engagements(portfolio), "date", None),
    }


def repeat_deals(portfolio: Portfolio) -> pd.DataFrame:
    """Won repeat-business deals (renewal, add_on, cross_sell)."""
    de = portfolio.deals
    return de[(de["status"] == "won") & de["deal_type"].isin(REPEAT_DEAL_TYPES)]


def client_panel(
    portfolio: Portfolio,
    freq: str = "Q",
    *,
    window: int | None = None,
    horizon: int | None = None,
    data_end: str | pd.Timestamp | None = None,
    indices: bool = True,
) -> pd.DataFrame:
    """One row per client and calendar period, from the client's first activity to the data's end.

    Parameters
    ----------
    portfolio : Portfolio
    freq : str
        pandas period frequency; quarters ("Q") by default.
    window : int, optional
        Periods in the trailing window of satisfaction and ``*_trailing`` features (default: one
        year, 4 quarters).
    horizon : int, optional
        Periods ahead for the targets (default: one year, 4 quarters).
    data_end : date, optional
        Last day of data (default: the latest event date). Periods ending after it are not full;
        targets that would need them are missing.
    indices : bool
        Add the composite ``delivery_quality_index`` and ``sales_engagement_index``.

    Returns
    -------
    DataFrame
        ``client_id``, ``period`` (pandas Period), and per period ``t``:

        *Delivery quality* (projects finished in ``t``): ``projects_finished``,
        ``ontime_rate`` (mean over those with milestones planned), ``cost_overrun``,
        ``schedule_slip_days``, ``defects_per_project``, ``change_requests_per_project``;
        ``active_projects`` (started by the end of ``t``, not finished before it);
        ``escalations`` opened in ``t``, ``escalations_severe`` (high or critical).

        *Sales engagement* (events in ``t``): ``status_reports_by_sales``,
        ``joint_engagements``, ``sales_meetings_with_delivery``, ``escalations_with_sales``,
        ``sales_escalation_share``, ``deals_proposed``, ``signoff_share`` (of deals proposed).

        *Satisfaction*: ``responses`` (in ``t``), ``responses_trailing``, ``csat_trailing``,
        ``nps_trailing`` (over the ``window`` periods up to ``t``).

        *Commercial*: ``bookings`` (won contract value closed in ``t``), ``revenue`` and
        ``margin`` of projects finished in ``t``, ``leads_sales``, ``leads_delivery``,
        ``leads_partner``, ``leads_marketing``, ``delivery_leads`` (= ``leads_delivery``),
        ``delivery_lead_net_sales``.

        *Trailing* (``window`` periods up to ``t``): ``ontime_rate_trailing``,
        ``cost_overrun_trailing``, ``schedule_slip_days_trailing``,
        ``projects_finished_trailing``, ``defects_per_project_trailing``,
        ``change_requests_per_project_trailing``, ``escalations_per_project_trailing``,
        ``status_reports_by_sales_trailing``, ``joint_engagements_trailing``,
        ``sales_meetings_with_delivery_trailing``, ``sales_escalation_share_trailing``,
        ``signoff_share_trailing``, ``repeat_value_trailing``.

        *Repeat business closed in ``t``*: ``repeat_value``, ``repeat_count``. (Their margin is
        known only when the delivering projects finish, so it is a target, never a feature.)

        *Targets* (periods ``t+1..t+horizon``; missing when any of them is not full):
        ``repeat_value_next``, ``repeat_count_next``, ``repeat_margin_next`` (mean margin of
        the projects delivering those deals; missing when none).

        Counts are 0 when nothing happened; means and shares are NaN when their denominator is
        0.
    """
    grid = PeriodGrid.from_portfolio(portfolio, freq, data_end)
    w = window or grid.per_year
    h = horizon or grid.per_year
    C, P = len(portfolio.clients), grid.n
    shape = (C, P)
    cc = ClientCodes(portfolio)
    f: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ delivery quality
    proj = project_table(portfolio, data_end=grid.data_end)
    pcode = cc(proj)
    fin = grid.code(proj["actual_end_date"])
    has_ms = proj["ontime_rate"].notna().to_numpy()
    n_fin = grid_sum(pcode, fin, shape)
    n_ms = grid_sum(pcode, np.where(has_ms, fin, -1), shape)
    sums = {
        k: grid_sum(pcode, fin, shape, proj[k].to_numpy())
        for k in ("ontime_rate", "cost_overrun", "schedule_slip_days", "defects", "change_requests")
    }
    rev = grid_sum(pcode, fin, shape, portfolio.projects["revenue"].to_numpy())
    cost = grid_sum(pcode, fin, shape, portfolio.projects["actual_cost"].to_numpy())
    f["projects_finished"] = n_fin
    f["ontime_rate"] = ratio(sums["ontime_rate"], n_ms)
    f["cost_overrun"] = ratio(sums["cost_overrun"], n_fin)
    f["schedule_slip_days"] = ratio(sums["schedule_slip_days"], n_fin)
    f["defects_per_project"] = ratio(sums["defects"], n_fin)
    f["change_requests_per_project"] = ratio(sums["change_requests"], n_fin)
    start = grid.code(proj["start_date"])
    # active from the start period through the finish period (or the end while running)
    stop = np.where(fin >= 0, fin, P - 1)
    diff = np.zeros((C, P + 1))
    ok = (pcode >= 0) & (start >= 0)
    np.add.at(diff, (pcode[ok], start[ok]), 1)
    np.add.at(diff, (pcode[ok], stop[ok] + 1), -1)
    f["active_projects"] = np.cumsum(diff, axis=1)[:, :P]
    es = portfolio.escalations
    ecode, eper = cc(es), grid.code(es["opened_date"])
    f["escalations"] = grid_sum(ecode, eper, shape)
    f["escalations_severe"] = grid_sum(
        ecode, eper, shape, es["severity"].isin(["high", "critical"]).to_numpy()
    )

    # ------------------------------------------------------------------ the article's metrics
    for name, (events, date_col, value_col) in metric_events(portfolio).items():
        weights = None if value_col is None else events[value_col].to_numpy()
        f[name] = grid_sum(cc(events), grid.code(events[date_col]), shape, weights)
    f["sales_escalation_share"] = ratio(f["escalations_with_sales"], f["escalations"])
    de = portfolio.deals
    dcode, dprop = cc(de), grid.code(de["proposal_date"])
    f["deals_proposed"] = grid_sum(dcode, dprop, shape)
    signed = grid_sum(dcode, dprop, shape, de["presales_delivery_signoff"].to_numpy())
    f["signoff_share"] = ratio(signed, f["deals_proposed"])

    # ------------------------------------------------------------------ satisfaction
    sv = portfolio.surveys
    scode, sper = cc(sv), grid.code(sv["date"])
    nps = sv["nps"].astype(float).to_numpy()
    n_resp = grid_sum(scode, sper, shape)
    csat_sum = grid_sum(scode, sper, shape, sv["csat"].to_numpy())
    nps_n = grid_sum(scode, sper, shape, ~np.isnan(nps))
    nps_sum = grid_sum(scode, sper, shape, nps)
    f["responses"] = n_resp
    f["responses_trailing"] = trailing(n_resp, w)
    f["csat_trailing"] = ratio(trailing(csat_sum, w), f["responses_trailing"])
    f["nps_trailing"] = ratio(trailing(nps_sum, w), trailing(nps_n, w))

    # ------------------------------------------------------------------ commercial
    won = de[de["status"] == "won"]
    f["bookings"] = grid_sum(
        cc(won), grid.code(won["close_date"]), shape, won["contract_value"].to_numpy()
    )
    f["revenue"] = rev
    f["margin"] = ratio(rev - cost, rev)
    ld = portfolio.leads
    lcode, lper = cc(ld), grid.code(ld["created_date"])
    for team in SOURCE_TEAMS:
        f[f"leads_{team}"] = grid_sum(lcode, lper, shape, (ld["source_team"] == team).to_numpy())

    # ------------------------------------------------------------------ trailing windows
    tr_ms, tr_fin = trailing(n_ms, w), trailing(n_fin, w)
    f["ontime_rate_trailing"] = ratio(trailing(sums["ontime_rate"], w), tr_ms)
    f["cost_overrun_trailing"] = ratio(trailing(sums["cost_overrun"], w), tr_fin)
    f["schedule_slip_days_trailing"] = ratio(trailing(sums["schedule_slip_days"], w), tr_fin)
    f["projects_finished_trailing"] = tr_fin
    f["defects_per_project_trailing"] = ratio(trailing(sums["defects"], w), tr_fin)
    f["change_requests_per_project_trailing"] = ratio(trailing(sums["change_requests"], w), tr_fin)
    f["escalations_per_project_trailing"] = ratio(
        trailing(f["escalations"], w), trailing(f["active_projects"], w)
    )
    for name in ("status_reports_by_sales", "joint_engagements", "sales_meetings_with_delivery"):
        f[f"{name}_trailing"] = trailing(f[name], w)
    f["sales_escalation_share_trailing"] = ratio(
        trailing(f["escalations_with_sales"], w), trailing(f["escalations"], w)
    )
    f["signoff_share_trailing"] = ratio(trailing(signed, w), trailing(f["deals_proposed"], w))

    # ------------------------------------------------------------------ repeat business
    rep = repeat_deals(portfolio)
    rcode, rper = cc(rep), grid.code(rep["close_date"])
    rep_value = grid_sum(rcode, rper, shape, rep["contract_value"].to_numpy())
    rep_count = grid_sum(rcode, rper, shape)
    f["repeat_value"] = rep_value
    f["repeat_count"] = rep_count
    f["repeat_value_trailing"] = trailing(rep_value, w)
    rp = proj[isin(proj["deal_id"], rep["deal_id"])]
    rp_close = grid.code(pd.Series(lookup(rp["deal_id"], rep["deal_id"], rep["close_date"])))
    rp_code = cc(rp)
    m = rp["margin"].to_numpy()
    margin_sum = grid_sum(rp_code, rp_close, shape, m)
    margin_n = grid_sum(rp_code, rp_close, shape, ~np.isnan(m))
    valid = (np.arange(P) + h) <= grid.n_full - 1
    f["repeat_value_next"] = np.where(valid, forward(rep_value, h), np.nan)
    f["repeat_count_next"] = np.where(valid, forward(rep_count, h), np.nan)
    f["repeat_margin_next"] = np.where(
        valid, ratio(forward(margin_sum, h), forward(margin_n, h)), np.nan
    )

    # ------------------------------------------------------------------ rows that exist
    # a client has rows from the period of its first engagement or first event, if earlier
    first = np.full(C, P, dtype=np.int64)
    dated = [
        (portfolio.clients, "first_engagement_date"),
        (portfolio.projects, "start_date"),
        (sv, "date"),
        (de, "close_date"),
        (de, "proposal_date"),
        (portfolio.interactions, "date"),
        (ld, "created_date"),
        (es, "opened_date"),
    ]
    for frame, col in dated:
        c, dates = cc(frame), frame[col]
        codes = grid.code(dates)
        codes = np.where(codes >= 0, codes, np.where(dates < grid.periods[0].start_time, 0, P))
        ok = c >= 0
        np.minimum.at(first, c[ok], codes[ok])
    keep = np.arange(P)[None, :] >= first[:, None]
    rows, cols = np.nonzero(keep)
    panel = pd.DataFrame(
        {
            "client_id": portfolio.clients["client_id"].to_numpy()[rows],
            "period": pd.PeriodIndex(grid.periods[cols]),
        }
    )
    panel["full_period"] = cols < grid.n_full
    for name in _ORDER:
        panel[name] = f[name][rows, cols]
    panel = panel.reset_index(drop=True)
    panel.attrs.update(freq=freq, window=w, horizon=h, data_end=str(grid.data_end.date()))
    return add_indices(panel) if indices else panel


_ORDER = (
    # delivery quality
    "projects_finished",
    "ontime_rate",
    "cost_overrun",
    "schedule_slip_days",
    "defects_per_project",
    "change_requests_per_project",
    "active_projects",
    "escalations",
    "escalations_severe",
    # sales engagement
    "status_reports_by_sales",
    "joint_engagements",
    "sales_meetings_with_delivery",
    "escalations_with_sales",
    "sales_escalation_share",
    "deals_proposed",
    "signoff_share",
    # satisfaction
    "responses",
    "responses_trailing",
    "csat_trailing",
    "nps_trailing",
    # commercial
    "bookings",
    "revenue",
    "margin",
    "leads_sales",
    "leads_delivery",
    "leads_partner",
    "leads_marketing",
    "delivery_leads",
    "delivery_lead_net_sales",
    # trailing
    "ontime_rate_trailing",
    "cost_overrun_trailing",
    "schedule_slip_days_trailing",
    "projects_finished_trailing",
    "defects_per_project_trailing",
    "change_requests_per_project_trailing",
    "escalations_per_project_trailing",
    "status_reports_by_sales_trailing",
    "joint_engagements_trailing",
    "sales_meetings_with_delivery_trailing",
    "sales_escalation_share_trailing",
    "signoff_share_trailing",
    "repeat_value_trailing",
    # repeat business closed in the period
    "repeat_value",
    "repeat_count",
    # targets
    "repeat_value_next",
    "repeat_count_next",
    "repeat_margin_next",
)
