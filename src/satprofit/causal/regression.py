r"""Regression adjustment (g-computation) with fixed effects and cluster-robust inference.

The outcome is modelled linearly in the covariates and fixed effects, with the treatment
entering through terms :math:`g(t, x)` that let its effect vary with a few moderators (and, for
a continuous treatment, with its own level):

.. math::

    Y_i = \alpha_{c(i)} + g(T_i, x_i)^\top \beta + x_i^\top \gamma + \varepsilon_i,
    \qquad g(t, x) = (t,\ t^2,\ t\,m_1(x), \dots, t\,m_k(x)).

The estimand of QUESTIONS.md, the plain mean over units of
:math:`E[Y \mid do(T = t_i + d/2)] - E[Y \mid do(T = t_i - d/2)]`, is then the linear contrast
:math:`L^\top \beta` with :math:`L = \frac1n \sum_i g(t_i + d/2, x_i) - g(t_i - d/2, x_i)`
(:math:`g(1, x) - g(0, x)` for a binary treatment), so its standard error is
:math:`\sqrt{L^\top V L}` with :math:`V` statsmodels' cluster-robust covariance (clusters =
clients). A variance-weighted single slope is *not* what is reported when effects differ.
Client fixed effects, and categorical confounders with many levels (sales owners, delivery
teams), are absorbed by the within transformation (alternating projections when there are
several), never expanded into dummy columns; the remaining columns are fitted on the residuals
(Frisch-Waugh-Lovell), which gives the same coefficients and residuals as the dummy regression.

A continuous treatment that takes only two (or few) distinct values, e.g. the on-time rate of
projects with one milestone, gets no squared term: it would be collinear with the linear one.
Its "+d" effect is then the adjusted difference between the values scaled to +d (see
:func:`satprofit.causal.support.curvature`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.causal.design import (
    FE_CLIENT,
    MAX_DENSE_LEVELS,
    AdjustmentDesign,
    absorb,
    adjustment_design,
    demean,
)
from satprofit.causal.results import CausalEstimate, finish
from satprofit.causal.support import (
    MIN_UNITS,
    NotEstimable,
    curvature,
    require_residual_dof,
    require_residual_variation,
)
from satprofit.features.questions import QuestionTable

#: Effect modifiers (columns) the treatment is interacted with, per estimand. Size drives how
#: much repeat business is worth; baseline satisfaction drives how far csat can still move.
MODERATORS: dict[str, tuple[str, ...]] = {
    "presales_signoff": ("size_rank",),
    "quality_to_csat": ("size_rank", "tenure_years", "csat_prior"),
    "status_reports_to_csat": ("size_rank", "tenure_years", "csat_prior"),
    "sales_in_escalations": ("size_rank", "tenure_years", "csat_prior", "severity_rank"),
    "csat_to_repeat.value": ("size=medium", "size=large", "size=enterprise"),
    "csat_to_repeat.margin": (),
    "quality_to_repeat.total": ("size=medium", "size=large", "size=enterprise"),
}


def moderator_matrix(qt: QuestionTable, names: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Centered moderator columns (``size=<band>`` means an indicator of that size band)."""
    d = qt.data
    cols, used = [], []
    for name in names:
        if name.startswith("size="):
            if "size_band" not in d.columns:
                continue
            v = (d["size_band"] == name.split("=", 1)[1]).to_numpy(float)
        elif name in d.columns:
            v = d[name].to_numpy(float)
        else:
            continue
        if v.std() < 1e-12:
            continue
        cols.append(v - v.mean())
        used.append(name)
    return (np.column_stack(cols) if cols else np.zeros((len(d), 0))), used


def treatment_terms(t: np.ndarray, mods: np.ndarray, binary: bool) -> np.ndarray:
    """g(t, x): t, t^2 (unless ``binary``: binary or few-valued treatments have no curvature
    term), and t times each moderator."""
    parts = [t[:, None]]
    if not binary:
        parts.append((t**2)[:, None])
    if mods.shape[1]:
        parts.append(t[:, None] * mods)
    return np.hstack(parts)


