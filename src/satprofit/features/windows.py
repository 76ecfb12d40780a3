"""Counting a client's events inside date windows, vectorized (sort once, binary search)."""

from __future__ import annotations

import numpy as np
import pandas as pd

_SHIFT = 5_000_000  # days; keeps day numbers positive for any realistic date
_BASE = 10_000_000


def day_number(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Days since 1970-01-01 as int64 (NaT -> a large negative sentinel)."""
    values = pd.DatetimeIndex(dates)
    out = values.values.astype("datetime64[D]").astype(np.int64)
    out[values.isna()] = -_SHIFT + 1
    return out


class EventIndex:
    """A client's dated events, sorted for window queries.

    Parameters
    ----------
    client : array of int
        Client code of each event (negative codes are ignored).
    dates : Series of datetime
        Event dates (NaT events are ignored).
    weights : dict of str to array, optional
        Values to sum inside windows (NaN counts as missing: see ``count`` for non-missing).
    """

    def __init__(self, client: np.ndarray, dates, weights: dict[str, np.ndarray] | None = None):
        day = day_number(dates)
        ok = (np.asarray(client) >= 0) & (day > -_SHIFT + 1)
        key = np.asarray(client)[ok].astype(np.int64) * _BASE + day[ok] + _SHIFT
        order = np.argsort(key, kind="stable")
        self._key = key[order]
        self._cum: dict[str, np.ndarray] = {}
        for name, w in (weights or {}).items():
            w = np.asarray(w, dtype=float)[ok][order]
            present = ~np.isnan(w)
            self._cum[name] = np.concatenate([[0.0], np.cumsum(np.where(present, w, 0.0))])
            self._cum[name + "__n"] = np.concatenate([[0], np.cumsum(present)])

    def _bounds(self, client, lo_day, hi_day):
        c = np.asarray(client, dtype=np.int64) * _BASE
        lo = np.searchsorted(self._key, c + np.asarray(lo_day) + _SHIFT, side="left")
        hi = np.searchsorted(self._key, c + np.asarray(hi_day) + _SHIFT, side="right")
        return lo, np.maximum(hi, lo)

    def count(self, client, lo_day, hi_day, weight: str | None = None) -> np.ndarray:
        """Events of ``client`` dated in [lo_day, hi_day] (non-missing ``weight`` if given)."""
        lo, hi = self._bounds(client, lo_day, hi_day)
        if weight is None:
            return (hi - lo).astype(float)
        n = self._cum[weight + "__n"]
        return (n[hi] - n[lo]).astype(float)

    def sum(self, client, lo_day, hi_day, weight: str) -> np.ndarray:
        """Sum of ``weight`` over events of ``client`` dated in [lo_day, hi_day]."""
        lo, hi = self._bounds(client, lo_day, hi_day)
        cum = self._cum[weight]
        return cum[hi] - cum[lo]
