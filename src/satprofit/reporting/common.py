"""Helpers every report section shares: the data's date range, anonymized benchmarks, the
client levels behind several sections, status and convergence wording, the rows of the
questions and models tables, number formats.

Both reports import from here; no section imports another report's module.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.constants import DAYS_PER_MONTH, INTERVAL_LABEL, INTERVAL_PERCENT
from satprofit.features.periods import EVENT_DATES
from satprofit.features.projects import project_table, sales_status_reports
from satprofit.questions import ESTIMAND_IDS
from satprofit.reporting import blocks as B

__all__ = [
    "per_portfolio",
    "portfolio_projects",
    "CLIENT_ESTIMANDS",
    "NOT_CONVERGED",
    "RECENT_DAYS",
    "Benchmark",
    "axis_number",
    "benchmark",
    "check_client",
    "client_levels",
    "data_range",
    "estimate_status",
    "estimate_text",
    "day_text",
    "model_rows",
    "not_converged",
    "nps_in_model_text",
    "period_text",
    "question_row",
    "question_rows",
    "record_status",
    "status_text",
    "text",
]


#: "Current performance" looks back this many days from the data's last day.
RECENT_DAYS = 365


def data_range(portfolio) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last event date of a portfolio."""

    def compute():
        dates = pd.concat(
            [portfolio.tables[t][c] for t, cols in EVENT_DATES.items() for c in cols],
            ignore_index=True,
        ).dropna()
        return dates.min(), dates.max()

    return per_portfolio(portfolio, ("data_range",), compute)


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


#: Portfolio-wide figures every client report of a run needs, computed once per portfolio
#: (a warm kernel renders report after report of one run). Keyed by the Portfolio object,
#: whose frames are read-only by contract; dropped with it.
_PER_PORTFOLIO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def portfolio_projects(portfolio) -> pd.DataFrame:
    """:func:`~satprofit.features.projects.project_table` of the portfolio, once (shared:
    never modified)."""
    return per_portfolio(portfolio, ("project_table",), lambda: project_table(portfolio))


def per_portfolio(portfolio, key: tuple, compute: Callable[[], object]):
    """``compute()`` once per ``portfolio`` and ``key``: figures that do not depend on the
    client (portfolio tables, pooled fits under the report's seed). The result is shared by
    every report of the portfolio: callers never modify it."""
    try:
        store = _PER_PORTFOLIO.setdefault(portfolio, {})
    except TypeError:  # not a Portfolio (a stand-in without weak references): no cache
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


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
    start, _ = data_range(portfolio)
    since = start if since is None else max(pd.Timestamp(since), start)
    return per_portfolio(
        portfolio, ("client_levels", since), lambda: _client_levels(portfolio, since)
    ).copy()


def _client_levels(portfolio, since: pd.Timestamp) -> pd.DataFrame:
    _, end = data_range(portfolio)
    ids = pd.Index(portfolio.clients["client_id"], name="client_id")
    pt = portfolio_projects(portfolio)
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


def check_client(portfolio, client_id: str) -> pd.Series:
    if type(client_id) is not str:
        raise TypeError(f"client_id must be str, not {type(client_id).__name__}")
    cl = portfolio.clients
    row = cl[cl["client_id"] == client_id]
    if row.empty:
        raise KeyError(f"no client {client_id!r} in this run's portfolio")
    return row.iloc[0]


def not_converged(scope: str = "section") -> str:
    """The warning shown wherever figures rest on a model that failed the convergence gate."""
    return (
        "Not converged: the statistical models behind these figures have not passed our "
        "convergence checks (R-hat, effective sample size, divergences). Treat every figure in "
        f"this {scope} as provisional until the models are refitted with more draws."
    )


NOT_CONVERGED = not_converged()


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
        if len(causal) and (rec is None or record_status(rec) != "ok"):
            hit = causal[(causal["question"] == est) & (causal["method"] == DEFAULT_METHODS[q])]
            if len(hit) and (rec is None or record_status(hit.iloc[0]) == "ok"):
                rec, source = hit.iloc[0], "causal"  # the causal answer stands in
        rows.append(question_row(est, rec, source))
    return pd.DataFrame(rows)


def text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def record_status(rec) -> str:
    """``ok``, ``not_estimable`` or ``failed`` of a causal or Bayesian record (records without
    a status are ``ok`` when their estimate is a finite number)."""
    status = text(rec.get("status", ""))
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
    reason = text(reason).strip()
    head = "failed" if status == "failed" else "not estimable"
    return f"{head}: {reason}" if reason else head


