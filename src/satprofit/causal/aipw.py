r"""Doubly robust AIPW for binary treatments, with cross-fitting and overlap diagnostics.

.. math::

    \hat\tau = \frac1n \sum_i \Big[\hat\mu_1(x_i) - \hat\mu_0(x_i)
      + \frac{T_i (Y_i - \hat\mu_1(x_i))}{\hat e(x_i)}
      - \frac{(1 - T_i)(Y_i - \hat\mu_0(x_i))}{1 - \hat e(x_i)}\Big]

Nuisance models (scikit-learn) are fitted on the other folds of a client-grouped K-fold split
(cross-fitting), so no unit's nuisance predictions use its own client's data. The propensity is
an L2-penalized logistic regression on the confounders (``PROPENSITY_C``), each arm's outcome
a ridge regression on confounders and precision covariates with its penalty chosen by
cross-validation, on one-hot categoricals and standardized numeric covariates; categoricals with more than
:data:`~satprofit.causal.design.MAX_DENSE_LEVELS` levels (owners, teams) stay sparse.

Trimming rule: propensities are clipped to [0.02, 0.98] (no unit is dropped, so the estimand
stays the ATE over all units); the share of clipped units is reported, and above 10 % the
result carries an overlap warning; when more than
:data:`~satprofit.causal.support.MAX_EXTREME_SHARE` of units have a propensity within
:data:`~satprofit.causal.support.EXTREME_PROPENSITY` of 0 or 1 (separation) the estimate is
refused (:func:`~satprofit.causal.support.require_overlap`). The standard error is the
cluster-robust (by client) standard deviation of the efficient influence function.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GroupKFold

from satprofit.causal.design import MAX_DENSE_LEVELS, AdjustmentDesign, adjustment_design
from satprofit.causal.results import CausalEstimate, finish, refusal_figure, require_diagnostic
from satprofit.causal.support import NotEstimable, require_overlap, wording
from satprofit.constants import DEFAULT_SEED
from satprofit.features.questions import QuestionTable

CLIP = (0.02, 0.98)
#: Inverse L2 penalty of the propensity model on standardized covariates: moderate shrinkage
#: keeps weights stable when teams or owners have few deals.
PROPENSITY_C = 0.5


def aipw(
    qt: QuestionTable,
    adjustment: tuple[str, ...],
    *,
    propensity_adjustment: tuple[str, ...] | None = None,
    n_folds: int = 5,
    seed: int = DEFAULT_SEED,
    identified: bool = True,
    note: str = "",
    max_dense_levels: int = MAX_DENSE_LEVELS,
) -> CausalEstimate:
    """AIPW estimate of the average treatment effect of a binary treatment.

    ``adjustment`` feeds the outcome models; ``propensity_adjustment`` (default: the same) the
    propensity model. Passing only the confounders there, and the precision covariates to the
    outcome models alone, keeps weights moderate without giving up double robustness.
    """
    if qt.treatment_kind != "binary":
        raise ValueError(f"AIPW needs a binary treatment; {qt.estimand} is continuous")
    d = qt.data
    y = d[qt.outcome].to_numpy(float)
    t = d[qt.treatment].to_numpy(float)
    design = partial(
        adjustment_design, client_fe=False, max_dense_levels=max_dense_levels, exact_rank=False
    )
    cov = design(qt, _no_fe(adjustment))
    x = _features(cov)
    padj = adjustment if propensity_adjustment is None else propensity_adjustment
    xp = _features(design(qt, _no_fe(padj)))
    groups = cov.clusters
    n_groups = groups.max() + 1
    if n_groups < n_folds or t.min() == t.max():
        raise NotEstimable(
            f"the weighting estimate needs units from at least {n_folds} clients, some with "
            f"and some without {wording(qt.estimand).treatment}"
        )
    e = np.empty(len(d))
    mu0 = np.empty(len(d))
    mu1 = np.empty(len(d))
    folds = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    alphas = np.logspace(-2, 3, 12)
    for train, test in folds.split(x, t, groups):
        ps = LogisticRegression(C=PROPENSITY_C, max_iter=5000).fit(xp[train], t[train])
        e[test] = ps.predict_proba(xp[test])[:, 1]
        for arm, out in ((0, mu0), (1, mu1)):
            idx = train[t[train] == arm]
            out[test] = RidgeCV(alphas=alphas).fit(x[idx], y[idx]).predict(x[test])
    require_overlap(qt, e)
    clipped = (e < CLIP[0]) | (e > CLIP[1])
    e = np.clip(e, *CLIP)
    psi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
    tau = psi.mean()
    dev = psi - tau
    cluster_sums = np.bincount(groups, weights=dev, minlength=n_groups)
    se = np.sqrt((cluster_sums**2).sum()) / len(d) * np.sqrt(n_groups / (n_groups - 1))
    diagnostics = {
        "propensity": e,
        "treated": t.astype(bool),
        "clip": CLIP,
        "share_clipped": float(clipped.mean()),
        "overlap_warning": bool(clipped.mean() > 0.10),
        "propensity_range": (float(e.min()), float(e.max())),
        "n_folds": n_folds,
    }
    scale = qt.outcome_scale
    return finish(
        qt.estimand,
        qt.unit_label,
        "aipw",
        tau * scale,
        se * scale,
        n=len(d),
        n_clusters=int(n_groups),
        adjustment=cov.used,
        sd_outcome=float(y.std() * scale),
        diagnostics=diagnostics,
        identified=identified,
        note=note,
    )


def _no_fe(columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in columns if "FE" not in c)


def _features(des: AdjustmentDesign):
    """Standardized covariates for the nuisance models: a dense array, or, when
    high-cardinality factors (owners, teams) are in the set, a sparse matrix with their
    one-hot columns scaled to unit variance (not centred, so they stay sparse; both models
    have an unpenalized or centred intercept, so the fit is that of standardized columns)."""
    dense = _standardize(des.matrix)
    if not des.factors:
        return dense
    blocks = [sparse.csr_matrix(dense)]
    for codes in des.factors:
        n_levels = int(codes.max()) + 1
        share = np.bincount(codes, minlength=n_levels) / len(codes)
        sd = np.sqrt(share * (1 - share))
        scale = np.where(sd > 0, 1 / np.where(sd > 0, sd, 1.0), 0.0)
        one_hot = sparse.csr_matrix(
            (scale[codes], (np.arange(len(codes)), codes)), shape=(len(codes), n_levels)
        )
        blocks.append(one_hot[:, 1:])  # first level dropped, as for the dense dummies
    return sparse.hstack(blocks).tocsr()


def _standardize(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def plot_overlap(result: CausalEstimate, *, bins: int = 30, ax=None):
    """Propensity histogram by treatment group, with the clipping bounds. Returns the figure
    (for a refused or failed estimate, a figure that says why)."""
    import matplotlib.pyplot as plt

    if not result.ok:
        return refusal_figure(result, ax=ax)
    require_diagnostic(result, "propensity", "plot_overlap", "an AIPW estimate's propensities")
    e = result.diagnostics["propensity"]
    t = result.diagnostics["treated"]
    fig = ax.figure if ax is not None else plt.figure(figsize=(6, 3.5))
    ax = ax or fig.add_subplot()
    edges = np.linspace(0, 1, bins + 1)
    ax.hist(e[~t], bins=edges, alpha=0.6, label="not treated", density=True)
    ax.hist(e[t], bins=edges, alpha=0.6, label="treated", density=True)
    for bound in result.diagnostics["clip"]:
        ax.axvline(bound, color="grey", ls=":", lw=1)
    ax.set_xlabel("estimated propensity")
    ax.set_ylabel("density")
    ax.set_title(
        f"Overlap: {result.estimand} ({100 * result.diagnostics['share_clipped']:.1f}% clipped)"
    )
    ax.legend(fontsize=8)
    return fig
