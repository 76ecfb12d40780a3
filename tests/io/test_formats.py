"""Exports as users have them: encodings, delimiters, workbooks, headers, timestamps, placeholders.

Every variant is generated here from the small simulated portfolio (``csv_copy``), the way a
CRM, a PSA tool or Excel would have written it; nothing binary is committed. Each test states
the message a user sees: the file, the line, the column and the rule.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from satprofit.cli import main
from satprofit.io import DataValidationError, load_portfolio, write_portfolio


def _text(folder: Path, table: str) -> str:
    return (folder / f"{table}.csv").read_text(encoding="utf-8")


def _frame(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _problems(folder: Path, **kw) -> list:
    with pytest.raises(DataValidationError) as info:
        load_portfolio(folder, **kw)
    return info.value.problems


def _accented_clients(folder: Path) -> None:
    """Client names with characters outside ASCII (but inside Windows-1252)."""
    clients = _frame(folder, "clients")
    clients["client_name"] = [f"Café Olé {i} Société" for i in range(len(clients))]
    clients.to_csv(folder / "clients.csv", index=False)


# ---------------------------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------------------------
def test_windows_1252_file_is_named_with_line_column_and_hint(csv_copy):
    _accented_clients(csv_copy)
    (csv_copy / "clients.csv").write_bytes(_text(csv_copy, "clients").encode("cp1252"))
    problems = _problems(csv_copy)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.table) == ("clients.csv", "clients")
    # "Café" on the first data row: line 2, the 'é' is character 19 of that line
    line2 = _text_lines_cp1252(csv_copy / "clients.csv")[1]
    column = line2.index("é") + 1
    assert f"byte 0xe9 at line 2, column {column}" in p.rule
    assert "Windows-1252" in p.rule and "--encoding cp1252" in p.rule and "UTF-8" in p.rule


def _text_lines_cp1252(path: Path) -> list[str]:
    return path.read_bytes().decode("cp1252").split("\n")


def test_windows_1252_file_reads_with_encoding_option(csv_copy):
    _accented_clients(csv_copy)
    (csv_copy / "clients.csv").write_bytes(_text(csv_copy, "clients").encode("cp1252"))
    portfolio = load_portfolio(csv_copy, encoding="cp1252")
    assert portfolio.clients["client_name"].iloc[0] == "Café Olé 0 Société"
    assert any("clients.csv: read as cp1252" in n for n in portfolio.notes)


def test_encoding_option_leaves_utf8_files_utf8(csv_copy):
    """A legacy encoding is for the files that are not UTF-8; UTF-8 files stay UTF-8."""
    _accented_clients(csv_copy)
    portfolio = load_portfolio(csv_copy, encoding="cp1252")
    assert portfolio.clients["client_name"].iloc[0] == "Café Olé 0 Société"


def test_unknown_encoding_is_a_usage_error(csv_copy, capsys):
    with pytest.raises(ValueError, match="unknown encoding"):
        load_portfolio(csv_copy, encoding="klingon-8")
    assert main(["validate", str(csv_copy), "--encoding", "klingon-8"]) == 2
    assert "unknown encoding" in capsys.readouterr().err


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_file_is_named_with_hint(csv_copy, codec):
    """Excel's 'Unicode text' and many Windows tools write UTF-16 (with or without a BOM)."""
    (csv_copy / "deals.csv").write_bytes(_text(csv_copy, "deals").encode(codec))
    problems = _problems(csv_copy)
    assert len(problems) == 1, problems
    assert problems[0].file == "deals.csv"
    assert "UTF-16 text, not UTF-8" in problems[0].rule
    assert "--encoding utf-16" in problems[0].rule


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_reads_with_encoding_option(csv_copy, small_sim, codec):
    (csv_copy / "deals.csv").write_bytes(_text(csv_copy, "deals").encode(codec))
    deals = load_portfolio(csv_copy, encoding=codec).deals
    pd.testing.assert_frame_equal(deals, small_sim.portfolio.deals)


