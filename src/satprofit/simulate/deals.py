r"""Steps of the sales pipeline in quarter ``k``: the repeat-business rate, deals decided and
closed, their proposals, types, sources, teams, sign-off and value, and the leads.

Won repeat-business deals decided in quarter :math:`k` are Poisson with

.. math::

   \log \lambda_{ck} = \log r + \text{conf}\,(0.25\,\text{size}_c + 0.1\,\text{tenure}_c)
      + 0.4 h_c + \beta_T h^m_c (T_{c,k-1} - 4) + \beta_Q \cdot 10 (Q_{c,k-1} - 0.75),

:math:`r` the design's ``repeat_rate``, :math:`h^m_c` the size band's effect multiplier. When
a deal is decided is the design's ``decision``: one function each in :data:`DECISIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from satprofit.constants import SOURCE_TEAMS
from satprofit.simulate.model import (
    NA_DAY,
    REPEAT_TYPES,
    VALUE_SCALE,
    VALUE_SIGMA,
    win_probability,
)
from satprofit.simulate.world import World


@dataclass
class RepeatDeals:
    """Repeat-business deals decided in one quarter, by outcome (client positions).

    ``close`` holds the close days of the won, then the lost deals; ``decided`` the decision
    days of the won, lost and open ones. Both stay ``None`` until dated (deals decided at the
    close are dated by :func:`date_decided_at_close`, after the quarter's other deals are drawn).
    """

    won: np.ndarray
    lost: np.ndarray
    open: np.ndarray
    close: np.ndarray | None = None
    decided: np.ndarray | None = None


@dataclass
class DealBatch:
    """The deals of one quarter, won first (first deals, then repeat), then lost, then open."""

    k: int
    first: np.ndarray  # clients whose first deal in the data closes now
    rep: RepeatDeals
    cc: np.ndarray  # client of each deal
    n_won: int
    status: np.ndarray
    close_day: np.ndarray
    proposal_day: np.ndarray
    flow: np.ndarray  # repeat deals of the satisfaction-driven flow
    flow_pos: np.ndarray  # their positions, in the order won, lost, open
    opening: np.ndarray | None = None  # opening renewals (design.opening_renewal)
    dtype: np.ndarray | None = None  # deal type
    source: np.ndarray | None = None  # lead source
    lead_day_fixed: np.ndarray | None = None  # lead day set by the decision (else NA_DAY)
    team: np.ndarray | None = None
    signoff: np.ndarray | None = None
    value: np.ndarray | None = None
    deal_pos: np.ndarray | None = None  # row of each deal in the deals table

    @property
    def nd(self) -> int:
        return len(self.cc)

    @property
    def nfirst(self) -> int:
        return len(self.first)


def repeat_rate(w: World, k: int) -> np.ndarray:
    """Expected repeat-business decisions of each client in quarter ``k`` (:math:`\\lambda`).

    Reads the trailing state ``t_prev``, ``q_prev`` and ``loglam_base`` set by
    :func:`~satprofit.simulate.satisfaction.update_trailing_state`.
    """
    eff = w.effects
    return np.exp(
        w.loglam_base[:, k]
        + eff.csat_repeat_lograte * w.hm * (w.t_prev[:, k] - 4)
        + eff.quality_repeat_lograte * 10 * (w.q_prev[:, k] - 0.75)
    )


def decided_at_close(w: World, k: int, lam: np.ndarray) -> RepeatDeals:
    """``design.decision == "close"``: the quarter's won repeat deals, decided as they close.

    Every decision is won; the days are drawn later (:func:`date_decided_at_close`).
    """
    n_rep = w.rng.poisson(lam)
    empty = np.zeros(0, int)
    return RepeatDeals(won=np.repeat(np.arange(w.nc), n_rep), lost=empty, open=empty)


def decided_at_proposal(w: World, k: int, lam: np.ndarray) -> RepeatDeals:
    """``design.decision == "proposal"``: deals decided now, closing weeks to months later.

    Each decision is won with :func:`~satprofit.simulate.model.win_probability` at the trailing
    csat now; it closes ``design.close_lag_days`` later, and stays open if that is after the
    data end.
    """
    rng, dz = w.rng, w.design
    n_dec = rng.poisson(lam)
    c_dec = np.repeat(np.arange(w.nc), n_dec)
    d_dec = w.uniform_day(k, len(c_dec))
    c_close = d_dec + rng.integers(dz.close_lag_days[0], dz.close_lag_days[1] + 1, len(c_dec))
    won_dec = rng.random(len(c_dec)) < win_probability(dz, w.hm[c_dec], w.t_prev[c_dec, k])
    in_data = c_close <= w.n_days - 1
    pick = {"won": won_dec & in_data, "lost": ~won_dec & in_data, "open": ~in_data}
    return RepeatDeals(
        won=c_dec[pick["won"]],
        lost=c_dec[pick["lost"]],
        open=c_dec[pick["open"]],
        close=np.concatenate([c_close[pick["won"]], c_close[pick["lost"]]]),
        decided=np.concatenate([d_dec[pick[x]] for x in ("won", "lost", "open")]),
    )


#: When a repeat deal is decided, by ``Design.decision``: a new timing is one function here.
DECISIONS: dict[str, Callable[[World, int, np.ndarray], RepeatDeals]] = {
    "close": decided_at_close,
    "proposal": decided_at_proposal,
}


def decide_repeat_deals(w: World, k: int) -> RepeatDeals:
    """The repeat-business deals decided in quarter ``k``, by the design's decision timing."""
    return DECISIONS[w.design.decision](w, k, repeat_rate(w, k))


def draw_other_deals(w: World, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Deals outside the repeat flow: lost ones, and (last quarter) open ones, per client.

    Returns
    -------
    n_lost, n_open : ndarray
        Counts per client.
    """
    rng = w.rng
    n_lost = rng.poisson(0.3 * np.exp(0.1 * w.size) * w.active)
    n_open = rng.poisson(0.25 * w.active) if k == w.nq - 1 else np.zeros(w.nc, int)
    return n_lost, n_open


def date_decided_at_close(w: World, k: int, rep: RepeatDeals) -> None:
    """Close days of repeat deals decided at the close: uniform in the quarter."""
    if rep.close is None:
        rep.close = rep.decided = w.uniform_day(k, len(rep.won))


def assemble_deals(
    w: World, k: int, rep: RepeatDeals, n_lost: np.ndarray, n_open: np.ndarray
) -> DealBatch:
    """The quarter's deals in one batch: clients, status, close and proposal days.

    First deals (existing clients' renewal, new clients' new logo) close on the onboarding day;
    other lost deals close uniformly in the quarter; proposals precede the close by two weeks
    to three months (open deals: proposed in the last two months of the data).
    """
    rng, nc, n_days = w.rng, w.nc, w.n_days
    first = np.flatnonzero(w.onboard_q == k)
    c_won = np.concatenate([first, rep.won])
    c_lost = np.concatenate([rep.lost, np.repeat(np.arange(nc), n_lost)])
    c_open = np.concatenate([rep.open, np.repeat(np.arange(nc), n_open)])
    cc = np.concatenate([c_won, c_lost, c_open])
    nd, nfirst = len(cc), len(first)
    status = np.array(
        ["won"] * len(c_won) + ["lost"] * len(c_lost) + ["open"] * len(c_open), dtype=object
    )
    close_day = np.concatenate(
        [
            w.onboard_day[first],
            rep.close[: len(rep.won)],
            rep.close[len(rep.won) :],
            w.uniform_day(k, n_lost.sum()),
            np.full(len(c_open), NA_DAY),
        ]
    )
    proposal_day = np.where(
        status == "open",
        rng.integers(max(w.q_start[k], n_days - 60), n_days, nd),
        close_day - rng.integers(14, 91, nd),
    )
    # the flow's deals (won, lost, open) in the order of cc, after the first deals
    flow = np.zeros(nd, bool)
    flow_pos = np.concatenate(
        [
            nfirst + np.arange(len(rep.won)),
            len(c_won) + np.arange(len(rep.lost)),
            len(c_won) + len(c_lost) + np.arange(len(rep.open)),
        ]
    ).astype(int)
    flow[flow_pos] = True
    return DealBatch(
        k=k,
        first=first,
        rep=rep,
        cc=cc,
        n_won=len(c_won),
        status=status,
        close_day=close_day,
        proposal_day=proposal_day,
        flow=flow,
        flow_pos=flow_pos,
        lead_day_fixed=np.full(nd, NA_DAY),
    )


def date_opening_renewals(w: World, b: DealBatch) -> None:
    """``design.opening_renewal``: existing clients' first renewals were proposed up to 8 months
    before the data start, on terms no satisfaction in the data can have moved."""
    if not w.design.opening_renewal:
        return
    b.opening = np.zeros(b.nd, bool)
    b.opening[: b.nfirst] = w.existing[b.first]
    b.proposal_day = np.where(b.opening, -w.rng.integers(1, 241, b.nd), b.proposal_day)


def draw_deal_types(w: World, b: DealBatch) -> None:
    """Deal type (first deals: renewal or new logo) and the lead's source team."""
    rng = w.rng
    b.dtype = rng.choice(REPEAT_TYPES, b.nd, p=[0.4, 0.35, 0.25]).astype(object)
    b.dtype[: b.nfirst] = np.where(w.existing[b.first], "renewal", "new_logo")
    b.source = np.where(
        b.dtype == "new_logo",
        rng.choice(["sales", "partner", "marketing"], b.nd, p=[0.6, 0.2, 0.2]),
        rng.choice(list(SOURCE_TEAMS), b.nd, p=[0.5, 0.2, 0.15, 0.15]),
    )


def date_decisions_at_proposal(w: World, b: DealBatch) -> None:
    """``design.decision == "proposal"``: the decision is the proposal, or the lead when
    delivery raised it (the proposal then follows within a month, before the close)."""
    if w.design.decision != "proposal":
        return
    rng, nd = w.rng, b.nd
    decided = np.full(nd, NA_DAY)
    decided[b.flow_pos] = b.rep.decided
    by_delivery = b.flow & (b.source == "delivery")
    after = np.minimum(decided + rng.integers(5, 31, nd), b.close_day)
    after = np.where(
        b.status == "open",
        np.minimum(decided + rng.integers(5, 31, nd), w.n_days - 1),
        after,
    )
    b.proposal_day = np.where(b.flow, np.where(by_delivery, after, decided), b.proposal_day)
    b.lead_day_fixed = np.where(by_delivery, decided, NA_DAY)


def draw_teams_and_signoff(w: World, b: DealBatch) -> None:
    """The delivery team of each deal (one of its unit's three) and pre-sales sign-off.

    Sign-off is likelier for skilled teams, large clients, and once the unit's sign-off policy
    is in force at the proposal; never with ``design.unused_lever == "presales_signoff"``.
    """
    rng, nd, bu = w.rng, b.nd, w.bu
    b.team = 3 * bu[b.cc] + rng.integers(0, 3, nd)
    prop_q = np.clip(w.quarter_of(b.proposal_day), 0, w.nq - 1)
    policy_on = (b.proposal_day >= 0) & (prop_q >= w.signoff_q[bu[b.cc]])
    b.signoff = rng.random(nd) < expit(
        -0.6 + w.conf * (0.9 * w.skill[b.team] + 0.35 * w.size[b.cc]) + 1.2 * policy_on
    )
    if w.design.unused_lever == "presales_signoff":
        b.signoff = np.zeros(nd, bool)


def price_deals(w: World, b: DealBatch) -> None:
    """Contract values: log-normal around the size band's scale; the flow's deals grow with
    trailing csat (``design.csat_value_logsize``), opening renewals by ``opening_value``."""
    dz, cc = w.design, b.cc
    value = np.round(VALUE_SCALE[w.size[cc]] * np.exp(w.rng.normal(0, VALUE_SIGMA, b.nd)), 2)
    if dz.csat_value_logsize:  # satisfied clients buy bigger engagements
        value = np.round(
            value * np.exp(b.flow * dz.csat_value_logsize * w.hm[cc] * (w.t_prev[cc, b.k] - 4)),
            2,
        )
    if dz.opening_renewal:
        value = np.round(np.where(b.opening, value * dz.opening_value, value), 2)
    b.value = value


def record_deals(w: World, b: DealBatch) -> None:
    """Write the batch into the deals table, with the leads 60 % of deals came from (every deal
    whose decision was a lead), dated 5 to 60 days before the proposal."""
    rng = w.rng
    has_lead = rng.random(b.nd) < 0.6
    has_lead |= b.lead_day_fixed != NA_DAY
    b.deal_pos = w.n_deals + np.arange(b.nd)
    w.deals.add(
        client=b.cc,
        type=b.dtype,
        source=b.source,
        close_day=b.close_day,
        proposal_day=b.proposal_day,
        status=b.status,
        signoff=b.signoff,
        value=b.value,
        team=b.team,
        lead=np.where(has_lead, b.deal_pos, -1),
    )
    nl = has_lead.sum()
    w.leads.add(
        client=b.cc[has_lead],
        day=np.where(
            b.lead_day_fixed[has_lead] != NA_DAY,
            b.lead_day_fixed[has_lead],
            b.proposal_day[has_lead] - rng.integers(5, 61, nl),
        ),
        source=b.source[has_lead],
        value=np.round(b.value[has_lead] * rng.uniform(0.7, 1.3, nl), 2),
        deal=b.deal_pos[has_lead],
    )
    w.n_deals += b.nd


def draw_deals(w: World, k: int) -> DealBatch:
    """Every deal of quarter ``k``, in the order of the random draws.

    Returns
    -------
    DealBatch
        The quarter's deals (won first), for :func:`~satprofit.simulate.delivery.start_projects`.
    """
    rep = decide_repeat_deals(w, k)
    n_lost, n_open = draw_other_deals(w, k)
    date_decided_at_close(w, k, rep)
    b = assemble_deals(w, k, rep, n_lost, n_open)
    date_opening_renewals(w, b)
    draw_deal_types(w, b)
    date_decisions_at_proposal(w, b)
    draw_teams_and_signoff(w, b)
    price_deals(w, b)
    record_deals(w, b)
    return b


def draw_unconverted_leads(w: World, k: int) -> None:
    """Leads of quarter ``k`` that did not convert, by source team.

    Delivery-sourced leads are Poisson with a rate that grows with size, the unit's lead level
    and time, times :math:`e^{\\tau_{b,k}}` while the unit's delivery lead bonus is in force
    (``lead_mu0`` keeps the rate without it, for the truth).
    """
    rng, size, active, bu = w.rng, w.size, w.active, w.bu
    mu0 = np.exp(np.log(0.18) + 0.15 * size + w.bu_lead[bu] + 0.03 * k) * active
    w.lead_mu0[:, k] = mu0
    for src, rate in (
        ("sales", 0.25 * active),
        ("partner", 0.08 * active),
        ("marketing", 0.15 * active),
        ("delivery", mu0 * np.exp(w.bonus_tau[bu, k])),
    ):
        lc = np.repeat(np.arange(w.nc), rng.poisson(rate))
        w.leads.add(
            client=lc,
            day=w.uniform_day(k, len(lc)),
            source=np.full(len(lc), src, object),
            value=np.round(0.3 * VALUE_SCALE[size[lc]] * np.exp(rng.normal(0, 0.6, len(lc))), 2),
            deal=np.full(len(lc), -1),
        )
