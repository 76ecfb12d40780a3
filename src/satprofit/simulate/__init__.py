"""Synthetic portfolios drawn from a structural causal model with known truth.

``simulate_portfolio`` returns contract-valid tables and a :class:`Truth` holding the true
value of every estimand of QUESTIONS.md, computed by intervention on the structural model;
``read_truth`` reads it back from a folder written by ``Simulation.write``.
"""

from satprofit.simulate.effects import Effects
from satprofit.simulate.portfolio import Simulation, read_truth, simulate_portfolio
from satprofit.simulate.truth import Truth, compute_truth

__all__ = [
    "Effects",
    "Simulation",
    "Truth",
    "compute_truth",
    "read_truth",
    "simulate_portfolio",
]
