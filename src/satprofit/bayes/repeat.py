r"""Bayesian model of repeat business, quarter by quarter, with its what-if propagation.

For each client and quarter :math:`r`, with :math:`T` the client's trailing 4-quarter mean
csat at the end of quarter :math:`r-1`:

.. math::

    \Pr(D_{cr} > 0) = \operatorname{logit}^{-1}(\alpha + \beta_a T + x^\top\gamma_a
        + \lambda_a \bar T_c + u_c + u_{\text{size}} + u_{\text{ind}}),\qquad
    \log D_{cr} \mid D_{cr} > 0 \sim N(\mu + \beta_v T + x^\top\gamma_v + \lambda_v \bar T_c
        + v_c + v_{\text{size}} + v_{\text{ind}},\ \sigma^2)

a hurdle model (probability of any won repeat business, log-normal value given some), with
partial pooling by client, size band and industry (non-centered). The client mean of the
trailing csat, :math:`\bar T_c` (the Mundlak device), lets the client intercepts absorb
time-invariant client traits such as relationship health, so :math:`\beta` is a within-client
effect, as with fixed effects. ``x``: the trailing on-time rate (with a missing indicator) and
sales status reports.

The estimand ``csat_to_repeat.value`` is computed per draw as QUESTIONS.md defines it, through
the overlapping windows (see :mod:`satprofit.causal.repeat`): shifting the responses of
quarters ``q-3..q`` moves window ``s`` by ``w_{q,s}`` times the shift, and
:math:`E[D] = p\,e^{m + \sigma^2/2}` is re-evaluated in quarters ``q+1..q+4``.

Priors: coefficients Normal(0, 1) on the logit and log scales (a 1-point csat change multiplying
the odds or the value by e is already large), intercepts Normal(0, 2.5) around the data's
observed rate and log value, group scales HalfNormal(1), sigma HalfNormal(2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from satprofit.bayes.base import BayesModel
from satprofit.causal.repeat import _quarterly, _weights
from satprofit.constants import ESTIMAND_UNITS
from satprofit.features.questions import question_table
from satprofit.io import Portfolio

PREDICTORS = ("csat", "csat_client_mean", "ontime", "ontime_missing", "status_reports")


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
    csat_center: float


def repeat_data(portfolio: Portfolio) -> RepeatData:
    """Quarter rows (full quarters whose previous window has responses) and the units."""
    p = _quarterly(portfolio)
    s = p[p["full_period"] & (p["responses_trailing_prev"] > 0)].reset_index(drop=True)
    if len(s) < 30:
        raise ValueError(f"only {len(s)} client-quarters with a trailing csat (need 30)")
    center = float(s["csat_trailing_prev"].mean())
    t = s["csat_trailing_prev"].to_numpy(float) - center
    tbar = pd.Series(t).groupby(s["client_id"].to_numpy()).transform("mean").to_numpy()
    ontime = s["ontime_rate_trailing_prev"].to_numpy(float)
    miss = np.isnan(ontime)
    ontime = np.where(miss, 0.0, (ontime - np.nanmean(ontime)) * 10)
    sr = s["status_reports_by_sales_trailing_prev"].to_numpy(float)
    sr = (sr - sr.mean()) / (sr.std() or 1.0)
    x = np.column_stack([t, tbar, ontime, miss.astype(float), sr])
    cl = portfolio.clients.set_index("client_id")
    c_codes, clients = pd.factorize(s["client_id"], sort=True)
    z_codes, sizes = pd.factorize(s["client_id"].map(cl["size_band"]), sort=True)
    i_codes, industries = pd.factorize(s["client_id"].map(cl["industry"]), sort=True)
    qt = question_table(portfolio, "csat_to_repeat.value")
    units = qt.data[["client_id", "period"]].copy()
    units["period"] = pd.PeriodIndex(units["period"], freq="Q")
    units = units.merge(p[["client_id", "period", "t"]], on=["client_id", "period"])
    return RepeatData(
        s,
        x,
        s["repeat_value"].to_numpy(float),
        c_codes,
        z_codes,
        i_codes,
        list(clients),
        list(sizes),
        list(industries),
        units,
        _weights(p, units),
        center,
    )


class RepeatBusinessModel(BayesModel):
    """Hurdle model of quarterly repeat value (see module docstring)."""

    name = "bayes_repeat_hurdle"
    default_model_config = {"beta_sd": 1.0, "group_sd": 1.0, "sigma_sd": 2.0}
    summary_vars = [
        "beta_any",
        "beta_value",
        "alpha_any",
        "mu_value",
        "sigma",
        "sigma_client_any",
        "sigma_client_value",
    ]

    def build_model(self, data: RepeatData):
        import pymc as pm

        cfg = self.model_config
        pos = data.value > 0
        rate = float(np.clip(pos.mean(), 0.01, 0.99))
        coords = {
            "predictor": list(PREDICTORS),
            "client": data.clients,
            "size": data.sizes,
            "industry": data.industries,
        }
        with pm.Model(coords=coords) as model:
            x = pm.Data("x", data.x)
            parts = {}
            for part in ("any", "value"):
                eff = 0.0
                for group, idx in (
                    ("client", data.client),
                    ("size", data.size),
                    ("industry", data.industry),
                ):
                    sd = pm.HalfNormal(f"sigma_{group}_{part}", cfg["group_sd"])
                    z = pm.Normal(f"z_{group}_{part}", 0.0, 1.0, dims=group)
                    eff = eff + pm.Deterministic(f"u_{group}_{part}", sd * z, dims=group)[idx]
                beta = pm.Normal(f"beta_{part}", 0.0, cfg["beta_sd"], dims="predictor")
                parts[part] = (pm.math.dot(x, beta), eff)
            alpha = pm.Normal("alpha_any", np.log(rate / (1 - rate)), 2.5)
            lin_any = alpha + parts["any"][0] + parts["any"][1]
            pm.Bernoulli("any", logit_p=lin_any, observed=pos.astype(int))
            mu = pm.Normal(
                "mu_value", float(np.log(data.value[pos]).mean()) if pos.any() else 0, 2.5
            )
            sigma = pm.HalfNormal("sigma", cfg["sigma_sd"])
            lin_val = mu + parts["value"][0] + parts["value"][1]
            pm.Normal("log_value", lin_val[pos], sigma, observed=np.log(data.value[pos]))
        return model

    def effects(self, idata, data: RepeatData) -> pd.DataFrame:
        post = idata.posterior
        n_draws = post.sizes["chain"] * post.sizes["draw"]
        step = max(1, n_draws // 1000)

        def arr(name):
            v = post[name].values
            return v.reshape(n_draws, *v.shape[2:])[::step]

        b_any, b_val = arr("beta_any"), arr("beta_value")
        a, mu, sigma = arr("alpha_any"), arr("mu_value"), arr("sigma")
        lin_any = a[None, :] + data.x @ b_any.T  # [row, draw]
        lin_val = mu[None, :] + data.x @ b_val.T
        for g, idx in (("client", data.client), ("size", data.size), ("industry", data.industry)):
            lin_any = lin_any + arr(f"u_{g}_any")[:, idx].T
            lin_val = lin_val + arr(f"u_{g}_value")[:, idx].T
        # row lookup: (client, quarter) -> row position
        key = pd.Series(
            np.arange(len(data.rows)),
            index=pd.MultiIndex.from_arrays([data.rows["client_id"], data.rows["t"]]),
        )
        units = data.units
        eff = np.zeros((len(units), lin_any.shape[1]))
        for j in range(4):
            pos = key.reindex(
                pd.MultiIndex.from_arrays([units["client_id"], units["t"] + j + 1])
            ).to_numpy()
            ok = ~np.isnan(pos)
            rows = pos[ok].astype(int)
            shift = data.w[ok, j][:, None] / 2  # +-d/2 with d = 1 csat point
            for sign in (1, -1):
                # the row's own csat moves by the shift; its client mean does not
                la = lin_any[rows] + sign * shift * b_any[None, :, 0]
                lv = lin_val[rows] + sign * shift * b_val[None, :, 0]
                ev = expit(la) * np.exp(lv + sigma[None, :] ** 2 / 2)
                eff[ok] += sign * ev
        draws = eff.mean(axis=0)
        lo, med, hi = np.quantile(draws, [0.025, 0.5, 0.975])
        return pd.DataFrame.from_dict(
            {
                "csat_to_repeat.value": {
                    "median": med,
                    "ci_low": lo,
                    "ci_high": hi,
                    "unit": ESTIMAND_UNITS["csat_to_repeat.value"],
                    "n": len(units),
                }
            },
            orient="index",
        )
