"""Refutation checks of an estimate (in the spirit of DoWhy's refuters).

* placebo treatment: the treatment is permuted across units; a sound estimator then finds an
  effect near 0 (passed when the placebo interval contains 0);
* random common cause: an independent random covariate is added to the adjustment set; the
  estimate should barely move (passed when it moves by less than a tenth of a standard error
  times 2);
* subset stability: the estimate on random 80 % subsets of clients (5 draws); passed when every
  subset estimate lies within the original interval widened by half its width.

A refutation the data cannot support (e.g. one more covariate than the units can carry) is a
row with NaN figures, ``passed=False`` and the reason, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from satprofit.causal.results import CausalEstimate
from satprofit.causal.support import NotEstimable
from satprofit.constants import DEFAULT_SEED
from satprofit.features.questions import QuestionTable

Fit = Callable[[QuestionTable, tuple[str, ...]], CausalEstimate]


def refute(
    qt: QuestionTable,
    adjustment: tuple[str, ...],
    fit: Fit,
    original: CausalEstimate,
    *,
    seed: int = DEFAULT_SEED,
    n_subsets: int = 5,
) -> pd.DataFrame:
    """Run the three refutations; one row each (subset: one row summarizing the draws)."""
    rng = np.random.default_rng(seed)
    rows = []
    d = qt.data

    placebo = replace(
        qt, data=d.assign(**{qt.treatment: rng.permutation(d[qt.treatment].to_numpy())})
    )
    try:
        p = fit(placebo, adjustment)
        rows.append(
            {
                "refutation": "placebo treatment",
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "passed": bool(p.ci_low <= 0 <= p.ci_high),
                "note": "treatment permuted across units; expect ~0",
            }
        )
    except NotEstimable as err:
        rows.append(_not_run("placebo treatment", err))

    rcc = replace(
        qt,
        data=d.assign(random_common_cause=rng.normal(size=len(d))),
        confounders=(*qt.confounders, "random_common_cause"),
    )
    try:
        r = fit(rcc, (*adjustment, "random_common_cause"))
        moved = abs(r.estimate - original.estimate)
        rows.append(
            {
                "refutation": "random common cause",
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "passed": bool(moved <= 0.2 * max(original.se, 1e-12)),
                "note": f"moved by {moved:.3g} ({moved / max(original.se, 1e-12):.2f} SE)",
            }
        )
    except NotEstimable as err:
        rows.append(_not_run("random common cause", err))

    clients = d[qt.cluster].unique()
    sub = []
    for _ in range(n_subsets):
        keep = rng.choice(clients, size=max(2, int(0.8 * len(clients))), replace=False)
        part = replace(qt, data=d[d[qt.cluster].isin(keep)].reset_index(drop=True))
        try:
            sub.append(fit(part, adjustment).estimate)
        except ValueError:
            continue
    half = (original.ci_high - original.ci_low) / 2
    lo, hi = original.ci_low - half / 2, original.ci_high + half / 2
    sub = np.asarray(sub)
    rows.append(
        {
            "refutation": "subset stability (80% of clients)",
            "estimate": float(sub.mean()) if len(sub) else np.nan,
            "ci_low": float(sub.min()) if len(sub) else np.nan,
            "ci_high": float(sub.max()) if len(sub) else np.nan,
            "passed": bool(len(sub) and ((sub >= lo) & (sub <= hi)).all()),
            "note": f"{len(sub)} subsets; range shown as ci_low..ci_high",
        }
    )
    return pd.DataFrame(rows).assign(original=original.estimate)


def _not_run(name: str, err: NotEstimable) -> dict:
    """A refutation the data cannot support: NaN figures, not passed, the reason as note."""
    nan = float("nan")
    return {
        "refutation": name,
        "estimate": nan,
        "ci_low": nan,
        "ci_high": nan,
        "passed": False,
        "note": f"not estimable: {err}",
    }
