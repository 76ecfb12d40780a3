"""Steps of delivery in quarter ``k``: the projects of the won deals, their milestones, defects,
change requests, cost and margin, the escalations during them and the survey responses after.

A project's on-time probability falls with client size (complexity), rises with team skill and
with pre-sales sign-off. Defects, change requests, overrun and escalations follow skill and
size, not the realised on-time rate, so setting the on-time rate moves nothing but what it
causes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from satprofit.constants import DAYS_PER_MONTH
from satprofit.simulate.deals import DealBatch
from satprofit.simulate.model import NA_DAY
from satprofit.simulate.satisfaction import add_responses
from satprofit.simulate.world import World


@dataclass
class NewProjects:
    """Projects started for the won deals of one quarter (positions ``pos`` in the batch)."""

    pos: np.ndarray  # position of the deal in its batch (won deals come first)
    client: np.ndarray
    team: np.ndarray
    signoff: np.ndarray
    months: np.ndarray
    start: np.ndarray
    planned: np.ndarray
    lin0: np.ndarray  # on-time log-odds without sign-off
    pi: np.ndarray  # on-time probability per milestone
    end: np.ndarray  # actual end (may lie after the data)
    finished: np.ndarray
    mp: np.ndarray | None = None  # milestones planned
    share: np.ndarray | None = None  # share of the project inside the data
    mot: np.ndarray | None = None  # milestones on time
    defects: np.ndarray | None = None
    cr: np.ndarray | None = None  # change requests
    overrun: np.ndarray | None = None
    margin_plan: np.ndarray | None = None
    rows: np.ndarray | None = None  # row of each project in the projects table

    @property
    def n(self) -> int:
        return len(self.pos)


def schedule_projects(w: World, b: DealBatch) -> NewProjects:
    """Duration, start, plan and actual end of one project per won deal.

    The slip follows the on-time *propensity*, so setting the realised rate moves no date.
    """
    rng, eff, nw, n_days = w.rng, w.effects, b.n_won, w.n_days
    pos = np.arange(nw)
    pc, pteam, ps = b.cc[pos], b.team[pos], b.signoff[pos]
    months = np.clip(np.exp(rng.normal(np.log(3 + 1.2 * w.size[pc]), 0.4)), 1.5, 18)
    start_d = np.minimum(b.close_day[pos] + rng.integers(0, 31, nw), n_days - 1)
    planned = start_d + np.round(months * DAYS_PER_MONTH).astype(int)
    u = rng.normal(0, 0.45, nw)
    lin0 = 1.0 + w.conf * (0.8 * w.skill[pteam] - 0.3 * w.size[pc]) + u
    pi = expit(lin0 + eff.signoff_logit * ps)
    slip = np.round(months * DAYS_PER_MONTH * (0.4 * (1 - pi) + rng.normal(0, 0.05, nw)))
    actual_full = np.maximum(planned + slip.astype(int), start_d + 20)
    return NewProjects(
        pos=pos,
        client=pc,
        team=pteam,
        signoff=ps,
        months=months,
        start=start_d,
        planned=planned,
        lin0=lin0,
        pi=pi,
        end=actual_full,
        finished=actual_full <= n_days - 1,
    )


def draw_milestones(w: World, p: NewProjects) -> None:
    """Milestones planned (4 % of projects plan none; exactly one with
    ``design.one_milestone``) and those met on time among the ones due in the data."""
    rng, n_days = w.rng, w.n_days
    mp = rng.poisson(1.5 + 0.9 * p.months)
    mp[rng.random(p.n) < 0.04] = 0
    if w.design.one_milestone:
        mp = np.ones(p.n, int)
    p.share = np.where(
        p.finished, 1.0, np.clip((n_days - 1 - p.start) / (p.end - p.start), 0.0, 1.0)
    )
    mp_done = np.where(p.finished, mp, np.floor(mp * p.share)).astype(int)
    p.mp = mp
    p.mot = rng.binomial(mp_done, p.pi)


def draw_project_quality(w: World, p: NewProjects) -> None:
    """Defects and change requests (size, skill, duration; sign-off cuts change requests) and
    the cost overrun they bring."""
    rng, conf, size, skill = w.rng, w.conf, w.size, w.skill
    p.defects = rng.poisson(
        np.exp(0.6 + conf * (0.3 * size[p.client] - 0.35 * skill[p.team]) + 0.35 * np.log(p.months))
    )
    p.cr = rng.poisson(
        np.exp(-0.3 + conf * 0.25 * size[p.client] + 0.25 * np.log(p.months) - 0.5 * p.signoff)
    )
    p.overrun = np.maximum(
        0.03 - 0.04 * skill[p.team] + 0.025 * p.cr + rng.normal(0, 0.06, p.n), -0.3
    )


def plan_margins(w: World, b: DealBatch, p: NewProjects) -> None:
    """Planned margin: repeat projects' rises by ``effects.csat_margin`` per trailing csat
    point; first deals plan 20 %."""
    repeat = p.pos >= b.nfirst
    p.margin_plan = np.where(
        repeat, 0.27 + w.effects.csat_margin * (w.t_prev[p.client, b.k] - 4), 0.2
    ) + w.rng.normal(0, 0.04, p.n)


def record_projects(w: World, b: DealBatch, p: NewProjects) -> None:
    """Write the projects (budget, cost, revenue from the deal value) and add the finished
    ones' on-time rates to the client-quarter sums of the trailing state."""
    P, value = w.projects, b.value[p.pos]
    ontime = np.where(p.finished & (p.mp > 0), p.mot / np.maximum(p.mp, 1), np.nan)
    p.rows = P.n + np.arange(p.n)
    P.append(
        client=p.client,
        deal=b.deal_pos[p.pos],
        team=p.team,
        start=p.start,
        planned_end=p.planned,
        end=p.end,
        finished=p.finished,
        budget=np.round(value * (1 - p.margin_plan), 2),
        cost=np.round(np.round(value * (1 - p.margin_plan), 2) * (1 + p.overrun) * p.share, 2),
        revenue=np.round(value * p.share, 2),
        mp=p.mp,
        mot=p.mot,
        defects=p.defects,
        cr=p.cr,
        lin0=p.lin0,
        signoff=p.signoff,
        repeat=p.pos >= b.nfirst,
        quarter=np.full(p.n, b.k),
        close_q=w.quarter_of(b.close_day[p.pos]),
        repeat_type=b.dtype[p.pos] != "new_logo",
        overrun=p.overrun,
        ontime=ontime,
        sr_rate=np.zeros(p.n),
    )
    ok = p.finished & (p.mp > 0)
    fq = w.quarter_of(p.end)
    np.add.at(w.proj_sum, (p.client[ok], fq[ok]), ontime[ok])
    np.add.at(w.proj_n, (p.client[ok], fq[ok]), 1)


