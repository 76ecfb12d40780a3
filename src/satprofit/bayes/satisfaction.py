r"""Hierarchical ordinal model of satisfaction (csat 1..5) per survey response.

.. math::

    \Pr(\text{csat}_r \le k) = \operatorname{logit}^{-1}(c_k - \eta_r), \quad
    \eta_r = x_r^\top\beta + a_{\text{client}[r]} + a_{\text{team}[r]}
             + a_{\text{industry}[r]},\quad
    a_{g} = \sigma_g z_g,\ z_g \sim N(0, 1)

for the responses tied to finished projects. Predictors: the project's on-time milestone rate
(per +10 pp, centered; 0 with an indicator for projects without milestones), sales status reports
per month during the project (centered), defects and escalations (standardized), client size
rank and tenure (standardized). Varying intercepts by client, delivery team and industry give
partial pooling; they are non-centered, which samples better when groups are small.

Priors (``default_model_config``), weakly informative on the logit scale: coefficients
Normal(0, 1) (a one-unit change moving the odds of a higher score by e, i.e. x2.7, is already
a large effect); group scales HalfNormal(0.5) (client-to-client differences of about +-1 logit
are plausible, +-3 are not); cut points Normal(0, 2.5) ordered, so the prior predictive puts
mass on every score.

NPS as a second likelihood (``model_config={"nps": True}``): the 0..10 likelihood-to-recommend
answers of the same responses share the latent satisfaction, :math:`\Pr(\text{nps}_r \le k) =
\operatorname{logit}^{-1}(c'_k - \kappa\,\eta_r)`, with their own ten ordered cut points
(Normal(0, 2.5) around evenly spread values) and a loading :math:`\kappa \sim
\text{LogNormal}(0, 0.5)` (positive: both scores rise with satisfaction; a factor of 2.7 either way
covers the plausible range). Responses without an nps answer enter the csat likelihood only.
The second score sharpens the coefficients when both measure the same attitude; the estimands
stay in csat points.

The estimands ``quality_to_csat`` and ``status_reports_to_csat`` are computed per posterior
draw exactly as QUESTIONS.md defines them: for each unit (project) the mean over its responses of
:math:`E[\text{csat} \mid \eta_r + \beta d/2] - E[\text{csat} \mid \eta_r - \beta d/2]`,
averaged over units; the effect shrinks near the top of the scale, as the ordinal link implies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from satprofit.bayes.base import BayesModel
from satprofit.constants import ESTIMAND_UNITS, SIZE_BANDS
from satprofit.features.projects import project_table
from satprofit.io import Portfolio

PREDICTORS = (
    "ontime_10pp",
    "no_milestones",
    "status_reports_per_month",
    "defects_z",
    "escalations_z",
    "size_z",
    "tenure_z",
)


@dataclass
class SatisfactionData:
    """Model-ready responses: predictors, group indices, and the projects they belong to."""

    frame: pd.DataFrame
    x: np.ndarray
    csat: np.ndarray
    client: np.ndarray
    team: np.ndarray
    industry: np.ndarray
    clients: list[str]
    teams: list[str]
    industries: list[str]
    ontime_center: float
    sr_center: float

    @property
    def n(self) -> int:
        return len(self.csat)


def satisfaction_data(portfolio: Portfolio) -> SatisfactionData:
    """Responses tied to finished projects, with the model's predictors."""
    pt = project_table(portfolio)
    pt = pt[pt["finished"]]
    sv = portfolio.surveys.dropna(subset=["project_id"])
    cols = ["response_id", "project_id", "csat", *(["nps"] if "nps" in sv.columns else [])]
    d = sv[cols].merge(pt, on="project_id", how="inner", suffixes=("", "_p"))
    if len(d) < 20:
        raise ValueError(f"only {len(d)} responses tied to finished projects (need 20)")
    cl = portfolio.clients.set_index("client_id")
    size = d["client_id"].map(cl["size_band"]).map({s: i for i, s in enumerate(SIZE_BANDS)})
    tenure = (d["start_date"] - d["client_id"].map(cl["first_engagement_date"])).dt.days.clip(
        lower=0
    ) / 365.25
    no_ms = d["ontime_rate"].isna()
    ontime_center = float(d.loc[~no_ms, "ontime_rate"].mean()) if (~no_ms).any() else 0.0
    sr_center = float(d["status_reports_per_month"].mean())

    def z(s):
        s = s.astype(float)
        sd = s.std()
        return (s - s.mean()) / (sd if sd > 0 else 1.0)

    frame = pd.DataFrame(
        {
            "response_id": d["response_id"].to_numpy(),
            "project_id": d["project_id"].to_numpy(),
            "client_id": d["client_id"].to_numpy(),
            "csat": d["csat"].to_numpy(),
            "nps": d["nps"].to_numpy(float) if "nps" in d.columns else np.nan,
            "ontime_10pp": np.where(no_ms, 0.0, (d["ontime_rate"] - ontime_center) * 10),
            "no_milestones": no_ms.astype(float).to_numpy(),
            "status_reports_per_month": d["status_reports_per_month"].to_numpy() - sr_center,
            "defects_z": z(d["defects"]).to_numpy(),
            "escalations_z": z(d["escalations"]).to_numpy(),
            "size_z": z(size).to_numpy(),
            "tenure_z": z(tenure).to_numpy(),
        }
    )
    industry = d["client_id"].map(cl["industry"])
    c_codes, clients = pd.factorize(d["client_id"], sort=True)
    t_codes, teams = pd.factorize(d["delivery_team"], sort=True)
    i_codes, industries = pd.factorize(industry, sort=True)
    x = frame[list(PREDICTORS)].to_numpy(float)
    return SatisfactionData(
        frame,
        x,
        d["csat"].to_numpy(int),
        c_codes,
        t_codes,
        i_codes,
        list(clients),
        list(teams),
        list(industries),
        ontime_center,
        sr_center,
    )


