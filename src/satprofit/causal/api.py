"""One entry point for every question: ``estimate`` and ``estimate_all``.

Each question has a default method (below) and may be asked with another. Adjustment sets come
from the domain DAG (:mod:`satprofit.causal.dag`); client fixed effects are used where the
design allows (several units per client and treatment variation within clients).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.causal.aipw import aipw
from satprofit.causal.dag import DESIGNS, identify
from satprofit.causal.design import demean
from satprofit.causal.did import staggered_did
from satprofit.causal.mediation import mediation
from satprofit.causal.refute import refute
from satprofit.causal.regression import naive, regression_adjustment
from satprofit.causal.repeat import repeat_dynamics
from satprofit.causal.results import CausalEstimate, no_answer
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
    "quality_to_repeat": "mediation",
    "delivery_bonus_to_leads": "did",
}

#: Methods each question can be answered with.
METHODS: dict[str, tuple[str, ...]] = {
    "presales_signoff": ("regression", "aipw", "naive"),
    "quality_to_csat": ("regression", "naive"),
    "status_reports_to_csat": ("regression", "naive"),
    "sales_in_escalations": ("aipw", "regression", "naive"),
    "csat_to_repeat": ("repeat_dynamics", "regression", "naive"),
    "quality_to_repeat": ("mediation", "regression", "naive"),
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
    return float(np.var(demean(t, groups)) / t.var()) >= 0.05


def _estimand_ids(question: str, method: str, part: str) -> list[str]:
    if part:
        return [f"{question}.{part}"]
    ids = [e for e in ESTIMAND_IDS if e.split(".")[0] == question]
    if question == "quality_to_repeat" and method != "mediation":
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
        One result per estimand answered. An estimand the data cannot answer comes back with
        NaN figures and a note saying why, not an exception.
    """
    q, _, part = question.partition(".")
    if q not in QUESTION_IDS:
        raise KeyError(f"unknown question {q!r}; known: {', '.join(QUESTION_IDS)}")
    method = method or DEFAULT_METHODS[q]
    if method not in METHODS[q]:
        raise ValueError(
            f"method {method!r} does not answer {q}; use one of {', '.join(METHODS[q])}"
        )
    if q == "quality_to_repeat" and part in ("direct", "indirect") and method != "mediation":
        raise ValueError("direct and indirect effects need method='mediation'")
    out: list[CausalEstimate] = []
    for estimand in _estimand_ids(q, method, part):
        try:
            out.extend(
                _estimate_one(
                    portfolio, estimand, method, seed=seed, n_boot=n_boot, refutations=refutations
                )
            )
        except (ValueError, np.linalg.LinAlgError) as err:
            out.append(unavailable(estimand, method, str(err)))
    # mediation answers all three parts at once: keep the ones asked for, once each
    seen, unique = set(), []
    wanted = set(_estimand_ids(q, method, part))
    for r in out:
        if r.estimand in wanted and r.estimand not in seen:
            seen.add(r.estimand)
            unique.append(r)
    return Estimates(tuple(unique))


def _estimate_one(portfolio, estimand, method, *, seed, n_boot, refutations):
    q = estimand.split(".")[0]
    if q == "delivery_bonus_to_leads":
        if method == "naive":
            qt = question_table(portfolio, estimand)
            return [naive(qt)]
        return [staggered_did(portfolio, method=method, n_boot=n_boot, seed=seed)]
    if method == "repeat_dynamics":
        return [repeat_dynamics(portfolio, estimand.split(".")[1])]
    qt = question_table(portfolio, estimand)
    if qt.n < 10:
        raise ValueError(f"only {qt.n} units of analysis (need at least 10)")
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

    def fit(table: QuestionTable, adj: tuple[str, ...]) -> CausalEstimate:
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

    if method == "mediation":
        parts = mediation(
            qt, adjustment, n_boot=n_boot, seed=seed, identified=ident.identified, note=note
        )
        results = [parts["total"], parts["direct"], parts["indirect"]]
        if refutations:
            checks = refute(qt, adjustment, fit, fit(qt, adjustment), seed=seed)
            results = [r.with_refutations(checks) for r in results]
        return results
    result = fit(qt, adjustment)
    if refutations:
        result = result.with_refutations(refute(qt, adjustment, fit, result, seed=seed))
    return [result]


def estimate_all(
    portfolio: Portfolio,
    *,
    methods: dict[str, str] | None = None,
    questions: Sequence[str] = QUESTION_IDS,
    seed: int = DEFAULT_SEED,
    n_boot: int = 200,
    refutations: bool = False,
) -> Estimates:
    """Every question with its default (or given) method, as one :class:`Estimates`."""
    methods = {**DEFAULT_METHODS, **(methods or {})}
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
    """Every method that answers ``question``, side by side (naive included)."""
    q = question.split(".")[0]
    results = []
    for m in METHODS[q]:
        results.extend(estimate(portfolio, question, m, seed=seed, n_boot=n_boot))
    return Estimates(tuple(results))