def open_escalations(w: World, p: NewProjects) -> None:
    """Escalations during the projects: rate with defects, change requests and (low) skill;
    critical ones likelier with many defects; sales joins large, long-standing clients' and
    severe ones. Each moves the satisfaction of the client's responses in the 90 days after."""
    rng, n_days, eff, size, tz = w.rng, w.n_days, w.effects, w.size, w.tenure_z
    ne = rng.poisson(
        p.months * 0.07 * np.exp(0.1 * (p.defects - 2) + 0.12 * p.cr - 0.25 * w.skill[p.team])
    )
    ep = np.repeat(p.pos, ne)
    eday = p.start[ep] + np.floor(rng.random(len(ep)) * (p.end[ep] - p.start[ep] + 1)).astype(int)
    keep = eday <= n_days - 1
    ep, eday = ep[keep], eday[keep]
    u_sev = rng.random(len(ep))
    p_crit = 0.06 + 0.01 * np.minimum(p.defects[ep], 10)
    sev = np.select([u_sev < p_crit, u_sev < p_crit + 0.18, u_sev < p_crit + 0.52], [3, 2, 1], 0)
    pc = p.client
    sales = rng.random(len(ep)) < expit(
        -0.8 + w.conf * (0.4 * size[pc[ep]] + 0.3 * tz[pc[ep]]) + 1.2 * (sev >= 2)
    )
    effect = -np.asarray(eff.escalation_severity)[sev] + eff.sales_in_escalation_csat * sales
    res = eday + rng.integers(1, 41, len(ep))
    w.escalations.add(
        client=pc[ep],
        project=p.rows[ep],
        day=eday,
        resolved=np.where(res <= n_days - 1, res, NA_DAY),
        severity=sev,
        sales=sales,
        effect=effect,
    )
    np.add.at(w.esc_daily, (pc[ep], eday), effect)


def draw_project_responses(w: World, p: NewProjects) -> None:
    """Survey responses tied to finished projects (Binomial(3, ``responses_per_project``)),
    dated up to 45 days after the end."""
    rng = w.rng
    nr = np.where(p.finished, rng.binomial(3, w.design.responses_per_project, p.n), 0)
    rp = np.repeat(p.pos, nr)
    rday = p.end[rp] + rng.integers(1, 46, len(rp))
    keep = rday <= w.n_days - 1
    add_responses(w, p.client[rp[keep]], p.rows[rp[keep]], rday[keep])


def start_projects(w: World, b: DealBatch) -> None:
    """Every delivery step for the won deals of a quarter's batch, in the order of the draws."""
    if not b.n_won:
        return
    p = schedule_projects(w, b)
    draw_milestones(w, p)
    draw_project_quality(w, p)
    plan_margins(w, b, p)
    record_projects(w, b, p)
    open_escalations(w, p)
    draw_project_responses(w, p)