@dataclass
class LinearFit:
    """OLS on (absorbed) columns with a cluster-robust covariance."""

    params: np.ndarray
    cov: np.ndarray
    df_resid: int
    r2: float
    n_columns: int  # columns kept (treatment terms first)
    sweeps: int  # absorption iterations (0: nothing absorbed, 1: one within transformation)


def regression_adjustment(
    qt: QuestionTable,
    adjustment: tuple[str, ...],
    *,
    client_fe: bool = True,
    moderators: tuple[str, ...] | None = None,
    method: str = "regression",
    identified: bool = True,
    note: str = "",
    max_dense_levels: int = MAX_DENSE_LEVELS,
) -> CausalEstimate:
    """Estimate ``qt``'s estimand by regression adjustment (see module docstring).

    Parameters
    ----------
    qt : QuestionTable
    adjustment : tuple of str
        Columns to adjust for (from :func:`satprofit.causal.dag.identify`).
    client_fe : bool
        Absorb client fixed effects (used when clients have several units).
    moderators : tuple of str, optional
        Effect modifiers; default :data:`MODERATORS` for the estimand.
    max_dense_levels : int
        Categorical confounders with more levels are absorbed, not expanded into dummies
        (:data:`satprofit.causal.design.MAX_DENSE_LEVELS`).

    Raises
    ------
    NotEstimable
        Too few units, too few residual degrees of freedom, or a treatment that does not vary
        once the adjustment set is partialled out.
    """
    d = qt.data
    if len(d) < MIN_UNITS:
        raise NotEstimable(f"only {len(d)} units; too few to estimate")
    binary = qt.treatment_kind == "binary"
    y = d[qt.outcome].to_numpy(float)
    t = d[qt.treatment].to_numpy(float)
    curved, shape_note = (False, "") if binary else curvature(qt, t)
    des = adjustment_design(qt, adjustment, client_fe=client_fe, max_dense_levels=max_dense_levels)
    mods, mod_names = moderator_matrix(
        qt, MODERATORS.get(qt.estimand, ()) if moderators is None else moderators
    )
    g = treatment_terms(t, mods, not curved)
    fit = fit_absorbed(qt, y, g, des)
    if binary:
        hi, lo = np.ones_like(t), np.zeros_like(t)
    else:
        hi, lo = t + qt.delta / 2, t - qt.delta / 2
    contrast = treatment_terms(hi, mods, not curved) - treatment_terms(lo, mods, not curved)
    offset = 0 if des.factors else 1
    L = np.zeros(fit.n_columns)
    L[offset : offset + g.shape[1]] = contrast.mean(0)
    est = float(L @ fit.params) * qt.outcome_scale
    se = float(np.sqrt(max(L @ fit.cov @ L, 0.0))) * qt.outcome_scale
    # each unit's own contrast (its moderators' and level's share of the average), by unit id
    ids = d[list(qt.unit)]
    unit_values = contrast @ fit.params[offset : offset + g.shape[1]] * qt.outcome_scale
    scale_diag: dict = {}
    if not binary and not curved:
        reading = _scale_reading(qt, t, est, se)
        if reading is not None:
            scale_diag = {"linear_reading": est, "linear_reading_se": se}
            scale_diag["latent_effect"] = reading.latent
            est, se = reading.estimate, reading.se
            unit_values = unit_values * reading.ratio
            shape_note = _SCALE_NOTE.format(ratio=reading.ratio)
    unit_effects = pd.Series(
        unit_values,
        index=pd.Index(ids.iloc[:, 0]) if ids.shape[1] == 1 else pd.MultiIndex.from_frame(ids),
        name="effect",
    )
    diagnostics = {
        "moderators": mod_names,
        "n_covariates": des.matrix.shape[1],
        "absorbed": des.factor_names,
        "absorb_sweeps": fit.sweeps,
        "absorbed_dof_exact": des.fe_rank_exact,
        "curvature_term": curved,
        "r2_within" if des.factors else "r2": fit.r2,
        "treatment_within_share": _within_share(t, des.clusters) if client_fe else 1.0,
        "unit_effects": unit_effects,
        **scale_diag,
    }
    return finish(
        qt.estimand,
        qt.unit_label,
        method,
        est,
        se,
        n=len(d),
        n_clusters=int(des.clusters.max() + 1),
        adjustment=des.used,
        dof=float(fit.df_resid),
        sd_outcome=float(np.std(y) * qt.outcome_scale),
        diagnostics=diagnostics,
        identified=identified,
        note="; ".join(s for s in (note, shape_note) if s),
    )


