"""Net Promoter Score with honest intervals: per group, per client with partial pooling,
weighted by respondent role, and compared between periods or groups.

NPS is the share of promoters (9-10) minus the share of detractors (0-6), in points from -100
to 100. The maths (Dirichlet posteriors, Kish weights, the hierarchical Dirichlet-multinomial
and how it is fitted) is in :mod:`satprofit.survey.nps_core`; the data checks in
:mod:`satprofit.survey.nps_data`.

* :func:`nps_summary`: one Dirichlet posterior per group (the portfolio, a segment, a period):
  ``Dirichlet(prior + counts)``, prior Dirichlet(1, 1, 1) (``prior="uniform"``, the default) or
  Jeffreys' Dirichlet(1/2, 1/2, 1/2) (``prior="jeffreys"``) or any three positive numbers.
* :func:`pooled_nps`: per client, shrunk toward the client's segment (``clients.size_band`` by
  default) by the hierarchical Dirichlet-multinomial; reports ``n``, the raw NPS, the pooled NPS
  with its interval and the shrinkage weight ``kappa / (kappa + n)`` (0: the client's own
  answers, 1: its segment's).
* :func:`compare_periods`, :func:`compare_groups`, :func:`compare_last_periods`: posterior of
  ``NPS_b - NPS_a`` with its interval and ``P(NPS rose)``.
* :func:`client_trend`: one client's NPS per period (half-year by default), each client-period
  shrunk toward the portfolio's NPS of the same period, and ``P(rose)`` last vs previous period.

Every function takes ``seed`` (same seed, same numbers) and gives intervals at
:data:`satprofit.constants.INTERVAL_PROB`; results have ``.summary()`` (a DataFrame),
``.to_dict()`` (JSON-safe) and ``.plot()`` (:mod:`satprofit.survey.nps_plots`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB, INTERVAL_QUANTILES
from satprofit.survey.nps_core import (
    dirichlet_draws,
    effective_counts,
    fit_hierarchical,
    kish_n,
    nps_of,
    posterior_mean_nps,
    resolve_prior,
)
from satprofit.survey.nps_data import (
    NoNPSAnswers,
    NPSData,
    nps_data,
    period_labels,
    previous_period,
)

__all__ = [
    "DEFAULT_DRAWS",
    "NPSComparison",
    "NPSResult",
    "client_trend",
    "compare_groups",
    "compare_last_periods",
    "compare_periods",
    "nps_summary",
    "pooled_nps",
]

#: Posterior draws per group (Monte Carlo error of a 95 % interval end: about 1 point).
DEFAULT_DRAWS = 4000
_COUNT_COLS = ["n", "n_eff", "detractors", "passives", "promoters", "raw_nps"]


def _json(value):
    """NaN -> None, numpy scalars -> Python, recursively."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.quantile(draws, INTERVAL_QUANTILES, axis=-1)
    return lo, hi


def _counts(frame: pd.DataFrame, weighted: bool) -> dict:
    """Raw counts, Kish n, weighted raw NPS and the effective counts of a group's rows."""
    codes, w = frame["category"].to_numpy(), frame["weight"].to_numpy(float)
    raw = np.bincount(codes, minlength=3)
    eff = effective_counts(codes, w if weighted else None)
    shares = np.bincount(codes, weights=w, minlength=3)
    return {
        "n": int(len(frame)),
        "n_eff": kish_n(w) if weighted else float(len(frame)),
        "detractors": int(raw[0]),
        "passives": int(raw[1]),
        "promoters": int(raw[2]),
        "raw_nps": float(nps_of(shares)) if len(frame) else float("nan"),
        "_eff": eff,
    }


