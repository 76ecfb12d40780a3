"""Portfolio report section: the article's dashboard by delivery team and business unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.features.panel import DASHBOARD_METRICS
from satprofit.metrics import dashboard
from satprofit.metrics.plots import METRIC_LABELS
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    axis_number,
    data_range,
)

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "DashboardTables",
    "build_dashboards",
    "dashboard_blocks",
    "plot_dashboard",
]

# --------------------------------------------------------------------------- dashboards


@dataclass
class DashboardTables:
    """The article's six metrics over the last four full quarters, by team and by unit.

    Attributes
    ----------
    by_team, by_unit : DataFrame
        One row per delivery team / business unit, one column per metric (totals).
    quarters : list of str
        The quarters summed.
    unit_trend : DataFrame
        The full dashboard by business unit and quarter (for the figure).
    """

    by_team: pd.DataFrame
    by_unit: pd.DataFrame
    quarters: list[str]
    unit_trend: pd.DataFrame


def _recent_totals(table: pd.DataFrame, key: str, quarters: list[str]) -> pd.DataFrame:
    sub = table[table["period"].isin(quarters)]
    tot = sub.groupby(key)[list(DASHBOARD_METRICS)].sum().reset_index()
    return tot.sort_values(key, kind="stable").reset_index(drop=True)


def build_dashboards(run) -> DashboardTables:
    """The dashboard by delivery team and by business unit (last four full quarters)."""
    p = run.portfolio
    _, end = data_range(p)
    team = dashboard(p, by="delivery_team", freq="Q")
    unit = dashboard(p, by="business_unit", freq="Q")
    periods = pd.PeriodIndex(sorted(unit["period"].unique()), freq="Q")
    full = [str(q) for q in periods if q.end_time.normalize() <= end.normalize()]
    quarters = full[-4:]
    unit_trend = unit[unit["period"].isin(full)].reset_index(drop=True)
    return DashboardTables(
        _recent_totals(team, "delivery_team", quarters),
        _recent_totals(unit, "business_unit", quarters),
        quarters,
        unit_trend,
    )


def plot_dashboard(d: DashboardTables):
    """Six panels: each metric per quarter, one line per business unit."""
    import matplotlib.pyplot as plt

    t = d.unit_trend
    if t.empty:
        return None
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.2), sharex=True, constrained_layout=True)
    units = sorted(t["business_unit"].unique())
    periods = sorted(t["period"].unique())
    x = np.arange(len(periods))
    for ax, metric in zip(axes.ravel(), DASHBOARD_METRICS, strict=True):
        wide = t.pivot_table(
            index="period", columns="business_unit", values=metric, aggfunc="sum"
        ).reindex(periods)
        for i, unit in enumerate(units):
            style = "-" if i < 10 else "--"
            ax.plot(
                x,
                wide[unit],
                style,
                marker="o",
                ms=2.5,
                lw=1.2,
                color=f"C{i % 10}",
                label=B.plot_text(unit),
            )
        ax.set_title(B.plot_text(METRIC_LABELS[metric]), fontsize=9.5)
        ax.set_xticks(x[::2], periods[::2], rotation=60, fontsize=7.5)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(axis_number))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(units)), fontsize=8)
    return fig


def dashboard_blocks(r: PortfolioReport) -> list:
    """Display blocks of the dashboard section."""
    d = r.dashboards
    names = {m: METRIC_LABELS[m] for m in DASHBOARD_METRICS}
    fmt = {METRIC_LABELS[m]: axis_number for m in DASHBOARD_METRICS}
    span = f"{d.quarters[0]} to {d.quarters[-1]}" if d.quarters else "no full quarter"
    out: list = []
    fig = plot_dashboard(d)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Six line charts, one per dashboard metric, with one line per business unit "
                "over the quarters covered.",
            )
        )
    out.append(
        B.table(
            d.by_unit.rename(columns={"business_unit": "Business unit", **names}),
            caption=f"By business unit, totals {span}",
            formats=fmt,
        )
    )
    out.append(
        B.table(
            d.by_team.rename(columns={"delivery_team": "Delivery team", **names}),
            caption=f"By delivery team, totals {span}",
            formats=fmt,
        )
    )
    out.append(
        B.paragraph(
            "Events without a project cannot be traced to a delivery team and are listed as "
            "(unassigned)."
        )
    )
    return out
