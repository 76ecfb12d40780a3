r"""The structural model of a services firm's portfolio, simulated quarter by quarter.

Every table of the data contract is drawn from one structural causal model whose exogenous
noise is kept, so :mod:`satprofit.simulate.truth` can compute every estimand of QUESTIONS.md
by intervention. The graph, in words (``conf`` scales every confounding arrow):

* Clients have a size band, an industry, a tenure and a latent relationship *health*
  (unobserved, constant per client). Delivery teams have a latent *skill* (constant per team).
* Pre-sales sign-off is likelier for skilled teams, large clients and in business units with a
  sign-off policy; it raises each milestone's on-time log-odds and cuts change requests.
* A project's on-time probability falls with client size (complexity) and rises with skill.
  Defects, change requests, overrun and escalations follow skill and size, not the realised
  on-time rate, so setting the on-time rate moves nothing but what it causes.
* Sales sends business status reports at a client-level rate that grows with size, tenure and
  the account manager's diligence (``sales_owner``), which also keeps clients happier.
* A survey response's latent satisfaction is

  .. math::

     \eta_r = a_0 + h_c + 0.3\,\text{size}_c + 0.5\,\text{tenure}_c + 0.9\,\text{owner}_c + \text{ind}_c
        + \beta_q (\text{ontime}_p - 0.75) \cdot 10 + \beta_{sr}\, \text{reports}_p
        - 0.06 (\text{defects}_p - 2)
        + \sum_{e:\ o_e < d_r \le o_e + 90} (-\kappa_{sev(e)} + \theta\, \text{sales}_e),

  and csat is ordinal: :math:`P(\text{csat} \ge k) = \text{logit}^{-1}(\eta_r - c_{k-1})`.
  Responses without a project use the client's sales status-report rate over the 91 days
  before them instead of the project terms.
* Won repeat-business deals closing in quarter :math:`k` are Poisson with

  .. math::

     \log \lambda_{ck} = \log 0.2 + 0.25\,\text{size}_c + 0.1\,\text{tenure}_c + 0.4 h_c
        + \beta_T (T_{c,k-1} - 4) + \beta_Q \cdot 10 (Q_{c,k-1} - 0.75),

  :math:`T_{c,k-1}` the client's mean csat over quarters :math:`k-4..k-1` and
  :math:`Q_{c,k-1}` the mean on-time rate of its projects finished then (3.9 and 0.75 when
  there are none); values are log-normal around a scale set by size. Their projects' planned
  margin rises by :math:`\beta_m` per csat point.
* Delivery-sourced leads per client-quarter are Poisson, multiplied by
  :math:`e^{\tau_{b,k}}` while the business unit's delivery lead bonus is in force; units that
  adopt earlier have higher lead levels (selection on levels, not trends).

Relationship health confounds satisfaction and repeat business; it is constant per client, so
client fixed effects remove it. Everything else that confounds is observed: size, tenure,
industry, delivery team, business unit, severity, time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from satprofit.constants import (
    DAYS_PER_MONTH,
    DEFAULT_SEED,
    SEVERITIES,
    SIZE_BANDS,
    SOURCE_TEAMS,
)
from satprofit.simulate import names
from satprofit.simulate.designs import Design, get_design
from satprofit.simulate.effects import Effects

#: Cut points of the ordinal csat model (latent scale) and its intercept.
CSAT_CUTPOINTS = np.array([-3.0, -1.8, -0.3, 1.7])
CSAT_INTERCEPT = 0.3
#: Trailing csat / on-time rate assumed for a client-quarter with no responses / projects.
T_DEFAULT, Q_DEFAULT = 3.9, 0.75
#: Contract value scale by size band (currency) and its log-normal spread.
VALUE_SCALE = np.array([40_000.0, 120_000.0, 350_000.0, 900_000.0])
VALUE_SIGMA = 0.5
REPEAT_BASE_RATE = 0.2
RHO_CONF = 0.5
REPEAT_TYPES = ("renewal", "add_on", "cross_sell")


def expected_csat(eta: np.ndarray) -> np.ndarray:
    """E[csat | latent eta] under the ordinal model: 1 + sum_k P(csat > k)."""
    eta = np.asarray(eta, dtype=float)
    return 1.0 + expit(eta[..., None] - CSAT_CUTPOINTS).sum(axis=-1)


def win_probability(design: Design, multiplier, t_prev) -> np.ndarray:
    """Chance that a repeat deal decided at trailing csat ``t_prev`` is won (1 unless the
    design has a win rate below 1)."""
    t = np.asarray(t_prev, dtype=float)
    if design.win_rate >= 1.0:
        return np.ones_like(t)
    base = np.log(design.win_rate / (1 - design.win_rate))
    return expit(base + design.csat_win_logit * np.asarray(multiplier) * (t - 4))


def deal_value_factor(design: Design, multiplier, t_prev) -> np.ndarray:
    """Expected won repeat value per decided deal relative to the size band's mean: win
    probability times the deal-size factor, at trailing csat ``t_prev``."""
    t = np.asarray(t_prev, dtype=float)
    size = np.exp(design.csat_value_logsize * np.asarray(multiplier) * (t - 4))
    return win_probability(design, multiplier, t) * size


def close_lag_matrix(design: Design, q_start: np.ndarray, q_end: np.ndarray) -> np.ndarray:
    """P[k, r]: probability that a repeat deal decided in quarter ``k`` closes in quarter ``r``
    (identity when deals are decided in the quarter they close; column ``n`` collects closes
    after the data end). Exact over the uniform decision day and the uniform lag."""
    nq = len(q_start)
    out = np.zeros((nq, nq + 1))
    if design.decision == "close":
        out[:, :nq] = np.eye(nq)
        return out
    lags = np.arange(design.close_lag_days[0], design.close_lag_days[1] + 1)
    for k in range(nq):
        days = np.arange(q_start[k], q_end[k] + 1)
        close = (days[:, None] + lags[None, :]).ravel()
        r = np.searchsorted(q_start, close, side="right") - 1
        r = np.where(close > q_end[-1], nq, r)
        out[k] = np.bincount(r, minlength=nq + 1) / len(close)
    return out


@dataclass
class Latent:
    """Everything the truth needs that the tables do not show (arrays indexed by position)."""

    n_quarters: int
    quarter_start_day: np.ndarray
    clients: pd.DataFrame  # client_id, size, health, value_mean, bu
    projects: pd.DataFrame  # per project: lin0, signoff, mp, finished, ontime, ...
    responses: pd.DataFrame  # per response: client, day, quarter, project pos, eta
    escalations: pd.DataFrame  # per escalation: client, day, sales, in_data
    repeat_projects: pd.DataFrame  # per won repeat deal with project: client, quarter, overrun
    loglam_base: np.ndarray  # [client, quarter] log-rate without the T and Q terms
    t_prev: np.ndarray  # [client, quarter] T_{c,k-1} used (fallback applied)
    q_prev: np.ndarray  # [client, quarter] Q_{c,k-1} used (fallback applied)
    resp_n: np.ndarray  # [client, quarter] number of responses dated in the quarter
    proj_n: np.ndarray  # [client, quarter] projects (milestones > 0) finished
    lead_mu0: np.ndarray  # [client, quarter] delivery lead rate without the policy
    bonus_tau: np.ndarray  # [bu, quarter] log effect of the bonus if in force
    bonus_start_q: np.ndarray  # [bu] first quarter in force (n_quarters if never)
    effects: Effects
    design: Design = None  # type: ignore[assignment]
    effect_multiplier: np.ndarray = None  # type: ignore[assignment]  # [client] by size band
    close_lag: np.ndarray = None  # type: ignore[assignment]  # [decision q, close q] probability


NA_DAY = -(10**9)  # day index standing for "no date"


class _Growing:
    """Named arrays that grow by concatenation and can be read and updated in between."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        return len(next(iter(self.arrays.values()))) if self.arrays else 0

    def append(self, **arrays) -> None:
        for key, val in arrays.items():
            val = np.asarray(val)
            self.arrays[key] = (
                np.concatenate([self.arrays[key], val]) if key in self.arrays else val
            )

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.arrays)