@dataclass
class NPSResult:
    """NPS per group with intervals.

    Attributes
    ----------
    table : DataFrame
        One row per group: the key column(s), ``n`` (answers), ``n_eff`` (Kish), the raw
        ``detractors`` / ``passives`` / ``promoters``, ``raw_nps`` (weighted when weights were
        given), ``estimate`` (posterior mean), ``ci_low``, ``ci_high``; pooled results add
        ``segment`` and ``shrinkage`` (weight on the segment, ``kappa / (kappa + n_eff)``).
    draws : ndarray
        [group, draw] NPS draws, rows as in ``table``.
    method : str
        ``"dirichlet"`` (one posterior per group) or ``"pooled"`` (hierarchical).
    keys : list of str
        The key column(s) of ``table``.
    settings : dict
        Prior, role weights, segment column, draws, seed, interval probability.
    segments : DataFrame or None
        Pooled only: per segment, clients, answers and the typical client's NPS (the segment
        mean) with its interval.
    kappa : dict or None
        Pooled only: posterior median and interval of the concentration, and the importance
        sampling's effective sample size.
    notes : list of str
    """

    table: pd.DataFrame
    draws: np.ndarray
    method: str
    keys: list[str]
    settings: dict
    segments: pd.DataFrame | None = None
    kappa: dict | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def row(self, **keys) -> pd.Series:
        """The table row of one group, e.g. ``row(client_id="C00001")``."""
        return self.table.iloc[self._index(keys)]

    def draws_of(self, **keys) -> np.ndarray:
        """NPS draws of one group."""
        return self.draws[self._index(keys)]

    def _index(self, keys: dict) -> int:
        mask = np.ones(len(self.table), bool)
        for k, v in keys.items():
            mask &= (self.table[k] == v).to_numpy()
        hits = np.flatnonzero(mask)
        if len(hits) != 1:
            raise KeyError(f"no single group {keys} in this NPS result")
        return int(hits[0])

    def to_dict(self) -> dict:
        """JSON-safe: ``method``, ``settings``, ``groups`` (the table's records), ``segments``,
        ``kappa``, ``notes``."""
        return _json(
            {
                "method": self.method,
                "settings": self.settings,
                "groups": self.table.to_dict(orient="records"),
                "segments": None if self.segments is None else self.segments.to_dict("records"),
                "kappa": self.kappa,
                "notes": self.notes,
            }
        )

    def plot(self, ax=None, **kw):
        """Forest plot of the groups (:func:`satprofit.survey.nps_plots.plot_nps`)."""
        from satprofit.survey.nps_plots import plot_nps

        return plot_nps(self, ax=ax, **kw)


@dataclass
class NPSComparison:
    """``NPS_b - NPS_a`` per group with intervals and the probability that NPS rose.

    Attributes
    ----------
    table : DataFrame
        Per group (key columns, none for one comparison): ``a``, ``b`` (what is compared),
        ``n_a``, ``n_b``, ``nps_a``, ``ci_low_a``, ``ci_high_a``, ``nps_b``, ``ci_low_b``,
        ``ci_high_b`` (posterior means and intervals), ``difference``, ``ci_low``, ``ci_high``
        (of ``NPS_b - NPS_a``), ``p_rose`` (posterior probability that ``NPS_b > NPS_a``).
    draws : ndarray
        [group, draw] draws of the difference.
    settings : dict
    notes : list of str
    """

    table: pd.DataFrame
    draws: np.ndarray
    keys: list[str]
    settings: dict
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        """JSON-safe: ``settings``, ``comparisons`` (the table's records), ``notes``."""
        return _json(
            {
                "settings": self.settings,
                "comparisons": self.table.to_dict(orient="records"),
                "notes": self.notes,
            }
        )

    def plot(self, ax=None):
        """Differences with intervals (:func:`satprofit.survey.nps_plots.plot_comparison`)."""
        from satprofit.survey.nps_plots import plot_comparison

        return plot_comparison(self, ax=ax)


def _settings(data: NPSData, **kw) -> dict:
    return {
        "interval_prob": INTERVAL_PROB,
        "role_weights": data.role_weights,
        "segment_column": data.segment_column,
        "responses_ignored_without_nps": data.n_ignored,
        **kw,
    }


def _as_data(data, role_weights=None, segment: str = "size_band") -> NPSData:
    if isinstance(data, NPSData):
        if role_weights is not None:
            raise ValueError("give role_weights to nps_data, not with an NPSData")
        return data
    return nps_data(data, role_weights=role_weights, segment=segment)


