r"""Satisfaction, delivery quality and re-business, modelled quarter by quarter.

Answers ``csat_to_repeat`` (value and margin) and ``quality_to_repeat`` (total, direct,
indirect) by modelling the process where it happens, one quarter at a time, then propagating
the intervention of QUESTIONS.md exactly through the model.

**Why quarterly.** Regressing a 4-quarter outcome on a 4-quarter mean with client fixed effects
is badly attenuated: both are overlapping moving sums, and the within transformation removes
much of the covariance through which the effect runs.

**Why several lags.** A repeat deal is *decided* some time before it *closes*: at the proposal,
at the lead, or at the signature. Which one a firm's data reflect is not known in advance, and
pairing each deal with the satisfaction just before its close quarter misses the effect when
the decision comes a quarter or two earlier (about half the value meets the wrong window in a
world where deals are decided at the proposal and close one to six months later). So the
repeat value closed in quarter :math:`r` depends on the client's trailing satisfaction windows
ending 1, 2 and 3 quarters before (a distributed lag; the data say which lag carries the
effect):

.. math::

    E[D_{c,r}] = \exp\Big(\alpha_c + \gamma_r + \sum_{l=1}^{3} \beta_l T_{c,r-l}
                 + \sum_{l=1}^{3} \theta_l Q_{c,r-l} + x_{c,r-1}^\top\delta\Big),

Poisson pseudo-maximum likelihood with client and quarter fixed effects (consistent for
non-negative outcomes, no incidental-parameter bias), cluster-robust by client. :math:`T` is
the trailing 4-quarter mean csat, :math:`Q` the trailing on-time rate (a missing window is set
to the sample mean with an indicator).

**Feedback: the assumption it takes.** Client fixed effects compare a client's quarters with
its own mean over *all* its quarters, so they assume repeat business does not itself move later
satisfaction windows (strict exogeneity). Where it does, the estimate is biased: repeat deals
bring projects whose survey answers form later windows, and in the simulator a deal lowers its
client's trailing csat 3-5 quarters later. Measured on 12 portfolios of 2,000 clients of the
default design (one lag, the true trailing windows as regressors): the lag-1 slope came out at
0.390 on average against a truth of 0.35, while the same model with the true client effects as
offsets gave 0.352 and fresh Poisson draws on the same satisfaction paths gave 0.353-0.360; the
lag-2 slope, 0 in truth, came out at +0.044, so the value effect ran about 20 % high. Estimators
valid under feedback were tried: Chamberlain's quasi-differenced moments (unbiased, 0.364, with a
standard error three times the fixed-effects one), forward-mean quasi-differencing (Blundell,
Griffith and Windmeijer; 0.369, twice the standard error, and unstable with this model's
covariates and missing-window indicators: the standard error exploded in 2 of 11 portfolios),
a split-panel jackknife (no correction: the halves are not more biased than the whole) and an
analytical first-order correction from the residuals (0.377; the residuals' own within-client
correlation hides most of the feedback). None is worth its width at 300-400 clients, so the
assumption is stated instead (:mod:`satprofit.causal.assumptions`) and the reports show it with
the measured bias.

**Predetermined deals.** A repeat deal decided (its proposal, or its delivery lead) before the
portfolio's first survey response was agreed on terms no measured satisfaction or delivery can
have moved (e.g. clients under contract renewing early on terms fixed before the data start).
Such deals count in the outcome but are left out of the modelled flow :math:`D`; their effect
is zero.

**Propagation.** Shifting the csat of the responses dated in ``q-3..q`` by ``+-d/2`` moves the
trailing mean of window ``s`` by ``+-d/2 * w_{c,q,s}``, ``w`` the share of that window's
responses dated in ``q-3..q`` (observed counts, windows ``s = q-3..q+3``), so for unit ``(c, q)``

.. math::

    \tau_{cq} = \sum_{r=q+1}^{q+4} \hat\mu_{c,r}\Big(e^{\frac d2\sum_l \beta_l w_{c,q,r-l}}
                 - e^{-\frac d2\sum_l \beta_l w_{c,q,r-l}}\Big),

averaged without weights over the question's units; the effect scales with each client's own
fitted level :math:`\hat\mu`, as repeat value scales with client size. The margin part uses a
linear fixed-effects model of the mean margin of the flow projects delivering the deals closed
in ``r`` (weighted by their number), propagated the same way and diluted by the share of the
unit's outcome projects that are predetermined. ``quality_to_repeat`` shifts the on-time rate
of the projects finished in ``q-3..q``: the trailing on-time windows move directly (the direct
path, through :math:`\theta`), and the csat of the responses tied to those projects moves by the
``quality_to_csat`` regression's effect, spread over the responses by their project's
moderated effect and their client's room to move on the scale (:func:`_stage_weights`,
:mod:`satprofit.causal.ceiling`; the indirect path, through :math:`\beta`); natural
direct and indirect effects are read off exactly as the truth defines them (direct at the
mediator under ``t - d/2``). Standard errors by the delta method from the cluster-robust
covariance (for ``quality_to_repeat`` the csat stage's variance is added as an independent
block, stated in the result's note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from satprofit.causal.ceiling import client_sensitivity
from satprofit.causal.design import demean
from satprofit.causal.ppml import ppml_fe
from satprofit.causal.regression import full_rank
from satprofit.causal.results import CausalEstimate, finish
from satprofit.causal.support import NotEstimable
from satprofit.features.questions import question_table
from satprofit.features.repeat_panel import (
    COVARIATES,
    LAGS,
    OFFSETS,
    decision_lags,
    margin_rows,
    milestone_projects,
    overlap_weights,
    quarterly_panel,
    responses_in_windows,
    tied_shift_counts,
)
from satprofit.io import Portfolio


def _lag_design(
    rows: pd.DataFrame, n_lags: int = LAGS, *, with_quality: bool = True
) -> tuple[np.ndarray, list]:
    """Lagged csat (and on-time) windows, each missing window at the mean with an indicator,
    then the lag-1 covariates; columns without variation dropped."""
    cols, names = [], []

    def add(v: np.ndarray, name: str) -> None:
        miss = np.isnan(v)
        fill = np.nanmean(v) if (~miss).any() else 0.0
        cols.append(np.where(miss, fill, v))
        names.append(name)
        if miss.any() and not miss.all():
            cols.append(miss.astype(float))
            names.append(f"{name}_missing")

    for lag in range(1, n_lags + 1):
        t = rows[f"csat_trailing_prev{lag}"].to_numpy(float)
        t = np.where(rows[f"responses_trailing_prev{lag}"].to_numpy(float) > 0, t, np.nan)
        add(t, f"csat_lag{lag}")
    if with_quality:
        for lag in range(1, n_lags + 1):
            add(rows[f"ontime_rate_trailing_prev{lag}"].to_numpy(float), f"ontime_lag{lag}")
    for c in COVARIATES[1:]:
        add(rows[f"{c}_prev1"].to_numpy(float), c)
    x = np.column_stack(cols)
    keep = x.std(axis=0) > 0
    return x[:, keep], [n for n, k in zip(names, keep, strict=True) if k]


def _sample(p: pd.DataFrame, n_lags: int = LAGS) -> pd.DataFrame:
    """Full quarters with a response in one of the lagged windows."""
    any_resp = np.zeros(len(p), bool)
    for lag in range(1, n_lags + 1):
        any_resp |= p[f"responses_trailing_prev{lag}"].fillna(0).to_numpy() > 0
    return p[p["full_period"] & any_resp].copy()


def _lag_shift(w: np.ndarray, coefs: np.ndarray, j: int) -> np.ndarray:
    """sum_l coef_l * w[window r - l] for close quarter r = q + 1 + j."""
    out = np.zeros(w.shape[0])
    for lag, b in enumerate(coefs, start=1):
        col = OFFSETS.index(1 + j - lag)
        out += b * w[:, col]
    return out


def _units(portfolio: Portfolio, estimand: str, p: pd.DataFrame):
    qt = question_table(portfolio, estimand)
    units = qt.data[["client_id", "period"]].copy()
    units["period"] = pd.PeriodIndex(units["period"], freq="Q")
    units = units.merge(p[["client_id", "period", "t"]], on=["client_id", "period"])
    if len(units) < 10:
        raise NotEstimable(f"only {len(units)} units of analysis (need at least 10)")
    return qt, units


def _fit_value_model(p: pd.DataFrame, n_lags: int = LAGS) -> dict:
    """PPML of the flow value on the lagged windows with client and quarter fixed effects.

    Every full quarter enters, also those whose lagged windows hold no survey response (their
    csat windows are missing, with an indicator): the on-time windows act on repeat business
    there too, and the fitted value of every quarter is needed to propagate a shift of the
    on-time rate (with few responses most quarters have none; fitting only the quarters with
    a response halved the direct effect of on-time delivery)."""
    if not (_sample(p, n_lags)["client_id"].nunique() >= 5):
        raise NotEstimable("fewer than 5 clients have a survey response before a full quarter")
    sample = p[p["full_period"]]
    has = sample.groupby("client_id")["flow_value"].transform("sum") > 0
    s = sample[has].reset_index(drop=True)
    if len(s) < 10 or s["client_id"].nunique() < 5:
        raise NotEstimable(
            "too few client-quarters with repeat business after a survey response "
            f"({len(s)} quarters of {s['client_id'].nunique()} clients)"
        )
    x, names = _lag_design(s, n_lags)
    cl = pd.factorize(s["client_id"])[0]
    fe_t = pd.get_dummies(s["t"], prefix="t", drop_first=True, dtype=float).to_numpy()
    # client effects absorbed (concentrated likelihood), not expanded into dummy columns
    design = full_rank(demean(np.column_stack([x, fe_t]), cl), x.shape[1])
    scale = max(s["flow_value"].mean(), 1e-9)
    fit = ppml_fe(s["flow_value"].to_numpy(float) / scale, design, cl)
    coef = {n: float(fit.params[i]) for i, n in enumerate(names)}
    pos = {n: i for i, n in enumerate(names)}
    mu = pd.Series(0.0, index=pd.MultiIndex.from_arrays([p["client_id"], p["t"]]))
    mu[pd.MultiIndex.from_arrays([s["client_id"], s["t"]])] = fit.fittedvalues * scale
    return {
        "fit": fit,
        "coef": coef,
        "pos": pos,
        "mu": mu,
        "rows": len(s),
        "clusters": cl,
        "lags": n_lags,
    }


def _coef_vector(model: dict, prefix: str) -> tuple[np.ndarray, list[int]]:
    """The lag coefficients ``<prefix>1..LAGS`` (0 where a lag was dropped) and their columns."""
    vals, cols = [], []
    for lag in range(1, LAGS + 1):
        name = f"{prefix}{lag}"
        vals.append(model["coef"].get(name, 0.0))
        cols.append(model["pos"].get(name, -1))
    return np.array(vals), cols


def _sub_cov(fit, cols: list[int]) -> np.ndarray:
    v = np.asarray(fit.cov_params())
    idx = [c for c in cols if c >= 0]
    out = np.zeros((len(cols), len(cols)))
    where = [i for i, c in enumerate(cols) if c >= 0]
    out[np.ix_(where, where)] = v[np.ix_(idx, idx)]
    return out


def _mu_ahead(model: dict, units: pd.DataFrame) -> np.ndarray:
    """Fitted flow value of each unit's close quarters q+1..q+4 ([unit, 4])."""
    out = np.zeros((len(units), 4))
    for j in range(4):
        key = pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
        out[:, j] = model["mu"].reindex(key).fillna(0.0).to_numpy()
    return out


