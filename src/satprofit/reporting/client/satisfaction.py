"""Client report section: the satisfaction trend beside the portfolio."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    RECENT_DAYS,
    Benchmark,
    benchmark,
    check_client,
    client_levels,
    data_range,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "MIN_RESPONSES",
    "SatisfactionTrend",
    "build_satisfaction",
    "plot_satisfaction",
    "satisfaction_blocks",
]

#: Fewer survey responses than this and the report says satisfaction claims are too thin.
MIN_RESPONSES = 5


# --------------------------------------------------------------------------- satisfaction


@dataclass
class SatisfactionTrend:
    """The client's survey scores per quarter beside the portfolio's.

    Attributes
    ----------
    by_quarter : DataFrame
        ``period``, ``responses``, ``csat`` (client mean), ``nps`` (client mean), ``median``,
        ``q25``, ``q75`` (of other clients' quarterly means), ``n_clients``.
    overall : Benchmark
        Mean csat over the whole period beside other clients' means.
    recent : Benchmark
        The same over the last 12 months.
    earlier_csat : float
        Mean csat of the 12 months before those (NaN when fewer than :data:`MIN_RESPONSES`).
    responses, recent_responses : int
    thin : bool
        Fewer than :data:`MIN_RESPONSES` responses in all: no claim about satisfaction.
    notes : list of str
    """

    by_quarter: pd.DataFrame
    overall: Benchmark
    recent: Benchmark
    earlier_csat: float
    responses: int
    recent_responses: int
    thin: bool
    notes: list[str] = field(default_factory=list)


def build_satisfaction(
    run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> SatisfactionTrend:
    """Satisfaction (csat 1..5, nps 0..10) of ``client_id`` per quarter and overall."""
    p = run.portfolio
    check_client(p, client_id)
    _, end = data_range(p)
    sv = p.surveys.assign(
        period=p.surveys["date"].dt.to_period("Q").astype(str), nps=p.surveys["nps"].astype(float)
    )
    per = sv.groupby(["client_id", "period"])["csat"].mean().unstack()
    mine = sv[sv["client_id"] == client_id]
    g = mine.groupby("period")
    rows = []
    for period in sorted(sv["period"].unique()):
        b = benchmark(per[period], client_id, min_clients)
        rows.append(
            {
                "period": period,
                "responses": int(g.size().get(period, 0)),
                "csat": b.value,
                "nps": g["nps"].mean().get(period, np.nan),
                "median": b.median,
                "q25": b.q25,
                "q75": b.q75,
                "n_clients": b.n_clients,
            }
        )
    recent_since = end - pd.Timedelta(days=RECENT_DAYS)
    overall = benchmark(client_levels(p)["csat_mean"], client_id, min_clients)
    recent_levels = client_levels(p, since=recent_since)
    recent = benchmark(recent_levels["csat_mean"], client_id, min_clients)
    before = mine[
        (mine["date"] < recent_since) & (mine["date"] >= recent_since - (end - recent_since))
    ]
    earlier = float(before["csat"].mean()) if len(before) >= MIN_RESPONSES else float("nan")
    n_recent = int(recent_levels.loc[client_id, "responses"])
    thin = len(mine) < MIN_RESPONSES
    notes = []
    if thin:
        notes.append(
            f"This client gave {B.plural(len(mine), 'survey response')} in the period covered; "
            f"with fewer than {MIN_RESPONSES} we make no claim about its satisfaction level or "
            "trend."
        )
    elif n_recent == 0:
        notes.append("No survey responses in the last 12 months: there is no recent level.")
    elif n_recent < MIN_RESPONSES:
        notes.append(
            f"Only {B.plural(n_recent, 'response')} in the last 12 months: the recent level is "
            "uncertain."
        )
    if not overall.available:
        notes.append(
            f"Fewer than {min_clients} other clients answered surveys, so no portfolio benchmark "
            "is shown."
        )
    return SatisfactionTrend(
        pd.DataFrame(rows), overall, recent, earlier, len(mine), n_recent, thin, notes
    )


def plot_satisfaction(s: SatisfactionTrend):
    """Quarterly mean csat of the client (point size: responses) beside the portfolio."""
    import matplotlib.pyplot as plt

    d = s.by_quarter
    if d.empty:
        return None
    fig, ax = plt.subplots(figsize=(10, 3.8))
    B.fixed_layout(fig, left=0.8, right=0.2, bottom=0.85, top=0.35)
    x = np.arange(len(d))
    ax.fill_between(
        x, d["q25"], d["q75"], color="C0", alpha=0.18, lw=0, label="Portfolio middle half"
    )
    ax.plot(x, d["median"], color="C0", ls="--", label="Portfolio median")
    has = d["csat"].notna().to_numpy()
    ax.plot(x[has], d["csat"][has], color="black", lw=1.2)
    ax.scatter(
        x[has],
        d["csat"][has],
        s=18 + 14 * d["responses"][has],
        color="black",
        zorder=3,
        label="This client (dot size: responses)",
    )
    for xi, (n, y) in zip(x[has], d.loc[has, ["responses", "csat"]].to_numpy(), strict=True):
        ax.annotate(
            f"n={int(n)}",
            (xi, y),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=7,
        )
    ax.set_ylim(1, 5.4)
    ax.set_ylabel("Mean satisfaction (1 to 5)")
    ax.set_xticks(x, d["period"], rotation=60, fontsize=8)
    ax.set_title("Satisfaction per quarter")
    ax.legend(fontsize=8, loc="lower left", ncol=3)
    return fig


def satisfaction_blocks(r: ClientReport) -> list:
    """Display blocks of the satisfaction trend section."""
    s = r.satisfaction
    out: list = []
    out.extend(B.callout(n, "info" if not s.thin else "warning") for n in s.notes)
    out.append(B.paragraph(_satisfaction_sentence(s)))
    fig = plot_satisfaction(s)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Line chart of this client's mean satisfaction score (1 to 5) per quarter, "
                "with the number of responses, against the portfolio median and middle half.",
            )
        )
    tbl = s.by_quarter[s.by_quarter["responses"] > 0].rename(
        columns={
            "period": "Quarter",
            "responses": "Responses",
            "csat": "Satisfaction (1-5)",
            "nps": "Likelihood to recommend (0-10)",
            "median": "Portfolio median",
            "n_clients": "Clients compared",
        }
    )
    tbl = tbl.drop(columns=["q25", "q75"])
    fmt = {c: (lambda x: B.number(x, 2)) for c in tbl.columns[2:5]}
    out.append(B.table(tbl, caption="Survey responses by quarter", formats=fmt))
    return out


def _satisfaction_sentence(s: SatisfactionTrend) -> str:
    if s.responses == 0:
        return "This client has not answered any satisfaction survey in the period covered."
    text = (
        f"Over the period covered, {B.plural(s.responses, 'survey response')} give a mean "
        f"satisfaction of {B.number(s.overall.value, 2)} out of 5"
    )
    if s.overall.available:
        text += f" (portfolio median {B.number(s.overall.median, 2)})"
    text += "."
    if not s.thin and np.isfinite(s.earlier_csat) and s.recent_responses >= MIN_RESPONSES:
        change = s.recent.value - s.earlier_csat
        word = "up" if change > 0.05 else "down" if change < -0.05 else "about level"
        text += (
            f" In the last 12 months it was {B.number(s.recent.value, 2)}, {word} from "
            f"{B.number(s.earlier_csat, 2)} in the 12 months before."
        )
    return text
