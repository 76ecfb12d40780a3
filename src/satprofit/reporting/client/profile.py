"""The client report's opening: who the client is (profile), the title, the executive summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    RECENT_DAYS,
    check_client,
    data_range,
    not_converged,
    period_text,
)

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "ClientProfile",
    "client_profile",
    "executive_summary",
    "report_title",
    "summary_blocks",
    "title_blocks",
]

# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class ClientProfile:
    """Who the client is and how much data the report rests on."""

    client_id: str
    name: str
    industry: str
    region: str
    size_band: str
    business_unit: str | None
    first_engagement: pd.Timestamp
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    projects: int
    finished_projects: int
    deals_won: int
    responses: int
    recent_responses: int
    escalations: int
    portfolio_clients: int

    @property
    def display_name(self) -> str:
        """The name on one line (line breaks and runs of spaces become one space)."""
        return " ".join(self.name.split())

    @property
    def period(self) -> str:
        """The period the data covers, e.g. ``"1 Jan 2022 to 31 Dec 2024"``."""
        return period_text(self.data_start, self.data_end)


def client_profile(run, client_id: str) -> ClientProfile:
    """The client's descriptors and the amount of data behind its report.

    Raises
    ------
    KeyError
        The client is not in the run's portfolio.
    """
    p = run.portfolio
    row = check_client(p, client_id)
    start, end = data_range(p)
    mine = {t: f[f["client_id"] == client_id] for t, f in p.tables.items() if "client_id" in f}
    deals = mine["deals"]
    units = deals["business_unit"].value_counts()
    unit = str(units.index[0]) if len(units) else None
    recent = mine["surveys"]["date"] >= end - pd.Timedelta(days=RECENT_DAYS)
    return ClientProfile(
        client_id=client_id,
        name=str(row["client_name"]),
        industry=str(row["industry"]),
        region=str(row["region"]),
        size_band=str(row["size_band"]),
        business_unit=unit,
        first_engagement=pd.Timestamp(row["first_engagement_date"]),
        data_start=start,
        data_end=end,
        projects=len(mine["projects"]),
        finished_projects=int(mine["projects"]["actual_end_date"].notna().sum()),
        deals_won=int((deals["status"] == "won").sum()),
        responses=len(mine["surveys"]),
        recent_responses=int(recent.sum()),
        escalations=len(mine["escalations"]),
        portfolio_clients=len(p.clients),
    )


def report_title(r: ClientReport) -> str:
    """``Client report: <name>`` (plain text; escape before display)."""
    return f"Client report: {r.profile.display_name}"


def title_blocks(r: ClientReport, date: str | None = None) -> list:
    """The report's title, the client's descriptors and the date."""
    p = r.profile
    date = date or pd.Timestamp.today().strftime("%d %B %Y")
    facts = (
        f"Client id {' '.join(p.client_id.split())} \u00b7 {p.industry} \u00b7 {p.region} \u00b7 "
        f"{p.size_band} \u00b7 data from {p.period} \u00b7 prepared {date}"
    )
    out = [B.heading(report_title(r), 1), B.paragraph(facts)]
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    return out


# --------------------------------------------------------------------------- executive summary


def executive_summary(r: ClientReport) -> list[str]:
    """Three to five sentences for the client's executive, generated from the estimates.

    Each sentence states its claim only when the client's data support it, and says so when
    they do not (few survey responses, no finished project, no forecast).
    """
    out = [
        _relationship_sentence(r),
        _delivery_sentence(r),
        _driver_sentence(r),
        _money_sentence(r),
    ]
    out = [s for s in out if s]
    if not r.converged:
        out.append(
            "All estimates here are provisional: our statistical models have not yet passed "
            "their convergence checks."
        )
    return out[:5]


def _relationship_sentence(r: ClientReport) -> str:
    p, s = r.profile, r.satisfaction
    head = (
        f"From {p.period} we delivered {B.plural(p.projects, 'project')} for {p.display_name} "
        f"({p.finished_projects} finished)"
    )
    if s.thin:
        return (
            f"{head}; with only {B.plural(s.responses, 'survey response')} we cannot yet say "
            "how satisfied your teams are."
        )
    text = (
        f"{head}, and your {B.plural(s.responses, 'survey response')} average "
        f"{B.number(s.overall.value, 1)} out of 5"
    )
    if s.overall.available:
        diff = s.overall.value - s.overall.median
        where = "above" if diff > 0.1 else "below" if diff < -0.1 else "in line with"
        text += f", {where} the typical client ({B.number(s.overall.median, 1)})"
    return text + "."


def _delivery_sentence(r: ClientReport) -> str:
    d, p = r.delivery, r.profile
    if d.finished == 0:
        return (
            "No project has finished yet, so we cannot yet judge delivery quality; "
            f"there have been {B.plural(p.escalations, 'escalation')} so far."
        )
    ontime = d.value("On-time milestone rate")
    if pd.isna(ontime["client"]):
        text = "Your finished projects had no planned milestones to measure on-time delivery"
    else:
        text = f"{B.pct(ontime['client'])} of milestones in your finished projects were on time"
        if pd.notna(ontime["median"]):
            text += f" (typical client: {B.pct(ontime['median'])})"
    with_sales = int((d.escalations["Sales involved"] == "yes").sum()) if len(d.escalations) else 0
    text += f", and there {'was' if p.escalations == 1 else 'were'} "
    text += B.plural(p.escalations, "escalation")
    if p.escalations:
        text += f", {with_sales} with sales involved"
    return text + "."


def _driver_sentence(r: ClientReport) -> str:
    d = r.drivers
    if not d.available or d.table["gain"].isna().all():
        return ""
    best = d.table.sort_values("gain", ascending=False).iloc[0]
    whose = "for you" if d.basis == "client" else "across our clients"
    text = (
        f"The strongest lever on satisfaction {whose} is {best['label'].lower()}: "
        f"{best['improvement']} would raise expected satisfaction by "
        + B.interval(best["gain"], best["gain_low"], best["gain_high"], _two, unit="points")
        + " (its total effect, including what it changes on the way, such as fewer defects "
        "and escalations)"
    )
    if r.satisfaction.thin:
        text += ", an estimate that leans on other clients' experience because yours is thin"
    return text + "."


def _money_sentence(r: ClientReport) -> str:
    w = r.what_if
    if w.error:
        return (
            "We cannot yet put a money value on these levers for you: there is not enough "
            "survey and sales history to forecast your repeat business."
        )
    row = w.row("all", "value")
    text = (
        "Together, +10 points of on-time milestones, a monthly business status report and "
        "delivery sign-off on every proposal are worth "
        f"{B.interval(row['median'], row['low80'], row['high80'])} in repeat business over the "
        "next four quarters"
    )
    if B.spans_zero(row["low80"], row["high80"]):
        text += ", though the data cannot rule out that the gain is small or none"
    return text + "."


def _two(x: object) -> str:
    return B.number(x, 2)


def summary_blocks(r: ClientReport) -> list:
    """The executive summary as one paragraph per sentence."""
    return [B.paragraph(s) for s in r.summary]
