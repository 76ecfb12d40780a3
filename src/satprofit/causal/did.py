r"""Staggered difference-in-differences for the delivery lead bonus.

Business units adopt the bonus at different quarters, so plain two-way fixed effects would mix
already-treated units into the controls and weight group-time effects negatively (Goodman-Bacon
2021). Two estimators valid under heterogeneous timing are offered, both built from group-time
effects and aggregated with equal weight per treated business-unit quarter (the estimand of
QUESTIONS.md: the plain mean over treated unit-quarters):

* ``did`` (default): imputation with a multiplicative (Poisson) two-way model, the count-data
  version of Borusyak, Jaravel & Spiess (2024) recommended by Wooldridge (2023, Econometrics
  J.): fit :math:`\log E[Y_{bt}(0)] = \alpha_b + \gamma_t` by Poisson maximum likelihood on the
  untreated quarters (never and not-yet treated), impute :math:`\hat Y_{bt}(0)` for treated
  quarters, and average :math:`Y_{bt} - \hat Y_{bt}(0)`. Parallel trends are assumed in ratios,
  which suits counts when units differ in size.
* ``did_cs``: Callaway & Sant'Anna (2021) group-time ATTs with not-yet-treated controls and the
  period before adoption as base, parallel trends in levels.

Pre-trends: the imputation model is refitted without each adopter's last three pre-adoption
quarters and those quarters' placebo effects (which should be 0) are tested jointly.

Uncertainty: the outcome is a sum of clients' leads, so clients are resampled with replacement
within business units (B bootstrap replicates) and everything is recomputed; intervals are
percentile intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from satprofit.causal.results import CausalEstimate, finish, refusal_figure, require_diagnostic
from satprofit.causal.support import NotEstimable
from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB
from satprofit.features.business_units import client_business_unit, policy_starts
from satprofit.features.panel import client_panel
from satprofit.io import Portfolio
from satprofit.questions import estimand

PRE_PERIODS = 3


@dataclass
class LeadPanel:
    """Client-level delivery leads (clients x quarters) and the units' adoption quarters."""

    leads: np.ndarray  # [client, quarter]
    unit_of_client: np.ndarray  # [client] -> unit index
    units: list[str]
    periods: pd.PeriodIndex
    cohort: np.ndarray  # [unit] first quarter in force (index), n_periods if never

    def unit_sums(self, clients: np.ndarray | None = None) -> np.ndarray:
        rows = np.arange(len(self.unit_of_client)) if clients is None else clients
        out = np.zeros((len(self.units), len(self.periods)))
        np.add.at(out, self.unit_of_client[rows], self.leads[rows])
        return out


def lead_panel(portfolio: Portfolio, policy: str = "delivery_lead_bonus") -> LeadPanel:
    """Full quarters of delivery leads per client, clients' units and units' adoption quarter."""
    panel = client_panel(portfolio, "Q", indices=False)
    panel = panel[panel["full_period"]]
    periods = pd.PeriodIndex(sorted(panel["period"].unique()), freq="Q")
    unit_of = client_business_unit(portfolio).dropna()
    units = sorted(unit_of.unique())
    clients = list(unit_of.index)
    wide = (
        panel[panel["client_id"].isin(clients)]
        .pivot_table(
            index="client_id",
            columns="period",
            values="leads_delivery",
            aggfunc="sum",
            fill_value=0.0,
        )
        .reindex(index=clients, columns=periods, fill_value=0.0)
    )
    starts = policy_starts(portfolio)
    starts = starts[starts["policy"] == policy].set_index("business_unit")["start_date"]
    cohort = np.full(len(units), len(periods))
    for i, u in enumerate(units):
        if u in starts.index:
            # first quarter whose first day the policy is in force on
            in_force = np.flatnonzero(periods.start_time >= starts[u])
            cohort[i] = in_force[0] if len(in_force) else len(periods)
    unit_index = {u: i for i, u in enumerate(units)}
    return LeadPanel(
        wide.to_numpy(float), unit_of.map(unit_index).to_numpy(), units, periods, cohort
    )


