"""Doubly robust weighting: :func:`satprofit.causal.aipw.aipw`, the outcome models on the whole
back-door set, the propensity model on the confounders alone (moderate weights)."""

from __future__ import annotations

from satprofit.causal.aipw import aipw
from satprofit.causal.estimators.backdoor import BackdoorEstimator


class AIPW(BackdoorEstimator):
    """Augmented inverse-probability weighting with cross-fitting (binary treatments)."""

    name = "aipw"
    label = "doubly robust weighting (AIPW)"
    short_label = "AIPW"
    kinds = frozenset({"binary"})

    def fit_adjusted(self, table, adjustment, plan, *, note, seed):
        propensity = tuple(c for c in plan.minimal if c in adjustment) or adjustment
        return aipw(
            table,
            adjustment,
            propensity_adjustment=propensity,
            seed=seed,
            identified=plan.identified,
            note=note,
        )
