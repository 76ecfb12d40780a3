"""NPS comparisons (``NPS_b - NPS_a`` with its interval and P(rose)) between periods or
groups, and one client's pooled trend. The overview is :mod:`satprofit.survey.nps`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED
from satprofit.survey.nps_core import resolve_prior
from satprofit.survey.nps_data import NoNPSAnswers, NPSData, period_labels, previous_period
from satprofit.survey.nps_groups import (
    DEFAULT_DRAWS,
    _as_data,
    _ess_note,
    _keys,
    _pooled,
    _settings,
    nps_summary,
)
from satprofit.survey.nps_results import NPSComparison, NPSResult, NPSTrend, _interval

__all__ = [
    "client_trend",
    "compare_groups",
    "compare_last_periods",
    "compare_periods",
]


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


class TrendFit(NamedTuple):
    """The hierarchical fit behind :func:`client_trend`, for every client at once (it does
    not depend on the client: one fit serves every client's trend under the same seed)."""

    table: pd.DataFrame
    draws: np.ndarray
    segments: pd.DataFrame
    kappa: object
    period: np.ndarray


def trend_fit(
    data,
    *,
    freq: str = "half-year",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> TrendFit:
    """Every client-period of ``data`` as a unit of the hierarchical model, each period a
    segment (see :func:`client_trend`, which takes it as ``fit``)."""
    data = _as_data(data, role_weights)
    period = period_labels(data.frame["date"], freq).to_numpy()
    frame = data.frame.assign(period=period)
    sub = NPSData(frame, data.clients, data.segment_column, data.role_weights, data.n_ignored)
    units = frame[["client_id", "period"]].drop_duplicates().sort_values(["client_id", "period"])
    table, d, segments, kappa = _pooled(
        sub, units, ["client_id", "period"], "period", draws, np.random.default_rng(seed)
    )
    return TrendFit(table, d, segments, kappa, period)


def client_trend(
    data,
    client_id: str,
    *,
    freq: str = "half-year",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    fit: TrendFit | None = None,
) -> NPSTrend:
    """``client_id``'s NPS per period, pooled with every client's answers of the same period.

    Every client-period is a unit of the hierarchical model and each period a segment, so a
    client's half-year with two answers is shrunk toward the portfolio's NPS that half-year
    (the size-band segments are too thin per period). The change is the last calendar period
    with answers in the portfolio against the one before, for this client. ``fit``: a
    :func:`trend_fit` of the same data, freq, weights, draws and seed, computed once for many
    clients (the result is the same).

    The shrinkage is toward the portfolio, not toward the client's own level, so a client's
    change is pulled toward the portfolio's: intervals of the change are wide and P(rose)
    conservative (coverage 0.989 of the 95 % interval in
    :mod:`satprofit.validation.nps_coverage`, against 0.93-0.96 for the levels).
    """
    if fit is None:
        fit = trend_fit(data, freq=freq, role_weights=role_weights, draws=draws, seed=seed)
    table, d, segments, kappa, period = fit
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