def _keys(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


# --------------------------------------------------------------------------- one posterior per group


def nps_summary(
    data,
    *,
    by: str | list[str] | None = None,
    prior="uniform",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSResult:
    """NPS of the portfolio, or of each group, each from its own Dirichlet posterior.

    Parameters
    ----------
    data : Portfolio, surveys DataFrame or NPSData
    by : str or list of str, optional
        Column(s) of :attr:`NPSData.frame` to group by (``"segment"``, ``"client_id"``, or a
        ``"period"`` column added by the caller); None is the whole portfolio.
    prior : {"uniform", "jeffreys"} or three floats
        Dirichlet prior of (detractor, passive, promoter) probabilities: Dirichlet(1, 1, 1)
        (default; worth three answers, one per category), Jeffreys' Dirichlet(1/2, 1/2, 1/2).
    role_weights : dict or JSON text, optional
        See :func:`satprofit.survey.nps_data.nps_data`.
    draws : int
    seed : int

    Returns
    -------
    NPSResult
        ``method="dirichlet"``; ``estimate`` is the exact posterior mean
        ``100 (a_3 + y_3 - a_1 - y_1) / (sum a + n_eff)``, the interval the quantiles of the
        draws.
    """
    data = _as_data(data, role_weights)
    a = resolve_prior(prior)
    keys = _keys(by)
    rng = np.random.default_rng(seed)
    groups = [((), data.frame)] if not keys else list(data.frame.groupby(keys, sort=True))
    rows, out = [], []
    for key, frame in groups:
        c = _counts(frame, data.weighted)
        alpha = a + c.pop("_eff")
        d = nps_of(dirichlet_draws(alpha, draws, rng))
        lo, hi = _interval(d)
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(keys, key, strict=True))
            | c
            | {"estimate": float(posterior_mean_nps(alpha)), "ci_low": lo, "ci_high": hi}
        )
        out.append(d)
    table = pd.DataFrame(rows, columns=[*keys, *_COUNT_COLS, "estimate", "ci_low", "ci_high"])
    prior_txt = prior if isinstance(prior, str) else [float(v) for v in a]
    settings = _settings(data, by=keys, prior=prior_txt, draws=draws, seed=seed)
    return NPSResult(table, np.array(out), "dirichlet", keys, settings, notes=list(data.notes))


# --------------------------------------------------------------------------- partial pooling


