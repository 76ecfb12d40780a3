"""The :class:`Estimator` protocol, a base class that states applicability, and the registry.

An estimator declares what it answers and what it needs; :mod:`satprofit.causal.api` looks it
up by name and runs it in isolation (support checks before, refusals and failures recorded,
never raised). Adding one is one file in this package and one ``register`` line in its
``__init__``; nothing else names estimators (methods per question, report labels and the
path-method split are all read from the registry).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from satprofit.questions import TREATMENT_KINDS, QuestionSpec

if TYPE_CHECKING:
    from satprofit.causal.results import CausalEstimate
    from satprofit.features.questions import QuestionTable
    from satprofit.io import Portfolio

__all__ = ["REQUIREMENTS", "Estimator", "EstimatorBase", "Registry"]

#: The data requirements an estimator may declare (``Estimator.requires``).
REQUIREMENTS: dict[str, str] = {
    "table": (
        "the estimand's analysis table (satprofit.features.questions.question_table); the API "
        "builds it, refuses when satprofit.causal.support.check_table fails, and passes it to "
        "fit as ``table``"
    ),
    "mediator": "a question whose spec names a mediator (it has direct and indirect parts)",
}


@runtime_checkable
class Estimator(Protocol):
    """What :func:`satprofit.causal.estimate` needs of an estimator.

    Attributes
    ----------
    name : str
        Method id, as results, runs and ``--method`` name it (``"regression"``).
    label : str
        Plain name for reports ("regression adjustment (g-computation)").
    short_label : str
        Name on a plot's axis ("regression").
    kinds : frozenset of str
        Treatment kinds it applies to (of :data:`satprofit.questions.TREATMENT_KINDS`).
    requires : frozenset of str
        Data requirements, of :data:`REQUIREMENTS`.
    paths : bool
        Answers a question's mediated parts (natural direct and indirect effects) together
        with its total in one fit; other estimators answer the total alone.
    """

    name: str
    label: str
    short_label: str
    kinds: frozenset[str]
    requires: frozenset[str]
    paths: bool

    def applies_to(self, spec: QuestionSpec) -> bool:
        """Whether it can answer the question of ``spec``."""
        ...

    def fit(
        self,
        portfolio: Portfolio,
        estimand: str,
        *,
        table: QuestionTable | None,
        seed: int,
        n_boot: int,
        refutations: bool,
    ) -> CausalEstimate | Mapping[str, CausalEstimate]:
        """Estimate ``estimand`` (``question`` or ``question.part``).

        ``table`` is the support-checked analysis table when ``"table"`` is required, else
        None. Returns one estimate, or for a path estimator a mapping of every part it fitted
        (the API keeps the parts asked for). Raise
        :class:`~satprofit.causal.support.NotEstimable` with a plain-language reason when the
        data cannot support the estimate; anything else raised is recorded as a failure.
        """
        ...


class EstimatorBase:
    """Shared declarations: applicability from treatment kinds, requirements and, for an
    estimator written for particular questions, their ids.

    Subclasses set the class attributes and write :meth:`fit`.
    """

    name: str
    label: str
    short_label: str
    kinds: ClassVar[frozenset[str]] = frozenset()
    requires: ClassVar[frozenset[str]] = frozenset({"table"})
    paths: ClassVar[bool] = False
    #: Question ids it is written for (None: any question of its kinds).
    questions: ClassVar[frozenset[str] | None] = None

    def applies_to(self, spec: QuestionSpec) -> bool:
        """Its kinds hold the question's treatment kind, the question is one it is written for
        (when it names them), and a mediator exists when it requires one."""
        if self.questions is not None and spec.id not in self.questions:
            return False
        if "mediator" in self.requires and spec.mediator is None:
            return False
        return spec.treatment_kind in self.kinds

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<estimator {self.name}>"


class Registry(Mapping):
    """Estimators by name, in the order :data:`satprofit.causal.METHODS` lists alternatives."""

    def __init__(self) -> None:
        self._by_name: dict[str, Estimator] = {}

    def register(self, estimator: Estimator, *, replace: bool = False) -> Estimator:
        """Add ``estimator`` (last in order); a name already taken needs ``replace=True``.

        Raises
        ------
        TypeError
            When it does not implement :class:`Estimator`.
        ValueError
            For a taken name, an unknown treatment kind or an unknown requirement.
        """
        if not isinstance(estimator, Estimator):
            raise TypeError(f"{estimator!r} does not implement the Estimator protocol")
        if estimator.name in self._by_name and not replace:
            raise ValueError(f"an estimator named {estimator.name!r} is already registered")
        if unknown := set(estimator.kinds) - set(TREATMENT_KINDS):
            raise ValueError(f"{estimator.name}: unknown treatment kinds {sorted(unknown)}")
        if unknown := set(estimator.requires) - set(REQUIREMENTS):
            raise ValueError(f"{estimator.name}: unknown requirements {sorted(unknown)}")
        self._by_name[estimator.name] = estimator
        return estimator

    def unregister(self, name: str) -> Estimator:
        """Remove and return the estimator called ``name``."""
        return self._by_name.pop(name)

    def __getitem__(self, name: str) -> Estimator:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise KeyError(f"unknown estimator {name!r}; known: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def applicable(self, spec: QuestionSpec) -> tuple[Estimator, ...]:
        """The estimators that answer ``spec``'s question, in registry order."""
        return tuple(e for e in self._by_name.values() if e.applies_to(spec))
