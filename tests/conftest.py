"""Shared fixtures: one small simulated portfolio per session, written once as CSV."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from satprofit.simulate import simulate_portfolio

#: Seed of the test portfolio; the tests' tolerances are stated for this seed.
TEST_SEED = 12345
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sim():
    """A 120-client, 12-quarter simulated portfolio with its truth."""
    return simulate_portfolio(n_clients=120, n_quarters=12, seed=TEST_SEED)


@pytest.fixture(scope="session")
def small_sim():
    """A 40-client, 8-quarter portfolio for tests of plumbing rather than statistics."""
    return simulate_portfolio(n_clients=40, n_quarters=8, seed=TEST_SEED)


@pytest.fixture(scope="session")
def sim_csv_dir(small_sim, tmp_path_factory) -> Path:
    """The small portfolio written as CSV, read-only by convention."""
    return small_sim.write(tmp_path_factory.mktemp("portfolio_csv"), fmt="csv")


@pytest.fixture
def csv_copy(sim_csv_dir, tmp_path) -> Path:
    """A private, writable copy of the CSV portfolio."""
    dest = tmp_path / "portfolio"
    shutil.copytree(sim_csv_dir, dest)
    return dest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(TEST_SEED)
