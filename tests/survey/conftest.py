"""The ECSI survey (R plspm's `satisfaction` data), its shipped spec, and R plspm's estimates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from satprofit.survey import load_spec, read_survey

REPO = Path(__file__).resolve().parents[2]
ECSI_CSV = REPO / "data" / "external" / "ecsi_satisfaction.csv"
REFERENCE = Path(__file__).resolve().parent / "reference"


def reference(name: str) -> pd.DataFrame:
    """One of R plspm's result tables in tests/survey/reference/ (first column: row names)."""
    return pd.read_csv(REFERENCE / f"plspm-r-satisfaction{name}.csv", index_col=0)


@pytest.fixture(scope="session")
def ecsi_spec():
    return load_spec("ecsi")


@pytest.fixture(scope="session")
def ecsi(ecsi_spec):
    return read_survey(ECSI_CSV, ecsi_spec)