def _poisson_twoway(y: np.ndarray, mask: np.ndarray, iters: int = 500, tol: float = 1e-10):
    """Poisson MLE of log mu = a_b + g_t on the cells in ``mask`` (iterative proportional
    fitting; exact for the saturated two-way model). Returns (a, g); NaN where unidentified."""
    nb, nt = y.shape
    a, g = np.zeros(nb), np.zeros(nt)
    ym = np.where(mask, y, 0.0)
    row_tot, col_tot = ym.sum(1), ym.sum(0)
    has_row, has_col = mask.any(1), mask.any(0)
    for _ in range(iters):
        a_old = a.copy()
        denom = (mask * np.exp(g)[None, :]).sum(1)
        a = np.where(
            has_row & (row_tot > 0),
            np.log(np.maximum(row_tot, 1e-300)) - np.log(np.maximum(denom, 1e-300)),
            -np.inf,
        )
        ea = np.where(np.isfinite(a), np.exp(np.where(np.isfinite(a), a, 0)), 0.0)
        denom = (mask * ea[:, None]).sum(0)
        g = np.where(
            has_col & (denom > 0),
            np.log(np.maximum(col_tot, 1e-300)) - np.log(np.maximum(denom, 1e-300)),
            0.0,
        )
        g = np.where(col_tot > 0, g, -30.0)
        finite = np.isfinite(a)
        if np.all(np.abs(a[finite] - a_old[finite]) < tol):
            break
    a = np.where(has_row, a, np.nan)
    g = np.where(has_col, g, np.nan)
    return a, g


def _imputation(y: np.ndarray, cohort: np.ndarray, drop_pre: int = 0):
    """Treated-cell effects Y - Y0_hat; with ``drop_pre`` > 0, also placebo effects of the
    last ``drop_pre`` pre-adoption quarters (left out of the fit). Returns (tau, event_time)
    arrays over the cells that have an effect (NaN where Y0 cannot be imputed)."""
    nb, nt = y.shape
    t_idx = np.arange(nt)[None, :]
    treated = t_idx >= cohort[:, None]
    event = t_idx - cohort[:, None]
    placebo = (
        (~treated) & (event >= -drop_pre) & (cohort[:, None] < nt)
        if drop_pre
        else np.zeros_like(treated)
    )
    fit_mask = ~treated & ~placebo
    a, g = _poisson_twoway(y, fit_mask)
    mu0 = np.exp(np.where(np.isfinite(a), a, -np.inf)[:, None] + g[None, :])
    mu0 = np.where(np.isnan(a)[:, None] | np.isnan(g)[None, :], np.nan, mu0)
    cells = treated | placebo
    tau = np.where(cells, y - mu0, np.nan)
    return tau, event, treated, placebo


def _callaway_santanna(y: np.ndarray, cohort: np.ndarray):
    """Group-time ATTs with not-yet-treated controls, base period g-1; returns cell-level
    effects in the same layout as the imputation estimator (each unit of a cohort gets its
    cohort's ATT(g, t))."""
    nb, nt = y.shape
    tau = np.full((nb, nt), np.nan)
    for g in np.unique(cohort[(cohort > 0) & (cohort < nt)]):
        grp = cohort == g
        for t in range(nt):
            base = g - 1
            ctrl = (cohort > max(t, base)) & ~grp
            if not ctrl.any():
                continue
            att = (y[grp, t] - y[grp, base]).mean() - (y[ctrl, t] - y[ctrl, base]).mean()
            tau[grp, t] = att
    event = np.arange(nt)[None, :] - cohort[:, None]
    treated = event >= 0
    return tau, event, treated, (~treated) & (event >= -PRE_PERIODS) & (event <= -2)


def _summaries(tau, event, treated, placebo):
    att = np.nanmean(np.where(treated, tau, np.nan)) if np.isfinite(tau[treated]).any() else np.nan
    es = {}
    for e in np.unique(event[(treated | placebo) & np.isfinite(tau)]):
        es[int(e)] = float(np.nanmean(tau[(event == e) & (treated | placebo)]))
    return att, es