#: How a two-valued treatment's difference read on the csat scale is explained.
_SCALE_NOTE = (
    "the treatment takes (almost) only two values here, so the data show the adjusted difference "
    "between them; it is read as the effect of the question's step through a cumulative-logit "
    "model of the 1-5 scale, which allows for the scale's ceiling ({ratio:.2f} times the "
    "difference scaled linearly)"
)


def _scale_reading(qt: QuestionTable, t: np.ndarray, est: float, se: float):
    """The csat-scale reading of a two-valued (or almost two-valued) treatment's difference
    between its two most common values (:func:`satprofit.causal.scale.read_on_scale`), or None
    where it does not apply: tables whose outcome is a mean csat carry the pooled answers in
    ``qt.extra["csat"]`` and each unit's ``responses`` (the project questions); others do not."""
    from satprofit.causal.scale import read_on_scale

    values, counts = np.unique(np.round(t, 9), return_counts=True)
    csat = qt.extra.get("csat")
    if len(values) < 2 or csat is None or "responses" not in qt.data.columns:
        return None
    if qt.outcome_scale != 1:  # the reading is in the outcome's own units (csat points)
        return None
    values = np.sort(values[np.argsort(counts, kind="stable")[-2:]])
    width = float(values[1] - values[0])
    diff, diff_se = est * width / qt.delta, se * width / qt.delta
    d = qt.data.assign(**{qt.treatment: t})
    return read_on_scale(
        d,
        qt.treatment,
        diff,
        diff_se,
        qt.delta,
        csat,
        outcome=qt.outcome,
        lo=float(values[0]),
        hi=float(values[1]),
    )


def fit_absorbed(
    qt: QuestionTable, y: np.ndarray, lead: np.ndarray, des: AdjustmentDesign
) -> LinearFit:
    r"""OLS of ``y`` on the treatment terms ``lead``, the dense covariates and the absorbed
    factors, by Frisch-Waugh-Lovell: the factors are partialled out of every column
    (:func:`satprofit.causal.design.absorb`), then OLS on the residuals. Without absorbed
    factors an intercept comes first.

    The covariance is the cluster-robust sandwich with statsmodels' small-sample factor
    :math:`G/(G-1)\,(N-1)/(N-K)`, :math:`K` counting the columns and the absorbed fixed
    effects other than the client's (those are nested in the clusters: reghdfe's convention,
    and what the within transformation did before), so it equals statsmodels'
    ``cov_type="cluster"`` on the same regression with those factors expanded into dummies.
    """
    n = len(y)
    if not des.factors:
        lead = np.hstack([np.ones((n, 1)), lead])
    z, sweeps = absorb(np.hstack([lead, des.matrix, y[:, None]]), des.factors)
    z, yy = z[:, :-1], z[:, -1]
    k_lead = lead.shape[1]
    x = _drop_absorbed(z, np.hstack([lead, des.matrix]), k_lead)
    x = full_rank(x, k_lead)
    _check_lead(qt, lead[:, 0 if des.factors else 1], x, k_lead, des)
    k = x.shape[1]
    df_resid = require_residual_dof(qt, k + des.n_fe)
    xtx_inv = np.linalg.pinv(x.T @ x)
    params = xtx_inv @ (x.T @ yy)
    resid = yy - x @ params
    cov = cluster_cov(x, resid, des.clusters, xtx_inv, k + des.n_fe_unnested)
    tss = float(((yy - (0 if des.factors else yy.mean())) ** 2).sum())
    r2 = 1 - float(resid @ resid) / tss if tss > 0 else float("nan")
    return LinearFit(params, cov, df_resid, r2, k, sweeps)


