"""Checks a set of raw tables against the data contract and returns them typed.

Every problem found is collected, then raised together as one :class:`DataValidationError`:
the user sees the complete list (table, column, rule, how many rows, up to five example keys
or row numbers), never a pandas or pandera traceback.

Three layers of rules run in order, each on whatever the previous one could parse:

1. structure and types (plain code): required tables and columns, empty tables, text that is
   not a date, number or boolean, missing required values;
2. column rules (pandera, built from :mod:`satprofit.io.contract`): unique keys, allowed values,
   numeric bounds, non-blank strings;
3. row and cross-table rules (plain code): date order, milestone counts, foreign keys and their
   consistency (a project's client is its deal's client, projects only on won deals, ...).
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.io.contract import (
    DATE_MAX,
    DATE_MIN,
    FALSE_STRINGS,
    FOREIGN_KEYS,
    TABLES,
    TRUE_STRINGS,
    ColumnSpec,
    TableSpec,
)

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, table, column), which rule, how many rows, a few examples.

    Examples name a row by its key and where it is in the file: ``line`` for CSV (the file's own
    line number, header and blank lines counted), ``row`` for Excel (the sheet's row number) and
    for Parquet or in-memory tables (data rows counted from 1).
    """

    table: str
    column: str | None
    rule: str
    n_rows: int = 0
    examples: tuple[str, ...] = ()
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        where = f"{self.file}: {where}" if self.file else where
        rows = f": {self.n_rows} row{'s' if self.n_rows != 1 else ''}" if self.n_rows else ""
        eg = f", e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{where} [{self.rule}]{rows}{eg}"


@dataclass(frozen=True)
class Origin:
    """Where a table's rows came from, so problems can name the file and the line.

    Parameters
    ----------
    file : str
        The file as shown to the user (``deals.csv``, ``export.xlsx, sheet deals``).
    unit : {"line", "row"}
        What ``numbers`` count: the file's lines (CSV) or the sheet's rows (Excel).
    numbers : array of int, optional
        The line or row number of each data row, in order; ``None`` counts data rows from 1.
    columns : mapping of str to str, optional
        Contract column to the file's own column it was imported from (``satprofit import``):
        problems then name both.
    """

    file: str
    unit: str = "row"
    numbers: np.ndarray | None = None
    columns: Mapping[str, str] | None = None

    def label(self, pos: int) -> str:
        """``line 12`` / ``row 7`` of the data row at position ``pos``."""
        if self.numbers is not None and pos < len(self.numbers):
            return f"{self.unit} {int(self.numbers[pos])}"
        return f"row {pos + 1}"


