"""Driver gains: how much a realistic improvement of a driver raises expected satisfaction.

A driver is a question the satisfaction model answers as a total effect (``quality_to_csat``,
``status_reports_to_csat``). Its gain is the change of expected csat (1..5) when the driver's
treatment moves by ``shift`` units, averaged over one client's survey responses (or, when the
client has none the model used, over every response), computed draw by draw from the posterior.
The client report places each driver by this gain; the maths lives here, beside the model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from satprofit.bayes.satisfaction import expected_csat

__all__ = ["GAIN_DRAWS", "csat_gains", "estimand_status"]

#: Posterior draws behind each gain.
GAIN_DRAWS = 1000


def estimand_status(result, estimand: str) -> tuple[str, str]:
    """Status and reason of one estimand of a Bayesian result (``ok`` when not recorded)."""
    e = result.effects
    if estimand not in e.index:
        return "not_estimable", "the model does not answer this question"
    row = e.loc[estimand]
    status = row.get("status", "ok")
    status = status if isinstance(status, str) else "ok"
    reason = row.get("reason", "")
    return status, reason if isinstance(reason, str) else ""


def csat_gains(
    fit,
    client_id: str,
    shifts: Mapping[str, tuple[str, float]],
    *,
    level: float = 0.80,
    draws: int = GAIN_DRAWS,
) -> tuple[dict, str]:
    """Total effect on expected csat of each driver's improvement, for one client.

    .. math::

        g_k = \\frac{1}{|R|} \\sum_{r \\in R}
              \\left( E[\\mathrm{csat}_r \\mid \\eta_r + \\beta_k s_k] - E[\\mathrm{csat}_r \\mid \\eta_r] \\right)

    per posterior draw, with :math:`R` the client's responses, :math:`\\beta_k` the slope of
    the driver's estimand (at the response's size band) and :math:`s_k` its shift.

    Parameters
    ----------
    fit : satprofit.bayes.fits.PortfolioFit
        Holding a fitted ``satisfaction`` model and its data.
    client_id : str
    shifts : mapping
        Driver key -> (estimand id, shift in units of the estimand's treatment).
    level : float
        Probability of the central interval.
    draws : int
        Posterior draws used.

    Returns
    -------
    gains : dict
        Driver key -> (median, low, high) of the gain, or -> ``"not estimable: reason"`` when
        the model cannot answer the driver's estimand.
    basis : {"client", "portfolio"}
        Whose responses the gains are averaged over: the client's own, or every response when
        the client has none tied to a finished project.
    """
    sd = fit.data["satisfaction"]
    res = fit.results["satisfaction"]
    eta, cut, _ = res.model.latent(res.idata, sd, draws)  # the fitted model, not a default
    mask = (sd.frame["client_id"] == client_id).to_numpy()
    basis = "client"
    if not mask.any():
        mask = np.ones(sd.n, bool)
        basis = "portfolio"
    e = eta[:, mask]
    base = expected_csat(e, cut).mean(axis=1)
    tail = (1 - level) / 2
    out: dict = {}
    for key, (estimand, shift) in shifts.items():
        status, reason = estimand_status(res, estimand)
        col = sd.effect_column(estimand)
        if status != "ok" or col is None:
            out[key] = f"not estimable: {reason or sd.refused.get(estimand, 'no estimate')}"
            continue
        slope = res.model.slopes(res.idata, sd, estimand, draws)[:, mask]  # the response's band
        moved = expected_csat(e + slope * shift, cut).mean(axis=1)
        lo, med, hi = np.quantile(np.asarray(moved - base, float), [tail, 0.5, 1 - tail])
        out[key] = (float(med), float(lo), float(hi))
    return out, basis