def _check_lead(qt, raw: np.ndarray, x: np.ndarray, k_lead: int, des: AdjustmentDesign) -> None:
    """The treatment must keep some of its variance once the fixed effects and the other
    covariates are partialled out (``raw``: the treatment column before absorption; ``x``:
    the absorbed design, treatment terms first)."""
    j = 0 if des.factors else 1  # the treatment column (after the intercept, if any)
    total = float(np.var(raw))
    t = x[:, j]
    others = x[:, k_lead:] if des.factors else np.hstack([x[:, :1], x[:, k_lead:]])
    if others.shape[1]:
        t = t - others @ np.linalg.lstsq(others, t, rcond=None)[0]
    share = float(np.var(t) / total) if total > 0 else 0.0
    words = [_PLAIN.get(f, f.replace("_", " ")) for f in des.factor_names]
    require_residual_variation(qt, share, " and ".join([*words, "the other covariates"]))


#: How absorbed factors are named in a reason.
_PLAIN = {FE_CLIENT: "the client"}


def _drop_absorbed(z: np.ndarray, raw: np.ndarray, lead: int) -> np.ndarray:
    """Drop covariate columns the absorbed factors explain entirely (e.g. client-constant
    columns under client fixed effects): their residuals are rounding noise."""
    norm_raw = np.linalg.norm(raw - raw.mean(axis=0), axis=0)
    keep = np.linalg.norm(z, axis=0) > 1e-9 * np.maximum(norm_raw, 1e-300)
    keep[:lead] = True
    return z[:, keep]


def cluster_cov(
    x: np.ndarray, resid: np.ndarray, clusters: np.ndarray, xtx_inv: np.ndarray, k: int
) -> np.ndarray:
    r"""Cluster-robust covariance :math:`c\,B M B` with :math:`B = (X'X)^{-1}`,
    :math:`M = \sum_g X_g'u_g u_g'X_g` and :math:`c = G/(G-1)\,(N-1)/(N-K)`."""
    n = len(resid)
    n_groups = int(clusters.max()) + 1
    scores = x * resid[:, None]
    sums = np.stack(
        [
            np.bincount(clusters, weights=scores[:, j], minlength=n_groups)
            for j in range(x.shape[1])
        ],
        axis=1,
    )
    meat = sums.T @ sums
    c = n_groups / max(n_groups - 1, 1) * (n - 1) / max(n - k, 1)
    return c * xtx_inv @ meat @ xtx_inv


def full_rank(x: np.ndarray, lead: int) -> np.ndarray:
    """Drop covariate columns (after the first ``lead``) that are linear combinations of
    earlier ones (nested categories, dummies absorbed by fixed effects), by pivoted QR."""
    from scipy.linalg import qr

    if x.shape[1] <= lead:
        return x
    scale = np.maximum(np.abs(x).max(axis=0), 1e-12)
    resid = x[:, lead:] / scale[lead:]
    if lead:  # rank of the covariates given the leading (treatment) columns
        q_lead, _ = np.linalg.qr(x[:, :lead] / scale[:lead])
        resid = resid - q_lead @ (q_lead.T @ resid)
    _, r, piv = qr(resid, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > diag.max() * 1e-8).sum()) if len(diag) else 0
    keep = np.sort(piv[:rank])
    return np.hstack([x[:, :lead], x[:, lead:][:, keep]])


def _within_share(t: np.ndarray, groups: np.ndarray) -> float:
    total = np.var(t)
    return float(np.var(demean(t, groups)) / total) if total > 0 else 0.0


def naive(qt: QuestionTable) -> CausalEstimate:
    """No adjustment: difference of means (binary) or simple OLS slope times d (continuous),
    with cluster-robust standard errors; a two-valued treatment on the csat scale is read on
    that scale like the adjusted answer, so the two differ only by the adjustment. Shown beside
    the estimates to make confounding visible; never a recommended estimate."""
    return regression_adjustment(qt, (), client_fe=False, moderators=(), method="naive")
