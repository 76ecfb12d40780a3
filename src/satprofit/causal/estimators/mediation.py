"""Mediation analysis: :func:`satprofit.causal.mediation.mediation`, total, natural direct and
natural indirect effects in one fit, always with client fixed effects."""

from __future__ import annotations

from satprofit.causal.estimators.backdoor import (
    attach,
    plan_adjustment,
    refutations_of,
    within_variance_share,
)
from satprofit.causal.estimators.regression import Regression
from satprofit.causal.mediation import PARTS, mediation
from satprofit.causal.support import require_residual_variation, require_within_variation


class Mediation(Regression):
    """Two linear client fixed-effects models (mediator, outcome) with a client bootstrap.

    Refutations refit the total effect by regression adjustment (the mediation fit has no
    single adjusted contrast to perturb).
    """

    name = "mediation"
    label = "mediation analysis"
    short_label = "mediation"
    kinds = frozenset({"continuous"})
    requires = frozenset({"table", "mediator"})
    paths = True

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        plan = plan_adjustment(table)
        require_within_variation(table)
        require_residual_variation(table, within_variance_share(table), "client fixed effects")
        parts = mediation(
            table,
            plan.adjustment,
            n_boot=n_boot,
            seed=seed,
            identified=plan.identified,
            note=plan.note,
        )
        if refutations:
            fit = self.fitter(plan, seed)  # regression adjustment of the total effect
            checks = refutations_of(table, plan.adjustment, fit, fit(table, plan.adjustment), seed)
            parts = {k: attach(r, checks) for k, r in parts.items()}
        return {k: parts[k] for k in PARTS}