def staggered_did(
    portfolio: Portfolio,
    *,
    method: str = "did",
    n_boot: int = 199,
    seed: int = DEFAULT_SEED,
) -> CausalEstimate:
    """ATT of the delivery lead bonus on delivery leads a quarter per business unit."""
    lp = lead_panel(portfolio)
    y = lp.unit_sums()
    nt = len(lp.periods)
    adopters = (lp.cohort > 0) & (lp.cohort < nt)
    if not adopters.any():
        raise NotEstimable(
            "no business unit adopted the delivery lead bonus during the period the data "
            "cover, so its effect cannot be estimated"
        )
    keep = lp.cohort > 0  # always-treated units have no untreated quarter: dropped
    cohort = lp.cohort[keep]

    def run(yy):
        yy = yy[keep]
        if method == "did_cs":
            parts = _callaway_santanna(yy, cohort)
            placebo_parts = parts
        else:
            parts = _imputation(yy, cohort)
            placebo_parts = _imputation(yy, cohort, drop_pre=PRE_PERIODS)
        att, es_post = _summaries(*parts)
        _, es_pre = _summaries(*placebo_parts)
        pre = {e: v for e, v in es_pre.items() if e < 0}
        return att, {**pre, **{e: v for e, v in es_post.items() if e >= 0}}

    att, event_study = run(y)
    rng = np.random.default_rng(seed)
    by_unit = [np.flatnonzero(lp.unit_of_client == u) for u in range(len(lp.units))]
    boots, es_boots = [], []
    for _ in range(n_boot):
        pick = np.concatenate([rng.choice(ix, len(ix)) for ix in by_unit if len(ix)])
        a_b, es_b = run(lp.unit_sums(pick))
        boots.append(a_b)
        es_boots.append([es_b.get(e, np.nan) for e in event_study])
    boots = np.asarray(boots)
    es_boots = np.asarray(es_boots)
    alpha = (1 - INTERVAL_PROB) / 2
    lo, hi = np.nanquantile(boots, [alpha, 1 - alpha])
    se = float(np.nanstd(boots, ddof=1))
    keys = list(event_study)
    es_lo, es_hi = np.nanquantile(es_boots, [alpha, 1 - alpha], axis=0)
    es_table = pd.DataFrame(
        {
            "event_time": keys,
            "effect": [event_study[k] for k in keys],
            "ci_low": es_lo,
            "ci_high": es_hi,
        }
    )
    pre_cols = [i for i, k in enumerate(keys) if k < 0 and np.isfinite(event_study[k])]
    pretrend_p = (
        _wald_p(np.array([event_study[keys[i]] for i in pre_cols]), es_boots[:, pre_cols])
        if pre_cols
        else float("nan")
    )
    treated_cells = int(sum(max(0, nt - c) for c in cohort if c < nt))
    diagnostics = {
        "event_study": es_table,
        "pretrend_p_value": pretrend_p,
        "pretrend_ok": bool(not np.isfinite(pretrend_p) or pretrend_p > 0.05),
        "cohorts": {
            lp.units[i]: (str(lp.periods[c]) if c < nt else "never")
            for i, c in enumerate(lp.cohort)
        },
        "n_boot": n_boot,
        "bootstrap": boots,
    }
    sd_y = float(np.std(y))
    label = (
        "Poisson imputation (Wooldridge 2023; Borusyak et al. 2024)"
        if method == "did"
        else "Callaway & Sant'Anna (2021), not-yet-treated controls"
    )
    return finish(
        "delivery_bonus_to_leads",
        estimand("delivery_bonus_to_leads").unit,
        method,
        float(att),
        se,
        n=treated_cells,
        n_clusters=int(keep.sum()),
        adjustment=("business unit FE", "period FE"),
        sd_outcome=sd_y,
        interval=(float(lo), float(hi)),
        diagnostics=diagnostics,
        note=f"{label}; clients resampled within business units",
    )


def _wald_p(est: np.ndarray, draws: np.ndarray) -> float:
    """Joint test that pre-adoption placebo effects are 0, bootstrap covariance."""
    ok = np.isfinite(draws).all(axis=1)
    draws = draws[ok]
    if len(draws) < 10 or not len(est):
        return float("nan")
    cov = np.cov(draws, rowvar=False).reshape(len(est), len(est))
    stat = float(est @ np.linalg.pinv(cov) @ est)
    return float(stats.chi2.sf(stat, df=len(est)))


def plot_event_study(result: CausalEstimate, *, ax=None):
    """Effect by quarters since adoption (placebo quarters before), with intervals. Returns
    the figure (for a refused or failed estimate, a figure that says why)."""
    import matplotlib.pyplot as plt

    if not result.ok:
        return refusal_figure(result, ax=ax, figsize=(7, 3.5))
    require_diagnostic(result, "event_study", "plot_event_study", "a staggered DiD estimate")
    es = result.diagnostics["event_study"]
    fig = ax.figure if ax is not None else plt.figure(figsize=(7, 3.5))
    ax = ax or fig.add_subplot()
    pre = es["event_time"] < 0
    for mask, color, label in (
        (pre, "tab:gray", "before adoption (placebo)"),
        (~pre, "tab:blue", "after adoption"),
    ):
        sub = es[mask]
        ax.errorbar(
            sub["event_time"],
            sub["effect"],
            yerr=[sub["effect"] - sub["ci_low"], sub["ci_high"] - sub["effect"]],
            fmt="o",
            color=color,
            capsize=3,
            label=label,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", ls=":", lw=1)
    ax.set_xlabel("quarters since the bonus came into force")
    ax.set_ylabel("extra delivery leads a quarter")
    p = result.diagnostics.get("pretrend_p_value")
    ax.set_title(f"Event study: delivery lead bonus (pre-trend test p = {p:.2f})")
    ax.legend(fontsize=8)
    return fig
