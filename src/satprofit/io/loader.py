"""Reading a portfolio folder and writing one back, atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from satprofit.files import mkstemp  # the umask's permissions, not 0600
from satprofit.io.contract import TABLES
from satprofit.io.portfolio import Portfolio
from satprofit.io.validation import DataValidationError, Problem

Format = Literal["csv", "parquet"]


def _read_one(folder: Path, name: str, problems: list[Problem]) -> pd.DataFrame | None:
    csv, pq = folder / f"{name}.csv", folder / f"{name}.parquet"
    if csv.exists() and pq.exists():
        problems.append(Problem(name, None, f"both {csv.name} and {pq.name} present; keep one"))
        return None
    try:
        if csv.exists():
            # Everything as text: keys stay text ("007"), types are parsed by the validator.
            return pd.read_csv(
                csv, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
            )
        if pq.exists():
            return pd.read_parquet(pq)
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problems.append(Problem(name, None, f"unreadable file: {first}"))
        return pd.DataFrame()  # present but unreadable: do not also report it missing
    return None


def load_portfolio(folder: str | os.PathLike) -> Portfolio:
    """Read and validate a portfolio folder.

    Parameters
    ----------
    folder : path
        A folder holding ``<table>.csv`` or ``<table>.parquet`` per contract table.

    Returns
    -------
    Portfolio

    Raises
    ------
    DataValidationError
        With every problem found; also when the folder does not exist.
    """
    path = Path(folder)
    if not path.is_dir():
        raise DataValidationError([Problem("(folder)", None, f"not a folder: {path}")], str(path))
    problems: list[Problem] = []
    raw = {name: _read_one(path, name, problems) for name in TABLES}
    unreadable = {p.table for p in problems}
    # An unreadable table is reported once, not again as "missing columns".
    raw = {k: (None if k in unreadable else v) for k, v in raw.items()}
    from satprofit.io.validation import validate_tables

    try:
        tables = validate_tables(raw, source=str(path), extra_problems=problems)
    except DataValidationError as err:
        if unreadable:  # drop the "required table missing" echoes of unreadable ones
            err.problems = [
                p
                for p in err.problems
                if not (p.table in unreadable and p.rule.startswith("required table"))
            ]
            raise DataValidationError(err.problems, str(path)) from None
        raise
    return Portfolio(**tables)


def _to_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "true", False: "false"})
    return out


def write_portfolio(portfolio: Portfolio, folder: str | os.PathLike, fmt: Format = "csv") -> Path:
    """Write every table of a portfolio into ``folder`` as CSV or Parquet.

    All files are first written under temporary names in the target folder, then renamed into
    place, so a failure leaves no half-written table behind.

    Returns
    -------
    Path
        The folder written.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, frame in portfolio.tables.items():
            target = path / f"{name}.{fmt}"
            fd, tmp = mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path)
            os.close(fd)
            staged.append((Path(tmp), target))
            if fmt == "csv":
                _to_csv_frame(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
            else:
                frame.to_parquet(tmp, index=False)
        for tmp, target in staged:
            os.replace(tmp, target)
            other = target.with_suffix(".parquet" if fmt == "csv" else ".csv")
            other.unlink(missing_ok=True)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text to ``path`` through a temporary file in the same folder and a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
