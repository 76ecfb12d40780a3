r"""Steps of satisfaction: survey responses, their csat once every cause is known, and the
trailing state (csat and on-time rate over the past year) that drives repeat business.

A survey response's latent satisfaction is

.. math::

   \eta_r = \eta_c + h^m_c\,\beta_q (\text{ontime}_p - 0.75) \cdot 10
      + h^m_c\,\beta_{sr}\, \text{reports}_p - 0.06 (\text{defects}_p - 2)
      + \sum_{e:\ o_e < d_r \le o_e + 90} (-\kappa_{sev(e)} + \theta\, \text{sales}_e),

:math:`\eta_c` the client's part (:func:`~satprofit.simulate.population.client_satisfaction_base`);
responses without a project use the client's sales status-report rate over the 91 days before
them instead of the project terms. csat is ordinal,
:math:`P(\text{csat} \ge k) = \text{logit}^{-1}(\eta_r + \varepsilon_r - c_{k-1})`.
"""

from __future__ import annotations

import numpy as np

from satprofit.constants import DAYS_PER_MONTH
from satprofit.simulate.model import CSAT_CUTPOINTS, Q_DEFAULT, T_DEFAULT
from satprofit.simulate.world import World


def add_responses(w: World, client, project, rday) -> None:
    """New survey responses with their exogenous noise; csat is drawn later.

    Parameters
    ----------
    w : World
        Its ``responses`` grow.
    client, project, rday : ndarray
        Client position, project row (-1: not tied to a project) and day of each response.
    """
    rng, m = w.rng, len(client)
    w.responses.append(
        client=client,
        project=project,
        day=rday,
        eps=rng.logistic(0, 1, m),
        eps_nps=rng.logistic(0, 0.6, m),
        role=rng.integers(0, 5, m),
        eta=np.full(m, np.nan),
        eta_quality=np.full(m, np.nan),
        eta_reports=np.full(m, np.nan),
        eta_relationship=np.full(m, np.nan),
        csat=np.zeros(m, int),
        nps=np.full(m, np.nan),
        done=np.zeros(m, bool),
    )


def draw_satisfaction(w: World, k: int) -> None:
    """csat and nps of the responses dated up to quarter ``k``: all their causes are known now.

    Draws nothing from the generator (the noise was drawn with the response); adds the csat to
    the client-quarter sums the trailing state reads.

    Parameters
    ----------
    w : World
        Its pending responses gain ``eta``, ``csat``, ``nps`` and the parts of ``eta`` the
        survey items measure: ``eta_quality`` (on-time and defects of the project),
        ``eta_reports`` (status reports) and ``eta_relationship`` (client part and escalations).
    k : int
        Last quarter whose responses are complete.
    """
    R, P, eff, dz = w.responses, w.projects, w.effects, w.design
    if not R.n:
        return
    todo = np.flatnonzero(~R["done"] & (w.quarter_of(R["day"]) <= k))
    if not len(todo):
        return
    c, d, p = R["client"][todo], R["day"][todo], R["project"][todo]
    h = w.hm[c] if dz.heterogeneous else 1.0
    esc = w.window_sum(np.cumsum(w.esc_daily, axis=1), c, d - 90, d - 1)
    sr91 = w.window_sum(np.cumsum(w.sr_daily, axis=1), c, d - 91, d - 1)
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
    eta = w.eta_client[c] + proj_term + esc
    # The parts of eta the survey items measure (kept aside: eta itself is summed as ever).
    reports = np.where(
        tied,
        h * eff.status_report_csat * (P["sr_rate"][pp] if P.n else 0),
        h * eff.status_report_csat * sr91 / (91 / DAYS_PER_MONTH),
    )
    quality = np.where(
        tied,
        h * eff.quality_csat * 10 * (ontime - 0.75) - 0.06 * ((P["defects"][pp] if P.n else 0) - 2),
        0.0,
    )
    R["eta_quality"][todo] = quality
    R["eta_reports"][todo] = reports
    R["eta_relationship"][todo] = w.eta_client[c] + esc
    csat = 1 + (eta[:, None] + R["eps"][todo][:, None] > CSAT_CUTPOINTS).sum(axis=1)
    R["eta"][todo] = eta
    R["csat"][todo] = csat
    R["nps"][todo] = np.clip(np.round(5.5 + 1.5 * (eta + R["eps_nps"][todo])), 0, 10)
    R["done"][todo] = True
    np.add.at(w.resp_sum, (c, w.quarter_of(d)), csat)
    np.add.at(w.resp_n, (c, w.quarter_of(d)), 1)


def update_trailing_state(w: World, k: int) -> None:
    """The state before quarter ``k`` that repeat business reads.

    :math:`T_{c,k-1}`: mean csat of the client's responses in quarters ``k-4..k-1``;
    :math:`Q_{c,k-1}`: mean on-time rate of its projects finished then (3.9 and 0.75 without
    any); and the repeat log-rate without those terms, for clients onboarded before ``k``.

    Parameters
    ----------
    w : World
        Gains column ``k`` of ``t_prev``, ``q_prev``, ``loglam_base``.
    k : int
        Quarter, at least 1.
    """
    lo_q = max(0, k - 4)
    n_w = w.resp_n[:, lo_q:k].sum(axis=1)
    w.t_prev[:, k] = np.where(
        n_w > 0, w.resp_sum[:, lo_q:k].sum(axis=1) / np.maximum(n_w, 1), T_DEFAULT
    )
    pn = w.proj_n[:, lo_q:k].sum(axis=1)
    w.q_prev[:, k] = np.where(
        pn > 0, w.proj_sum[:, lo_q:k].sum(axis=1) / np.maximum(pn, 1), Q_DEFAULT
    )
    w.loglam_base[:, k] = np.where(
        w.onboard_q < k,
        np.log(w.design.repeat_rate) + w.conf * (0.25 * w.size + 0.1 * w.tenure_z) + 0.4 * w.health,
        -np.inf,
    )


def draw_client_responses(w: World, k: int) -> None:
    """Responses of quarter ``k`` not tied to a project: Poisson per active client at
    ``design.client_responses_rate``."""
    uc = np.repeat(np.arange(w.nc), w.rng.poisson(w.design.client_responses_rate * w.active))
    add_responses(w, uc, np.full(len(uc), -1), w.uniform_day(k, len(uc)))
