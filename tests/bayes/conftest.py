"""One fit of every Bayesian model on the test portfolio, shared by the Bayesian tests.

Fast settings (2 chains, 300 draws): the models may not pass the convergence gate at these
settings, so the gate's warning is silenced here; recovery tests check the 95 % intervals.
"""

from __future__ import annotations

import warnings

import pytest

FAST = {"draws": 300, "tune": 300, "chains": 2, "cores": 2}


@pytest.fixture(scope="session")
def pfit(sim):
    from satprofit.runs import fit_portfolio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_portfolio(sim.portfolio, random_seed=21, **FAST)
