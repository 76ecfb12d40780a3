"""The unadjusted comparison (:func:`satprofit.causal.regression.naive`), shown beside the
estimates to make confounding visible; never a recommended estimate."""

from __future__ import annotations

from satprofit.causal.estimators.base import EstimatorBase
from satprofit.causal.regression import naive


class Naive(EstimatorBase):
    """Difference of means or simple slope times ``d``, cluster-robust (every question)."""

    name = "naive"
    label = "naive comparison (no adjustment)"
    short_label = "naive"
    kinds = frozenset({"binary", "continuous", "policy"})

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        return naive(table)
