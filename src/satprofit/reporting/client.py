"""Everything the client report shows, computed from a fitted run and one client id.

The report is for the client's executive, so it holds this client's figures and, as the only
view of anyone else, portfolio *benchmarks*: medians and quartiles over at least
``min_benchmark_clients`` other clients (fewer, and the benchmark is left out with a sentence
saying so). No other client's name, id or own figure is ever returned.

Each section is a function returning a small dataclass of tables (``build_*``), a figure function
(``plot_*``, returns a matplotlib figure or None) and a function returning the section's display
blocks (``*_blocks``), so a notebook cell is one line: ``show(client.metrics_blocks(report))``.
:func:`build_client_report` computes every section at once.

Sections: executive summary, the article's metrics over time, delivery quality and escalations,
satisfaction trend, what drives satisfaction, what-if scenarios, methods appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.constants import DAYS_PER_MONTH
from satprofit.features.panel import DASHBOARD_METRICS, client_panel
from satprofit.features.periods import EVENT_DATES
from satprofit.features.projects import project_table, sales_status_reports
from satprofit.metrics.plots import METRIC_LABELS
from satprofit.questions import ESTIMAND_IDS
from satprofit.reporting import blocks as B
from satprofit.reporting.assumptions import assumption_blocks, assumption_rows
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS

__all__ = [
    "CLIENT_ESTIMANDS",
    "DRIVERS",
    "MIN_RESPONSES",
    "NOT_CONVERGED",
    "QUADRANTS",
    "RECENT_DAYS",
    "SCENARIOS",
    "Benchmark",
    "ClientProfile",
    "ClientReport",
    "DeliveryQuality",
    "Driver",
    "Drivers",
    "Methods",
    "MetricsComparison",
    "SatisfactionTrend",
    "WhatIf",
    "benchmark",
    "build_client_report",
    "build_delivery",
    "build_drivers",
    "build_methods",
    "build_metrics",
    "build_satisfaction",
    "build_what_if",
    "client_levels",
    "client_profile",
    "data_range",
    "delivery_blocks",
    "drivers_blocks",
    "executive_summary",
    "methods_blocks",
    "metrics_blocks",
    "model_rows",
    "not_converged",
    "plot_delivery",
    "plot_drivers",
    "plot_metrics",
    "plot_satisfaction",
    "plot_what_if",
    "question_rows",
    "report_title",
    "satisfaction_blocks",
    "status_text",
    "summary_blocks",
    "title_blocks",
    "what_if_blocks",
]

#: Fewer survey responses than this and the report says satisfaction claims are too thin.
MIN_RESPONSES = 5

#: "Current performance" looks back this many days from the data's last day.
RECENT_DAYS = 365

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

QUADRANTS = {
    (True, False): "Priority: matters most, behind the portfolio",
    (True, True): "Strength: matters most, ahead of the portfolio",
    (False, False): "Lower priority: matters less, behind the portfolio",
    (False, True): "Maintain: matters less, ahead of the portfolio",
}


# --------------------------------------------------------------------------- helpers


def data_range(portfolio) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last event date of a portfolio."""
    dates = pd.concat(
        [portfolio.tables[t][c] for t, cols in EVENT_DATES.items() for c in cols],
        ignore_index=True,
    ).dropna()
    return dates.min(), dates.max()


@dataclass(frozen=True)
class Benchmark:
    """This client's value beside the median and quartiles of other clients' values."""

    value: float
    median: float = float("nan")
    q25: float = float("nan")
    q75: float = float("nan")
    n_clients: int = 0

    @property
    def available(self) -> bool:
        return bool(np.isfinite(self.median))


def benchmark(values: pd.Series, client_id: str, min_clients: int) -> Benchmark:
    """Compare one client's value with the other clients' (aggregates only).

    Parameters
    ----------
    values : Series
        One value per client, indexed by client id (NaN: not measured for that client).
    client_id : str
    min_clients : int
        Fewest other clients with a value behind the median and quartiles; fewer gives NaN.

    Returns
    -------
    Benchmark
    """
    own = values.get(client_id, np.nan)
    own = float(own) if pd.notna(own) else float("nan")
    others = values[values.index != client_id].dropna().astype(float)
    if len(others) < max(1, min_clients):
        return Benchmark(own, n_clients=len(others))
    q25, med, q75 = np.quantile(others.to_numpy(), [0.25, 0.5, 0.75])
    return Benchmark(own, float(med), float(q25), float(q75), len(others))


