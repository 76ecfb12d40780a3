"""Worlds built by editing a simulated portfolio's tables, with their truth computed here.

``mediated_world``: defects follow the on-time rate (late projects bring more defects) and
satisfaction falls with defects, so part of on-time delivery's total effect on satisfaction runs
through defects. Each finished project's defects and each tied response's csat are redrawn
from the structural model below; its truth is computed by intervention, exactly (a sum over the
Poisson distribution of defects).

.. math::

    \\text{defects}_p \\sim \\text{Poisson}(e^{a - \\gamma\\, o_p}),\\quad
    \\eta_r = u_{c} + \\beta_q\\, o_p + \\beta_d (\\text{defects}_p - 2),\\quad
    P(\\text{csat}_r > k) = \\operatorname{logit}^{-1}(\\eta_r - c_k)

with :math:`o_p` the project's on-time rate minus 0.75, in units of 10 pp (0 without
milestones), :math:`u_c \\sim N(0, 0.5)` independent of everything else (no confounding: the only
way to go wrong is to condition on the mediator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import poisson

from satprofit.io import Portfolio

CUTPOINTS = np.array([-3.0, -1.8, -0.3, 1.7])
#: Direct effect per 10 pp (logit), defects' effect per defect (logit), log-rate of defects.
BETA_Q, BETA_D, DEFECT_A, DEFECT_GAMMA = 0.15, -0.35, 1.0, 0.3


@dataclass
class World:
    portfolio: Portfolio
    truth_total: float  # csat points per +10 pp, through every path
    truth_direct: float  # the same with defects held at their natural value


def _expected(eta: np.ndarray) -> np.ndarray:
    return 1.0 + expit(eta[..., None] - CUTPOINTS).sum(axis=-1)


def mediated_world(portfolio: Portfolio, seed: int = 0) -> World:
    """``portfolio`` with defects and csat redrawn so that defects mediate on-time delivery."""
    rng = np.random.default_rng(seed)
    pr = portfolio.projects.copy()
    has_ms = pr["milestones_planned"] > 0
    rate = pr["milestones_on_time"] / pr["milestones_planned"].where(has_ms)
    o = np.where(has_ms, (rate.fillna(0.75) - 0.75) * 10, 0.0)
    mu = np.exp(DEFECT_A - DEFECT_GAMMA * o)
    pr["defects"] = rng.poisson(mu).astype("int64")
    u = pd.Series(rng.normal(0, 0.5, len(portfolio.clients)), index=portfolio.clients["client_id"])

    sv = portfolio.surveys.copy()
    pos = pd.Series(np.arange(len(pr)), index=pr["project_id"])
    tied = sv["project_id"].notna() & sv["project_id"].isin(pos.index)
    p_idx = pos.reindex(sv.loc[tied, "project_id"]).to_numpy()
    base = u.reindex(sv.loc[tied, "client_id"]).to_numpy()
    eta = base + BETA_Q * o[p_idx] + BETA_D * (pr["defects"].to_numpy()[p_idx] - 2)
    eps = rng.logistic(0, 1, len(eta))
    sv.loc[tied, "csat"] = 1 + (eta[:, None] + eps[:, None] > CUTPOINTS).sum(axis=1)
    sv["csat"] = sv["csat"].astype("int64")

    # truth over the question's units: finished projects with milestones and tied responses
    finished = pr["actual_end_date"].notna().to_numpy()
    unit_resp = finished[p_idx] & has_ms.to_numpy()[p_idx]
    k = np.arange(60)

    def e_csat(shift: float, hold_defects: bool) -> np.ndarray:
        oo = o[p_idx] + shift
        if hold_defects:
            d = pr["defects"].to_numpy()[p_idx]
            return _expected(base + BETA_Q * oo + BETA_D * (d - 2))
        pmf = poisson.pmf(k[None, :], np.exp(DEFECT_A - DEFECT_GAMMA * oo)[:, None])
        eta_k = (base + BETA_Q * oo)[:, None] + BETA_D * (k[None, :] - 2)
        return (_expected(eta_k) * pmf).sum(axis=1)

    truths = []
    for hold in (False, True):
        diff = e_csat(0.5, hold) - e_csat(-0.5, hold)
        per_unit = pd.Series(diff[unit_resp]).groupby(p_idx[unit_resp]).mean()
        truths.append(float(per_unit.mean()))
    tables = {**portfolio.tables, "projects": pr, "surveys": sv}
    return World(Portfolio.from_tables(tables), truths[0], truths[1])
