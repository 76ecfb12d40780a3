r"""Hierarchical ordinal model of satisfaction (csat 1..5) per survey response.

.. math::

    \Pr(\text{csat}_r \le k) = \operatorname{logit}^{-1}(c_k - \eta_r), \quad
    \eta_r = x_r^\top\beta + \sum_{k \in T} x_{rk}\,\delta_{k,b(r)} + a_{\text{client}[r]}
             + a_{\text{team}[r]} + a_{\text{industry}[r]} + a_{\text{owner}[r]},\quad
    a_{\text{client}} = \sigma z,\ z \sim N(0, 1)

for the responses tied to finished projects (:math:`T` the treatments, :math:`\delta_{k,b}`
their zero-sum deviations by the client's size band :math:`b`); the team, industry and owner
effects sum to zero (``group_effects="fixed"``, the default) or are partially pooled like the
clients' (``"partial"``).

What the model adjusts for, and why (the estimands are **total** effects)
-------------------------------------------------------------------------
QUESTIONS.md defines ``quality_to_csat`` and ``status_reports_to_csat`` as total effects: the
change in expected csat when the treatment is set, through every path. The model therefore
adjusts only for a back-door set of each treatment in the domain graph
(:mod:`satprofit.causal.dag`) and for nothing that the treatment can move:

* **no defects, escalations or overrun.** Late delivery plausibly brings defects and escalations
  (in the graph they share the team's skill with the on-time rate; in other plausible worlds they
  follow from it). With them as predictors the on-time coefficient is a *direct* effect that
  leaves out what runs through them (measured before this change: 0.080 [0.043, 0.119] against
  a total of 0.139 on ``data/sample``), and their own coefficients are conditioning artefacts
  (fewer escalations "lowering" satisfaction). The confounding they carried (team skill, client
  size) is blocked by the team intercepts and the size term. ``model_config={"mediators":
  True}`` restores the old direct-effect specification, kept only to show its bias in the tests.
* **sales-owner intercepts** absorb the account manager's diligence, which raises both the
  status-report rate and satisfaction. Without them, partially pooled client intercepts leave
  that confounding in the status-report slope (0.463 [0.373, 0.552] against a truth of 0.190 at
  1,000 clients). With them, client size and tenure, the graph's back-door set of the status
  reports is complete (the client's own latent traits act on satisfaction, not on the reports).
* **size and tenure measured as client traits, without a shape imposed.** Size enters as
  indicators of its band (not a linear rank), tenure as the log of the relationship's age when
  the data start (a trait fixed before any treatment in the data; the first years count most),
  not the age at each project, which also moves with calendar time. Both confound the
  status-report rate, which diligent sales teams raise on larger and older accounts; with a
  linear size rank and the age at each project, the adjustment left part of that confounding
  in the report slope (0.259 [0.168, 0.341] against 0.190 at 1,000 clients; now 0.220 [0.137,
  0.308]; a maximum-likelihood ordinal fit with fixed owner effects moves the same way, 0.239
  -> 0.202).
* **within/between (Mundlak) decomposition of the on-time rate.** It enters as its deviation
  from the client's mean (``ontime_within``: the effect) and the client mean itself
  (``ontime_client_mean``: absorbs whatever fixed client trait goes with the level), the
  correlated-random-effects form of the causal regression's client fixed effects. A
  g-computation contrast moves the rate and holds the client mean: the mean stands in for the
  client's traits, which the intervention does not change. This costs little precision (most of
  the on-time variation is within clients). The client mean is over the client's answered
  projects. ``model_config={"ontime_mean": "projects"}`` takes it over *all* the client's
  rated projects, answered or not (the correlated-random-effects proxy may use every observed
  on-time rate): where most clients answer for one project, the mean over the answered ones
  leaves them no within part and throws their information away. In the ``few_responses``
  design at 1,000 clients (4 portfolios, seeds 2000-2003) the estimate / truth went from 0.53,
  1.17, 1.06, 0.89 (intervals 0.88-1.18x the effect wide) to 1.08, 1.15, 0.92, 0.95
  (0.53-0.70x); at 300 clients x 3 per design the ``few_responses`` width 1.82x -> 1.02x. The
  price, and why it is not the default: the within part then carries a client-level component
  (correlation 0.34 with its own client mean at 300 clients), which trades off against the
  client intercepts, and the client scale mixes slower: across the 33 fits of the 300-client
  study the satisfaction model failed the convergence gate in 14 (``sigma_client`` tail ESS
  324 in the default world, seed 2000) against 2 with the answered-projects mean. The status-report rate is *not* decomposed: it is
  mostly a client-level trait (within-client sd 0.17 of 0.50 reports a month at 1,000 clients),
  so the within part alone throws most of the information away (on ``data/sample``: -0.23
  [-0.72, 0.24] against a truth of 0.185), and where sales reacts to a dissatisfied quarter
  with more reports (the simulator's ``feedback`` design) the within comparison is biased
  (0.401 [0.221, 0.578] vs 0.192 at 400 clients; the causal client fixed-effects regression
  gives 0.459 [0.226, 0.692]) while the back-door adjustment recovers it (0.225 [0.095,
  0.347]). The price: an unmeasured client trait that drove the reports *and* satisfaction
  would bias it; the graph has none.
* **the treatments' slopes vary by size band** (``band_slopes``, on): each band's slope of the
  on-time rate and of the status-report rate is the mean slope plus a zero-sum deviation
  (ZeroSumNormal(0.25) on the logit scale), and every consumer (the estimands, the path to
  repeat business, the drivers chart, the what-ifs) takes each response at its band's slope
  (:meth:`SatisfactionModel.slopes`). Where both links of the path grow with client size, the
  path's indirect effect is an average of products, which one slope for every client
  understated: on a 1,000-client portfolio of the ``size_heterogeneity`` design the indirect
  part came out at 0.44x of the truth with its interval missing it; 0.80x, covered, with the
  band slopes (the default design's answers moved by under 3 %).
* **the deal's pre-sales sign-off**, in the graph's minimal back-door set of the on-time rate:
  a signed-off project is more often on time and has fewer change requests, hence fewer
  escalations; without it (and without escalations) that path would confound the on-time
  coefficient.

Measured (2 chains x 500 draws; truth by intervention in the simulator): at 1,000 clients x 12
quarters of the default design (``satprofit simulate p --clients 1000 --quarters 12 --seed 3``)
``quality_to_csat`` 0.134 [0.117, 0.151] vs 0.142 and ``status_reports_to_csat`` 0.216
[0.138, 0.309] vs 0.190 with fixed team, industry and owner effects (the default); 0.137
[0.121, 0.155] and 0.221 [0.138, 0.304] with their scales pooled (``group_effects="partial"``,
the specification before; it failed the gate at these draws). Across designs: see
``satprofit/validation/bayes_calibration_summary.csv`` (``python -m
satprofit.validation.bayes_calibration``; 300 clients x 3 portfolios per design and a
1,000-client check).

The alternative, modelling defects and escalations as outcomes of delivery and integrating them
out by g-computation through the joint posterior, would need correct models of two count
mediators (and of their confounders with csat) for an answer the back-door adjustment gives
without them; it is not used.

Other predictors: a 0/1 indicator for projects without milestones (their on-time terms are 0),
the 0/1 pre-sales sign-off, size-band indicators and the log tenure at the data's start
(standardized). A predictor that never
varies is dropped. Client intercepts are partially pooled (non-centred, which samples better
when each client has a few responses). The delivery team, industry and sales owner have only a
handful to a few dozen levels each, too few to learn a pooling scale well: by default their
effects are fixed and sum to zero (ZeroSumNormal(1), as the repeat model's size bands and
industries), which also adjusts for the owner's diligence without shrinking it. With pooled
scales instead (``group_effects="partial"``), the scales of 18 teams and 6 industries were the
slowest quantities at 2,000 clients (ESS 364 and 407 of 4,000 draws, 3 divergences; now the
slowest is the client scale, ESS 1,308, no divergence) and a fit took 153 s instead of 93 s.

Priors (``default_model_config``), weakly informative on the logit scale: coefficients
Normal(0, 1) (a one-unit change moving the odds of a higher score by e, i.e. x2.7, is already
a large effect); the client scale HalfNormal(0.5) (client-to-client differences of about +-1
logit are plausible, +-3 are not); team, industry and owner effects ZeroSumNormal(1); cut
points Normal(0, 2.5) ordered, so the prior predictive puts mass on every score.

NPS as a second likelihood (``model_config={"nps": True}``): the 0..10 likelihood-to-recommend
answers of the same responses share the latent satisfaction, :math:`\Pr(\text{nps}_r \le k) =
\operatorname{logit}^{-1}(c'_k - \kappa\,\eta_r)`, with their own ten ordered cut points
(Normal(0, 2.5) around evenly spread values) and a loading :math:`\kappa \sim
\text{LogNormal}(0, 0.5)` (positive: both scores rise with satisfaction; a factor of 2.7 either way
covers the plausible range). Responses without an nps answer enter the csat likelihood only.

Likelihood: only each response's observed category is evaluated, two sigmoids per response
without cancellation (:func:`satprofit.ordinal.observed_ordinal_logp`; PyMC's
``OrderedLogistic`` computes all five categories' probabilities per row): the gradient at
2,000 clients 0.74 -> 0.36 ms. Predictive draws come from the same cumulative logit.

Estimands
---------
``quality_to_csat`` and ``status_reports_to_csat`` are computed per posterior draw exactly as
QUESTIONS.md defines them: for each unit (project) the mean over its responses of
:math:`E[\text{csat} \mid \eta_r + \beta d/2] - E[\text{csat} \mid \eta_r - \beta d/2]`
(:math:`\beta` the treatment's coefficient, the within one for the on-time rate), averaged
over units; the effect shrinks near the top of the scale, as the ordinal link implies.

Honest refusals: a treatment that never varies (for the on-time rate: never within a client)
leaves its coefficient to the prior, so it is dropped *before* fitting and its estimand is ``not_estimable``. After fitting,
the prior-to-posterior contraction of each treatment's coefficient,
``1 - var_posterior / var_prior`` (the prior variance is the analytic ``beta_sd ** 2``), is
reported; below :data:`satprofit.bayes.base.CONTRACTION_MIN` the estimand is
``not_estimable`` ("the data barely inform it").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from satprofit.bayes.base import BayesModel, _step, client_mean, contraction_status
from satprofit.constants import INTERVAL_QUANTILES, SIZE_BANDS
from satprofit.features.projects import data_start_of, project_table
from satprofit.io import Portfolio
from satprofit.ordinal import observed_ordinal_logp, ordinal_logit_draws
from satprofit.questions import estimand as estimand_spec

#: Every predictor the model can use, in column order (those that never vary are dropped).
PREDICTORS = (
    "ontime_within",
    "ontime_client_mean",
    "no_milestones",
    "status_reports",
    "presales_signoff",
    *(f"size_{band}" for band in SIZE_BANDS[1:]),
    "tenure_z",
)
#: The old direct-effect specification's extra predictors (``model_config={"mediators": True}``).
MEDIATORS = ("defects_z", "escalations_z")
#: estimand -> (coefficient that carries it, shift per unit of the estimand's treatment, label)
EFFECT_PREDICTORS = {
    "quality_to_csat": "ontime_within",
    "status_reports_to_csat": "status_reports",
}
#: What each treatment is, for refusals in plain words.
_TREATMENT_WORDS = {
    "quality_to_csat": "the on-time milestone rate",
    "status_reports_to_csat": "the rate of status reports from sales",
}
GROUPS = ("client", "team", "industry", "owner")


@dataclass
class SatisfactionData:
    """Model-ready responses: predictors, group indices, and the projects they belong to.

    Attributes
    ----------
    frame : DataFrame
        One row per response: ids, csat, nps, every candidate predictor, and the raw centered
        treatments ``ontime_10pp`` and ``status_reports_per_month``.
    x : ndarray
        The columns of ``predictors`` (those that vary), [response, predictor].
    predictors : list of str
        The model's predictors, in column order.
    refused : dict of str to str
        Estimand -> why it cannot be estimated (a treatment that never varies; for the on-time
        rate, never within a client).
    size, sizes : ndarray, list of str
        Each response's client size band (codes into ``sizes``): the levels of the treatments'
        size-band slopes.
    """

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
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    owners: list[str] = field(default_factory=list)
    predictors: list[str] = field(default_factory=lambda: list(PREDICTORS))
    refused: dict[str, str] = field(default_factory=dict)
    size: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    sizes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.csat)

    def column(self, name: str) -> int | None:
        """Column of predictor ``name`` in ``x`` and in ``beta`` (None when it was dropped)."""
        return self.predictors.index(name) if name in self.predictors else None

    def effect_column(self, estimand: str) -> int | None:
        """Column of the coefficient that carries ``estimand`` (None when refused)."""
        if estimand in self.refused:
            return None
        return self.column(EFFECT_PREDICTORS[estimand])


def satisfaction_data(
    portfolio: Portfolio,
    *,
    mediators: bool = False,
    min_sd: float = 1e-9,
    ontime_mean: str = "responses",
) -> SatisfactionData:
    """Responses tied to finished projects, with the model's predictors.

    Parameters
    ----------
    portfolio : Portfolio
    mediators : bool
        Add standardized defects and escalations (the old direct-effect specification; see the
        module docstring). Never the default.
    min_sd : float
        A treatment whose within-client standard deviation is at most this never varies: its
        columns are dropped and its estimand is refused.
    ontime_mean : {"responses", "projects"}
        The client mean of the on-time rate (the Mundlak between part) over the client's
        answered projects (default) or over all its rated projects, answered or not (see the
        module docstring for the trade-off).
    """
    pt = project_table(portfolio)
    pt = pt[pt["finished"]]
    sv = portfolio.surveys.dropna(subset=["project_id"])
    cols = ["response_id", "project_id", "csat", *(["nps"] if "nps" in sv.columns else [])]
    d = sv[cols].merge(pt, on="project_id", how="inner", suffixes=("", "_p"))
    if len(d) < 20:
        raise ValueError(f"only {len(d)} responses tied to finished projects (need 20)")
    cl = portfolio.clients.set_index("client_id")
    size = d["client_id"].map(cl["size_band"])
    # the relationship's age when the data start: a client trait fixed before any treatment
    # in the data (log: the first years count most)
    start = data_start_of(portfolio)
    first = d["client_id"].map(cl["first_engagement_date"])
    tenure = np.log1p((start - first).dt.days.clip(lower=0) / 365.25)
    no_ms = d["ontime_rate"].isna().to_numpy()
    ontime_center = float(d.loc[~no_ms, "ontime_rate"].mean()) if (~no_ms).any() else 0.0
    sr_center = float(d["status_reports_per_month"].mean())

    def z(s):
        s = s.astype(float)
        sd = s.std()
        return (s - s.mean()) / (sd if sd > 0 else 1.0)

    client = d["client_id"].reset_index(drop=True)
    ontime = pd.Series(np.where(no_ms, 0.0, (d["ontime_rate"] - ontime_center) * 10))
    sr = pd.Series(d["status_reports_per_month"].to_numpy(float) - sr_center)
    has = ~no_ms
    if ontime_mean == "projects":
        # over every finished project with milestones, answered or not (module docstring)
        rated = pt[pt["ontime_rate"].notna()]
        level = ((rated["ontime_rate"] - ontime_center) * 10).groupby(rated["client_id"]).mean()
        on_mean = np.where(has, client.map(level).to_numpy(float), 0.0)
    elif ontime_mean == "responses":
        on_mean = client_mean(ontime, client, has)
    else:
        raise ValueError(f"ontime_mean must be 'responses' or 'projects', not {ontime_mean!r}")
    frame = pd.DataFrame(
        {
            "response_id": d["response_id"].to_numpy(),
            "project_id": d["project_id"].to_numpy(),
            "client_id": client.to_numpy(),
            "csat": d["csat"].to_numpy(),
            "nps": d["nps"].to_numpy(float) if "nps" in d.columns else np.nan,
            "ontime_10pp": ontime.to_numpy(),
            "status_reports_per_month": sr.to_numpy(),
            "ontime_within": np.where(has, ontime - on_mean, 0.0),
            "ontime_client_mean": on_mean,
            "no_milestones": no_ms.astype(float),
            "status_reports": sr.to_numpy(),
            "presales_signoff": d["presales_signoff"].fillna(False).astype(float).to_numpy(),
            **{f"size_{b}": (size == b).to_numpy(float) for b in SIZE_BANDS[1:]},
            "tenure_z": z(tenure).to_numpy(),
            "defects_z": z(d["defects"]).to_numpy(),
            "escalations_z": z(d["escalations"]).to_numpy(),
        }
    )
    refused = {}
    for estimand, col in EFFECT_PREDICTORS.items():
        raw = frame["ontime_10pp" if estimand == "quality_to_csat" else "status_reports_per_month"]
        raw = raw[has] if estimand == "quality_to_csat" else raw
        if len(raw) < 2 or not raw.std() > min_sd:
            refused[estimand] = f"{_TREATMENT_WORDS[estimand]} never varies in the data"
        elif not frame[col].std() > min_sd:
            refused[estimand] = (
                f"{_TREATMENT_WORDS[estimand]} never varies within a client (each client has a "
                "single level), so its effect cannot be told apart from the client's own traits"
            )
    candidates = [*PREDICTORS, *(MEDIATORS if mediators else ())]
    predictors = [c for c in candidates if frame[c].std() > min_sd]
    industry = d["client_id"].map(cl["industry"])
    c_codes, clients = pd.factorize(d["client_id"], sort=True)
    t_codes, teams = pd.factorize(d["delivery_team"], sort=True)
    i_codes, industries = pd.factorize(industry, sort=True)
    o_codes, owners = pd.factorize(d["sales_owner"].fillna("(none)"), sort=True)
    z_codes, sizes = pd.factorize(size.fillna("(none)"), sort=True)
    x = frame[predictors].to_numpy(float)
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
        o_codes,
        list(owners),
        predictors,
        refused,
        z_codes,
        list(sizes),
    )


def _csat_logp(value, eta, cutpoints):
    """The csat likelihood's log-density (codes 0..4; see :mod:`satprofit.ordinal`)."""
    return observed_ordinal_logp(value, eta, cutpoints, 4)