def question_row(estimand: str, rec, source) -> dict:
    title = B.estimand_title(estimand)
    if rec is None:
        return {
            "Question": title,
            "Method": "\u2013",
            f"Estimate ({INTERVAL_LABEL} interval)": "\u2013",
            "Unit": "\u2013",
            "Status": "not estimated in this run",
        }
    method = B.method_label(str(rec["method"]))
    value = rec["estimate"]
    state = record_status(rec)
    if state != "ok":
        reason = text(rec.get("reason", "")) or text(rec.get("note", ""))
        status = status_text(state, reason)
        shown = "\u2013"
    else:
        fmt = B.money if "currency" in str(rec["unit"]) else (lambda x: B.number(x, 2))
        shown = B.interval(
            value, rec["ci_low"], rec["ci_high"], fmt, level=INTERVAL_PERCENT, about=False
        )
        status = "answered"
        if source == "bayes" and not bool(rec.get("converged", True)):
            status = "answered, model not converged: provisional"
    return {
        "Question": title,
        "Method": method,
        f"Estimate ({INTERVAL_LABEL} interval)": shown,
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


def axis_number(v: float, _pos=None) -> str:
    """Axis tick label: thousands separated from 100 up, else the shortest form."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"


def day_text(ts: pd.Timestamp) -> str:
    """A day as ``1 Jan 2024`` (``n/a`` when missing)."""
    return f"{ts.day} {ts.strftime('%b %Y')}" if pd.notna(ts) else "n/a"


def period_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """A period as ``1 Jan 2022 to 31 Dec 2024``."""
    return f"{day_text(start)} to {day_text(end)}"


def estimate_text(row: pd.Series) -> str:
    """An estimates-table row as "estimate (95% interval)", or a dash when not answered."""
    if not row["answered"]:
        return "\u2013"
    fmt = B.money if "currency" in row["unit"] else (lambda x: B.number(x, 2))
    return B.interval(
        row["estimate"], row["ci_low"], row["ci_high"], fmt, level=INTERVAL_PERCENT, about=False
    )


def estimate_status(row: pd.Series) -> str:
    """An estimates-table row's status: answered, provisional, or why it is not a number."""
    if not row["answered"]:
        return status_text(row.get("status", "not_estimable"), row.get("reason", ""))
    if not row["converged"]:
        return "not converged: provisional"
    return "answered"


def run_settings_rows(run) -> list[tuple[str, object]]:
    """(setting, value) rows every report shows: package versions, run creation, data
    fingerprint and sampler settings."""
    from satprofit import __version__

    settings = run.meta.get("settings", run.fit.settings)
    return [
        ("satprofit version (report)", __version__),
        ("satprofit version (fit)", run.meta.get("satprofit_version", "unknown")),
        ("Run created", run.meta.get("created", "unknown")),
        ("Data fingerprint", run.meta.get("portfolio", "unknown")),
        *(
            (f"Sampler: {k}", "per model (below)" if v in (None, "auto") else v)
            for k, v in settings.items()
        ),
        *_model_sampler_rows(run),
        ("Likelihood to recommend (nps) in the satisfaction model", nps_in_model_text(run)),
    ]


def _model_sampler_rows(run) -> list[tuple[str, str]]:
    """How each fitted model was sampled (``sampler="auto"`` picks per model; a fit that
    failed the gate on mixing alone samples more chains)."""
    rows = []
    for key, res in run.fit.results.items():
        cfg = getattr(res, "config", None) or {}
        if "sampler" not in cfg:  # derived estimands (the path) have no sampler of their own
            continue
        rows.append(
            (
                f"Sampler used: {key} model",
                f"{cfg['sampler']}, {cfg.get('chains')} chains x {cfg.get('draws')} draws after "
                f"{cfg.get('tune')} tuning steps",
            )
        )
    return rows


def nps_in_model_text(run) -> str:
    """Whether the run's satisfaction model used the nps answers (``satprofit fit --nps``),
    read from the fitted model's own saved configuration."""
    res = run.fit.results.get("satisfaction")
    if res is None:
        return "satisfaction model not fitted in this run"
    if res.config.get("nps"):
        return (
            "yes: the 0-10 answers entered as a second ordinal likelihood sharing the latent "
            "satisfaction (satprofit fit --nps)"
        )
    return "no: the satisfaction model used csat only (satprofit fit --nps adds it)"
