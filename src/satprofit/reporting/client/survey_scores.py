"""Client report section: the client's scores on the detailed survey's constructs.

When the portfolio's surveys carry multi-item questions (``survey_items``, construct map
``satprofit_survey``), each construct's score is the mean of its items on a 0-100 scale
(:mod:`satprofit.survey.scores`) over this client's respondents of the last 12 months, with a
95 % interval, beside the median of other clients' scores (anonymized: at least
``min_clients`` clients, each with enough respondents). Without items, or with too few
respondents, the section says so instead of showing numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL, INTERVAL_PROB
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    RECENT_DAYS,
    benchmark,
    check_client,
    data_range,
    per_portfolio,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "MIN_SCORE_RESPONDENTS",
    "SURVEY_SPEC",
    "SurveyScores",
    "build_survey_scores",
    "client_construct_scores",
    "plot_survey_scores",
    "survey_scores_blocks",
]

#: The construct map of a portfolio's survey items (shipped spec name).
SURVEY_SPEC = "satprofit_survey"
#: Fewest respondents of a client (in the window) behind its construct scores; other clients
#: below it are left out of the benchmark.
MIN_SCORE_RESPONDENTS = 3


@dataclass
class SurveyScores:
    """The client's construct scores (0-100) beside the portfolio median.

    Attributes
    ----------
    table : DataFrame
        One row per construct (index): ``label``, ``score``, ``ci_low``, ``ci_high`` (the
        client's mean and its interval), ``respondents``, ``median``, ``q25``, ``q75`` (of other
        clients' scores), ``n_clients`` (behind the median). Empty when not available.
    respondents : int
        The client's respondents in the window.
    start, end : Timestamp
        The window (the last 12 months of the data).
    available : bool
        Scores are shown.
    notes : list of str
    """

    table: pd.DataFrame
    respondents: int
    start: pd.Timestamp
    end: pd.Timestamp
    available: bool
    notes: list[str] = field(default_factory=list)


def client_construct_scores(run, spec: str = SURVEY_SPEC):
    """Every respondent's 0-100 construct scores, with client and date, or a plain reason.

    Returns
    -------
    (PortfolioScores or None, str)
        The scores, or None and the sentence the report shows instead.
    """
    from satprofit.survey import SpecError, SurveyDataError, load_spec, portfolio_scores

    p = run.portfolio
    if p.survey_items.empty:
        return None, (
            "Your surveys did not include the detailed questions on delivery, communication and "
            "the relationship, so no scores on them are shown."
        )
    try:
        scores = per_portfolio(p, ("scores", spec), lambda: portfolio_scores(p, load_spec(spec)))
        return scores, ""
    except (SpecError, SurveyDataError):
        return None, (
            "The detailed survey questions do not follow the expected questionnaire, so no "
            "scores on them are shown."
        )


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its Student-t interval (INTERVAL_PROB), clipped to 0..100."""
    from scipy import stats

    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf((1 + INTERVAL_PROB) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, float(max(0.0, mean - half)), float(min(100.0, mean + half))


def build_survey_scores(
    run,
    client_id: str,
    *,
    min_clients: int = MIN_BENCHMARK_CLIENTS,
    min_respondents: int = MIN_SCORE_RESPONDENTS,
    spec: str = SURVEY_SPEC,
) -> SurveyScores:
    """The client's construct scores over the last 12 months beside other clients' median."""
    p = run.portfolio
    check_client(p, client_id)
    _, end = data_range(p)
    start = end - pd.Timedelta(days=RECENT_DAYS)
    empty = pd.DataFrame()
    scores, why = client_construct_scores(run, spec)
    if scores is None:
        return SurveyScores(empty, 0, start, end, False, [why])
    f = scores.frame[scores.frame["date"] >= start]
    names = scores.spec.names
    labels = {c.name: c.label or c.name for c in scores.spec.constructs}
    own = f[f["client_id"] == client_id]
    n_own = len(own)
    if n_own < min_respondents:
        got = "none" if n_own == 0 else f"only {n_own}"
        return SurveyScores(
            empty,
            n_own,
            start,
            end,
            False,
            [
                f"In the last 12 months {got} of your respondents answered the detailed survey; "
                f"scores need at least {min_respondents}, so none are shown."
            ],
        )
    counts = f.groupby("client_id").size()
    enough = counts[counts >= min_respondents].index
    means = f[f["client_id"].isin(enough)].groupby("client_id")[names].mean()
    rows = {}
    for name in names:
        score, low, high = _interval(own[name].to_numpy(float))
        bm = benchmark(means[name], client_id, min_clients)
        rows[name] = {
            "label": labels[name],
            "score": score,
            "ci_low": low,
            "ci_high": high,
            "respondents": n_own,
            "median": bm.median,
            "q25": bm.q25,
            "q75": bm.q75,
            "n_clients": bm.n_clients if bm.available else 0,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    notes = []
    if table["median"].isna().all():
        notes.append(
            f"Fewer than {min_clients} other clients had {min_respondents} or more respondents "
            "in the same months, so there is no portfolio benchmark for these scores."
        )
    return SurveyScores(table, n_own, start, end, True, notes)


def plot_survey_scores(s: SurveyScores):
    """The client's scores with intervals (dots) beside the portfolio median (diamonds)."""
    import matplotlib.pyplot as plt

    if not s.available or s.table.empty:
        return None
    t = s.table.iloc[::-1]
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(t) + 1.4), constrained_layout=True)
    err = np.vstack([t["score"] - t["ci_low"], t["ci_high"] - t["score"]])
    ax.errorbar(
        t["score"],
        y,
        xerr=np.nan_to_num(np.clip(err, 0, None)),
        fmt="o",
        color="black",
        ecolor="0.5",
        capsize=3,
        label=f"Your score ({INTERVAL_LABEL} interval)",
    )
    if t["median"].notna().any():
        ax.plot(t["median"], y, "D", color="tab:blue", mfc="white", label="Typical client (median)")
    ax.set_yticks(y, [B.plot_text(v) for v in t["label"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Score (0 = lowest answer, 100 = highest)")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return fig


def survey_scores_blocks(r: ClientReport) -> list:
    """Display blocks of the construct-scores section."""
    s = r.survey_scores
    out: list = []
    if not s.available:
        return [B.paragraph(n) for n in s.notes]
    fig = plot_survey_scores(s)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Dot chart: this client's average score on each part of the detailed survey "
                f"(0 to 100, with {INTERVAL_LABEL} intervals) beside the typical client's.",
            )
        )
    t = s.table
    shown = pd.DataFrame(
        {
            "Survey topic": t["label"],
            "Your score (0-100)": [
                B.interval(
                    v, lo, hi, lambda x: B.number(x, 0), level=int(100 * INTERVAL_PROB), about=False
                )
                for v, lo, hi in zip(t["score"], t["ci_low"], t["ci_high"], strict=True)
            ],  # fmt: skip
            "Typical client (median)": t["median"],
            "Respondents": t["respondents"],
        }
    )
    out.append(
        B.table(
            shown,
            caption=f"Scores of your respondents, {s.start:%b %Y} to {s.end:%b %Y}",
            formats={"Typical client (median)": "{:.0f}".format},
        )
    )
    out += [B.callout(n, "info") for n in s.notes]
    return out
