"""Portfolio report section: the title, the portfolio at a glance and the run's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    not_converged,
    run_settings_rows,
)

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "overview_table",
    "settings_table",
    "overview_blocks",
    "title_blocks",
]


def overview_table(run) -> pd.DataFrame:
    """Counts of clients, deals, projects, responses, escalations, units and teams."""
    p = run.portfolio
    pr = p.projects
    rows = [
        ("Clients", len(p.clients)),
        ("Won deals", int((p.deals["status"] == "won").sum())),
        ("Projects (finished)", f"{len(pr):,} ({int(pr['actual_end_date'].notna().sum()):,})"),
        ("Survey responses", len(p.surveys)),
        ("Escalations", len(p.escalations)),
        ("Business units", p.deals["business_unit"].nunique()),
        ("Delivery teams", pr["delivery_team"].nunique()),
    ]
    return pd.DataFrame(rows, columns=["Item", "Count"]).astype({"Count": str})


def settings_table(run) -> pd.DataFrame:
    """Package versions, run creation, data fingerprint and sampler settings."""
    return pd.DataFrame(run_settings_rows(run), columns=["Setting", "Value"]).astype({"Value": str})


def title_blocks(r: PortfolioReport, date: str | None = None) -> list:
    """Title, period and the not-converged warning when due."""
    date = date or pd.Timestamp.today().strftime("%d %B %Y")
    out = [
        B.heading("Portfolio report: sales, delivery and satisfaction", 1),
        B.paragraph(f"Internal, for leadership. Data from {r.period}; prepared {date}."),
    ]
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    return out


def overview_blocks(r: PortfolioReport) -> list:
    """The portfolio at a glance and the run's settings."""
    return [
        B.table(r.overview, caption="The portfolio"),
        B.table(r.settings, caption="Software and run settings"),
    ]
