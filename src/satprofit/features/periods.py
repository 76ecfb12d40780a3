"""Calendar periods and the dense client-by-period arrays every panel feature is built on.

Events are mapped to integer period codes once; counts and sums per (group, period) are then
``numpy.bincount`` on a combined code, and trailing or forward windows are differences of
cumulative sums along the period axis. That keeps the panel linear in the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.features.keys import positions
from satprofit.io import Portfolio

#: Date columns that date an *event* (used to find the data's first and last day).
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "deals": ("close_date",),
    "projects": ("start_date", "actual_end_date"),
    "escalations": ("opened_date", "resolved_date"),
    "interactions": ("date",),
    "surveys": ("date",),
    "leads": ("created_date",),
}


def periods_per_year(freq: str) -> int:
    """How many periods of ``freq`` make a year (Q -> 4, M -> 12, W -> 52, Y -> 1)."""
    p = pd.Period("2023-01-01", freq=freq)
    days = (p.end_time - p.start_time).days + 1
    return max(1, round(365.25 / days))


@dataclass(frozen=True)
class PeriodGrid:
    """Consecutive calendar periods covering a portfolio.

    Attributes
    ----------
    freq : str
        pandas period frequency ("Q", "M", "W", "Y", ...).
    periods : pandas.PeriodIndex
        Every period from the first event's to the one holding ``data_end``.
    data_end : pandas.Timestamp
        Last day the data covers; a period is *full* when it ends on or before it.
    """

    freq: str
    periods: pd.PeriodIndex
    data_end: pd.Timestamp

    @classmethod
    def from_portfolio(
        cls, portfolio: Portfolio, freq: str = "Q", data_end: str | pd.Timestamp | None = None
    ) -> PeriodGrid:
        """The grid from the first to the last event date (or ``data_end`` if given)."""
        dates = pd.concat(
            [portfolio.tables[t][c] for t, cols in EVENT_DATES.items() for c in cols],
            ignore_index=True,
        ).dropna()
        if dates.empty:
            raise ValueError("the portfolio has no dated events")
        end = pd.Timestamp(data_end) if data_end is not None else dates.max()
        first = dates.min().to_period(freq)
        return cls(freq, pd.period_range(first, end.to_period(freq), freq=freq), end)

    @property
    def n(self) -> int:
        return len(self.periods)

    @property
    def n_full(self) -> int:
        """Number of leading periods that are complete (end on or before ``data_end``)."""
        ends = self.periods.end_time.normalize()
        return int((ends <= self.data_end.normalize()).sum())

    @property
    def per_year(self) -> int:
        return periods_per_year(self.freq)

    def code(self, dates: pd.Series) -> np.ndarray:
        """Period index of each date (-1 when missing or outside the grid)."""
        values = pd.DatetimeIndex(dates)
        out = np.full(len(values), -1, dtype=np.int64)
        ok = ~values.isna()
        if ok.any():
            ords = values[ok].to_period(self.freq).asi8 - self.periods[0].ordinal
            ords[(ords < 0) | (ords >= self.n)] = -1
            out[ok] = ords
        return out


def client_codes(portfolio: Portfolio, ids: pd.Series) -> np.ndarray:
    """Position of each client id in ``portfolio.clients`` (-1 when missing)."""
    return positions(ids, portfolio.clients["client_id"])


class ClientCodes:
    """Client positions of the rows of any contract table or of a row subset of one.

    Codes are computed once per table and reused for every filtered subset (portfolio frames
    have a RangeIndex, so a subset's index labels are row positions in its table). The table
    of a frame is recognised by its first column, the table's key.
    """

    _KEYS = {
        "escalation_id": "escalations",
        "interaction_id": "interactions",
        "response_id": "surveys",
        "lead_id": "leads",
        "project_id": "projects",
        "deal_id": "deals",
        "client_id": "clients",
    }

    def __init__(self, portfolio: Portfolio):
        self.portfolio = portfolio
        self._codes: dict[str, np.ndarray] = {}

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        table = self._KEYS[frame.columns[0]]
        if table not in self._codes:
            self._codes[table] = client_codes(
                self.portfolio, self.portfolio.tables[table]["client_id"]
            )
        return self._codes[table][frame.index.to_numpy()]


def grid_sum(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], weights=None
) -> np.ndarray:
    """Dense ``shape`` array of counts (or weighted sums) of events at (row, col).

    Events with a negative row or column code are dropped; NaN weights count as zero.
    """
    ok = (rows >= 0) & (cols >= 0)
    flat = rows[ok] * shape[1] + cols[ok]
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)[ok]
        w = np.where(np.isnan(w), 0.0, w)
    return np.bincount(flat, weights=w, minlength=shape[0] * shape[1]).reshape(shape).astype(float)


def trailing(a: np.ndarray, window: int) -> np.ndarray:
    """Sum over the ``window`` periods up to and including each period (clipped at the start)."""
    cum = np.cumsum(a, axis=1)
    out = cum.copy()
    out[:, window:] -= cum[:, :-window]
    return out


def forward(a: np.ndarray, horizon: int) -> np.ndarray:
    """Sum over the ``horizon`` periods after each period (t+1..t+horizon, clipped at the end)."""
    cum = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    n = a.shape[1]
    idx = np.arange(n)
    hi = np.minimum(idx + horizon, n - 1)
    return cum[:, hi + 1] - cum[:, idx + 1]


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (no division warning)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
