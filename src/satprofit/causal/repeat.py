r"""Satisfaction and re-business, modelled quarter by quarter ("repeat dynamics").

The estimand of ``csat_to_repeat`` moves the client's mean csat over the 4 quarters up to ``q``
by ``d`` and looks at repeat business over the next 4 quarters. Regressing that 4-quarter
outcome on the 4-quarter mean directly, with client fixed effects, is badly attenuated: both
are overlapping moving sums, and the within-client transformation removes much of the
covariance between a window and the windows that follow it, through which most of the effect
runs. So the process is modelled where it happens, one quarter at a time:

.. math::

    E[D_{c,r}] = \exp(\alpha_c + \gamma_r + \beta\,T_{c,r-1} + x_{c,r-1}^\top\delta)

for the repeat value :math:`D_{c,r}` closed in quarter :math:`r` (Poisson pseudo-maximum
likelihood with client and quarter fixed effects: consistent for non-negative outcomes, no
incidental-parameter bias), and a linear fixed-effects model (weighted by the number of projects) for the mean margin of
the projects that deliver the deals closed in ``r``. The intervention is then propagated exactly as the
estimand defines it: shifting the responses of quarters ``q-3..q`` moves the trailing mean of
window ``s = q..q+3`` by ``d w_{c,q,s}``, ``w`` the share of that window's responses dated in
``q-3..q`` (observed counts), so for unit ``(c, q)``

.. math::

    \tau_{cq} = \sum_{s=q}^{q+3} \hat\mu_{c,s+1}\,\big(e^{\beta w_{c,q,s} d/2}
                - e^{-\beta w_{c,q,s} d/2}\big),

averaged without weights over the question's units; the effect scales with each client's own
fitted level :math:`\hat\mu`, as repeat value scales with client size. Standard errors by the
delta method from the cluster-robust (by client) covariance of :math:`\beta`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from satprofit.causal.regression import full_rank
from satprofit.causal.results import CausalEstimate, finish
from satprofit.features.panel import client_panel, repeat_deals
from satprofit.features.projects import project_table
from satprofit.features.questions import question_table
from satprofit.io import Portfolio

COVARIATES = (
    "ontime_rate_trailing",
    "status_reports_by_sales_trailing",
    "escalations_per_project_trailing",
)


def _quarterly(portfolio: Portfolio) -> pd.DataFrame:
    """The quarterly panel with each row's previous-quarter state attached."""
    p = client_panel(portfolio, "Q", window=4, horizon=4, indices=False)
    p = p.sort_values(["client_id", "period"], kind="stable").reset_index(drop=True)
    g = p.groupby("client_id", sort=False)
    for col in ("csat_trailing", "responses_trailing", *COVARIATES):
        p[f"{col}_prev"] = g[col].shift(1)
    p["t"] = (p["period"] - p["period"].min()).apply(lambda o: o.n).astype(int)
    return p


