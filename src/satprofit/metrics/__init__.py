"""The article's dashboard: six metrics for sales and delivery teams, by group and period."""

from satprofit.metrics.dashboard import GROUP_KEYS, dashboard
from satprofit.metrics.plots import plot_metric_heatmap, plot_metric_trends, plot_metrics_overview

__all__ = [
    "GROUP_KEYS",
    "dashboard",
    "plot_metric_heatmap",
    "plot_metric_trends",
    "plot_metrics_overview",
]