def repeat_dynamics(portfolio: Portfolio, part: str = "value") -> CausalEstimate:
    """``csat_to_repeat`` (``part`` value or margin) by the quarterly model (module docstring)."""
    p = quarterly_panel(portfolio)
    qt, units = _units(portfolio, f"csat_to_repeat.{part}", p)
    w = overlap_weights(p, units)
    n_lags = decision_lags(portfolio)
    if part == "value":
        return _value(qt, p, units, w, n_lags)
    return _margin(portfolio, qt, p, units, w, n_lags)


def _value(qt, p, units, w, n_lags) -> CausalEstimate:
    model = _fit_value_model(p, n_lags)
    beta, cols = _coef_vector(model, "csat_lag")
    v = _sub_cov(model["fit"], cols)
    mu = _mu_ahead(model, units)
    d = qt.delta
    eff = np.zeros(len(units))
    grad = np.zeros((len(units), LAGS))
    for j in range(4):
        a = _lag_shift(w, beta, j) * d / 2
        eff += mu[:, j] * 2 * np.sinh(a)
        for lag in range(1, LAGS + 1):
            wl = w[:, OFFSETS.index(1 + j - lag)]
            grad[:, lag - 1] += mu[:, j] * np.cosh(a) * wl * d
    g = grad.mean(axis=0)
    est, se = float(eff.mean()), float(np.sqrt(max(g @ v @ g, 0.0)))
    return _result(
        qt,
        est,
        se,
        units,
        model["clusters"],
        list(model["coef"]),
        float(qt.data[qt.outcome].std()),
        {
            "beta_per_csat_point_by_lag": beta.tolist(),
            "beta_sum": float(beta.sum()),
            "quarter_rows": model["rows"],
            "mean_w": w.mean(axis=0).tolist(),
        },
        "quarterly Poisson model of repeat value with client and quarter fixed effects and "
        f"satisfaction windows lagged 1-{n_lags} quarter(s) (the deals' decision-to-close "
        "gap), propagated through the overlapping windows; deals decided before the first "
        "survey response in the data left out",
    )


