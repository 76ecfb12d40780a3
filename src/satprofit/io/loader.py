"""Reading a portfolio (a folder of table files, or one Excel workbook) and writing one back.

Each table is read by :mod:`satprofit.io.readers` (encoding, delimiter, header, line numbers),
then all tables are validated together: one :class:`DataValidationError` lists the problems of
every file and every rule at once, each naming its file, line, column and rule.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Literal

import pandas as pd

from satprofit.files import atomic_write_text as atomic_write_text  # the one atomic writer
from satprofit.files import mkstemp  # the umask's permissions, not 0600
from satprofit.io.contract import METADATA_FILE, TABLES
from satprofit.io.portfolio import Portfolio, check_currency
from satprofit.io.readers import (
    EXCEL_SUFFIXES,
    RawTable,
    check_encoding,
    find_table_files,
    read_table_file,
    read_workbook,
)
from satprofit.io.validation import DataValidationError, Origin, Problem

Format = Literal["csv", "parquet"]

_log = logging.getLogger(__name__)


def read_raw_tables(
    path: str | os.PathLike, *, encoding: str | None = None
) -> tuple[dict[str, RawTable | None], list[Problem], list[str]]:
    """Read every contract table of a portfolio folder or workbook, without validating.

    Returns
    -------
    tables : dict of str to RawTable or None
        ``None`` where the table has no file.
    problems : list of Problem
        Files that are ambiguous (two files for one table).
    notes : list of str
        Files or sheets that were skipped.
    """
    path = Path(path)
    expected = {name: spec.names for name, spec in TABLES.items()}
    problems: list[Problem] = []
    notes: list[str] = []
    if path.is_file() and path.suffix.lower() in EXCEL_SUFFIXES:
        tables = read_workbook(path, TABLES, expected=expected)
        return tables, problems, notes
    files = find_table_files(path, TABLES)
    tables: dict[str, RawTable | None] = {}
    for name, found in files.items():
        if len(found) > 1:
            names = " and ".join(p.name for p in found)
            problems.append(Problem(name, None, f"both {names} present; keep one", file=names))
            tables[name] = RawTable(None, Origin(names))
        elif found:
            tables[name] = read_table_file(
                found[0], name, expected=expected[name], encoding=encoding
            )
        else:
            tables[name] = None
    return {name: tables[name] for name in TABLES}, problems, notes


def read_metadata(path: Path) -> tuple[str | None, list[Problem]]:
    """The currency stated by ``portfolio.json`` in a portfolio folder (``None`` without it)."""
    meta = path / METADATA_FILE if path.is_dir() else None
    if meta is None or not meta.exists():
        return None, []

    def problem(rule: str) -> tuple[None, list[Problem]]:
        return None, [Problem("(portfolio)", "currency", rule, file=METADATA_FILE)]

    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return problem(f"unreadable: {exc}")
    if not isinstance(data, dict):
        return problem('not a JSON object such as {"currency": "EUR"}')
    currency = data.get("currency")
    if currency is None:
        return None, []
    try:
        return check_currency(currency), []
    except ValueError as exc:
        return problem(str(exc))


def find_folder(folder: str | os.PathLike, start: str | os.PathLike | None = None) -> Path:
    """The folder (or workbook) ``folder`` names, as an absolute path.

    An absolute path is returned as it is. A relative one is looked for in ``start`` (default:
    the working folder), then in each of its parents, so ``"data/sample"`` names the
    repository's sample from any folder inside the repository: a notebook opened in JupyterLab
    runs in its own folder (``notebooks/research/``), a headless one wherever it was started.

    Raises
    ------
    FileNotFoundError
        When no folder on the way up holds it; the message names where it was looked for.

    Examples
    --------
    >>> find_folder("data/sample", start="notebooks/research")  # doctest: +SKIP
    PosixPath('/home/me/satprofit/data/sample')
    """
    path = Path(folder).expanduser()
    if path.is_absolute():
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        return path
    here = Path(start or os.getcwd()).resolve()
    for base in (here, *here.parents):
        if (base / path).exists():
            return base / path
    raise FileNotFoundError(f"no {path} in {here} or any folder above it")


def load_portfolio(folder: str | os.PathLike, *, encoding: str | None = None) -> Portfolio:
    """Read and validate a portfolio.

    Parameters
    ----------
    folder : path
        A folder holding one file per contract table (``<table>.csv``, ``.tsv``, ``.parquet``
        or ``.xlsx``; any case) and optionally ``portfolio.json`` (its currency), or an Excel
        workbook (``.xlsx``) with one sheet per table.
    encoding : str, optional
        Encoding of text files that are not UTF-8 (``"cp1252"`` for Excel's plain CSV on
        Windows). UTF-8 files, with or without a byte-order mark, are read as UTF-8 always.

    Returns
    -------
    Portfolio
        With :attr:`Portfolio.notes` saying what was done to read the files (headers
        normalised, a legacy encoding used).

    Raises
    ------
    DataValidationError
        With every problem found, each naming its file, line, column and rule; also when the
        folder does not exist.
    ValueError
        When ``encoding`` names no known encoding.
    """
    path = Path(folder)
    check_encoding(encoding)
    is_book = path.is_file() and path.suffix.lower() in EXCEL_SUFFIXES
    if not (path.is_dir() or is_book):
        raise DataValidationError(
            [Problem("(folder)", None, f"not a folder or an .xlsx workbook: {path}")], str(path)
        )
    raw, problems, notes = read_raw_tables(path, encoding=encoding)
    currency, meta_problems = read_metadata(path)
    problems += meta_problems
    frames: dict[str, pd.DataFrame | None] = {}
    origins: dict[str, Origin] = {}
    unreadable: set[str] = set()
    for name, table in raw.items():
        if table is None:
            frames[name] = None
            continue
        notes += table.notes
        problems += table.problems
        origins[name] = table.origin
        frames[name] = table.frame
        if table.frame is None:
            unreadable.add(name)
    from satprofit.io.validation import validate_tables

    try:
        tables = validate_tables(frames, source=str(path), extra_problems=problems, origins=origins)
    except DataValidationError as err:
        # a table that could not be read is reported once, not again as missing
        kept = [
            p
            for p in err.problems
            if not (p.table in unreadable and p.rule.startswith("required table missing"))
        ]
        raise DataValidationError(kept, str(path)) from None
    for note in notes:
        _log.info("%s", note)
    return Portfolio(**tables, currency=currency, notes=tuple(notes))


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
    """Write every table of a portfolio into ``folder`` as CSV or Parquet (an empty
    ``survey_items`` table writes no file).

    All files are first written under temporary names in the target folder, then renamed into
    place, so a failure leaves no half-written table behind. The portfolio's currency, when
    known, goes into ``portfolio.json`` beside the tables (a stale one is removed otherwise).

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
            if name == "survey_items" and frame.empty:
                # Optional and added to the contract later: a portfolio without items writes
                # no file (the folder looks as before), and a stale one would be read back.
                for ext in ("csv", "parquet"):
                    (path / f"{name}.{ext}").unlink(missing_ok=True)
                continue
            fd, tmp = mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path)
            os.close(fd)
            staged.append((Path(tmp), target))
            if fmt == "csv":
                _to_csv_frame(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
            else:
                frame.to_parquet(tmp, index=False)
        if portfolio.currency:
            fd, tmp = mkstemp(prefix=f"{METADATA_FILE}.", suffix=".tmp", dir=path)
            staged.append((Path(tmp), path / METADATA_FILE))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"currency": portfolio.currency}, indent=2) + "\n")
        for tmp, target in staged:
            os.replace(tmp, target)
            if target.name != METADATA_FILE:
                other = target.with_suffix(".parquet" if fmt == "csv" else ".csv")
                other.unlink(missing_ok=True)
        if not portfolio.currency:
            (path / METADATA_FILE).unlink(missing_ok=True)  # stale: it would state a currency
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return path
