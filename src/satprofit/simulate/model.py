"""The structural equations the generator draws from and the truth intervenes on.

Constants of the structural model and the closed forms both sides need: the expected csat of a
latent satisfaction, the win probability and value factor of a decided repeat deal, and where a
deal decided in one quarter closes. :mod:`satprofit.simulate.truth` reads these, never the
generator's steps.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from satprofit.simulate.designs import Design

#: Cut points of the ordinal csat model (latent scale) and its intercept.
CSAT_CUTPOINTS = np.array([-3.0, -1.8, -0.3, 1.7])
CSAT_INTERCEPT = 0.3
#: Trailing csat / on-time rate assumed for a client-quarter with no responses / projects.
T_DEFAULT, Q_DEFAULT = 3.9, 0.75
#: Contract value scale by size band (currency) and its log-normal spread.
VALUE_SCALE = np.array([40_000.0, 120_000.0, 350_000.0, 900_000.0])
VALUE_SIGMA = 0.5
#: Base quarterly rate of repeat-business deals (the designs set their own, ``repeat_rate``).
REPEAT_BASE_RATE = 0.2
#: Strength of the confounding arrows into the sales status-report rate.
RHO_CONF = 0.5
#: Kinds of repeat deal and their shares.
REPEAT_TYPES = ("renewal", "add_on", "cross_sell")
#: Day index standing for "no date".
NA_DAY = -(10**9)


def expected_csat(eta: np.ndarray) -> np.ndarray:
    """Expected csat of a response under the ordinal model.

    Parameters
    ----------
    eta : array_like
        Latent satisfaction.

    Returns
    -------
    ndarray
        :math:`E[\\text{csat} \\mid \\eta] = 1 + \\sum_k P(\\text{csat} > k)`.
    """
    eta = np.asarray(eta, dtype=float)
    return 1.0 + expit(eta[..., None] - CSAT_CUTPOINTS).sum(axis=-1)


def win_probability(design: Design, multiplier, t_prev) -> np.ndarray:
    """Chance that a repeat deal decided at trailing csat ``t_prev`` is won.

    Parameters
    ----------
    design : Design
        The world; a win rate of 1 means every decided deal is won.
    multiplier : array_like
        The client's effect multiplier (its size band's, 1 without heterogeneity).
    t_prev : array_like
        Trailing csat at the decision.

    Returns
    -------
    ndarray
        Win probability per deal.
    """
    t = np.asarray(t_prev, dtype=float)
    if design.win_rate >= 1.0:
        return np.ones_like(t)
    base = np.log(design.win_rate / (1 - design.win_rate))
    return expit(base + design.csat_win_logit * np.asarray(multiplier) * (t - 4))


def deal_value_factor(design: Design, multiplier, t_prev) -> np.ndarray:
    """Expected won repeat value per decided deal relative to the size band's mean.

    Parameters
    ----------
    design : Design
        The world (win rate, satisfaction's effect on deal size).
    multiplier : array_like
        The client's effect multiplier.
    t_prev : array_like
        Trailing csat at the decision.

    Returns
    -------
    ndarray
        Win probability times the deal-size factor.
    """
    t = np.asarray(t_prev, dtype=float)
    size = np.exp(design.csat_value_logsize * np.asarray(multiplier) * (t - 4))
    return win_probability(design, multiplier, t) * size


def close_lag_matrix(design: Design, q_start: np.ndarray, q_end: np.ndarray) -> np.ndarray:
    """Where a repeat deal decided in one quarter closes.

    Parameters
    ----------
    design : Design
        The world (decision moment and close lag).
    q_start, q_end : ndarray
        First and last day index of each quarter.

    Returns
    -------
    ndarray
        ``P[k, r]``: probability that a deal decided in quarter ``k`` closes in quarter ``r``
        (identity when deals are decided in the quarter they close; column ``n`` collects
        closes after the data end). Exact over the uniform decision day and the uniform lag.
    """
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
