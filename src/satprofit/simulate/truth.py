"""True values of the estimands of QUESTIONS.md, computed by intervention.

For every question the treatment of each unit is set to two values (``t + d/2`` and
``t - d/2`` for continuous treatments, 1 and 0 for binary ones) in the structural model of
:mod:`satprofit.simulate.generator`, everything else (exogenous noise included) held as drawn,
and the expected outcome is recomputed; the unit effects are averaged without weights over the
question's units, exactly as QUESTIONS.md defines them. Expectations are taken over the
outcome's own noise (the ordinal csat draw, the Poisson count of deals) analytically.

Two modelling choices are worth knowing when reading the truth:

* ``csat_to_repeat`` shifts every response of the client in the 4 quarters up to ``q`` by
  ``+-d/2`` csat points; later trailing windows that share those responses move with them (the
  total effect), repeat deals and margins respond through the structural equations.
* ``quality_to_repeat`` shifts the on-time rate of every project finished in the window by
  ``+-d/2``; the mediator is the client's trailing csat, moved by the expected csat change of
  the responses tied to those projects. Natural direct and indirect effects use the mediator
  at its value under ``t - d/2`` and ``t + d/2`` respectively, so total = direct + indirect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.questions import ESTIMAND_IDS, estimand
from satprofit.simulate.designs import get_design
from satprofit.simulate.effects import Effects
from satprofit.simulate.model import deal_value_factor, expected_csat
from satprofit.simulate.tables import Latent


@dataclass(frozen=True)
class Truth:
    """The true value of every estimand of a simulated portfolio.

    Attributes
    ----------
    values : dict of str to float
        Estimand id (``csat_to_repeat.value`` style for parts) to its true value, in the unit
        of its :mod:`satprofit.questions` spec.
    n_units : dict of str to int
        How many units of analysis each estimand averages over.
    effects : Effects
        The structural parameters used.
    unit_effects : dict of str to DataFrame
        Unit-level effects behind each value, for checks of heterogeneity.
    """

    values: dict[str, float]
    n_units: dict[str, int]
    effects: Effects
    unit_effects: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __getitem__(self, estimand: str) -> float:
        return self.values[estimand]

    def summary(self) -> pd.DataFrame:
        """One row per estimand: true value, unit, number of units."""
        return pd.DataFrame(
            {
                "estimand": list(self.values),
                "truth": list(self.values.values()),
                "unit": [estimand(k).unit for k in self.values],
                "n_units": [self.n_units[k] for k in self.values],
            }
        ).set_index("estimand")

    def to_dict(self) -> dict:
        """Plain-JSON form (values, units, unit counts, effects)."""
        return {
            "estimands": {
                k: {"truth": v, "unit": estimand(k).unit, "n_units": self.n_units[k]}
                for k, v in self.values.items()
            },
            "effects": self.effects.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=True)


def _window(arr: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum of ``arr[row, lo..hi]`` (inclusive, lo clipped at 0) for each row."""
    cum = np.concatenate([np.zeros((arr.shape[0], 1)), np.cumsum(arr, axis=1)], axis=1)
    lo = np.clip(lo, 0, arr.shape[1])
    hi = np.clip(hi, -1, arr.shape[1] - 1)
    return np.where(hi >= lo, cum[rows, hi + 1] - cum[rows, lo], 0.0)


