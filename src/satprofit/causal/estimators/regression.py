"""Regression adjustment (g-computation): :func:`satprofit.causal.regression.regression_adjustment`
on the graph's back-door set, with client fixed effects where usable."""

from __future__ import annotations

from satprofit.causal.estimators.backdoor import BackdoorEstimator
from satprofit.causal.regression import regression_adjustment


class Regression(BackdoorEstimator):
    """g-computation contrast of a linear outcome model (binary and continuous treatments)."""

    name = "regression"
    label = "regression adjustment (g-computation)"
    short_label = "regression"
    kinds = frozenset({"binary", "continuous"})

    def fit_adjusted(self, table, adjustment, plan, *, note, seed):
        return regression_adjustment(
            table, adjustment, client_fe=plan.client_fe, identified=plan.identified, note=note
        )