def client_levels(portfolio, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per client: delivery quality, engagement and satisfaction levels, since a date.

    Parameters
    ----------
    portfolio : Portfolio
    since : Timestamp, optional
        Count projects finished, escalations opened, reports sent and responses given on or
        after this day (default: everything).

    Returns
    -------
    DataFrame
        Indexed by ``client_id`` (every client): ``finished_projects``, ``ontime_rate`` (mean
        over finished projects with milestones), ``cost_overrun``, ``schedule_slip_days``,
        ``defects_per_project``, ``escalations_per_project`` (finished projects),
        ``escalations``, ``sales_escalation_share``, ``reports_per_month`` (sales status
        reports per month of the client's activity in the window), ``responses``,
        ``csat_mean``, ``nps_mean``. NaN where the denominator is 0.
    """
    start, end = data_range(portfolio)
    since = start if since is None else max(pd.Timestamp(since), start)
    ids = pd.Index(portfolio.clients["client_id"], name="client_id")
    pt = project_table(portfolio)
    fin = pt[pt["finished"] & (pt["actual_end_date"] >= since)]
    g = fin.groupby("client_id")
    out = pd.DataFrame(index=ids)
    out["finished_projects"] = g.size().reindex(ids).fillna(0).astype(int)
    for col, src in (
        ("ontime_rate", "ontime_rate"),
        ("cost_overrun", "cost_overrun"),
        ("schedule_slip_days", "schedule_slip_days"),
        ("defects_per_project", "defects"),
        ("escalations_per_project", "escalations"),
    ):
        out[col] = g[src].mean().reindex(ids)
    es = portfolio.escalations
    es = es[es["opened_date"] >= since]
    n_es = es.groupby("client_id").size().reindex(ids).fillna(0)
    out["escalations"] = n_es.astype(int)
    with_sales = es.groupby("client_id")["sales_involved"].sum().reindex(ids).fillna(0)
    out["sales_escalation_share"] = (with_sales / n_es).where(n_es > 0)
    out["reports_per_month"] = _reports_per_month(portfolio, since, end).reindex(ids)
    sv = portfolio.surveys
    sv = sv[sv["date"] >= since]
    gs = sv.assign(nps=sv["nps"].astype(float)).groupby("client_id")
    out["responses"] = gs.size().reindex(ids).fillna(0).astype(int)
    out["csat_mean"] = gs["csat"].mean().reindex(ids)
    out["nps_mean"] = gs["nps"].mean().reindex(ids)
    return out


def _first_activity(portfolio) -> pd.Series:
    """Each client's first dated event (deal proposal, project start, interaction, ...)."""
    parts = [
        portfolio.deals[["client_id", "proposal_date"]].set_axis(["client_id", "d"], axis=1),
        portfolio.projects[["client_id", "start_date"]].set_axis(["client_id", "d"], axis=1),
        portfolio.interactions[["client_id", "date"]].set_axis(["client_id", "d"], axis=1),
        portfolio.surveys[["client_id", "date"]].set_axis(["client_id", "d"], axis=1),
    ]
    return pd.concat(parts, ignore_index=True).groupby("client_id")["d"].min()


def _reports_per_month(portfolio, since: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Sales status reports per month of each client's activity between ``since`` and ``end``."""
    sr = sales_status_reports(portfolio)
    sr = sr[(sr["date"] >= since) & (sr["date"] <= end)]
    counts = sr.groupby("client_id").size()
    first = _first_activity(portfolio).clip(lower=since)
    months = ((end - first).dt.days + 1) / DAYS_PER_MONTH
    months = months[months >= 1.0]
    return (counts.reindex(months.index).fillna(0) / months).rename("reports_per_month")


def _check_client(portfolio, client_id: str) -> pd.Series:
    if type(client_id) is not str:
        raise TypeError(f"client_id must be str, not {type(client_id).__name__}")
    cl = portfolio.clients
    row = cl[cl["client_id"] == client_id]
    if row.empty:
        raise KeyError(f"no client {client_id!r} in this run's portfolio")
    return row.iloc[0]


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class ClientProfile:
    """Who the client is and how much data the report rests on."""

    client_id: str
    name: str
    industry: str
    region: str
    size_band: str
    business_unit: str | None
    first_engagement: pd.Timestamp
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    projects: int
    finished_projects: int
    deals_won: int
    responses: int
    recent_responses: int
    escalations: int
    portfolio_clients: int

    @property
    def display_name(self) -> str:
        """The name on one line (line breaks and runs of spaces become one space)."""
        return " ".join(self.name.split())

    @property
    def period(self) -> str:
        """The period the data covers, e.g. ``"1 Jan 2022 to 31 Dec 2024"``."""
        return f"{_day(self.data_start)} to {_day(self.data_end)}"


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%b %Y')}" if pd.notna(ts) else "n/a"


def client_profile(run, client_id: str) -> ClientProfile:
    """The client's descriptors and the amount of data behind its report.

    Raises
    ------
    KeyError
        The client is not in the run's portfolio.
    """
    p = run.portfolio
    row = _check_client(p, client_id)
    start, end = data_range(p)
    mine = {t: f[f["client_id"] == client_id] for t, f in p.tables.items() if "client_id" in f}
    deals = mine["deals"]
    units = deals["business_unit"].value_counts()
    unit = str(units.index[0]) if len(units) else None
    recent = mine["surveys"]["date"] >= end - pd.Timedelta(days=RECENT_DAYS)
    return ClientProfile(
        client_id=client_id,
        name=str(row["client_name"]),
        industry=str(row["industry"]),
        region=str(row["region"]),
        size_band=str(row["size_band"]),
        business_unit=unit,
        first_engagement=pd.Timestamp(row["first_engagement_date"]),
        data_start=start,
        data_end=end,
        projects=len(mine["projects"]),
        finished_projects=int(mine["projects"]["actual_end_date"].notna().sum()),
        deals_won=int((deals["status"] == "won").sum()),
        responses=len(mine["surveys"]),
        recent_responses=int(recent.sum()),
        escalations=len(mine["escalations"]),
        portfolio_clients=len(p.clients),
    )


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


def build_metrics(
    run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> MetricsComparison:
    """The article's metrics for ``client_id`` per full quarter, with anonymized benchmarks."""
    _check_client(run.portfolio, client_id)
    panel = client_panel(run.portfolio, "Q", indices=False)
    _, end = data_range(run.portfolio)
    full = panel["period"].dt.end_time.dt.normalize() <= end.normalize()
    notes = []
    if not full.all():
        notes.append("The last quarter is not complete yet and is left out.")
    panel = panel[full].assign(period=lambda d: d["period"].astype(str))
    periods = sorted(panel["period"].unique())
    rows = []
    for metric in DASHBOARD_METRICS:
        wide = panel.pivot_table(index="client_id", columns="period", values=metric, aggfunc="sum")
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
    last = periods[-4:]
    recent_rows = []
    for metric in DASHBOARD_METRICS:
        sub = panel[panel["period"].isin(last)]
        totals = sub.groupby("client_id")[metric].sum()
        b = benchmark(totals, client_id, min_clients)
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

    fig, axes = plt.subplots(2, 3, figsize=(11, 5.8), sharex=True, constrained_layout=True)
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
            ax.yaxis.set_major_formatter(plt.FuncFormatter(_axis_number))
        else:
            ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8.5)
    return fig


def _axis_number(v: float, _pos=None) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"


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


# --------------------------------------------------------------------------- delivery quality


@dataclass
class DeliveryQuality:
    """The client's projects and escalations, and its delivery quality beside the portfolio.

    Attributes
    ----------
    projects : DataFrame
        The client's projects (its own ids only), newest first.
    escalations : DataFrame
        The client's escalations, newest first.
    summary : DataFrame
        ``measure``, ``client``, ``median``, ``q25``, ``q75``, ``n_clients``, ``kind``
        (``pct``, ``days`` or ``number``: how to format).
    finished : int
        Finished projects of the client.
    notes : list of str
    """

    projects: pd.DataFrame
    escalations: pd.DataFrame
    summary: pd.DataFrame
    finished: int
    notes: list[str] = field(default_factory=list)
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None

    def value(self, measure: str) -> pd.Series:
        return self.summary.set_index("measure").loc[measure]


_QUALITY_MEASURES = (
    ("On-time milestone rate", "ontime_rate", "pct"),
    ("Cost overrun", "cost_overrun", "pct"),
    ("Schedule slip (days)", "schedule_slip_days", "days"),
    ("Defects per project", "defects_per_project", "number"),
    ("Escalations per project", "escalations_per_project", "number"),
    ("Escalations with sales involved", "sales_escalation_share", "pct"),
)


def build_delivery(
    run, client_id: str, *, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> DeliveryQuality:
    """Delivery quality and escalations of ``client_id`` over the whole period."""
    p = run.portfolio
    _check_client(p, client_id)
    levels = client_levels(p)
    rows = []
    for label, col, kind in _QUALITY_MEASURES:
        b = benchmark(levels[col], client_id, min_clients)
        rows.append(
            {
                "measure": label,
                "client": b.value,
                "median": b.median,
                "q25": b.q25,
                "q75": b.q75,
                "n_clients": b.n_clients,
                "kind": kind,
            }
        )
    summary = pd.DataFrame(rows)
    pt = project_table(p)
    mine = pt[pt["client_id"] == client_id].sort_values("start_date", ascending=False)
    projects = pd.DataFrame(
        {
            "Project": mine["project_id"],
            "Delivery team": mine["delivery_team"],
            "Started": mine["start_date"].dt.date,
            "Finished": mine["actual_end_date"].dt.date.where(mine["finished"], "running"),
            "On time": mine["ontime_rate"],
            "Cost overrun": mine["cost_overrun"],
            "Slip (days)": mine["schedule_slip_days"],
            "Defects": mine["defects"],
            "Escalations": mine["escalations"],
            "Satisfaction": mine["csat_mean"],
        }
    )
    es = p.escalations[p.escalations["client_id"] == client_id]
    es = es.sort_values("opened_date", ascending=False)
    escalations = pd.DataFrame(
        {
            "Opened": es["opened_date"].dt.date,
            "Project": es["project_id"],
            "Severity": es["severity"],
            "Sales involved": np.where(es["sales_involved"], "yes", "no"),
            "Days to resolve": (es["resolved_date"] - es["opened_date"]).dt.days,
        }
    )
    finished = int(mine["finished"].sum())
    notes = []
    if finished == 0:
        notes.append(
            "No project of this client has finished yet, so its delivery quality cannot be "
            "judged: on-time rate, overrun and slip are known only at a project's end."
        )
    if summary["median"].isna().all():
        notes.append(
            f"Fewer than {min_clients} other clients have finished projects, so no portfolio "
            "benchmark is shown."
        )
    return DeliveryQuality(projects, escalations, summary, finished, notes, data_range(p))


def plot_delivery(d: DeliveryQuality):
    """On-time rate of each finished project, and escalations per quarter by severity."""
    import matplotlib.pyplot as plt

    done = d.projects[d.projects["Finished"] != "running"].dropna(subset=["On time"])
    if done.empty and d.escalations.empty:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    ontime = d.value("On-time milestone rate")
    if pd.notna(ontime["median"]):
        ax1.axhspan(
            100 * ontime["q25"],
            100 * ontime["q75"],
            color="C0",
            alpha=0.15,
            lw=0,
            label="Portfolio middle half",
        )
        ax1.axhline(100 * ontime["median"], color="C0", ls="--", label="Portfolio median")
    if not done.empty:
        ends = pd.to_datetime(done["Finished"])
        ax1.plot(ends, 100 * done["On time"], "o", color="black", label="This client's projects")
    if d.span is not None:
        ax1.set_xlim(d.span[0], d.span[1])
    ax1.set_ylim(0, 105)
    ax1.set_ylabel("Milestones on time (%)")
    ax1.set_title("On-time milestones of finished projects")
    ax1.tick_params(axis="x", rotation=30, labelsize=8)
    ax1.legend(fontsize=8, loc="lower left")
    _plot_escalations(d.escalations, d.span, ax2)
    return fig


def _plot_escalations(es: pd.DataFrame, span, ax) -> None:
    import matplotlib.pyplot as plt

    from satprofit.constants import SEVERITIES

    ax.set_title("Escalations per quarter, by severity")
    if es.empty:
        ax.text(0.5, 0.5, "No escalations", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        return
    q = pd.to_datetime(es["Opened"]).dt.to_period("Q").astype(str)
    quarters = pd.period_range(span[0], span[1], freq="Q").astype(str) if span else None
    grid = pd.crosstab(q, es["Severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    if quarters is not None:
        grid = grid.reindex(quarters, fill_value=0)
    x = np.arange(len(grid))
    bottom = np.zeros(len(grid))
    for i, sev in enumerate(SEVERITIES):
        ax.bar(x, grid[sev], bottom=bottom, color=f"C{i}", label=sev, width=0.8)
        bottom += grid[sev].to_numpy()
    ax.set_xticks(x[::2], list(grid.index)[::2], rotation=60, fontsize=8)
    ax.set_ylabel("Escalations")
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8, title="Severity", title_fontsize=8)


def _format_measure(kind: str):
    if kind == "pct":
        return B.pct
    if kind == "days":
        return lambda x: f"{float(x):,.0f}"
    return lambda x: B.number(x, 2)


def delivery_blocks(r: ClientReport) -> list:
    """Display blocks of the delivery quality and escalations section."""
    d = r.delivery
    summary = d.summary.copy()
    for col in ("client", "median", "q25", "q75"):
        summary[col] = [
            _format_measure(k)(v) if pd.notna(v) else None
            for k, v in zip(summary["kind"], summary[col], strict=True)
        ]
    summary = summary.drop(columns="kind").rename(
        columns={
            "measure": "Measure (whole period)",
            "client": "This client",
            "median": "Portfolio median",
            "q25": "Lower quartile",
            "q75": "Upper quartile",
            "n_clients": "Clients compared",
        }
    )
    out: list = [B.table(summary, caption="Delivery quality beside the portfolio")]
    out.extend(B.callout(n, "info") for n in d.notes)
    fig = plot_delivery(d)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Left: on-time milestone rate of each finished project of this client, with "
                "the portfolio median and middle half. Right: this client's escalations per "
                "quarter, stacked by severity.",
            )
        )
    out.append(
        B.table(
            d.projects,
            caption=f"Projects ({len(d.projects)})",
            formats={
                "On time": B.pct,
                "Cost overrun": B.pct,
                "Slip (days)": "{:,.0f}".format,
                "Satisfaction": lambda x: B.number(x, 1),
            },
        )
    )
    if d.escalations.empty:
        out.append(B.paragraph("There were no escalations in the period covered."))
    else:
        out.append(
            B.table(
                d.escalations,
                caption=f"Escalations ({len(d.escalations)})",
                formats={"Days to resolve": "{:,.0f}".format},
            )
        )
    return out


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
    _check_client(p, client_id)
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
    fig, ax = plt.subplots(figsize=(10, 3.8), constrained_layout=True)
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
        ``quadrant``.
    basis : {"client", "portfolio", "none"}
        Whose survey responses the gains are averaged over (``none``: no satisfaction model).
    notes : list of str
    """

    table: pd.DataFrame
    basis: str
    notes: list[str] = field(default_factory=list)

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
    from satprofit.bayes.satisfaction import SatisfactionModel, expected_csat

    sd = run.fit.data["satisfaction"]
    res = run.fit.results["satisfaction"]
    eta, cut, beta = SatisfactionModel().latent(res.idata, sd, 1000)
    mask = (sd.frame["client_id"] == client_id).to_numpy()
    basis = "client"
    if not mask.any():
        mask = np.ones(sd.n, bool)
        basis = "portfolio"
        notes.append(
            "This client has no survey response tied to a finished project, so the importance "
            "of each driver is the portfolio's average, not this client's own."
        )
    e = eta[:, mask]
    base = expected_csat(e, cut).mean(axis=1)
    out: dict = {}
    for key, (shift, _) in _improvements().items():
        estimand = DRIVERS[key].estimand
        status, reason = _bayes_status(res, estimand)
        col = sd.effect_column(estimand)
        if status != "ok" or col is None:
            out[key] = f"not estimable: {reason or sd.refused.get(estimand, 'no estimate')}"
            continue
        moved = expected_csat(e + (beta[:, col] * shift)[:, None], cut).mean(axis=1)
        out[key] = B.quantiles(moved - base)
    return out, basis


def _bayes_status(result, estimand: str) -> tuple[str, str]:
    """Status and reason of one estimand of a Bayesian result (``ok`` when not recorded)."""
    e = result.effects
    if estimand not in e.index:
        return "not_estimable", "the model does not answer this question"
    row = e.loc[estimand]
    status = row.get("status", "ok")
    status = status if isinstance(status, str) else "ok"
    reason = row.get("reason", "")
    return status, reason if isinstance(reason, str) else ""


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
    _check_client(p, client_id)
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
    return Drivers(table, basis, notes)


def plot_drivers(d: Drivers):
    """Importance (expected csat gain, 80 % interval) against performance percentile."""
    import matplotlib.pyplot as plt

    t = d.placed
    if t.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 5.2), constrained_layout=True)
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
        ax.annotate(
            B.plot_text(row["label"]),
            (row["percentile"], row["gain"]),
            textcoords="offset points",
            xytext=(7, 5),
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
        return out
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
        }
    )
    out.append(
        B.table(
            shown,
            caption="Drivers of satisfaction",
            formats={"Better than (% of clients)": "{:.0f}".format},
        )
    )
    return out


# --------------------------------------------------------------------------- what-if


@dataclass
class WhatIf:
    """The worth of each lever for this client over the next four quarters, in currency.

    Attributes
    ----------
    table : DataFrame
        ``scenario`` (key), ``label``, ``measure`` (``value``: repeat-business contract value,
        ``margin``: the margin of delivering it), ``median``, ``low80``, ``high80``,
        ``low95``, ``high95`` of the difference from the status quo.
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
    """Run :data:`SCENARIOS` through :func:`satprofit.bayes.scenario` for ``client_id``."""
    from satprofit.bayes import scenario

    p = run.portfolio
    _check_client(p, client_id)
    _, end = data_range(p)
    reports = client_levels(p, since=end - pd.Timedelta(days=RECENT_DAYS)).loc[
        client_id, "reports_per_month"
    ]
    rows, notes, status_quo = [], [], pd.DataFrame()
    for key, (label, changes) in SCENARIOS.items():
        try:
            res = scenario(run.fit, client_id, changes, seed=seed)
        except ValueError as err:
            return WhatIf(
                pd.DataFrame(), pd.DataFrame(), run.fit.converged, str(err), [], float(reports)
            )
        diff = res.table.xs("difference", level="case")
        status_quo = res.table.xs("status_quo", level="case")
        for measure, vals in diff.iterrows():
            rows.append({"scenario": key, "label": label, "measure": measure, **vals.to_dict()})
        notes.extend(n for n in res.notes if n not in notes)
    table = pd.DataFrame(rows)
    notes.extend(_no_effect_notes(run, client_id, table))
    return WhatIf(table, status_quo, run.fit.converged, None, notes, float(reports))


def _no_effect_notes(run, client_id: str, table: pd.DataFrame) -> list[str]:
    """Say why a scenario changes nothing for this client."""
    cur = run.fit.data["repeat"].current
    cur = cur[cur["client_id"] == client_id]
    out = []
    for key, (label, _) in SCENARIOS.items():
        d = table[table["scenario"] == key]
        if key == "all" or not np.allclose(d[["low95", "high95"]].to_numpy(float), 0.0):
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
    """Forest plot: each scenario's change of repeat business, 80 % and 95 % intervals."""
    import matplotlib.pyplot as plt

    if w.table.empty:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True, constrained_layout=True)
    titles = {"value": "Repeat-business contract value", "margin": "Margin on that business"}
    labels = [lab for lab, _ in SCENARIOS.values()]
    y = np.arange(len(labels))[::-1]
    for ax, measure in zip(axes, ("value", "margin"), strict=True):
        d = w.table[w.table["measure"] == measure].set_index("label").reindex(labels)
        ax.hlines(y, d["low95"], d["high95"], color="0.6", lw=2, label="95% interval")
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


def not_converged(scope: str = "section") -> str:
    """The warning shown wherever figures rest on a model that failed the convergence gate."""
    return (
        "Not converged: the statistical models behind these figures have not passed our "
        "convergence checks (R-hat, effective sample size, divergences). Treat every figure in "
        f"this {scope} as provisional until the models are refitted with more draws."
    )


NOT_CONVERGED = not_converged()


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
            "quarters for each what-if scenario, with most likely values, 80% and 95% intervals.",
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
            "95% interval": [
                f"{B.money(a)} to {B.money(b)}"
                for a, b in zip(t["low95"], t["high95"], strict=True)
            ],
        }
    )
    out.append(B.table(shown, caption="What each change is worth over the next four quarters"))
    out.extend(B.callout(n, "info") for n in w.notes)
    return out


# --------------------------------------------------------------------------- methods appendix


@dataclass
class Methods:
    """What the report rests on.

    Attributes
    ----------
    data_used : DataFrame
        Per table: rows in the portfolio and rows of this client.
    period : str
    questions : DataFrame
        Per estimand quoted: title, method used here, estimate with 95 % interval, status.
    models : DataFrame
        Per Bayesian model: status (converged, not converged, skipped) and figures or reason.
    settings : DataFrame
        ``setting``, ``value``: package version, run settings, report parameters.
    """

    data_used: pd.DataFrame
    period: str
    questions: pd.DataFrame
    models: pd.DataFrame
    settings: pd.DataFrame
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


#: Estimands a client report quotes (the incentive question is internal to the firm).
CLIENT_ESTIMANDS = tuple(e for e in ESTIMAND_IDS if not e.startswith("delivery_bonus"))


def question_rows(run, estimands=CLIENT_ESTIMANDS) -> pd.DataFrame:
    """For each estimand: the estimate the reports lead with (Bayesian where fitted, else the
    default causal method) and why, when the data cannot answer it."""
    from satprofit.causal.api import DEFAULT_METHODS

    bayes = run.fit.summary() if run.fit.results else pd.DataFrame()
    causal = run.causal
    rows = []
    for est in estimands:
        q = est.split(".")[0]
        rec, source = None, None
        if est in bayes.index:
            rec, source = bayes.loc[est], "bayes"
        if len(causal) and (rec is None or _record_status(rec) != "ok"):
            hit = causal[(causal["question"] == est) & (causal["method"] == DEFAULT_METHODS[q])]
            if len(hit) and (rec is None or _record_status(hit.iloc[0]) == "ok"):
                rec, source = hit.iloc[0], "causal"  # the causal answer stands in
        rows.append(_question_row(est, rec, source))
    return pd.DataFrame(rows)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _record_status(rec) -> str:
    """``ok``, ``not_estimable`` or ``failed`` of a causal or Bayesian record (records without
    a status are ``ok`` when their estimate is a finite number)."""
    status = _text(rec.get("status", ""))
    try:
        finite = np.isfinite(float(rec.get("estimate")))
    except (TypeError, ValueError):
        finite = False
    if status in ("not_estimable", "failed"):
        return status
    return "ok" if finite else "not_estimable"


def status_text(status: str, reason: str) -> str:
    """How a report shows an estimand that is not an answer: "not estimable: reason" or
    "failed: reason", never a number."""
    reason = _text(reason).strip()
    head = "failed" if status == "failed" else "not estimable"
    return f"{head}: {reason}" if reason else head


def _question_row(estimand: str, rec, source) -> dict:
    title = B.estimand_title(estimand)
    if rec is None:
        return {
            "Question": title,
            "Method": "\u2013",
            "Estimate (95% interval)": "\u2013",
            "Unit": "\u2013",
            "Status": "not estimated in this run",
        }
    method = B.method_label(str(rec["method"]))
    value = rec["estimate"]
    state = _record_status(rec)
    if state != "ok":
        reason = _text(rec.get("reason", "")) or _text(rec.get("note", ""))
        status = status_text(state, reason)
        shown = "\u2013"
    else:
        fmt = B.money if "currency" in str(rec["unit"]) else (lambda x: B.number(x, 2))
        shown = B.interval(value, rec["ci_low"], rec["ci_high"], fmt, level=95, about=False)
        status = "answered"
        if source == "bayes" and not bool(rec.get("converged", True)):
            status = "answered, model not converged: provisional"
    return {
        "Question": title,
        "Method": method,
        "Estimate (95% interval)": shown,
        "Unit": str(rec["unit"]),
        "Status": status,
    }


def model_rows(run) -> pd.DataFrame:
    """Convergence status of each Bayesian model, and why any was skipped."""
    rows = []
    for key, res in run.fit.results.items():
        d = res.diagnostics
        rows.append(
            {
                "Model": key,
                "Status": "converged" if res.converged else "NOT CONVERGED",
                "Largest R-hat": d.get("rhat_max"),
                "Smallest effective sample size": d.get("ess_min"),
                "Divergent transitions": d.get("divergences"),
                "Detail": ", ".join(d.get("failing", [])[:6]),
            }
        )
    for key, why in run.fit.skipped.items():
        rows.append({"Model": key, "Status": "skipped", "Detail": why})
    for key, why in getattr(run.fit, "failed", {}).items():
        rows.append({"Model": key, "Status": "failed", "Detail": why})
    return pd.DataFrame(rows)


def build_methods(run, client_id: str, *, seed: int, min_clients: int) -> Methods:
    """Data, period, questions and methods, convergence, version and parameters."""
    from satprofit import __version__

    p = run.portfolio
    prof = client_profile(run, client_id)
    data_used = pd.DataFrame(
        [
            {
                "Table": name,
                "Rows in the portfolio": len(frame),
                "Rows of this client": int((frame["client_id"] == client_id).sum())
                if "client_id" in frame
                else None,
            }
            for name, frame in p.tables.items()
        ]
    )
    settings = run.meta.get("settings", run.fit.settings)
    rows = [
        ("satprofit version (report)", __version__),
        ("satprofit version (fit)", run.meta.get("satprofit_version", "unknown")),
        ("Run created", run.meta.get("created", "unknown")),
        ("Data fingerprint", run.meta.get("portfolio", "unknown")),
        *((f"Sampler: {k}", v) for k, v in settings.items()),
        ("What-if seed", seed),
        ("What-if mode", "steady state (the change in place for a year)"),
        ("Smallest benchmark group", f"{min_clients} other clients"),
        ("Intervals", "80% for what-ifs and drivers, 95% for question estimates"),
    ]
    settings_df = pd.DataFrame(rows, columns=["Setting", "Value"]).astype({"Value": str})
    return Methods(
        data_used,
        prof.period,
        question_rows(run),
        model_rows(run),
        settings_df,
        assumption_rows(CLIENT_ESTIMANDS),
    )


def methods_blocks(r: ClientReport) -> list:
    """Display blocks of the methods appendix."""
    m = r.methods
    out: list = []
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    out += [
        B.paragraph(f"Period covered: {m.period}."),
        B.table(
            m.data_used,
            caption="Data used",
            formats={c: "{:,.0f}".format for c in m.data_used.columns[1:]},
        ),
        B.table(m.questions, caption="Questions answered and the method of each"),
        B.table(
            m.models,
            caption="Convergence of the Bayesian models",
            formats={
                "Largest R-hat": lambda x: B.number(x, 3),
                "Smallest effective sample size": "{:,.0f}".format,
                "Divergent transitions": "{:,.0f}".format,
            },
        ),
        *assumption_blocks(m.assumptions),
        B.table(m.settings, caption="Software, settings and parameters"),
    ]
    return out


# --------------------------------------------------------------------------- the whole report


@dataclass
class ClientReport:
    """Every section of one client's report."""

    profile: ClientProfile
    metrics: MetricsComparison
    delivery: DeliveryQuality
    satisfaction: SatisfactionTrend
    drivers: Drivers
    what_if: WhatIf
    methods: Methods
    converged: bool
    seed: int
    min_clients: int
    summary: list[str] = field(default_factory=list)


def build_client_report(
    run, client_id: str, *, seed: int, min_clients: int = MIN_BENCHMARK_CLIENTS
) -> ClientReport:
    """Compute every section of the client report.

    Parameters
    ----------
    run : satprofit.runs.Run
        A saved run (``satprofit fit``); nothing is refitted.
    client_id : str
        As in the data (any text).
    seed : int
        Seed of the what-if draws.
    min_clients : int
        Fewest other clients behind any benchmark.

    Returns
    -------
    ClientReport

    Raises
    ------
    KeyError
        The client is not in the run's portfolio.
    """
    kw = {"min_clients": min_clients}
    rep = ClientReport(
        profile=client_profile(run, client_id),
        metrics=build_metrics(run, client_id, **kw),
        delivery=build_delivery(run, client_id, **kw),
        satisfaction=build_satisfaction(run, client_id, **kw),
        drivers=build_drivers(run, client_id, **kw),
        what_if=build_what_if(run, client_id, seed=seed),
        methods=build_methods(run, client_id, seed=seed, min_clients=min_clients),
        converged=run.fit.converged,
        seed=seed,
        min_clients=min_clients,
    )
    rep.summary = executive_summary(rep)
    return rep


def report_title(r: ClientReport) -> str:
    """``Client report: <name>`` (plain text; escape before display)."""
    return f"Client report: {r.profile.display_name}"


def title_blocks(r: ClientReport, date: str | None = None) -> list:
    """The report's title, the client's descriptors and the date."""
    p = r.profile
    date = date or pd.Timestamp.today().strftime("%d %B %Y")
    facts = (
        f"Client id {' '.join(p.client_id.split())} \u00b7 {p.industry} \u00b7 {p.region} \u00b7 "
        f"{p.size_band} \u00b7 data from {p.period} \u00b7 prepared {date}"
    )
    out = [B.heading(report_title(r), 1), B.paragraph(facts)]
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    return out


# --------------------------------------------------------------------------- executive summary


def executive_summary(r: ClientReport) -> list[str]:
    """Three to five sentences for the client's executive, generated from the estimates.

    Each sentence states its claim only when the client's data support it, and says so when
    they do not (few survey responses, no finished project, no forecast).
    """
    out = [
        _relationship_sentence(r),
        _delivery_sentence(r),
        _driver_sentence(r),
        _money_sentence(r),
    ]
    out = [s for s in out if s]
    if not r.converged:
        out.append(
            "All estimates here are provisional: our statistical models have not yet passed "
            "their convergence checks."
        )
    return out[:5]


def _relationship_sentence(r: ClientReport) -> str:
    p, s = r.profile, r.satisfaction
    head = (
        f"From {p.period} we delivered {B.plural(p.projects, 'project')} for {p.display_name} "
        f"({p.finished_projects} finished)"
    )
    if s.thin:
        return (
            f"{head}; with only {B.plural(s.responses, 'survey response')} we cannot yet say "
            "how satisfied your teams are."
        )
    text = (
        f"{head}, and your {B.plural(s.responses, 'survey response')} average "
        f"{B.number(s.overall.value, 1)} out of 5"
    )
    if s.overall.available:
        diff = s.overall.value - s.overall.median
        where = "above" if diff > 0.1 else "below" if diff < -0.1 else "in line with"
        text += f", {where} the typical client ({B.number(s.overall.median, 1)})"
    return text + "."


def _delivery_sentence(r: ClientReport) -> str:
    d, p = r.delivery, r.profile
    if d.finished == 0:
        return (
            "No project has finished yet, so we cannot yet judge delivery quality; "
            f"there have been {B.plural(p.escalations, 'escalation')} so far."
        )
    ontime = d.value("On-time milestone rate")
    if pd.isna(ontime["client"]):
        text = "Your finished projects had no planned milestones to measure on-time delivery"
    else:
        text = f"{B.pct(ontime['client'])} of milestones in your finished projects were on time"
        if pd.notna(ontime["median"]):
            text += f" (typical client: {B.pct(ontime['median'])})"
    with_sales = int((d.escalations["Sales involved"] == "yes").sum()) if len(d.escalations) else 0
    text += f", and there {'was' if p.escalations == 1 else 'were'} "
    text += B.plural(p.escalations, "escalation")
    if p.escalations:
        text += f", {with_sales} with sales involved"
    return text + "."


def _driver_sentence(r: ClientReport) -> str:
    d = r.drivers
    if not d.available or d.table["gain"].isna().all():
        return ""
    best = d.table.sort_values("gain", ascending=False).iloc[0]
    whose = "for you" if d.basis == "client" else "across our clients"
    text = (
        f"The strongest lever on satisfaction {whose} is {best['label'].lower()}: "
        f"{best['improvement']} would raise expected satisfaction by "
        + B.interval(best["gain"], best["gain_low"], best["gain_high"], _two, unit="points")
        + " (its total effect, including what it changes on the way, such as fewer defects "
        "and escalations)"
    )
    if r.satisfaction.thin:
        text += ", an estimate that leans on other clients' experience because yours is thin"
    return text + "."


def _money_sentence(r: ClientReport) -> str:
    w = r.what_if
    if w.error:
        return (
            "We cannot yet put a money value on these levers for you: there is not enough "
            "survey and sales history to forecast your repeat business."
        )
    row = w.row("all", "value")
    text = (
        "Together, +10 points of on-time milestones, a monthly business status report and "
        "delivery sign-off on every proposal are worth "
        f"{B.interval(row['median'], row['low80'], row['high80'])} in repeat business over the "
        "next four quarters"
    )
    if B.spans_zero(row["low80"], row["high80"]):
        text += ", though the data cannot rule out that the gain is small or none"
    return text + "."


def _two(x: object) -> str:
    return B.number(x, 2)


def summary_blocks(r: ClientReport) -> list:
    """The executive summary as one paragraph per sentence."""
    return [B.paragraph(s) for s in r.summary]
