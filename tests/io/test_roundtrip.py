"""A valid portfolio survives writing and reading, as CSV and as Parquet, unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from satprofit.io import TABLES, load_portfolio, write_portfolio


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_roundtrip(sim, tmp_path, fmt):
    write_portfolio(sim.portfolio, tmp_path, fmt=fmt)
    back = load_portfolio(tmp_path)
    for name, frame in sim.portfolio.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], frame, obj=f"{fmt} {name}")


def test_typed_columns(sim):
    p = sim.portfolio
    assert str(p.deals["close_date"].dtype) == "datetime64[ns]"
    assert p.deals["presales_delivery_signoff"].dtype == bool
    assert str(p.projects["milestones_planned"].dtype) == "int64"
    assert str(p.surveys["nps"].dtype) == "Int64"
    assert p.clients["client_id"].dtype == "str"
    for name, spec in TABLES.items():
        assert list(p.tables[name].columns[: len(spec.names)]) == spec.names


def test_write_is_atomic_on_failure(sim, tmp_path, monkeypatch):
    """A failure while writing leaves the folder as it was: no partial tables, no temp files."""
    write_portfolio(sim.portfolio, tmp_path, fmt="csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    calls = {"n": 0}
    original = pd.DataFrame.to_csv

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    other = sim.portfolio.subset(sim.portfolio.clients["client_id"].iloc[:3])
    with pytest.raises(OSError, match="disk full"):
        write_portfolio(other, tmp_path, fmt="csv")
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before


def test_subset_is_valid(sim):
    ids = sim.portfolio.clients["client_id"].iloc[:5]
    sub = sim.portfolio.subset(ids)
    assert set(sub.surveys["client_id"]) <= set(ids)
    from satprofit.io import Portfolio

    Portfolio.from_tables(sub.tables)  # still satisfies the contract
