r"""Bayesian model of repeat business, quarter by quarter, with its what-if propagation.

For each client and quarter :math:`r`, with :math:`T` the client's trailing 4-quarter mean
csat at the end of quarter :math:`r-1`, the number :math:`N_{cr}` of flow repeat deals closed in
the quarter and the value :math:`V_k` of each:

.. math::

    N_{cr} \sim \operatorname{Poisson}\bigl(\exp(\alpha + \beta_{a,b(c)} (T - \bar T_c)
        + x^\top\gamma_{a,b(c)} + \lambda_a \bar T_c + u_c + u_{b(c)} + u_{\text{ind}}
        + u_r)\bigr),
        \qquad
    \log V_k \sim N(\mu + \beta_{v,b(c)} (T - \bar T_c)
        + x^\top\gamma_{v,b(c)} + \lambda_v \bar T_c
        + v_c + v_{b(c)} + v_{\text{ind}} + v_r,\ \sigma^2)

so a quarter's expected repeat value is :math:`e^{\eta_a} e^{\eta_v + \sigma^2/2}`, deals
times their expected value (the "purchase" part ``any`` and the ``value`` part; parameter
names ``*_any`` and ``*_value``).

(:math:`b(c)` the client's size band, :math:`r` the quarter), with partial pooling by client
and zero-sum effects of size band, industry and quarter (the causal model's quarter fixed
effects). Its structure follows the causal process model
(:mod:`satprofit.causal.repeat`), which fixed the same biases there:

* **deals are counted** (``purchase="count"``, the default; ``"hurdle"`` keeps the earlier
  model, a Bernoulli for any repeat business in the quarter and the log of the quarter's total
  given some): satisfaction and delivery change how often a client buys and what it pays per
  deal. A count model carries a change of the buying rate as one slope for clients of every
  size, as the causal model's Poisson regression does. The hurdle model splits it by client
  size: a client that buys once a year shows it in whether it buys, one that buys every
  quarter in how much, so one slope per part, learned from clients of every size, missed the
  effect for the largest clients, whose deals carry most of the value (the direct effect of
  on-time delivery came out lower the larger the clients). On six designs at 1,000 clients
  (seed 2000 of each, fitted as the Bayesian study does; the hurdle's figures from its
  1,000-client study, before the lagged-window fix of :mod:`satprofit.bayes.path`, about
  +2 % on the direct effect), the direct effect went from 0.60-0.96 of the truth outside the
  size-heterogeneity world (mean 0.77) to 0.68-0.97 (mean 0.85), the total's mean |bias|
  from 14 % to 10 %, and the csat -> repeat value stayed about as close (mean |bias| 9 %,
  was 8 %). In the rerun Bayesian study at 1,000 clients (mean over the 11 worlds of estimate /
  truth - 1; hurdle: the fifteenth session's study, one portfolio for most worlds; count: two
  per world): total -15 % -> +0 %, direct -21 %
  -> -4 %, but csat -> repeat value +0 % -> +15 % and indirect +7 % -> +19 %: the count model
  now shows the feedback bias the causal model's client fixed effects show (this model's
  within-client slopes compare each quarter with the client's average just as they do; see
  :mod:`satprofit.causal.repeat`), which the hurdle's shortfall for large clients had
  offset. The posterior predictive table checks the Poisson part: variance / mean of the
  deals per quarter, observed and predicted (counts more dispersed than predicted would make
  the intervals too narrow).
* **every full quarter enters**, also those whose trailing window holds no survey response
  (the window's csat is 0 with a missing indicator ``csat_missing``): on-time delivery acts on
  repeat business there too, and the path from delivery to re-business needs every quarter's
  fitted value. Rows only where a csat was measured dropped most quarters of clients who
  rarely answer surveys.
* **the outcome is the flow**: repeat deals decided before the portfolio's first survey
  response (renewals on terms fixed before the data start) are left out of :math:`D`; their
  effect is 0. Counted in, they diluted the satisfaction effect (about -25 % in the designs with
  opening renewals).
* **slopes vary by size band** (``band_slopes``): each band's slope of the satisfaction
  windows is the mean slope plus a zero-sum deviation (Normal(0, 0.5) on the logit and log
  scales). The estimands weight clients by their repeat value, so one slope for all clients,
  learned mostly from the many small ones, missed most of the effect where it differs by
  client size (-59 % in the ``size_heterogeneity`` design); each unit's effect now uses its
  own band's slope. The on-time windows keep one slope for every band by default
  (``band_slope_drivers=("csat",)``; add ``"ontime"`` to let them vary too): with the on-time
  slopes varying as well, on two 1,000-client portfolios of the default design the direct
  effect of on-time delivery came out at 0.58x and 0.86x of the truth with 95 % intervals
  2.3x and 1.8x as wide as the effect, against 0.87x and 1.01x, 1.4x and 1.3x with one slope.
  The assumption it takes, stated in the reports: on-time delivery's direct effect on repeat
  business is the same for clients of every size.
* **the on-time windows are within-client too** (deviations from the client's mean on-time
  rate, the mean a predictor of its own): the model holds the trailing csat fixed to separate
  the direct path, and relationship health moves both csat and repeat business, so between
  clients at one csat level the on-time rate stood for low health as much as for delivery
  (direct effect 0.22x and 0.67x of the truth on two 1,000-client portfolios of the default
  design).
* deals are decided before they close: the csat and on-time windows lagged 2..3 quarters
  enter as well when the data's decision-to-close gaps need them
  (:func:`satprofit.features.repeat_panel.decision_lags`).

* **client intercepts integrated out** (``marginal_clients``, on): with two or three
  quarters of repeat business per client, sampling 2,000 intercepts of the log value made the
  split between client and quarter variance a funnel that mixed slowly (ESS 38 of 600 draws at
  2,000 clients); the likelihood integrates them out in closed form
  (:mod:`satprofit.bayes.marginal`) and :meth:`RepeatBusinessModel.complete_posterior` draws
  them back exactly from their conditional posterior, so every downstream formula reads
  ``u_client_value`` and ``u_client_margin`` as before. The count part's client effects are
  multiplicative Gamma(k, k), k = 1 / ``sigma_client_any``² (the conjugate of the Poisson; sd
  of their log about ``sigma_client_any``), integrated out the same way
  (:class:`satprofit.bayes.marginal.GroupedPoisson`) and drawn back as ``u_client_any``: with
  its 1,000 intercepts sampled (non-centred Normal), the default design's repeat model at
  1,000 clients took 147 s and missed the gate (``sigma_client_any`` tail ESS 241); integrated
  out, 58 s and ESS 1,087 / 567, the same answers within their noise (csat -> repeat value
  74,200 and 73,400 against a truth of 73,400; ``/tmp`` script, 2 chains x 1,000 draws after
  500, one after the other on an idle machine, load 0.9). The hurdle's Bernoulli part keeps
  its sampled intercepts (no closed form).
* **the parts are sampled apart** (``separate_parts``, on): the purchase, log value and margin
  parts share no parameter, so their posteriors are independent; each is sampled on its own
  and the draws merged (:meth:`RepeatBusinessModel.sampling_blocks`). The log value and margin
  parts' few parameters then move at their own step size instead of the one the purchase
  part's thousands of client intercepts set, and a part that misses the gate alone is sampled
  again alone. At 2,000 clients the repeat model went from over 400 s (two rounds) to
  about 130 s, converged.

A third part models the delivered margin: for quarters whose flow repeat deals have
delivering projects, their mean margin
:math:`M_{cr} \sim N(\mu_m + \beta_m T + x^\top\gamma_m + \lambda_m \bar T_c + w_c,\
\sigma_m^2 / n_{cr})` with :math:`n_{cr}` the number of projects (a mean of more projects is
more precise). The client mean of the trailing csat, :math:`\bar T_c` (the Mundlak device, over
the quarters that have one), lets the client intercepts absorb time-invariant client traits
such as relationship health, so :math:`\beta` is a within-client effect, as with fixed effects
(the within / between split keeps the two columns orthogonal, which the sampler prefers to
:math:`T` and :math:`\bar T_c` side by side). ``x``: the trailing on-time rate, split the
same way into its deviation from the client's mean and that mean (``ontime_client_mean``; see
:func:`_ontime_within`), with a missing indicator, and sales status reports.

The estimands ``csat_to_repeat.value`` and ``.margin`` are computed per draw as QUESTIONS.md defines it, through
the overlapping windows (see :mod:`satprofit.features.repeat_panel`): shifting the responses of
quarters ``q-3..q`` moves window ``s`` by ``w_{q,s}`` times the shift, and
:math:`E[D] = p\,e^{m + \sigma^2/2}` is re-evaluated in quarters ``q+1..q+4``; the margin
moves by :math:`\beta_m` times the project-weighted share of the shifted windows among all the
outcome projects (only flow deals' projects move; see :func:`_margin_share`).

Priors: coefficients Normal(0, 1) on the logit and log scales (a 1-point csat change multiplying
the odds or the value by e is already large), intercepts Normal(0, 2.5) around the data's
observed rate and log value at the data's mean covariates (see :meth:`RepeatBusinessModel.build_model`), client scale HalfNormal(1), sigma HalfNormal(2). Size bands and
industries have only a handful of levels each, too few to learn a pooling scale: by default
(``band_effects="fixed"``) their effects sum to zero with a ZeroSumNormal(1.5) prior (a
factor of about 20 between bands at 2 sd, the spread from small clients to enterprises);
``band_effects="partial"`` gives them non-centered varying intercepts instead, which samples
several times slower (the intercept and the mean of a 4-level effect trade off). The margin part
works in margin points (percentage points / 100, as the data store them): coefficients
Normal(0, 0.1) (one csat point moving margin by 10 pp is already extreme), intercept
Normal(observed mean, 0.2) at the mean covariates, client scale HalfNormal(0.1), project-level sd HalfNormal(0.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from satprofit.bayes.base import BayesModel, client_mean, contraction_status
from satprofit.bayes.marginal import GroupedNormal, GroupedPoisson
from satprofit.constants import ESTIMAND_UNITS, INTERVAL_QUANTILES
from satprofit.features.questions import question_table
from satprofit.features.repeat_panel import (
    OFFSETS,
    decision_lags,
    flow_deals,
    margin_rows,
    overlap_weights,
    quarter_index,
    quarterly_panel,
    window_weights,
)
from satprofit.io import Portfolio

PREDICTORS = (
    "csat_within",
    "csat_client_mean",
    "csat_missing",
    "ontime",
    "ontime_missing",
    "status_reports",
)
#: The drivers whose slopes may vary by size band (``band_slope_drivers``) and the predictors
#: that carry each: its windows at every lag (not their missing indicators or client means).
BAND_SLOPE_DRIVERS = {"csat": ("csat_within", "csat_lag"), "ontime": ("ontime",)}


@dataclass
class RepeatData:
    """Quarter rows of the hurdle model and the question's units with their window weights."""

    rows: pd.DataFrame
    x: np.ndarray
    value: np.ndarray
    client: np.ndarray
    size: np.ndarray
    industry: np.ndarray
    clients: list[str]
    sizes: list[str]
    industries: list[str]
    units: pd.DataFrame
    w: np.ndarray
    scales: dict
    current: pd.DataFrame
    x_now: np.ndarray
    margin_rows: pd.DataFrame
    x_margin: np.ndarray
    margin_client: np.ndarray
    margin_units: pd.DataFrame
    margin_wbar: np.ndarray
    predictors: tuple[str, ...] = PREDICTORS
    w_all: np.ndarray | None = None  # [unit, OFFSETS] window weights of every lag
    margin_share: np.ndarray | None = None  # [margin unit, lag] project-weighted weights
    period: np.ndarray | None = None  # quarter index t of each row (quarter effects)
    deal_row: np.ndarray | None = None  # each flow deal's row (the quarter it closed in)
    deal_value: np.ndarray | None = None  # each flow deal's contract value

    @property
    def count(self) -> np.ndarray:
        """Flow repeat deals closed in each row's quarter."""
        return np.bincount(self.deal_row, minlength=len(self.rows)).astype(float)

    @property
    def periods(self) -> list[int]:
        """The quarters of the rows (the levels of the quarter effects)."""
        return sorted(set(self.period.tolist())) if self.period is not None else []

    @property
    def period_codes(self) -> np.ndarray | None:
        """Each row's position in :attr:`periods`."""
        if self.period is None:
            return None
        return np.searchsorted(np.asarray(self.periods), self.period)

    def band_predictors(self, drivers) -> list[str]:
        """The predictors that carry ``drivers`` (keys of :data:`BAND_SLOPE_DRIVERS`): the
        ones whose slope varies by size band when those drivers' slopes do."""
        unknown = sorted(set(drivers) - set(BAND_SLOPE_DRIVERS))
        if unknown:
            raise ValueError(
                f"band_slope_drivers: unknown driver(s) {unknown} (known: {list(BAND_SLOPE_DRIVERS)})"
            )
        prefixes = tuple(p for d in drivers for p in BAND_SLOPE_DRIVERS[d])
        return [
            p
            for p in self.predictors
            if p.startswith(prefixes) and not p.endswith(("_missing", "_client_mean"))
        ]

    @property
    def lag_columns(self) -> list[int]:
        """Column of the csat window lagged 1, 2, ... quarters before the row's quarter."""
        cols = [0]
        lag = 2
        while f"csat_lag{lag}" in self.predictors:
            cols.append(self.predictors.index(f"csat_lag{lag}"))
            lag += 1
        return cols


