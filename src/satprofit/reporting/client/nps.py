"""Client report section: the client's Net Promoter Score with its interval and trend.

The client's NPS is partially pooled (:func:`satprofit.survey.nps.pooled_nps`): with few
answers it leans on clients of the same size band, and the report says so. The trend is per
half-year (:func:`satprofit.survey.nps.client_trend`), with the probability that NPS rose from
the previous half-year to the last. Only this client's figures appear, beside aggregates: the
typical client of its size band and the portfolio's NPS, each shown only when at least
``min_clients`` other clients answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL, INTERVAL_PERCENT
from satprofit.reporting import blocks as B
from satprofit.reporting.common import check_client, per_portfolio
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "MIN_NPS_ANSWERS",
    "ClientNPS",
    "build_nps",
    "nps_blocks",
    "plot_nps_trend",
]

#: Fewer nps answers than this and the report calls them too few to pin the score down.
MIN_NPS_ANSWERS = 5
#: Fewest answers in each of the two half-years compared before the change is put in words.
MIN_PERIOD_ANSWERS = 3
#: Posterior draws behind the section's figures.
DRAWS = 4000


@dataclass
class ClientNPS:
    """The client's NPS, its segment's and the portfolio's, and the client's trend.

    Attributes
    ----------
    answers : int
        This client's nps answers (0..10).
    estimate, ci_low, ci_high : float
        This client's pooled NPS (posterior mean) and interval (NaN without any answer).
    raw : float
        Promoters minus detractors among this client's own answers.
    shrinkage : float
        How much the figure leans on the size band (0: own answers only, 1: the band only).
    segment : str
        The client's size band.
    segment_nps : tuple or None
        (estimate, low, high) of the typical client of the band; None with fewer than
        ``min_clients`` other clients answering in the band.
    portfolio_nps : tuple or None
        (estimate, low, high) of every answer in the portfolio; None with too few clients.
    trend : DataFrame
        Per half-year with this client's answers: ``period``, ``n``, ``estimate``, ``ci_low``,
        ``ci_high``, ``portfolio`` (NaN where fewer than ``min_clients`` other clients answered).
    change : dict or None
        Previous and last half-year, difference with interval and ``p_rose``.
    available : bool
        Whether the portfolio has nps answers at all.
    notes : list of str
    """

    answers: int
    estimate: float
    ci_low: float
    ci_high: float
    raw: float
    shrinkage: float
    segment: str
    segment_nps: tuple | None
    portfolio_nps: tuple | None
    trend: pd.DataFrame
    change: dict | None
    available: bool = True
    notes: list[str] = field(default_factory=list)


def _unavailable(segment: str, why: str) -> ClientNPS:
    nan = float("nan")
    return ClientNPS(0, nan, nan, nan, nan, nan, segment, None, None, pd.DataFrame(), None,
                     False, [why])  # fmt: skip


def build_nps(
    run, client_id: str, *, seed: int, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> ClientNPS:
    """The NPS section of ``client_id`` from the run's portfolio (nothing is refitted from the
    run's models: the NPS posteriors are conjugate and take a second)."""
    from satprofit.survey.nps import client_trend, nps_summary, pooled_nps, trend_fit
    from satprofit.survey.nps_data import NoNPSAnswers, nps_data

    p = run.portfolio
    row = check_client(p, client_id)
    segment = str(row["size_band"])
    try:
        data = per_portfolio(p, ("nps_data",), lambda: nps_data(p))
    except NoNPSAnswers:
        return _unavailable(segment, "No client answered the likelihood-to-recommend question.")
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(3)]
    # the pooled fits do not depend on the client: once per portfolio and seed
    pooled = per_portfolio(
        p, ("pooled_nps", seeds[0]), lambda: pooled_nps(data, draws=DRAWS, seed=seeds[0])
    )
    mine = pooled.row(client_id=client_id)
    answered = data.frame.groupby("client_id").size()
    others = answered[answered.index != client_id]
    band_others = others[others.index.map(data.clients.set_index("client_id")["segment"])
                         == mine["segment"]]  # fmt: skip
    seg_row = pooled.segments.set_index("segment").loc[mine["segment"]]
    segment_nps = (
        (seg_row["estimate"], seg_row["ci_low"], seg_row["ci_high"])
        if len(band_others) >= min_clients
        else None
    )
    port = per_portfolio(
        p, ("nps_summary", seeds[1]), lambda: nps_summary(data, draws=DRAWS, seed=seeds[1])
    ).table.iloc[0]
    portfolio_nps = (
        (port["estimate"], port["ci_low"], port["ci_high"]) if len(others) >= min_clients else None
    )
    n = int(mine["n"])
    notes = []
    trend, change = pd.DataFrame(), None
    if n:
        fit = per_portfolio(
            p, ("trend_fit", seeds[2]), lambda: trend_fit(data, draws=DRAWS, seed=seeds[2])
        )
        tr = client_trend(data, client_id, draws=DRAWS, seed=seeds[2], fit=fit)
        per = data.frame.assign(period=_half_years(data.frame["date"]))
        counts = per[per["client_id"] != client_id].groupby("period")["client_id"].nunique()
        trend = tr.periods.drop(columns=["raw_nps"])
        enough = trend["period"].map(counts).fillna(0).to_numpy() >= min_clients
        trend["portfolio"] = trend["portfolio"].where(enough)
        change = tr.change
    nan = float("nan")
    if n == 0:
        notes.append(
            "You have not answered the likelihood-to-recommend question in the period covered, "
            "so we show no score for you."
        )
    elif n < MIN_NPS_ANSWERS:
        notes.append(
            f"Too few answers: {B.plural(n, 'answer')} cannot pin down a score that runs from "
            "-100 to 100. The figure below leans on clients of your size, and its range is wide."
        )
    if segment_nps is None or portfolio_nps is None:
        notes.append(
            f"Comparisons with other clients are shown only where at least {min_clients} other "
            "clients answered."
        )
    return ClientNPS(
        answers=n,
        estimate=float(mine["estimate"]) if n else nan,
        ci_low=float(mine["ci_low"]) if n else nan,
        ci_high=float(mine["ci_high"]) if n else nan,
        raw=float(mine["raw_nps"]),
        shrinkage=float(mine["shrinkage"]),
        segment=segment,
        segment_nps=segment_nps,
        portfolio_nps=portfolio_nps,
        trend=trend,
        change=change,
        notes=notes,
    )