def test_utf8_with_byte_order_mark_is_read(csv_copy, small_sim):
    _accented_clients(csv_copy)
    (csv_copy / "clients.csv").write_bytes(_text(csv_copy, "clients").encode("utf-8-sig"))
    portfolio = load_portfolio(csv_copy)
    assert list(portfolio.clients.columns)[0] == "client_id"  # no '\ufeffclient_id'
    assert portfolio.clients["client_name"].iloc[0] == "Café Olé 0 Société"
    assert portfolio.notes == ()


# ---------------------------------------------------------------------------------------------
# delimiters
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_delimiters_are_sniffed(csv_copy, small_sim, sep, name):
    _frame(csv_copy, "deals").to_csv(csv_copy / "deals.csv", sep=sep, index=False)
    portfolio = load_portfolio(csv_copy)
    pd.testing.assert_frame_equal(portfolio.deals, small_sim.portfolio.deals)
    assert f"deals.csv: {name}-delimited" in portfolio.notes


def test_tsv_file_is_read(csv_copy, small_sim):
    _frame(csv_copy, "surveys").to_csv(csv_copy / "surveys.tsv", sep="\t", index=False)
    (csv_copy / "surveys.csv").unlink()
    pd.testing.assert_frame_equal(load_portfolio(csv_copy).surveys, small_sim.portfolio.surveys)