def _pooled(
    data: NPSData,
    units: pd.DataFrame,
    unit_keys: list[str],
    seg_key: str,
    draws: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, dict]:
    """Fit the hierarchical model on ``units`` (one row per unit: its keys and ``seg_key``)."""
    grouped = {
        (k if isinstance(k, tuple) else (k,)): f
        for k, f in data.frame.groupby(unit_keys, sort=False)
    }
    seg_codes, seg_names = pd.factorize(units[seg_key], sort=True)
    rows, eff = [], []
    for key in units[unit_keys].itertuples(index=False, name=None):
        frame = grouped.get(tuple(key), data.frame.iloc[:0])
        c = _counts(frame, data.weighted)
        eff.append(c.pop("_eff"))
        rows.append(c)
    y = np.array(eff).reshape(-1, 3)
    fit = fit_hierarchical(y, seg_codes, len(seg_names), draws=draws, rng=rng)
    d = nps_of(fit.p).T  # [unit, draw]
    lo, hi = _interval(d)
    n_eff = np.array([r["n_eff"] for r in rows])
    shrink = (fit.kappa[None, :] / (fit.kappa[None, :] + n_eff[:, None])).mean(axis=1)
    table = pd.concat([units.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    table = table.assign(estimate=d.mean(axis=1), ci_low=lo, ci_high=hi, shrinkage=shrink)
    seg_d = nps_of(fit.m).T  # [segment, draw]: the typical client of each segment
    s_lo, s_hi = _interval(seg_d)
    n_by_seg = table.groupby(seg_key)["n"].agg(["size", "sum"]).reindex(seg_names)
    segments = pd.DataFrame(
        {
            "segment": list(seg_names),
            "units": n_by_seg["size"].to_numpy(int),
            "n": n_by_seg["sum"].to_numpy(int),
            "estimate": seg_d.mean(axis=1),
            "ci_low": s_lo,
            "ci_high": s_hi,
        }
    )
    k_lo, k_med, k_hi = np.quantile(fit.kappa, [INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]])
    kappa = {
        "median": k_med,
        "ci_low": k_lo,
        "ci_high": k_hi,
        "importance_ess": fit.is_ess,
        "proposals": fit.n_proposals,
    }
    return table, d, segments, kappa


def _ess_note(kappa: dict) -> list[str]:
    from satprofit.survey.nps_core import MIN_IS_ESS

    if kappa["importance_ess"] >= MIN_IS_ESS:
        return []
    return [
        f"the importance sampling behind the pooled intervals kept an effective "
        f"{kappa['importance_ess']:.0f} of {kappa['proposals']} draws (< {MIN_IS_ESS}): the "
        "intervals are approximate; raise draws"
    ]


def pooled_nps(
    data,
    *,
    segment: str = "size_band",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSResult:
    """NPS per client, each shrunk toward its segment (partial pooling).

    Hierarchical Dirichlet-multinomial (:mod:`satprofit.survey.nps_core`): client
    proportions ``~ Dirichlet(kappa * m_segment)``, segment means ``~ Dirichlet(1, 1, 1)``,
    ``log kappa ~ N(log 10, 1.5)``, everything estimated jointly. A client with 4 answers is
    pulled further toward its segment than one with 40 (``shrinkage`` tells how far).

    Parameters
    ----------
    data : Portfolio, surveys DataFrame or NPSData
    segment : str
        Clients column grouping clients (default ``size_band``); ignored for an NPSData.
    role_weights : dict or JSON text, optional
    draws : int
    seed : int

    Returns
    -------
    NPSResult
        ``method="pooled"``, one row per client of the portfolio (``n = 0`` for clients
        without an answer: their figure is the segment's predictive), with ``segment`` and
        ``shrinkage``; ``segments`` and ``kappa`` filled.
    """
    data = _as_data(data, role_weights, segment)
    rng = np.random.default_rng(seed)
    units = data.clients[["client_id", "segment"]]
    table, d, segments, kappa = _pooled(data, units, ["client_id"], "segment", draws, rng)
    notes = list(data.notes) + _ess_note(kappa)
    no_answer = int((table["n"] == 0).sum())
    if no_answer:
        notes.append(
            f"{no_answer} client(s) gave no nps answer: their pooled figure is only their "
            "segment's prediction (shrinkage 1)"
        )
    settings = _settings(data, by=["client_id"], model="hierarchical", draws=draws, seed=seed)
    return NPSResult(table, d, "pooled", ["client_id"], settings, segments, kappa, notes)


# --------------------------------------------------------------------------- comparisons


def _difference_table(a: NPSResult, b: NPSResult, keys: list[str], labels: tuple) -> tuple:
    """Join two results group by group; the difference is ``b - a``."""
    ta, tb = a.table.reset_index(drop=True), b.table.reset_index(drop=True)
    if keys:
        ia = {k: i for i, k in enumerate(ta[keys].itertuples(index=False, name=None))}
        ib = {k: i for i, k in enumerate(tb[keys].itertuples(index=False, name=None))}
        common = sorted(set(ia) & set(ib))
        pairs = [(ia[k], ib[k], k) for k in common]
    else:
        pairs = [(0, 0, ())]
    rows, out = [], []
    for i, j, key in pairs:
        diff = b.draws[j] - a.draws[i]
        lo, hi = _interval(diff)
        ra, rb = ta.iloc[i], tb.iloc[j]
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "a": labels[0],
                "b": labels[1],
                "n_a": int(ra["n"]),
                "n_b": int(rb["n"]),
                "nps_a": ra["estimate"],
                "ci_low_a": ra["ci_low"],
                "ci_high_a": ra["ci_high"],
                "nps_b": rb["estimate"],
                "ci_low_b": rb["ci_low"],
                "ci_high_b": rb["ci_high"],
                "difference": float(diff.mean()),
                "ci_low": lo,
                "ci_high": hi,
                "p_rose": float(np.mean(diff > 0)),
            }
        )
        out.append(diff)
    return pd.DataFrame(rows), np.array(out).reshape(len(rows), -1)


