"""The quarterly repeat panel and its window weights: the data side of the repeat-business
models that both :mod:`satprofit.causal.repeat` (PPML process model) and
:mod:`satprofit.bayes.repeat` (deal-count model) estimate.

A repeat deal is *decided* (its proposal, or its delivery lead) some quarters before it
*closes*; the models relate the repeat value closed in quarter ``r`` to the trailing windows
ending ``1..LAGS`` quarters before. This module builds, without estimating anything:

- :func:`quarterly_panel`: the client-quarter panel with lagged windows (``<col>_prev<l>``) and
  the flow value (repeat value closed in the quarter, predetermined deals left out);
- :func:`flow_deals`, :func:`decision_dates`, :func:`decision_lags`: the won repeat deals, when
  each was decided, and how many lagged windows the data's decision-to-close gaps need;
- :func:`overlap_weights` / :func:`window_weights`: the share of each window's items dated in
  ``q-3..q`` (how far shifting the satisfaction of unit ``(c, q)`` moves window ``q + j``);
- :func:`margin_rows`, :func:`tied_shift_counts`, :func:`milestone_projects`,
  :func:`responses_in_windows`: the per-quarter counts the margin and quality paths propagate.

Quarters are indexed by ``t`` (0 = the panel's first quarter); windows are 4 quarters long.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.features.panel import client_panel, repeat_deals
from satprofit.features.projects import project_table
from satprofit.io import Portfolio

#: At most this many trailing windows (ending 1..LAGS quarters before the close quarter)
#: enter the repeat model; :func:`decision_lags` picks how many the data's deals need.
LAGS = 3
#: Share of repeat deals whose decision-to-close gap the lags must cover.
LAG_COVERAGE = 0.9
#: Windows s = q + j, j in OFFSETS, can hold responses (projects) dated in q-3..q.
OFFSETS = tuple(range(-3, 4))
#: Lag-1 covariates of the repeat models (trailing windows of the client panel).
COVARIATES = (
    "ontime_rate_trailing",
    "status_reports_by_sales_trailing",
    "escalations_per_project_trailing",
)
#: Trailing windows kept at every lag 1..LAGS.
LAGGED = ("csat_trailing", "responses_trailing", "ontime_rate_trailing")


def decision_dates(deals: pd.DataFrame, leads: pd.DataFrame) -> pd.Series:
    """When each deal was decided: the lead's creation for deals that delivery sourced (when
    the lead is known), else the proposal date."""
    created = deals["lead_id"].map(leads.set_index("lead_id")["created_date"])
    by_delivery = deals["lead_source"].eq("delivery") & created.notna()
    return deals["proposal_date"].where(~by_delivery, created)


def flow_deals(portfolio: Portfolio) -> pd.DataFrame:
    """Won repeat deals with a ``predetermined`` flag: decided before the portfolio's first
    survey response, i.e. before the data measured anything that could have moved them
    (renewals agreed before the data start).

    A client's deals decided before *its own* first response are not predetermined: on-time
    delivery acts on them, and their missing satisfaction windows enter the model as missing
    (with an indicator). Leaving them out halved the direct effect of on-time delivery where
    clients rarely answer surveys."""
    rep = repeat_deals(portfolio).copy()
    rep["decided"] = decision_dates(rep, portfolio.leads)
    start = portfolio.surveys["date"].min()
    rep["predetermined"] = rep["decided"].isna() | (rep["decided"] < start)
    return rep


def decision_lags(portfolio: Portfolio, max_lags: int = LAGS) -> int:
    """How many lagged satisfaction windows the repeat model needs: one more than the number
    of quarters between a repeat deal's decision and its close that covers
    :data:`LAG_COVERAGE` of the flow's deals (1 when deals close in the quarter they are
    decided, up to ``max_lags``)."""
    rep = flow_deals(portfolio)
    rep = rep[~rep["predetermined"] & rep["decided"].notna()]
    if rep.empty:
        return 1
    gap = (
        pd.PeriodIndex(rep["close_date"], freq="Q") - pd.PeriodIndex(rep["decided"], freq="Q")
    ).map(lambda o: o.n)
    need = int(np.quantile(np.asarray(gap, dtype=float), LAG_COVERAGE)) + 1
    return int(np.clip(need, 1, max_lags))


def quarter_index(dates: pd.Series, t0: pd.Period) -> np.ndarray:
    """Quarters from ``t0`` to each date (0 = ``t0``'s quarter)."""
    per = pd.PeriodIndex(dates, freq="Q")
    return np.asarray([(x - t0).n for x in per], dtype=int)


def quarterly_panel(portfolio: Portfolio) -> pd.DataFrame:
    """The quarterly panel with lagged windows (``<col>_prev<l>``, ``_prev`` = lag 1) and the
    flow value (repeat value closed in the quarter, predetermined deals left out)."""
    p = client_panel(portfolio, "Q", window=4, horizon=4, indices=False)
    p = p.sort_values(["client_id", "period"], kind="stable").reset_index(drop=True)
    g = p.groupby("client_id", sort=False)
    for col in (*LAGGED, *COVARIATES):
        for lag in range(1, LAGS + 1):
            p[f"{col}_prev{lag}"] = g[col].shift(lag)
        p[f"{col}_prev"] = p[f"{col}_prev1"]
    t0 = p["period"].min()
    p["t"] = (p["period"] - t0).apply(lambda o: o.n).astype(int)
    rep = flow_deals(portfolio)
    rep = rep[~rep["predetermined"]]
    flow = (
        pd.DataFrame(
            {
                "client_id": rep["client_id"].to_numpy(),
                "t": quarter_index(rep["close_date"], t0),
                "flow_value": rep["contract_value"].to_numpy(float),
            }
        )
        .groupby(["client_id", "t"], as_index=False)["flow_value"]
        .sum()
    )
    p = p.merge(flow, on=["client_id", "t"], how="left")
    p["flow_value"] = p["flow_value"].fillna(0.0)
    return p


def count_grid(p: pd.DataFrame, column: str) -> tuple[pd.Index, np.ndarray]:
    """``column`` of the panel ``p`` as a dense client x quarter array (and the clients)."""
    clients = pd.Index(p["client_id"].unique())
    n_t = int(p["t"].max()) + 1
    grid = np.zeros((len(clients), n_t))
    grid[clients.get_indexer(p["client_id"]), p["t"].to_numpy()] = p[column].to_numpy()
    return clients, grid


def window_sum(cum: np.ndarray, ci: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sums over quarters ``lo..hi`` (clipped to the panel) of client rows ``ci``, from the
    cumulative sums ``cum`` (a leading zero column)."""
    n_t = cum.shape[1] - 1
    lo, hi = np.clip(lo, 0, n_t), np.clip(hi, -1, n_t - 1)
    return np.where(hi >= lo, cum[ci, hi + 1] - cum[ci, lo], 0.0)


def overlap_weights(p: pd.DataFrame, units: pd.DataFrame, column: str = "responses") -> np.ndarray:
    """w[u, j]: share of window ``s = q + OFFSETS[j]``'s items (``column`` counts per
    quarter: responses, or projects) dated in ``q-3..q``, for each unit ``(c, q)``."""
    clients, grid = count_grid(p, column)
    cum = np.concatenate([np.zeros((len(clients), 1)), np.cumsum(grid, axis=1)], axis=1)
    ci = clients.get_indexer(units["client_id"])
    q = units["t"].to_numpy()
    w = np.zeros((len(units), len(OFFSETS)))
    for j, off in enumerate(OFFSETS):
        s = q + off
        n_s = window_sum(cum, ci, s - 3, s)
        ov = window_sum(cum, ci, np.maximum(s - 3, q - 3), np.minimum(s, q))
        w[:, j] = np.where(n_s > 0, ov / np.maximum(n_s, 1), 0.0)
    return w


def window_weights(p: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """w[u, j]: share of window q+j's responses dated in q-3..q (j = 0..3; lag-1 models)."""
    return overlap_weights(p, units)[:, 3:]


def margin_rows(portfolio: Portfolio, p: pd.DataFrame, *, flow_only: bool = False) -> pd.DataFrame:
    """Per client and quarter index ``t``: the mean margin (``rmargin``, a share) of the
    projects delivering the repeat deals closed in that quarter, their count (``projects``)
    and how many of them deliver flow deals (``flow_projects``, not predetermined)."""
    pt = project_table(portfolio)
    rep = flow_deals(portfolio).set_index("deal_id")
    rp = pt[pt["deal_id"].isin(rep.index) & pt["margin"].notna()]
    pre = rp["deal_id"].map(rep["predetermined"]).astype(bool).to_numpy()
    if flow_only:
        rp, pre = rp[~pre], pre[~pre]
    t0 = p["period"].min()
    g = pd.DataFrame(
        {
            "client_id": rp["client_id"].to_numpy(),
            "t": quarter_index(rp["deal_id"].map(rep["close_date"]), t0),
            "margin": rp["margin"].to_numpy(float),
            "flow": (~pre).astype(float),
        }
    )
    return (
        g.groupby(["client_id", "t"])
        .agg(rmargin=("margin", "mean"), projects=("margin", "size"), flow_projects=("flow", "sum"))
        .reset_index()
    )


def tied_shift_counts(
    portfolio: Portfolio,
    p: pd.DataFrame,
    units: pd.DataFrame,
    weights: pd.Series | None = None,
) -> np.ndarray:
    """c[u, j]: responses in window ``q + OFFSETS[j]`` tied to projects (with milestones)
    finished in ``q-3..q``, for each unit ``(c, q)``; with ``weights`` (by ``project_id``;
    1 for a project it does not name) each response counts its project's weight."""
    pt = project_table(portfolio)
    pt = pt[pt["finished"] & pt["ontime_rate"].notna()]
    sv = portfolio.surveys.dropna(subset=["project_id"])
    tied = sv.merge(pt[["project_id", "actual_end_date"]], on="project_id", how="inner")
    wt = (
        np.ones(len(tied))
        if weights is None
        else tied["project_id"].map(weights).fillna(1.0).to_numpy(float)
    )
    t0 = p["period"].min()
    clients = pd.Index(p["client_id"].unique())
    n_t = int(p["t"].max()) + 1
    ci = clients.get_indexer(tied["client_id"])
    rq = quarter_index(tied["date"], t0)
    fq = quarter_index(tied["actual_end_date"], t0)
    ok = ci >= 0
    ci, rq, fq, wt = ci[ok], rq[ok], fq[ok], wt[ok]
    grid = np.zeros((len(clients), n_t + 4, len(OFFSETS)))
    for a in range(4):  # unit quarter q = fq + a holds the project in q-3..q
        q_u = fq + a
        for j, off in enumerate(OFFSETS):
            s = q_u + off  # window s holds the response if s-3 <= rq <= s
            hit = (q_u >= 0) & (q_u < n_t) & (s >= rq) & (s - 3 <= rq)
            np.add.at(grid, (ci[hit], q_u[hit], np.full(hit.sum(), j)), wt[hit])
    return grid[clients.get_indexer(units["client_id"]), units["t"].to_numpy()]


def milestone_projects(portfolio: Portfolio, p: pd.DataFrame) -> pd.DataFrame:
    """Projects with milestones finished per client and quarter (``ms_projects``) on ``p``."""
    pt = project_table(portfolio)
    pt = pt[pt["finished"] & pt["ontime_rate"].notna()]
    t0 = p["period"].min()
    cnt = (
        pd.DataFrame(
            {
                "client_id": pt["client_id"].to_numpy(),
                "t": quarter_index(pt["actual_end_date"], t0),
            }
        )
        .groupby(["client_id", "t"])
        .size()
        .rename("ms_projects")
        .reset_index()
    )
    out = p[["client_id", "t"]].merge(cnt, on=["client_id", "t"], how="left")
    out["ms_projects"] = out["ms_projects"].fillna(0.0)
    return out


def responses_in_windows(p: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """n[u, j]: responses in window ``q + OFFSETS[j]`` (4 quarters) for each unit."""
    clients, grid = count_grid(p, "responses")
    cum = np.concatenate([np.zeros((len(clients), 1)), np.cumsum(grid, axis=1)], axis=1)
    ci = clients.get_indexer(units["client_id"])
    q = units["t"].to_numpy()
    return np.stack([window_sum(cum, ci, q + off - 3, q + off) for off in OFFSETS], axis=1)
