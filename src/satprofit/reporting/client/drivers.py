"""Client report section: what drives satisfaction, against how the client does today.

The gains come from the satisfaction model (:func:`satprofit.bayes.drivers.csat_gains`);
this module places them beside the client's performance and words them. Each is the total
effect of a question, so each is labelled a measured effect (:data:`CAUSAL_LABEL`).

When the surveys carry the detailed questions (``survey_items``), the section adds the key
drivers of satisfaction across every client's respondents (:func:`satprofit.survey.key_drivers`:
relative-weight shares of the satisfaction construct's variation, bootstrap by client) beside
this client's own scores on them, and labels each driver by what is known of it: a measured
effect when a question gives its causal effect (the spec's ``question:``), otherwise
:data:`ASSOCIATIONAL_LABEL`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    RECENT_DAYS,
    check_client,
    client_levels,
    data_range,
)
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

if TYPE_CHECKING:
    from satprofit.reporting.client import ClientReport

__all__ = [
    "ASSOCIATIONAL_LABEL",
    "CAUSAL_LABEL",
    "DRIVERS",
    "LABELS_NOTE",
    "MEDIATOR_NOTE",
    "QUADRANTS",
    "Driver",
    "Drivers",
    "build_drivers",
    "drivers_blocks",
    "plot_drivers",
]


@dataclass(frozen=True)
class Driver:
    """A driver of satisfaction: a question the satisfaction model answers as a total effect,
    and the improvement the report tries.

    Attributes
    ----------
    label : str
        Plain name.
    estimand : str
        The question id whose total effect the driver's gain is (see QUESTIONS.md).
    level : str
        Column of :func:`client_levels` measuring the client's current performance.
    higher_is_better : bool
        Direction of a better performance.
    effect_label : str
        What the gain includes, in words ("total effect: includes what runs through ...").
    """

    label: str
    estimand: str
    level: str
    higher_is_better: bool
    effect_label: str = "total effect"


#: Drivers the client can act on, each the total effect of one question. Defects and
#: escalations are not drivers of their own: they carry part of delivery's effect on
#: satisfaction, so the on-time driver's total effect includes them, and a coefficient of theirs
#: beside the on-time rate is a conditioning artefact, not an effect (it once told a client that
#: fewer escalations would lower satisfaction).
DRIVERS: dict[str, Driver] = {
    "ontime": Driver(
        "Milestones delivered on time",
        "quality_to_csat",
        "ontime_rate",
        True,
        "total effect: includes what runs through fewer defects and escalations",
    ),
    "reports": Driver(
        "Business status reports from sales",
        "status_reports_to_csat",
        "reports_per_month",
        True,
        "total effect: includes every way the reports act on satisfaction",
    ),
}

#: Why defects and escalations are not drivers (shown under the drivers table).
MEDIATOR_NOTE = (
    "Defects and escalations are not listed as separate drivers: they are part of how delivery "
    "acts on satisfaction, so the gain from on-time milestones already includes what runs "
    "through them. The delivery section shows how this client does on both."
)

#: What is known of a driver whose effect a question measures, and of one that only moves with
#: satisfaction (plain business words).
CAUSAL_LABEL = "Measured effect: we measure what improving it does to satisfaction"
ASSOCIATIONAL_LABEL = "Moves together with satisfaction; not shown to cause it"
#: Why the two labels differ (shown under the survey drivers table).
LABELS_NOTE = (
    "A measured effect means our analysis of cause and effect across all our clients measures "
    "how much improving this changes satisfaction (the gains above). 'Moves together with "
    "satisfaction' means clients "
    "who rate it higher also tend to be more satisfied, but that can be because both depend on "
    "something else (the size or history of the account, for instance), so improving it is not "
    "shown to raise satisfaction."
)

#: Survey drivers: bootstrap resamples (by client) and their seed (fixed: the same run gives
#: the same report).
SURVEY_N_BOOT = 200
SURVEY_SEED = DEFAULT_SEED

QUADRANTS = {
    (True, False): "Priority: matters most, behind the portfolio",
    (True, True): "Strength: matters most, ahead of the portfolio",
    (False, False): "Lower priority: matters less, behind the portfolio",
    (False, True): "Maintain: matters less, ahead of the portfolio",
}


# --------------------------------------------------------------------------- drivers


@dataclass
class Drivers:
    """What drives this client's satisfaction, against how the client does today.

    Attributes
    ----------
    table : DataFrame
        One row per :data:`DRIVERS` key (index): ``label``, ``effect`` (what the gain
        includes: a total effect), ``status`` ("" when answered, else "not estimable: reason"),
        ``improvement`` (the realistic improvement tried, in words), ``gain``, ``gain_low``,
        ``gain_high`` (total effect on expected csat, median and 80 % interval), ``level`` (the client's current value), ``level_text``,
        ``median`` (other clients'), ``percentile`` (0 worst .. 100 best among other clients),
        ``quadrant``, ``evidence`` (:data:`CAUSAL_LABEL`: each is a question's total effect).
    basis : {"client", "portfolio", "none"}
        Whose survey responses the gains are averaged over (``none``: no satisfaction model).
    notes : list of str
    survey : DataFrame
        Key drivers from the detailed survey (empty without survey items): one row per driver
        construct, ``label``, ``share``, ``share_low``, ``share_high`` (share of satisfaction's
        variation across all respondents, relative weights, 95 % interval), ``rank``,
        ``p_first``, ``score`` (this client's 0-100 score, last 12 months), ``median`` (other
        clients'), ``quadrant``, ``causal``, ``question``, ``evidence`` (plain label).
    survey_notes : list of str
    """

    table: pd.DataFrame
    basis: str
    notes: list[str] = field(default_factory=list)
    survey: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.basis != "none"

    @property
    def placed(self) -> pd.DataFrame:
        """Drivers with both an importance and a performance (those the chart shows)."""
        return self.table.dropna(subset=["gain", "percentile"])


def _improvements() -> dict[str, tuple[float, str]]:
    """Driver -> (shift in units of its estimand's treatment, the improvement in words)."""
    return {
        "ontime": (1.0, "10 percentage points more milestones on time"),
        "reports": (1.0, "1 more business status report a month"),
    }


def _gains(run, client_id: str, notes: list[str]) -> tuple[dict, str]:
    """Total effect on expected csat of each driver's improvement: driver -> (median, low80,
    high80), or driver -> text "not estimable: reason" when the model cannot answer it."""
    from satprofit.bayes.drivers import csat_gains

    shifts = {key: (DRIVERS[key].estimand, shift) for key, (shift, _) in _improvements().items()}
    gains, basis = csat_gains(run.fit, client_id, shifts, level=0.80)
    if basis == "portfolio":
        notes.append(
            "This client has no survey response tied to a finished project, so the importance "
            "of each driver is the portfolio's average, not this client's own."
        )
    return gains, basis


def _percentile(values: pd.Series, client_id: str, higher_is_better: bool, min_clients: int):
    """Share of other clients the client does better than (ties count half), in percent."""
    own = values.get(client_id, np.nan)
    others = values[values.index != client_id].dropna()
    if pd.isna(own) or len(others) < max(1, min_clients):
        return float("nan"), float("nan")
    worse = (others < own) if higher_is_better else (others > own)
    score = 100 * (worse.sum() + 0.5 * (others == own).sum()) / len(others)
    return float(score), float(others.median())


def _level_text(key: str, value: float) -> str:
    if pd.isna(value):
        return "not measured"
    if key == "ontime":
        return f"{B.pct(value)} of milestones on time"
    if key == "reports":
        return f"{B.number(value, 1)} reports a month"
    return f"{B.number(value, 1)} per project"


def build_drivers(run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS) -> Drivers:
    """Importance of each driver (satisfaction model) against current performance."""
    p = run.portfolio
    check_client(p, client_id)
    notes: list[str] = []
    _, end = data_range(p)
    recent = client_levels(p, since=end - pd.Timedelta(days=RECENT_DAYS))
    whole = client_levels(p)
    if recent.loc[client_id, "finished_projects"] == 0:
        notes.append(
            "No project of this client finished in the last 12 months: its on-time rate is "
            "that of all its finished projects."
        )
        levels = recent.copy()
        levels.loc[client_id, "ontime_rate"] = whole.loc[client_id, "ontime_rate"]
    else:
        levels = recent
    if "satisfaction" in run.fit.results:
        gains, basis = _gains(run, client_id, notes)
        words = {k: w for k, (_, w) in _improvements().items()}
    else:
        why = getattr(run.fit, "failed", {}).get("satisfaction") or run.fit.skipped.get(
            "satisfaction", "not fitted"
        )
        notes.append(f"The satisfaction model could not be fitted ({why}): importance unknown.")
        gains, basis, words = {}, "none", {}
    rows = {}
    for key, drv in DRIVERS.items():
        pctl, med = _percentile(levels[drv.level], client_id, drv.higher_is_better, min_clients)
        g = gains.get(key, (np.nan, np.nan, np.nan))
        status = g if isinstance(g, str) else ""
        if status:
            g = (np.nan, np.nan, np.nan)
        value = levels.loc[client_id, drv.level]
        rows[key] = {
            "label": drv.label,
            "effect": drv.effect_label,
            "status": status,
            "improvement": words.get(key, ""),
            "gain": g[0],
            "gain_low": g[1],
            "gain_high": g[2],
            "level": value,
            "level_text": _level_text(key, value),
            "median": med,
            "percentile": pctl,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if basis != "none":
        notes.append(MEDIATOR_NOTE)
    cut = table["gain"].mean()
    table["quadrant"] = [
        QUADRANTS[(g >= cut, pc >= 50)] if pd.notna(g) and pd.notna(pc) else "not placed"
        for g, pc in zip(table["gain"], table["percentile"], strict=True)
    ]
    if table["percentile"].isna().all():
        notes.append(
            f"Fewer than {min_clients} other clients can be compared on these drivers, so "
            "current performance is not ranked against the portfolio."
        )
    table["evidence"] = CAUSAL_LABEL  # every driver is a question's total effect
    survey, survey_notes = _survey_drivers(run, client_id, min_clients)
    return Drivers(table, basis, notes, survey, survey_notes)


def _survey_drivers(run, client_id: str, min_clients: int) -> tuple[pd.DataFrame, list[str]]:
    """Key drivers of the satisfaction construct across all respondents, beside this client's
    construct scores; empty (and no note) without survey items."""
    from satprofit.reporting.client.survey_scores import (
        build_survey_scores,
        client_construct_scores,
    )
    from satprofit.survey import causal_labels, key_drivers

    scores, _ = client_construct_scores(run)
    if scores is None:
        return pd.DataFrame(), []
    spec = scores.spec
    outcome = next((c.name for c in spec.constructs if c.measures == "csat"), None)
    drivers = spec.causes(outcome) if outcome else []
    if len(drivers) < 2:
        return pd.DataFrame(), []
    f = scores.frame
    try:
        kd = key_drivers(
            f,
            outcome,
            drivers,
            clusters=f["client_id"],
            causal=causal_labels(spec, outcome, drivers),
            n_boot=SURVEY_N_BOOT,
            seed=SURVEY_SEED,
            source="survey",
        )
    except ValueError:
        return pd.DataFrame(), [
            "The detailed survey answers do not vary enough to tell which topics go with "
            "satisfaction."
        ]
    own = build_survey_scores(run, client_id, min_clients=min_clients)
    t = kd.table
    out = pd.DataFrame(index=t.index)
    out["label"] = [spec.construct(d).label or d for d in t.index]
    out["share"], out["share_low"], out["share_high"] = (
        t["rw_share"],
        t["rw_share_low"],
        t["rw_share_high"],
    )
    out["rank"], out["p_first"] = t["rw_rank"], t["rw_p_first"]
    own_t = own.table if own.available else pd.DataFrame(columns=["score", "median"])
    out["score"] = own_t["score"].reindex(t.index).astype(float)
    out["median"] = own_t["median"].reindex(t.index).astype(float)
    cut = out["share"].mean()
    out["quadrant"] = [
        QUADRANTS[(sh >= cut, sc >= md)] if pd.notna(sc) and pd.notna(md) else "not placed"
        for sh, sc, md in zip(out["share"], out["score"], out["median"], strict=True)
    ]
    out["causal"] = t["causal"].astype(bool)
    out["question"] = t["question"]
    out["evidence"] = np.where(out["causal"], CAUSAL_LABEL, ASSOCIATIONAL_LABEL)
    notes = [LABELS_NOTE]
    if not own.available:
        notes.append(
            "Your own scores on these topics are not shown: too few of your respondents "
            "answered the detailed survey in the last 12 months."
        )
    return out, notes


def plot_drivers(d: Drivers):
    """Importance (expected csat gain, 80 % interval) against performance percentile."""
    import matplotlib.pyplot as plt

    t = d.placed
    if t.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    B.fixed_layout(fig, left=0.9, right=0.2, bottom=0.65, top=0.35)
    cut = d.table["gain"].mean()
    ax.axvline(50, color="grey", lw=0.8)
    ax.axhline(cut, color="grey", lw=0.8)
    err = np.vstack([t["gain"] - t["gain_low"], t["gain_high"] - t["gain"]])
    ax.errorbar(
        t["percentile"],
        t["gain"],
        yerr=np.clip(err, 0, None),
        fmt="o",
        color="black",
        ecolor="0.5",
        capsize=3,
        ms=7,
    )
    for _, row in t.iterrows():
        right = row["percentile"] > 60  # label on the side with room, inside the plot
        ax.annotate(
            B.plot_text(row["label"]),
            (row["percentile"], row["gain"]),
            textcoords="offset points",
            xytext=(-7 if right else 7, 5),
            ha="right" if right else "left",
            fontsize=8.5,
        )
    ax.set_xlim(-5, 105)
    low = min(0.0, float(t["gain_low"].min()))
    high = max(float(t["gain_high"].max()), cut) * 1.15 + 1e-3
    ax.set_ylim(low - 0.05 * (high - low), high)
    ax.set_xlabel("Current performance: share of other clients this client does better than (%)")
    ax.set_ylabel("Gain in expected satisfaction (points, total effect)")
    ax.set_title("What drives satisfaction, against current performance")
    corners = {
        (0.02, 0.97, "left"): "Priority",
        (0.98, 0.97, "right"): "Strength",
        (0.02, 0.03, "left"): "Lower priority",
        (0.98, 0.03, "right"): "Maintain",
    }
    for (x, y, ha), text in corners.items():
        ax.text(
            x,
            y,
            text,
            transform=ax.transAxes,
            ha=ha,
            va="top" if y > 0.5 else "bottom",
            fontsize=9,
            color="0.35",
            style="italic",
        )
    return fig


def drivers_blocks(r: ClientReport) -> list:
    """Display blocks of the drivers section."""
    d = r.drivers
    out: list = [B.callout(n, "info") for n in d.notes]
    if not d.available:
        return out + _survey_blocks(d)
    fig = plot_drivers(d)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Quadrant chart: each driver of satisfaction placed by this client's current "
                "performance relative to other clients (horizontal) and by how much a realistic "
                "improvement would raise expected satisfaction (vertical, with 80% intervals): "
                "a total effect, including what runs through other parts of delivery.",
            )
        )
    t = d.table
    shown = pd.DataFrame(
        {
            "Driver": t["label"],
            "Improvement tried": t["improvement"],
            "Gain in expected satisfaction": [
                st or B.interval(g, lo, hi, lambda x: B.number(x, 2), about=False)
                for g, lo, hi, st in zip(
                    t["gain"], t["gain_low"], t["gain_high"], t["status"], strict=True
                )
            ],
            "What the gain includes": t["effect"],
            "This client today": t["level_text"],
            "Better than (% of clients)": t["percentile"],
            "Where it falls": t["quadrant"],
            "What we know": t["evidence"],
        }
    )
    out.append(
        B.table(
            shown,
            caption="Drivers of satisfaction",
            formats={"Better than (% of clients)": "{:.0f}".format},
        )
    )
    out += _survey_blocks(d)
    return out


def _survey_blocks(d: Drivers) -> list:
    """The survey key-drivers table, its labels explained."""
    s = d.survey
    if s.empty:
        return [B.callout(n, "info") for n in d.survey_notes]
    shown = pd.DataFrame(
        {
            "Survey topic": s["label"],
            "Share of satisfaction's ups and downs it goes with": [
                f"{B.pct(v)} ({B.pct(lo)} to {B.pct(hi)})"
                for v, lo, hi in zip(s["share"], s["share_low"], s["share_high"], strict=True)
            ],
            "Your score (0-100)": s["score"],
            "Typical client": s["median"],
            "Where it falls": s["quadrant"],
            "What we know": s["evidence"],
        }
    )
    out = [
        B.paragraph(
            "From the detailed survey, across all our clients' respondents: how much of the "
            "differences in satisfaction each topic goes with (95% intervals), beside your own "
            "scores over the last 12 months."
        ),
        B.table(
            shown,
            caption="Survey topics that go with satisfaction",
            formats={"Your score (0-100)": "{:.0f}".format, "Typical client": "{:.0f}".format},
        ),
    ]
    out += [B.callout(n, "info") for n in d.survey_notes]
    return out
