"""Causal estimators: one small file each, one registry.

Every estimator implements :class:`~satprofit.causal.estimators.base.Estimator` (name, labels,
the treatment kinds it applies to, its data requirements, ``fit``) and is registered below, in
the order :data:`METHODS` lists the alternatives to a question's default. The API
(:mod:`satprofit.causal.api`) only looks estimators up; which methods answer a question, which
answer direct and indirect effects, and the labels reports print all come from here.

To add an estimator: write ``causal/estimators/<name>.py`` (a subclass of
:class:`~satprofit.causal.estimators.base.EstimatorBase`, or of
:class:`~satprofit.causal.estimators.backdoor.BackdoorEstimator` for a back-door adjustment)
and register it below. ``register``/``unregister`` also work at run time (tests do).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from satprofit.causal.estimators.aipw import AIPW
from satprofit.causal.estimators.base import REQUIREMENTS, Estimator, EstimatorBase, Registry
from satprofit.causal.estimators.did import DID, DID_CS
from satprofit.causal.estimators.mediation import Mediation
from satprofit.causal.estimators.naive import Naive
from satprofit.causal.estimators.regression import Regression
from satprofit.causal.estimators.repeat_dynamics import RepeatDynamics
from satprofit.questions import QUESTION_IDS
from satprofit.questions import question as question_spec

__all__ = [
    "DEFAULT_METHODS",
    "ESTIMATORS",
    "METHODS",
    "PATH_METHODS",
    "REQUIREMENTS",
    "Estimator",
    "EstimatorBase",
    "Registry",
    "methods_for",
    "path_methods_for",
    "register",
    "unregister",
]

#: Every causal estimator, by name.
ESTIMATORS = Registry()
ESTIMATORS.register(RepeatDynamics())
ESTIMATORS.register(Mediation())
ESTIMATORS.register(Regression())
ESTIMATORS.register(AIPW())
ESTIMATORS.register(DID)
ESTIMATORS.register(DID_CS)
ESTIMATORS.register(Naive())

register = ESTIMATORS.register
unregister = ESTIMATORS.unregister

#: The method each question uses unless told otherwise (one entry per question id).
DEFAULT_METHODS: dict[str, str] = {
    # g-computation beats AIPW here (RMSE 1.4 vs 2.8 pp over 12 simulated portfolios):
    # sign-off is strongly predicted by team skill, so inverse weights are large
    "presales_signoff": "regression",
    "quality_to_csat": "regression",
    "status_reports_to_csat": "regression",
    "sales_in_escalations": "aipw",
    "csat_to_repeat": "repeat_dynamics",
    # the quarterly process model: linear mediation with a 4-quarter moving outcome gave
    # intervals five times the effect, centred on the wrong sign (issue 10)
    "quality_to_repeat": "repeat_dynamics",
    "delivery_bonus_to_leads": "did",
}


def methods_for(question: str) -> tuple[str, ...]:
    """Methods that answer ``question`` (or an estimand id's question): the default first,
    then every other applicable estimator in registry order."""
    spec = question_spec(question)
    default = DEFAULT_METHODS[spec.id]
    others = (e.name for e in ESTIMATORS.applicable(spec) if e.name != default)
    return (default, *others)


def path_methods_for(question: str) -> tuple[str, ...]:
    """Methods that answer ``question``'s direct and indirect parts."""
    return tuple(m for m in methods_for(question) if ESTIMATORS[m].paths)


class _Methods(Mapping):
    """Question id -> its methods, read from the registry at each look-up."""

    def __getitem__(self, question: str) -> tuple[str, ...]:
        if question not in QUESTION_IDS:
            raise KeyError(question)
        return methods_for(question)

    def __iter__(self) -> Iterator[str]:
        return iter(QUESTION_IDS)

    def __len__(self) -> int:
        return len(QUESTION_IDS)

    def __repr__(self) -> str:
        return repr(dict(self))


class _PathMethods(Sequence):
    """Names of the registered path estimators, read from the registry at each look-up."""

    def _names(self) -> tuple[str, ...]:
        return tuple(name for name, e in ESTIMATORS.items() if e.paths)

    def __getitem__(self, i):
        return self._names()[i]

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


#: Methods each question can be answered with (a live view of the registry).
METHODS: Mapping[str, tuple[str, ...]] = _Methods()

#: Methods that answer a question's direct and indirect parts in one fit (a live view).
PATH_METHODS: Sequence[str] = _PathMethods()
