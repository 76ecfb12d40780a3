"""Client report section: delivery quality and escalations beside the portfolio."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    benchmark,
    check_client,
    client_levels,
    data_range,
    portfolio_projects,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "DeliveryQuality",
    "build_delivery",
    "delivery_blocks",
    "plot_delivery",
]

# --------------------------------------------------------------------------- delivery quality


@dataclass
class DeliveryQuality:
    """The client's projects and escalations, and its delivery quality beside the portfolio.

    Attributes
    ----------
    projects : DataFrame
        The client's projects (its own ids only), newest first.
    escalations : DataFrame
        The client's escalations, newest first.
    summary : DataFrame
        ``measure``, ``client``, ``median``, ``q25``, ``q75``, ``n_clients``, ``kind``
        (``pct``, ``days`` or ``number``: how to format).
    finished : int
        Finished projects of the client.
    notes : list of str
    """

    projects: pd.DataFrame
    escalations: pd.DataFrame
    summary: pd.DataFrame
    finished: int
    notes: list[str] = field(default_factory=list)
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None

    def value(self, measure: str) -> pd.Series:
        return self.summary.set_index("measure").loc[measure]


_QUALITY_MEASURES = (
    ("On-time milestone rate", "ontime_rate", "pct"),
    ("Cost overrun", "cost_overrun", "pct"),
    ("Schedule slip (days)", "schedule_slip_days", "days"),
    ("Defects per project", "defects_per_project", "number"),
    ("Escalations per project", "escalations_per_project", "number"),
    ("Escalations with sales involved", "sales_escalation_share", "pct"),
)


def build_delivery(
    run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> DeliveryQuality:
    """Delivery quality and escalations of ``client_id`` over the whole period."""
    p = run.portfolio
    check_client(p, client_id)
    levels = client_levels(p)
    rows = []
    for label, col, kind in _QUALITY_MEASURES:
        b = benchmark(levels[col], client_id, min_clients)
        rows.append(
            {
                "measure": label,
                "client": b.value,
                "median": b.median,
                "q25": b.q25,
                "q75": b.q75,
                "n_clients": b.n_clients,
                "kind": kind,
            }
        )
    summary = pd.DataFrame(rows)
    pt = portfolio_projects(p)
    mine = pt[pt["client_id"] == client_id].sort_values("start_date", ascending=False)
    projects = pd.DataFrame(
        {
            "Project": mine["project_id"],
            "Delivery team": mine["delivery_team"],
            "Started": mine["start_date"].dt.date,
            "Finished": mine["actual_end_date"].dt.date.where(mine["finished"], "running"),
            "On time": mine["ontime_rate"],
            "Cost overrun": mine["cost_overrun"],
            "Slip (days)": mine["schedule_slip_days"],
            "Defects": mine["defects"],
            "Escalations": mine["escalations"],
            "Satisfaction": mine["csat_mean"],
        }
    )
    es = p.escalations[p.escalations["client_id"] == client_id]
    es = es.sort_values("opened_date", ascending=False)
    escalations = pd.DataFrame(
        {
            "Opened": es["opened_date"].dt.date,
            "Project": es["project_id"],
            "Severity": es["severity"],
            "Sales involved": np.where(es["sales_involved"], "yes", "no"),
            "Days to resolve": (es["resolved_date"] - es["opened_date"]).dt.days,
        }
    )
    finished = int(mine["finished"].sum())
    notes = []
    if finished == 0:
        notes.append(
            "No project of this client has finished yet, so its delivery quality cannot be "
            "judged: on-time rate, overrun and slip are known only at a project's end."
        )
    if summary["median"].isna().all():
        notes.append(
            f"Fewer than {min_clients} other clients have finished projects, so no portfolio "
            "benchmark is shown."
        )
    return DeliveryQuality(projects, escalations, summary, finished, notes, data_range(p))


def plot_delivery(d: DeliveryQuality):
    """On-time rate of each finished project, and escalations per quarter by severity."""
    import matplotlib.pyplot as plt

    done = d.projects[d.projects["Finished"] != "running"].dropna(subset=["On time"])
    if done.empty and d.escalations.empty:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    B.fixed_layout(fig, left=0.9, right=0.2, bottom=0.95, top=0.35, wspace=0.9)
    ontime = d.value("On-time milestone rate")
    if pd.notna(ontime["median"]):
        ax1.axhspan(
            100 * ontime["q25"],
            100 * ontime["q75"],
            color="C0",
            alpha=0.15,
            lw=0,
            label="Portfolio middle half",
        )
        ax1.axhline(100 * ontime["median"], color="C0", ls="--", label="Portfolio median")
    if not done.empty:
        ends = pd.to_datetime(done["Finished"])
        ax1.plot(ends, 100 * done["On time"], "o", color="black", label="This client's projects")
    if d.span is not None:
        ax1.set_xlim(d.span[0], d.span[1])
    ax1.set_ylim(0, 105)
    ax1.set_ylabel("Milestones on time (%)")
    ax1.set_title("On-time milestones of finished projects")
    ax1.tick_params(axis="x", rotation=30, labelsize=8)
    ax1.legend(fontsize=8, loc="lower left")
    _plot_escalations(d.escalations, d.span, ax2)
    return fig


def _plot_escalations(es: pd.DataFrame, span, ax) -> None:
    import matplotlib.pyplot as plt

    from satprofit.constants import SEVERITIES

    ax.set_title("Escalations per quarter, by severity")
    if es.empty:
        ax.text(0.5, 0.5, "No escalations", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        return
    q = pd.to_datetime(es["Opened"]).dt.to_period("Q").astype(str)
    quarters = pd.period_range(span[0], span[1], freq="Q").astype(str) if span else None
    grid = pd.crosstab(q, es["Severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    if quarters is not None:
        grid = grid.reindex(quarters, fill_value=0)
    x = np.arange(len(grid))
    bottom = np.zeros(len(grid))
    for i, sev in enumerate(SEVERITIES):
        ax.bar(x, grid[sev], bottom=bottom, color=f"C{i}", label=sev, width=0.8)
        bottom += grid[sev].to_numpy()
    ax.set_xticks(x[::2], list(grid.index)[::2], rotation=60, fontsize=8)
    ax.set_ylabel("Escalations")
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8, title="Severity", title_fontsize=8)


def _format_measure(kind: str):
    if kind == "pct":
        return B.pct
    if kind == "days":
        return lambda x: f"{float(x):,.0f}"
    return lambda x: B.number(x, 2)


def delivery_blocks(r: ClientReport) -> list:
    """Display blocks of the delivery quality and escalations section."""
    d = r.delivery
    summary = d.summary.copy()
    for col in ("client", "median", "q25", "q75"):
        summary[col] = [
            _format_measure(k)(v) if pd.notna(v) else None
            for k, v in zip(summary["kind"], summary[col], strict=True)
        ]
    summary = summary.drop(columns="kind").rename(
        columns={
            "measure": "Measure (whole period)",
            "client": "This client",
            "median": "Portfolio median",
            "q25": "Lower quartile",
            "q75": "Upper quartile",
            "n_clients": "Clients compared",
        }
    )
    out: list = [B.table(summary, caption="Delivery quality beside the portfolio")]
    out.extend(B.callout(n, "info") for n in d.notes)
    fig = plot_delivery(d)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Left: on-time milestone rate of each finished project of this client, with "
                "the portfolio median and middle half. Right: this client's escalations per "
                "quarter, stacked by severity.",
            )
        )
    out.append(
        B.table(
            d.projects,
            caption=f"Projects ({len(d.projects)})",
            formats={
                "On time": B.pct,
                "Cost overrun": B.pct,
                "Slip (days)": "{:,.0f}".format,
                "Satisfaction": lambda x: B.number(x, 1),
            },
        )
    )
    if d.escalations.empty:
        out.append(B.paragraph("There were no escalations in the period covered."))
    else:
        out.append(
            B.table(
                d.escalations,
                caption=f"Escalations ({len(d.escalations)})",
                formats={"Days to resolve": "{:,.0f}".format},
            )
        )
    return out