def _csat_draws(eta, cutpoints, rng=None, size=None):
    """Predictive csat codes 0..4 for ``eta`` [obs] and cut points [4]."""
    return ordinal_logit_draws(np.broadcast_to(eta, size or np.shape(eta)), cutpoints, rng)


def expected_csat(eta: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """E[csat] = 1 + sum_k P(csat > k) for latent ``eta`` [..., n] and cut points [..., 4]."""
    return 1.0 + expit(eta[..., :, None] - cutpoints[..., None, :]).sum(axis=-1)


class SatisfactionModel(BayesModel):
    """Cumulative-logit model of csat with partial pooling (see module docstring)."""

    name = "bayes_ordinal_satisfaction"
    #: configuration keys that change the data (:func:`satisfaction_data`'s keywords)
    data_settings = ("mediators", "ontime_mean")
    default_model_config = {
        "beta_sd": 1.0,
        "group_sd": 0.5,
        "group_effects": "fixed",
        "fixed_sd": 1.0,
        "cut_sd": 2.5,
        "nps": False,
        "mediators": False,
        "band_slopes": True,
        "slope_band_sd": 0.25,
        "ontime_mean": "responses",
    }
    #: the gated parameters with ``group_effects="partial"``; :meth:`variables` gives those of
    #: the configuration and data
    summary_vars = [
        "beta",
        "cutpoints",
        "sigma_client",
        "sigma_team",
        "sigma_industry",
        "sigma_owner",
    ]

    def data(self, portfolio: Portfolio) -> SatisfactionData:
        """The model's data for this configuration (its :attr:`data_settings`)."""
        return satisfaction_data(portfolio, **{k: self.model_config[k] for k in self.data_settings})

    def build_model(self, data: SatisfactionData):
        import pymc as pm

        cfg = self.model_config
        coords = {
            "predictor": list(data.predictors),
            "client": data.clients,
            "team": data.teams,
            "industry": data.industries,
            "owner": data.owners,
            "cut": [1, 2, 3, 4],
            "obs": np.arange(data.n),
        }
        with pm.Model(coords=coords) as model:
            beta = pm.Normal("beta", 0.0, cfg["beta_sd"], dims="predictor")
            eta = pm.math.dot(data.x, beta)
            band = self.band_predictors(data)
            if band:  # the treatments' slopes by size band: zero-sum deviations
                model.add_coords({"band_predictor": band, "size": data.sizes})
                dbeta = pm.ZeroSumNormal(
                    "dbeta", cfg["slope_band_sd"], dims=("band_predictor", "size")
                )
                eta = eta + pm.math.dot(self._band_design(data), dbeta.flatten())
            fixed = self._fixed_groups(data)
            for group in [*self._partial_groups(data), *fixed]:
                idx = self._group_index(data, group)
                if group in fixed:
                    # a few levels: effects summing to zero, no scale to learn
                    a = pm.ZeroSumNormal(f"a_{group}", cfg["fixed_sd"], dims=group)
                else:  # non-centred varying intercepts
                    sigma = pm.HalfNormal(f"sigma_{group}", cfg["group_sd"])
                    z = pm.Normal(f"z_{group}", 0.0, 1.0, dims=group)
                    a = pm.Deterministic(f"a_{group}", sigma * z, dims=group)
                eta = eta + a[idx]
            cut = pm.Normal(
                "cutpoints",
                mu=np.array([-2.0, -1.0, 0.0, 1.5]),
                sigma=cfg["cut_sd"],
                dims="cut",
                transform=pm.distributions.transforms.ordered,
                initval=np.array([-2.0, -1.0, 0.0, 1.5]),
            )
            pm.CustomDist(
                "csat",
                eta,
                cut,
                logp=_csat_logp,
                random=_csat_draws,
                observed=data.csat - 1,
                dims="obs",
                dtype="int64",
            )
            if cfg["nps"]:
                self._nps_part(data, eta)
        return model

    def band_predictors(self, data: SatisfactionData) -> list[str]:
        """The treatments' predictors whose slopes vary by size band (``band_slopes``, on by
        default): those not refused, when the data have several size bands."""
        if not self.model_config["band_slopes"] or len(data.sizes) < 2:
            return []
        cols = (data.effect_column(e) for e in EFFECT_PREDICTORS)
        return [data.predictors[c] for c in cols if c is not None]

    def _band_design(self, data: SatisfactionData) -> np.ndarray:
        """[response, band predictor x size]: each band predictor times each size band's
        indicator, predictor-major (``dbeta`` flattened)."""
        one_hot = np.eye(len(data.sizes))[data.size]
        cols = [data.x[:, [data.predictors.index(p)]] * one_hot for p in self.band_predictors(data)]
        return np.concatenate(cols, axis=1)

    def slopes(
        self, idata, data: SatisfactionData, estimand: str, max_draws: int = 1000
    ) -> np.ndarray | None:
        """Each response's slope of the treatment of ``estimand``, [draw, response]: the mean
        coefficient plus its size band's deviation (the mean in every band without band
        slopes), thinned as :meth:`latent` thins; None when the estimand was refused."""
        col = data.effect_column(estimand)
        if col is None:
            return None
        post = idata.posterior
        beta = post["beta"].values.reshape(-1, len(data.predictors))
        sel = slice(None, None, _step(len(beta), max_draws))
        out = np.repeat(beta[sel][:, [col]], data.n, axis=1)
        name = data.predictors[col]
        if "dbeta" in post and name in list(post["dbeta"].coords["band_predictor"].values):
            dev = post["dbeta"].sel(band_predictor=name).values.reshape(len(beta), -1)
            out = out + dev[sel][:, data.size]
        return out

    def _fixed_groups(self, data: SatisfactionData) -> list[str]:
        """The groups whose levels get fixed zero-sum effects (``group_effects="fixed"``: the
        team, industry and sales owner, each with at least two levels; a single level has no
        effect apart from the cut points)."""
        if self.model_config["group_effects"] == "partial":
            return []
        return [g for g in GROUPS[1:] if np.ptp(self._group_index(data, g)) > 0]

    def _partial_groups(self, data: SatisfactionData) -> list[str]:
        """The groups with partially pooled (non-centred) intercepts: always the client."""
        if self.model_config["group_effects"] == "partial":
            return list(GROUPS)
        return ["client"]

    @staticmethod
    def _group_index(data: SatisfactionData, group: str) -> np.ndarray:
        return {
            "client": data.client,
            "team": data.team,
            "industry": data.industry,
            "owner": data.owner,
        }[group]

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

    def rows(self, data: SatisfactionData) -> int:
        return data.n

    def variables(self, data: SatisfactionData) -> list[str]:
        """The sampled parameters: coefficients, cut points, the scale of each partially
        pooled group and the effects of each fixed group (plus the nps part's)."""
        extra = ["kappa_nps", "cutpoints_nps"] if self.model_config["nps"] else []
        return [
            "beta",
            *(["dbeta"] if self.band_predictors(data) else []),
            "cutpoints",
            *(f"sigma_{g}" for g in self._partial_groups(data)),
            *(f"a_{g}" for g in self._fixed_groups(data)),
            *extra,
        ]

    def latent(self, idata, data: SatisfactionData, max_draws: int = 1000) -> tuple:
        """Per-draw latent eta [draw, obs], cut points [draw, 4] and beta [draw, predictor]
        (columns in ``data.predictors`` order: select them with ``data.column(name)``)."""
        post = idata.posterior
        beta = post["beta"].values.reshape(-1, len(data.predictors))
        cut = post["cutpoints"].values.reshape(-1, 4)
        sel = slice(None, None, _step(len(beta), max_draws))
        eta = beta[sel] @ data.x.T
        if "dbeta" in post:
            dbeta = post["dbeta"].values.reshape(len(beta), -1)
            eta = eta + dbeta[sel] @ self._band_design(data).T
        for g in GROUPS:
            if f"a_{g}" in post:
                a = post[f"a_{g}"].values.reshape(len(beta), -1)
                eta = eta + a[sel][:, self._group_index(data, g)]
        return eta, cut[sel], beta[sel]

    def effects(self, idata, data: SatisfactionData) -> pd.DataFrame:
        eta, cut, beta = self.latent(idata, data)
        all_beta = idata.posterior["beta"].values.reshape(-1, len(data.predictors))
        prior_var = float(self.model_config["beta_sd"]) ** 2
        project = data.frame["project_id"].to_numpy()
        rows, gated = {}, {}
        for estimand, mask in (
            ("quality_to_csat", data.frame["no_milestones"].to_numpy() == 0),
            ("status_reports_to_csat", np.ones(data.n, bool)),
        ):
            units = pd.factorize(project[mask])[0]
            n_units = int(units.max() + 1) if len(units) else 0
            col = data.effect_column(estimand)
            row = {
                "median": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "unit": estimand_spec(estimand).unit,
                "n": n_units,
                "contraction": np.nan,
                "status": "not_estimable",
                "reason": data.refused.get(estimand, ""),
            }
            if col is not None and n_units:
                shrink = 1.0 - float(np.var(all_beta[:, col])) / prior_var
                status, reason = contraction_status(shrink)
                row.update(contraction=shrink, status=status, reason=reason)
                if status == "ok":
                    # +- half of one unit (+10 pp, +1 a month), at each response's slope
                    shift = self.slopes(idata, data, estimand) * 0.5
                    diff = expected_csat(eta + shift, cut) - expected_csat(eta - shift, cut)
                    diff = diff[:, mask]
                    per_unit = np.stack(
                        [np.bincount(units, weights=r, minlength=n_units) for r in diff]
                    ) / np.bincount(units, minlength=n_units)
                    draws = per_unit.mean(axis=1)
                    gated[estimand] = draws
                    lo, med, hi = np.quantile(
                        draws, [INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]]
                    )
                    row.update(median=med, ci_low=lo, ci_high=hi)
            rows[estimand] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.attrs["draws"] = gated  # gated by the fit (R-hat, ESS), never saved
        return out

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
