"""One entry point for every question: ``estimate`` and ``estimate_all``.

Each question has a default method (below) and may be asked with another. Adjustment sets come
from the domain DAG (:mod:`satprofit.causal.dag`); client fixed effects are used where the
design allows (several units per client and treatment variation within clients).

Every estimand is computed in isolation and checked for support first
(:mod:`satprofit.causal.support`): the answer is an estimate, an honest refusal
(``not_estimable``, with a plain-language reason) or a recorded failure (``failed``, with the
error), never an exception that loses the other answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from satprofit.causal.aipw import aipw
from satprofit.causal.dag import DESIGNS, identify
from satprofit.causal.design import demean
from satprofit.causal.did import staggered_did
from satprofit.causal.mediation import mediation
from satprofit.causal.refute import refute
from satprofit.causal.regression import naive, regression_adjustment
from satprofit.causal.repeat import quality_path, repeat_dynamics
from satprofit.causal.results import CausalEstimate, no_answer
from satprofit.causal.support import (
    MIN_CLUSTERS,
    NotEstimable,
    TooFewDegrees,
    check_result,
    check_table,
    clients_with_variation,
    require_residual_variation,
    require_within_variation,
)
from satprofit.constants import DEFAULT_SEED, ESTIMAND_IDS, QUESTION_IDS
from satprofit.features.questions import QuestionTable, question_table
from satprofit.io import Portfolio

#: The method each question uses unless told otherwise.
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

#: Methods that answer quality_to_repeat's total, direct and indirect parts in one fit.
PATH_METHODS = ("repeat_dynamics", "mediation")

#: Methods each question can be answered with.
METHODS: dict[str, tuple[str, ...]] = {
    "presales_signoff": ("regression", "aipw", "naive"),
    "quality_to_csat": ("regression", "naive"),
    "status_reports_to_csat": ("regression", "naive"),
    "sales_in_escalations": ("aipw", "regression", "naive"),
    "csat_to_repeat": ("repeat_dynamics", "regression", "naive"),
    "quality_to_repeat": ("repeat_dynamics", "mediation", "regression", "naive"),
    "delivery_bonus_to_leads": ("did", "did_cs", "naive"),
}


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
        """Forest plot: one panel per estimand (units differ), truth marked when given."""
        import matplotlib.pyplot as plt

        n = len(self.results)
        fig, axes = plt.subplots(
            n, 1, figsize=(7, 1.3 * n + 0.5), squeeze=False, constrained_layout=True
        )
        for ax, r in zip(axes[:, 0], self.results, strict=True):
            r.plot(truth=None if truth is None else truth.get(r.estimand), ax=ax)
            ax.set_xlabel(r.unit, fontsize=8)
        return fig


def unavailable(estimand: str, method: str, reason: str) -> CausalEstimate:
    """A result saying the data cannot answer this estimand (reports show it as such)."""
    return no_answer(estimand, method, reason, status="not_estimable")


def _use_client_fe(qt: QuestionTable) -> bool:
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


def _within_variance_share(qt: QuestionTable) -> float:
    """Share of the treatment's variance left within clients."""
    t = qt.data[qt.treatment].to_numpy(float)
    groups = pd.factorize(qt.data[qt.cluster])[0]
    return float(np.var(demean(t, groups)) / t.var()) if t.var() > 0 else 0.0


def _estimand_ids(question: str, method: str, part: str) -> list[str]:
    if part:
        return [f"{question}.{part}"]
    ids = [e for e in ESTIMAND_IDS if e.split(".")[0] == question]
    if question == "quality_to_repeat" and method not in PATH_METHODS:
        return ["quality_to_repeat.total"]
    return ids


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
        One of :data:`METHODS` for the question; default :data:`DEFAULT_METHODS`.
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
    wanted = _estimand_ids(q, method, part)
    # mediation answers its three parts in one fit; every other method one estimand a fit
    jobs = (
        [wanted] if method in PATH_METHODS and q == "quality_to_repeat" else [[e] for e in wanted]
    )
    out: list[CausalEstimate] = []
    for ids in jobs:
        results = _isolated(
            ids,
            method,
            lambda ids=ids: _estimate_one(
                portfolio, ids[0], method, seed=seed, n_boot=n_boot, refutations=refutations
            ),
        )
        out.extend(r for r in results if r.estimand in ids)
    return Estimates(tuple(out))


