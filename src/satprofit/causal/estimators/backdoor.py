"""Shared work of the estimators that adjust for a back-door set (regression, AIPW, mediation).

:func:`plan_adjustment` decides whether client fixed effects are usable, identifies the
adjustment set in the domain graph (:func:`satprofit.causal.dag.identify`) and words the note;
:class:`BackdoorEstimator` then fits, retries with the confounders alone when precision
covariates leave too few degrees of freedom, and attaches refutations when asked. A subclass
writes only :meth:`BackdoorEstimator.fit_adjusted`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from satprofit.causal.dag import DESIGNS, Identification, identify
from satprofit.causal.design import demean
from satprofit.causal.estimators.base import EstimatorBase
from satprofit.causal.refute import refute
from satprofit.causal.results import CausalEstimate
from satprofit.causal.support import MIN_CLUSTERS, TooFewDegrees, clients_with_variation
from satprofit.features.questions import QuestionTable

__all__ = [
    "FEWER_COVARIATES",
    "AdjustmentPlan",
    "BackdoorEstimator",
    "plan_adjustment",
    "use_client_fe",
    "within_variance_share",
]

#: Note added when precision covariates are left out because the units cannot carry them.
FEWER_COVARIATES = (
    "precision covariates left out: too few units to adjust for them as well as for the confounders"
)

Fit = Callable[..., CausalEstimate]


def use_client_fe(qt: QuestionTable) -> bool:
    """Whether client fixed effects are usable: the design allows them, clients have several
    units, enough clients vary in treatment, and >= 5 % of its variance is within clients."""
    d = qt.data
    if not DESIGNS[qt.question].client_fe or len(d) == 0:
        return False
    groups = pd.factorize(d[qt.cluster])[0]
    t = d[qt.treatment].to_numpy(float)
    if len(d) / (groups.max() + 1) < 1.5 or t.var() == 0:
        return False
    if clients_with_variation(qt) < MIN_CLUSTERS:
        return False
    return float(np.var(demean(t, groups)) / t.var()) >= 0.05


def within_variance_share(qt: QuestionTable) -> float:
    """Share of the treatment's variance left within clients."""
    t = qt.data[qt.treatment].to_numpy(float)
    groups = pd.factorize(qt.data[qt.cluster])[0]
    return float(np.var(demean(t, groups)) / t.var()) if t.var() > 0 else 0.0


@dataclass(frozen=True)
class AdjustmentPlan:
    """What a back-door estimator adjusts for on one table.

    Attributes
    ----------
    client_fe : bool
        Client fixed effects used.
    identification : Identification
        The graph's answer (adjustment columns, the confounders alone, identified or not).
    adjustment : tuple of str
        The identified columns present in the table.
    note : str
        Plain-language note on identification and fixed effects.
    """

    client_fe: bool
    identification: Identification
    adjustment: tuple[str, ...]
    note: str

    @property
    def identified(self) -> bool:
        return self.identification.identified

    @property
    def minimal(self) -> tuple[str, ...]:
        """The confounders alone (a valid back-door set without precision covariates)."""
        return self.identification.minimal_columns


def plan_adjustment(qt: QuestionTable) -> AdjustmentPlan:
    """Client fixed effects, the identified adjustment set and the note for ``qt``."""
    q = qt.question
    fe = use_client_fe(qt)
    ident = identify(q, client_fe=fe)
    adjustment = tuple(c for c in ident.columns if c in qt.data.columns)
    note = (
        ident.note
        if fe or not DESIGNS[q].client_fe
        else (
            "client fixed effects not usable (too few units per client or no treatment variation "
            "within clients); " + ident.note
        ).strip("; ")
    )
    return AdjustmentPlan(fe, ident, adjustment, note)


def fit_or_fewer(fit: Fit, qt, adjustment, minimal, note) -> tuple[CausalEstimate, tuple]:
    """Fit with ``adjustment``; when it leaves too few degrees of freedom, retry with the
    confounders alone (``minimal``, still a valid back-door set) and say so."""
    try:
        return fit(qt, adjustment), adjustment
    except TooFewDegrees:
        fewer = tuple(c for c in minimal if c in adjustment)
        if len(fewer) >= len(adjustment):
            raise
        return fit(qt, fewer, "; ".join(s for s in (note, FEWER_COVARIATES) if s)), fewer


def refutations_of(qt, adjustment, fit: Fit, original, seed) -> pd.DataFrame | str:
    """The refutation table, or the error's text when a refutation itself fails (the
    estimate is kept either way)."""
    try:
        return refute(qt, adjustment, fit, original, seed=seed)
    except Exception as err:  # refutations must not lose the estimate
        return f"{type(err).__name__}: {err}"


def attach(r: CausalEstimate, checks: pd.DataFrame | str) -> CausalEstimate:
    """``r`` with its refutation table, or with a note that the refutations failed."""
    if isinstance(checks, str):
        return replace(r, note="; ".join(s for s in (r.note, f"refutations failed: {checks}") if s))
    return r.with_refutations(checks)


class BackdoorEstimator(EstimatorBase):
    """An estimator of one estimand that adjusts for the graph's back-door set.

    Subclasses write :meth:`fit_adjusted`; fitting, the retry with fewer covariates and the
    refutations are done here.
    """

    requires = frozenset({"table"})

    def fit_adjusted(
        self,
        table: QuestionTable,
        adjustment: tuple[str, ...],
        plan: AdjustmentPlan,
        *,
        note: str,
        seed: int,
    ) -> CausalEstimate:
        """One fit of ``table`` adjusting for ``adjustment`` (``plan`` gives the rest)."""
        raise NotImplementedError

    def fitter(self, plan: AdjustmentPlan, seed: int) -> Fit:
        """``fit(table, adjustment, note=plan.note)``, as refutations call it."""

        def fit(table: QuestionTable, adj: tuple[str, ...], note: str = plan.note):
            return self.fit_adjusted(table, adj, plan, note=note, seed=seed)

        return fit

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        plan = plan_adjustment(table)
        fit = self.fitter(plan, seed)
        result, adjustment = fit_or_fewer(fit, table, plan.adjustment, plan.minimal, plan.note)
        if refutations:
            result = attach(result, refutations_of(table, adjustment, fit, result, seed))
        return result
