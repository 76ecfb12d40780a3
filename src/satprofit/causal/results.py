"""The result object every causal estimator returns, and its sensitivity measures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from satprofit.constants import INTERVAL_PROB
from satprofit.questions import find_estimand

#: What a :class:`CausalEstimate` can be: an answer, an honest refusal, or a recorded failure.
STATUSES = ("ok", "not_estimable", "failed")


def e_value(
    estimate: float, ci_low: float, ci_high: float, sd_outcome: float
) -> tuple[float, float]:
    """E-values of an effect on a continuous outcome (VanderWeele & Ding 2017).

    The effect is first put on the standardized-mean-difference scale ``d = estimate / sd`` and
    converted to an approximate risk ratio ``RR = exp(0.91 d)`` (VanderWeele 2017, "On a
    square-root transformation of the odds ratio..."; the SMD approximation of the E-value
    paper's Table 2). The E-value is ``RR + sqrt(RR (RR - 1))`` for ``RR >= 1`` (invert first
    otherwise): how strongly an unmeasured confounder would have to be associated with both
    treatment and outcome, on the risk-ratio scale, to explain the effect away. The second
    value is the E-value of the interval limit closest to no effect (1 when the interval
    contains 0). Computed on the log scale, so an astronomically large effect gives a large
    or infinite E-value (``inf`` beyond ~1e308), never an overflow.
    """

    def ev(x: float) -> float:
        if not np.isfinite(x) or not sd_outcome > 0:
            return float("nan")
        return _e_value_of_log_rr(0.91 * abs(x) / sd_outcome)

    point = ev(estimate)
    if ci_low <= 0 <= ci_high:
        return point, 1.0
    return point, ev(ci_low if estimate > 0 else ci_high)


def _e_value_of_log_rr(log_rr: float) -> float:
    """``RR + sqrt(RR (RR - 1))`` for ``RR = exp(log_rr) >= 1``, as
    ``exp(log_rr + log(1 + sqrt(1 - exp(-log_rr))))``: no overflow for huge ``log_rr``."""
    log_ev = log_rr + math.log1p(math.sqrt(-math.expm1(-log_rr)))
    return math.exp(log_ev) if log_ev < _LOG_MAX_FLOAT else float("inf")


#: Largest argument of ``math.exp`` that stays finite.
_LOG_MAX_FLOAT = math.log(np.finfo(float).max)


def robustness_value(t_stat: float, dof: float, q: float = 1.0, alpha: float | None = None):
    """Robustness value of Cinelli & Hazlett (2020, JRSS-B), eq. (17)-(18).

    The minimum share of residual variance of both treatment and outcome that an unobserved
    confounder would have to explain to reduce the estimate by ``100 q`` % (``alpha=None``) or
    to make it no longer significant at level ``alpha``. Computed from the estimate's t
    statistic and residual degrees of freedom; for estimators that are not a single OLS
    coefficient the t statistic is estimate / standard error (an approximation, as in
    Cinelli & Hazlett's discussion of general estimators).
    """
    if not np.isfinite(t_stat) or not np.isfinite(dof) or dof <= 1:
        return float("nan")
    f = q * abs(t_stat) / math.sqrt(dof)
    if alpha is not None:
        f -= abs(stats.t.ppf(alpha / 2, dof - 1)) / math.sqrt(dof - 1)
    if f <= 0:
        return 0.0
    # 0.5 (sqrt(f^4 + 4 f^2) - f^2) rewritten as 2 / (1 + sqrt(1 + 4 / f^2)): equal in exact
    # arithmetic, and neither overflows for a huge t statistic nor cancels for a small one
    return 2.0 / (1.0 + math.sqrt(1.0 + 4.0 / f / f))


#: The keys of a :meth:`CausalEstimate.to_dict` record that are not sensitivity figures.
_RECORD_KEYS = frozenset(
    {
        "question",
        "estimate",
        "ci_low",
        "ci_high",
        "unit",
        "method",
        "n",
        "se",
        "adjustment_set",
        "identified",
        "adjustment",
        "status",
        "reason",
        "n_clusters",
        "interval_prob",
        "note",
        "diagnostics",
    }
)


@dataclass(frozen=True)
class CausalEstimate:
    """One estimate of one estimand, with everything a reader needs to judge it.

    Attributes
    ----------
    estimand : str
        ``question`` or ``question.part`` id.
    estimate, se, ci_low, ci_high : float
        In the estimand's unit (see ``unit``); the interval has probability ``interval_prob``.
    unit : str
        As stated in QUESTIONS.md.
    method : str
        Estimator id (``regression``, ``aipw``, ``mediation``, ``did``, ``naive``, ...).
    adjustment_set : tuple of str
        Covariates adjusted for (``client FE`` / ``period FE`` when fixed effects are used).
    n : int
        Units of analysis used.
    n_clusters : int
        Independent clusters behind the standard error.
    diagnostics : dict
        Method-specific checks (overlap, pre-trends, identification notes, ...).
    sensitivity : dict
        ``e_value``, ``e_value_ci``, ``robustness_value``, ``robustness_value_alpha``.
    refutations : DataFrame or None
        Placebo, random common cause and subset checks when run.
    identified : bool
        Whether the graph identifies the estimand with the adjustment used.
    note : str
        Plain-language remarks (identification, fixed effects, assumptions).
    status : str
        ``"ok"`` (an answer), ``"not_estimable"`` (the data cannot identify or support it:
        figures are NaN, ``reason`` says why) or ``"failed"`` (the estimator raised: figures
        are NaN, ``reason`` holds the error). See :data:`STATUSES`.
    reason : str
        Why there is no answer (empty when ``status == "ok"``).
    """

    estimand: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    unit: str
    method: str
    adjustment_set: tuple[str, ...]
    n: int
    n_clusters: int
    interval_prob: float = INTERVAL_PROB
    diagnostics: dict = field(default_factory=dict, repr=False, compare=False)
    sensitivity: dict = field(default_factory=dict)
    refutations: pd.DataFrame | None = field(default=None, repr=False)
    identified: bool = True
    note: str = ""
    status: str = "ok"
    reason: str = ""

    @property
    def question(self) -> str:
        return self.estimand.split(".")[0]

    @property
    def ok(self) -> bool:
        """Whether this is an answer (``status == "ok"``), not a refusal or a failure."""
        return self.status == "ok"

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return bool(self.ci_low <= value <= self.ci_high)

    def with_refutations(self, table: pd.DataFrame) -> CausalEstimate:
        return replace(self, refutations=table)

    def to_dict(self, *, full: bool = False) -> dict:
        """JSON-ready record with the CLI's keys; ``full`` adds what :meth:`from_dict` needs
        to rebuild the object (``n_clusters``, ``interval_prob``, ``note``, ``diagnostics``),
        as run folders save it. Refutation tables are not kept."""
        rec = {
            "question": self.estimand,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "unit": self.unit,
            "method": self.method,
            "n": self.n,
            "se": self.se,
            "adjustment_set": list(self.adjustment_set),
            "identified": self.identified,
            "adjustment": list(self.adjustment_set),
            "status": self.status,
            "reason": self.reason,
            **{k: v for k, v in self.sensitivity.items()},
        }
        if full:
            rec["n_clusters"] = self.n_clusters
            rec["interval_prob"] = self.interval_prob
            rec["note"] = self.note
            rec["diagnostics"] = dict(self.diagnostics)
        return rec

    @classmethod
    def from_dict(cls, rec: dict) -> CausalEstimate:
        """The estimate a :meth:`to_dict` record (as saved in a run's ``causal.json``, NaN
        written as null) describes. Keys other than the record's are its sensitivity
        figures; ``n_clusters`` is 0 and ``interval_prob`` :data:`INTERVAL_PROB` in records
        saved without them."""

        def given(key):
            v = rec.get(key)
            return None if isinstance(v, float) and math.isnan(v) else v

        def num(key) -> float:
            v = given(key)
            return float("nan") if v is None else float(v)

        adjustment = given("adjustment_set") or given("adjustment") or ()
        return cls(
            estimand=rec["question"],
            estimate=num("estimate"),
            se=num("se"),
            ci_low=num("ci_low"),
            ci_high=num("ci_high"),
            unit=given("unit") or "",
            method=given("method") or "",
            adjustment_set=tuple(adjustment),
            n=int(given("n") or 0),
            n_clusters=int(given("n_clusters") or 0),
            interval_prob=float(given("interval_prob") or INTERVAL_PROB),
            diagnostics=dict(given("diagnostics") or {}),
            sensitivity={k: num(k) for k in rec if k not in _RECORD_KEYS},
            identified=bool(True if given("identified") is None else given("identified")),
            note=given("note") or "",
            status=given("status") or "ok",
            reason=given("reason") or "",
        )

    def summary(self) -> pd.DataFrame:
        """One row: estimand, estimate, interval, unit, method, n, adjustment set, status and
        reason, sensitivity."""
        row = {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "se": self.se,
            "unit": self.unit,
            "method": self.method,
            "n": self.n,
            "clusters": self.n_clusters,
            "adjustment_set": ", ".join(self.adjustment_set),
            "status": self.status,
            "reason": self.reason,
            **self.sensitivity,
        }
        return pd.DataFrame([row], index=pd.Index([self.estimand], name="estimand"))

    def effect_summary(self) -> str:
        """One plain-language sentence for a business reader."""
        pct = round(100 * self.interval_prob)
        sure = (
            ""
            if not (self.ci_low <= 0 <= self.ci_high)
            else (" The data are also consistent with no effect at all.")
        )
        return (
            f"Estimated effect: {self.estimate:,.3g} {self.unit} "
            f"({pct}% interval {self.ci_low:,.3g} to {self.ci_high:,.3g}; "
            f"{self.method}, {self.n} units).{sure}"
        )

    def plot(self, *, truth: float | None = None, ax=None):
        """Point estimate and interval (and the truth, when known). Returns the figure; for a
        refused or failed estimate, a figure that says why (see :func:`refusal_figure`)."""
        import matplotlib.pyplot as plt

        if not self.ok:
            return refusal_figure(self, ax=ax, figsize=(6, 1.8))
        fig = ax.figure if ax is not None else plt.figure(figsize=(6, 1.8))
        ax = ax or fig.add_subplot()
        ax.errorbar(
            [self.estimate],
            [0],
            xerr=[[self.estimate - self.ci_low], [self.ci_high - self.estimate]],
            fmt="o",
            capsize=4,
            label=f"{self.method} ({round(100 * self.interval_prob)}%)",
        )
        ax.axvline(0, color="grey", lw=0.8)
        if truth is not None:
            ax.axvline(truth, color="tab:red", ls="--", label="truth")
        ax.set_yticks([])
        ax.set_xlabel(self.unit)
        ax.set_title(self.estimand)
        ax.legend(fontsize=8, loc="best")
        return fig


def refusal_figure(result: CausalEstimate, *, ax=None, figsize=(6, 3.5)):
    """A figure stating that ``result`` has no answer and why (``not estimable: <reason>`` or
    ``failed: <reason>``), so that plotting every estimate in a loop never raises on a refusal.
    Returns the figure."""
    import textwrap

    import matplotlib.pyplot as plt

    fig = ax.figure if ax is not None else plt.figure(figsize=figsize)
    ax = ax or fig.add_subplot()
    what = "not estimable" if result.status == "not_estimable" else result.status
    text = textwrap.fill(f"{what}: {result.reason or 'no reason recorded'}", width=70)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9)
    ax.set_axis_off()
    ax.set_title(result.estimand)
    return fig


def require_diagnostic(result: CausalEstimate, key: str, plot: str, needs: str) -> None:
    """Raise a ValueError naming what ``plot`` needs when an answered ``result`` lacks the
    diagnostic ``key`` (an estimate of another method, or one saved without diagnostics)."""
    if key not in result.diagnostics:
        raise ValueError(
            f"{plot} needs {needs}; the estimate of {result.estimand} by method "
            f"'{result.method}' has no '{key}' diagnostic"
        )


def finish(
    estimand: str,
    unit: str,
    method: str,
    estimate: float,
    se: float,
    *,
    n: int,
    n_clusters: int,
    adjustment: tuple[str, ...],
    sd_outcome: float,
    dof: float | None = None,
    diagnostics: dict | None = None,
    identified: bool = True,
    note: str = "",
    interval: tuple[float, float] | None = None,
) -> CausalEstimate:
    """Build a :class:`CausalEstimate`: interval (t with clusters - 1 df unless given),
    E-value and robustness value."""
    dof_ci = max(n_clusters - 1, 1)
    if interval is None:
        crit = stats.t.ppf(0.5 + INTERVAL_PROB / 2, dof_ci)
        interval = (estimate - crit * se, estimate + crit * se)
    lo, hi = interval
    ev, ev_ci = e_value(estimate, lo, hi, sd_outcome)
    t_stat = estimate / se if se > 0 else float("nan")
    dof = dof if dof is not None else max(n - len(adjustment) - 2, 2)
    sens = {
        "e_value": ev,
        "e_value_ci": ev_ci,
        "robustness_value": robustness_value(t_stat, dof),
        "robustness_value_alpha": robustness_value(t_stat, dof, alpha=1 - INTERVAL_PROB),
    }
    return CausalEstimate(
        estimand,
        float(estimate),
        float(se),
        float(lo),
        float(hi),
        unit,
        method,
        tuple(adjustment),
        int(n),
        int(n_clusters),
        diagnostics={**(diagnostics or {}), "sd_outcome": float(sd_outcome)},
        sensitivity=sens,
        identified=identified,
        note=note,
    )


def no_answer(
    estimand: str,
    method: str,
    reason: str,
    *,
    status: str = "not_estimable",
    adjustment: tuple[str, ...] = (),
    n: int = 0,
) -> CausalEstimate:
    """A result without numbers: ``status`` ``"not_estimable"`` (the data cannot answer) or
    ``"failed"`` (the estimator raised). The figures are NaN; ``reason`` and ``note`` say why,
    so tables, ``--json``, runs and reports show the refusal instead of a number."""
    if status not in STATUSES[1:]:
        raise ValueError(f"status must be one of {STATUSES[1:]}, not {status!r}")
    nan = float("nan")
    prefix = "not estimable" if status == "not_estimable" else "failed"
    return CausalEstimate(
        estimand,
        nan,
        nan,
        nan,
        nan,
        spec.unit if (spec := find_estimand(estimand)) else "",
        method,
        tuple(adjustment),
        int(n),
        0,
        identified=False,
        note=f"{prefix}: {reason}",
        status=status,
        reason=str(reason),
    )