def compute_truth(lat: Latent) -> Truth:
    """Compute every estimand's true value from a simulated world's latent state."""
    eff: Effects = lat.effects
    nq = lat.n_quarters
    values: dict[str, float] = {}
    n_units: dict[str, int] = {}
    units: dict[str, pd.DataFrame] = {}

    def put(key: str, frame: pd.DataFrame) -> None:
        units[key] = frame
        values[key] = float(frame["effect"].mean()) if len(frame) else float("nan")
        n_units[key] = len(frame)

    pr = lat.projects
    rs = lat.responses

    # presales_signoff: won deals whose project finished, milestones planned > 0 ------------
    m = (pr["finished"].astype(bool) & (pr["mp"] > 0)).to_numpy()
    lin0 = pr["lin0"].to_numpy()[m]
    eff_ps = 100 * (_expit(lin0 + eff.signoff_logit) - _expit(lin0))
    put("presales_signoff", pd.DataFrame({"project": np.flatnonzero(m), "effect": eff_ps}))

    # project-level csat questions --------------------------------------------------------
    tied = rs[rs["project"] >= 0]
    eta = tied["eta"].to_numpy()

    hm_all = lat.effect_multiplier
    h_tied = 1.0 if hm_all is None else hm_all[tied["client"].to_numpy().astype(int)]

    def per_project(shift: float, mask: np.ndarray) -> pd.DataFrame:
        d = expected_csat(eta + shift * h_tied) - expected_csat(eta - shift * h_tied)
        f = pd.DataFrame({"project": tied["project"].to_numpy(), "effect": d})[mask]
        return f.groupby("project", as_index=False)["effect"].mean()

    proj = tied["project"].to_numpy().astype(int)
    finished = pr["finished"].to_numpy().astype(bool)[proj]
    has_ms = (pr["mp"].to_numpy() > 0)[proj]
    put("quality_to_csat", per_project(eff.quality_csat * 10 * 0.05, finished & has_ms))
    put("status_reports_to_csat", per_project(eff.status_report_csat * 0.5, finished))

    # sales_in_escalations: responses of the client in (opened, opened + 90] ----------------
    es = lat.escalations.reset_index(drop=True).assign(esc=lambda f: np.arange(len(f)))
    pairs = es[["esc", "client", "day", "sales"]].merge(
        rs[["client", "day", "eta"]].rename(columns={"day": "rday"}), on="client"
    )
    pairs = pairs[(pairs["rday"] > pairs["day"]) & (pairs["rday"] <= pairs["day"] + 90)]
    s = pairs["sales"].to_numpy().astype(float)
    theta = eff.sales_in_escalation_csat
    e = pairs["eta"].to_numpy()
    pairs = pairs.assign(effect=expected_csat(e + theta * (1 - s)) - expected_csat(e - theta * s))
    put("sales_in_escalations", pairs.groupby("esc", as_index=False)["effect"].mean())

    # client-quarter questions -------------------------------------------------------------
    nc = lat.loglam_base.shape[0]
    dz = lat.design if lat.design is not None else get_design(None)
    hm = lat.effect_multiplier if lat.effect_multiplier is not None else np.ones(nc)
    close_lag = lat.close_lag if lat.close_lag is not None else np.eye(nq, nq + 1)
    cum_lag = np.concatenate([np.zeros((nq, 1)), np.cumsum(close_lag, axis=1)], axis=1)
    value_mean = lat.clients["value_mean"].to_numpy()
    c_idx, q_idx = np.meshgrid(np.arange(nc), np.arange(nq), indexing="ij")
    c_idx, q_idx = c_idx.ravel(), q_idx.ravel()
    keep = q_idx <= nq - 5
    c_idx, q_idx = c_idx[keep], q_idx[keep]
    h_u = hm[c_idx]

    def flow_value(k: np.ndarray, t: np.ndarray, qv: np.ndarray) -> np.ndarray:
        """Expected won value of the repeat deals decided in quarter k (per unit)."""
        kk = np.clip(k, 0, nq - 1)
        lam = np.exp(
            lat.loglam_base[c_idx, kk]
            + eff.csat_repeat_lograte * h_u * (t - 4)
            + eff.quality_repeat_lograte * 10 * (qv - 0.75)
        )
        return np.where(k >= 1, lam * deal_value_factor(dz, h_u, t) * value_mean[c_idx], 0.0)

    def share_in_outcome(k: np.ndarray) -> np.ndarray:
        """Probability that a deal decided in quarter k closes in the unit's q+1..q+4."""
        kk = np.clip(k, 0, nq - 1)
        p = cum_lag[kk, q_idx + 5] - cum_lag[kk, q_idx + 1]
        return np.where((k >= 0) & (k <= nq - 1), p, 0.0)

    def overlap_share(counts: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Share of window s-3..s's items (responses or projects) dated in q-3..q."""
        n_s = _window(counts, s - 3, s, c_idx)
        ov = _window(counts, np.maximum(s - 3, q_idx - 3), np.minimum(s, q_idx), c_idx)
        return np.where(n_s > 0, ov / np.maximum(n_s, 1), 0.0)

    # decisions in quarter k = s + 1 use the trailing window s-3..s; the windows that hold
    # responses (projects) of q-3..q are s = q-3..q+3
    offsets = range(-3, 4)

    def t_at(k):
        return lat.t_prev[c_idx, np.clip(k, 0, nq - 1)]

    def q_at(k):
        return lat.q_prev[c_idx, np.clip(k, 0, nq - 1)]

    # csat_to_repeat (a) -------------------------------------------------------------------
    has_resp = _window(lat.resp_n, q_idx - 3, q_idx, c_idx) > 0
    effect = np.zeros(len(c_idx))
    for j in offsets:
        s_ = q_idx + j
        k = s_ + 1
        w = overlap_share(lat.resp_n, s_)
        pw = share_in_outcome(k)
        effect += pw * (
            flow_value(k, t_at(k) + 0.5 * w, q_at(k)) - flow_value(k, t_at(k) - 0.5 * w, q_at(k))
        )
    put(
        "csat_to_repeat.value",
        pd.DataFrame({"client": c_idx, "quarter": q_idx, "effect": effect})[has_resp].reset_index(
            drop=True
        ),
    )

    # csat_to_repeat (b): margin of the projects delivering repeat deals in q+1..q+4 -------
    # every project of a won repeat-type deal counts in the outcome; only those decided in the
    # satisfaction-driven flow have a price that moves with the trailing csat at the decision
    rp = lat.repeat_projects
    rp = rp[rp["revenue"] > 0]  # a project that has not started billing has no margin yet
    unit_of = pd.Series(np.arange(len(c_idx)), index=pd.MultiIndex.from_arrays([c_idx, q_idx]))
    flow = rp["repeat"].to_numpy().astype(bool)
    kd = rp["quarter"].to_numpy().astype(int)  # decision quarter: price set at trailing csat
    kc = rp["close_q"].to_numpy().astype(int) if "close_q" in rp else kd
    rc_ = rp["client"].to_numpy().astype(int)
    rows = []
    for j in range(4):
        q_unit = kc - 1 - j  # the deal closes in q + 1 + j
        key = pd.MultiIndex.from_arrays([rc_, q_unit])
        pos = unit_of.reindex(key).to_numpy()
        ok = ~np.isnan(pos)
        pos = pos[ok].astype(int)
        s_ = kd[ok] - 1
        c_ok, q_ok = rc_[ok], q_unit[ok]
        n_s = _window(lat.resp_n, s_ - 3, s_, c_ok)
        ov = _window(lat.resp_n, np.maximum(s_ - 3, q_ok - 3), np.minimum(s_, q_ok), c_ok)
        w = np.where(n_s > 0, ov / np.maximum(n_s, 1), 0.0)
        d_margin = 100 * eff.csat_margin * (1 + rp["overrun"].to_numpy()[ok]) * w * flow[ok]
        rows.append(pd.DataFrame({"unit": pos, "effect": d_margin}))
    marg = pd.concat(rows).groupby("unit", as_index=False)["effect"].mean()
    marg = marg[has_resp[marg["unit"].to_numpy()]]
    put(
        "csat_to_repeat.margin",
        marg.assign(client=c_idx[marg["unit"]], quarter=q_idx[marg["unit"]]),
    )

    # quality_to_repeat: total, natural direct and indirect ---------------------------------
    has_proj = _window(lat.proj_n, q_idx - 3, q_idx, c_idx) > 0
    eps = 0.05
    # expected csat change of each tied response (finished projects with milestones)
    ok = finished & has_ms
    tr = tied[ok]
    fq = (
        np.searchsorted(
            lat.quarter_start_day, pr["end"].to_numpy()[tr["project"].astype(int)], side="right"
        )
        - 1
    )
    rq = tr["quarter"].to_numpy()
    rc = tr["client"].to_numpy().astype(int)
    e_tr = tr["eta"].to_numpy()
    shift = eff.quality_csat * 10 * eps * hm[rc]
    d_up = expected_csat(e_tr + shift) - expected_csat(e_tr)
    d_dn = expected_csat(e_tr - shift) - expected_csat(e_tr)
    n_off = len(offsets)
    D = {+1: np.zeros((nc, nq, n_off)), -1: np.zeros((nc, nq, n_off))}
    for a in range(4):  # unit quarter q = fq + a holds the project in q-3..q
        q_u = fq + a
        for jj, j in enumerate(offsets):  # window s = q_u + j holds the response if s-3<=rq<=s
            s_ = q_u + j
            hit = (q_u < nq) & (s_ >= rq) & (s_ - 3 <= rq)
            np.add.at(D[+1], (rc[hit], q_u[hit], np.full(hit.sum(), jj)), d_up[hit])
            np.add.at(D[-1], (rc[hit], q_u[hit], np.full(hit.sum(), jj)), d_dn[hit])
    ys = {}
    for sq in (+1, -1):
        for sm in (+1, -1):
            total = 0.0
            for jj, j in enumerate(offsets):
                s_ = q_idx + j
                k = s_ + 1
                dq = sq * eps * overlap_share(lat.proj_n, s_)
                n_r = _window(lat.resp_n, s_ - 3, s_, c_idx)
                dt = np.where(n_r > 0, D[sm][c_idx, q_idx, jj] / np.maximum(n_r, 1), 0.0)
                total = total + share_in_outcome(k) * flow_value(k, t_at(k) + dt, q_at(k) + dq)
            ys[(sq, sm)] = total
    base = {"client": c_idx, "quarter": q_idx}
    for part, eff_arr in (
        ("total", ys[(1, 1)] - ys[(-1, -1)]),
        ("direct", ys[(1, -1)] - ys[(-1, -1)]),
        ("indirect", ys[(1, 1)] - ys[(1, -1)]),
    ):
        put(
            f"quality_to_repeat.{part}",
            pd.DataFrame({**base, "effect": eff_arr})[has_proj].reset_index(drop=True),
        )

    # delivery_bonus_to_leads: ATT over business-unit quarters with the policy in force ------
    bu = lat.clients["bu"].to_numpy()
    nb = lat.bonus_tau.shape[0]
    rows = []
    for b in range(nb):
        for k in range(lat.bonus_start_q[b], nq):
            mu0 = lat.lead_mu0[bu == b, k].sum()
            rows.append((b, k, mu0 * (np.exp(lat.bonus_tau[b, k]) - 1)))
    put("delivery_bonus_to_leads", pd.DataFrame(rows, columns=["bu", "quarter", "effect"]))

    ordered = {k: values[k] for k in ESTIMAND_IDS}
    return Truth(ordered, {k: n_units[k] for k in ESTIMAND_IDS}, eff, units)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))
