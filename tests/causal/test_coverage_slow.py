"""Slow: 95 % intervals cover the truth in at least 85 % of 30 simulated replications."""

from __future__ import annotations

import pandas as pd
import pytest

from satprofit.causal.calibration import coverage

MIN_COVERAGE = 0.85


@pytest.mark.slow
def test_interval_coverage_over_replications():
    table = coverage(n_reps=30, n_clients=300, n_boot=100)
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print("\n", table)
    assert (table["reps"] == 30).all()
    low = table[table["coverage"] < MIN_COVERAGE]
    assert low.empty, f"coverage below {MIN_COVERAGE}:\n{low}"
