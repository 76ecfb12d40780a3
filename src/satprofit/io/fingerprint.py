"""The data's fingerprint: what a saved fit or run is tied to, so it only loads against the
same data."""

from __future__ import annotations

import hashlib

import pandas as pd

from satprofit.io.portfolio import Portfolio


def portfolio_fingerprint(portfolio: Portfolio) -> str:
    """A hash of every table's content: a saved fit only loads against the same data.

    An empty ``survey_items`` table (added to the contract later, optional) is left out, so a
    portfolio without survey items keeps the fingerprint it had before the table existed.
    """
    h = hashlib.sha256()
    for name, frame in sorted(portfolio.tables.items()):
        if name == "survey_items" and frame.empty:
            continue
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]
