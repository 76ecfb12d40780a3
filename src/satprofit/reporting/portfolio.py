"""Everything the internal leadership report shows, computed from a fitted run.

For the firm's leadership, not for clients: every question's estimate by every method side by
side (causal estimators and the Bayesian posterior), the article's dashboard by delivery team and
business unit, the effect of the incentive policies and which unit adopted which policy when, and
the diagnostics behind the figures. It shows no client's name or figures (teams and business units
are the firm's own); text still goes through :mod:`satprofit.reporting.blocks`, escaped.

As for the client report, each section has a ``build_*`` function returning tables, a ``plot_*``
function returning a figure (or None) and a ``*_blocks`` function returning display blocks;
:func:`build_portfolio_report` computes everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.features.business_units import business_unit_panel, policy_starts
from satprofit.features.panel import DASHBOARD_METRICS
from satprofit.metrics import dashboard
from satprofit.metrics.plots import METRIC_LABELS
from satprofit.questions import ESTIMAND_IDS
from satprofit.reporting import blocks as B
from satprofit.reporting.assumptions import assumption_blocks, assumption_rows
from satprofit.reporting.common import data_range, model_rows, not_converged, status_text

__all__ = [
    "DashboardTables",
    "Diagnostics",
    "PolicyEffects",
    "PortfolioReport",
    "build_dashboards",
    "build_diagnostics",
    "build_disagreements",
    "build_estimates",
    "build_policy",
    "build_portfolio_report",
    "dashboard_blocks",
    "diagnostics_blocks",
    "estimates_blocks",
    "overview_blocks",
    "plot_dashboard",
    "plot_estimates",
    "plot_policy",
    "policy_blocks",
    "title_blocks",
]

POLICY_QUESTION = "delivery_bonus_to_leads"


# --------------------------------------------------------------------------- estimates


def build_estimates(run) -> pd.DataFrame:
    """Every estimand by every method: causal estimators (naive included) and Bayesian models.

    Returns
    -------
    DataFrame
        One row per estimand and method, in QUESTIONS.md order: ``estimand``, ``title``,
        ``method``, ``method_label``, ``source`` (``causal`` / ``bayes``), ``estimate``,
        ``ci_low``, ``ci_high`` (95 %), ``unit``, ``n``, ``answered`` (False where the data
        cannot answer), ``converged`` (Bayesian rows; True for causal rows), ``note``,
        ``status`` (``ok`` / ``not_estimable`` / ``failed``) and ``reason``.
    """
    rows = []
    causal = run.causal
    for _, r in causal.iterrows() if len(causal) else ():
        rows.append(_row(r, "causal"))
    if run.fit.results:
        for est, r in run.fit.summary().iterrows():
            rows.append(_row(pd.Series({**r.to_dict(), "question": est}), "bayes"))
    out = pd.DataFrame(rows, columns=list(_row(pd.Series(dtype=object), "causal")))
    order = {e: i for i, e in enumerate(ESTIMAND_IDS)}
    out["_o"] = out["estimand"].map(order).fillna(len(order))
    out["_s"] = (out["source"] == "bayes").astype(int)
    return (
        out.sort_values(["_o", "_s"], kind="stable")
        .drop(columns=["_o", "_s"])
        .reset_index(drop=True)
    )


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _row(r: pd.Series, source: str) -> dict:
    est = str(r.get("question", ""))
    method = str(r.get("method", ""))
    value = _num(r.get("estimate"))
    note = _text(r.get("note", ""))
    conv = r.get("converged", True)
    status = _text(r.get("status", "")) or ("ok" if np.isfinite(value) else "not_estimable")
    if status == "ok" and not np.isfinite(value):
        status = "not_estimable"
    reason = _text(r.get("reason", "")) or note
    return {
        "estimand": est,
        "title": B.estimand_title(est),
        "method": method,
        "method_label": B.method_label(method),
        "source": source,
        "estimate": value,
        "ci_low": _num(r.get("ci_low")),
        "ci_high": _num(r.get("ci_high")),
        "unit": str(r.get("unit", "")),
        "n": _num(r.get("n")),
        "answered": bool(np.isfinite(value)) and status == "ok",
        "converged": True if source == "causal" else bool(conv),
        "note": note,
        "status": status,
        "reason": reason,
    }


def plot_estimates(est: pd.DataFrame):
    """Forest plot: one panel per estimand (units differ), one line per method."""
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(est["estimand"]))
    if not names:
        return None
    ncol = 2
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(12, 2.0 * nrow + 0.6), squeeze=False, constrained_layout=True
    )
    for ax, name in zip(axes.ravel(), names, strict=False):
        d = est[est["estimand"] == name].reset_index(drop=True)
        y = np.arange(len(d))[::-1]
        for yi, (_, r) in zip(y, d.iterrows(), strict=True):
            colour = (
                "C1" if r["source"] == "bayes" else ("0.55" if r["method"] == "naive" else "C0")
            )
            if not r["answered"]:
                ax.text(
                    0.02,
                    yi,
                    "failed" if r["status"] == "failed" else "not estimable",
                    va="center",
                    fontsize=7.5,
                    color="0.4",
                    transform=ax.get_yaxis_transform(),
                )
                continue
            ax.hlines(yi, r["ci_low"], r["ci_high"], color=colour, lw=2.5)
            marker = "s" if r["source"] == "bayes" and not r["converged"] else "o"
            ax.plot(r["estimate"], yi, marker, color=colour, mec="black", ms=6)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(
            y, [B.plot_text(B.method_label(m, short=True)) for m in d["method"]], fontsize=8
        )
        ax.set_ylim(-0.7, len(d) - 0.3)
        ax.set_title(B.plot_text(B.estimand_title(name)), fontsize=9.5)
        ax.set_xlabel(B.plot_text(d["unit"].iloc[0]), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(_axis_number))
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    return fig


def _axis_number(v: float, _pos=None) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"


def estimates_blocks(r: PortfolioReport) -> list:
    """Display blocks of the estimates section: forest plot and the side-by-side table."""
    est = r.estimates
    out: list = []
    if not r.converged:
        out.append(B.callout(not_converged("section"), "warning"))
    if est.empty:
        return [*out, B.callout("This run holds no estimates.", "warning")]
    out.append(
        B.figure(
            plot_estimates(est),
            "Forest plot with one panel per estimand: each method's estimate and 95% interval; "
            "causal methods in blue, naive comparisons in grey, Bayesian models in orange "
            "(squares: not converged).",
        )
    )
    shown = pd.DataFrame(
        {
            "Question": est["title"],
            "Method": est["method_label"],
            "Estimate (95% interval)": [_estimate_text(row) for _, row in est.iterrows()],
            "Unit": est["unit"],
            "Units of analysis": est["n"],
            "Status": [_status(row) for _, row in est.iterrows()],
        }
    )
    out.append(
        B.table(
            shown,
            caption="Every question by every method",
            formats={"Units of analysis": "{:,.0f}".format},
        )
    )
    dis = r.disagreements if r.disagreements is not None else build_disagreements(est)
    for _, row in dis.iterrows():
        out.append(B.callout(row["message"], "warning"))
    return out


def build_disagreements(est: pd.DataFrame) -> pd.DataFrame:
    """Questions where the causal answer and the Bayesian answer disagree beyond their
    intervals (their 95 % intervals do not overlap).

    The causal answer is the question's default method (:data:`satprofit.causal.api.
    DEFAULT_METHODS`); both must be answered. Returns one row per disagreement: ``estimand``,
    ``title``, ``causal_method``, ``bayes_method``, the two estimates and intervals, ``unit``,
    and ``message`` (plain business language, for the report).
    """
    from satprofit.causal.api import DEFAULT_METHODS

    cols = ["estimand", "title", "causal_method", "bayes_method", "unit", "message"]
    rows = []
    ok = est[est["answered"]] if len(est) else est
    for name in dict.fromkeys(ok["estimand"]) if len(ok) else ():
        d = ok[ok["estimand"] == name]
        default = DEFAULT_METHODS.get(name.split(".")[0])
        c = d[(d["source"] == "causal") & (d["method"] == default)]
        b = d[d["source"] == "bayes"]
        if c.empty or b.empty:
            continue
        c, b = c.iloc[0], b.iloc[0]
        if c["ci_high"] >= b["ci_low"] and b["ci_high"] >= c["ci_low"]:
            continue
        fmt = B.money if "currency" in c["unit"] else (lambda x: B.number(x, 2))

        def shown(r, fmt=fmt):
            return B.interval(r["estimate"], r["ci_low"], r["ci_high"], fmt, level=95)

        message = (
            f"Two methods disagree on \u201c{c['title']}\u201d: the causal estimate "
            f"({c['method_label']}) is {shown(c)} and the Bayesian model's is {shown(b)} "
            f"({c['unit']}). Their ranges do not overlap, so at least one of them rests on an "
            "assumption these data contradict. Treat this answer as unsettled and do not act "
            "on either figure until the two are reconciled."
        )
        rows.append(
            {
                "estimand": name,
                "title": c["title"],
                "causal_method": c["method"],
                "bayes_method": b["method"],
                "causal_estimate": c["estimate"],
                "causal_ci": (c["ci_low"], c["ci_high"]),
                "bayes_estimate": b["estimate"],
                "bayes_ci": (b["ci_low"], b["ci_high"]),
                "unit": c["unit"],
                "message": message,
            }
        )
    return pd.DataFrame(rows, columns=cols if not rows else None)


def _estimate_text(row: pd.Series) -> str:
    if not row["answered"]:
        return "\u2013"
    fmt = B.money if "currency" in row["unit"] else (lambda x: B.number(x, 2))
    return B.interval(row["estimate"], row["ci_low"], row["ci_high"], fmt, level=95, about=False)


def _status(row: pd.Series) -> str:
    if not row["answered"]:
        return status_text(row.get("status", "not_estimable"), row.get("reason", ""))
    if not row["converged"]:
        return "not converged: provisional"
    return "answered"


# --------------------------------------------------------------------------- dashboards


@dataclass
class DashboardTables:
    """The article's six metrics over the last four full quarters, by team and by unit.

    Attributes
    ----------
    by_team, by_unit : DataFrame
        One row per delivery team / business unit, one column per metric (totals).
    quarters : list of str
        The quarters summed.
    unit_trend : DataFrame
        The full dashboard by business unit and quarter (for the figure).
    """

    by_team: pd.DataFrame
    by_unit: pd.DataFrame
    quarters: list[str]
    unit_trend: pd.DataFrame


def _recent_totals(table: pd.DataFrame, key: str, quarters: list[str]) -> pd.DataFrame:
    sub = table[table["period"].isin(quarters)]
    tot = sub.groupby(key)[list(DASHBOARD_METRICS)].sum().reset_index()
    return tot.sort_values(key, kind="stable").reset_index(drop=True)


def build_dashboards(run) -> DashboardTables:
    """The dashboard by delivery team and by business unit (last four full quarters)."""
    p = run.portfolio
    _, end = data_range(p)
    team = dashboard(p, by="delivery_team", freq="Q")
    unit = dashboard(p, by="business_unit", freq="Q")
    periods = pd.PeriodIndex(sorted(unit["period"].unique()), freq="Q")
    full = [str(q) for q in periods if q.end_time.normalize() <= end.normalize()]
    quarters = full[-4:]
    unit_trend = unit[unit["period"].isin(full)].reset_index(drop=True)
    return DashboardTables(
        _recent_totals(team, "delivery_team", quarters),
        _recent_totals(unit, "business_unit", quarters),
        quarters,
        unit_trend,
    )


def plot_dashboard(d: DashboardTables):
    """Six panels: each metric per quarter, one line per business unit."""
    import matplotlib.pyplot as plt

    t = d.unit_trend
    if t.empty:
        return None
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.2), sharex=True, constrained_layout=True)
    units = sorted(t["business_unit"].unique())
    periods = sorted(t["period"].unique())
    x = np.arange(len(periods))
    for ax, metric in zip(axes.ravel(), DASHBOARD_METRICS, strict=True):
        wide = t.pivot_table(
            index="period", columns="business_unit", values=metric, aggfunc="sum"
        ).reindex(periods)
        for i, unit in enumerate(units):
            style = "-" if i < 10 else "--"
            ax.plot(
                x,
                wide[unit],
                style,
                marker="o",
                ms=2.5,
                lw=1.2,
                color=f"C{i % 10}",
                label=B.plot_text(unit),
            )
        ax.set_title(B.plot_text(METRIC_LABELS[metric]), fontsize=9.5)
        ax.set_xticks(x[::2], periods[::2], rotation=60, fontsize=7.5)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(_axis_number))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(units)), fontsize=8)
    return fig


def dashboard_blocks(r: PortfolioReport) -> list:
    """Display blocks of the dashboard section."""
    d = r.dashboards
    names = {m: METRIC_LABELS[m] for m in DASHBOARD_METRICS}
    fmt = {METRIC_LABELS[m]: _axis_number for m in DASHBOARD_METRICS}
    span = f"{d.quarters[0]} to {d.quarters[-1]}" if d.quarters else "no full quarter"
    out: list = []
    fig = plot_dashboard(d)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                "Six line charts, one per dashboard metric, with one line per business unit "
                "over the quarters covered.",
            )
        )
    out.append(
        B.table(
            d.by_unit.rename(columns={"business_unit": "Business unit", **names}),
            caption=f"By business unit, totals {span}",
            formats=fmt,
        )
    )
    out.append(
        B.table(
            d.by_team.rename(columns={"delivery_team": "Delivery team", **names}),
            caption=f"By delivery team, totals {span}",
            formats=fmt,
        )
    )
    out.append(
        B.paragraph(
            "Events without a project cannot be traced to a delivery team and are listed as "
            "(unassigned)."
        )
    )
    return out


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
                "Effect (95% interval)": [_estimate_text(row) for _, row in est.iterrows()],
                "Unit": est["unit"],
                "Business-unit quarters": est["n"],
                "Status": [_status(row) for _, row in est.iterrows()],
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
        f"{B.interval(row['estimate'], row['ci_low'], row['ci_high'], _one, level=95)} more "
        f"delivery leads a quarter ({row['method_label']})"
    )
    if B.spans_zero(row["ci_low"], row["ci_high"]):
        text += "; the interval includes no effect"
    return text + "."


def _one(x: object) -> str:
    return B.number(x, 1)


# --------------------------------------------------------------------------- diagnostics


@dataclass
class Diagnostics:
    """What the estimates rest on.

    Attributes
    ----------
    models : DataFrame
        Convergence of each Bayesian model, and skipped models with their reasons.
    causal : DataFrame
        Causal estimates with identification, sensitivity (E-value, robustness value) and
        notes (overlap, pre-trends, fixed effects, why a question cannot be answered).
    skipped : dict
        Model -> reason.
    """

    models: pd.DataFrame
    causal: pd.DataFrame
    skipped: dict = field(default_factory=dict)
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_diagnostics(run) -> Diagnostics:
    """Convergence table, causal identification and sensitivity notes, skipped models."""
    c = run.causal
    if len(c):
        cols = {
            "question": "Estimand",
            "method": "Method",
            "identified": "Identified",
            "e_value": "E-value",
            "robustness_value": "Robustness value",
            "note": "Note",
        }
        causal = c[[k for k in cols if k in c.columns]].rename(columns=cols).copy()
        causal["Estimand"] = causal["Estimand"].map(B.estimand_title)
        if "Method" in causal:
            causal["Method"] = causal["Method"].map(B.method_label)
        if "Identified" in causal:
            causal["Identified"] = causal["Identified"].map({True: "yes", False: "no"})
    else:
        causal = pd.DataFrame()
    failed = {k: f"failed: {why}" for k, why in getattr(run.fit, "failed", {}).items()}
    return Diagnostics(
        model_rows(run),
        causal,
        {**dict(run.fit.skipped), **failed},
        assumption_rows(ESTIMAND_IDS),
    )


def diagnostics_blocks(r: PortfolioReport) -> list:
    """Display blocks of the diagnostics section."""
    d = r.diagnostics
    out: list = []
    if not r.converged:
        out.append(B.callout(not_converged("section"), "warning"))
    out.append(
        B.table(
            d.models,
            caption="Convergence of the Bayesian models (gate: R-hat <= 1.01, "
            "effective sample size >= 400, no divergences)",
            formats={
                "Largest R-hat": lambda x: B.number(x, 3),
                "Smallest effective sample size": "{:,.0f}".format,
                "Divergent transitions": "{:,.0f}".format,
            },
        )
    )
    if d.skipped:
        out.append(B.bullets(f"{k} was not fitted: {why}" for k, why in d.skipped.items()))
    if d.causal.empty:
        out.append(B.callout("The run holds no causal estimates.", "info"))
    else:
        out.append(
            B.table(
                d.causal,
                caption="Causal estimates: identification, sensitivity and notes",
                formats={
                    "E-value": lambda x: B.number(x, 2),
                    "Robustness value": lambda x: B.number(x, 2),
                },
            )
        )
        out.append(
            B.paragraph(
                "E-value: how strongly an unmeasured confounder would have to be tied to both "
                "treatment and outcome (risk-ratio scale) to explain the estimate away. "
                "Robustness value: the share of residual variance of both it would have to "
                "explain. Overlap and pre-trend checks appear in the notes where the method "
                "recorded them."
            )
        )
    out.extend(assumption_blocks(d.assumptions))
    return out


# --------------------------------------------------------------------------- the whole report


@dataclass
class PortfolioReport:
    """Every section of the leadership report."""

    overview: pd.DataFrame
    period: str
    estimates: pd.DataFrame
    dashboards: DashboardTables
    policy: PolicyEffects
    diagnostics: Diagnostics
    converged: bool
    settings: pd.DataFrame
    disagreements: pd.DataFrame | None = None


def _overview(run) -> pd.DataFrame:
    p = run.portfolio
    pr = p.projects
    rows = [
        ("Clients", len(p.clients)),
        ("Won deals", int((p.deals["status"] == "won").sum())),
        ("Projects (finished)", f"{len(pr):,} ({int(pr['actual_end_date'].notna().sum()):,})"),
        ("Survey responses", len(p.surveys)),
        ("Escalations", len(p.escalations)),
        ("Business units", p.deals["business_unit"].nunique()),
        ("Delivery teams", pr["delivery_team"].nunique()),
    ]
    return pd.DataFrame(rows, columns=["Item", "Count"]).astype({"Count": str})


def _settings(run) -> pd.DataFrame:
    from satprofit import __version__

    s = run.meta.get("settings", run.fit.settings)
    rows = [
        ("satprofit version (report)", __version__),
        ("satprofit version (fit)", run.meta.get("satprofit_version", "unknown")),
        ("Run created", run.meta.get("created", "unknown")),
        ("Data fingerprint", run.meta.get("portfolio", "unknown")),
        *((f"Sampler: {k}", v) for k, v in s.items()),
    ]
    return pd.DataFrame(rows, columns=["Setting", "Value"]).astype({"Value": str})


def build_portfolio_report(run) -> PortfolioReport:
    """Compute every section of the leadership report from a saved run (nothing is refitted)."""
    start, end = data_range(run.portfolio)
    est = build_estimates(run)
    return PortfolioReport(
        overview=_overview(run),
        period=f"{start.date()} to {end.date()}",
        estimates=est,
        dashboards=build_dashboards(run),
        policy=build_policy(run, est),
        diagnostics=build_diagnostics(run),
        converged=run.fit.converged,
        settings=_settings(run),
        disagreements=build_disagreements(est),
    )


def title_blocks(r: PortfolioReport, date: str | None = None) -> list:
    """Title, period and the not-converged warning when due."""
    date = date or pd.Timestamp.today().strftime("%d %B %Y")
    out = [
        B.heading("Portfolio report: sales, delivery and satisfaction", 1),
        B.paragraph(f"Internal, for leadership. Data from {r.period}; prepared {date}."),
    ]
    if not r.converged:
        out.append(B.callout(not_converged("report"), "warning"))
    return out


def overview_blocks(r: PortfolioReport) -> list:
    """The portfolio at a glance and the run's settings."""
    return [
        B.table(r.overview, caption="The portfolio"),
        B.table(r.settings, caption="Software and run settings"),
    ]
