"""Staggered difference-in-differences of the delivery lead bonus
(:func:`satprofit.causal.did.staggered_did`): the imputation estimator (``did``) and
Callaway-Sant'Anna (``did_cs``)."""

from __future__ import annotations

from satprofit.causal.did import staggered_did
from satprofit.causal.estimators.base import EstimatorBase


class StaggeredDiD(EstimatorBase):
    """ATT of a policy adopted at different dates; ``variant`` picks the estimator.

    Written for the delivery lead bonus (it builds its own business-unit lead panel), so it
    needs no analysis table.
    """

    kinds = frozenset({"policy"})
    requires = frozenset()
    questions = frozenset({"delivery_bonus_to_leads"})

    def __init__(self, variant: str, label: str, short_label: str) -> None:
        self.name = variant
        self.label = label
        self.short_label = short_label

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        return staggered_did(portfolio, method=self.name, n_boot=n_boot, seed=seed)


DID = StaggeredDiD("did", "staggered difference-in-differences", "DiD (imputation)")
DID_CS = StaggeredDiD("did_cs", "difference-in-differences (Callaway-Sant'Anna)", "DiD (C&S)")