class _Tables:
    """Column-wise accumulator: lists of arrays, concatenated once."""

    def __init__(self, *cols: str):
        self.cols = {c: [] for c in cols}

    def add(self, **arrays) -> None:
        n = {len(np.atleast_1d(v)) for v in arrays.values()}
        assert len(n) == 1, n
        for c in self.cols:
            self.cols[c].append(np.atleast_1d(arrays[c]))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {c: (np.concatenate(v) if v else np.array([])) for c, v in self.cols.items()}
        )


def simulate_world(
    n_clients: int = 200,
    n_quarters: int = 12,
    seed: int = DEFAULT_SEED,
    effects: Effects | None = None,
    *,
    start: str = "2022-01-01",
    n_business_units: int = 6,
    confounding: float = 1.0,
    design: Design | str | None = None,
) -> tuple[dict[str, pd.DataFrame], Latent]:
    """Draw one portfolio from the structural model.

    Returns the contract tables (dates as Timestamps, before validation) and the latent
    quantities the truth needs. See :func:`satprofit.simulate.simulate_portfolio`; ``design``
    switches mechanisms (:mod:`satprofit.simulate.designs`).
    """
    dz = get_design(design)
    if n_clients < 1 or n_quarters < 2:
        raise ValueError("need at least 1 client and 2 quarters")
    if not 2 <= n_business_units <= len(names.BUSINESS_UNITS):
        raise ValueError(f"n_business_units must be in 2..{len(names.BUSINESS_UNITS)}")
    eff = effects or Effects()
    conf = float(confounding)
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    periods = pd.period_range(t0, periods=n_quarters, freq="Q")
    q_start = np.array([(p.start_time - t0).days for p in periods])
    q_end = np.array([(p.end_time.normalize() - t0).days for p in periods])
    n_days = int(q_end[-1]) + 1
    nq, nc, nb = n_quarters, n_clients, n_business_units

    # ---------------------------------------------------------------- clients, units, teams
    units = list(names.BUSINESS_UNITS[:nb])
    size = rng.choice(4, nc, p=[0.35, 0.35, 0.2, 0.1])
    industry = rng.choice(len(names.INDUSTRIES), nc)
    region = rng.choice(len(names.REGIONS), nc)
    bu = rng.choice(nb, nc)
    existing = rng.random(nc) < dz.existing_share
    first_day = np.where(
        existing, -rng.integers(180, 6 * 365, nc), rng.integers(0, max(1, n_days // 2), nc)
    )
    tenure = np.log1p(np.maximum(-first_day, 0) / 365.25)
    tenure_z = (tenure - tenure.mean()) / (tenure.std() or 1.0)
    health = rng.normal(0.0, 0.5, nc)
    ind_eff = rng.normal(0.0, 0.2, len(names.INDUSTRIES))[industry]
    # every satisfaction effect scaled by the client's size band (1 unless the design varies it)
    hm = np.asarray(dz.size_heterogeneity, dtype=float)[size]

    client_ids = np.array([f"C{i + 1:05d}" for i in range(nc)], dtype=object)
    owners = names.person_names(rng, 3 * nb)
    owner_pos = 3 * bu + rng.integers(0, 3, nc)
    owner = np.array(owners, dtype=object)[owner_pos]
    # account managers differ: diligent ones report more and keep clients happier
    owner_quality = rng.normal(0.0, 0.8, 3 * nb)[owner_pos]
    rho = 0.45 * np.exp(
        conf * RHO_CONF * (0.5 * (size - 1.1) + 0.6 * tenure_z + 0.7 * owner_quality)
        + rng.normal(0, 0.45, nc)
    )
    teams_by_bu = names.team_names(3, units)
    team_names_flat = np.array([t for ts in teams_by_bu for t in ts], dtype=object)
    skill = rng.normal(0.0, 1.0, 3 * nb)
    eta_client = (
        CSAT_INTERCEPT
        + health
        + ind_eff
        + conf * (0.3 * size + 0.5 * tenure_z + 0.9 * owner_quality)
    )
    # existing clients renew once early; new clients start with their new-logo deal
    onboard_day = np.where(existing, rng.integers(0, min(n_days, 180), nc), first_day)
    if dz.opening_renewal:  # multi-year renewals spread over the first year
        onboard_day = np.where(existing, rng.integers(0, min(n_days, 365), nc), first_day)
    onboard_q = np.searchsorted(q_start, onboard_day, side="right") - 1

    # ---------------------------------------------------------------- policies
    bu_lead = rng.normal(0.0, 0.3, nb)
    order = np.argsort(-(bu_lead + rng.normal(0, 0.1, nb)))  # higher level adopts earlier
    n_adopt = max(1, round(2 * nb / 3))
    lo, hi = 2, max(2, nq - 3)
    adopt_q = np.full(nb, nq)
    adopt_q[order[:n_adopt]] = np.sort(rng.integers(lo, hi + 1, n_adopt)) if hi >= lo else nq
    tau_bu = eff.delivery_bonus_lograte * rng.uniform(
        1 - eff.delivery_bonus_spread, 1 + eff.delivery_bonus_spread, nb
    )
    since = np.arange(nq)[None, :] - adopt_q[:, None]
    bonus_tau = np.where(since < 0, 0.0, np.where(since == 0, 0.6, 1.0)) * tau_bu[:, None]
    signoff_q = np.where(rng.random(nb) < 0.5, rng.integers(0, nq, nb), nq)
    shared_q = np.where(rng.random(nb) < 0.35, rng.integers(0, nq, nb), nq)
    incentives = pd.DataFrame(
        [
            (units[b], pol, t0 + pd.Timedelta(days=int(q_start[q])))
            for pol, qs in (
                ("delivery_lead_bonus", adopt_q),
                ("presales_signoff", signoff_q),
                ("shared_bonus_pool", shared_q),
            )
            for b, q in enumerate(qs)
            if q < nq
        ],
        columns=["business_unit", "policy", "start_date"],
    )

    # ---------------------------------------------------------------- accumulators
    deals = _Tables(
        "client",
        "type",
        "source",
        "close_day",
        "proposal_day",
        "status",
        "signoff",
        "value",
        "team",
        "lead",
    )
    escal = _Tables("client", "project", "day", "resolved", "severity", "sales", "effect")
    inter = _Tables("client", "project", "day", "kind", "sales", "delivery")
    leads = _Tables("client", "day", "source", "value", "deal")
    # Projects and responses grow quarter by quarter and are read back inside the loop.
    P = _Growing()
    R = _Growing()
    sr_daily = np.zeros((nc, n_days))  # sales status reports per client and day
    esc_daily = np.zeros((nc, n_days))  # satisfaction effect of escalations opened that day
    resp_sum = np.zeros((nc, nq))
    resp_n = np.zeros((nc, nq))
    proj_sum = np.zeros((nc, nq))
    proj_n = np.zeros((nc, nq))
    loglam_base = np.full((nc, nq), -np.inf)
    t_prev = np.full((nc, nq), T_DEFAULT)
    q_prev = np.full((nc, nq), Q_DEFAULT)
    lead_mu0 = np.zeros((nc, nq))
    n_deals = 0

    def quarter_of(day):
        return np.searchsorted(q_start, day, side="right") - 1

    def uniform_day(k, n):
        return rng.integers(q_start[k], q_end[k] + 1, n)

    def window_sum(cum, rows, lo, hi):
        """Sum of a per-day matrix over days lo..hi (inclusive, clipped) via its cumsum."""
        lo = np.clip(lo, 0, n_days)
        hi = np.clip(hi, -1, n_days - 1)
        upper = np.where(hi >= 0, cum[rows, np.maximum(hi, 0)], 0.0)
        lower = np.where(lo >= 1, cum[rows, np.maximum(lo - 1, 0)], 0.0)
        return np.where(hi >= lo, upper - lower, 0.0)

    def finalize(k: int) -> None:
        """Draw csat for responses dated up to quarter k: all their causes are known now."""
        if not R.n:
            return
        todo = np.flatnonzero(~R["done"] & (quarter_of(R["day"]) <= k))
        if not len(todo):
            return
        c, d, p = R["client"][todo], R["day"][todo], R["project"][todo]
        h = hm[c] if dz.heterogeneous else 1.0
        esc = window_sum(np.cumsum(esc_daily, axis=1), c, d - 90, d - 1)
        sr91 = window_sum(np.cumsum(sr_daily, axis=1), c, d - 91, d - 1)
        tied = p >= 0
        pp = np.where(tied, p, 0)
        ontime = np.nan_to_num(P["ontime"][pp], nan=0.75) if P.n else np.zeros(len(p))
        proj_term = np.where(
            tied,
            h * eff.quality_csat * 10 * (ontime - 0.75)
            + h * eff.status_report_csat * (P["sr_rate"][pp] if P.n else 0)
            - 0.06 * ((P["defects"][pp] if P.n else 0) - 2),
            h * eff.status_report_csat * sr91 / (91 / DAYS_PER_MONTH),
        )
        eta = eta_client[c] + proj_term + esc
        csat = 1 + (eta[:, None] + R["eps"][todo][:, None] > CSAT_CUTPOINTS).sum(axis=1)
        R["eta"][todo] = eta
        R["csat"][todo] = csat
        R["nps"][todo] = np.clip(np.round(5.5 + 1.5 * (eta + R["eps_nps"][todo])), 0, 10)
        R["done"][todo] = True
        np.add.at(resp_sum, (c, quarter_of(d)), csat)
        np.add.at(resp_n, (c, quarter_of(d)), 1)

    def add_responses(client, project, rday):
        m = len(client)
        R.append(
            client=client,
            project=project,
            day=rday,
            eps=rng.logistic(0, 1, m),
            eps_nps=rng.logistic(0, 0.6, m),
            role=rng.integers(0, 5, m),
            eta=np.full(m, np.nan),
            csat=np.zeros(m, int),
            nps=np.full(m, np.nan),
            done=np.zeros(m, bool),
        )

    for k in range(nq):
        if k >= 1:
            finalize(k - 1)
        # -------------------------------------------------- trailing state and repeat rate
        if k >= 1:
            lo_q = max(0, k - 4)
            n_w = resp_n[:, lo_q:k].sum(axis=1)
            t_prev[:, k] = np.where(
                n_w > 0, resp_sum[:, lo_q:k].sum(axis=1) / np.maximum(n_w, 1), T_DEFAULT
            )
            pn = proj_n[:, lo_q:k].sum(axis=1)
            q_prev[:, k] = np.where(
                pn > 0, proj_sum[:, lo_q:k].sum(axis=1) / np.maximum(pn, 1), Q_DEFAULT
            )
            loglam_base[:, k] = np.where(
                onboard_q < k,
                np.log(dz.repeat_rate) + conf * (0.25 * size + 0.1 * tenure_z) + 0.4 * health,
                -np.inf,
            )
        lam = np.exp(
            loglam_base[:, k]
            + eff.csat_repeat_lograte * hm * (t_prev[:, k] - 4)
            + eff.quality_repeat_lograte * 10 * (q_prev[:, k] - 0.75)
        )
        active = onboard_q <= k

        # -------------------------------------------------- deals decided in quarter k
        first = np.flatnonzero(onboard_q == k)
        if dz.decision == "close":  # decided in the quarter they close in
            n_rep = rng.poisson(lam)
            c_rep_won = np.repeat(np.arange(nc), n_rep)
            c_rep_lost = c_rep_open = np.zeros(0, int)
        else:  # decided now (proposal or lead), closing weeks to months later
            n_dec = rng.poisson(lam)
            c_dec = np.repeat(np.arange(nc), n_dec)
            d_dec = uniform_day(k, len(c_dec))
            c_close = d_dec + rng.integers(
                dz.close_lag_days[0], dz.close_lag_days[1] + 1, len(c_dec)
            )
            won_dec = rng.random(len(c_dec)) < win_probability(dz, hm[c_dec], t_prev[c_dec, k])
            in_data = c_close <= n_days - 1
            pick = {
                "won": won_dec & in_data,
                "lost": ~won_dec & in_data,
                "open": ~in_data,
            }
            c_rep_won, c_rep_lost, c_rep_open = (c_dec[pick[x]] for x in ("won", "lost", "open"))
            rep_close = np.concatenate([c_close[pick["won"]], c_close[pick["lost"]]])
            rep_decided = np.concatenate([d_dec[pick[x]] for x in ("won", "lost", "open")])
        n_lost = rng.poisson(0.3 * np.exp(0.1 * size) * active)
        n_open = rng.poisson(0.25 * active) if k == nq - 1 else np.zeros(nc, int)
        if dz.decision == "close":
            rep_close = rep_decided = uniform_day(k, n_rep.sum())
        c_won = np.concatenate([first, c_rep_won])
        c_lost = np.concatenate([c_rep_lost, np.repeat(np.arange(nc), n_lost)])
        c_open = np.concatenate([c_rep_open, np.repeat(np.arange(nc), n_open)])
        cc = np.concatenate([c_won, c_lost, c_open])
        nd, nfirst = len(cc), len(first)
        status = np.array(
            ["won"] * len(c_won) + ["lost"] * len(c_lost) + ["open"] * len(c_open), dtype=object
        )
        close_day = np.concatenate(
            [
                onboard_day[first],
                rep_close[: len(c_rep_won)],
                rep_close[len(c_rep_won) :],
                uniform_day(k, n_lost.sum()),
                np.full(len(c_open), NA_DAY),
            ]
        )
        proposal_day = np.where(
            status == "open",
            rng.integers(max(q_start[k], n_days - 60), n_days, nd),
            close_day - rng.integers(14, 91, nd),
        )
        # the flow's deals (won, lost, open) in the order of cc, after the first deals
        flow = np.zeros(nd, bool)
        flow_pos = np.concatenate(
            [
                nfirst + np.arange(len(c_rep_won)),
                len(c_won) + np.arange(len(c_rep_lost)),
                len(c_won) + len(c_lost) + np.arange(len(c_rep_open)),
            ]
        ).astype(int)
        flow[flow_pos] = True
        if dz.opening_renewal:  # renewal terms agreed before the data start
            opening = np.zeros(nd, bool)
            opening[:nfirst] = existing[first]
            proposal_day = np.where(opening, -rng.integers(1, 241, nd), proposal_day)
        dtype = rng.choice(REPEAT_TYPES, nd, p=[0.4, 0.35, 0.25]).astype(object)
        dtype[:nfirst] = np.where(existing[first], "renewal", "new_logo")
        source = np.where(
            dtype == "new_logo",
            rng.choice(["sales", "partner", "marketing"], nd, p=[0.6, 0.2, 0.2]),
            rng.choice(list(SOURCE_TEAMS), nd, p=[0.5, 0.2, 0.15, 0.15]),
        )
        lead_day_fixed = np.full(nd, NA_DAY)
        if dz.decision == "proposal":
            # the decision is the proposal, or the lead when delivery raised it (the proposal
            # then follows within a month, before the close)
            decided = np.full(nd, NA_DAY)
            decided[flow_pos] = rep_decided
            by_delivery = flow & (source == "delivery")
            after = np.minimum(decided + rng.integers(5, 31, nd), close_day)
            after = np.where(
                status == "open",
                np.minimum(decided + rng.integers(5, 31, nd), n_days - 1),
                after,
            )
            proposal_day = np.where(flow, np.where(by_delivery, after, decided), proposal_day)
            lead_day_fixed = np.where(by_delivery, decided, NA_DAY)
        team = 3 * bu[cc] + rng.integers(0, 3, nd)
        prop_q = np.clip(quarter_of(proposal_day), 0, nq - 1)
        policy_on = (proposal_day >= 0) & (prop_q >= signoff_q[bu[cc]])
        signoff = rng.random(nd) < expit(
            -0.6 + conf * (0.9 * skill[team] + 0.35 * size[cc]) + 1.2 * policy_on
        )
        if dz.unused_lever == "presales_signoff":
            signoff = np.zeros(nd, bool)
        value = np.round(VALUE_SCALE[size[cc]] * np.exp(rng.normal(0, VALUE_SIGMA, nd)), 2)
        if dz.csat_value_logsize:  # satisfied clients buy bigger engagements
            value = np.round(
                value * np.exp(flow * dz.csat_value_logsize * hm[cc] * (t_prev[cc, k] - 4)), 2
            )
        if dz.opening_renewal:
            value = np.round(np.where(opening, value * dz.opening_value, value), 2)
        has_lead = rng.random(nd) < 0.6
        has_lead |= lead_day_fixed != NA_DAY
        deal_pos = n_deals + np.arange(nd)
        deals.add(
            client=cc,
            type=dtype,
            source=source,
            close_day=close_day,
            proposal_day=proposal_day,
            status=status,
            signoff=signoff,
            value=value,
            team=team,
            lead=np.where(has_lead, deal_pos, -1),
        )
        nl = has_lead.sum()
        leads.add(
            client=cc[has_lead],
            day=np.where(
                lead_day_fixed[has_lead] != NA_DAY,
                lead_day_fixed[has_lead],
                proposal_day[has_lead] - rng.integers(5, 61, nl),
            ),
            source=source[has_lead],
            value=np.round(value[has_lead] * rng.uniform(0.7, 1.3, nl), 2),
            deal=deal_pos[has_lead],
        )
        n_deals += nd

        # -------------------------------------------------- projects of the won deals
        nw = len(c_won)
        if nw:
            w = np.arange(nw)  # won deals come first in this quarter's batch
            pc, pteam, ps = cc[w], team[w], signoff[w]
            months = np.clip(np.exp(rng.normal(np.log(3 + 1.2 * size[pc]), 0.4)), 1.5, 18)
            start_d = np.minimum(close_day[w] + rng.integers(0, 31, nw), n_days - 1)
            planned = start_d + np.round(months * DAYS_PER_MONTH).astype(int)
            u = rng.normal(0, 0.45, nw)
            lin0 = 1.0 + conf * (0.8 * skill[pteam] - 0.3 * size[pc]) + u
            pi = expit(lin0 + eff.signoff_logit * ps)
            # slip follows the on-time *propensity*, so setting the realised rate moves no date
            slip = np.round(months * DAYS_PER_MONTH * (0.4 * (1 - pi) + rng.normal(0, 0.05, nw)))
            actual_full = np.maximum(planned + slip.astype(int), start_d + 20)
            finished = actual_full <= n_days - 1
            mp = rng.poisson(1.5 + 0.9 * months)
            mp[rng.random(nw) < 0.04] = 0
            if dz.one_milestone:
                mp = np.ones(nw, int)
            share = np.where(
                finished, 1.0, np.clip((n_days - 1 - start_d) / (actual_full - start_d), 0.0, 1.0)
            )
            mp_done = np.where(finished, mp, np.floor(mp * share)).astype(int)
            mot = rng.binomial(mp_done, pi)
            defects = rng.poisson(
                np.exp(0.6 + conf * (0.3 * size[pc] - 0.35 * skill[pteam]) + 0.35 * np.log(months))
            )
            cr = rng.poisson(
                np.exp(-0.3 + conf * 0.25 * size[pc] + 0.25 * np.log(months) - 0.5 * ps)
            )
            overrun = np.maximum(
                0.03 - 0.04 * skill[pteam] + 0.025 * cr + rng.normal(0, 0.06, nw), -0.3
            )
            repeat = w >= nfirst
            margin_plan = np.where(
                repeat, 0.27 + eff.csat_margin * (t_prev[pc, k] - 4), 0.2
            ) + rng.normal(0, 0.04, nw)
            ontime = np.where(finished & (mp > 0), mot / np.maximum(mp, 1), np.nan)
            pidx = P.n + np.arange(nw)
            P.append(
                client=pc,
                deal=deal_pos[w],
                team=pteam,
                start=start_d,
                planned_end=planned,
                end=actual_full,
                finished=finished,
                budget=np.round(value[w] * (1 - margin_plan), 2),
                cost=np.round(np.round(value[w] * (1 - margin_plan), 2) * (1 + overrun) * share, 2),
                revenue=np.round(value[w] * share, 2),
                mp=mp,
                mot=mot,
                defects=defects,
                cr=cr,
                lin0=lin0,
                signoff=ps,
                repeat=repeat,
                quarter=np.full(nw, k),
                close_q=quarter_of(close_day[w]),
                repeat_type=dtype[w] != "new_logo",
                overrun=overrun,
                ontime=ontime,
                sr_rate=np.zeros(nw),
            )
            ok = finished & (mp > 0)
            fq = quarter_of(actual_full)
            np.add.at(proj_sum, (pc[ok], fq[ok]), ontime[ok])
            np.add.at(proj_n, (pc[ok], fq[ok]), 1)
            # escalations during the project
            ne = rng.poisson(
                months * 0.07 * np.exp(0.1 * (defects - 2) + 0.12 * cr - 0.25 * skill[pteam])
            )
            ep = np.repeat(w, ne)
            eday = start_d[ep] + np.floor(
                rng.random(len(ep)) * (actual_full[ep] - start_d[ep] + 1)
            ).astype(int)
            keep = eday <= n_days - 1
            ep, eday = ep[keep], eday[keep]
            u_sev = rng.random(len(ep))
            p_crit = 0.06 + 0.01 * np.minimum(defects[ep], 10)
            sev = np.select(
                [u_sev < p_crit, u_sev < p_crit + 0.18, u_sev < p_crit + 0.52], [3, 2, 1], 0
            )
            sales = rng.random(len(ep)) < expit(
                -0.8 + conf * (0.4 * size[pc[ep]] + 0.3 * tenure_z[pc[ep]]) + 1.2 * (sev >= 2)
            )
            effect = (
                -np.asarray(eff.escalation_severity)[sev] + eff.sales_in_escalation_csat * sales
            )
            res = eday + rng.integers(1, 41, len(ep))
            escal.add(
                client=pc[ep],
                project=pidx[ep],
                day=eday,
                resolved=np.where(res <= n_days - 1, res, NA_DAY),
                severity=sev,
                sales=sales,
                effect=effect,
            )
            np.add.at(esc_daily, (pc[ep], eday), effect)
            # responses tied to finished projects, dated after their end
            nr = np.where(finished, rng.binomial(3, dz.responses_per_project, nw), 0)
            rp = np.repeat(w, nr)
            rday = actual_full[rp] + rng.integers(1, 46, len(rp))
            keep = rday <= n_days - 1
            add_responses(pc[rp[keep]], pidx[rp[keep]], rday[keep])

        # -------------------------------------------------- interactions in quarter k
        running = np.zeros(nc)
        current = np.full(nc, -1)
        if P.n:
            act = (P["start"] <= q_end[k]) & (P["end"] >= q_start[k])
            ac = P["client"][act]
            np.add.at(running, ac, 1)
            current[ac] = np.flatnonzero(act)  # the last written is the latest started
        has_proj = running > 0
        shared_on = k >= shared_q[bu]
        rates = {
            ("status_report", True, False): 3
            * rho
            * np.where(has_proj, 1.0, 0.15)
            * (np.exp(-dz.report_feedback * (t_prev[:, k] - 4)) if dz.report_feedback else 1.0),
            ("status_report", False, True): 3 * 0.7 * has_proj,
            ("sales_meeting", True, None): 3 * 0.35 * (1 + 0.15 * size),
            ("joint_meeting", True, True): 3 * 0.12 * (1 + 0.8 * shared_on) * has_proj,
            ("governance_review", None, True): 0.6 * has_proj,
        }
        for (kind, sp, dp), rate in rates.items():
            if kind == "status_report" and sp:
                # sales reports follow a cadence: the quarter's expected count, randomly rounded
                counts = np.floor(rate * active + rng.random(nc)).astype(int)
            else:
                counts = rng.poisson(rate * active)
            ic = np.repeat(np.arange(nc), counts)
            m = len(ic)
            iday = uniform_day(k, m)
            spv = np.full(m, sp) if sp is not None else rng.random(m) < 0.5
            dpv = np.full(m, dp) if dp is not None else rng.random(m) < 0.25 + 0.25 * shared_on[ic]
            inter.add(
                client=ic,
                project=current[ic],
                day=iday,
                kind=np.full(m, kind, object),
                sales=spv.astype(bool),
                delivery=dpv.astype(bool),
            )
            if kind == "status_report" and sp:
                np.add.at(sr_daily, (ic, iday), 1)
        # the status-report rate of projects finishing this quarter: their window is complete
        if P.n:
            done = P["finished"] & (quarter_of(P["end"]) == k)
            if done.any():
                rows = P["client"][done]
                s_, e_ = P["start"][done], P["end"][done]
                cnt = window_sum(np.cumsum(sr_daily, axis=1), rows, s_, e_)
                P["sr_rate"][done] = cnt / ((e_ - s_) / DAYS_PER_MONTH)

        # -------------------------------------------------- responses without a project
        uc = np.repeat(np.arange(nc), rng.poisson(dz.client_responses_rate * active))
        add_responses(uc, np.full(len(uc), -1), uniform_day(k, len(uc)))

        # -------------------------------------------------- leads that did not convert
        mu0 = np.exp(np.log(0.18) + 0.15 * size + bu_lead[bu] + 0.03 * k) * active
        lead_mu0[:, k] = mu0
        for src, rate in (
            ("sales", 0.25 * active),
            ("partner", 0.08 * active),
            ("marketing", 0.15 * active),
            ("delivery", mu0 * np.exp(bonus_tau[bu, k])),
        ):
            lc = np.repeat(np.arange(nc), rng.poisson(rate))
            leads.add(
                client=lc,
                day=uniform_day(k, len(lc)),
                source=np.full(len(lc), src, object),
                value=np.round(
                    0.3 * VALUE_SCALE[size[lc]] * np.exp(rng.normal(0, 0.6, len(lc))), 2
                ),
                deal=np.full(len(lc), -1),
            )
    finalize(nq - 1)

    # ==================================================================== tables
    day = lambda a: pd.to_datetime(t0) + pd.to_timedelta(np.asarray(a, dtype="int64"), unit="D")  # noqa: E731

    def day_or_nat(a):
        a = np.asarray(a, dtype="int64")
        return pd.Series(day(np.where(a == NA_DAY, 0, a))).where(a != NA_DAY)

    cl = pd.DataFrame(
        {
            "client_id": client_ids,
            "client_name": names.client_names(rng, nc),
            "industry": np.array(names.INDUSTRIES, dtype=object)[industry],
            "region": np.array(names.REGIONS, dtype=object)[region],
            "size_band": np.array(SIZE_BANDS, dtype=object)[size],
            "first_engagement_date": day(first_day),
        }
    )
    dl = deals.frame()
    deal_ids = np.array([f"D{i + 1:06d}" for i in range(len(dl))], dtype=object)
    ld = leads.frame()
    lead_ids = np.array([f"L{i + 1:06d}" for i in range(len(ld))], dtype=object)
    lead_of_deal = pd.Series(
        lead_ids[ld["deal"].to_numpy() >= 0],
        index=ld.loc[ld["deal"] >= 0, "deal"].astype(int).to_numpy(),
    )
    dc = dl["client"].astype(int).to_numpy()
    deals_df = pd.DataFrame(
        {
            "deal_id": deal_ids,
            "client_id": client_ids[dc],
            "deal_type": dl["type"].to_numpy(),
            "lead_source": dl["source"].to_numpy(),
            "lead_id": pd.Series(np.arange(len(dl))).map(lead_of_deal).to_numpy(),
            "sales_owner": owner[dc],
            "business_unit": np.array(units, dtype=object)[bu[dc]],
            "proposal_date": day(dl["proposal_day"]),
            "close_date": day_or_nat(dl["close_day"]).to_numpy(),
            "status": dl["status"].to_numpy(),
            "presales_delivery_signoff": dl["signoff"].astype(bool).to_numpy(),
            "contract_value": dl["value"].astype(float).to_numpy(),
        }
    )
    pr = (
        P.frame()
        if P.n
        else pd.DataFrame(
            {
                k: np.array([], int)
                for k in (
                    "client",
                    "deal",
                    "team",
                    "start",
                    "planned_end",
                    "end",
                    "mp",
                    "mot",
                    "defects",
                    "cr",
                )
            }
        )
    )
    pr["actual_end"] = np.where(pr.get("finished", np.array([], bool)), pr["end"], NA_DAY)
    project_ids = np.array([f"P{i + 1:06d}" for i in range(len(pr))], dtype=object)
    pcl = pr["client"].astype(int).to_numpy()
    projects_df = pd.DataFrame(
        {
            "project_id": project_ids,
            "deal_id": deal_ids[pr["deal"].astype(int).to_numpy()],
            "client_id": client_ids[pcl],
            "delivery_team": team_names_flat[pr["team"].astype(int).to_numpy()],
            "business_unit": np.array(units, dtype=object)[bu[pcl]],
            "start_date": day(pr["start"]),
            "planned_end_date": day(pr["planned_end"]),
            "actual_end_date": day_or_nat(pr["actual_end"]).to_numpy(),
            "budget": pr["budget"].astype(float).to_numpy(),
            "actual_cost": pr["cost"].astype(float).to_numpy(),
            "revenue": pr["revenue"].astype(float).to_numpy(),
            "milestones_planned": pr["mp"].astype(int).to_numpy(),
            "milestones_on_time": pr["mot"].astype(int).to_numpy(),
            "defects": pr["defects"].astype(int).to_numpy(),
            "change_requests": pr["cr"].astype(int).to_numpy(),
        }
    )
    es = escal.frame()
    escalations_df = pd.DataFrame(
        {
            "escalation_id": [f"E{i + 1:06d}" for i in range(len(es))],
            "project_id": project_ids[es["project"].astype(int).to_numpy()],
            "client_id": client_ids[es["client"].astype(int).to_numpy()],
            "opened_date": day(es["day"]),
            "resolved_date": day_or_nat(es["resolved"]).to_numpy(),
            "severity": np.array(SEVERITIES, dtype=object)[es["severity"].astype(int).to_numpy()],
            "sales_involved": es["sales"].astype(bool).to_numpy(),
        }
    )
    it = inter.frame().sort_values(["day", "client"], kind="stable").reset_index(drop=True)
    ip = it["project"].astype(int).to_numpy()
    interactions_df = pd.DataFrame(
        {
            "interaction_id": [f"I{i + 1:07d}" for i in range(len(it))],
            "client_id": client_ids[it["client"].astype(int).to_numpy()],
            "project_id": np.where(ip >= 0, project_ids[np.maximum(ip, 0)], None)
            if len(project_ids)
            else np.full(len(it), None),
            "date": day(it["day"]),
            "kind": it["kind"].to_numpy(),
            "sales_present": it["sales"].astype(bool).to_numpy(),
            "delivery_present": it["delivery"].astype(bool).to_numpy(),
        }
    )
    rs = R.frame().assign(quarter=lambda f: quarter_of(f["day"].to_numpy()))
    rs = rs.sort_values(["day", "client"], kind="stable").reset_index(drop=True)
    rpj = rs["project"].astype(int).to_numpy()
    roles = np.array(
        ["executive sponsor", "project manager", "procurement", "end user", None], dtype=object
    )
    nps = rs["nps"].to_numpy().astype(float)
    nps[rng.random(len(rs)) < 0.3] = np.nan
    surveys_df = pd.DataFrame(
        {
            "response_id": [f"R{i + 1:06d}" for i in range(len(rs))],
            "client_id": client_ids[rs["client"].astype(int).to_numpy()],
            "project_id": np.where(rpj >= 0, project_ids[np.maximum(rpj, 0)], None),
            "date": day(rs["day"]),
            "csat": rs["csat"].astype(int).to_numpy(),
            "nps": pd.array(nps, dtype="Float64").round().astype("Int64"),
            "respondent_role": roles[rs["role"].astype(int).to_numpy()],
        }
    )
    ld_deal = ld["deal"].astype(int).to_numpy()
    leads_df = pd.DataFrame(
        {
            "lead_id": lead_ids,
            "client_id": client_ids[ld["client"].astype(int).to_numpy()],
            "created_date": day(ld["day"]),
            "source_team": ld["source"].to_numpy(),
            "estimated_value": ld["value"].astype(float).to_numpy(),
            "converted_deal_id": np.where(ld_deal >= 0, deal_ids[np.maximum(ld_deal, 0)], None),
        }
    )
    tables = {
        "clients": cl,
        "deals": deals_df,
        "projects": projects_df,
        "escalations": escalations_df,
        "interactions": interactions_df,
        "surveys": surveys_df,
        "leads": leads_df,
        "incentives": incentives,
    }

    # ==================================================================== latent
    pr_lat = pr.assign(project_id=project_ids)
    latent = Latent(
        n_quarters=nq,
        quarter_start_day=q_start,
        clients=pd.DataFrame(
            {
                "client_id": client_ids,
                "size": size,
                "health": health,
                "bu": bu,
                "value_mean": VALUE_SCALE[size] * np.exp(VALUE_SIGMA**2 / 2),
            }
        ),
        projects=pr_lat,
        responses=rs,
        escalations=es,
        repeat_projects=pr_lat[
            pr_lat.get("repeat_type", pd.Series(False, index=pr_lat.index)).astype(bool)
        ],
        loglam_base=loglam_base,
        t_prev=t_prev,
        q_prev=q_prev,
        resp_n=resp_n,
        proj_n=proj_n,
        lead_mu0=lead_mu0,
        bonus_tau=bonus_tau,
        bonus_start_q=adopt_q,
        effects=eff,
        design=dz,
        effect_multiplier=hm,
        close_lag=close_lag_matrix(dz, q_start, q_end),
    )
    return tables, latent
