"""Steps of client contact in quarter ``k``: status reports, meetings and reviews, and the
status-report rate of each project once it has finished.

Sales sends business status reports at the client's rate ``rho`` (size, tenure, the account
manager's diligence), on a cadence; with ``design.report_feedback`` the rate also reacts to the
client's trailing satisfaction (a feedback loop). Delivery reports on its running projects.
"""

from __future__ import annotations

import numpy as np

from satprofit.constants import DAYS_PER_MONTH
from satprofit.simulate.world import World


def current_projects(w: World, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Projects running in quarter ``k``.

    Returns
    -------
    running : ndarray
        Number of running projects per client.
    current : ndarray
        Row of each client's latest started running project (-1: none).
    """
    P = w.projects
    running = np.zeros(w.nc)
    current = np.full(w.nc, -1)
    if P.n:
        act = (P["start"] <= w.q_end[k]) & (P["end"] >= w.q_start[k])
        ac = P["client"][act]
        np.add.at(running, ac, 1)
        current[ac] = np.flatnonzero(act)  # the last written is the latest started
    return running, current


def interaction_rates(w: World, k: int, has_proj: np.ndarray, shared_on: np.ndarray) -> dict:
    """Quarterly rate per client of each kind of interaction.

    Returns
    -------
    dict
        ``(kind, sales present, delivery present)`` to the rate per client; ``None`` for
        presence drawn per interaction.
    """
    dz, size = w.design, w.size
    return {
        ("status_report", True, False): 3
        * w.rho
        * np.where(has_proj, 1.0, 0.15)
        * (np.exp(-dz.report_feedback * (w.t_prev[:, k] - 4)) if dz.report_feedback else 1.0),
        ("status_report", False, True): 3 * 0.7 * has_proj,
        ("sales_meeting", True, None): 3 * 0.35 * (1 + 0.15 * size),
        ("joint_meeting", True, True): 3 * 0.12 * (1 + 0.8 * shared_on) * has_proj,
        ("governance_review", None, True): 0.6 * has_proj,
    }


def draw_interactions(w: World, k: int) -> None:
    """Interactions of quarter ``k`` with active clients, each tied to the client's current
    project; sales status reports are also counted by day for the satisfaction windows.

    Sales reports follow a cadence (the quarter's expected count, randomly rounded); the other
    kinds are Poisson. A shared bonus pool in force brings delivery to more meetings.
    """
    rng, nc = w.rng, w.nc
    running, current = current_projects(w, k)
    has_proj = running > 0
    shared_on = k >= w.shared_q[w.bu]
    for (kind, sp, dp), rate in interaction_rates(w, k, has_proj, shared_on).items():
        if kind == "status_report" and sp:
            counts = np.floor(rate * w.active + rng.random(nc)).astype(int)
        else:
            counts = rng.poisson(rate * w.active)
        ic = np.repeat(np.arange(nc), counts)
        m = len(ic)
        iday = w.uniform_day(k, m)
        spv = np.full(m, sp) if sp is not None else rng.random(m) < 0.5
        dpv = np.full(m, dp) if dp is not None else rng.random(m) < 0.25 + 0.25 * shared_on[ic]
        w.interactions.add(
            client=ic,
            project=current[ic],
            day=iday,
            kind=np.full(m, kind, object),
            sales=spv.astype(bool),
            delivery=dpv.astype(bool),
        )
        if kind == "status_report" and sp:
            np.add.at(w.sr_daily, (ic, iday), 1)


def close_status_report_windows(w: World, k: int) -> None:
    """The sales status-report rate (per month) of projects finishing in quarter ``k``: their
    window is complete now. Draws nothing."""
    P = w.projects
    if not P.n:
        return
    done = P["finished"] & (w.quarter_of(P["end"]) == k)
    if done.any():
        rows = P["client"][done]
        s_, e_ = P["start"][done], P["end"][done]
        cnt = w.window_sum(np.cumsum(w.sr_daily, axis=1), rows, s_, e_)
        P["sr_rate"][done] = cnt / ((e_ - s_) / DAYS_PER_MONTH)
