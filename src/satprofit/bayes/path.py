r"""Joint path model: delivery quality -> satisfaction -> repeat business, in one PyMC model.

Units are those of ``quality_to_repeat`` (client and quarter end ``q``): treatment :math:`T` the
mean on-time rate of the projects finished in ``q-3..q``, mediator :math:`M` the client's csat
in the windows that follow (``csat_next``), outcome :math:`Y` the won repeat value of the next
4 quarters. Both equations are estimated together, so every posterior draw carries a coherent
pair (mediator path, outcome path) and the indirect effect has a posterior:

.. math::

    M_i &= \alpha_{c(i)} + a\,T_i + x_i^\top\gamma_M + \varepsilon_i,\quad
           \varepsilon_i \sim N(0, \sigma_M^2), \\
    Y_i &= \alpha'_{c(i)} + c(s_i)\,T_i + b(s_i)\,M_i + x_i^\top\gamma_Y + \epsilon_i,\quad
           \epsilon_i \sim N(0, \sigma_{Y,s_i}^2)

with client intercepts :math:`\alpha_c, \alpha'_c` (fixed effects: they absorb stable client
traits such as relationship health, which drive quality, satisfaction and repeat business
alike and are not observed), effects of the treatment and the mediator varying with the client's
size band :math:`s` (repeat value scales with size), and a residual scale per size band. The
client intercepts are integrated out under flat priors, which leaves the *within-client*
likelihood

.. math::

    p(\tilde y \mid \beta, \sigma) \propto \sigma^{-(n - G)}
        \exp\!\big(-\lVert \tilde y - \tilde X\beta \rVert^2 / 2\sigma^2\big)

of the client-demeaned data (:math:`G` clients; per size band for the outcome), entered with
``pm.Potential``. This is exact for the fixed-effects model (no incidental-parameter bias, no
under-stated residual scale) and samples far better than thousands of client intercepts whose
data are nearly as informative as their prior is weak.

For a change of ``d`` (+10 pp) the natural direct effect of unit ``i`` is :math:`c(s_i)d` and
the natural indirect effect :math:`b(s_i)\,a\,d` (linear equations without a treatment-mediator
interaction; VanderWeele 2015, ch. 2); each estimand is their unweighted mean over units,
computed per draw. Covariates ``x``: the adjustment set that :func:`satprofit.causal.identify`
gives for the question, as in :func:`satprofit.causal.mediation.mediation` (the frequentist
counterpart this model is checked against).

Priors, on standardized within-client variables (outcome and mediator divided by their sd,
every regressor by its sd): coefficients Normal(0, 1) (one sd of a regressor moving the outcome
by more than 2 sd is implausible); residual scales HalfNormal(1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.bayes.base import BayesModel
from satprofit.causal.dag import identify
from satprofit.causal.design import covariates, demean
from satprofit.causal.regression import full_rank
from satprofit.constants import ESTIMAND_UNITS, SIZE_BANDS
from satprofit.features.questions import QuestionTable, question_table
from satprofit.io import Portfolio

PARTS = ("total", "direct", "indirect")


@dataclass
class PathData:
    """Standardized design of the two equations and what is needed to read effects back."""

    qt: QuestionTable
    xm: np.ndarray  # mediator equation, within clients: [T, covariates]
    xy: np.ndarray  # outcome equation, within clients: [T*band_k..., M*band_k..., covariates]
    m: np.ndarray  # standardized mediator
    y: np.ndarray  # standardized outcome
    client: np.ndarray
    size: np.ndarray
    sizes: list[str]
    bands: np.ndarray  # size-band indicators (unit x band)
    sd_xm: np.ndarray
    sd_xy: np.ndarray
    sd_m: float
    sd_y: float
    names_m: list[str]
    names_y: list[str]

    @property
    def n(self) -> int:
        return len(self.y)


def _within(x: np.ndarray, client: np.ndarray, lead: int) -> np.ndarray:
    """Client-demeaned columns, without those the client intercepts absorb or that are
    collinear with earlier ones."""
    w = demean(x, client)
    keep = np.r_[np.ones(lead, bool), w[:, lead:].std(axis=0) > 1e-9]
    return full_rank(w[:, keep], lead)


def _standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sd = x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return x / sd, sd


def path_data(portfolio: Portfolio) -> PathData:
    """The ``quality_to_repeat`` units with both equations' designs."""
    qt = question_table(portfolio, "quality_to_repeat.total")
    if qt.n < 30:
        raise ValueError(f"only {qt.n} units of quality_to_repeat (need 30)")
    d = qt.data
    ident = identify("quality_to_repeat", client_fe=True)
    adjustment = tuple(c for c in ident.columns if c in d.columns)
    cov = covariates(qt, adjustment, client_fe=True)
    y = d[qt.outcome].to_numpy(float)
    t = d[qt.treatment].to_numpy(float)
    m_raw = d[qt.mediator].to_numpy(float)
    miss = np.isnan(m_raw)
    m = np.where(miss, np.nanmean(m_raw) if (~miss).any() else 0.0, m_raw)
    x = np.hstack([cov.matrix, miss[:, None].astype(float)]) if miss.any() else cov.matrix
    client = cov.clusters
    xm, sd_xm = _standardize(_within(np.hstack([t[:, None], x]), client, 1))
    bands_ = d["size_band"].astype(str)
    order = [b for b in SIZE_BANDS if b in set(bands_)]
    size = pd.Index(order).get_indexer(bands_)
    onehot = np.eye(len(order))[size]
    # one slope per size band (rather than a main effect plus contrasts): the same model, but
    # the slopes are nearly uncorrelated a posteriori, which NUTS needs with band-wise scales
    lead = np.hstack([t[:, None] * onehot, m[:, None] * onehot])
    xy, sd_xy = _standardize(_within(np.hstack([lead, x]), client, lead.shape[1]))
    m_w, y_w = demean(m, client), demean(y, client)
    sd_m = float(m_w.std()) or 1.0
    sd_y = float(y_w.std()) or 1.0
    names_m = ["treatment", *[f"x{j}" for j in range(xm.shape[1] - 1)]]
    names_y = [f"treatment:{b}" for b in order] + [f"mediator:{b}" for b in order]
    names_y += [f"x{j}" for j in range(xy.shape[1] - len(names_y))]
    return PathData(
        qt,
        xm,
        xy,
        m_w / sd_m,
        y_w / sd_y,
        client,
        size,
        order,
        onehot,
        sd_xm,
        sd_xy,
        sd_m,
        sd_y,
        names_m,
        names_y,
    )


