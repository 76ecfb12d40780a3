"""satprofit: does client satisfaction pay?

Feature builders, causal and Bayesian models for the levers that close the gap between sales
and delivery in B2B services firms, and the client reports that show what they are worth.

Stages, in the order the data flows (see ARCHITECTURE.md):

- :mod:`satprofit.io` loads a firm's exports and checks them against the data contract;
- :mod:`satprofit.simulate` draws synthetic portfolios with known causal truth.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("satprofit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