def _prev_design(rows: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for c in COVARIATES:
        v = rows[f"{c}_prev"].to_numpy(float)
        miss = np.isnan(v)
        cols.append(np.where(miss, 0.0, v))
        names.append(c)
        if miss.any() and not miss.all():
            cols.append(miss.astype(float))
            names.append(f"{c}_missing")
    x = np.column_stack(cols) if cols else np.zeros((len(rows), 0))
    keep = x.std(axis=0) > 0
    return x[:, keep], [n for n, k in zip(names, keep, strict=True) if k]


def _weights(p: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """w[u, j]: share of window q+j's responses dated in q-3..q, for each unit (c, q)."""
    clients = pd.Index(p["client_id"].unique())
    n_t = int(p["t"].max()) + 1
    resp = np.zeros((len(clients), n_t))
    resp[clients.get_indexer(p["client_id"]), p["t"].to_numpy()] = p["responses"].to_numpy()
    cum = np.concatenate([np.zeros((len(clients), 1)), np.cumsum(resp, axis=1)], axis=1)

    def window(ci, lo, hi):
        lo, hi = np.clip(lo, 0, n_t), np.clip(hi, -1, n_t - 1)
        return np.where(hi >= lo, cum[ci, hi + 1] - cum[ci, lo], 0.0)

    ci = clients.get_indexer(units["client_id"])
    q = units["t"].to_numpy()
    w = np.zeros((len(units), 4))
    for j in range(4):
        s = q + j
        n_s = window(ci, s - 3, s)
        w[:, j] = np.where(n_s > 0, window(ci, s - 3, q) / np.maximum(n_s, 1), 0.0)
    return w


def _wdemean(a: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Subtract weighted group means (within transformation of weighted least squares)."""
    a = np.asarray(a, dtype=float)
    a2 = a[:, None] if a.ndim == 1 else a
    n = groups.max() + 1
    wsum = np.bincount(groups, weights=weights, minlength=n)
    means = (
        np.stack(
            [
                np.bincount(groups, weights=weights * a2[:, j], minlength=n)
                for j in range(a2.shape[1])
            ],
            axis=1,
        )
        / wsum[:, None]
    )
    out = a2 - means[groups]
    return out[:, 0] if a.ndim == 1 else out


def repeat_dynamics(portfolio: Portfolio, part: str = "value") -> CausalEstimate:
    """csat_to_repeat (``part`` value or margin) by the quarterly model (module docstring)."""
    p = _quarterly(portfolio)
    qt = question_table(portfolio, f"csat_to_repeat.{part}")
    units = qt.data[["client_id", "period"]].copy()
    units["period"] = pd.PeriodIndex(units["period"], freq="Q")
    units = units.merge(p[["client_id", "period", "t"]], on=["client_id", "period"])
    if len(units) < 10:
        raise ValueError(f"only {len(units)} units of analysis (need at least 10)")
    w = _weights(p, units)
    sample = p[p["full_period"] & (p["responses_trailing_prev"] > 0)].copy()
    if part == "value":
        return _value(qt, p, sample, units, w)
    return _margin(portfolio, qt, p, sample, units, w)


def _value(qt, p, sample, units, w) -> CausalEstimate:
    # clients with no repeat business in the sample have no information (FE -> -inf)
    has = sample.groupby("client_id")["repeat_value"].transform("sum") > 0
    s = sample[has].reset_index(drop=True)
    x, names = _prev_design(s)
    cl = pd.factorize(s["client_id"])[0]
    fe_c = pd.get_dummies(cl, prefix="c", drop_first=True, dtype=float).to_numpy()
    fe_t = pd.get_dummies(s["t"], prefix="t", drop_first=True, dtype=float).to_numpy()
    design = np.column_stack(
        [np.ones(len(s)), s["csat_trailing_prev"].to_numpy(float), x, fe_c, fe_t]
    )
    scale = max(s["repeat_value"].mean(), 1e-9)
    fit = sm.GLM(
        s["repeat_value"].to_numpy(float) / scale, design, family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": cl})
    beta, se_beta = float(fit.params[1]), float(fit.bse[1])
    # fitted mean of every client-quarter row (0 for clients without repeat business)
    mu = pd.Series(0.0, index=pd.MultiIndex.from_arrays([p["client_id"], p["t"]]))
    mu[pd.MultiIndex.from_arrays([s["client_id"], s["t"]])] = fit.fittedvalues * scale
    # rows outside the sample (no responses in the previous window): the fitted level at T
    # carried from the client's sample rows is not needed, their weight w is 0
    d = qt.delta
    eff = np.zeros(len(units))
    deriv = np.zeros(len(units))
    for j in range(4):
        key = pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
        m = mu.reindex(key).fillna(0.0).to_numpy()
        eff += m * 2 * np.sinh(beta * w[:, j] * d / 2)
        deriv += m * w[:, j] * d * np.cosh(beta * w[:, j] * d / 2)
    est, se = float(eff.mean()), float(abs(deriv.mean()) * se_beta)
    return _result(
        qt,
        est,
        se,
        units,
        cl,
        names,
        float(qt.data[qt.outcome].std()),
        {
            "beta_per_csat_point": beta,
            "beta_se": se_beta,
            "quarter_rows": len(s),
            "mean_w": w.mean(axis=0).tolist(),
        },
        "quarterly Poisson model with client and quarter fixed effects, "
        "propagated through the overlapping windows",
    )


def margin_rows(portfolio: Portfolio, p: pd.DataFrame) -> pd.DataFrame:
    """Per client and quarter index ``t``: the mean margin (``rmargin``, a share) of the
    projects delivering the repeat deals closed in that quarter, and their count."""
    pt = project_table(portfolio)
    rep = repeat_deals(portfolio)
    rp = pt[pt["deal_id"].isin(rep["deal_id"]) & pt["margin"].notna()]
    close = rp["deal_id"].map(rep.set_index("deal_id")["close_date"])
    per = pd.PeriodIndex(close, freq="Q")
    t0 = p["period"].min()
    g = pd.DataFrame(
        {
            "client_id": rp["client_id"].to_numpy(),
            "t": np.asarray([(x - t0).n for x in per], dtype=int),
            "margin": rp["margin"].to_numpy(float),
        }
    )
    return (
        g.groupby(["client_id", "t"])
        .agg(rmargin=("margin", "mean"), projects=("margin", "size"))
        .reset_index()
    )


def margin_weights(agg: pd.DataFrame, units: pd.DataFrame, w: np.ndarray) -> np.ndarray:
    """For each unit (c, q): the share of its outcome's projects (those of quarters
    q+1..q+4) whose trailing csat moves with the unit's shift, weighted by project count."""
    counts = agg.set_index(["client_id", "t"])["projects"]
    num = np.zeros(len(units))
    den = np.zeros(len(units))
    for j in range(4):
        key = pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
        n = counts.reindex(key).fillna(0.0).to_numpy()
        num += n * w[:, j]
        den += n
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


def _margin(portfolio, qt, p, sample, units, w) -> CausalEstimate:
    agg = margin_rows(portfolio, p)
    s = sample.merge(agg, on=["client_id", "t"])
    if len(s) < 10:
        raise ValueError("too few quarters with delivered repeat margins")
    x, names = _prev_design(s)
    cl = pd.factorize(s["client_id"])[0]
    fe_t = pd.get_dummies(s["t"], prefix="t", drop_first=True, dtype=float).to_numpy()
    # quarters delivering more projects have more precise mean margins: weight by their count
    wt = s["projects"].to_numpy(float)
    design = _wdemean(np.column_stack([s["csat_trailing_prev"].to_numpy(float), x, fe_t]), cl, wt)
    design = full_rank(design, 1)
    fit = sm.WLS(_wdemean(s["rmargin"].to_numpy(float), cl, wt), design, weights=wt).fit(
        cov_type="cluster", cov_kwds={"groups": cl}
    )
    beta, se_beta = float(fit.params[0]), float(fit.bse[0])
    wbar = margin_weights(agg, units, w)
    scale = qt.outcome_scale * qt.delta
    est, se = beta * float(wbar.mean()) * scale, se_beta * float(wbar.mean()) * scale
    return _result(
        qt,
        est,
        se,
        units,
        cl,
        names,
        float(qt.data[qt.outcome].std() * qt.outcome_scale),
        {
            "beta_per_csat_point": beta,
            "beta_se": se_beta,
            "quarter_rows": len(s),
            "mean_w": float(wbar.mean()),
        },
        "quarterly fixed-effects model of delivered margin, propagated through the "
        "overlapping windows",
    )


def _result(qt, est, se, units, clusters, names, sd_outcome, diagnostics, note):
    return finish(
        qt.estimand,
        qt.unit_label,
        "repeat_dynamics",
        est,
        se,
        n=len(units),
        n_clusters=int(clusters.max() + 1),
        adjustment=("client FE", "period FE", *names),
        sd_outcome=sd_outcome,
        diagnostics=diagnostics,
        note=note,
    )