def _margin(portfolio, qt, p, units, w, n_lags) -> CausalEstimate:
    flow = margin_rows(portfolio, p, flow_only=True)
    s = _sample(p, n_lags).merge(flow, on=["client_id", "t"])
    if len(s) < 10 or s["client_id"].nunique() < 5:
        raise NotEstimable(
            f"too few quarters with delivered repeat margins after a survey response ({len(s)})"
        )
    x, names = _lag_design(s, n_lags, with_quality=False)
    cl = pd.factorize(s["client_id"])[0]
    fe_t = pd.get_dummies(s["t"], prefix="t", drop_first=True, dtype=float).to_numpy()
    # quarters delivering more projects have more precise mean margins: weight by their count
    wt = s["projects"].to_numpy(float)
    xw = _wdemean(x, cl, wt)
    varies = xw.std(axis=0) > 1e-9  # a column constant within every client says nothing
    x, names = x[:, varies], [n for n, v in zip(names, varies, strict=True) if v]
    if not any(n.startswith("csat_lag") for n in names):
        raise NotEstimable("the clients' satisfaction did not change between quarters with margins")
    design = full_rank(_wdemean(np.column_stack([x, fe_t]), cl, wt), x.shape[1])
    if np.linalg.matrix_rank(design) < design.shape[1] or len(s) <= design.shape[1] + 2:
        raise NotEstimable(
            f"too few quarters with delivered repeat margins ({len(s)}) to separate the "
            "satisfaction windows from each other and from the quarter effects"
        )
    fit = sm.WLS(_wdemean(s["rmargin"].to_numpy(float), cl, wt), design, weights=wt).fit(
        cov_type="cluster", cov_kwds={"groups": cl}
    )
    pos = {n: i for i, n in enumerate(names)}
    cols = [pos.get(f"csat_lag{lag}", -1) for lag in range(1, LAGS + 1)]
    beta = np.array([float(fit.params[c]) if c >= 0 else 0.0 for c in cols])
    v = _sub_cov(fit, cols)
    # every repeat project of the outcome counts; only flow projects' prices move
    allp = margin_rows(portfolio, p).set_index(["client_id", "t"])
    num_g = np.zeros((len(units), LAGS))
    den = np.zeros(len(units))
    for j in range(4):
        key = pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
        n_all = allp["projects"].reindex(key).fillna(0.0).to_numpy()
        n_flow = allp["flow_projects"].reindex(key).fillna(0.0).to_numpy()
        den += n_all
        for lag in range(1, LAGS + 1):
            num_g[:, lag - 1] += n_flow * w[:, OFFSETS.index(1 + j - lag)]
    has = den > 0
    share = np.where(has[:, None], num_g / np.maximum(den, 1)[:, None], 0.0)
    scale = qt.outcome_scale * qt.delta
    g = share[has].mean(axis=0) * scale if has.any() else np.zeros(LAGS)
    est, se = float(g @ beta), float(np.sqrt(max(g @ v @ g, 0.0)))
    return _result(
        qt,
        est,
        se,
        units,
        cl,
        names,
        float(qt.data[qt.outcome].std() * qt.outcome_scale),
        {
            "beta_per_csat_point_by_lag": beta.tolist(),
            "quarter_rows": len(s),
            "mean_share": share.mean(axis=0).tolist(),
        },
        "quarterly fixed-effects model of delivered margin with satisfaction windows lagged "
        f"1-{n_lags} quarter(s), propagated through the overlapping windows",
    )


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
        if a2.shape[1]
        else np.zeros((n, 0))
    ) / wsum[:, None]
    out = a2 - means[groups]
    return out[:, 0] if a.ndim == 1 else out


