"""Client report section: the article's six metrics per quarter beside anonymized benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.features.panel import DASHBOARD_METRICS, client_panel
from satprofit.metrics.plots import METRIC_LABELS
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    axis_number,
    benchmark,
    check_client,
    data_range,
    per_portfolio,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "MetricsComparison",
    "build_metrics",
    "metrics_blocks",
    "plot_metrics",
]

# --------------------------------------------------------------------------- the article's metrics


@dataclass
class MetricsComparison:
    """The article's six metrics for the client per quarter, beside the portfolio's spread.

    Attributes
    ----------
    table : DataFrame
        ``metric``, ``label``, ``period`` (text), ``client`` (NaN before the client's first
        activity), ``median``, ``q25``, ``q75`` (NaN when fewer than the minimum of other
        clients were active), ``n_clients``.
    recent : DataFrame
        Per metric over the last four full quarters: ``label``, ``client`` (total),
        ``median``, ``q25``, ``q75``, ``n_clients``.
    notes : list of str
    """

    table: pd.DataFrame
    recent: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def benchmarked(self) -> bool:
        return bool(self.table["median"].notna().any())


def _quarterly_metrics(portfolio) -> tuple[list[str], dict, dict, bool]:
    """Every client's dashboard metrics per full quarter, the same for every client report of
    a portfolio: the quarters, one client x quarter table per metric, each client's total per
    metric over the last four quarters, and whether an incomplete last quarter was left out."""
    panel = client_panel(portfolio, "Q", indices=False)
    _, end = data_range(portfolio)
    full = panel["period"].dt.end_time.dt.normalize() <= end.normalize()
    panel = panel[full].assign(period=lambda d: d["period"].astype(str))
    periods = sorted(panel["period"].unique())
    wides = {
        m: panel.pivot_table(index="client_id", columns="period", values=m, aggfunc="sum")
        for m in DASHBOARD_METRICS
    }
    recent = panel[panel["period"].isin(periods[-4:])].groupby("client_id")
    totals = {m: recent[m].sum() for m in DASHBOARD_METRICS}
    return periods, wides, totals, not full.all()


def build_metrics(
    run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> MetricsComparison:
    """The article's metrics for ``client_id`` per full quarter, with anonymized benchmarks."""
    check_client(run.portfolio, client_id)
    periods, wides, recent_totals, partial = per_portfolio(
        run.portfolio, ("metrics_panel",), lambda: _quarterly_metrics(run.portfolio)
    )
    notes = []
    if partial:
        notes.append("The last quarter is not complete yet and is left out.")
    rows = []
    for metric in DASHBOARD_METRICS:
        wide = wides[metric]
        for period in periods:
            col = wide[period] if period in wide else pd.Series(dtype=float)
            b = benchmark(col, client_id, min_clients)
            rows.append(
                {
                    "metric": metric,
                    "label": METRIC_LABELS[metric],
                    "period": period,
                    "client": b.value,
                    "median": b.median,
                    "q25": b.q25,
                    "q75": b.q75,
                    "n_clients": b.n_clients,
                }
            )
    table = pd.DataFrame(rows)
    recent_rows = []
    for metric in DASHBOARD_METRICS:
        b = benchmark(recent_totals[metric], client_id, min_clients)
        recent_rows.append(
            {
                "label": METRIC_LABELS[metric],
                "client": b.value,
                "median": b.median,
                "q25": b.q25,
                "q75": b.q75,
                "n_clients": b.n_clients,
            }
        )
    recent = pd.DataFrame(recent_rows)
    if table["median"].isna().all():
        notes.append(
            f"Fewer than {min_clients} other clients were active in every quarter, so no "
            "portfolio benchmark is shown."
        )
    elif table["median"].isna().any():
        notes.append(
            f"Quarters with fewer than {min_clients} other active clients show no benchmark."
        )
    return MetricsComparison(table, recent, notes)


def plot_metrics(m: MetricsComparison):
    """Six panels: the client's metric per quarter, the portfolio median and middle half."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(11, 5.8), sharex=True)
    B.fixed_layout(fig, left=0.8, right=0.2, bottom=1.05, top=0.35, wspace=0.75, hspace=0.45)
    for ax, metric in zip(axes.ravel(), DASHBOARD_METRICS, strict=True):
        d = m.table[m.table["metric"] == metric]
        x = np.arange(len(d))
        ax.fill_between(
            x, d["q25"], d["q75"], color="C0", alpha=0.18, lw=0, label="Portfolio middle half"
        )
        ax.plot(x, d["median"], color="C0", ls="--", lw=1.5, label="Portfolio median")
        ax.plot(x, d["client"], color="black", marker="o", ms=3.5, lw=1.6, label="This client")
        ax.set_title(B.plot_text(METRIC_LABELS[metric]), fontsize=9.5)
        ax.set_xticks(x[::2], list(d["period"])[::2], rotation=60, fontsize=7.5)
        ax.tick_params(axis="y", labelsize=8)
        top = np.nanmax([d["client"].max(), d["q75"].max(), 0.0])
        ax.set_ylim(0, 1.0 if not top > 0 else top * 1.08)
        if metric == "delivery_lead_net_sales":
            ax.yaxis.set_major_formatter(plt.FuncFormatter(axis_number))
        else:
            ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8.5)
    return fig


def metrics_blocks(r: ClientReport) -> list:
    """Display blocks of the metrics section."""
    m = r.metrics
    out = [
        B.figure(
            plot_metrics(m),
            "Six line charts, one per dashboard metric, showing this client's quarterly value "
            "as a black line against the portfolio median (dashed) and middle half (shaded band).",
        )
    ]
    recent = m.recent.rename(
        columns={
            "label": "Metric (last 4 quarters)",
            "client": "This client",
            "median": "Portfolio median",
            "q25": "Portfolio lower quartile",
            "q75": "Portfolio upper quartile",
            "n_clients": "Clients compared",
        }
    )
    fmt = {c: _metric_format for c in recent.columns[1:-1]}
    out.append(B.table(recent, caption="Totals over the last four full quarters", formats=fmt))
    out.extend(B.callout(n, "info") for n in m.notes)
    return out


def _metric_format(x: object) -> str:
    x = float(x)
    return f"{x:,.0f}" if abs(x) >= 100 or x == int(x) else f"{x:,.1f}"