class DataValidationError(ValueError):
    """A portfolio broke one or more rules of the data contract.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, in table order.
    source : str or None
        The folder or description of what was validated.
    """

    def __init__(self, problems: Iterable[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"portfolio{f' at {source}' if source else ''} breaks the data contract "
        head += f"({n} problem{'s' if n != 1 else ''}):"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table with columns file, table, column, rule, rows, examples."""
        return pd.DataFrame(
            {
                "file": [p.file or "" for p in self.problems],
                "table": [p.table for p in self.problems],
                "column": [p.column or "" for p in self.problems],
                "rule": [p.rule for p in self.problems],
                "rows": [p.n_rows for p in self.problems],
                "examples": [", ".join(p.examples) for p in self.problems],
            }
        )


class _Collector:
    """Accumulates problems, naming offending rows by key and by their line in the file."""

    def __init__(self, origins: Mapping[str, Origin] | None = None) -> None:
        self.problems: list[Problem] = []
        self.origins = dict(origins or {})

    def add(
        self,
        spec: TableSpec,
        column: str | None,
        rule: str,
        frame: pd.DataFrame | None = None,
        mask: np.ndarray | pd.Series | None = None,
        values: pd.Series | None = None,
    ) -> None:
        """Record a problem; with ``frame`` and ``mask``, only when some row breaks the rule.

        ``values`` (aligned with ``frame``) adds each example row's offending value.
        """
        origin = self.origins.get(spec.name)
        file = origin.file if origin else None
        if origin is not None and origin.columns and column in origin.columns:
            column = f"{column} (from {origin.columns[column]!r})"
        if frame is None or mask is None:
            self.problems.append(Problem(spec.name, column, rule, file=file))
            return
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n == 0:
            return
        positions = np.flatnonzero(mask)[:MAX_EXAMPLES]
        examples = []
        for i in positions:
            label = _row_label(spec, frame, i, origin)
            if values is not None:
                label += f": {_shown(values.iloc[i])}"
            examples.append(label)
        self.problems.append(Problem(spec.name, column, rule, n, tuple(examples), file=file))


def _shown(value: object) -> str:
    """A value as quoted in a message: repr of text (control characters escaped), cut at 40."""
    text = value if isinstance(value, str) else str(value)
    shown = repr(text)
    return shown if len(shown) <= 42 else shown[:38] + "...'"


def _row_label(spec: TableSpec, frame: pd.DataFrame, pos: int, origin: Origin | None = None) -> str:
    """``key='value' (line n)``, or ``line n`` when the key is blank.

    CSV rows are named by the file's line (header and blank lines counted), Excel rows by the
    sheet's row; without an origin, rows count data rows from 1 (header excluded).
    """
    where = origin.label(pos) if origin is not None else f"row {pos + 1}"
    if spec.key and spec.key in frame.columns:
        value = frame[spec.key].iloc[pos]
        if isinstance(value, str) and value.strip():
            return f"{spec.key}={_shown(value)} ({where})"
    return where


# ---------------------------------------------------------------------------------------------
# 1. structure and types
# ---------------------------------------------------------------------------------------------
def _blank(series: pd.Series) -> np.ndarray:
    """Missing or empty-after-strip values."""
    isna = series.isna().to_numpy()
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        text = series.astype("object").where(~isna, "")
        stripped = pd.Series(text, dtype="str").str.strip()
        return isna | (stripped == "").to_numpy()
    return isna


#: Control characters: none at all in keys, labels and vocabularies; free text may hold tabs and
#: line breaks. A NUL byte in a client id passes pandas but breaks file names and reports later.
_CONTROL_ANY = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"

_DATE_RULES = {
    "not_date": "not an ISO date (YYYY-MM-DD)",
    "time": "date with a time of day (calendar dates only, YYYY-MM-DD)",
    "tz": (
        "timestamp with a time zone (calendar dates only; 'satprofit import' converts "
        "timestamps to dates in a stated time zone)"
    ),
    "range": (
        f"date outside {DATE_MIN} to {DATE_MAX} (a placeholder such as 9999-12-31 or "
        "0001-01-01? leave it empty where the column may be empty)"
    ),
}

_DATETIME_TEXT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?",
    re.IGNORECASE,
)


def _date_of(value: object) -> tuple[str | None, str]:
    """One value as ISO date text, or why it is not a calendar date.

    Returns ``(iso, "ok")`` or ``(None, reason)`` with reason one of ``not_date``, ``time``,
    ``tz``. Midnight without a time zone is a calendar date (how pandas, Parquet and Excel store
    dates); any other time of day, and every time zone, is refused: which calendar day a
    timestamp falls on depends on a zone the file does not state.
    """
    if isinstance(value, str):
        m = _DATETIME_TEXT.fullmatch(value.strip())
        if m is None:
            return None, "not_date"
        if m[8]:
            return None, "tz"
        if any(part and int(part) for part in (m[4], m[5], m[6], m[7])):
            return None, "time"
        return f"{m[1]}-{m[2]}-{m[3]}", "ok"
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None, "not_date"
        day = value.astype("datetime64[D]")
        if day != value:
            return None, "time"
        return str(day), "ok"
    if isinstance(value, datetime.datetime):  # pandas Timestamps included
        if value.tzinfo is not None:
            return None, "tz"
        if value.time() != datetime.time(0) or getattr(value, "nanosecond", 0):
            return None, "time"
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}", "ok"
    if isinstance(value, datetime.date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}", "ok"
    return None, "not_date"


def _parse_dates(raw: pd.Series, blank: np.ndarray) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Parse a date column from text, Python dates or datetime64 of any unit or zone.

    Every value is brought to ISO text first and range-checked as text, so placeholders such
    as 9999-12-31 become a rule violation, never a timestamp overflow.
    """
    n = len(raw)
    reasons = np.full(n, "", dtype=object)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dt, "tz", None) is not None:
            reasons[~blank] = "tz"
            iso = pd.Series([None] * n, index=raw.index, dtype="object")
        else:
            days = raw.dt.floor("D")
            timed = (~blank & (raw != days).fillna(False).to_numpy()).astype(bool)
            reasons[timed] = "time"
            iso = days.dt.strftime("%Y-%m-%d").astype("object").where(~blank & ~timed, None)
    else:
        values = raw.astype("object").where(~blank, None).to_numpy(dtype=object)
        out = np.full(n, None, dtype=object)
        is_text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=n)
        text = pd.Series(values[is_text], dtype="str")
        plain = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).to_numpy(dtype=bool)
        fast = np.flatnonzero(is_text)[plain]
        out[fast] = text[plain].to_numpy(dtype=object)
        slow = ~blank
        slow[fast] = False
        seen: dict[object, tuple[str | None, str]] = {}  # dates repeat: classify each once
        for i in np.flatnonzero(slow):
            v = values[i]
            try:
                key = (type(v), v)
                if key not in seen:
                    seen[key] = _date_of(v)
                day, why = seen[key]
            except TypeError:  # unhashable (a list in a Parquet column): not a date
                day, why = None, "not_date"
            if day is None:
                reasons[i] = why
            else:
                out[i] = day
        iso = pd.Series(out, index=raw.index, dtype="object")
    present = iso.notna().to_numpy()
    text = pd.Series(iso.where(iso.notna(), ""), dtype="str")
    out_of_range = present & ((text < DATE_MIN) | (text > DATE_MAX)).to_numpy()
    reasons[out_of_range] = "range"
    keep = present & ~out_of_range
    parsed = pd.to_datetime(
        pd.Series(iso.where(keep, None), index=raw.index, dtype="object"),
        format="%Y-%m-%d",
        errors="coerce",
    ).astype("datetime64[ns]")
    impossible = keep & parsed.isna().to_numpy()  # 2023-02-30
    reasons[impossible] = "not_date"
    return parsed, {why: reasons == why for why in _DATE_RULES}


def _parse_column(col: ColumnSpec, raw: pd.Series, spec: TableSpec, frame, out: _Collector):
    """Parse one column into its logical type (nullable dtypes); report unparseable values."""
    blank = _blank(raw)
    if col.kind == "str":
        values = raw.astype("object").where(~blank, None)
        if not (pd.api.types.is_string_dtype(raw.dtype) or _all_text(values)):
            values = values.map(lambda v: v if v is None or isinstance(v, str) else _key_text(v))
        parsed = pd.Series(values, index=raw.index, dtype="str")
        pattern = _CONTROL_TEXT if col.free_text else _CONTROL_ANY
        control = parsed.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        rule = (
            "control character in text (NUL or another non-printing character)"
            if col.free_text
            else "control character in an id or label (NUL, tab, line break, ...)"
        )
        out.add(spec, col.name, rule, frame, control, values=parsed)
    elif col.kind == "date":
        parsed, issues = _parse_dates(raw, blank)
        for why, mask in issues.items():
            out.add(spec, col.name, _DATE_RULES[why], frame, mask, values=raw)
    elif col.kind == "bool":
        if pd.api.types.is_bool_dtype(raw.dtype):
            parsed = raw.astype("boolean")
        elif pd.api.types.is_numeric_dtype(raw.dtype):
            parsed = raw.map({1: True, 0: False}).astype("boolean")
        else:
            text = pd.Series(raw.astype("object").where(~blank, ""), dtype="str")
            text = text.str.strip().str.lower()
            parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            parsed[text.isin(TRUE_STRINGS).to_numpy()] = True
            parsed[text.isin(FALSE_STRINGS).to_numpy()] = False
        bad = ~blank & parsed.isna().to_numpy()
        out.add(spec, col.name, "not a boolean (true/false, 1/0, yes/no)", frame, bad, raw)
    else:  # int, float
        text = raw.astype("object").where(~blank, None)
        nums = pd.to_numeric(text, errors="coerce").astype("float64")
        finite = np.isfinite(nums.to_numpy())
        bad = ~blank & ~finite
        rule = "not a finite number"
        if col.kind == "int":
            whole = finite & (np.mod(np.nan_to_num(nums.to_numpy()), 1) == 0)
            bad = ~blank & ~whole
            rule = "not a whole number"
            parsed = nums.where(whole).round().astype("Int64")
        else:
            parsed = nums.where(finite)
        if bad.any() and _decimal_commas(text[bad]):
            rule += " (decimal commas? write 1234.5, or import with a mapping's decimal: ',')"
        out.add(spec, col.name, rule, frame, bad, raw)
    if not col.nullable:
        out.add(spec, col.name, "required value missing", frame, blank)
    return parsed


def _decimal_commas(values: pd.Series) -> bool:
    """Whether every value looks like a number written with a decimal comma (``1.234,5``)."""
    text = pd.Series(values.map(str), dtype="str").str.strip()
    return bool(text.str.fullmatch(r"-?[\d. ]*\d,\d+").all())


def _all_text(values: pd.Series) -> bool:
    return bool(values.map(type).isin([str, type(None)]).all())


def _key_text(v) -> str:
    """Keys are text even when a Parquet export stored them as numbers."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _final_dtype(col: ColumnSpec) -> str:
    return {
        "str": "str",
        "date": "datetime64[ns]",
        "bool": "bool" if not col.nullable else "boolean",
        "int": "int64" if not col.nullable else "Int64",
        "float": "float64",
    }[col.kind]


def _parse_table(spec: TableSpec, raw: pd.DataFrame | None, out: _Collector) -> pd.DataFrame | None:
    if raw is None:
        if not spec.optional:
            out.add(
                spec,
                None,
                "required table missing (no <table>.csv, .tsv, .parquet or .xlsx file)",
            )
        return None
    raw = raw.reset_index(drop=True)
    if raw.columns.duplicated().any():
        # Reached with frames built in Python; the file readers report duplicate headers with
        # their positions before pandas can rename them (contract_value.1).
        dups = sorted(set(map(str, raw.columns[raw.columns.duplicated()])))
        for name in dups:
            out.add(spec, name, "duplicate column name")
        return None
    missing = [c for c in spec.names if c not in raw.columns]
    for c in missing:
        out.add(spec, c, "required column missing")
    if missing:
        return None
    if len(raw) == 0 and not spec.allow_empty:
        out.add(spec, None, "table is empty (header only)")
    typed = raw.copy()
    for col in spec.columns:
        typed[col.name] = _parse_column(col, raw[col.name], spec, raw, out)
    return typed


# ---------------------------------------------------------------------------------------------
# 2. column rules through pandera
# ---------------------------------------------------------------------------------------------
def _pandera_schema(spec: TableSpec):
    import pandera.pandas as pa

    columns = {}
    for col in spec.columns:
        checks = []
        if col.isin is not None:
            checks.append(pa.Check.isin(list(col.isin), error=f"one of {', '.join(col.isin)}"))
        if col.ge is not None:
            checks.append(pa.Check.ge(col.ge, error=f">= {col.ge:g}"))
        if col.gt is not None:
            checks.append(pa.Check.gt(col.gt, error=f"> {col.gt:g}"))
        if col.le is not None:
            checks.append(pa.Check.le(col.le, error=f"<= {col.le:g}"))
        if col.nonempty:
            checks.append(
                pa.Check(
                    lambda s: s.str.strip().str.len() > 0,
                    element_wise=False,
                    error="non-empty text",
                )
            )
        # Nulls were reported while parsing; pandera judges the values that are present.
        columns[col.name] = pa.Column(
            nullable=True, unique=col.unique, checks=checks, coerce=False, required=True
        )
    return pa.DataFrameSchema(columns, strict=False, name=spec.name, report_duplicates="all")


def _check_columns(spec: TableSpec, typed: pd.DataFrame, out: _Collector) -> None:
    import pandera.errors as pae

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _pandera_schema(spec).validate(typed, lazy=True)
    except pae.SchemaErrors as err:
        cases = err.failure_cases
        for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
            idx = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int).unique()
            mask = np.zeros(len(typed), dtype=bool)
            mask[idx[(idx >= 0) & (idx < len(typed))]] = True
            rule = "unique" if str(check).startswith("field_uniqueness") else str(check)
            if mask.any():
                out.add(spec, None if pd.isna(column) else str(column), rule, typed, mask)
            else:
                out.add(spec, None if pd.isna(column) else str(column), rule)


# ---------------------------------------------------------------------------------------------
# 3. row and cross-table rules
# ---------------------------------------------------------------------------------------------
def _check_rows(tables: Mapping[str, pd.DataFrame], out: _Collector) -> None:
    def later(table, a, b, rule):
        if table in tables:
            df = tables[table]
            mask = (df[a] < df[b]).fillna(False).to_numpy()
            out.add(TABLES[table], a, rule, df, mask)

    later("deals", "close_date", "proposal_date", "close_date >= proposal_date")
    later("projects", "planned_end_date", "start_date", "planned_end_date >= start_date")
    later("projects", "actual_end_date", "start_date", "actual_end_date >= start_date")
    later("escalations", "resolved_date", "opened_date", "resolved_date >= opened_date")
    if "deals" in tables:
        d = tables["deals"]
        mask = (d["close_date"].isna() & (d["status"] != "open")).fillna(False).to_numpy()
        out.add(TABLES["deals"], "close_date", "required unless status is open", d, mask)
    if "projects" in tables:
        p = tables["projects"]
        mask = (p["milestones_on_time"] > p["milestones_planned"]).fillna(False).to_numpy()
        out.add(TABLES["projects"], "milestones_on_time", "<= milestones_planned", p, mask)
    if "survey_items" in tables:
        _check_survey_items(tables["survey_items"], out)


def _check_survey_items(items: pd.DataFrame, out: _Collector) -> None:
    """Scales, values within them and one value per response and item."""
    spec = TABLES["survey_items"]
    lo, hi, value = items["scale_min"], items["scale_max"], items["value"]
    which = items["response_id"].astype(str) + " " + items["item"].astype(str)
    scale = lo.astype(str) + " to " + hi.astype(str)
    out.add(spec, "scale_min", "< scale_max", items, (lo >= hi).fillna(False).to_numpy(), scale)
    for bad, rule in ((value < lo, ">= scale_min"), (value > hi, "<= scale_max")):
        shown = which + " = " + value.astype(str) + " on " + scale
        out.add(spec, "value", rule, items, bad.fillna(False).to_numpy(), shown)
    dup = items.duplicated(["response_id", "item"], keep=False).to_numpy()
    rule = "one value per (response_id, item): duplicate"
    out.add(spec, "item", rule, items, dup, which)


def _check_foreign_keys(tables: Mapping[str, pd.DataFrame], out: _Collector) -> None:
    for (table, column), (ref_table, ref_col) in FOREIGN_KEYS.items():
        if table not in tables or ref_table not in tables:
            continue
        values = tables[table][column]
        known = set(tables[ref_table][ref_col].dropna())
        mask = (values.notna() & ~values.isin(known)).to_numpy()
        out.add(TABLES[table], column, f"exists in {ref_table}.{ref_col}", tables[table], mask)

    def same_owner(table, via, owner_table, rule):
        if table not in tables or owner_table not in tables:
            return
        df = tables[table]
        owners = tables[owner_table].drop_duplicates(via).set_index(via)["client_id"]
        expected = df[via].map(owners)
        mask = (df[via].notna() & expected.notna() & (expected != df["client_id"])).to_numpy()
        out.add(TABLES[table], "client_id", rule, df, mask)

    same_owner("projects", "deal_id", "deals", "equals the deal's client_id")
    same_owner("escalations", "project_id", "projects", "equals the project's client_id")
    same_owner("surveys", "project_id", "projects", "equals the project's client_id")
    same_owner("interactions", "project_id", "projects", "equals the project's client_id")
    if "projects" in tables and "deals" in tables:
        p, d = tables["projects"], tables["deals"]
        status = p["deal_id"].map(d.drop_duplicates("deal_id").set_index("deal_id")["status"])
        mask = (status.notna() & (status != "won")).to_numpy()
        out.add(TABLES["projects"], "deal_id", "that deal is won", p, mask)


# ---------------------------------------------------------------------------------------------
def validate_tables(
    raw: Mapping[str, pd.DataFrame | None],
    *,
    source: str | None = None,
    extra_problems: Iterable[Problem] = (),
    origins: Mapping[str, Origin] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate raw contract tables and return them typed.

    Parameters
    ----------
    raw : mapping of str to DataFrame or None
        Table name to its rows as read (text or already typed). ``None`` or absent means the
        file is missing.
    source : str, optional
        Shown in the error message (e.g. the folder).
    extra_problems : iterable of Problem
        Problems found before validation (e.g. unreadable files), reported with the others.
    origins : mapping of str to Origin, optional
        Table name to the file its rows came from and each row's line: problems then name the
        file and the line (see :class:`Origin`).

    Returns
    -------
    dict of str to DataFrame
        Every contract table with contract dtypes: keys and text as ``str``, dates as
        ``datetime64[ns]``, booleans as ``bool``, counts as ``int64`` (``Int64`` where
        nullable), amounts as ``float64``. Optional tables that are absent come back empty.

    Raises
    ------
    DataValidationError
        Listing every problem found.
    """
    out = _Collector(origins)
    out.problems.extend(extra_problems)
    typed: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        frame = _parse_table(spec, raw.get(name), out)
        if frame is not None:
            _check_columns(spec, frame, out)
            typed[name] = frame
    _check_rows(typed, out)
    _check_foreign_keys(typed, out)
    if out.problems:
        raise DataValidationError(out.problems, source)
    result = {}
    for name, spec in TABLES.items():
        frame = typed.get(name)
        if frame is None:  # absent optional table
            frame = pd.DataFrame({c.name: pd.Series(dtype=_final_dtype(c)) for c in spec.columns})
        else:
            for col in spec.columns:
                frame[col.name] = frame[col.name].astype(_final_dtype(col))
        result[name] = frame
    return result
