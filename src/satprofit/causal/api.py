"""One entry point for every question: ``estimate`` and ``estimate_all``.

Each question has a default method and may be asked with another; the methods are the
estimators of :mod:`satprofit.causal.estimators`, looked up by name in its registry
(:data:`DEFAULT_METHODS`, :data:`METHODS` and :data:`PATH_METHODS` come from there). Adjustment
sets come from the domain DAG (:mod:`satprofit.causal.dag`); client fixed effects are used where
the design allows (several units per client and treatment variation within clients).

Every estimand is computed in isolation and checked for support first
(:mod:`satprofit.causal.support`): the answer is an estimate, an honest refusal
(``not_estimable``, with a plain-language reason) or a recorded failure (``failed``, with the
error), never an exception that loses the other answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from satprofit.causal.estimators import (
    DEFAULT_METHODS,
    ESTIMATORS,
    METHODS,
    PATH_METHODS,
    Estimator,
    methods_for,
    path_methods_for,
)
from satprofit.causal.results import CausalEstimate, no_answer
from satprofit.causal.support import NotEstimable, check_result, check_table
from satprofit.constants import DEFAULT_SEED
from satprofit.features.questions import QuestionTable, question_table
from satprofit.io import Portfolio
from satprofit.questions import QUESTION_IDS, find_estimand
from satprofit.questions import question as question_spec

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "PATH_METHODS",
    "Estimates",
    "compare_methods",
    "estimand_ids_for",
    "estimate",
    "estimate_all",
    "unavailable",
]


@dataclass(frozen=True)
class Estimates:
    """Several :class:`CausalEstimate`, addressable by estimand id."""

    results: tuple[CausalEstimate, ...]

    def __iter__(self) -> Iterator[CausalEstimate]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, estimand: str) -> CausalEstimate:
        for r in self.results:
            if r.estimand == estimand:
                return r
        raise KeyError(estimand)

    def summary(self) -> pd.DataFrame:
        """One row per estimand: estimate, interval, unit, method, n, adjustment, sensitivity."""
        if not self.results:
            return pd.DataFrame()
        return pd.concat([r.summary() for r in self.results])

    def to_records(self) -> list[dict]:
        """JSON-ready records (the CLI's ``--json``)."""
        return [r.to_dict() for r in self.results]

    def plot(self, *, truth: dict[str, float] | None = None):
        """Forest plot: one panel per result (units differ), truth marked when given; panels
        share their axis when every result has the same unit (methods of one question side
        by side, as :func:`compare_methods` returns them)."""
        import matplotlib.pyplot as plt

        n = len(self.results)
        same_unit = len({r.unit for r in self.results}) == 1
        fig, axes = plt.subplots(
            n,
            1,
            figsize=(7, 1.3 * n + 0.5),
            squeeze=False,
            sharex=same_unit,
            constrained_layout=True,
        )
        for ax, r in zip(axes[:, 0], self.results, strict=True):
            r.plot(truth=None if truth is None else truth.get(r.estimand), ax=ax)
            ax.set_xlabel(r.unit, fontsize=8)
        return fig


def unavailable(estimand: str, method: str, reason: str) -> CausalEstimate:
    """A result saying the data cannot answer this estimand (reports show it as such)."""
    return no_answer(estimand, method, reason, status="not_estimable")


def estimand_ids_for(question: str, method: str) -> list[str]:
    """The estimand ids ``method`` answers for ``question``: every part for a path method,
    else every part but the mediated (direct, indirect) ones."""
    spec = question_spec(question)
    return list(spec.estimand_ids if ESTIMATORS[method].paths else spec.total_ids)


def _estimand_ids(question: str, method: str, part: str) -> list[str]:
    return [f"{question}.{part}"] if part else estimand_ids_for(question, method)


def estimate(
    portfolio: Portfolio,
    question: str,
    method: str | None = None,
    *,
    seed: int = DEFAULT_SEED,
    n_boot: int = 200,
    refutations: bool = False,
) -> Estimates:
    """Estimate one question (every part) or one estimand (``question.part``).

    Parameters
    ----------
    portfolio : Portfolio
    question : str
        A question id of QUESTIONS.md or an estimand id such as ``csat_to_repeat.margin``.
    method : str, optional
        A registered estimator that answers the question (:data:`METHODS`); default
        :data:`DEFAULT_METHODS`.
    seed : int
        Seed of cross-fitting splits and bootstraps.
    n_boot : int
        Bootstrap replicates (mediation, difference-in-differences).
    refutations : bool
        Also run placebo, random-common-cause and subset refutations.

    Returns
    -------
    Estimates
        One result per estimand asked for, always: an estimand the data cannot answer comes
        back with ``status="not_estimable"`` and a plain-language ``reason`` (support checks
        of :mod:`satprofit.causal.support`), one whose estimator raised with
        ``status="failed"`` and the error as ``reason``; NaN figures in both cases.

    Raises
    ------
    KeyError, ValueError
        Only for an unknown question or a method that does not answer it.
    """
    q, _, part = question.partition(".")
    method = _check_arguments(q, part, method)
    estimator = ESTIMATORS[method]
    wanted = _estimand_ids(q, method, part)
    # a path method answers a mediated question's parts in one fit; else one estimand a fit
    joint = estimator.paths and any(e.mediated for e in question_spec(q).estimands)
    jobs = [wanted] if joint else [[e] for e in wanted]
    out: list[CausalEstimate] = []
    for ids in jobs:
        results = _isolated(
            ids,
            method,
            lambda ids=ids: _run(
                estimator, portfolio, ids[0], seed=seed, n_boot=n_boot, refutations=refutations
            ),
        )
        out.extend(r for r in results if r.estimand in ids)
    return Estimates(tuple(out))


def _check_arguments(q: str, part: str, method: str | None) -> str:
    spec = question_spec(q)  # KeyError naming the known questions
    method = method or DEFAULT_METHODS[spec.id]
    methods = methods_for(q)
    if method not in methods:
        raise ValueError(f"method {method!r} does not answer {q}; use one of {', '.join(methods)}")
    target = find_estimand(f"{q}.{part}") if part else None
    if target is not None and target.mediated and not ESTIMATORS[method].paths:
        raise ValueError(
            f"direct and indirect effects need method {' or '.join(map(repr, path_methods_for(q)))}"
        )
    return method


def _isolated(
    estimands: list[str], method: str, compute: Callable[[], list[CausalEstimate]]
) -> list[CausalEstimate]:
    """Run one estimation so that nothing it raises reaches the caller.

    A :class:`~satprofit.causal.support.NotEstimable` becomes a ``not_estimable`` result per
    estimand; any other exception a ``failed`` one whose reason is ``"<Type>: <message>"``.
    Finished estimates pass :func:`~satprofit.causal.support.check_result` (NaN interval,
    zero-width interval) or become refusals.
    """
    try:
        results = compute()
    except NotEstimable as err:
        return [unavailable(e, method, str(err)) for e in estimands]
    except Exception as err:  # one failure must not lose the other answers
        reason = f"{type(err).__name__}: {err}"
        return [no_answer(e, method, reason, status="failed") for e in estimands]
    return [_checked(r) for r in results]


def _checked(r: CausalEstimate) -> CausalEstimate:
    reason = check_result(r) if r.ok else None
    if reason is None:
        return r
    return no_answer(
        r.estimand, r.method, reason, status="not_estimable", adjustment=r.adjustment_set, n=r.n
    )


def _supported(qt: QuestionTable, method: str) -> QuestionTable:
    """``qt`` when it passes :func:`~satprofit.causal.support.check_table`; else raise."""
    reason = check_table(qt, method)
    if reason is not None:
        raise NotEstimable(reason)
    return qt


def _run(
    estimator: Estimator,
    portfolio: Portfolio,
    estimand: str,
    *,
    seed: int,
    n_boot: int,
    refutations: bool,
) -> list[CausalEstimate]:
    """Build and support-check the analysis table when the estimator requires one, fit, and
    return its estimates as a list (a path estimator's parts in its order)."""
    table = None
    if "table" in estimator.requires:
        table = _supported(question_table(portfolio, estimand), estimator.name)
    out = estimator.fit(
        portfolio, estimand, table=table, seed=seed, n_boot=n_boot, refutations=refutations
    )
    return [out] if isinstance(out, CausalEstimate) else list(out.values())


def estimate_all(
    portfolio: Portfolio,
    *,
    methods: dict[str, str] | None = None,
    questions: Sequence[str] = QUESTION_IDS,
    seed: int = DEFAULT_SEED,
    n_boot: int = 200,
    refutations: bool = False,
) -> Estimates:
    """Every question with its default (or given) method, as one :class:`Estimates`.

    Each estimand is computed in isolation (see :func:`estimate`): one that cannot be
    answered, or whose estimator fails, is recorded as such and the others are still returned.
    """
    methods = {**DEFAULT_METHODS, **(methods or {})}
    for q in questions:  # argument errors surface before any work
        qq, _, part = q.partition(".")
        _check_arguments(qq, part, methods.get(qq))
    results: list[CausalEstimate] = []
    for q in questions:
        results.extend(
            estimate(
                portfolio,
                q,
                methods[q.split(".")[0]],
                seed=seed,
                n_boot=n_boot,
                refutations=refutations,
            )
        )
    return Estimates(tuple(results))


def compare_methods(
    portfolio: Portfolio, question: str, *, seed: int = DEFAULT_SEED, n_boot: int = 200
) -> Estimates:
    """Every method that answers ``question``, side by side (naive included); each method in
    isolation, as in :func:`estimate`."""
    q = question.split(".")[0]
    _check_arguments(q, question.partition(".")[2], None)
    results = []
    for m in methods_for(q):
        results.extend(estimate(portfolio, question, m, seed=seed, n_boot=n_boot))
    return Estimates(tuple(results))
