"""Portfolio report section: the incentive policies, their effect and who adopted what when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL, INTERVAL_PERCENT
from satprofit.features.business_units import business_unit_panel, policy_starts
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    estimate_status,
    estimate_text,
)
from satprofit.reporting.portfolio.estimates import build_estimates

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "POLICY_QUESTION",
    "PolicyEffects",
    "build_policy",
    "plot_policy",
    "policy_blocks",
]

#: The question whose estimates the policy section shows.
POLICY_QUESTION = "delivery_bonus_to_leads"


# --------------------------------------------------------------------------- incentive policies


@dataclass
class PolicyEffects:
    """The lead-bonus question and the incentive policies' adoption.

    Attributes
    ----------
    estimates : DataFrame
        The ``delivery_bonus_to_leads`` rows of :func:`build_estimates`.
    adoption : DataFrame
        Business unit by policy: the date the policy came into force (empty: never).
    panel : DataFrame
        Business-unit quarters: ``business_unit``, ``period`` (text), ``delivery_leads``,
        ``delivery_lead_bonus`` (in force at the quarter's start).
    """

    estimates: pd.DataFrame
    adoption: pd.DataFrame
    panel: pd.DataFrame


def build_policy(run, estimates: pd.DataFrame | None = None) -> PolicyEffects:
    """Effect of the delivery lead bonus on delivery leads, and who adopted what when."""
    p = run.portfolio
    est = build_estimates(run) if estimates is None else estimates
    est = est[est["estimand"] == POLICY_QUESTION].reset_index(drop=True)
    starts = policy_starts(p)
    if starts.empty:
        adoption = pd.DataFrame(columns=["business_unit"])
    else:
        adoption = starts.assign(start_date=starts["start_date"].dt.date).pivot(
            index="business_unit", columns="policy", values="start_date"
        )
        adoption = adoption.reset_index().rename_axis(columns=None)
    panel = business_unit_panel(p, "Q")
    panel = panel[panel["full_period"]]
    col = "delivery_lead_bonus"
    keep = ["business_unit", "period", "delivery_leads", *([col] if col in panel else [])]
    panel = panel[keep].assign(period=panel["period"].astype(str)).reset_index(drop=True)
    return PolicyEffects(est, adoption, panel)


def plot_policy(pe: PolicyEffects):
    """Delivery leads per business unit and quarter; quarters with the bonus in force shaded."""
    import matplotlib.pyplot as plt

    t = pe.panel
    if t.empty:
        return None
    units = sorted(t["business_unit"].unique())
    ncol = 4
    nrow = int(np.ceil(len(units) / ncol))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(12, 2.4 * nrow + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
        constrained_layout=True,
    )
    periods = sorted(t["period"].unique())
    x = np.arange(len(periods))
    for ax, unit in zip(axes.ravel(), units, strict=False):
        d = t[t["business_unit"] == unit].set_index("period").reindex(periods)
        if "delivery_lead_bonus" in d:
            on = d["delivery_lead_bonus"].fillna(False).astype(bool).to_numpy()
            for xi in x[on]:
                ax.axvspan(xi - 0.5, xi + 0.5, color="C2", alpha=0.15, lw=0)
        ax.plot(x, d["delivery_leads"], marker="o", ms=3, color="black", lw=1.2)
        ax.set_title(B.plot_text(unit), fontsize=9)
        ax.set_xticks(x[::3], periods[::3], rotation=60, fontsize=7)
    for ax in axes.ravel()[len(units) :]:
        ax.set_visible(False)
    fig.supylabel("Delivery leads a quarter", fontsize=9)
    fig.suptitle("Delivery leads by business unit (shaded: lead bonus in force)", fontsize=10)
    return fig


def policy_blocks(r: PortfolioReport) -> list:
    """Display blocks of the incentive-policy section."""
    pe = r.policy
    out: list = []
    est = pe.estimates
    if est.empty:
        out.append(B.callout("The run holds no estimate of the lead bonus's effect.", "info"))
    else:
        shown = pd.DataFrame(
            {
                "Method": est["method_label"],
                f"Effect ({INTERVAL_LABEL} interval)": [
                    estimate_text(row) for _, row in est.iterrows()
                ],
                "Unit": est["unit"],
                "Business-unit quarters": est["n"],
                "Status": [estimate_status(row) for _, row in est.iterrows()],
                "Note": est["note"],
            }
        )
        out.append(B.paragraph(_policy_sentence(est)))
        out.append(
            B.table(
                shown,
                caption="Delivery lead bonus -> delivery leads",
                formats={"Business-unit quarters": "{:,.0f}".format},
            )
        )
    if pe.adoption.empty:
        out.append(B.paragraph("No business unit has adopted an incentive policy in the data."))
    else:
        out.append(
            B.table(
                pe.adoption.rename(columns={"business_unit": "Business unit"}),
                caption="When each business unit adopted each policy (empty: never)",
            )
        )
    fig = plot_policy(pe)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Small multiples of delivery leads per quarter for each business unit, with the "
                "quarters in which the delivery lead bonus was in force shaded.",
            )
        )
    return out


def _policy_sentence(est: pd.DataFrame) -> str:
    main = est[est["method"] == "did"]
    main = main if len(main) else est[est["method"] != "naive"]
    if main.empty or not main.iloc[0]["answered"]:
        return (
            "The data cannot estimate the lead bonus's effect with a difference-in-differences "
            "design (see the note below)."
        )
    row = main.iloc[0]
    text = (
        f"Where the delivery lead bonus is in force, business units get "
        f"{B.interval(row['estimate'], row['ci_low'], row['ci_high'], _one, level=INTERVAL_PERCENT)} more "
        f"delivery leads a quarter ({row['method_label']})"
    )
    if B.spans_zero(row["ci_low"], row["ci_high"]):
        text += "; the interval includes no effect"
    return text + "."


def _one(x: object) -> str:
    return B.number(x, 1)
