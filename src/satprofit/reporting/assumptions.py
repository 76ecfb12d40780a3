"""The report section "What the answers assume", shared by the client and portfolio reports.

Content comes from :mod:`satprofit.causal.assumptions` (the assumptions of each default causal
answer and the calibration study's measured coverage and bias); this module only lays it out.
"""

from __future__ import annotations

from functools import cache, lru_cache

import pandas as pd

from satprofit.causal.assumptions import ASSUMPTIONS, calibration_evidence, read_summary
from satprofit.reporting import blocks as B

__all__ = ["assumption_blocks", "assumption_rows"]

COLUMNS = ("Question", "What the answer assumes", "Where it may not hold", "Checked on simulations")


@lru_cache(maxsize=1)
def _bayes_summary():
    return read_summary("bayes")


@cache
def evidence(estimand: str) -> str:
    """The causal default's and the Bayesian model's simulation checks, as one text (from the
    shipped summaries: the same for every report)."""
    parts = []
    causal = calibration_evidence(estimand)
    if causal:
        parts.append(f"Causal estimate: {causal}")
    bayes = calibration_evidence(estimand, _bayes_summary())
    if bayes:
        parts.append(f"Bayesian model: {bayes}")
    return " ".join(parts)


def assumption_rows(estimands) -> pd.DataFrame:
    """One row per assumption of each estimand (its title once, on the first row; the
    simulation check once per estimand)."""
    rows = []
    for est in estimands:
        first = True
        for a in ASSUMPTIONS.get(est, ()):
            rows.append(
                {
                    COLUMNS[0]: B.estimand_title(est) if first else "",
                    COLUMNS[1]: a.text,
                    COLUMNS[2]: a.fails_when or "\u2013",
                    COLUMNS[3]: (evidence(est) or "\u2013") if first else "",
                }
            )
            first = False
    return pd.DataFrame(rows, columns=list(COLUMNS))


def assumption_blocks(table: pd.DataFrame) -> list:
    """A short explanation and the table."""
    if table.empty:
        return []
    return [
        B.paragraph(
            "Every estimate rests on assumptions that data alone cannot check. Each was also "
            "tried on simulated firms where the true effect is known, including firms built "
            "to break the assumption; the last column says how close the method came."
        ),
        B.table(table, caption="What the answers assume"),
    ]