# ------------------------------------------------------------------ quality_to_repeat
def _stage_weights(portfolio: Portfolio, stage: CausalEstimate) -> tuple[pd.Series, str]:
    """Each csat-stage project's share of the average on-time effect on its responses' csat
    (mean 1 over the stage's projects, by ``project_id``), and which spread was used.

    The ``quality_to_csat`` answer is an average over projects; what a shift of the on-time rate
    does to a client's satisfaction windows depends on *which* projects' responses they hold.
    Two things spread it: the regression's own moderation (client size, tenure and prior
    satisfaction; its per-project contrasts, ``unit_effects``) and the ceiling of the csat
    scale (:mod:`satprofit.causal.ceiling`: satisfied clients, who buy most, can move least).
    Measured on 2,000-client portfolios: with one average effect for every response the
    indirect part came out at 0.72-0.89x of the truth in the ``size_heterogeneity`` design
    (4 seeds) and, with the true coefficients, 1.05-1.12x in the default design; with both
    spreads 1.01-1.21x (mean 1.11) and 0.97-1.04x. The regression's prior-csat moderation alone
    did not capture the ceiling (1.05-1.12x with the true coefficients), so the two are not
    the same correction counted twice.

    The moderated spread is used only where it is safe: per-project effects keyed by project,
    covering every project, an average effect clearly away from 0 (``|estimate| > 2 se``) and a
    ceiling-weighted mean of the same sign and at least half the size of the plain one (else
    the normalisation could flip or inflate projects' shifts); otherwise the ceiling alone."""
    d = question_table(portfolio, "quality_to_csat").data
    # mean 1 over the stage's projects (every one has a response, hence a sensitivity)
    gc = client_sensitivity(portfolio.surveys, d["client_id"]).reindex(d["client_id"])
    gc = gc.fillna(1.0).to_numpy(float)
    pid = d["project_id"].to_numpy()
    ceiling = pd.Series(gc, index=pid)
    unit = stage.diagnostics.get("unit_effects")
    if not isinstance(unit, pd.Series) or not unit.index.is_unique:
        return ceiling, "ceiling only (the stage's estimator gives no per-project effects)"
    u = unit.reindex(pid).to_numpy(float)
    if np.isnan(u).any():
        return ceiling, "ceiling only (per-project effects do not cover the stage's projects)"
    if not abs(stage.estimate) > 2 * stage.se:
        return ceiling, "ceiling only (the average csat effect is not clearly away from 0)"
    gu = gc * u
    if not (np.sign(gu.mean()) == np.sign(u.mean()) and abs(gu.mean()) >= 0.5 * abs(u.mean())):
        return ceiling, "ceiling only (the moderated effects would change sign or size)"
    return pd.Series(gu / gu.mean(), index=pid), "moderated per project, and ceiling"


