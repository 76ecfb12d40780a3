r"""Mediation of quality's effect on repeat business through satisfaction.

Two linear fixed-effects models (client fixed effects absorbed), with the treatment's and the
mediator's effects on the outcome allowed to vary with client size:

.. math::

    M_i = \alpha_{c(i)} + a\,T_i + x_i^\top\gamma + u_i, \qquad
    Y_i = \alpha'_{c(i)} + c(x_i)\,T_i + b(x_i)\,M_i + x_i^\top\delta + v_i .

For a change of ``d`` in the treatment the natural direct effect of unit ``i`` is
:math:`c(x_i)\,d` and the natural indirect effect :math:`b(x_i)\,a\,d` (VanderWeele 2015,
ch. 2; linear models without treatment-mediator interaction, so the natural effects do not
depend on the reference level); the total is their sum. Averages are unweighted over units.
Intervals are percentile intervals of a client-cluster bootstrap (clients resampled with
replacement, both models refitted).

The mediator (``csat_next``: the client's trailing csat at quarters q..q+3) is missing where a
client gave no response in those windows; there it is set to the mean of the observed values
and an indicator enters both models.
"""

from __future__ import annotations

import numpy as np

from satprofit.causal.design import covariates, demean
from satprofit.causal.regression import full_rank, moderator_matrix
from satprofit.causal.results import CausalEstimate, finish
from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB
from satprofit.features.questions import QuestionTable
from satprofit.questions import estimand as estimand_spec

PARTS = ("total", "direct", "indirect")
MODERATORS = ("size=medium", "size=large", "size=enterprise")


def _effects(y, t, m, mods, x, groups, d) -> np.ndarray:
    """(total, direct, indirect) per +d for one (re)sample."""
    tm = t[:, None] * mods
    mm = m[:, None] * mods
    # mediator model
    xm = demean(np.hstack([t[:, None], x]), groups)
    xm = full_rank(xm, 1)
    a = np.linalg.lstsq(xm, demean(m, groups), rcond=None)[0][0]
    # outcome model
    lead = np.hstack([t[:, None], tm, m[:, None], mm])
    xy = full_rank(demean(np.hstack([lead, x]), groups), lead.shape[1])
    coef = np.linalg.lstsq(xy, demean(y, groups), rcond=None)[0]
    k = mods.shape[1]
    c0, cm = coef[0], coef[1 : 1 + k]
    b0, bm = coef[1 + k], coef[2 + k : 2 + 2 * k]
    direct = (c0 + mods @ cm) * d
    indirect = (b0 + mods @ bm) * a * d
    return np.array([(direct + indirect).mean(), direct.mean(), indirect.mean()])


def mediation(
    qt: QuestionTable,
    adjustment: tuple[str, ...],
    *,
    n_boot: int = 200,
    seed: int = DEFAULT_SEED,
    identified: bool = True,
    note: str = "",
) -> dict[str, CausalEstimate]:
    """Total, natural direct and natural indirect effects, one result per part."""
    if qt.mediator is None:
        raise ValueError(f"{qt.estimand} has no mediator")
    d = qt.data
    y = d[qt.outcome].to_numpy(float)
    t = d[qt.treatment].to_numpy(float)
    m_raw = d[qt.mediator].to_numpy(float)
    miss = np.isnan(m_raw)
    m = np.where(miss, np.nanmean(m_raw) if (~miss).any() else 0.0, m_raw)
    cov = covariates(qt, adjustment, client_fe=True)
    x = np.hstack([cov.matrix, miss[:, None].astype(float)]) if miss.any() else cov.matrix
    mods, mod_names = moderator_matrix(qt, MODERATORS)
    groups = cov.clusters
    point = _effects(y, t, m, mods, x, groups, qt.delta)

    rng = np.random.default_rng(seed)
    n_groups = groups.max() + 1
    members = np.split(
        np.argsort(groups, kind="stable"), np.cumsum(np.bincount(groups, minlength=n_groups))[:-1]
    )
    draws = np.empty((n_boot, 3))
    for b in range(n_boot):
        pick = rng.integers(0, n_groups, n_groups)
        rows = np.concatenate([members[g] for g in pick])
        new_groups = np.repeat(np.arange(n_groups), [len(members[g]) for g in pick])
        mb = moderator_matrix_rows(mods, rows)
        draws[b] = _effects(y[rows], t[rows], m[rows], mb, x[rows], new_groups, qt.delta)
    alpha = (1 - INTERVAL_PROB) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha], axis=0)
    se = draws.std(axis=0, ddof=1)
    out = {}
    base = qt.estimand.split(".")[0]
    for j, part in enumerate(PARTS):
        out[part] = finish(
            f"{base}.{part}",
            estimand_spec(f"{base}.{part}").unit,
            "mediation",
            float(point[j]) * qt.outcome_scale,
            float(se[j]) * qt.outcome_scale,
            n=len(d),
            n_clusters=int(n_groups),
            adjustment=cov.used,
            sd_outcome=float(y.std()),
            interval=(float(lo[j]) * qt.outcome_scale, float(hi[j]) * qt.outcome_scale),
            diagnostics={
                "n_boot": n_boot,
                "mediator": qt.mediator,
                "mediator_missing_share": float(miss.mean()),
                "moderators": mod_names,
                "bootstrap": draws[:, j],
            },
            identified=identified,
            note=note,
        )
    return out


def moderator_matrix_rows(mods: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Moderators of a bootstrap sample, re-centered on that sample."""
    mb = mods[rows]
    return mb - mb.mean(axis=0) if mb.shape[1] else mb
