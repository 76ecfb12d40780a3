"""Display blocks for a multi-item survey: how well it measures, and the path model between
its constructs.

Shared by the portfolio report's survey section and the survey case-study notebook (the ECSI
case study); the numbers come from :mod:`satprofit.survey` (:func:`~satprofit.survey.measure`
and :func:`~satprofit.survey.fit_pls`), this module only words and draws them. Construct and
item names come from a spec or a data file, so every text goes through
:mod:`satprofit.reporting.blocks`, escaped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_LABEL
from satprofit.reporting import blocks as B

__all__ = [
    "RELIABILITY_THRESHOLDS",
    "construct_label",
    "effects_table",
    "key_driver_blocks",
    "key_driver_table",
    "measurement_blocks",
    "measurement_table",
    "path_blocks",
    "path_table",
    "plot_paths",
]

#: The usual thresholds a construct's measurement is read against (Hair et al., PLS-SEM primer):
#: Cronbach's alpha and composite reliability >= 0.70, AVE >= 0.50, HTMT < 0.90.
RELIABILITY_THRESHOLDS = {"alpha": 0.70, "rho_c": 0.70, "ave": 0.50, "htmt": 0.90}


def construct_label(spec, name: str) -> str:
    """A construct's plain label from the spec (``"Satisfaction (SAT)"``), or its name."""
    label = getattr(spec.construct(name), "label", None)
    return f"{label} ({name})" if label and label != name else name


def _verdict(row: pd.Series) -> str:
    t = RELIABILITY_THRESHOLDS
    problems = []
    if not (row["alpha"] >= t["alpha"] or row["rho_c"] >= t["rho_c"]):
        problems.append("items disagree")
    if not row["ave"] >= t["ave"]:
        problems.append("items share too little")
    if np.isfinite(row["max_htmt"]) and row["max_htmt"] >= t["htmt"]:
        problems.append(f"hard to tell from {row['max_htmt_with']}")
    return "measures well" if not problems else "; ".join(problems)


def measurement_table(measurement) -> pd.DataFrame:
    """One row per construct: items, reliability, validity and a plain verdict.

    Parameters
    ----------
    measurement : satprofit.survey.MeasurementResult

    Returns
    -------
    DataFrame
        ``Construct``, ``Items``, ``Cronbach's alpha``, ``Composite reliability``, ``AVE``,
        ``Highest HTMT`` (with which construct), ``Verdict``.
    """
    s = measurement.summary()
    spec = measurement.spec
    return pd.DataFrame(
        {
            "Construct": [construct_label(spec, c) for c in s.index],
            "Items": s["n_items"].astype(int).to_numpy(),
            "Cronbach's alpha": s["alpha"].to_numpy(float),
            "Composite reliability": s["rho_c"].to_numpy(float),
            "AVE": s["ave"].to_numpy(float),
            "Highest HTMT": [
                f"{v:.2f} ({w})" if np.isfinite(v) else "–"
                for v, w in zip(s["max_htmt"], s["max_htmt_with"], strict=True)
            ],
            "Verdict": [_verdict(row) for _, row in s.iterrows()],
        }
    )


def measurement_blocks(measurement) -> list:
    """The measurement table with its thresholds and the warnings, in words."""
    t = RELIABILITY_THRESHOLDS
    fmt = "{:.2f}".format
    out = [
        B.paragraph(
            "Each construct is measured by several questions (items). Reliable items agree with "
            f"each other (Cronbach's alpha and composite reliability of at least {t['alpha']:.2f}),"
            f" share most of their variation with the construct (average variance extracted, AVE,"
            f" of at least {t['ave']:.2f}) and are told apart from other constructs (HTMT below "
            f"{t['htmt']:.2f})."
        ),
        B.table(
            measurement_table(measurement),
            caption="How well the survey measures each construct",
            formats={c: fmt for c in ("Cronbach's alpha", "Composite reliability", "AVE")},
        ),
    ]
    if measurement.warnings:
        out.append(B.paragraph("What to look at before reading the paths:"))
        out.append(B.bullets(measurement.warnings))
    if measurement.notes:
        out.append(B.bullets(measurement.notes))
    return out