def repeat_data(portfolio: Portfolio) -> RepeatData:
    """Every full quarter of the panel and the question's units.

    Every full quarter enters, also those whose lagged windows hold no survey response (their
    csat windows are 0 with a missing indicator), as in the causal process model
    (:mod:`satprofit.causal.repeat`): on-time delivery acts on repeat business there too, and
    the path from on-time delivery to repeat business needs the fitted value of every quarter.
    The outcome is the *flow* value: repeat deals decided before the portfolio's first survey
    response (renewals on terms fixed before the data start) are left out, their effect is 0.
    """
    p = quarterly_panel(portfolio)
    s = p[p["full_period"]].reset_index(drop=True)
    has = s["responses_trailing_prev"].fillna(0).to_numpy(float) > 0
    if has.sum() < 30:
        raise ValueError(f"only {int(has.sum())} client-quarters with a trailing csat (need 30)")
    n_cl = s.loc[has, "client_id"].nunique()
    if n_cl < 5:
        raise ValueError(f"only {n_cl} clients have a trailing csat before a full quarter (need 5)")
    sr = s["status_reports_by_sales_trailing_prev"].to_numpy(float)
    sr_ok = sr[~np.isnan(sr)]
    scales = {
        "csat_center": float(s.loc[has, "csat_trailing_prev"].mean()),
        "ontime_center": float(np.nanmean(s["ontime_rate_trailing_prev"].to_numpy(float))),
        "sr_mean": float(sr_ok.mean()) if len(sr_ok) else 0.0,
        "sr_sd": float(sr_ok.std() or 1.0) if len(sr_ok) else 1.0,
    }
    if np.isnan(scales["ontime_center"]):
        scales["ontime_center"] = 0.0
    n_lags = decision_lags(portfolio)
    x = _design(s, "_prev", scales)
    # within / between split of the trailing csat (Mundlak) over the quarters that have one:
    # orthogonal columns sample better
    tbar = client_mean(x[:, 0], s["client_id"], has)
    x[:, 0] = np.where(has, x[:, 0] - tbar, 0.0)
    x[:, 1] = tbar
    x, predictors = _with_lags(x, s, n_lags, scales, tbar, lambda lag: f"_prev{lag}")
    # the same split of the on-time windows: the client mean over the quarters that have one
    on = predictors.index("ontime")
    obar = client_mean(x[:, on], s["client_id"], x[:, predictors.index("ontime_missing")] == 0)
    x, predictors = _ontime_within(x, predictors, obar)
    # each client's two means, for its forecast rows
    means = pd.DataFrame({"tbar": tbar, "obar": obar}).groupby(s["client_id"].to_numpy()).first()
    # the state at the end of each client's last full quarter: the start of a forecast
    last = p[p["full_period"] & (p["responses_trailing"] > 0)].groupby("client_id").tail(1)
    last = last[last["client_id"].isin(s.loc[has, "client_id"])].reset_index(drop=True)
    x_now = _design(last, "", scales)
    now_means = means.loc[last["client_id"]]
    x_now[:, 1] = now_means["tbar"].to_numpy()
    x_now[:, 0] -= x_now[:, 1]
    # forecasting the next quarter: lag l is the window that ended l - 1 quarters ago
    x_now, now_predictors = _with_lags(
        x_now, last, n_lags, scales, x_now[:, 1], lambda lag: f"_prev{lag - 1}" if lag > 1 else ""
    )
    x_now, _ = _ontime_within(x_now, now_predictors, now_means["obar"].to_numpy())
    cl = portfolio.clients.set_index("client_id")
    c_codes, clients = pd.factorize(s["client_id"], sort=True)
    z_codes, sizes = pd.factorize(s["client_id"].map(cl["size_band"]), sort=True)
    i_codes, industries = pd.factorize(s["client_id"].map(cl["industry"]), sort=True)
    units = _units(portfolio, p, "value")
    # margin part: quarter rows whose flow repeat deals have delivering projects
    agg = margin_rows(portfolio, p)
    flow = margin_rows(portfolio, p, flow_only=True)
    pos = s[["client_id", "t"]].reset_index().merge(flow, on=["client_id", "t"])
    xm = x[pos["index"].to_numpy()].copy()
    if len(pos):  # the margin rows' own within / between split (over rows with a csat)
        hm = xm[:, 2] == 0
        raw = xm[:, 0] + xm[:, 1]
        xm[:, 1] = client_mean(raw, pos["client_id"], hm)
        xm[:, 0] = np.where(hm, raw - xm[:, 1], 0.0)
    m_clients = pd.Index(clients)
    try:
        m_units = _units(portfolio, p, "margin")
        m_share = _margin_share(agg, m_units, overlap_weights(p, m_units), n_lags)
        m_wbar = m_share[:, 0]
    except ValueError:  # no unit has a delivered repeat margin
        m_units, m_wbar, m_share = _no_units(), np.zeros(0), np.zeros((0, n_lags))
    deal_row, deal_value = _deal_rows(portfolio, p, s)
    return RepeatData(
        s,
        x,
        s["flow_value"].to_numpy(float),
        c_codes,
        z_codes,
        i_codes,
        list(clients),
        list(sizes),
        list(industries),
        units,
        window_weights(p, units),
        scales,
        last,
        x_now,
        pos,
        xm,
        m_clients.get_indexer(pos["client_id"]),
        m_units,
        m_wbar,
        predictors=predictors,
        w_all=overlap_weights(p, units),
        margin_share=m_share,
        period=s["t"].to_numpy(int),
        deal_row=deal_row,
        deal_value=deal_value,
    )


