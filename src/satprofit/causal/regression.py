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
Client fixed effects are absorbed by the within transformation.
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from satprofit.causal.design import covariates, demean
from satprofit.causal.results import CausalEstimate, finish
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
    """g(t, x): t, t^2 (continuous only), and t times each moderator."""
    parts = [t[:, None]]
    if not binary:
        parts.append((t**2)[:, None])
    if mods.shape[1]:
        parts.append(t[:, None] * mods)
    return np.hstack(parts)


def regression_adjustment(
    qt: QuestionTable,
    adjustment: tuple[str, ...],
    *,
    client_fe: bool = True,
    moderators: tuple[str, ...] | None = None,
    method: str = "regression",
    identified: bool = True,
    note: str = "",
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
    """
    d = qt.data
    if len(d) < 10:
        raise ValueError(f"{qt.estimand}: only {len(d)} units; too few to estimate")
    binary = qt.treatment_kind == "binary"
    y = d[qt.outcome].to_numpy(float)
    t = d[qt.treatment].to_numpy(float)
    cov = covariates(qt, adjustment, client_fe=client_fe)
    mods, mod_names = moderator_matrix(
        qt, MODERATORS.get(qt.estimand, ()) if moderators is None else moderators
    )
    g = treatment_terms(t, mods, binary)
    if client_fe:
        x, yy = demean(np.hstack([g, cov.matrix]), cov.clusters), demean(y, cov.clusters)
    else:
        x, yy = np.hstack([np.ones((len(d), 1)), g, cov.matrix]), y
    lead = g.shape[1] + (0 if client_fe else 1)
    x = full_rank(x, lead)
    fit = sm.OLS(yy, x).fit(cov_type="cluster", cov_kwds={"groups": cov.clusters})
    if binary:
        hi, lo = np.ones_like(t), np.zeros_like(t)
    else:
        hi, lo = t + qt.delta / 2, t - qt.delta / 2
    contrast = (treatment_terms(hi, mods, binary) - treatment_terms(lo, mods, binary)).mean(0)
    L = np.zeros(x.shape[1])
    offset = 0 if client_fe else 1
    L[offset : offset + g.shape[1]] = contrast
    est = float(L @ fit.params) * qt.outcome_scale
    se = float(np.sqrt(L @ fit.cov_params() @ L)) * qt.outcome_scale
    n_clusters = int(cov.clusters.max() + 1)
    diagnostics = {
        "moderators": mod_names,
        "n_covariates": cov.matrix.shape[1],
        "r2_within" if client_fe else "r2": float(fit.rsquared),
        "treatment_within_share": _within_share(t, cov.clusters) if client_fe else 1.0,
    }
    return finish(
        qt.estimand,
        qt.unit_label,
        method,
        est,
        se,
        n=len(d),
        n_clusters=n_clusters,
        adjustment=cov.used,
        dof=float(fit.df_resid),
        sd_outcome=float(np.std(y) * qt.outcome_scale),
        diagnostics=diagnostics,
        identified=identified,
        note=note,
    )


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
    with cluster-robust standard errors. Shown beside the estimates to make confounding
    visible; never a recommended estimate."""
    return regression_adjustment(qt, (), client_fe=False, moderators=(), method="naive")
