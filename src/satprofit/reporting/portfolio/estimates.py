"""Portfolio report section: every estimand by every method side by side, and where they disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL, INTERVAL_PERCENT
from satprofit.questions import ESTIMAND_IDS
from satprofit.reporting import blocks as B
from satprofit.reporting.common import (
    axis_number,
    estimate_status,
    estimate_text,
    not_converged,
    text,
)

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "build_disagreements",
    "build_estimates",
    "estimates_blocks",
    "plot_estimates",
]

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


def _row(r: pd.Series, source: str) -> dict:
    est = str(r.get("question", ""))
    method = str(r.get("method", ""))
    value = _num(r.get("estimate"))
    note = text(r.get("note", ""))
    conv = r.get("converged", True)
    status = text(r.get("status", "")) or ("ok" if np.isfinite(value) else "not_estimable")
    if status == "ok" and not np.isfinite(value):
        status = "not_estimable"
    reason = text(r.get("reason", "")) or note
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
        ax.xaxis.set_major_formatter(plt.FuncFormatter(axis_number))
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    return fig


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
            f"Forest plot with one panel per estimand: each method's estimate and {INTERVAL_LABEL} "
            "interval; "
            "causal methods in blue, naive comparisons in grey, Bayesian models in orange "
            "(squares: not converged).",
        )
    )
    shown = pd.DataFrame(
        {
            "Question": est["title"],
            "Method": est["method_label"],
            f"Estimate ({INTERVAL_LABEL} interval)": [
                estimate_text(row) for _, row in est.iterrows()
            ],
            "Unit": est["unit"],
            "Units of analysis": est["n"],
            "Status": [estimate_status(row) for _, row in est.iterrows()],
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
            return B.interval(r["estimate"], r["ci_low"], r["ci_high"], fmt, level=INTERVAL_PERCENT)

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