class PathModel(BayesModel):
    """Joint mediator and outcome equations (see module docstring)."""

    name = "bayes_path"
    default_model_config = {"beta_sd": 1.0, "sigma_sd": 1.0}
    summary_vars = ["a_med", "beta_out", "sigma_med", "sigma_out"]

    def build_model(self, data: PathData):
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config
        coords = {"size": data.sizes, "med_term": data.names_m, "out_term": data.names_y}
        n_clients = data.client.max() + 1
        # residual degrees of freedom: observations minus clients, overall and per size band
        df_m = data.n - n_clients
        df_y = np.array(
            [
                (data.size == k).sum() - len(np.unique(data.client[data.size == k]))
                for k in range(len(data.sizes))
            ],
            dtype=float,
        )
        with pm.Model(coords=coords) as model:
            xm = pm.Data("xm", data.xm)
            xy = pm.Data("xy", data.xy)
            a = pm.Normal("a_med", 0.0, cfg["beta_sd"], dims="med_term")
            b = pm.Normal("beta_out", 0.0, cfg["beta_sd"], dims="out_term")
            sigma_m = pm.HalfNormal("sigma_med", cfg["sigma_sd"])
            sigma_y = pm.HalfNormal("sigma_out", cfg["sigma_sd"], dims="size")
            rss_m = pt.sum((data.m - pm.math.dot(xm, a)) ** 2)
            pm.Potential("mediator", -df_m * pt.log(sigma_m) - rss_m / (2 * sigma_m**2))
            resid2 = (data.y - pm.math.dot(xy, b)) ** 2
            onehot = np.eye(len(data.sizes))[data.size]
            rss_y = pm.math.dot(resid2, onehot)
            pm.Potential("outcome", pt.sum(-df_y * pt.log(sigma_y) - rss_y / (2 * sigma_y**2)))
        return model

    def part_draws(self, idata, data: PathData) -> dict[str, np.ndarray]:
        """Per-draw total, direct and indirect effects per +10 pp, in currency."""
        post = idata.posterior
        a = post["a_med"].values.reshape(-1, data.xm.shape[1])
        b = post["beta_out"].values.reshape(-1, data.xy.shape[1])
        k = data.bands.shape[1]
        d = data.qt.delta
        # d(standardized outcome)/d(raw column) = coefficient / column sd
        a_t = a[:, 0] / data.sd_xm[0] * data.sd_m  # raw mediator per raw treatment unit
        c_raw = b[:, :k] / data.sd_xy[:k] * data.sd_y  # per band
        b_raw = b[:, k : 2 * k] / data.sd_xy[k : 2 * k] * data.sd_y
        share = data.bands.mean(axis=0)  # units per band: the plain mean over units
        direct = c_raw @ share * d
        indirect = (b_raw @ share) * a_t * d
        return {"total": direct + indirect, "direct": direct, "indirect": indirect}

    def effects(self, idata, data: PathData) -> pd.DataFrame:
        rows = {}
        for part, draws in self.part_draws(idata, data).items():
            estimand = f"quality_to_repeat.{part}"
            lo, med, hi = np.quantile(draws, [0.025, 0.5, 0.975])
            rows[estimand] = {
                "median": med,
                "ci_low": lo,
                "ci_high": hi,
                "unit": ESTIMAND_UNITS[estimand],
                "n": data.n,
            }
        return pd.DataFrame.from_dict(rows, orient="index")