def path_table(result) -> pd.DataFrame:
    """One row per path of the model: standardized coefficient, interval, and whether the
    interval excludes zero.

    Parameters
    ----------
    result : satprofit.survey.PLSResult
        Or any result whose ``summary()`` has ``from``, ``to``, ``estimate``, ``ci_low``,
        ``ci_high`` (the Bayesian path model's does).
    """
    s = result.summary().reset_index(drop=True)
    spec = result.spec
    low, high = s["ci_low"].to_numpy(float), s["ci_high"].to_numpy(float)
    clear = np.where(
        ~np.isfinite(low),
        "no interval",
        np.where((low > 0) | (high < 0), "clearly non-zero", "could be zero"),
    )
    return pd.DataFrame(
        {
            "From": [construct_label(spec, c) for c in s["from"]],
            "To": [construct_label(spec, c) for c in s["to"]],
            "Coefficient": s["estimate"].to_numpy(float),
            f"{INTERVAL_LABEL} interval": [_span(lo, hi) for lo, hi in zip(low, high, strict=True)],
            "Reading": clear,
        }
    )


def effects_table(result, outcome: str) -> pd.DataFrame:
    """Direct, indirect and total effect of every construct on ``outcome``, largest total
    first."""
    e = result.effects
    e = e[e["to"] == outcome].sort_values("total", ascending=False, key=abs)
    spec = result.spec
    return pd.DataFrame(
        {
            "Construct": [construct_label(spec, c) for c in e["from"]],
            "Direct": e["direct"].to_numpy(float),
            "Through other constructs": e["indirect"].to_numpy(float),
            "Total": e["total"].to_numpy(float),
            f"Total, {INTERVAL_LABEL} interval": [
                _span(lo, hi) for lo, hi in zip(e["ci_low"], e["ci_high"], strict=True)
            ],
        }
    )


def _span(low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    return f"{low:.2f} to {high:.2f}"


def plot_paths(result):
    """Forest plot of the path coefficients with their intervals (None without paths)."""
    import matplotlib.pyplot as plt

    s = result.summary().reset_index(drop=True)
    if s.empty:
        return None
    labels = [f"{a} → {b}" for a, b in zip(s["from"], s["to"], strict=True)]
    y = np.arange(len(s))[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(s) + 1.2))
    est = s["estimate"].to_numpy(float)
    low, high = s["ci_low"].to_numpy(float), s["ci_high"].to_numpy(float)
    has = np.isfinite(low) & np.isfinite(high)
    ax.errorbar(
        est[has],
        y[has],
        xerr=[est[has] - low[has], high[has] - est[has]],
        fmt="o",
        color="#1f4e79",
        ecolor="#7f9fbf",
        capsize=3,
    )
    ax.plot(est[~has], y[~has], "o", color="#1f4e79")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [B.plot_text(t) for t in labels])
    ax.set_xlabel(f"standardized path coefficient ({INTERVAL_LABEL} interval)")
    fig.tight_layout()
    return fig