def test_header_read_as_one_column_says_so(csv_copy):
    _frame(csv_copy, "deals").to_csv(csv_copy / "deals.csv", sep="|", index=False)
    problems = _problems(csv_copy)
    assert len(problems) == 1, "one message, not a list of every column missing"
    assert problems[0].file == "deals.csv"
    assert problems[0].rule.startswith("header read as one column ('deal_id|client_id|")
    assert "delimiter" in problems[0].rule


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------
def _workbook(portfolio, path: Path, *, sheet_case=str) -> Path:
    """The portfolio as an .xlsx workbook, one sheet per table, dates as Excel dates."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in portfolio.tables.items():
        sheet = book.create_sheet(sheet_case(name))
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
    book.save(path)
    return path


def _cell(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def test_xlsx_workbook_one_sheet_per_table(small_sim, tmp_path):
    book = _workbook(small_sim.portfolio, tmp_path / "export.xlsx", sheet_case=str.title)
    portfolio = load_portfolio(book)
    for name, frame in small_sim.portfolio.tables.items():
        pd.testing.assert_frame_equal(portfolio.tables[name], frame, obj=name)


def test_xlsx_file_per_table_in_folder(csv_copy, small_sim):
    import openpyxl

    deals = small_sim.portfolio.deals
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opportunities export"
    sheet.append(list(deals.columns))
    for row in deals.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    book.save(csv_copy / "deals.xlsx")
    (csv_copy / "deals.csv").unlink()
    pd.testing.assert_frame_equal(load_portfolio(csv_copy).deals, deals)


def test_xlsx_problems_name_sheet_and_row(small_sim, tmp_path):
    import openpyxl

    book = _workbook(small_sim.portfolio, tmp_path / "export.xlsx")
    wb = openpyxl.load_workbook(book)
    sheet = wb["surveys"]
    sheet.insert_rows(3)  # a blank row: row numbers still match the sheet's
    csat = [c.value for c in sheet[1]].index("csat") + 1
    sheet.cell(row=5, column=csat, value=9)
    wb.save(book)
    problems = _problems(book)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.column, p.rule) == ("export.xlsx, sheet surveys", "csat", "<= 5")
    assert p.examples[0].endswith("(row 5): 9") or "(row 5)" in p.examples[0]


def test_xlsx_renamed_csv_is_named_as_a_workbook(csv_copy, small_sim, tmp_path):
    book = _workbook(small_sim.portfolio, tmp_path / "export.xlsx")
    (csv_copy / "deals.csv").write_bytes(book.read_bytes())
    problems = _problems(csv_copy)
    assert len(problems) == 1, problems
    assert problems[0].file == "deals.csv"
    assert "Excel workbook (.xlsx) renamed .csv" in problems[0].rule
    assert "codec" not in problems[0].rule


def test_truncated_workbook_names_the_file(small_sim, tmp_path):
    book = _workbook(small_sim.portfolio, tmp_path / "export.xlsx")
    book.write_bytes(book.read_bytes()[:2000])
    problems = _problems(book)
    assert problems and all(p.file == "export.xlsx" for p in problems)
    assert "unreadable Excel workbook (corrupt or truncated?)" in problems[0].rule
    assert len({p.rule for p in problems}) == 1


# ---------------------------------------------------------------------------------------------
# headers
# ---------------------------------------------------------------------------------------------
def test_header_case_and_spaces_are_normalised_with_a_note(csv_copy, small_sim):
    deals = _frame(csv_copy, "deals")
    deals.columns = [
        " Deal ID ",
        "CLIENT_ID",
        "Deal Type",
        *deals.columns[3:-1],
        "contract_value ",
    ]
    deals.to_csv(csv_copy / "deals.csv", index=False)
    portfolio = load_portfolio(csv_copy)
    pd.testing.assert_frame_equal(portfolio.deals, small_sim.portfolio.deals)
    (note,) = [n for n in portfolio.notes if n.startswith("deals.csv: header")]
    assert "' Deal ID ' -> deal_id" in note and "'CLIENT_ID' -> client_id" in note


def test_duplicate_header_is_rejected_not_renamed(csv_copy):
    """pandas would read the second contract_value as contract_value.1 and keep the first."""
    text = _text(csv_copy, "deals").splitlines()
    text[0] += ",contract_value"
    text[1:] = [line + ",0" for line in text[1:]]
    (csv_copy / "deals.csv").write_text("\n".join(text) + "\n")
    problems = _problems(csv_copy)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.file, p.table, p.column) == ("deals.csv", "deals", "contract_value")
    assert "duplicate column name" in p.rule and "column 12" in p.rule and "column 13" in p.rule


def test_duplicate_header_after_normalising_is_rejected(csv_copy):
    deals = _frame(csv_copy, "deals")
    deals["Deal ID"] = deals["deal_id"]
    deals.to_csv(csv_copy / "deals.csv", index=False)
    (p,) = _problems(csv_copy)
    assert p.column == "deal_id" and "'Deal ID'" in p.rule


def test_duplicate_column_in_parquet_is_rejected(csv_copy, small_sim):
    deals = pa.Table.from_pandas(small_sim.portfolio.deals, preserve_index=False)
    deals = deals.append_column("Status", deals.column("status"))
    pq.write_table(deals, csv_copy / "deals.parquet")
    (csv_copy / "deals.csv").unlink()
    (p,) = _problems(csv_copy)
    assert (p.file, p.column) == ("deals.parquet", "status") and "duplicate" in p.rule


# ---------------------------------------------------------------------------------------------
# dates: one rule for CSV, Parquet and Excel
# ---------------------------------------------------------------------------------------------
def _parquet_with(folder: Path, portfolio, table: str, column: str, values: pa.Array) -> None:
    frame = pa.Table.from_pandas(portfolio.tables[table], preserve_index=False)
    i = frame.schema.get_field_index(column)
    pq.write_table(frame.set_column(i, column, values), folder / f"{table}.parquet")
    (folder / f"{table}.csv").unlink()


def test_parquet_timestamps_with_time_zone_are_rejected(csv_copy, small_sim):
    """Local midnight stored as UTC is the previous day: the loader does not guess the zone."""
    dates = small_sim.portfolio.surveys["date"]
    utc = pd.to_datetime(dates).dt.tz_localize("Europe/Berlin").dt.tz_convert("UTC")
    _parquet_with(csv_copy, small_sim.portfolio, "surveys", "date", pa.array(utc))
    (p,) = _problems(csv_copy)
    assert (p.file, p.column, p.n_rows) == ("surveys.parquet", "date", len(dates))
    assert p.rule.startswith("timestamp with a time zone")
    assert "22:00:00+00:00" in p.examples[0] or "23:00:00+00:00" in p.examples[0]


def test_parquet_timestamps_with_time_of_day_are_rejected(csv_copy, small_sim):
    dates = pd.to_datetime(small_sim.portfolio.surveys["date"])
    timed = dates + pd.to_timedelta(np.where(np.arange(len(dates)) % 3 == 0, 14, 0), unit="h")
    _parquet_with(csv_copy, small_sim.portfolio, "surveys", "date", pa.array(timed))
    (p,) = _problems(csv_copy)
    assert p.rule.startswith("date with a time of day") and p.n_rows == (len(dates) + 2) // 3
    assert p.examples[0].startswith("response_id=") and "14:00:00" in p.examples[0]


def test_parquet_midnight_timestamps_and_date32_are_dates(csv_copy, small_sim):
    dates = small_sim.portfolio.surveys["date"]
    as_date32 = pa.array(dates.dt.date.tolist(), pa.date32())
    _parquet_with(csv_copy, small_sim.portfolio, "surveys", "date", as_date32)
    pd.testing.assert_series_equal(load_portfolio(csv_copy).surveys["date"], dates)


def test_csv_timestamps_follow_the_same_rule(csv_copy):
    surveys = _frame(csv_copy, "surveys")
    surveys.loc[0, "date"] = surveys.loc[0, "date"] + "T22:00:00Z"
    surveys.loc[1, "date"] = surveys.loc[1, "date"] + " 14:30"
    surveys.loc[2, "date"] = surveys.loc[2, "date"] + " 00:00:00"  # midnight: a calendar date
    surveys.to_csv(csv_copy / "surveys.csv", index=False)
    problems = _problems(csv_copy)
    rules = sorted((p.rule.split(" (")[0], p.examples[0].split(" (")[1]) for p in problems)
    assert rules == [
        ("date with a time of day", "line 3): '" + surveys.loc[1, "date"] + "'"),
        ("timestamp with a time zone", "line 2): '" + surveys.loc[0, "date"] + "'"),
    ]


def test_excel_datetimes_follow_the_same_rule(small_sim, tmp_path):
    import openpyxl

    book = _workbook(small_sim.portfolio, tmp_path / "export.xlsx")
    wb = openpyxl.load_workbook(book)
    sheet = wb["leads"]
    col = [c.value for c in sheet[1]].index("created_date") + 1
    sheet.cell(row=2, column=col).value = dt.datetime(2023, 3, 31, 22, 15)
    wb.save(book)
    (p,) = _problems(book)
    assert p.rule.startswith("date with a time of day") and "(row 2)" in p.examples[0]


# ---------------------------------------------------------------------------------------------
# placeholder dates
# ---------------------------------------------------------------------------------------------
def test_placeholder_dates_in_csv_are_a_rule_violation_and_others_still_listed(csv_copy):
    projects = _frame(csv_copy, "projects")
    projects.loc[0, "planned_end_date"] = "9999-12-31"
    projects.loc[1, "start_date"] = "0001-01-01"
    projects.to_csv(csv_copy / "projects.csv", index=False)
    clients = _frame(csv_copy, "clients")
    clients.loc[0, "size_band"] = "huge"
    clients.to_csv(csv_copy / "clients.csv", index=False)
    problems = _problems(csv_copy)
    found = {(p.file, p.table, p.column, p.rule.split(" (")[0]) for p in problems}
    assert (
        "projects.csv",
        "projects",
        "planned_end_date",
        "date outside 1900-01-01 to 2199-12-31",
    ) in found
    assert (
        "projects.csv",
        "projects",
        "start_date",
        "date outside 1900-01-01 to 2199-12-31",
    ) in found
    assert (
        "clients.csv",
        "clients",
        "size_band",
        "one of small, medium, large, enterprise",
    ) in found
    placeholder = next(p for p in problems if p.column == "planned_end_date")
    assert placeholder.examples == (
        f"project_id='{projects.loc[0, 'project_id']}' (line 2): '9999-12-31'",
    )
    assert "Out of bounds" not in str(problems)


@pytest.mark.parametrize("kind", ["timestamp", "date32"])
def test_placeholder_dates_in_parquet_are_a_rule_violation(csv_copy, small_sim, kind):
    ends = small_sim.portfolio.projects["actual_end_date"]
    values = [None if pd.isna(v) else v.to_pydatetime() for v in ends]
    running = [i for i, v in enumerate(values) if v is None]
    values[running[0]] = dt.datetime(9999, 12, 31)  # "still running" as a PSA tool writes it
    array = (
        pa.array(values, pa.timestamp("us"))
        if kind == "timestamp"
        else pa.array([None if v is None else v.date() for v in values], pa.date32())
    )
    _parquet_with(csv_copy, small_sim.portfolio, "projects", "actual_end_date", array)
    (p,) = _problems(csv_copy)
    assert (p.file, p.column, p.n_rows) == ("projects.parquet", "actual_end_date", 1)
    assert p.rule.startswith("date outside 1900-01-01 to 2199-12-31")
    assert f"(row {running[0] + 1})" in p.examples[0]


# ---------------------------------------------------------------------------------------------
# control characters, row numbers, broken files
# ---------------------------------------------------------------------------------------------
def test_nul_byte_in_client_id_is_rejected(csv_copy, capsys):
    text = _text(csv_copy, "clients").split("\n")
    text[3] = text[3].replace(",", "\x00,", 1)  # the third client's id ends in NUL
    (csv_copy / "clients.csv").write_text("\n".join(text))
    problems = _problems(csv_copy)
    ctrl = next(p for p in problems if p.rule.startswith("control character"))
    assert (ctrl.file, ctrl.column, ctrl.n_rows) == ("clients.csv", "client_id", 1)
    assert "(line 4)" in ctrl.examples[0] and "\\x00" in ctrl.examples[0]
    assert main(["validate", str(csv_copy)]) == 1
    assert "control character" in capsys.readouterr().out


def test_line_breaks_in_names_are_allowed_but_not_in_ids(csv_copy):
    clients = _frame(csv_copy, "clients")
    clients.loc[0, "client_name"] = "Two\nlines"
    clients.loc[1, "region"] = "EMEA\tNorth"
    clients.to_csv(csv_copy / "clients.csv", index=False)
    assert load_portfolio(csv_copy).clients.loc[0, "client_name"] == "Two\nlines"
    deals = _frame(csv_copy, "deals")
    deals.loc[0, "sales_owner"] = "Ann\tLee"
    deals.to_csv(csv_copy / "deals.csv", index=False)
    (p,) = _problems(csv_copy)
    assert (p.column, p.n_rows) == ("sales_owner", 1) and "(line 2)" in p.examples[0]


def test_row_numbers_are_file_lines_despite_blank_lines(csv_copy):
    lines = _text(csv_copy, "surveys").split("\n")
    bad = 7  # the 7th data row
    cells = lines[bad].split(",")
    header = lines[0].split(",")
    cells[header.index("csat")] = "9"
    lines[bad] = ",".join(cells)
    # blank lines after the header and in the middle, CRLF line ends, as Excel leaves them
    lines = [lines[0], "", *lines[1:4], "   ", "", *lines[4:]]
    (csv_copy / "surveys.csv").write_text("\r\n".join(lines))
    (p,) = _problems(csv_copy)
    assert p.column == "csat"
    assert "(line 11)" in p.examples[0], p.examples  # 7 + header + 3 blank lines


def test_row_numbers_are_file_lines_with_quoted_line_breaks(csv_copy):
    clients = _frame(csv_copy, "clients")
    clients.loc[0, "client_name"] = "Two\nlines\n\nand a blank one"
    clients.loc[2, "size_band"] = "huge"
    clients.to_csv(csv_copy / "clients.csv", index=False)
    (p,) = _problems(csv_copy)
    assert "(line 7)" in p.examples[0], p.examples  # data row 3 starts on line 4 + 3 breaks


def test_lines_with_too_many_fields_are_listed(csv_copy):
    lines = _text(csv_copy, "deals").split("\n")
    lines[4] += ",extra"
    lines[9] += ",extra,more"
    (csv_copy / "deals.csv").write_text("\n".join(lines))
    (p,) = _problems(csv_copy)
    assert p.file == "deals.csv"
    assert "2 line(s) with more fields than the header's 12" in p.rule
    assert "line 5 (13 fields)" in p.rule and "line 10 (14 fields)" in p.rule


def test_truncated_csv_inside_quotes_names_file_and_line(csv_copy):
    clients = _frame(csv_copy, "clients")
    clients.loc[5, "client_name"] = 'A "quoted", name'
    clients.to_csv(csv_copy / "clients.csv", index=False)
    data = (csv_copy / "clients.csv").read_bytes()
    cut = data.index(b'"A ""quoted""') + 5
    (csv_copy / "clients.csv").write_bytes(data[:cut])
    (p,) = _problems(csv_copy)
    assert p.file == "clients.csv" and "not closed" in p.rule and "line 7" in p.rule


def test_truncated_parquet_names_the_file(csv_copy, small_sim):
    small_sim.portfolio.leads.to_parquet(csv_copy / "leads.parquet")
    (csv_copy / "leads.csv").unlink()
    data = (csv_copy / "leads.parquet").read_bytes()
    (csv_copy / "leads.parquet").write_bytes(data[: len(data) // 2])
    (p,) = _problems(csv_copy)
    assert p.file == "leads.parquet" and p.rule.startswith("unreadable Parquet file")


def test_table_file_names_ignore_case(csv_copy):
    (csv_copy / "deals.csv").rename(csv_copy / "Deals.CSV")
    assert len(load_portfolio(csv_copy).deals) > 0


def test_two_files_for_one_table_are_refused(csv_copy):
    (csv_copy / "deals.tsv").write_text("deal_id\n")
    (p,) = _problems(csv_copy)
    assert p.table == "deals" and "keep one" in p.rule


# ---------------------------------------------------------------------------------------------
# currency
# ---------------------------------------------------------------------------------------------
def test_currency_is_written_and_read_back(small_sim, tmp_path):
    from satprofit.io import Portfolio

    p = Portfolio(**small_sim.portfolio.tables, currency="chf")
    assert p.currency == "CHF" and p.subset(["C00001"]).currency == "CHF"
    write_portfolio(p, tmp_path, fmt="parquet")
    assert load_portfolio(tmp_path).currency == "CHF"
    write_portfolio(small_sim.portfolio, tmp_path, fmt="csv")  # no currency: stale file removed
    assert load_portfolio(tmp_path).currency is None


def test_bad_currency_is_a_problem(csv_copy):
    (csv_copy / "portfolio.json").write_text('{"currency": "Euro"}')
    (p,) = _problems(csv_copy)
    assert (p.file, p.column) == ("portfolio.json", "currency") and "ISO 4217" in p.rule


def test_cli_validate_encoding_option(csv_copy, capsys):
    _accented_clients(csv_copy)
    (csv_copy / "clients.csv").write_bytes(_text(csv_copy, "clients").encode("cp1252"))
    assert main(["validate", str(csv_copy)]) == 1
    out = capsys.readouterr().out
    assert "clients.csv" in out and "--encoding cp1252" in out
    assert main(["validate", str(csv_copy), "--encoding", "cp1252"]) == 0
    captured = capsys.readouterr()
    assert "valid portfolio" in captured.out and "read as cp1252" in captured.err


def test_zip_that_is_not_a_workbook(tmp_path, csv_copy):
    with zipfile.ZipFile(csv_copy / "leads.csv", "w") as z:
        z.writestr("leads.csv", "lead_id\n")
    (p,) = _problems(csv_copy)
    assert p.file == "leads.csv" and "ZIP archive" in p.rule


def test_xlsx_with_a_wrong_used_range_is_read_whole(csv_copy, small_sim):
    """Some tools state the used range as A1:A1; openpyxl's read-only mode would trust it."""
    import re

    import openpyxl

    deals = small_sim.portfolio.deals
    book = openpyxl.Workbook()
    book.active.append(list(deals.columns))
    for row in deals.itertuples(index=False):
        book.active.append([_cell(v) for v in row])
    book.save(csv_copy / "made.xlsx")
    with zipfile.ZipFile(csv_copy / "made.xlsx") as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', parts[sheet])
    with zipfile.ZipFile(csv_copy / "deals.xlsx", "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    (csv_copy / "made.xlsx").unlink()
    (csv_copy / "deals.csv").unlink()
    pd.testing.assert_frame_equal(load_portfolio(csv_copy).deals, deals)