def expected_csat(eta: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """E[csat] = 1 + sum_k P(csat > k) for latent ``eta`` [..., n] and cut points [..., 4]."""
    return 1.0 + expit(eta[..., :, None] - cutpoints[..., None, :]).sum(axis=-1)


class SatisfactionModel(BayesModel):
    """Cumulative-logit model of csat with partial pooling (see module docstring)."""

    name = "bayes_ordinal_satisfaction"
    default_model_config = {"beta_sd": 1.0, "group_sd": 0.5, "cut_sd": 2.5, "nps": False}
    summary_vars = ["beta", "cutpoints", "sigma_client", "sigma_team", "sigma_industry"]

    def build_model(self, data: SatisfactionData):
        import pymc as pm

        cfg = self.model_config
        coords = {
            "predictor": list(PREDICTORS),
            "client": data.clients,
            "team": data.teams,
            "industry": data.industries,
            "cut": [1, 2, 3, 4],
            "obs": np.arange(data.n),
        }
        with pm.Model(coords=coords) as model:
            x = pm.Data("x", data.x, dims=("obs", "predictor"))
            beta = pm.Normal("beta", 0.0, cfg["beta_sd"], dims="predictor")
            effects = {}
            for group, idx in (
                ("client", data.client),
                ("team", data.team),
                ("industry", data.industry),
            ):
                sigma = pm.HalfNormal(f"sigma_{group}", cfg["group_sd"])
                z = pm.Normal(f"z_{group}", 0.0, 1.0, dims=group)
                effects[group] = pm.Deterministic(f"a_{group}", sigma * z, dims=group)[idx]
            cut = pm.Normal(
                "cutpoints",
                mu=np.array([-2.0, -1.0, 0.0, 1.5]),
                sigma=cfg["cut_sd"],
                dims="cut",
                transform=pm.distributions.transforms.ordered,
                initval=np.array([-2.0, -1.0, 0.0, 1.5]),
            )
            eta = pm.math.dot(x, beta) + effects["client"] + effects["team"] + effects["industry"]
            pm.OrderedLogistic("csat", eta=eta, cutpoints=cut, observed=data.csat - 1, dims="obs")
            if cfg["nps"]:
                self._nps_part(data, eta)
        return model

    def _nps_part(self, data: SatisfactionData, eta) -> None:
        import pymc as pm

        nps = data.frame["nps"].to_numpy(float)
        has = ~np.isnan(nps)
        if has.sum() < 20:
            raise ValueError(f"nps likelihood asked for, but only {int(has.sum())} nps answers")
        start = np.linspace(-3.0, 2.0, 10)
        kappa = pm.LogNormal("kappa_nps", 0.0, 0.5)
        cut = pm.Normal(
            "cutpoints_nps",
            mu=start,
            sigma=self.model_config["cut_sd"],
            shape=10,
            transform=pm.distributions.transforms.ordered,
            initval=start,
        )
        pm.OrderedLogistic(
            "nps",
            eta=kappa * eta[np.flatnonzero(has)],
            cutpoints=cut,
            observed=nps[has].astype(int),
        )

    def variables(self, data: SatisfactionData) -> list[str]:
        extra = ["kappa_nps", "cutpoints_nps"] if self.model_config["nps"] else []
        return self.summary_vars + extra

    def latent(self, idata, data: SatisfactionData, max_draws: int = 1000) -> tuple:
        """Per-draw latent eta [draw, obs], cut points [draw, 4] and beta [draw, predictor]."""
        post = idata.posterior
        beta = post["beta"].values.reshape(-1, len(PREDICTORS))
        cut = post["cutpoints"].values.reshape(-1, 4)
        a = {
            g: post[f"a_{g}"].values.reshape(len(beta), -1) for g in ("client", "team", "industry")
        }
        step = max(1, len(beta) // max_draws)
        sel = slice(None, None, step)
        eta = (
            beta[sel] @ data.x.T
            + a["client"][sel][:, data.client]
            + a["team"][sel][:, data.team]
            + a["industry"][sel][:, data.industry]
        )
        return eta, cut[sel], beta[sel]

    def effects(self, idata, data: SatisfactionData) -> pd.DataFrame:
        eta, cut, beta = self.latent(idata, data)
        project = data.frame["project_id"].to_numpy()
        rows = {}
        for estimand, col, shift_per_unit, mask in (
            (
                "quality_to_csat",
                PREDICTORS.index("ontime_10pp"),
                0.5,
                data.frame["no_milestones"].to_numpy() == 0,
            ),
            (
                "status_reports_to_csat",
                PREDICTORS.index("status_reports_per_month"),
                0.5,
                np.ones(data.n, bool),
            ),
        ):
            shift = beta[:, col][:, None] * shift_per_unit
            diff = expected_csat(eta + shift, cut) - expected_csat(eta - shift, cut)
            diff = diff[:, mask]
            units = pd.factorize(project[mask])[0]
            n_units = units.max() + 1
            per_unit = np.stack(
                [np.bincount(units, weights=row, minlength=n_units) for row in diff]
            ) / np.bincount(units, minlength=n_units)
            draws = per_unit.mean(axis=1)
            lo, med, hi = np.quantile(draws, [0.025, 0.5, 0.975])
            rows[estimand] = {
                "median": med,
                "ci_low": lo,
                "ci_high": hi,
                "unit": ESTIMAND_UNITS[estimand],
                "n": int(n_units),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def prior_predictive(
        self, data: SatisfactionData, samples: int = 500, random_seed: int = 0
    ) -> pd.Series:
        """Share of each csat score under the prior (a check that priors are sensible)."""
        import pymc as pm

        with self.build_model(data):
            prior = pm.sample_prior_predictive(draws=samples, random_seed=random_seed)
        values = prior.prior_predictive["csat"].values.ravel() + 1
        return pd.Series(values).value_counts(normalize=True).sort_index()

    def posterior_predictive(
        self, result, data: SatisfactionData, random_seed: int = 0
    ) -> pd.DataFrame:
        """Observed vs posterior-predicted share of each csat score."""
        import pymc as pm

        with self.build_model(data):
            pp = pm.sample_posterior_predictive(
                result.idata, random_seed=random_seed, progressbar=False
            )
        pred = pd.Series(pp.posterior_predictive["csat"].values.ravel() + 1)
        return (
            pd.DataFrame(
                {
                    "observed": pd.Series(data.csat).value_counts(normalize=True),
                    "predicted": pred.value_counts(normalize=True),
                }
            )
            .reindex(range(1, 6))
            .fillna(0.0)
        )