def _compare(
    data: NPSData,
    label: pd.Series,
    a: str,
    b: str,
    *,
    by: list[str],
    pooled: bool,
    prior,
    draws: int,
    seed: int,
    what: str,
) -> NPSComparison:
    """Compare the rows labelled ``a`` with those labelled ``b`` (per group of ``by``)."""
    notes = list(data.notes)
    for name in (a, b):
        if not (label == name).any():
            raise NoNPSAnswers(f"no nps answer in {what} {name!r}: nothing to compare")
    frame = data.frame.assign(_side=label.to_numpy())
    frame = frame[frame["_side"].isin([a, b])].reset_index(drop=True)
    sub = NPSData(frame, data.clients, data.segment_column, data.role_weights, data.n_ignored)
    ss_a, ss_b = np.random.SeedSequence(seed).spawn(2)
    if pooled:
        if by != ["client_id"]:
            raise ValueError("pooled comparisons are per client: by='client_id'")
        units = frame[["client_id", "_side"]].drop_duplicates().sort_values(["client_id", "_side"])
        rng = np.random.default_rng(ss_a)
        table, d, _, kappa = _pooled(sub, units, ["client_id", "_side"], "_side", draws, rng)
        notes += _ess_note(kappa)
        res = {
            side: NPSResult(
                table[table["_side"] == side].reset_index(drop=True),
                d[(table["_side"] == side).to_numpy()],
                "pooled",
                ["client_id"],
                {},
            )
            for side in (a, b)
        }
        ra, rb = res[a], res[b]
    else:
        ra = nps_summary(sub.subset(frame["_side"] == a), by=by or None, prior=prior,
                         draws=draws, seed=int(ss_a.generate_state(1)[0]))  # fmt: skip
        rb = nps_summary(sub.subset(frame["_side"] == b), by=by or None, prior=prior,
                         draws=draws, seed=int(ss_b.generate_state(1)[0]))  # fmt: skip
    table, d = _difference_table(ra, rb, by, (a, b))
    if by and len(table) < max(len(ra.table), len(rb.table)):
        notes.append(
            f"groups with answers in only one of {a!r} and {b!r} are left out of the comparison"
        )
    settings = _settings(
        data, by=by, compared=what, a=a, b=b, pooled=pooled, draws=draws, seed=seed
    )
    if not pooled:
        settings["prior"] = prior if isinstance(prior, str) else list(resolve_prior(prior))
    return NPSComparison(table, d, by, settings, notes)


