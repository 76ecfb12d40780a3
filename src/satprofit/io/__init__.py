"""Stage 1 of the data's way: reading a firm's exports and checking them against the contract.

The public entry points are :func:`load_portfolio` (with :func:`find_folder` for a relative
folder named from anywhere inside a project), :func:`write_portfolio`, the
:class:`Portfolio` container, :class:`DataValidationError` and :func:`portfolio_fingerprint`
(the hash a saved fit or run is tied to).
"""

from satprofit.io.contract import TABLES, ColumnSpec, TableSpec
from satprofit.io.fingerprint import portfolio_fingerprint
from satprofit.io.loader import find_folder, load_portfolio, write_portfolio
from satprofit.io.portfolio import Portfolio
from satprofit.io.validation import DataValidationError, Problem, validate_tables

__all__ = [
    "TABLES",
    "ColumnSpec",
    "DataValidationError",
    "Portfolio",
    "Problem",
    "find_folder",
    "TableSpec",
    "load_portfolio",
    "portfolio_fingerprint",
    "validate_tables",
    "write_portfolio",
]
