"""Turning a CRM's or PSA tool's own export into a portfolio, through a mapping file.

A mapping (YAML) says, per contract table, which export file holds it, which export column
becomes which contract column, how the export's values map onto the contract's vocabularies
(a CRM's ``Closed Won`` -> ``won``), how its dates and numbers are written, and the currency of
every amount. :func:`import_export` applies it, reports every value it could not map and every
date it could not read (with file, line and export column), validates the result against the
contract and writes the portfolio folder atomically, with ``portfolio.json`` stating the
currency. Worked examples: ``data/mappings/`` and ``data/README.md``.

The format::

    currency: EUR                 # required: ISO 4217 code of every amount
    date_format: "%m/%d/%Y"       # optional, for every date column (strptime codes)
    timezone: Europe/Berlin       # optional: timestamps become calendar dates in this zone
    decimal: ","                  # optional: decimal mark of numbers written as text
    thousands: "."                # optional: thousands separator to drop
    encoding: cp1252              # optional: encoding of export files that are not UTF-8
    tables:
      deals:
        file: opportunities.csv   # in the export folder: .csv, .tsv, .xlsx or .parquet
        sheet: Opportunities      # optional, for a workbook
        columns:                  # contract column: export column
          deal_id: Opportunity ID
          status: Stage
        constants:                # contract column: one value for every row
          lead_source: sales
        values:                   # contract column: {export value: contract value}
          status: {Closed Won: won, Closed Lost: lost, "*": open}
        date_format: "%d.%m.%Y"   # overrides the top-level settings for this table;
                                  # or {column: format} per column

Value maps match export values ignoring case and surrounding spaces; ``"*"`` maps every other
value and ``""`` maps empty cells. A value of a column with a fixed vocabulary (or a boolean
column) that is neither mapped nor already a contract value is reported as unmapped. Contract
tables the mapping does not name are read from the export folder as contract files
(``clients.csv``, ...), as :func:`satprofit.io.load_portfolio` reads them.

YAML reads only ``true``/``false`` as booleans here (not ``yes``/``no``/``on``/``off``), so a
CRM's ``Yes`` stays the text ``Yes``. Quote formats: ``"%d.%m.%Y"``.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.io.contract import FALSE_STRINGS, TABLES, TRUE_STRINGS, ColumnSpec
from satprofit.io.portfolio import Portfolio, check_currency
from satprofit.io.readers import check_encoding, header_key, read_table_file
from satprofit.io.validation import (
    MAX_EXAMPLES,
    DataValidationError,
    Origin,
    Problem,
    validate_tables,
)

_TOP_KEYS = {
    "currency",
    "date_format",
    "timezone",
    "decimal",
    "thousands",
    "encoding",
    "tables",
    "description",
}
_SETTINGS = ("date_format", "timezone", "decimal", "thousands", "encoding")
_TABLE_KEYS = {"file", "sheet", "columns", "constants", "values", *_SETTINGS}
_OTHER = "*"


class MappingError(ValueError):
    """A mapping file is malformed: every mistake found, each with where it is."""

    def __init__(self, source: str, errors: Sequence[str]):
        self.source = source
        self.errors = list(errors)
        n = len(self.errors)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} with the mapping:"
        super().__init__("\n".join([head, *(f"  - {e}" for e in self.errors)]))


@dataclass(frozen=True)
class TableMapping:
    """How one contract table is made from one export file.

    Attributes
    ----------
    table : str
        The contract table.
    file : str
        The export file, relative to the export folder.
    sheet : str or None
        The sheet of a workbook.
    columns : dict of str to str
        Contract column to export column.
    constants : dict of str to str
        Contract column to the value every row gets.
    values : dict of str to dict of str to str
        Contract column to a map from export value (case-folded, trimmed) to contract value.
    date_formats : dict of str to str
        Date column to its ``strptime`` format.
    timezone, decimal, thousands, encoding : str or None
        The table's settings (its own, else the mapping's).
    """

    table: str
    file: str
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping: the currency and one :class:`TableMapping` per mapped table."""

    currency: str
    tables: dict[str, TableMapping]
    source: str


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_export` wrote."""

    portfolio: Portfolio
    folder: Path
    mapped: tuple[str, ...]
    copied: tuple[str, ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# reading the mapping
# ---------------------------------------------------------------------------------------------
def _yaml_loader():
    """A safe YAML loader with YAML 1.2 booleans: ``Yes``, ``No``, ``On`` stay text."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


def _text(value: object) -> str:
    """A YAML scalar as the text it stands for (booleans as true/false, null as empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _value_key(value: object) -> str:
    return _text(value).strip().casefold()


def read_mapping_file(path: str | os.PathLike) -> dict:
    """The raw content of one mapping file.

    Raises
    ------
    MappingError
        When the file cannot be read or is not a YAML mapping.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except OSError as exc:
        raise MappingError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise MappingError(str(path), ["not UTF-8 text: save the mapping as UTF-8"]) from None
    except yaml.YAMLError as exc:
        raise MappingError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise MappingError(str(path), ["must be a YAML mapping with 'currency' and 'tables'"])
    return data


def load_mapping(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Mapping:
    """Read and check one or more mapping files (e.g. one for the CRM, one for the PSA tool).

    Each table may be mapped in one file only; the files must agree on the currency.

    Raises
    ------
    MappingError
        Listing every mistake in every file (unknown keys, tables or columns, values outside
        the contract's vocabulary, required columns left unmapped, bad settings).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [Path(p) for p in paths]
    source = ", ".join(str(p) for p in paths)
    errors: list[str] = []
    currencies: dict[str, str] = {}
    tables: dict[str, TableMapping] = {}
    where: dict[str, str] = {}
    for path in paths:
        data = read_mapping_file(path)
        prefix = f"{path.name}: " if len(paths) > 1 else ""
        file_errors: list[str] = []
        for key in data:
            if key not in _TOP_KEYS:
                file_errors.append(_unknown("key", key, _TOP_KEYS, "top level"))
        if "currency" in data:
            try:
                currencies[path.name] = check_currency(data["currency"])
            except ValueError as exc:
                file_errors.append(f"currency: {exc}")
        defaults = _settings(data, "top level", file_errors)
        raw_tables = data.get("tables")
        if not isinstance(raw_tables, dict) or not raw_tables:
            file_errors.append("tables: give at least one table (tables: {deals: {...}})")
            raw_tables = {}
        for name, spec in raw_tables.items():
            name = _text(name)
            if name not in TABLES:
                file_errors.append(_unknown("table", name, TABLES, "tables"))
                continue
            if name in tables:
                file_errors.append(f"tables.{name}: already mapped in {where[name]}")
                continue
            mapped = _table_mapping(name, spec, defaults, file_errors)
            if mapped is not None:
                tables[name] = mapped
                where[name] = path.name
        errors += [prefix + e for e in file_errors]
    if not currencies and not errors:
        errors.append("currency: say which currency the amounts are in (currency: EUR)")
    if len(set(currencies.values())) > 1:
        errors.append(f"the mapping files state different currencies: {currencies}")
    if errors:
        raise MappingError(source, errors)
    return Mapping(next(iter(currencies.values())), tables, source)


def _unknown(what: str, name: str, allowed: Iterable[str], where: str) -> str:
    allowed = sorted(allowed)
    close = difflib.get_close_matches(str(name), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(allowed)})"
    return f"{where}: unknown {what} {name!r}{hint}"


def _settings(data: dict, where: str, errors: list[str], base: dict | None = None) -> dict:
    """The settings keys of a mapping level, checked, over ``base``."""
    out = dict(base or {})
    for key in _SETTINGS:
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if key == "date_format":
            if isinstance(value, dict):
                out["date_formats"] = {_text(k): _text(v) for k, v in value.items()}
                out.pop("date_format", None)
                continue
            out["date_format"] = _text(value)
            out.pop("date_formats", None)
            continue
        text = _text(value)
        if key == "timezone":
            try:
                zoneinfo.ZoneInfo(text)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                errors.append(f"{where}: timezone {text!r} is not a time zone such as Europe/Paris")
                continue
        elif key in ("decimal", "thousands"):
            if len(text) != 1:
                errors.append(f"{where}: {key} must be one character, not {text!r}")
                continue
        elif key == "encoding":
            try:
                text = check_encoding(text)
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
                continue
        out[key] = text
    if out.get("decimal") and out.get("decimal") == out.get("thousands"):
        errors.append(f"{where}: decimal and thousands must differ")
    return out


def _table_mapping(name: str, raw: object, defaults: dict, errors: list[str]):
    where = f"tables.{name}"
    spec = TABLES[name]
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be a mapping with file and columns")
        return None
    for key in raw:
        if key not in _TABLE_KEYS:
            errors.append(_unknown("key", key, _TABLE_KEYS, where))
    file = _text(raw.get("file")).strip()
    if not file:
        errors.append(f"{where}.file: name the export file (file: opportunities.csv)")
    columns = _column_dict(raw.get("columns"), spec, f"{where}.columns", errors)
    constants = _column_dict(raw.get("constants"), spec, f"{where}.constants", errors)
    for col in set(columns) & set(constants):
        errors.append(f"{where}: {col} is both a mapped column and a constant")
    values: dict[str, dict[str, str]] = {}
    for col, pairs in (raw.get("values") or {}).items():
        col = _text(col)
        if col not in spec.names:
            errors.append(_unknown("column", col, spec.names, f"{where}.values"))
            continue
        if not isinstance(pairs, dict):
            errors.append(f"{where}.values.{col}: must map export values to contract values")
            continue
        column = spec.column(col)
        table_values = {}
        for key, value in pairs.items():
            target = _text(value)
            if not _allowed(column, target) and target != "":
                errors.append(
                    f"{where}.values.{col}: {_text(key)!r} maps to {target!r}, which is not "
                    f"{_vocabulary(column)}"
                )
            table_values[_OTHER if _text(key) == _OTHER else _value_key(key)] = target
        values[col] = table_values
    for col, value in constants.items():
        if not _allowed(spec.column(col), value):
            errors.append(
                f"{where}.constants.{col}: {value!r} is not {_vocabulary(spec.column(col))}"
            )
    for col in spec.columns:
        if not col.nullable and col.name not in columns and col.name not in constants:
            errors.append(
                f"{where}.columns: required column {col.name} is not mapped (map an export "
                "column to it, or give it under constants)"
            )
    settings = _settings(raw, where, errors, defaults)
    formats = settings.pop("date_formats", None)
    date_cols = [c.name for c in spec.columns if c.kind == "date"]
    if formats is None:
        fmt = settings.pop("date_format", None)
        formats = {c: fmt for c in date_cols if fmt} if fmt else {}
    else:
        settings.pop("date_format", None)
        for col in formats:
            if col not in date_cols:
                errors.append(_unknown("date column", col, date_cols, f"{where}.date_format"))
    for col, fmt in formats.items():
        if "%" not in fmt:
            errors.append(f"{where}.date_format: {fmt!r} for {col} has no %-codes (e.g. %d.%m.%Y)")
    return TableMapping(
        name,
        file,
        sheet=_text(raw.get("sheet")) or None,
        columns=columns,
        constants=constants,
        values=values,
        date_formats={c: f for c, f in formats.items() if c in date_cols},
        **settings,
    )


def _column_dict(raw: object, spec, where: str, errors: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(f"{where}: must map contract columns to export columns")
        return {}
    out = {}
    for col, value in raw.items():
        col = _text(col)
        if col not in spec.names:
            errors.append(_unknown("column", col, spec.names, where))
            continue
        out[col] = _text(value)
    return out


def _allowed(col: ColumnSpec, value: str) -> bool:
    """Whether ``value`` is a valid contract value of a vocabulary or boolean column."""
    if col.isin is not None:
        return value in col.isin
    if col.kind == "bool":
        return value.strip().lower() in TRUE_STRINGS | FALSE_STRINGS
    return True


def _vocabulary(col: ColumnSpec) -> str:
    if col.isin is not None:
        return "one of " + ", ".join(col.isin)
    return "a boolean (true/false)"


# ---------------------------------------------------------------------------------------------
# applying it
# ---------------------------------------------------------------------------------------------
def import_export(
    export_dir: str | os.PathLike,
    mapping: str | os.PathLike | Iterable[str | os.PathLike] | Mapping,
    out: str | os.PathLike,
    *,
    fmt: str = "csv",
    encoding: str | None = None,
) -> ImportResult:
    """Build a portfolio from a folder of exports through a mapping, validate it, write it.

    Parameters
    ----------
    export_dir : path
        Folder holding the export files the mapping names, and contract files for the tables
        it does not name.
    mapping : path, paths or Mapping
        One or more mapping files (see the module docstring).
    out : path
        Portfolio folder to write (tables and ``portfolio.json``); written only when the
        result satisfies the contract, each file through a temporary name and a rename.
    fmt : {"csv", "parquet"}
        Format of the tables written.
    encoding : str, optional
        Encoding of export files that are not UTF-8, unless the mapping names one.

    Returns
    -------
    ImportResult

    Raises
    ------
    MappingError
        When the mapping itself is malformed.
    DataValidationError
        Listing every export value the mapping does not map, every date or number it cannot
        read and every rule of the contract the result breaks (file, line, column, rule).
    """
    from satprofit.io.loader import write_portfolio

    export = Path(export_dir)
    if not export.is_dir():
        raise ValueError(f"export folder not found: {export}")
    target = Path(out)
    if target.resolve() == export.resolve():
        raise ValueError("--out must not be the export folder: the portfolio would overwrite it")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    check_encoding(encoding)
    plan = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    problems: list[Problem] = []
    notes: list[str] = []
    frames: dict[str, pd.DataFrame | None] = {}
    origins: dict[str, Origin] = {}
    failed: set[str] = set()  # tables whose file could not be read
    imported: set[tuple[str, str]] = set()  # (table, column) with an import problem
    for name in TABLES:
        if name in plan.tables:
            frame, origin, table_problems, table_notes = _apply(plan.tables[name], export, encoding)
        else:
            frame, origin, table_problems, table_notes = _copy(name, export, encoding)
        problems += table_problems
        notes += table_notes
        if origin is not None:
            origins[name] = origin
        frames[name] = frame
        if frame is None and table_problems:
            failed.add(name)
        imported |= {(p.table, p.column.split(" (")[0]) for p in table_problems if p.column}
    try:
        tables = validate_tables(
            frames, source=str(export), extra_problems=problems, origins=origins
        )
    except DataValidationError as err:
        kept = [p for p in err.problems if p in problems or not _echo(p, failed, imported)]
        raise DataValidationError(kept, str(export)) from None
    portfolio = Portfolio(**tables, currency=plan.currency, notes=tuple(notes))
    write_portfolio(portfolio, target, fmt=fmt)
    copied = tuple(n for n in TABLES if n not in plan.tables and frames[n] is not None)
    return ImportResult(portfolio, target, tuple(plan.tables), copied, tuple(notes))


def _echo(problem: Problem, failed: set[str], imported: set[tuple[str, str]]) -> bool:
    """Whether a validation problem only repeats one the import already reported."""
    if problem.table in failed and problem.rule.startswith("required table missing"):
        return True
    column = (problem.column or "").split(" (")[0]
    return (problem.table, column) in imported


def _copy(name: str, export: Path, encoding: str | None):
    """A table the mapping does not name: the export folder's contract file, if any."""
    from satprofit.io.readers import find_table_files

    found = find_table_files(export, [name])[name]
    if not found:
        return None, None, [], []
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        problem = Problem(name, None, f"both {names} present; keep one", file=names)
        return None, Origin(names), [problem], []
    raw = read_table_file(found[0], name, expected=TABLES[name].names, encoding=encoding)
    return raw.frame, raw.origin, raw.problems, raw.notes


def _apply(m: TableMapping, export: Path, encoding: str | None):
    """One mapped table: read its export file, rename, map values, parse dates and numbers."""
    spec = TABLES[m.table]
    path = export / m.file
    shown = m.file if m.sheet is None else f"{m.file}, sheet {m.sheet}"
    if not path.is_file():
        others = sorted(p.name for p in export.iterdir() if p.is_file())
        close = difflib.get_close_matches(m.file, others, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        rule = f"export file {m.file!r} named by the mapping is not in {export}{hint}"
        return None, None, [Problem(m.table, None, rule, file=m.file)], []
    raw = read_table_file(
        path,
        m.table,
        expected=list(m.columns.values()),
        encoding=m.encoding or encoding,
        shown=shown if m.sheet else None,
        sheet=m.sheet,
        all_duplicates=False,
    )
    if raw.frame is None:
        return None, raw.origin, raw.problems, raw.notes
    source = raw.frame
    problems: list[Problem] = []
    # export columns: exact, else ignoring case and spaces
    by_key = {header_key(c): c for c in source.columns}
    found: dict[str, str] = {}
    for col, wanted in m.columns.items():
        actual = wanted if wanted in source.columns else by_key.get(header_key(wanted))
        if actual is None:
            close = difflib.get_close_matches(wanted, [str(c) for c in source.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    m.table,
                    col,
                    f"export column {wanted!r} (mapped to {col}) is not in the file{hint}",
                    file=raw.origin.file,
                )
            )
        else:
            found[col] = actual
    origin = Origin(raw.origin.file, raw.origin.unit, raw.origin.numbers, dict(found))
    if problems:
        return None, origin, problems, raw.notes
    n = len(source)
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for col in spec.columns:
        if col.name in found:
            values = source[found[col.name]].astype("object").reset_index(drop=True)
        elif col.name in m.constants:
            values = pd.Series([m.constants[col.name]] * n, dtype="object")
        else:
            values = pd.Series([None] * n, dtype="object")
        values = values.where(values.notna(), None)
        if col.name in m.values:
            values = _map_values(col, values, m.values[col.name])
        if col.name in found:
            check = _unmapped(col, values, m, origin)
            if check is not None:
                problems.append(check)
            if col.kind == "date":
                values, problem = _dates(col, values, m, origin)
                if problem is not None:
                    problems.append(problem)
            elif col.kind in ("int", "float") and (m.decimal or m.thousands):
                values = _numbers(values, m.decimal, m.thousands)
        frame[col.name] = values
    return frame, origin, problems, raw.notes


def _map_values(col: ColumnSpec, values: pd.Series, pairs: dict[str, str]) -> pd.Series:
    """Export values through a value map (case-folded keys; ``*`` for any other value)."""
    other = pairs.get(_OTHER)

    closed = col.isin is not None or col.kind == "bool"

    def one(v):
        key = "" if v is None else _value_key(v)
        if key in pairs:
            return pairs[key] or None
        if key == "" or other is None or (closed and _allowed(col, _text(v))):
            return v  # empty, or already a contract value
        return other or None

    uniques = {}
    out = []
    for v in values:
        k = (type(v), v) if v is not None else None
        if k not in uniques:
            uniques[k] = one(v)
        out.append(uniques[k])
    return pd.Series(out, index=values.index, dtype="object")


def _unmapped(col: ColumnSpec, values: pd.Series, m: TableMapping, origin: Origin):
    """Values of a vocabulary or boolean column that are not contract values: each distinct
    value with its row count and first line, and what to add to the mapping."""
    if col.isin is None and col.kind != "bool":
        return None
    text = values.map(lambda v: None if v is None else _text(v))
    bad = text.notna() & ~text.map(lambda v: v is None or _allowed(col, v)).astype(bool)
    if not bad.any():
        return None
    counts = text[bad].value_counts(sort=True)
    first = {v: int(np.flatnonzero((text == v).to_numpy())[0]) for v in counts.index[:MAX_EXAMPLES]}
    examples = tuple(
        f"{v!r} ({counts[v]} row{'s' if counts[v] != 1 else ''}, first {origin.label(i)})"
        for v, i in first.items()
    )
    rule = (
        f"unmapped value{'s' if len(counts) != 1 else ''} ({len(counts)} distinct): not "
        f"{_vocabulary(col)}; add them under values: {col.name}: in the mapping"
    )
    return Problem(
        m.table,
        f"{col.name} (from {origin.columns[col.name]!r})",
        rule,
        int(bad.sum()),
        examples,
        file=origin.file,
    )


def _dates(col: ColumnSpec, values: pd.Series, m: TableMapping, origin: Origin):
    """Dates in the mapping's format (or ISO timestamps when a time zone is set) as ISO text.

    With a ``date_format`` or a ``timezone``, naive times are read as the export's local times
    (their calendar date is kept) and timestamps with a time zone are converted to the
    ``timezone`` first. Without either, values go to the contract's date rule unchanged, except
    timestamps with a time zone, which ask for the mapping's ``timezone``.
    """
    fmt = m.date_formats.get(col.name)
    zone = zoneinfo.ZoneInfo(m.timezone) if m.timezone else None
    cache: dict[object, tuple[str | None, str]] = {}
    out, why = [], []
    for v in values:
        key = (type(v), v)
        if key not in cache:
            if fmt is None and zone is None:
                cache[key] = (v, "tz" if _zoned(v) else "ok")
            else:
                cache[key] = _calendar_date(v, fmt, zone)
        day, reason = cache[key]
        out.append(day if reason == "ok" else None)  # unreadable: reported here, not again
        why.append(reason)
    why = np.asarray(why, dtype=object)
    bad = why != "ok"
    result = pd.Series(out, index=values.index, dtype="object")
    if not bad.any():
        return result, None
    positions = np.flatnonzero(bad)
    needs_zone = bool((why[bad] == "tz").all())
    rule = (
        "timestamps with a time zone: set the mapping's timezone (e.g. timezone: Europe/Berlin) "
        "to take their calendar date there"
        if needs_zone
        else f"not a date in the mapping's format {fmt or 'ISO 8601'!r}"
    )
    examples = tuple(
        f"{origin.label(i)}: {_text(values.iloc[i])!r}" for i in positions[:MAX_EXAMPLES]
    )
    problem = Problem(
        m.table,
        f"{col.name} (from {origin.columns[col.name]!r})",
        rule,
        len(positions),
        examples,
        file=origin.file,
    )
    return result, problem


def _zoned(value: object) -> bool:
    """Whether a value is a timestamp with a time zone (object or ISO text with an offset)."""
    if isinstance(value, datetime.datetime):
        return value.tzinfo is not None
    if isinstance(value, str):
        return bool(re.search(r"\d[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$", value))
    return False


def _calendar_date(value, fmt: str | None, zone) -> tuple[str | None, str]:
    """``(iso, "ok")``, ``(None, "ok")`` for an empty cell, or ``(None, reason)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "ok"
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value).to_pydatetime() if not np.isnat(value) else None
        if value is None:
            return None, "ok"
    if isinstance(value, str):
        text = value.strip()
        try:
            if fmt is not None:
                parsed = datetime.datetime.strptime(text, fmt)
            else:
                parsed = datetime.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
        except ValueError:
            return None, "format"
        value = parsed
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            if zone is None:
                return None, "tz"
            value = value.astimezone(zone)
        return value.date().isoformat(), "ok"
    if isinstance(value, datetime.date):
        return value.isoformat(), "ok"
    return None, "format"


def _numbers(values: pd.Series, decimal: str | None, thousands: str | None) -> pd.Series:
    """Numbers written as text with a decimal comma or thousands separators, as plain text."""

    def one(v):
        if not isinstance(v, str):
            return v
        text = v.strip().replace("\u00a0", "").replace(" ", "")
        if thousands:
            text = text.replace(thousands, "")
        if decimal and decimal != ".":
            text = text.replace(decimal, ".")
        return text

    return values.map(one)