def _half_years(dates: pd.Series) -> pd.Series:
    from satprofit.survey.nps_data import period_labels

    return period_labels(dates, "half-year")


def _score(x: float) -> str:
    """An NPS in points with its sign: ``+12``, ``-40``, ``0``."""
    return "n/a" if not np.isfinite(x) else f"{x:+.0f}" if round(x) else "0"


def _range(est: float, lo: float, hi: float) -> str:
    return f"{_score(est)} (likely between {_score(lo)} and {_score(hi)})"


def _change_words(p_rose: float) -> str:
    if p_rose >= 0.9:
        return "very likely rose"
    if p_rose >= 0.75:
        return "probably rose"
    if p_rose > 0.25:
        return "shows no clear change"
    if p_rose > 0.1:
        return "probably fell"
    return "very likely fell"


def plot_nps_trend(s: ClientNPS):
    """The client's NPS per half-year with intervals, beside the portfolio's (None when the
    client has no answer)."""
    import matplotlib.pyplot as plt

    d = s.trend
    if d.empty:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.6))
    B.fixed_layout(fig, left=0.9, right=0.2, bottom=0.6, top=0.35)
    x = np.arange(len(d))
    est = d["estimate"].to_numpy(float)
    ax.errorbar(
        x,
        est,
        yerr=[est - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - est],
        fmt="o-",
        color="black",
        capsize=3,
        label=f"Your NPS ({INTERVAL_LABEL} interval)",
    )
    if d["portfolio"].notna().any():
        ax.plot(x, d["portfolio"], ls="--", color="C0", label="Typical client (portfolio)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylim(-105, 105)
    ax.set_ylabel("NPS (-100 to 100)")
    labels = [f"{B.plot_text(p)}\nn={int(n)}" for p, n in zip(d["period"], d["n"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_title("Likelihood to recommend (NPS) per half-year")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def nps_blocks(r: ClientReport) -> list:
    """Display blocks of the NPS section."""
    s = r.nps
    out: list = []
    if s is None or not s.available:
        why = s.notes[0] if s is not None and s.notes else "No NPS in this report."
        return [B.paragraph(why)]
    warn = s.answers < MIN_NPS_ANSWERS
    out.extend(B.callout(n, "warning" if warn else "info") for n in s.notes)
    out.append(B.paragraph(_sentence(s)))
    change = _change_sentence(s)
    if change:
        out.append(B.paragraph(change))
    fig = plot_nps_trend(s)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Chart of this client's Net Promoter Score per half-year with its uncertainty "
                "range and the number of answers, beside the typical client of the portfolio.",
            )
        )
        tbl = s.trend.rename(
            columns={
                "period": "Half-year",
                "n": "Answers",
                "estimate": "Your NPS",
                "ci_low": "Likely from",
                "ci_high": "Likely to",
                "portfolio": "Typical client",
            }
        )
        fmt = {c: _score for c in tbl.columns[2:]}
        out.append(B.table(tbl, caption="Net Promoter Score per half-year", formats=fmt))
    return out


def _sentence(s: ClientNPS) -> str:
    if s.answers == 0:
        return "There is no Net Promoter Score for you yet."
    text = (
        "Net Promoter Score is the share of answers from 9 to 10 (promoters) minus the share "
        f"from 0 to 6 (detractors), from -100 to 100. From {B.plural(s.answers, 'answer')}, "
        f"your NPS is {_range(s.estimate, s.ci_low, s.ci_high)}, a {INTERVAL_PERCENT:g}% "
        "range"
    )
    if s.shrinkage >= 0.5:
        text += (
            f"; with this few answers the figure leans more on clients of your size "
            f"({s.segment}) than on your own answers (those alone give {_score(s.raw)})"
        )
    text += "."
    if s.segment_nps is not None:
        text += f" The typical {s.segment} client scores {_range(*s.segment_nps)}."
    if s.portfolio_nps is not None:
        text += f" Across all our clients' answers NPS is {_range(*s.portfolio_nps)}."
    return text


def _change_sentence(s: ClientNPS) -> str:
    c = s.change
    if c is None:
        return (
            "We cannot say whether your NPS changed in the last half-year: you have no answers "
            "in it or in the half-year before."
            if s.answers
            else ""
        )
    if min(c["n_a"], c["n_b"]) < MIN_PERIOD_ANSWERS:
        return (
            f"Too few answers to tell a change: {B.plural(c['n_a'], 'answer')} in {c['a']} and "
            f"{B.plural(c['n_b'], 'answer')} in {c['b']}."
        )
    return (
        f"From {c['a']} to {c['b']} your NPS {_change_words(c['p_rose'])} (change "
        f"{_range(c['difference'], c['ci_low'], c['ci_high'])}; chance it rose "
        f"{B.pct(c['p_rose'])})."
    )
