"""The :class:`Portfolio`: one validated, typed DataFrame per contract table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

import pandas as pd

from satprofit.io.contract import TABLES


def check_currency(code: object) -> str:
    """An ISO 4217 currency code in upper case (``"eur"`` -> ``"EUR"``).

    Raises
    ------
    ValueError
        When ``code`` is not three letters.
    """
    text = str(code).strip().upper() if isinstance(code, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"currency must be a three-letter ISO 4217 code such as EUR, not {code!r}")
    return text


@dataclass(frozen=True, eq=False)
class Portfolio:
    """A firm's exports after validation.

    Build one with :func:`satprofit.io.load_portfolio` (from a folder) or
    :meth:`Portfolio.from_tables` (from DataFrames); both validate, so a ``Portfolio`` always
    satisfies the data contract. Frames are shared, not copied: treat them as read-only.

    Attributes
    ----------
    clients, deals, projects, escalations, interactions, surveys, leads, incentives : DataFrame
        The contract tables with contract dtypes.
    survey_items : DataFrame
        Multi-item survey answers (optional table: empty when the export has none).
    currency : str or None
        ISO 4217 code of every amount (contract values, budgets, costs, revenue), as stated by
        the folder's ``portfolio.json`` (written by ``satprofit import``); ``None`` when the
        portfolio does not state it, and amounts are then shown without a currency.
    notes : tuple of str
        What was done to read the files (headers normalised, a legacy encoding), for the user.
    """

    clients: pd.DataFrame
    deals: pd.DataFrame
    projects: pd.DataFrame
    escalations: pd.DataFrame
    interactions: pd.DataFrame
    surveys: pd.DataFrame
    leads: pd.DataFrame
    incentives: pd.DataFrame
    survey_items: pd.DataFrame
    currency: str | None = field(default=None, kw_only=True)
    notes: tuple[str, ...] = field(default=(), kw_only=True, repr=False)

    def __post_init__(self) -> None:
        if self.currency is not None:
            object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, pd.DataFrame | None],
        *,
        source: str | None = None,
        currency: str | None = None,
    ):
        """Validate raw or typed tables and wrap them.

        Raises
        ------
        DataValidationError
            When any contract rule is broken (all problems listed).
        """
        from satprofit.io.validation import validate_tables

        return cls(**validate_tables(tables, source=source), currency=currency)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name to frame, in contract order."""
        return {name: getattr(self, name) for name in TABLES}

    @property
    def date_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last date of any event in the portfolio."""
        cols = {
            "deals": ["proposal_date", "close_date"],
            "projects": ["start_date", "actual_end_date"],
            "escalations": ["opened_date", "resolved_date"],
            "interactions": ["date"],
            "surveys": ["date"],
            "leads": ["created_date"],
        }
        values = pd.concat(
            [
                getattr(self, t)[c].stack() if len(c) > 1 else getattr(self, t)[c[0]]
                for t, c in cols.items()
            ],
            ignore_index=True,
        ).dropna()
        return values.min(), values.max()

    def summary(self) -> pd.DataFrame:
        """Row count, first and last date of each table."""
        rows = []
        for name, frame in self.tables.items():
            dates = frame.select_dtypes("datetime").stack()
            rows.append(
                {
                    "table": name,
                    "rows": len(frame),
                    "first_date": dates.min() if len(dates) else pd.NaT,
                    "last_date": dates.max() if len(dates) else pd.NaT,
                }
            )
        return pd.DataFrame(rows).set_index("table")

    def describe(self) -> str:
        """A short text summary: clients, period, rows per table."""
        start, end = self.date_range
        counts = ", ".join(f"{n} {t}" for t, n in self.summary()["rows"].items())
        return f"{len(self.clients)} clients, {start:%Y-%m-%d} to {end:%Y-%m-%d}; {counts}"

    def subset(self, client_ids: Iterable[str]) -> Portfolio:
        """The same portfolio restricted to some clients (incentives kept whole, survey items
        of their responses)."""
        ids = set(client_ids)
        kept = {
            name: (
                frame[frame["client_id"].isin(ids)].reset_index(drop=True)
                if "client_id" in frame.columns
                else frame
            )
            for name, frame in self.tables.items()
        }
        deal_ids = set(kept["deals"]["deal_id"])
        kept["leads"] = kept["leads"].assign(
            converted_deal_id=kept["leads"]["converted_deal_id"].where(
                kept["leads"]["converted_deal_id"].isin(deal_ids)
            )
        )
        kept["survey_items"] = kept["survey_items"][
            kept["survey_items"]["response_id"].isin(set(kept["surveys"]["response_id"]))
        ].reset_index(drop=True)
        return Portfolio(**kept, currency=self.currency, notes=self.notes)


assert [f.name for f in fields(Portfolio)][: len(TABLES)] == list(TABLES), "fields follow TABLES"