def _deal_rows(portfolio: Portfolio, p: pd.DataFrame, s: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Each flow repeat deal (not predetermined) closed in a modelled quarter: its row in ``s``
    and its contract value (the deals whose values sum to ``s["flow_value"]``)."""
    rep = flow_deals(portfolio)
    rep = rep[~rep["predetermined"] & (rep["contract_value"] > 0)]
    t = quarter_index(rep["close_date"], p["period"].min())
    row = pd.Series(np.arange(len(s)), index=pd.MultiIndex.from_arrays([s["client_id"], s["t"]]))
    pos = row.reindex(pd.MultiIndex.from_arrays([rep["client_id"], t])).to_numpy()
    ok = ~np.isnan(pos)
    return pos[ok].astype(int), rep["contract_value"].to_numpy(float)[ok]


def _with_lags(x, frame, n_lags, scales, tbar, suffix) -> tuple[np.ndarray, tuple[str, ...]]:
    """Append the csat and on-time windows lagged 2..n_lags quarters (csat as deviation from
    the client mean, each 0 with an indicator where the window is empty): deals decided before
    the quarter they close in respond to earlier satisfaction and delivery (see
    :mod:`satprofit.causal.repeat`)."""
    cols, names = [], []
    for lag in range(2, n_lags + 1):
        sfx = suffix(lag)
        t = frame[f"csat_trailing{sfx}"].to_numpy(float) - scales["csat_center"]
        has = frame[f"responses_trailing{sfx}"].fillna(0).to_numpy(float) > 0
        cols += [np.where(has, t - tbar, 0.0), (~has).astype(float)]
        names += [f"csat_lag{lag}", f"csat_lag{lag}_missing"]
    for lag in range(2, n_lags + 1):
        on = frame[f"ontime_rate_trailing{suffix(lag)}"].to_numpy(float)
        miss = np.isnan(on)
        cols += [np.where(miss, 0.0, (on - scales["ontime_center"]) * 10), miss.astype(float)]
        names += [f"ontime_lag{lag}", f"ontime_lag{lag}_missing"]
    if not cols:
        return x, PREDICTORS
    return np.column_stack([x, *cols]), (*PREDICTORS, *names)


def _ontime_within(x, predictors, obar) -> tuple[np.ndarray, tuple[str, ...]]:
    """The on-time windows (every lag) as deviations from the client's mean on-time rate
    ``obar`` (0 where a window is empty), with the mean appended as ``ontime_client_mean``.

    The within / between (Mundlak) split of the satisfaction model's on-time rate, here for the
    same reason it is needed for the csat: the slopes are within-client effects. The repeat
    model conditions on the trailing csat (the mediator, for the direct effect), and a client's
    relationship health moves both its csat and its repeat business; at a given csat, a client
    delivered to on time more often is then one of lower health, so the *between*-client
    variation of the on-time rate carries a negative association with repeat business that is
    not an effect of delivery. With the on-time levels in the slopes, the direct effect came out
    at 0.22x and 0.67x of the truth on two 1,000-client portfolios of the default design (0.87x
    and 1.01x with the split and one on-time slope for every size band). Health is constant per
    client, so the within part is free of it.
    """
    names = list(predictors)
    for k, name in enumerate(names):
        if name == "ontime" or (name.startswith("ontime_lag") and not name.endswith("_missing")):
            seen = x[:, names.index(f"{name}_missing")] == 0
            x[:, k] = np.where(seen, x[:, k] - obar, 0.0)
    return np.column_stack([x, obar]), (*predictors, "ontime_client_mean")


def _margin_share(agg, units, w_all, n_lags) -> np.ndarray:
    """s[u, l]: the project-weighted share of unit u's outcome projects (quarters q+1..q+4)
    whose csat window lagged l+1 quarters moves with the unit's shift: only projects of flow
    deals move (predetermined deals' margins were fixed before the data), every outcome
    project counts in the mean."""
    keyed = agg.set_index(["client_id", "t"])
    counts, flows = keyed["projects"], keyed["flow_projects"]
    num = np.zeros((len(units), n_lags))
    den = np.zeros(len(units))
    for j in range(4):
        key = pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
        n = counts.reindex(key).fillna(0.0).to_numpy()
        nf = flows.reindex(key).fillna(0.0).to_numpy()
        den += n
        for lag in range(1, n_lags + 1):
            num[:, lag - 1] += nf * w_all[:, OFFSETS.index(1 + j - lag)]
    return np.where(den[:, None] > 0, num / np.maximum(den, 1)[:, None], 0.0)


def _design(frame: pd.DataFrame, suffix: str, scales: dict) -> np.ndarray:
    """Predictor columns (``PREDICTORS`` order; the client mean is filled by the caller)."""
    has = frame[f"responses_trailing{suffix}"].fillna(0).to_numpy(float) > 0
    t = frame[f"csat_trailing{suffix}"].to_numpy(float) - scales["csat_center"]
    t = np.where(has, t, 0.0)
    ontime = frame[f"ontime_rate_trailing{suffix}"].to_numpy(float)
    miss = np.isnan(ontime)
    ontime = np.where(miss, 0.0, (ontime - scales["ontime_center"]) * 10)
    sr = frame[f"status_reports_by_sales_trailing{suffix}"].to_numpy(float)
    sr = np.where(np.isnan(sr), 0.0, (sr - scales["sr_mean"]) / scales["sr_sd"])
    n = len(frame)
    return np.column_stack([t, np.zeros(n), (~has).astype(float), ontime, miss.astype(float), sr])


def _no_units() -> pd.DataFrame:
    return pd.DataFrame({"client_id": [], "period": [], "t": []})


def _units(portfolio: Portfolio, p: pd.DataFrame, part: str) -> pd.DataFrame:
    """The question's units (client, quarter) with their quarter index ``t``."""
    qt = question_table(portfolio, f"csat_to_repeat.{part}")
    if len(qt.data) == 0:
        raise ValueError(f"csat_to_repeat.{part} has no units")
    units = qt.data[["client_id", "period"]].copy()
    units["period"] = pd.PeriodIndex(units["period"], freq="Q")
    return units.merge(p[["client_id", "period", "t"]], on=["client_id", "period"])


class RepeatBusinessModel(BayesModel):
    """Hurdle model of quarterly repeat value (see module docstring)."""

    name = "bayes_repeat_hurdle"
    default_model_config = {
        "beta_sd": 1.0,
        "group_sd": 1.0,
        "sigma_sd": 2.0,
        "band_effects": "fixed",
        "band_sd": 1.5,
        "band_slopes": True,
        "band_slope_drivers": ("csat",),
        "slope_band_sd": 0.5,
        "quarter_effects": True,
        "margin_beta_sd": 0.1,
        "margin_group_sd": 0.1,
        "margin_sigma_sd": 0.3,
        "marginal_clients": True,
        "separate_parts": True,
        "purchase": "count",
    }
    #: the sampled parameters summarized and gated (besides the estimands, see
    #: :meth:`variables`): the intercepts as sampled, at the data's mean covariates
    summary_vars = [
        "beta_any",
        "beta_value",
        "alpha_centred_any",
        "mu_centred_value",
        "sigma",
        "sigma_client_any",
        "sigma_client_value",
    ]
    #: added to the summary (and the gate) when the data have delivered repeat margins
    margin_vars = ["beta_margin", "mu_centred_margin", "sigma_margin", "sigma_client_margin"]

    def rows(self, data: RepeatData) -> int:
        return len(data.rows)

    def variables(self, data: RepeatData) -> list[str]:
        """Every sampled parameter (the client intercepts through their scales), gated with
        the estimands' draws.

        The intercepts at zero covariates (``alpha_any``, ``mu_value``, ``mu_margin``) are
        not gated: each is its sampled intercept minus ``x̄ θ``, a direction along which the
        posterior moves slowly (an extrapolation to covariates no client has) and on which no
        reported number depends: every effect and scenario evaluates ``x θ`` at a client's
        covariates, where ``x̄ θ`` cancels. The estimands themselves are gated instead.
        """
        effects = [n for part in ("any", "value") for n in self._theta_names(data, part)]
        if self.model_config["band_effects"] == "partial":  # their scales, sampled
            effects += [f"sigma_{d}_{p}" for p in ("any", "value") for d in ("size", "industry")]
        margin = self.margin_vars if len(data.margin_rows) >= 10 else []
        return list(dict.fromkeys([*self.summary_vars, *effects, *margin]))

    def parts(self, data: RepeatData) -> tuple[str, ...]:
        """The model's parts for these data: ``"any"`` and ``"value"`` (the hurdle), and
        ``"margin"`` when there are at least 10 margin rows."""
        return ("any", "value", "margin") if len(data.margin_rows) >= 10 else ("any", "value")

    def sampling_blocks(self, data: RepeatData) -> list:
        """One model per part (``separate_parts``, on): the parts share no parameter, so
        their posteriors are independent and sampled apart (see :meth:`build_model`)."""
        if not self.model_config["separate_parts"]:
            return [self.build_model(data)]
        return [self.build_model(data, parts=(part,)) for part in self.parts(data)]

    def build_model(
        self,
        data: RepeatData,
        marginal: bool | None = None,
        parts: tuple[str, ...] | None = None,
        observed: bool = False,
    ):
        """The hurdle (and margin) model as a PyMC model.

        Each part's linear predictor is one dense matrix product, ``(X - x̄) θ``, plus the
        client intercepts: ``X`` holds the predictors, one-hot columns of size band, industry
        and quarter and the size-band slope interactions, and ``θ`` the matching coefficients
        and effects (the same random variables as before: ``beta_*``, ``u_size_*``,
        ``dbeta_*`` ...). A product of a matrix is what the sampler's gradient does fastest
        (about 4x faster than gathering each factor's effects per row at 2,000 clients), and
        centring the columns keeps the sampled intercept from trading off with the slopes of
        uncentred columns (missing indicators, one-hots): its prior sits at the observed rate
        (or mean log value) at the data's mean covariates, and ``alpha_any``, ``mu_value`` and
        ``mu_margin`` are recorded as deterministics at zero covariates, as the effect code
        reads them.

        ``marginal`` (default: the ``marginal_clients`` setting, on): the client intercepts of
        the two Normal parts (log value, margin) are integrated out of the likelihood
        (:mod:`satprofit.bayes.marginal`) and drawn back exactly after sampling
        (:meth:`complete_posterior`); ``False`` builds the model with them as parameters (for
        prior and posterior predictive draws, which need the observed variables, with
        ``observed``).

        ``observed``: the purchase part as PyMC's observed ``Bernoulli`` (for predictive
        draws) rather than its log-likelihood as a potential (for sampling; see
        :meth:`_any_part`).

        ``parts`` (default: all of :meth:`parts`): the parts to build. The three share no
        parameter and their likelihoods multiply, so the joint posterior is the product of
        the parts' posteriors and each can be sampled on its own (:meth:`sampling_blocks`).
        Sampled together, the log value and margin parts' few parameters moved at the step
        size of the purchase part's 2,000 client intercepts and were the ones that missed
        the gate at 2,000 clients (``sigma_client_margin``, ``sigma_client_value``,
        ``u_quarter_value``); apart, they cost seconds, and the purchase part's gradient no
        longer carries theirs.
        """
        import pymc as pm

        cfg = self.model_config
        marginal = bool(cfg["marginal_clients"]) if marginal is None else marginal
        parts = self.parts(data) if parts is None else tuple(parts)
        coords = {
            "predictor": list(data.predictors),
            "client": data.clients,
            "size": data.sizes,
            "industry": data.industries,
            "quarter": data.periods,
            "band_predictor": self.band_predictors(data),
        }
        grouped = self._grouped(data)
        with pm.Model(coords=coords) as model:
            if "any" in parts:
                self._any_part(data, grouped["any"], observed, marginal)
            if "value" in parts:
                self._value_part(data, grouped["value"], marginal)
            if "margin" in parts and "margin" in grouped:
                self._margin_part(data, grouped["margin"], marginal)
        return model

    def _any_part(self, data: RepeatData, g: GroupedNormal, observed: bool, marginal: bool) -> None:
        """The purchase part on every row: the number of flow repeat deals closed in the
        quarter, Poisson with a log link and multiplicative Gamma(k, k) client effects, k =
        1 / ``sigma_client_any``² (``purchase="count"``), or whether there was any, Bernoulli
        with a logit link and Normal client intercepts (``purchase="hurdle"``).

        Count model with ``marginal`` (the ``marginal_clients`` setting, on): the client
        effects are integrated out (:class:`satprofit.bayes.marginal.GroupedPoisson`) and
        drawn back exactly after sampling (:meth:`complete_posterior`).

        Otherwise, for sampling (not ``observed``) the log-likelihood is written out as a
        potential (``y·η - Σ exp(η)``, or ``y·η - Σ softplus(η)``): the same density as PyMC's
        ``Poisson`` / ``Bernoulli(logit_p=η)`` up to a constant, without their per-row bound
        checks (a third less time per gradient at 2,000 clients). The predictive model keeps
        the observed distribution.
        """
        import pymc as pm
        import pytensor.tensor as pt

        count = self.counts_deals
        y = self.purchase_outcome(data)
        if count:
            start = float(np.log(max(y.mean(), 0.01)))
        else:
            rate = float(np.clip(y.mean(), 0.01, 0.99))
            start = float(np.log(rate / (1 - rate)))
        theta = pm.math.concatenate(self._coefficients(data, "any"))
        sd = pm.HalfNormal("sigma_client_any", self.model_config["group_sd"])
        alpha = pm.Normal("alpha_centred_any", start, 2.5)
        pm.Deterministic("alpha_any", alpha - pm.math.dot(g.xbar, theta))
        if count and marginal and not observed:  # Gamma client effects integrated out
            pm.Potential("any_marginal", g.poisson_logp(alpha, theta, sd))
            return
        if count:  # multiplicative Gamma(k, k) client effects, k = 1 / sd^2 (mean 1)
            k = 1.0 / sd**2
            gamma = pm.Gamma("g_client_any", alpha=k, beta=k, dims="client")
            u = pm.Deterministic("u_client_any", pt.log(gamma), dims="client")
        else:
            z = pm.Normal("z_client_any", 0.0, 1.0, dims="client")
            u = pm.Deterministic("u_client_any", sd * z, dims="client")
        lin = alpha + g.product(theta) + u[g.group]
        if not observed:
            norm = pt.sum(pt.exp(lin)) if count else pt.sum(pt.softplus(lin))
            pm.Potential("any_loglik", pt.dot(y, lin) - norm)
        elif count:
            pm.Poisson("any", mu=pt.exp(lin), observed=y.astype(int))
        else:
            pm.Bernoulli("any", logit_p=lin, observed=y.astype(int))

    def predictive_values(self, cases, sigma, rng) -> list[np.ndarray]:
        """A predictive draw of each quarter's flow repeat value for each ``(lin_any,
        lin_val)`` pair of ``cases`` (arrays of one shape), all from the same random numbers
        (common random numbers: cases differ only by their predictors).

        Count model: the number of deals is the Poisson quantile of one uniform per cell, each
        deal's log value ``lin_val + σ z_k`` with the k-th deal's normal shared by the cases
        (drawn from a stream of its own, so each case's draws are the same whatever the
        others).
        Hurdle model: some business when the uniform is below P(any), its log value
        ``lin_val + σ z``.
        """
        u = rng.random(np.shape(cases[0][0]))
        if not self.counts_deals:
            z = rng.standard_normal(u.shape)
            return [np.where(u < expit(la), np.exp(lv + sigma * z), 0.0) for la, lv in cases]
        from scipy.stats import poisson

        n = [poisson.ppf(u, np.exp(la)) for la, _ in cases]
        out = [np.zeros(u.shape) for _ in cases]
        # the k-th deal's normals from their own stream: a case's draws never depend on how
        # many deals another case needed
        base = int(rng.integers(2**63))
        for k in range(int(max(x.max() for x in n)) if u.size else 0):
            z = np.random.default_rng([base, k]).standard_normal(u.shape)
            for i, (_, lv) in enumerate(cases):
                out[i] += np.where(n[i] > k, np.exp(lv + sigma * z), 0.0)
        return out

    @property
    def counts_deals(self) -> bool:
        """The purchase part counts deals (``purchase="count"``) rather than flagging any
        repeat business (``"hurdle"``)."""
        mode = self.model_config["purchase"]
        if mode not in ("count", "hurdle"):
            raise ValueError(f"purchase: {mode!r} is not 'count' or 'hurdle'")
        return mode == "count"

    def purchase_outcome(self, data: RepeatData) -> np.ndarray:
        """The purchase part's outcome per row: flow deals closed (count) or any (0/1)."""
        if self.counts_deals:
            return data.count
        return (data.value > 0).astype(float)

    def value_outcome(self, data: RepeatData) -> tuple[np.ndarray, np.ndarray]:
        """The value part's rows (positions in ``data.rows``) and log values: each deal at its
        quarter's row (count), or each quarter with some repeat business (hurdle)."""
        if self.counts_deals:
            return data.deal_row, np.log(data.deal_value)
        rows = np.flatnonzero(data.value > 0)
        return rows, np.log(data.value[rows])

    def expected_value(self, lin_any, lin_val, sigma):
        """Expected flow repeat value of a quarter from the two parts' linear predictors:
        expected deals x expected deal value, ``exp(η_any) exp(η_value + σ²/2)`` (count), or
        P(any) x expected value given some, ``expit(η_any) exp(η_value + σ²/2)`` (hurdle)."""
        if self.counts_deals:
            return np.exp(lin_any + lin_val + sigma**2 / 2)
        return expit(lin_any) * np.exp(lin_val + sigma**2 / 2)

    def _value_part(self, data: RepeatData, g: GroupedNormal, marginal: bool) -> None:
        """The log value given some repeat business (client intercepts integrated out when
        ``marginal``)."""
        import pymc as pm

        cfg = self.model_config
        theta = pm.math.concatenate(self._coefficients(data, "value"))
        sd = pm.HalfNormal("sigma_client_value", cfg["group_sd"])
        mu = pm.Normal("mu_centred_value", float(g.y.mean()) if len(g.y) else 0.0, 2.5)
        sigma = pm.HalfNormal("sigma", cfg["sigma_sd"])
        _normal_likelihood("value", g, mu, theta, sigma, sd, marginal, "log_value")

    def _coefficients(self, data: RepeatData, part: str) -> list:
        """The random variables of θ for hurdle part ``part``, in :meth:`_theta_names` order
        (inside a model context)."""
        import pymc as pm

        cfg = self.model_config
        theta = []
        for name in self._theta_names(data, part):
            kind, dim = name.rsplit("_", 1)[0], name.split("_")[1]
            if kind == "beta":
                theta.append(pm.Normal(name, 0.0, cfg["beta_sd"], dims="predictor"))
            elif kind == "dbeta":  # slopes varying by size band around the mean ``beta``
                dims = ("band_predictor", "size")
                theta.append(pm.ZeroSumNormal(name, cfg["slope_band_sd"], dims=dims).flatten())
            elif dim == "quarter" or cfg["band_effects"] == "fixed":
                # a few levels: effects summing to zero (the intercept stays the grand mean,
                # so the two do not trade off), no scale to learn
                theta.append(pm.ZeroSumNormal(name, cfg["band_sd"], dims=dim))
            else:  # band_effects="partial": non-centred varying intercepts
                sd = pm.HalfNormal(f"sigma_{dim}_{part}", cfg["group_sd"])
                z = pm.Normal(f"z_{dim}_{part}", 0.0, 1.0, dims=dim)
                theta.append(pm.Deterministic(name, sd * z, dims=dim))
        return theta

    def _theta_names(self, data: RepeatData, part: str) -> list[str]:
        """The variables that make up θ of ``part``, in :meth:`_dense_design`'s column order:
        mean slopes, size band and industry effects, quarter effects (the causal model's
        quarter fixed effects), size-band slope deviations."""
        names = [f"beta_{part}", f"u_size_{part}", f"u_industry_{part}"]
        if self._quarters_on(data):
            names.append(f"u_quarter_{part}")
        if self._band_slopes_on(data):
            names.append(f"dbeta_{part}")
        return names

    def _grouped(self, data: RepeatData) -> dict[str, GroupedNormal]:
        """Each part's centred design with its client codes and outcome (``"any"``: every
        row, outcome unused; ``"value"``: the rows with repeat business; ``"margin"``: the
        margin rows, weighted by their projects, when there are 10)."""
        design = self._dense_design(data)
        n = len(data.clients)
        kw = {"centre": True, "single_precision": True}  # see marginal.design_product
        rows, y = self.value_outcome(data)
        purchase = GroupedPoisson if self.counts_deals else GroupedNormal
        out = {
            "any": purchase(self.purchase_outcome(data), design, data.client, n, **kw),
            "value": GroupedNormal(y, design[rows], data.client[rows], n, **kw),
        }
        if len(data.margin_rows) >= 10:
            out["margin"] = GroupedNormal(
                data.margin_rows["rmargin"].to_numpy(float),
                data.x_margin,
                data.margin_client,
                n,
                weights=data.margin_rows["projects"].to_numpy(float),
                **kw,
            )
        return out

    def _dense_design(self, data: RepeatData) -> np.ndarray:
        """[row, column]: the predictors, one-hot size band, industry (and quarter) columns,
        and each band predictor times each size band's indicator (``dbeta`` flattened
        predictor-major), in the order :meth:`build_model` concatenates the coefficients."""

        def one_hot(codes: np.ndarray, n: int) -> np.ndarray:
            out = np.zeros((len(codes), n))
            out[np.arange(len(codes)), codes] = 1.0
            return out

        size = one_hot(data.size, len(data.sizes))
        cols = [data.x, size, one_hot(data.industry, len(data.industries))]
        if self._quarters_on(data):
            cols.append(one_hot(data.period_codes, len(data.periods)))
        if self._band_slopes_on(data):
            for name in self.band_predictors(data):
                cols.append(data.x[:, [data.predictors.index(name)]] * size)
        return np.concatenate(cols, axis=1)

    def predictive_model(self, data: RepeatData):
        """The model with the client intercepts as parameters (its observed variables)."""
        return self.build_model(data, marginal=False, observed=True)

    def complete_posterior(self, idata, data: RepeatData, random_seed=None):
        """Draw the integrated-out client intercepts back into the posterior: the purchase
        part's of the count model (``u_client_any``, the log of its Gamma effects), the log
        value and margin parts' (``u_client_*`` and ``z_client_*``); exact conditional draws
        given each posterior draw (see :mod:`satprofit.bayes.marginal`)."""
        if not self.model_config["marginal_clients"]:
            return idata
        import xarray as xr

        post = idata.posterior
        n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
        seed = [int(random_seed), 7] if isinstance(random_seed, int | np.integer) else None
        rng = np.random.default_rng(seed)
        grouped = self._grouped(data)

        def flat(name: str) -> np.ndarray:
            return post[name].values.reshape(n_chain * n_draw, -1)

        parts = {"value": ("mu_centred_value", "sigma", self._theta_names(data, "value"))}
        if "margin" in grouped and "mu_centred_margin" in post:
            parts["margin"] = ("mu_centred_margin", "sigma_margin", ["beta_margin"])
        new = {}
        if self.counts_deals:
            theta = np.concatenate([flat(n) for n in self._theta_names(data, "any")], axis=1)
            tau = flat("sigma_client_any")[:, 0]
            u = grouped["any"].draw_gamma_effects(flat("alpha_centred_any")[:, 0], theta, tau, rng)
            dims = ("chain", "draw", "client")
            new["u_client_any"] = (dims, u.reshape(n_chain, n_draw, len(data.clients)))
        for part, (mu, s, names) in parts.items():
            theta = np.concatenate([flat(n) for n in names], axis=1)
            tau = flat(f"sigma_client_{part}")[:, 0]
            u = grouped[part].draw_group_effects(flat(mu)[:, 0], theta, flat(s)[:, 0], tau, rng)
            shape, dims = (n_chain, n_draw, len(data.clients)), ("chain", "draw", "client")
            new[f"u_client_{part}"] = (dims, u.reshape(shape))
            new[f"z_client_{part}"] = (dims, (u / tau[:, None]).reshape(shape))
        coords = {"chain": post["chain"].values, "draw": post["draw"].values}
        coords["client"] = list(data.clients)
        idata.posterior = post.assign(xr.Dataset(new, coords=coords))
        return idata

    def band_predictors(self, data: RepeatData) -> list[str]:
        """The predictors whose slope varies by size band in this model (none when
        ``band_slopes`` is off or there is one band)."""
        if not (bool(self.model_config["band_slopes"]) and len(data.sizes) > 1):
            return []
        return data.band_predictors(self.model_config["band_slope_drivers"])

    def _band_slopes_on(self, data: RepeatData) -> bool:
        """Size-band slopes are modelled (configured, several bands, a band predictor)."""
        return bool(self.band_predictors(data))

    def _quarters_on(self, data: RepeatData) -> bool:
        return bool(self.model_config["quarter_effects"]) and len(data.periods) > 1

    def _margin_part(self, data: RepeatData, g: GroupedNormal, marginal: bool) -> None:
        import pymc as pm

        cfg = self.model_config
        beta = pm.Normal("beta_margin", 0.0, cfg["margin_beta_sd"], dims="predictor")
        mu = pm.Normal("mu_centred_margin", float(g.y.mean()), 0.2)
        sd_c = pm.HalfNormal("sigma_client_margin", cfg["margin_group_sd"])
        sigma = pm.HalfNormal("sigma_margin", cfg["margin_sigma_sd"])
        _normal_likelihood("margin", g, mu, beta, sigma, sd_c, marginal, "margin")

    def prior_predictive(
        self, data: RepeatData, samples: int = 500, random_seed: int = 0
    ) -> pd.Series:
        """Quantiles over prior draws of: the share of quarters with repeat business, the
        median log value (of a deal, or of a quarter's deals for the hurdle model), and the mean
        delivered margin (a check that the priors allow the data's scale without making extreme
        values likely)."""
        import pymc as pm

        with self.predictive_model(data):
            prior = pm.sample_prior_predictive(draws=samples, random_seed=random_seed)
        pp = prior.prior_predictive
        stats = {
            "share with repeat business": (pp["any"].values.reshape(samples, -1) > 0).mean(axis=1),
            "median log value": np.median(pp["log_value"].values.reshape(samples, -1), axis=1),
        }
        if "margin" in pp:
            stats["mean margin"] = pp["margin"].values.reshape(samples, -1).mean(axis=1)
        return pd.DataFrame(
            {k: np.quantile(v, [0.05, 0.5, 0.95]) for k, v in stats.items()},
            index=["q05", "median", "q95"],
        ).T

    def posterior_predictive(self, result, data: RepeatData, random_seed: int = 0):
        """Observed vs posterior-predicted share of quarters with repeat business, deals per
        quarter (count model), median log value (of a deal; of a quarter's deals for the hurdle
        model), and mean delivered margin (a table)."""
        pp = super().posterior_predictive(result, data, random_seed)
        y = self.purchase_outcome(data)
        _, log_value = self.value_outcome(data)
        rows = {
            "share of quarters with repeat business": (
                float((y > 0).mean()),
                float((pp["any"].values > 0).mean()),
            ),
        }
        if self.counts_deals:
            sim = pp["any"].values.reshape(-1, len(y))
            rows["repeat deals per quarter"] = (float(y.mean()), float(sim.mean()))
            # the Poisson count's check: counts more dispersed than predicted (beyond what the
            # client intercepts explain) would make the intervals too narrow
            rows["variance / mean of deals per quarter"] = (
                float(y.var() / max(y.mean(), 1e-12)),
                float(np.mean(sim.var(axis=1) / np.maximum(sim.mean(axis=1), 1e-12))),
            )
        rows["median log value given some"] = (
            float(np.median(log_value)),
            float(np.median(pp["log_value"].values)),
        )
        if "margin" in pp:
            rows["mean delivered margin"] = (
                float(data.margin_rows["rmargin"].mean()),
                float(pp["margin"].values.mean()),
            )
        return pd.DataFrame.from_dict(rows, orient="index", columns=["observed", "predicted"])

    def linear_predictors(
        self,
        post: dict,
        x: np.ndarray,
        client: np.ndarray,
        size: np.ndarray,
        industry: np.ndarray,
        period: np.ndarray | None = None,
        band_predictors: list[str] | None = None,
        predictors: list[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Logit of any repeat business and mean log value, [row, draw].

        ``period``: the rows' positions among the model's quarters (None: an average quarter,
        as for a forecast). ``band_predictors`` / ``predictors``: the data's, to add the
        rows' size-band slope deviations (None: ``x`` is taken at the mean slopes only when
        the model has none).
        """
        lin_any = post["alpha_any"][None, :] + x @ post["beta_any"].T
        lin_val = post["mu_value"][None, :] + x @ post["beta_value"].T
        for g, idx in (("client", client), ("size", size), ("industry", industry)):
            lin_any = lin_any + post[f"u_{g}_any"][:, idx].T
            lin_val = lin_val + post[f"u_{g}_value"][:, idx].T
        if period is not None and "u_quarter_any" in post:
            lin_any = lin_any + post["u_quarter_any"][:, period].T
            lin_val = lin_val + post["u_quarter_value"][:, period].T
        if "dbeta_any" in post:
            if band_predictors is None or predictors is None:
                raise ValueError("the model has size-band slopes: pass the data's predictors")
            for k, name in enumerate(band_predictors):
                col = x[:, list(predictors).index(name)][:, None]
                lin_any = lin_any + col * post["dbeta_any"][:, k, :][:, size].T
                lin_val = lin_val + col * post["dbeta_value"][:, k, :][:, size].T
        return lin_any, lin_val

    def band_slope(self, post: dict, part: str, data: RepeatData, name: str) -> np.ndarray:
        """Slope of predictor ``name`` in hurdle part ``part`` ("any" or "value") per size
        band, [band, draw] (the mean slope in every band when slopes do not vary)."""
        b = post[f"beta_{part}"][:, list(data.predictors).index(name)]
        out = np.repeat(b[None, :], max(len(data.sizes), 1), axis=0)
        band = self.band_predictors(data)
        if f"dbeta_{part}" in post and name in band:
            out = out + post[f"dbeta_{part}"][:, band.index(name), :].T
        return out

    def data_linear_predictors(self, post: dict, data: RepeatData) -> tuple[np.ndarray, ...]:
        """:meth:`linear_predictors` on the data's own rows."""
        return self.linear_predictors(
            post,
            data.x,
            data.client,
            data.size,
            data.industry,
            data.period_codes,
            self.band_predictors(data),
            list(data.predictors),
        )

    def effects(self, idata, data: RepeatData) -> pd.DataFrame:
        post = self.draws(idata)
        b_any, b_val, sigma = post["beta_any"], post["beta_value"], post["sigma"]
        lin_any, lin_val = self.data_linear_predictors(post, data)
        # row lookup: (client, quarter) -> row position
        key = pd.Series(
            np.arange(len(data.rows)),
            index=pd.MultiIndex.from_arrays([data.rows["client_id"], data.rows["t"]]),
        )
        units = data.units
        lags = data.lag_columns
        names = [data.predictors[c] for c in lags]
        band_any = [self.band_slope(post, "any", data, n) for n in names]  # [band, draw]
        band_val = [self.band_slope(post, "value", data, n) for n in names]
        w_all = data.w_all if data.w_all is not None else np.pad(data.w, ((0, 0), (3, 0)))
        eff = np.zeros((len(units), lin_any.shape[1]))
        for j in range(4):
            pos = key.reindex(
                pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
            ).to_numpy()
            ok = ~np.isnan(pos)
            rows = pos[ok].astype(int)
            band = data.size[rows]
            # +-d/2 (d = 1 csat point) on every lagged window the unit's responses are in,
            # at the slopes of the row's size band
            s_any = sum(
                w_all[ok, OFFSETS.index(j - lag)][:, None] / 2 * band_any[lag][band]
                for lag in range(len(lags))
            )
            s_val = sum(
                w_all[ok, OFFSETS.index(j - lag)][:, None] / 2 * band_val[lag][band]
                for lag in range(len(lags))
            )
            for sign in (1, -1):
                # the rows' own windows move by the shift; the client mean does not
                la = lin_any[rows] + sign * s_any
                lv = lin_val[rows] + sign * s_val
                ev = self.expected_value(la, lv, sigma[None, :])
                eff[ok] += sign * ev
        draws = {"csat_to_repeat.value": eff.mean(axis=0)}
        rows = {
            "csat_to_repeat.value": _row(
                draws["csat_to_repeat.value"], "csat_to_repeat.value", len(units)
            )
        }
        # prior-to-posterior contraction of the satisfaction coefficients (summed over the
        # lags, prior variance lags x sd^2): the better-informed of the two hurdle parts
        prior_var = len(lags) * float(self.model_config["beta_sd"]) ** 2
        shrink = max(
            1.0 - float(np.var(sum(b[:, c] for c in lags))) / prior_var for b in (b_any, b_val)
        )
        _with_contraction(rows["csat_to_repeat.value"], shrink)
        if "beta_margin" in post and len(data.margin_units):
            # margin share -> percentage points, per +1 csat point, through every lag
            share = (
                data.margin_share if data.margin_share is not None else data.margin_wbar[:, None]
            ).mean(axis=0)
            b = 100.0 * sum(
                post["beta_margin"][:, col] * share[lag]
                for lag, col in enumerate(data.lag_columns)
                if lag < len(share)
            )
            draws["csat_to_repeat.margin"] = b
            rows["csat_to_repeat.margin"] = _row(b, "csat_to_repeat.margin", len(data.margin_units))
            bm = post["beta_margin"]
            prior_m = len(data.lag_columns) * float(self.model_config["margin_beta_sd"]) ** 2
            shrink_m = 1.0 - float(np.var(sum(bm[:, c] for c in data.lag_columns))) / prior_m
            _with_contraction(rows["csat_to_repeat.margin"], shrink_m)
        else:
            why = (
                "no unit has a delivered repeat margin"
                if not len(data.margin_units)
                else f"only {len(data.margin_rows)} quarters with delivered repeat margins "
                "(the margin part needs 10)"
            )
            rows["csat_to_repeat.margin"] = {
                "median": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "unit": ESTIMAND_UNITS["csat_to_repeat.margin"],
                "n": len(data.margin_units),
                "contraction": np.nan,
                "status": "not_estimable",
                "reason": why,
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.attrs["draws"] = draws  # gated by the fit (R-hat, ESS), never saved
        return out


def _normal_likelihood(part: str, g: GroupedNormal, mu, theta, sigma, sd_client, marginal, name):
    """A Normal part's likelihood (inside a model context): ``mu_<part>`` recorded at zero
    covariates, then the client intercepts integrated out (a potential ``<name>_marginal``)
    when ``marginal``, else sampled (``z_client_<part>``, ``u_client_<part>``) with the
    observed ``<name>`` (row sd ``sigma / sqrt(w)``)."""
    import pymc as pm

    pm.Deterministic(f"mu_{part}", mu - pm.math.dot(g.xbar, theta))
    if marginal:
        pm.Potential(f"{name}_marginal", g.logp(mu, theta, sigma, sd_client))
        return
    z = pm.Normal(f"z_client_{part}", 0.0, 1.0, dims="client")
    u = pm.Deterministic(f"u_client_{part}", sd_client * z, dims="client")
    lin = mu + g.product(theta) + u[g.group]
    pm.Normal(name, lin, sigma / np.sqrt(g.w), observed=g.y)


def _with_contraction(row: dict, contraction: float) -> None:
    """Add ``contraction`` and the status it implies; a mostly-prior answer loses its figures."""
    status, reason = contraction_status(contraction)
    row.update(contraction=contraction, status=status, reason=reason)
    if status != "ok":
        row.update(median=np.nan, ci_low=np.nan, ci_high=np.nan)


def _row(draws: np.ndarray, estimand: str, n: int) -> dict:
    """Posterior median and interval (``INTERVAL_PROB``) of an estimand's draws."""
    lo, med, hi = np.quantile(draws, [INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]])
    return {"median": med, "ci_low": lo, "ci_high": hi, "unit": ESTIMAND_UNITS[estimand], "n": n}
