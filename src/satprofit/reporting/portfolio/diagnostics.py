"""Portfolio report section: convergence, identification and sensitivity behind the estimates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from satprofit.questions import ESTIMAND_IDS
from satprofit.reporting import blocks as B
from satprofit.reporting.assumptions import assumption_blocks, assumption_rows
from satprofit.reporting.common import (
    model_rows,
    not_converged,
)

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "Diagnostics",
    "build_diagnostics",
    "diagnostics_blocks",
]

# --------------------------------------------------------------------------- diagnostics


@dataclass
class Diagnostics:
    """What the estimates rest on.

    Attributes
    ----------
    models : DataFrame
        Convergence of each Bayesian model, and skipped models with their reasons.
    causal : DataFrame
        Causal estimates with identification, sensitivity (E-value, robustness value) and
        notes (overlap, pre-trends, fixed effects, why a question cannot be answered).
    skipped : dict
        Model -> reason.
    """

    models: pd.DataFrame
    causal: pd.DataFrame
    skipped: dict = field(default_factory=dict)
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_diagnostics(run) -> Diagnostics:
    """Convergence table, causal identification and sensitivity notes, skipped models."""
    c = run.causal
    if len(c):
        cols = {
            "question": "Estimand",
            "method": "Method",
            "identified": "Identified",
            "e_value": "E-value",
            "robustness_value": "Robustness value",
            "note": "Note",
        }
        causal = c[[k for k in cols if k in c.columns]].rename(columns=cols).copy()
        causal["Estimand"] = causal["Estimand"].map(B.estimand_title)
        if "Method" in causal:
            causal["Method"] = causal["Method"].map(B.method_label)
        if "Identified" in causal:
            causal["Identified"] = causal["Identified"].map({True: "yes", False: "no"})
    else:
        causal = pd.DataFrame()
    failed = {k: f"failed: {why}" for k, why in getattr(run.fit, "failed", {}).items()}
    return Diagnostics(
        model_rows(run),
        causal,
        {**dict(run.fit.skipped), **failed},
        assumption_rows(ESTIMAND_IDS),
    )


def diagnostics_blocks(r: PortfolioReport) -> list:
    """Display blocks of the diagnostics section."""
    d = r.diagnostics
    out: list = []
    if not r.converged:
        out.append(B.callout(not_converged("section"), "warning"))
    out.append(
        B.table(
            d.models,
            caption="Convergence of the Bayesian models (gate: R-hat <= 1.01, "
            "effective sample size >= 400, no divergences)",
            formats={
                "Largest R-hat": lambda x: B.number(x, 3),
                "Smallest effective sample size": "{:,.0f}".format,
                "Divergent transitions": "{:,.0f}".format,
            },
        )
    )
    if d.skipped:
        out.append(B.bullets(f"{k} was not fitted: {why}" for k, why in d.skipped.items()))
    if d.causal.empty:
        out.append(B.callout("The run holds no causal estimates.", "info"))
    else:
        out.append(
            B.table(
                d.causal,
                caption="Causal estimates: identification, sensitivity and notes",
                formats={
                    "E-value": lambda x: B.number(x, 2),
                    "Robustness value": lambda x: B.number(x, 2),
                },
            )
        )
        out.append(
            B.paragraph(
                "E-value: how strongly an unmeasured confounder would have to be tied to both "
                "treatment and outcome (risk-ratio scale) to explain the estimate away. "
                "Robustness value: the share of residual variance of both it would have to "
                "explain. Overlap and pre-trend checks appear in the notes where the method "
                "recorded them."
            )
        )
    out.extend(assumption_blocks(d.assumptions))
    return out
