"""Client report section: the methods appendix (data, questions, models, settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from satprofit.constants import INTERVAL_LABEL
from satprofit.reporting import blocks as B
from satprofit.reporting.assumptions import assumption_blocks, assumption_rows
from satprofit.reporting.common import (
    CLIENT_ESTIMANDS,
    check_client,
    data_range,
    model_rows,
    not_converged,
    period_text,
    question_rows,
    run_settings_rows,
)

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "Methods",
    "build_methods",
    "methods_blocks",
]

# --------------------------------------------------------------------------- methods appendix


@dataclass
class Methods:
    """What the report rests on.

    Attributes
    ----------
    data_used : DataFrame
        Per table: rows in the portfolio and rows of this client.
    period : str
    questions : DataFrame
        Per estimand quoted: title, method used here, estimate with 95 % interval, status.
    models : DataFrame
        Per Bayesian model: status (converged, not converged, skipped) and figures or reason.
    settings : DataFrame
        ``setting``, ``value``: package version, run settings, report parameters.
    """

    data_used: pd.DataFrame
    period: str
    questions: pd.DataFrame
    models: pd.DataFrame
    settings: pd.DataFrame
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_methods(run, client_id: str, *, seed: int, min_clients: int) -> Methods:
    """Data, period, questions and methods, convergence, version and parameters."""

    p = run.portfolio
    check_client(p, client_id)
    data_used = pd.DataFrame(
        [
            {
                "Table": name,
                "Rows in the portfolio": len(frame),
                "Rows of this client": int((frame["client_id"] == client_id).sum())
                if "client_id" in frame
                else None,
            }
            for name, frame in p.tables.items()
        ]
    )
    rows = [
        *run_settings_rows(run),
        ("What-if seed", seed),
        ("What-if mode", "steady state (the change in place for a year)"),
        ("Smallest benchmark group", f"{min_clients} other clients"),
        ("Intervals", f"80% for what-ifs and drivers, {INTERVAL_LABEL} for question estimates"),
    ]
    settings_df = pd.DataFrame(rows, columns=["Setting", "Value"]).astype({"Value": str})
    return Methods(
        data_used,
        period_text(*data_range(p)),
        question_rows(run),
        model_rows(run),
        settings_df,
        assumption_rows(CLIENT_ESTIMANDS),
    )


def methods_blocks(r: ClientReport) -> list:
    """Display blocks of the methods appendix."""
    m = r.methods
    out: list = []
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    out += [
        B.paragraph(f"Period covered: {m.period}."),
        B.table(
            m.data_used,
            caption="Data used",
            formats={c: "{:,.0f}".format for c in m.data_used.columns[1:]},
        ),
        B.table(m.questions, caption="Questions answered and the method of each"),
        B.table(
            m.models,
            caption="Convergence of the Bayesian models",
            formats={
                "Largest R-hat": lambda x: B.number(x, 3),
                "Smallest effective sample size": "{:,.0f}".format,
                "Divergent transitions": "{:,.0f}".format,
            },
        ),
        *assumption_blocks(m.assumptions),
        B.table(m.settings, caption="Software, settings and parameters"),
    ]
    return out
