"""Figures of NPS results: forest plots of groups and of differences, one client's trend.

Every function returns a matplotlib figure (seaborn's theme where the caller set one).
"""

from __future__ import annotations

import numpy as np

from satprofit.constants import INTERVAL_LABEL


def _label(row, keys) -> str:
    return " | ".join(str(row[k]) for k in keys) if keys else "portfolio"


def plot_nps(result, ax=None, *, max_groups: int = 40, sort: bool = True):
    """Posterior mean and interval of each group (at most ``max_groups``, the largest by
    answers), with the raw NPS as an open circle.

    Parameters
    ----------
    result : NPSResult
    ax : matplotlib Axes, optional
    max_groups : int
    sort : bool
        Order groups by estimate.
    """
    import matplotlib.pyplot as plt

    t = result.table
    if len(t) > max_groups:
        t = t.nlargest(max_groups, "n")
    if sort:
        t = t.sort_values("estimate")
    fig = ax.figure if ax is not None else plt.figure(figsize=(7, 0.28 * len(t) + 1.6))
    ax = ax or fig.add_subplot()
    y = np.arange(len(t))
    est = t["estimate"].to_numpy(float)
    ax.errorbar(
        est,
        y,
        xerr=[est - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - est],
        fmt="o",
        color="C0",
        capsize=2,
        label=f"posterior mean, {INTERVAL_LABEL} interval",
    )
    ax.scatter(t["raw_nps"], y, facecolors="none", edgecolors="C3", label="raw NPS", zorder=3)
    ax.set_yticks(y, [f"{_label(r, result.keys)} (n={r['n']})" for _, r in t.iterrows()])
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlim(-105, 105)
    ax.set_xlabel("NPS (promoters minus detractors, points)")
    title = "NPS, pooled toward segments" if result.method == "pooled" else "NPS"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_comparison(comparison, ax=None):
    """Each group's change ``NPS_b - NPS_a`` with its interval and P(rose)."""
    import matplotlib.pyplot as plt

    t = comparison.table
    fig = ax.figure if ax is not None else plt.figure(figsize=(7, 0.35 * len(t) + 1.6))
    ax = ax or fig.add_subplot()
    y = np.arange(len(t))
    est = t["difference"].to_numpy(float)
    ax.errorbar(
        est,
        y,
        xerr=[est - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - est],
        fmt="o",
        capsize=3,
    )
    labels = [f"{_label(r, comparison.keys)}: P(rose) {r['p_rose']:.2f}" for _, r in t.iterrows()]
    ax.set_yticks(y, labels)
    ax.axvline(0, color="grey", lw=0.8)
    a, b = comparison.settings.get("a"), comparison.settings.get("b")
    ax.set_xlabel(f"NPS change, {b} minus {a} (points)")
    ax.set_title(f"Change in NPS with {INTERVAL_LABEL} intervals")
    return fig


def plot_trend(trend, ax=None):
    """One client's NPS per period with intervals beside the portfolio's."""
    import matplotlib.pyplot as plt

    p = trend.periods
    fig = ax.figure if ax is not None else plt.figure(figsize=(8, 3.6))
    ax = ax or fig.add_subplot()
    x = np.arange(len(p))
    ax.fill_between(x, p["ci_low"], p["ci_high"], color="C0", alpha=0.2, lw=0)
    ax.plot(x, p["estimate"], "o-", color="C0", label=f"client, {INTERVAL_LABEL} interval")
    ax.plot(x, p["portfolio"], "--", color="grey", label="portfolio")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xticks(x, [f"{per}\nn={n}" for per, n in zip(p["period"], p["n"], strict=True)])
    ax.set_ylim(-105, 105)
    ax.set_ylabel("NPS (points)")
    ax.legend(fontsize=8, loc="lower left")
    return fig