def compare_periods(
    data,
    split,
    *,
    by: str | list[str] | None = None,
    pooled: bool = False,
    prior="uniform",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSComparison:
    """NPS before ``split`` (``a``) against on or after it (``b``).

    Parameters
    ----------
    data : Portfolio, surveys DataFrame or NPSData
    split : date-like
    by : str or list of str, optional
        Compare within each group (``"segment"``, ``"client_id"``); None: the portfolio.
    pooled : bool
        Per client (``by="client_id"``) only: each client-period shrunk toward the portfolio's
        NPS of the same period (the hierarchical model with the two periods as segments).
    prior, role_weights, draws, seed
        As in :func:`nps_summary`.
    """
    data = _as_data(data, role_weights)
    split = pd.Timestamp(split)
    side = np.where(data.frame["date"] < split, f"before {split:%Y-%m-%d}", "")
    side = pd.Series(side).replace("", f"from {split:%Y-%m-%d}")
    return _compare(
        data,
        side,
        f"before {split:%Y-%m-%d}",
        f"from {split:%Y-%m-%d}",
        by=_keys(by),
        pooled=pooled,
        prior=prior,
        draws=draws,
        seed=seed,
        what="period",
    )


def compare_groups(
    data,
    column: str,
    a: str,
    b: str,
    *,
    prior="uniform",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSComparison:
    """NPS of the answers whose ``column`` is ``b`` against those where it is ``a`` (e.g.
    ``compare_groups(data, "segment", "small", "enterprise")``)."""
    data = _as_data(data, role_weights)
    if column not in data.frame.columns:
        raise ValueError(f"no column {column!r} to compare groups by ({list(data.frame.columns)})")
    label = data.frame[column].astype(str)
    return _compare(
        data, label, str(a), str(b), by=[], pooled=False, prior=prior, draws=draws, seed=seed,
        what=column,
    )  # fmt: skip


def compare_last_periods(
    data,
    *,
    freq: str = "half-year",
    by: str | list[str] | None = None,
    pooled: bool = False,
    prior="uniform",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSComparison:
    """The last calendar period with answers (``b``) against the one before it (``a``)."""
    data = _as_data(data, role_weights)
    label = period_labels(data.frame["date"], freq).reset_index(drop=True)
    last = max(label)
    return _compare(
        data,
        label,
        previous_period(last, freq),
        last,
        by=_keys(by),
        pooled=pooled,
        prior=prior,
        draws=draws,
        seed=seed,
        what=freq,
    )


# --------------------------------------------------------------------------- one client's trend


@dataclass
class NPSTrend:
    """One client's NPS per period and the change from the previous period to the last.

    Attributes
    ----------
    client_id : str
    freq : str
    periods : DataFrame
        Per period with answers: ``period``, ``n``, ``raw_nps``, ``estimate``, ``ci_low``,
        ``ci_high`` (the client-period shrunk toward the portfolio's NPS that period),
        ``portfolio`` (the portfolio's NPS that period).
    change : dict or None
        ``a``, ``b`` (previous and last period), ``difference``, ``ci_low``, ``ci_high``,
        ``p_rose``; None when the client has no answers in one of them.
    notes : list of str
    """

    client_id: str
    freq: str
    periods: pd.DataFrame
    change: dict | None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        return self.periods.copy()

    def to_dict(self) -> dict:
        return _json(
            {
                "client_id": self.client_id,
                "freq": self.freq,
                "periods": self.periods.to_dict(orient="records"),
                "change": self.change,
                "notes": self.notes,
            }
        )

    def plot(self, ax=None):
        from satprofit.survey.nps_plots import plot_trend

        return plot_trend(self, ax=ax)


def client_trend(
    data,
    client_id: str,
    *,
    freq: str = "half-year",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSTrend:
    """``client_id``'s NPS per period, pooled with every client's answers of the same period.

    Every client-period is a unit of the hierarchical model and each period a segment, so a
    client's half-year with two answers is shrunk toward the portfolio's NPS that half-year
    (the size-band segments are too thin per period). The change is the last calendar period
    with answers in the portfolio against the one before, for this client.

    The shrinkage is toward the portfolio, not toward the client's own level, so a client's
    change is pulled toward the portfolio's: intervals of the change are wide and P(rose)
    conservative (coverage 0.989 of the 95 % interval in
    :mod:`satprofit.validation.nps_coverage`, against 0.93-0.96 for the levels).
    """
    data = _as_data(data, role_weights)
    period = period_labels(data.frame["date"], freq).to_numpy()
    frame = data.frame.assign(period=period)
    sub = NPSData(frame, data.clients, data.segment_column, data.role_weights, data.n_ignored)
    units = frame[["client_id", "period"]].drop_duplicates().sort_values(["client_id", "period"])
    table, d, segments, kappa = _pooled(
        sub, units, ["client_id", "period"], "period", draws, np.random.default_rng(seed)
    )
    portfolio = segments.set_index("segment")["estimate"]
    mine = (table["client_id"] == client_id).to_numpy()
    periods = table[mine][["period", "n", "raw_nps", "estimate", "ci_low", "ci_high"]]
    periods = periods.assign(portfolio=periods["period"].map(portfolio).to_numpy())
    periods = periods.reset_index(drop=True)
    notes = _ess_note(kappa)
    last = max(period)
    prev = previous_period(last, freq)
    change = None
    have = set(periods["period"])
    if last in have and prev in have:
        ia = np.flatnonzero(mine & (table["period"] == prev).to_numpy())[0]
        ib = np.flatnonzero(mine & (table["period"] == last).to_numpy())[0]
        diff = d[ib] - d[ia]
        lo, hi = _interval(diff)
        change = {
            "a": prev,
            "b": last,
            "n_a": int(table["n"].iloc[ia]),
            "n_b": int(table["n"].iloc[ib]),
            "difference": float(diff.mean()),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "p_rose": float(np.mean(diff > 0)),
        }
    else:
        missing = [p for p in (prev, last) if p not in have]
        notes.append(f"no nps answers of this client in {' and '.join(missing)}: no change shown")
    return NPSTrend(client_id, freq, periods, change, notes)
