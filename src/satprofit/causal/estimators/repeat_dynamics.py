"""The quarterly repeat-business process model (:mod:`satprofit.causal.repeat`): csat ->
re-business value and margin, and quality -> csat -> re-business (all three parts)."""

from __future__ import annotations

from satprofit.causal.estimators.base import EstimatorBase
from satprofit.causal.repeat import quality_path, repeat_dynamics
from satprofit.causal.support import NotEstimable

#: Starts of the data refusals :mod:`satprofit.causal.repeat` raises as ``ValueError``.
_REFUSALS = ("only ", "too few ", "the satisfaction stage", "the clients")


class RepeatDynamics(EstimatorBase):
    """Lagged quarterly model of repeat business, written for the two re-business questions.

    The analysis table is built and support-checked first (a refusal names its units); the
    model then builds its own quarterly panel.
    """

    name = "repeat_dynamics"
    label = "quarterly repeat-business model"
    short_label = "repeat dynamics"
    kinds = frozenset({"continuous"})
    paths = True
    questions = frozenset({"csat_to_repeat", "quality_to_repeat"})

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        q, _, part = estimand.partition(".")
        try:
            if q == "quality_to_repeat":
                return quality_path(portfolio, seed=seed)
            return repeat_dynamics(portfolio, part)
        except ValueError as err:
            if str(err).startswith(_REFUSALS):
                raise NotEstimable(str(err)) from err
            raise
