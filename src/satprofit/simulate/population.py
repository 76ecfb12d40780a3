"""Steps that draw the firm before the first quarter: clients, account managers, delivery
teams, when each client's first deal falls, and the business units' policies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.simulate import names
from satprofit.simulate.model import CSAT_INTERCEPT, RHO_CONF
from satprofit.simulate.world import World


def draw_clients(w: World) -> None:
    """Clients: size band, industry, region, business unit, tenure, latent health.

    Existing clients (``design.existing_share``) started 6 months to 6 years before the data;
    the others start in the first half of the data. Health (unobserved, constant per client)
    confounds satisfaction and repeat business. Every satisfaction effect is scaled by the
    client's size band (``design.size_heterogeneity``, 1 by default).

    Parameters
    ----------
    w : World
        Gains ``size``, ``industry``, ``region``, ``bu``, ``existing``, ``first_day``,
        ``tenure_z``, ``health``, ``ind_eff``, ``hm``, ``client_ids``.
    """
    rng, nc, nb, n_days = w.rng, w.nc, w.nb, w.n_days
    w.size = rng.choice(4, nc, p=[0.35, 0.35, 0.2, 0.1])
    w.industry = rng.choice(len(names.INDUSTRIES), nc)
    w.region = rng.choice(len(names.REGIONS), nc)
    w.bu = rng.choice(nb, nc)
    w.existing = rng.random(nc) < w.design.existing_share
    w.first_day = np.where(
        w.existing, -rng.integers(180, 6 * 365, nc), rng.integers(0, max(1, n_days // 2), nc)
    )
    tenure = np.log1p(np.maximum(-w.first_day, 0) / 365.25)
    w.tenure_z = (tenure - tenure.mean()) / (tenure.std() or 1.0)
    w.health = rng.normal(0.0, 0.5, nc)
    w.ind_eff = rng.normal(0.0, 0.2, len(names.INDUSTRIES))[w.industry]
    w.hm = np.asarray(w.design.size_heterogeneity, dtype=float)[w.size]
    w.client_ids = np.array([f"C{i + 1:05d}" for i in range(nc)], dtype=object)


def draw_account_managers(w: World) -> None:
    """Sales owners (three per business unit) and each client's status-report rate.

    Account managers differ: diligent ones report more and keep clients happier. The sales
    status-report rate grows with size, tenure and diligence (``conf`` scales the arrows).

    Parameters
    ----------
    w : World
        Gains ``owner``, ``owner_quality``, ``rho``.
    """
    rng, nc, nb = w.rng, w.nc, w.nb
    owners = names.person_names(rng, 3 * nb)
    owner_pos = 3 * w.bu + rng.integers(0, 3, nc)
    w.owner = np.array(owners, dtype=object)[owner_pos]
    w.owner_quality = rng.normal(0.0, 0.8, 3 * nb)[owner_pos]
    w.rho = 0.45 * np.exp(
        w.conf * RHO_CONF * (0.5 * (w.size - 1.1) + 0.6 * w.tenure_z + 0.7 * w.owner_quality)
        + rng.normal(0, 0.45, nc)
    )


def draw_teams(w: World) -> None:
    """Delivery teams (three per business unit) and their latent skill.

    Parameters
    ----------
    w : World
        Gains ``team_names``, ``skill``.
    """
    teams_by_bu = names.team_names(3, w.units)
    w.team_names = np.array([t for ts in teams_by_bu for t in ts], dtype=object)
    w.skill = w.rng.normal(0.0, 1.0, 3 * w.nb)


def client_satisfaction_base(w: World) -> None:
    r"""The client's part of every response's latent satisfaction.

    .. math::

       a_0 + h_c + \text{ind}_c + \text{conf}\,(0.3\,\text{size}_c + 0.5\,\text{tenure}_c
       + 0.9\,\text{owner}_c)

    Parameters
    ----------
    w : World
        Gains ``eta_client``.
    """
    w.eta_client = (
        CSAT_INTERCEPT
        + w.health
        + w.ind_eff
        + w.conf * (0.3 * w.size + 0.5 * w.tenure_z + 0.9 * w.owner_quality)
    )


def draw_onboarding(w: World) -> None:
    """The day of each client's first deal in the data.

    Existing clients renew once in the first half year (over the first year with
    ``design.opening_renewal``); new clients start with their new-logo deal.

    Parameters
    ----------
    w : World
        Gains ``onboard_day``, ``onboard_q``.
    """
    rng, nc, n_days = w.rng, w.nc, w.n_days
    w.onboard_day = np.where(w.existing, rng.integers(0, min(n_days, 180), nc), w.first_day)
    if w.design.opening_renewal:  # multi-year renewals spread over the first year
        w.onboard_day = np.where(w.existing, rng.integers(0, min(n_days, 365), nc), w.first_day)
    w.onboard_q = np.searchsorted(w.q_start, w.onboard_day, side="right") - 1


def draw_policies(w: World) -> None:
    """Business-unit policies: delivery lead bonus, pre-sales sign-off, shared bonus pool.

    About two thirds of the units adopt the delivery lead bonus at staggered quarters, those
    with a higher lead level first (selection on levels, not trends); its log effect ramps up
    over its first quarter. Half the units introduce a sign-off policy, a third a shared bonus
    pool, at random quarters.

    Parameters
    ----------
    w : World
        Gains ``bu_lead``, ``adopt_q``, ``bonus_tau``, ``signoff_q``, ``shared_q`` and the
        ``incentives`` table.
    """
    rng, nb, nq, eff = w.rng, w.nb, w.nq, w.effects
    w.bu_lead = rng.normal(0.0, 0.3, nb)
    order = np.argsort(-(w.bu_lead + rng.normal(0, 0.1, nb)))  # higher level adopts earlier
    n_adopt = max(1, round(2 * nb / 3))
    lo, hi = 2, max(2, nq - 3)
    w.adopt_q = np.full(nb, nq)
    w.adopt_q[order[:n_adopt]] = np.sort(rng.integers(lo, hi + 1, n_adopt)) if hi >= lo else nq
    tau_bu = eff.delivery_bonus_lograte * rng.uniform(
        1 - eff.delivery_bonus_spread, 1 + eff.delivery_bonus_spread, nb
    )
    since = np.arange(nq)[None, :] - w.adopt_q[:, None]
    w.bonus_tau = np.where(since < 0, 0.0, np.where(since == 0, 0.6, 1.0)) * tau_bu[:, None]
    w.signoff_q = np.where(rng.random(nb) < 0.5, rng.integers(0, nq, nb), nq)
    w.shared_q = np.where(rng.random(nb) < 0.35, rng.integers(0, nq, nb), nq)
    w.incentives = pd.DataFrame(
        [
            (w.units[b], pol, w.t0 + pd.Timedelta(days=int(w.q_start[q])))
            for pol, qs in (
                ("delivery_lead_bonus", w.adopt_q),
                ("presales_signoff", w.signoff_q),
                ("shared_bonus_pool", w.shared_q),
            )
            for b, q in enumerate(qs)
            if q < nq
        ],
        columns=["business_unit", "policy", "start_date"],
    )
