"""Client report section: what each lever is worth over the next four quarters, in currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    NOT_CONVERGED,
    RECENT_DAYS,
    check_client,
    client_levels,
    data_range,
)

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "SCENARIOS",
    "WhatIf",
    "build_what_if",
    "plot_what_if",
    "what_if_blocks",
]

#: What-if scenarios: key -> (label, changes for :func:`satprofit.bayes.scenario`).
SCENARIOS: dict[str, tuple[str, dict]] = {
    "ontime": ("On-time milestones +10 percentage points", {"ontime_pp": 10}),
    "reports": ("Sales sends 1 business status report a month", {"status_reports_per_month": 1}),
    "signoff": ("Delivery signs off every proposal", {"signoff_all": True}),
    "all": (
        "All three together",
        {"ontime_pp": 10, "status_reports_per_month": 1, "signoff_all": True},
    ),
}


# --------------------------------------------------------------------------- what-if


@dataclass
class WhatIf:
    """The worth of each lever for this client over the next four quarters, in currency.

    Attributes
    ----------
    table : DataFrame
        ``scenario`` (key), ``label``, ``measure`` (``value``: repeat-business contract value,
        ``margin``: the margin of delivering it), ``median``, ``low80``, ``high80`` (80 %
        interval), ``ci_low``, ``ci_high`` (the ``INTERVAL_PROB`` interval) of the difference
        from the status quo.
    status_quo : DataFrame
        Expected repeat business without change: index measure, the same columns.
    converged : bool
        Whether every model behind the figures passed the convergence checks.
    error : str or None
        Why the client cannot be forecast (then ``table`` is empty).
    notes : list of str
    current_reports : float
        Status reports a month the client gets today (last 12 months).
    """

    table: pd.DataFrame
    status_quo: pd.DataFrame
    converged: bool
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    current_reports: float = float("nan")

    def row(self, scenario: str, measure: str = "value") -> pd.Series:
        t = self.table
        return t[(t["scenario"] == scenario) & (t["measure"] == measure)].iloc[0]


def build_what_if(run, client_id: str, *, seed: int) -> WhatIf:
    """Run :data:`SCENARIOS` through :func:`satprofit.bayes.scenario` for ``client_id``.

    Parameters
    ----------
    run : Run or PortfolioFit
        A saved run (:func:`satprofit.runs.load_run`) or a fit in memory
        (:func:`satprofit.runs.fit_portfolio`, :func:`satprofit.bayes.fit_models`; without the
        causal sign-off estimate that ``fit_portfolio`` joins, the sign-off lever is ignored
        with a note).
    client_id : str
    seed : int
        Seed of the scenario draws.
    """
    from satprofit.bayes import scenario

    fit = getattr(run, "fit", run)
    p = fit.portfolio
    check_client(p, client_id)
    _, end = data_range(p)
    reports = client_levels(p, since=end - pd.Timedelta(days=RECENT_DAYS)).loc[
        client_id, "reports_per_month"
    ]
    rows, notes, status_quo = [], [], pd.DataFrame()
    for key, (label, changes) in SCENARIOS.items():
        try:
            res = scenario(fit, client_id, changes, seed=seed)
        except ValueError as err:
            return WhatIf(
                pd.DataFrame(), pd.DataFrame(), fit.converged, str(err), [], float(reports)
            )
        diff = res.table.xs("difference", level="case")
        status_quo = res.table.xs("status_quo", level="case")
        for measure, vals in diff.iterrows():
            rows.append({"scenario": key, "label": label, "measure": measure, **vals.to_dict()})
        notes.extend(n for n in res.notes if n not in notes)
    table = pd.DataFrame(rows)
    notes.extend(_no_effect_notes(fit, client_id, table))
    return WhatIf(table, status_quo, fit.converged, None, notes, float(reports))


def _no_effect_notes(fit, client_id: str, table: pd.DataFrame) -> list[str]:
    """Say why a scenario changes nothing for this client."""
    cur = fit.data["repeat"].current
    cur = cur[cur["client_id"] == client_id]
    out = []
    for key, (label, _) in SCENARIOS.items():
        d = table[table["scenario"] == key]
        if key == "all" or not np.allclose(d[["ci_low", "ci_high"]].to_numpy(float), 0.0):
            continue
        if key == "signoff" and (cur["signoff_share_trailing"] >= 1).all():
            why = "delivery already signs off every proposal for this client"
        elif key in ("signoff", "ontime") and (cur["ontime_rate_trailing"] >= 1).all():
            why = "all milestones of this client's recent projects were already on time"
        elif key in ("signoff", "ontime") and cur["ontime_rate_trailing"].isna().all():
            why = "no project with milestones finished for this client in the last four quarters"
        else:
            why = "the change is already in place or does not apply to this client"
        out.append(f"'{label}' changes nothing here: {why}.")
    return out


def plot_what_if(w: WhatIf):
    """Forest plot: each scenario's change of repeat business, 80 % and ``INTERVAL_PROB``
    intervals."""
    import matplotlib.pyplot as plt

    if w.table.empty:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True, constrained_layout=True)
    titles = {"value": "Repeat-business contract value", "margin": "Margin on that business"}
    labels = [lab for lab, _ in SCENARIOS.values()]
    y = np.arange(len(labels))[::-1]
    for ax, measure in zip(axes, ("value", "margin"), strict=True):
        d = w.table[w.table["measure"] == measure].set_index("label").reindex(labels)
        ax.hlines(
            y, d["ci_low"], d["ci_high"], color="0.6", lw=2, label=f"{INTERVAL_LABEL} interval"
        )
        ax.hlines(y, d["low80"], d["high80"], color="C0", lw=6, label="80% interval")
        ax.plot(d["median"], y, "o", color="black", label="Most likely")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(titles[measure])
        ax.set_xlabel(f"Change over the next 4 quarters ({B.currency_label()})")
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes[0].set_yticks(y, [B.plot_text(lab) for lab in labels])
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize=8.5)
    if not w.converged:
        fig.suptitle("Provisional: the models have not converged", color="#d55e00")
    return fig


def what_if_blocks(r: ClientReport) -> list:
    """Display blocks of the what-if section (with the not-converged warning when due)."""
    w = r.what_if
    out: list = []
    if not w.converged:
        out.append(B.callout(NOT_CONVERGED, "warning"))
    if w.error:
        out.append(
            B.callout(f"This client cannot be forecast: {w.error}. No what-if is shown.", "info")
        )
        return out
    sq = w.status_quo.loc["value"]
    out.append(
        B.paragraph(
            "Without any change, this client's repeat business over the next four quarters is "
            f"forecast at {B.money(sq['low80'])} to {B.money(sq['high80'])} in contract value "
            f"(80% interval; single most likely outcome {B.money(sq['median'])}): a few large "
            "deals make it uncertain. The changes below are differences in expected repeat "
            "business, so their intervals show what we do not know about each lever. "
            f"Today sales sends this client {B.number(w.current_reports, 1)} business status "
            "reports a month."
        )
    )
    out.append(
        B.figure(
            plot_what_if(w),
            "Forest plot of the change in repeat-business value and margin over the next four "
            f"quarters for each what-if scenario, with most likely values, 80% and {INTERVAL_LABEL} "
            "intervals.",
        )
    )
    t = w.table
    shown = pd.DataFrame(
        {
            "Scenario": t["label"],
            "Measure": t["measure"].map(
                {"value": "Repeat-business value", "margin": "Margin on it"}
            ),
            "Most likely change": t["median"].map(B.money),
            "80% interval": [
                f"{B.money(a)} to {B.money(b)}"
                for a, b in zip(t["low80"], t["high80"], strict=True)
            ],
            f"{INTERVAL_LABEL} interval": [
                f"{B.money(a)} to {B.money(b)}"
                for a, b in zip(t["ci_low"], t["ci_high"], strict=True)
            ],
        }
    )
    out.append(B.table(shown, caption="What each change is worth over the next four quarters"))
    out.extend(B.callout(n, "info") for n in w.notes)
    return out