def _check_arguments(q: str, part: str, method: str | None) -> str:
    if q not in QUESTION_IDS:
        raise KeyError(f"unknown question {q!r}; known: {', '.join(QUESTION_IDS)}")
    method = method or DEFAULT_METHODS[q]
    if method not in METHODS[q]:
        raise ValueError(
            f"method {method!r} does not answer {q}; use one of {', '.join(METHODS[q])}"
        )
    if q == "quality_to_repeat" and part in ("direct", "indirect") and method not in PATH_METHODS:
        raise ValueError(
            f"direct and indirect effects need method {' or '.join(map(repr, PATH_METHODS))}"
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


def _estimate_one(portfolio, estimand, method, *, seed, n_boot, refutations):
    q = estimand.split(".")[0]
    if q == "delivery_bonus_to_leads":
        if method == "naive":
            return [naive(_supported(question_table(portfolio, estimand), method))]
        return [staggered_did(portfolio, method=method, n_boot=n_boot, seed=seed)]
    qt = _supported(question_table(portfolio, estimand), method)
    if method == "repeat_dynamics":
        return _repeat_dynamics(portfolio, estimand, seed)
    if method == "naive":
        return [naive(qt)]
    fe = _use_client_fe(qt)
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

    def fit(table: QuestionTable, adj: tuple[str, ...], note: str = note) -> CausalEstimate:
        if method == "aipw":
            padj = tuple(c for c in ident.minimal_columns if c in adj) or adj
            return aipw(
                table,
                adj,
                propensity_adjustment=padj,
                seed=seed,
                identified=ident.identified,
                note=note,
            )
        return regression_adjustment(
            table, adj, client_fe=fe, identified=ident.identified, note=note
        )

    if method == "mediation":  # always with client fixed effects
        require_within_variation(qt)
        require_residual_variation(qt, _within_variance_share(qt), "client fixed effects")
        parts = mediation(
            qt, adjustment, n_boot=n_boot, seed=seed, identified=ident.identified, note=note
        )
        results = [parts["total"], parts["direct"], parts["indirect"]]
        if refutations:
            checks = _refutations(qt, adjustment, fit, fit(qt, adjustment), seed)
            results = [_attach(r, checks) for r in results]
        return results
    result, adjustment = _fit_or_fewer(fit, qt, adjustment, ident.minimal_columns, note)
    if refutations:
        result = _attach(result, _refutations(qt, adjustment, fit, result, seed))
    return [result]


#: Note added when precision covariates are left out because the units cannot carry them.
FEWER_COVARIATES = (
    "precision covariates left out: too few units to adjust for them as well as for the confounders"
)


def _fit_or_fewer(fit, qt, adjustment, minimal, note):
    """Fit with ``adjustment``; when it leaves too few degrees of freedom, retry with the
    confounders alone (``minimal``, still a valid back-door set) and say so."""
    try:
        return fit(qt, adjustment), adjustment
    except TooFewDegrees:
        fewer = tuple(c for c in minimal if c in adjustment)
        if len(fewer) >= len(adjustment):
            raise
        return fit(qt, fewer, "; ".join(s for s in (note, FEWER_COVARIATES) if s)), fewer


def _repeat_dynamics(portfolio: Portfolio, estimand: str, seed: int) -> list[CausalEstimate]:
    """:func:`repeat_dynamics` (or :func:`quality_path` for ``quality_to_repeat``, all three
    parts), its data refusals (raised as ``ValueError`` with these messages) turned into
    :class:`NotEstimable`."""
    q, _, part = estimand.partition(".")
    try:
        if q == "quality_to_repeat":
            return list(quality_path(portfolio, seed=seed).values())
        return [repeat_dynamics(portfolio, part)]
    except ValueError as err:
        if str(err).startswith(("only ", "too few ", "the satisfaction stage", "the clients")):
            raise NotEstimable(str(err)) from err
        raise


def _refutations(qt, adjustment, fit, original, seed) -> pd.DataFrame | str:
    """The refutation table, or the error's text when a refutation itself fails (the
    estimate is kept either way)."""
    try:
        return refute(qt, adjustment, fit, original, seed=seed)
    except Exception as err:  # refutations must not lose the estimate
        return f"{type(err).__name__}: {err}"


def _attach(r: CausalEstimate, checks: pd.DataFrame | str) -> CausalEstimate:
    if isinstance(checks, str):
        return replace(r, note="; ".join(s for s in (r.note, f"refutations failed: {checks}") if s))
    return r.with_refutations(checks)


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
    for m in METHODS[q]:
        results.extend(estimate(portfolio, question, m, seed=seed, n_boot=n_boot))
    return Estimates(tuple(results))