def quality_path(portfolio: Portfolio, *, seed: int = 0) -> dict[str, CausalEstimate]:
    """``quality_to_repeat`` total, natural direct and natural indirect effects by the
    quarterly process model (module docstring)."""
    from satprofit.causal.api import estimate  # the csat stage: quality_to_csat's default

    p = quarterly_panel(portfolio)
    qt, units = _units(portfolio, "quality_to_repeat.total", p)
    model = _fit_value_model(p, decision_lags(portfolio))
    beta, bcols = _coef_vector(model, "csat_lag")
    theta, tcols = _coef_vector(model, "ontime_lag")
    stage = estimate(portfolio, "quality_to_csat", seed=seed)["quality_to_csat"]
    if not getattr(stage, "ok", np.isfinite(stage.estimate)) or not np.isfinite(stage.se):
        raise NotEstimable(f"the satisfaction stage (quality_to_csat) has no answer: {stage.note}")
    a10, a_se = stage.estimate, stage.se  # csat points per +10 pp on-time rate
    eps = qt.delta / 2  # +-5 pp
    wq = overlap_weights(milestone_projects(portfolio, p), units, "ms_projects")
    n_resp = responses_in_windows(p, units)
    spread, spread_note = _stage_weights(portfolio, stage)
    tied = tied_shift_counts(portfolio, p, units, spread)
    share_t = np.where(n_resp > 0, tied / np.maximum(n_resp, 1), 0.0)
    mu = _mu_ahead(model, units)

    def parts(b: np.ndarray, th: np.ndarray, a: float) -> np.ndarray:
        dt = a * (eps / 0.10) * share_t  # csat shift of each window per unit
        dq = eps * wq
        ys = {}
        for sq in (1, -1):
            for sm_ in (1, -1):
                y = np.zeros(len(units))
                for j in range(4):
                    y += mu[:, j] * np.exp(_lag_shift(sq * dq, th, j) + _lag_shift(sm_ * dt, b, j))
                ys[(sq, sm_)] = y.mean()
        return np.array([ys[1, 1] - ys[-1, -1], ys[1, -1] - ys[-1, -1], ys[1, 1] - ys[1, -1]])

    point = parts(beta, theta, a10)
    # delta method: gradient by central differences; PPML block and the csat stage independent
    params = np.concatenate([beta, theta, [a10]])
    cov = np.zeros((2 * LAGS + 1, 2 * LAGS + 1))
    cov[: 2 * LAGS, : 2 * LAGS] = _sub_cov(model["fit"], bcols + tcols)
    cov[-1, -1] = a_se**2
    grad = np.zeros((3, len(params)))
    for i in range(len(params)):
        h = 1e-4 * max(1.0, abs(params[i]))
        up, dn = params.copy(), params.copy()
        up[i] += h
        dn[i] -= h
        grad[:, i] = (
            parts(up[:LAGS], up[LAGS : 2 * LAGS], up[-1])
            - parts(dn[:LAGS], dn[LAGS : 2 * LAGS], dn[-1])
        ) / (2 * h)
    se = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", grad, cov, grad), 0.0))
    out = {}
    for k, part in enumerate(("total", "direct", "indirect")):
        out[part] = _result(
            qt,
            float(point[k]),
            float(se[k]),
            units,
            model["clusters"],
            list(model["coef"]),
            float(qt.data[qt.outcome].std()),
            {
                "beta_per_csat_point_by_lag": beta.tolist(),
                "theta_per_ontime_by_lag": theta.tolist(),
                "csat_per_10pp": a10,
                "stage_weight_quartiles": np.quantile(spread, [0.25, 0.5, 0.75]).tolist(),
                "stage_spread": spread_note,
                "quarter_rows": model["rows"],
            },
            "quarterly process model: on-time rate -> csat of the tied responses "
            "(quality_to_csat regression) -> trailing csat windows -> repeat value, and "
            "on-time windows -> repeat value directly; the two stages' uncertainties are "
            "combined as independent",
            estimand=f"quality_to_repeat.{part}",
        )
    return out


def _result(qt, est, se, units, clusters, names, sd_outcome, diagnostics, note, estimand=None):
    return finish(
        estimand or qt.estimand,
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
