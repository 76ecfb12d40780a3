"""Result objects of :mod:`satprofit.survey.nps`: per-group estimates, comparisons, one
client's trend; each with ``.summary()`` (a DataFrame), ``.to_dict()`` (JSON-safe: NaN as
None) and ``.plot()`` (:mod:`satprofit.survey.nps_plots`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.constants import INTERVAL_QUANTILES

__all__ = ["NPSComparison", "NPSResult", "NPSTrend"]


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
