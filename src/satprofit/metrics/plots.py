"""Dashboard figures (seaborn). Each function draws one figure and returns it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from satprofit.features.panel import DASHBOARD_METRICS

#: Plain-language labels of the six metrics.
METRIC_LABELS: dict[str, str] = {
    "delivery_leads": "Leads from delivery teams",
    "delivery_lead_net_sales": "Net sales from delivery leads",
    "sales_meetings_with_delivery": "Sales meetings with delivery present",
    "status_reports_by_sales": "Business status reports sent by sales",
    "escalations_with_sales": "Escalations with sales involved",
    "joint_engagements": "Joint client engagements",
}


def _group_col(table: pd.DataFrame) -> str:
    return next(c for c in table.columns if c not in ("period", *DASHBOARD_METRICS))


def plot_metrics_overview(table: pd.DataFrame, *, title: str | None = None) -> plt.Figure:
    """Six small panels: each metric's total over all groups, per period."""
    totals = table.groupby("period", sort=True)[list(DASHBOARD_METRICS)].sum()
    fig, axes = plt.subplots(2, 3, figsize=(12, 6), sharex=True, constrained_layout=True)
    for ax, metric in zip(axes.ravel(), DASHBOARD_METRICS, strict=True):
        sns.lineplot(x=totals.index, y=totals[metric].to_numpy(), marker="o", ax=ax)
        ax.set_title(METRIC_LABELS[metric], fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="x", rotation=60, labelsize=8)
    fig.suptitle(title or "The article's six metrics, all groups")
    return fig


def plot_metric_trends(
    table: pd.DataFrame,
    *,
    metric: str = "status_reports_by_sales",
    top: int = 8,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """One line per group (the ``top`` groups by total) for one metric over time."""
    group = _group_col(table)
    keep = table.groupby(group)[metric].sum().nlargest(top).index
    data = table[table[group].isin(keep)]
    fig = ax.figure if ax is not None else plt.figure(figsize=(10, 4.5))
    ax = ax or fig.add_subplot()
    sns.lineplot(data=data, x="period", y=metric, hue=group, marker="o", ax=ax)
    ax.set_title(f"{METRIC_LABELS[metric]} by {group.replace('_', ' ')}")
    ax.set_xlabel("")
    ax.set_ylabel(METRIC_LABELS[metric])
    ax.tick_params(axis="x", rotation=60)
    ax.legend(title=group.replace("_", " "), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def plot_metric_heatmap(
    table: pd.DataFrame, *, metric: str = "joint_engagements", ax: plt.Axes | None = None
) -> plt.Figure:
    """Groups by periods, coloured by one metric."""
    group = _group_col(table)
    grid = table.pivot_table(index=group, columns="period", values=metric, aggfunc="sum")
    fig = ax.figure if ax is not None else plt.figure(figsize=(10, max(3.0, 0.3 * len(grid) + 1.5)))
    ax = ax or fig.add_subplot()
    sns.heatmap(grid, cmap="crest", ax=ax, cbar_kws={"label": METRIC_LABELS[metric]})
    ax.set_title(f"{METRIC_LABELS[metric]} by {group.replace('_', ' ')} and period")
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig
