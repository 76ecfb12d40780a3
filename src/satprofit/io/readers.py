"""Reading export files as users have them: CSV in any common dialect, Parquet, Excel.

Every reader returns a :class:`RawTable`: the rows as read (text for CSV, cell values for Excel,
typed columns for Parquet), where they came from (file and line of every row, for messages), the
notes worth telling the user (a header whose case was changed, a legacy encoding) and the
problems that kept the file from being read. Nothing here raises on a bad file: the loader
collects the problems of every file and the validator's, and raises them together.

What is recognised, and what is refused with a message naming the file:

- encoding: UTF-8 with or without a byte-order mark. A file that is not UTF-8 is refused with the
  line and column of the first byte that does not decode and a guess (Windows-1252, UTF-16),
  unless an ``encoding`` is given for such files (``--encoding cp1252``);
- delimiter: comma, semicolon or tab, sniffed from the header line; a header that still reads as
  one column is refused as such instead of as every column missing;
- a workbook, a Parquet file or an old ``.xls`` saved under a ``.csv`` name;
- header cells: surrounding spaces, upper case and inner spaces are normalised onto the
  contract's column names (``" Deal ID"`` -> ``deal_id``, with a note); two headers that name
  the same column are refused, before pandas can rename one to ``contract_value.1``;
- rows: blank lines are skipped, and every row keeps the number of the line it starts on;
  lines with more fields than the header are listed;
- Excel workbooks (``.xlsx``/``.xlsm``, read with openpyxl): one sheet per table, named like the
  table; rows keep the sheet's row numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.io.validation import Origin, Problem

#: File suffixes read as a table, by kind.
CSV_SUFFIXES = (".csv", ".tsv")
PARQUET_SUFFIXES = (".parquet",)
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Suffixes recognised only to say how to convert them.
REFUSED_SUFFIXES = {".xls": "an old Excel workbook (.xls): save it as .xlsx or as 'CSV UTF-8'"}
TABLE_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES + tuple(REFUSED_SUFFIXES)

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SAVE_AS = "save it as 'CSV UTF-8' in Excel (or another UTF-8 text export)"


@dataclass
class RawTable:
    """One table as read from its file.

    Attributes
    ----------
    frame : DataFrame or None
        The rows, header normalised; ``None`` when the file could not be read (see problems).
    origin : Origin
        The file as shown in messages and the line or row of every data row.
    notes : list of str
        Things done to read the file that the user should know (header renamed, encoding).
    problems : list of Problem
        Why the file could not be read; empty when ``frame`` is set.
    """

    frame: pd.DataFrame | None
    origin: Origin
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_encoding(encoding: str | None) -> str | None:
    """The codec name of ``encoding`` (``"Windows-1252"`` -> ``"cp1252"``).

    Raises
    ------
    ValueError
        When Python knows no such encoding.
    """
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r} (try utf-8, cp1252, latin-1 or utf-16)"
        ) from None


def header_key(name: object) -> str:
    """A header cell as compared with column names: trimmed, lower case, inner blanks as ``_``.

    >>> header_key("  Contract Value ")
    'contract_value'
    """
    return re.sub(r"[\s\-]+", "_", str(name).strip()).lower()


# ---------------------------------------------------------------------------------------------
# finding a table's file
# ---------------------------------------------------------------------------------------------
def find_table_files(folder: Path, names: Iterable[str]) -> dict[str, list[Path]]:
    """The files in ``folder`` that hold each table: ``<table>.<suffix>``, any case.

    A table with more than one file (``deals.csv`` and ``deals.parquet``, or ``deals.csv`` and
    ``Deals.csv``) lists them all; the caller refuses the ambiguity.
    """
    wanted = set(names)
    found: dict[str, list[Path]] = {name: [] for name in wanted}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        stem, suffix = path.stem.strip().lower(), path.suffix.lower()
        if stem in wanted and suffix in TABLE_SUFFIXES:
            found[stem].append(path)
    return found


def read_table_file(
    path: Path,
    table: str,
    *,
    expected: Iterable[str] = (),
    encoding: str | None = None,
    shown: str | None = None,
    sheet: str | None = None,
    all_duplicates: bool = True,
) -> RawTable:
    """Read one table's file, whichever of the supported formats it is.

    Parameters
    ----------
    path : Path
        The file.
    table : str
        The table it holds (problems are filed under it; an Excel file's sheet of that name is
        read, or its only sheet).
    expected : iterable of str
        Column names to normalise header cells onto (the contract's, for a portfolio).
    encoding : str, optional
        Encoding of text files that are not UTF-8.
    shown : str, optional
        How to name the file in messages (default: its name).
    sheet : str, optional
        The sheet of a workbook to read (default: the one named like ``table``, or the only one).
    all_duplicates : bool
        Refuse any repeated header (default), or only repeats of ``expected`` names.
    """
    shown = shown or path.name
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        return _refused(table, shown, f"{REFUSED_SUFFIXES[suffix]}")
    try:
        if suffix in EXCEL_SUFFIXES:
            book = read_workbook(
                path,
                [table],
                expected={table: expected},
                shown=shown,
                sheets={table: sheet} if sheet else None,
                all_duplicates=all_duplicates,
            )
            return book[table] or _refused(
                table, shown, f"no sheet named {table!r}, and more than one sheet"
            )
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(path, table, expected, shown, all_duplicates)
        data = path.read_bytes()
    except OSError as exc:
        return _refused(table, shown, f"cannot be read: {exc.strerror or exc}")
    return read_csv_bytes(
        data,
        table,
        expected=expected,
        encoding=encoding,
        shown=shown,
        tsv=suffix == ".tsv",
        all_duplicates=all_duplicates,
    )


def _refused(table: str, shown: str, rule: str) -> RawTable:
    return RawTable(None, Origin(shown), problems=[Problem(table, None, rule, file=shown)])


# ---------------------------------------------------------------------------------------------
# headers
# ---------------------------------------------------------------------------------------------
def normalise_header(
    cells: list[object],
    expected: Iterable[str],
    table: str,
    shown: str,
    *,
    all_duplicates: bool = True,
) -> tuple[list[str], list[str], list[Problem]]:
    """Header cells as column names: exact names kept, others matched by :func:`header_key`.

    Returns the names, a note listing renamed cells, and one problem per name that two cells
    give (with both cells' positions and spellings); with ``all_duplicates=False`` only names in
    ``expected`` count (an export's unused columns may repeat).
    """
    wanted = {header_key(name): name for name in expected}
    names, renamed = [], []
    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell)
        if text in wanted.values():
            names.append(text)
        elif header_key(text) in wanted:
            names.append(wanted[header_key(text)])
            renamed.append(f"{text!r} -> {wanted[header_key(text)]}")
        elif not text.strip():
            names.append(f"(column {i + 1})")
        else:
            names.append(text)
    notes = []
    if renamed:
        notes.append(f"{shown}: header cells normalised (case, spaces): {', '.join(renamed)}")
    problems = []
    for name, n in Counter(names).items():
        if n > 1 and (all_duplicates or name in wanted.values()):
            where = [f"column {i + 1} {str(cells[i])!r}" for i, c in enumerate(names) if c == name]
            problems.append(
                Problem(
                    table,
                    name,
                    f"duplicate column name: {n} header cells name it ({', '.join(where)}); "
                    "keep one",
                    file=shown,
                )
            )
    return names, notes, problems


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------
def read_csv_bytes(
    data: bytes,
    table: str,
    *,
    expected: Iterable[str] = (),
    encoding: str | None = None,
    shown: str = "<csv>",
    tsv: bool = False,
    all_duplicates: bool = True,
) -> RawTable:
    """Read CSV bytes: encoding, delimiter and header checked, every row's line number kept."""
    expected = list(expected)
    origin = Origin(shown, "line")
    kind = _binary_kind(data)
    if kind:
        return _refused(table, shown, f"not a CSV text file: it is {kind}")
    text, used, problem = _decode(data, shown, check_encoding(encoding))
    if problem:
        return _refused(table, shown, problem)
    notes = [f"{shown}: read as {used} (not UTF-8)"] if used not in ("utf-8", "utf-8-sig") else []
    header_text = _first_line(text)
    if header_text is None:
        return _refused(table, shown, "file is empty (no header row)")
    sep = "\t" if tsv else _sniff_delimiter(header_text)
    header = next(
        (r for r in csv.reader(io.StringIO(header_text, newline=""), delimiter=sep) if r), []
    )
    if (
        len(header) == 1
        and len(expected) > 1
        and header_key(header[0]) not in map(header_key, expected)
    ):
        cell = header[0] if len(header[0]) <= 60 else header[0][:57] + "..."
        return _refused(
            table,
            shown,
            f"header read as one column ({cell!r}): the delimiter is not a comma, semicolon "
            "or tab; save the file as CSV with one of those",
        )
    names, header_notes, problems = normalise_header(
        header, expected, table, shown, all_duplicates=all_duplicates
    )
    if problems:
        return RawTable(None, origin, notes + header_notes, problems)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            header=0,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        return _refused(table, shown, _parser_problem(text, sep, len(header), exc))
    if len(frame.columns) != len(names):
        return _refused(table, shown, "the header and the rows disagree on the number of columns")
    frame.columns = names
    lines = _record_lines(text, sep)
    if lines is not None and len(lines) == len(frame) + 1:
        origin = Origin(shown, "line", lines[1:])
    else:  # should not happen; rows are then counted instead of lines
        origin = Origin(shown, "row")
    delimiter_note = [f"{shown}: {_DELIMITERS[sep]}-delimited"] if sep != "," and not tsv else []
    return RawTable(frame, origin, notes + delimiter_note + header_notes)


def _binary_kind(data: bytes) -> str | None:
    """What a file that is not text is, from its first bytes."""
    if data.startswith(b"PK\x03\x04"):
        return (
            "a ZIP archive, most likely an Excel workbook (.xlsx) renamed .csv; give it the "
            f".xlsx suffix, or {_SAVE_AS}"
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return f"an old Excel workbook (.xls) renamed .csv; {_SAVE_AS}"
    if data.startswith(b"PAR1"):
        return "a Parquet file; give it the .parquet suffix"
    return None


def _looks_utf16(data: bytes) -> str | None:
    """``"UTF-16"``/``"UTF-32"`` when the bytes are that (BOM, or NUL every other byte)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = data[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if max(even, odd) > 0.4 * (len(sample) / 2) and min(even, odd) < 0.1 * (len(sample) / 2):
            return "UTF-16"
    return None


def _decode(data: bytes, shown: str, legacy: str | None) -> tuple[str, str, str | None]:
    """``(text, encoding used, None)`` or ``("", "", problem)``."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError as exc:
            return "", "", _undecodable(data, exc, "UTF-8 (it starts with a UTF-8 byte-order mark)")
    wide = _looks_utf16(data)
    if wide:
        if legacy and legacy.startswith(wide.lower()):
            try:
                return data.decode(legacy), legacy, None
            except UnicodeDecodeError as exc:
                return "", "", _undecodable(data, exc, legacy)
        return (
            "",
            "",
            f"{wide} text, not UTF-8: {_SAVE_AS}, or pass --encoding {wide.lower()}",
        )
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as exc:
        if legacy and legacy != "utf-8":
            try:
                return data.decode(legacy), legacy, None
            except UnicodeDecodeError as exc2:
                return "", "", _undecodable(data, exc2, legacy)
        return "", "", _undecodable(data, exc, "UTF-8", guess=True)


def _undecodable(data: bytes, exc: UnicodeDecodeError, encoding: str, guess=False) -> str:
    """Where the first undecodable byte is (line and column), and what to do about it."""
    pos = exc.start
    line_start = data.rfind(b"\n", 0, pos) + 1
    line = data.count(b"\n", 0, pos) + 1
    column = len(data[line_start:pos].decode("utf-8", errors="replace")) + 1
    byte = data[pos : pos + 1].hex()
    near = data[max(line_start, pos - 20) : pos + 20].split(b"\n")[0]
    msg = f"not {encoding} text: byte 0x{byte} at line {line}, column {column} does not decode"
    if not guess:
        return f"{msg}; is {encoding} the right encoding?"
    try:
        as_1252 = near.decode("cp1252")
        return (
            f"{msg} (as Windows-1252 it reads {as_1252!r}); the file looks like Windows-1252 "
            f"(Excel's plain 'CSV' on Windows): {_SAVE_AS}, or pass --encoding cp1252"
        )
    except UnicodeDecodeError:
        return f"{msg}; {_SAVE_AS}, or pass --encoding with the file's encoding"


def _lines(text: str) -> list[str]:
    """The lines of a CSV text, split the way CSV parsers split them (CR, LF or CRLF)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _first_line(text: str) -> str | None:
    """The first line that is not blank (the header), without splitting the whole text."""
    start = 0
    while start <= len(text):
        end = min(
            (i for i in (text.find("\n", start), text.find("\r", start)) if i >= 0),
            default=len(text),
        )
        line = text[start:end]
        if line.strip(" \t"):
            return line
        if end >= len(text):
            return None
        start = end + 1
    return None


def _sniff_delimiter(header: str) -> str:
    """Comma, semicolon or tab: whichever the header line has most of, outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {sep: unquoted.count(sep) for sep in _DELIMITERS}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","


def _record_lines(text: str, sep: str) -> np.ndarray | None:
    """The line each record (header first) starts on.

    Blank lines are skipped as pandas skips them: empty, or only spaces and tabs that are not
    the delimiter.
    """
    blank_chars = " \t".replace(sep, "")
    if '"' not in text:  # no quoted field can span lines: records are the non-blank lines
        lines = _lines(text)
        starts = [i + 1 for i, line in enumerate(lines) if line.strip(blank_chars)]
        return np.asarray(starts, dtype=np.int64)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    starts, previous = [], 0
    try:
        for record in reader:
            if record and not (len(record) == 1 and not record[0].strip(blank_chars)):
                starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        return None
    return np.asarray(starts, dtype=np.int64)


def _parser_problem(text: str, sep: str, width: int, exc: Exception) -> str:
    """A pandas parser error as a message naming the lines at fault."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    long_lines, previous = [], 0
    try:
        for record in reader:
            if len(record) > width:
                long_lines.append(f"line {previous + 1} ({len(record)} fields)")
            previous = reader.line_num
    except csv.Error:
        return (
            f"a quoted field opened at line {previous + 1} is not closed (file truncated, or a "
            f'stray " in a value?)'
        )
    if long_lines:
        shown = ", ".join(long_lines[:5]) + (", ..." if len(long_lines) > 5 else "")
        return (
            f"{len(long_lines)} line(s) with more fields than the header's {width} (a "
            f"{_DELIMITERS.get(sep, repr(sep))} inside a value that is not quoted?): {shown}"
        )
    if "EOF inside string" in message:
        return f"a quoted field is not closed before the end of the file (truncated?): {message}"
    return f"unreadable CSV: {message}"


# ---------------------------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------------------------
def _read_parquet(
    path: Path, table: str, expected: Iterable[str], shown: str, all_duplicates: bool = True
) -> RawTable:
    import pyarrow.parquet as pq

    try:
        names = list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...: name the file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _refused(table, shown, f"unreadable Parquet file (corrupt or truncated?): {first}")
    columns, notes, problems = normalise_header(
        names, expected, table, shown, all_duplicates=all_duplicates
    )
    if problems:
        return RawTable(None, Origin(shown), notes, problems)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _refused(table, shown, f"unreadable Parquet file (corrupt or truncated?): {first}")
    frame.columns = columns
    return RawTable(frame, Origin(shown, "row"), notes)


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------
def read_workbook(
    path: Path,
    tables: Iterable[str],
    *,
    expected: dict[str, Iterable[str]] | None = None,
    shown: str | None = None,
    sheets: dict[str, str] | None = None,
    all_duplicates: bool = True,
) -> dict[str, RawTable | None]:
    """Read tables from the sheets of an Excel workbook (openpyxl, values not formulas).

    Parameters
    ----------
    path : Path
        An ``.xlsx`` or ``.xlsm`` workbook.
    tables : iterable of str
        The tables wanted. Each is the sheet of that name (case and spaces ignored); a workbook
        with a single sheet gives it to a single table asked for.
    expected : dict, optional
        Table to the column names its header is normalised onto.
    shown : str, optional
        The workbook's name in messages.
    sheets : dict, optional
        Table to the sheet name to read instead of the table's name.
    all_duplicates : bool
        See :func:`read_table_file`.

    Returns
    -------
    dict of str to RawTable or None
        ``None`` for a table with no sheet.
    """
    tables = list(tables)
    shown = shown or path.name
    expected = expected or {}
    try:
        import openpyxl

        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, styles)
            warnings.filterwarnings("ignore", module="openpyxl")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem = f"unreadable Excel workbook (corrupt or truncated?): {first}"
        return {t: _refused(t, shown, problem) for t in tables}
    try:
        by_key = {header_key(name): name for name in book.sheetnames}
        out: dict[str, RawTable | None] = {}
        for table in tables:
            wanted = (sheets or {}).get(table, table)
            sheet = by_key.get(header_key(wanted))
            if sheet is None and len(tables) == 1 and len(book.sheetnames) == 1:
                sheet = book.sheetnames[0]
            if sheet is None:
                if sheets and table in sheets:
                    out[table] = _refused(
                        table,
                        shown,
                        f"no sheet {wanted!r} (sheets: {', '.join(book.sheetnames)})",
                    )
                else:
                    out[table] = None
                continue
            where = f"{shown}, sheet {sheet}"
            out[table] = _read_sheet(
                book[sheet], table, expected.get(table, ()), where, all_duplicates
            )
        return out
    finally:
        book.close()


def _blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(
    sheet, table: str, expected: Iterable[str], shown: str, all_duplicates: bool = True
) -> RawTable:
    if hasattr(sheet, "reset_dimensions"):
        # read-only sheets trust the file's stated used range, which some tools write wrong
        # (A1:A1): read every row there is instead
        sheet.reset_dimensions()
    rows = sheet.iter_rows(min_row=1, values_only=True)
    header, header_row = None, 0
    for number, row in enumerate(rows, start=1):
        if not all(_blank_cell(v) for v in row):
            header, header_row = list(row), number
            break
    if header is None:
        return _refused(table, shown, "sheet is empty (no header row)")
    while header and _blank_cell(header[-1]):
        header.pop()
    width = len(header)
    names, notes, problems = normalise_header(
        header, expected, table, shown, all_duplicates=all_duplicates
    )
    if problems:
        return RawTable(None, Origin(shown, "row"), notes, problems)
    records, numbers, overflow = [], [], []
    for number, row in enumerate(rows, start=header_row + 1):
        if all(_blank_cell(v) for v in row):
            continue
        if any(not _blank_cell(v) for v in row[width:]):
            overflow.append(f"row {number}")
        cells = [None if _blank_cell(v) else v for v in row[:width]]
        records.append(cells + [None] * (width - len(cells)))
        numbers.append(number)
    if overflow:
        shown_rows = ", ".join(overflow[:5]) + (", ..." if len(overflow) > 5 else "")
        return _refused(
            table,
            shown,
            f"{len(overflow)} row(s) with values right of the last header cell: {shown_rows}",
        )
    columns = list(zip(*records, strict=True)) if records else [()] * width
    frame = pd.DataFrame(
        {i: pd.Series(list(col), dtype="object") for i, col in enumerate(columns)},
        index=pd.RangeIndex(len(records)),
    )
    frame.columns = names
    return RawTable(frame, Origin(shown, "row", np.asarray(numbers, dtype=np.int64)), notes)