def path_blocks(result, *, outcome: str | None = None, method: str = "PLS path model") -> list:
    """The path model in words, a table and a figure.

    Parameters
    ----------
    result : satprofit.survey.PLSResult
    outcome : str, optional
        The construct whose drivers are summarized (default: the last endogenous construct of
        the spec, e.g. loyalty).
    method : str
        How the paths were estimated, for the caption.
    """
    spec = result.spec
    outcome = outcome or spec.endogenous[-1]
    r2 = result.r_squared
    out: list = []
    eff = effects_table(result, outcome)
    if not eff.empty:
        top = eff.iloc[0]
        out.append(
            B.paragraph(
                f"The {method} explains {r2.get(outcome, np.nan):.0%} of the variation in "
                f"{construct_label(spec, outcome)} across respondents. The construct with the "
                f"largest total effect on it is {top['Construct']} ({top['Total']:+.2f} standard "
                "deviations per standard deviation, directly and through the other constructs). "
                "These are associations between answers of the same respondents: they show what "
                "moves together, not what would change if the firm acted on one construct."
            )
        )
    out.append(
        B.table(
            path_table(result),
            caption=f"Paths between constructs ({method}, standardized)",
            formats={"Coefficient": "{:+.2f}".format},
        )
    )
    fig = plot_paths(result)
    if fig is not None:
        out.append(
            B.figure(
                fig,
                alt=f"Path coefficients of the {method} with {INTERVAL_LABEL} intervals; a dashed "
                "line marks zero.",
            )
        )
    r2_table = pd.DataFrame(
        {
            "Construct": [construct_label(spec, c) for c in r2.index],
            "Share of variation explained (R-squared)": r2.to_numpy(float),
        }
    )
    out.append(
        B.table(r2_table, formats={"Share of variation explained (R-squared)": "{:.0%}".format})
    )
    if not eff.empty:
        out.append(
            B.table(
                eff,
                caption=f"Effects on {construct_label(spec, outcome)}: direct, through other "
                "constructs, and total",
                formats={
                    c: "{:+.2f}".format for c in ("Direct", "Through other constructs", "Total")
                },
            )
        )
    return out


def key_driver_table(kd) -> pd.DataFrame:
    """One row per driver of a key-driver analysis, most important first: shares of R-squared
    by relative weights (with interval) and Shapley, the chance of ranking first, performance,
    quadrant, and whether a measured causal effect stands behind it.

    Parameters
    ----------
    kd : satprofit.survey.drivers.KeyDrivers
    """
    t = kd.table.sort_values("rw_rank")
    return pd.DataFrame(
        {
            "Driver": [str(lab or name) for name, lab in zip(t.index, t["label"], strict=True)],
            "Share of R-squared (relative weights)": [
                f"{100 * v:.0f}% ({100 * lo:.0f}% to {100 * hi:.0f}%)"
                for v, lo, hi in zip(
                    t["rw_share"], t["rw_share_low"], t["rw_share_high"], strict=True
                )
            ],
            "Share (Shapley)": 100 * t["shapley_share"].to_numpy(float),
            "Chance of ranking first": t["rw_p_first"].to_numpy(float),
            "Performance (0-100)": t["performance"].to_numpy(float),
            "Quadrant": t["quadrant"].to_numpy(),
            "What we know": np.where(
                t["causal"],
                "Measured effect (" + t["question"].fillna("").astype(str) + ")",
                "Moves together with it; not shown to cause it",
            ),
        }
    )


def key_driver_blocks(kd, outcome_label: str | None = None) -> list:
    """A key-driver analysis in words, a table and the importance-vs-performance chart."""
    label = outcome_label or kd.outcome
    first = kd.table.sort_values("rw_rank").iloc[0]
    lo, hi = kd.r_squared_interval
    resampled = "whole clients" if kd.n_clusters else "respondents"
    out = [
        B.paragraph(
            f"Together the drivers account for {kd.r_squared:.0%} of the variation in {label} "
            f"({INTERVAL_LABEL} interval {lo:.0%} to {hi:.0%}, {kd.n_boot:,} bootstrap resamples "
            f"of {resampled}). The split of that share between correlated drivers is what "
            "relative weights and the Shapley value estimate; the largest share goes to "
            f"{first['label'] or first.name}, first in {first['rw_p_first']:.0%} of the "
            "resamples. A large share means the driver moves together with the outcome, not "
            "that improving it would move the outcome: only drivers marked 'Measured effect' "
            "have a causal estimate behind them."
        ),
        B.table(
            key_driver_table(kd),
            caption=f"Key drivers of {label}",
            formats={
                "Share (Shapley)": "{:.0f}%".format,
                "Chance of ranking first": "{:.0%}".format,
                "Performance (0-100)": "{:.0f}".format,
            },
        ),
    ]
    fig = kd.plot()
    out.append(
        B.figure(
            fig,
            alt=f"Importance (share of R-squared) against performance (0-100) of the drivers of "
            f"{label}, with {INTERVAL_LABEL} intervals; dashed lines at the means split the "
            "quadrants.",
        )
    )
    if kd.notes:
        out.append(B.bullets(kd.notes))
    return out
