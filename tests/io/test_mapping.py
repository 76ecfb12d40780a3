"""``satprofit import``: the shipped mappings turn generated CRM and PSA exports into a portfolio.

The exports are made here from the small simulated portfolio the way the tools write them (a
CRM's opportunity report with its own stage names, US dates and thousands separators; a PSA
project list with semicolons, day-first dates and decimal commas), so importing them through
``data/mappings/*.yaml`` must give back the simulated tables exactly.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from satprofit.cli import main
from satprofit.io import DataValidationError, load_portfolio, write_portfolio
from satprofit.io.mapping import MappingError, import_export, load_mapping
from tests.conftest import REPO

MAPPINGS = REPO / "data" / "mappings"
CRM = MAPPINGS / "crm_opportunities.yaml"
PSA = MAPPINGS / "psa_projects.yaml"

TYPES = {
    "new_logo": "New Business",
    "renewal": "Renewal",
    "add_on": "Existing Business - Upsell",
    "cross_sell": "Existing Business - Cross-Sell",
}
SOURCES = {"sales": "Sales Prospecting", "delivery": "Delivery Referral", "partner": "Partner"}


def _us(d) -> str:
    return "" if pd.isna(d) else f"{d.month:02d}/{d.day:02d}/{d.year}"


def _de(d) -> str:
    return "" if pd.isna(d) else f"{d.day:02d}.{d.month:02d}.{d.year}"


def _de_number(x: float) -> str:
    return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def crm_export(deals: pd.DataFrame) -> pd.DataFrame:
    """Deals as a CRM opportunity report: its column names, words, dates and amounts."""
    marketing = itertools.cycle(["Web", "Event"])
    open_stage = itertools.cycle(["Prospecting", "Negotiation/Review", "Proposal/Price Quote"])
    stage = {"won": lambda: "Closed Won", "lost": lambda: "closed lost ", "open": lambda: ""}
    return pd.DataFrame(
        {
            "Opportunity Name": [f"Deal {i}" for i in range(len(deals))],
            "Opportunity ID": deals["deal_id"],
            "Account ID": deals["client_id"],
            "Type": deals["deal_type"].map(TYPES),
            "Lead Source": [SOURCES.get(s) or next(marketing) for s in deals["lead_source"]],
            "Lead ID": deals["lead_id"].fillna(""),
            "Opportunity Owner": deals["sales_owner"],
            "Business Unit": deals["business_unit"],
            "Created Date": deals["proposal_date"].map(_us),
            "Close Date": deals["close_date"].map(_us),
            "Stage": [stage[s]() or next(open_stage) for s in deals["status"]],
            "Probability (%)": deals["status"].map({"won": 100, "lost": 0, "open": 50}),
            "Delivery Sign-off": deals["presales_delivery_signoff"].map({True: "Yes", False: "No"}),
            "Amount": deals["contract_value"].map(lambda x: f"{x:,.2f}"),
        }
    )


def psa_export(projects: pd.DataFrame) -> pd.DataFrame:
    """Projects as a European PSA installation lists them."""
    return pd.DataFrame(
        {
            "Project Code": projects["project_id"],
            "Project Manager": "N.N.",
            "CRM Opportunity ID": projects["deal_id"],
            "Customer ID": projects["client_id"],
            "Practice": projects["delivery_team"],
            "Business Unit": projects["business_unit"],
            "Start Date": projects["start_date"].map(_de),
            "Planned End": projects["planned_end_date"].map(_de),
            "Actual End": projects["actual_end_date"].map(_de),
            "Budget": projects["budget"].map(_de_number),
            "Actual Cost": projects["actual_cost"].map(_de_number),
            "Revenue Recognized": projects["revenue"].map(_de_number),
            "Milestones": projects["milestones_planned"],
            "Milestones On Time": projects["milestones_on_time"],
            "Defects": projects["defects"],
            "Change Requests": projects["change_requests"],
            "Status": "active",
        }
    )


@pytest.fixture
def exports(small_sim, tmp_path) -> Path:
    """An export folder: the CRM and PSA exports plus contract files of the other tables."""
    folder = tmp_path / "exports"
    write_portfolio(small_sim.portfolio, folder, fmt="csv")
    (folder / "deals.csv").unlink()
    (folder / "projects.csv").unlink()
    crm = crm_export(small_sim.portfolio.deals).to_csv(index=False, lineterminator="\r\n")
    (folder / "opportunities.csv").write_bytes(crm.encode("utf-8-sig"))
    psa_export(small_sim.portfolio.projects).to_csv(
        folder / "psa_projects.csv", sep=";", index=False
    )
    return folder


def _problems(exports: Path, mappings, out: Path) -> list:
    with pytest.raises(DataValidationError) as info:
        import_export(exports, mappings, out)
    assert not out.exists(), "nothing is written when the import fails"
    return info.value.problems


def test_shipped_mappings_rebuild_the_portfolio(exports, small_sim, tmp_path):
    out = tmp_path / "portfolio"
    result = import_export(exports, [CRM, PSA], out)
    assert result.mapped == ("deals", "projects")
    assert set(result.copied) == {"clients", "escalations", "interactions", "surveys", "leads"} | {
        "incentives",
        "survey_items",
    }
    back = load_portfolio(out)
    assert back.currency == "EUR"
    for name, frame in small_sim.portfolio.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], frame, obj=name)
    assert "Opportunity Name" not in back.deals.columns, "unmapped export columns are dropped"


def test_cli_import(exports, tmp_path, capsys):
    out = tmp_path / "portfolio"
    code = main(
        ["import", str(exports), "--mapping", str(CRM), "--mapping", str(PSA), "--out", str(out)]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "currency: EUR" in stdout and "mapped: deals, projects" in stdout
    assert main(["validate", str(out)]) == 0
    assert "currency: EUR" in capsys.readouterr().out


def test_unmapped_values_are_listed_with_counts_and_lines(exports, tmp_path):
    crm = pd.read_csv(exports / "opportunities.csv", dtype=str, keep_default_na=False)
    crm.loc[[2, 5, 9], "Type"] = "Services Extension"
    crm.loc[4, "Lead Source"] = "Trade Show"
    crm.loc[6, "Delivery Sign-off"] = "pending"
    crm.to_csv(exports / "opportunities.csv", index=False)
    problems = _problems(exports, [CRM, PSA], tmp_path / "out")
    by_column = {p.column: p for p in problems}
    assert set(by_column) == {
        "deal_type (from 'Type')",
        "lead_source (from 'Lead Source')",
        "presales_delivery_signoff (from 'Delivery Sign-off')",
    }, problems
    deal_type = by_column["deal_type (from 'Type')"]
    assert deal_type.file == "opportunities.csv" and deal_type.n_rows == 3
    assert deal_type.examples == ("'Services Extension' (3 rows, first line 4)",)
    assert "unmapped value" in deal_type.rule and "values: deal_type:" in deal_type.rule
    assert by_column["lead_source (from 'Lead Source')"].examples == (
        "'Trade Show' (1 row, first line 6)",
    )


def test_dates_not_in_the_mapping_format_are_listed(exports, tmp_path):
    psa = pd.read_csv(exports / "psa_projects.csv", sep=";", dtype=str, keep_default_na=False)
    psa.loc[3, "Start Date"] = "2022-04-23"
    psa.to_csv(exports / "psa_projects.csv", sep=";", index=False)
    (p,) = _problems(exports, [CRM, PSA], tmp_path / "out")
    assert (p.file, p.column) == ("psa_projects.csv", "start_date (from 'Start Date')")
    assert p.rule == "not a date in the mapping's format '%d.%m.%Y'"
    assert p.examples == ("line 5: '2022-04-23'",)


def test_contract_rules_name_the_export_file_and_column(exports, tmp_path):
    psa = pd.read_csv(exports / "psa_projects.csv", sep=";", dtype=str, keep_default_na=False)
    psa.loc[0, "Budget"] = "0,00"
    psa.to_csv(exports / "psa_projects.csv", sep=";", index=False)
    (p,) = _problems(exports, [CRM, PSA], tmp_path / "out")
    assert (p.file, p.column, p.rule) == ("psa_projects.csv", "budget (from 'Budget')", "> 0")
    assert p.examples[0].endswith("(line 2)")


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def test_timestamps_become_calendar_dates_in_the_stated_zone(small_sim, tmp_path):
    """Local midnight in Berlin exported as UTC (the previous day, 22:00 or 23:00)."""
    folder = tmp_path / "exports"
    write_portfolio(small_sim.portfolio, folder, fmt="csv")
    surveys = small_sim.portfolio.surveys.copy()
    local = surveys["date"].dt.tz_localize("Europe/Berlin")
    surveys["date"] = local.dt.tz_convert("UTC")
    (folder / "surveys.csv").unlink()
    surveys.to_parquet(folder / "survey_export.parquet")
    columns = "\n".join(f"      {c}: {c}" for c in surveys.columns)
    text = f"currency: EUR\ntables:\n  surveys:\n    file: survey_export.parquet\n    columns:\n{columns}\n"
    with pytest.raises(DataValidationError) as info:
        import_export(folder, _mapping(tmp_path, text), tmp_path / "out")
    (p,) = info.value.problems
    assert "set the mapping's timezone" in p.rule and p.n_rows == len(surveys)
    result = import_export(
        folder, _mapping(tmp_path, "timezone: Europe/Berlin\n" + text), tmp_path / "out"
    )
    pd.testing.assert_series_equal(
        result.portfolio.surveys["date"], small_sim.portfolio.surveys["date"]
    )


def test_psa_workbook_with_named_sheet(small_sim, exports, tmp_path):
    import openpyxl

    (exports / "psa_projects.csv").unlink()
    projects = small_sim.portfolio.projects
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    sheet = book.create_sheet("Projects")
    frame = psa_export(projects)
    for col in ("Start Date", "Planned End", "Actual End"):  # real Excel dates
        source = {"Start Date": "start_date", "Planned End": "planned_end_date"}.get(
            col, "actual_end_date"
        )
        frame[col] = [None if pd.isna(d) else d.to_pydatetime() for d in projects[source]]
    for col, source in (("Budget", "budget"), ("Actual Cost", "actual_cost")):
        frame[col] = projects[source].to_numpy()  # real Excel numbers
    frame["Revenue Recognized"] = projects["revenue"].to_numpy()
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    book.save(exports / "psa_projects.xlsx")
    text = PSA.read_text().replace("file: psa_projects.csv", "file: psa_projects.xlsx")
    text = text.replace("# sheet: Projects", "sheet: Projects")
    result = import_export(exports, [CRM, _mapping(tmp_path, text)], tmp_path / "out")
    pd.testing.assert_frame_equal(result.portfolio.projects, projects)


def test_mapping_mistakes_are_listed_at_once(tmp_path, exports, capsys):
    text = """
currency: Euro
tabels: {}
tables:
  deals:
    file: opportunities.csv
    colums: {}
    columns:
      deal_id: Opportunity ID
      deal_identifier: Opportunity ID
    values:
      status: {Closed Won: win}
  project:
    file: x.csv
"""
    with pytest.raises(MappingError) as info:
        load_mapping(_mapping(tmp_path, text))
    errors = "\n".join(info.value.errors)
    assert "currency: currency must be a three-letter ISO 4217 code" in errors
    assert "top level: unknown key 'tabels'; did you mean 'tables'?" in errors
    assert "tables.deals: unknown key 'colums'; did you mean 'columns'?" in errors
    assert "unknown column 'deal_identifier'" in errors
    assert "'Closed Won' maps to 'win', which is not one of won, lost, open" in errors
    assert "tables: unknown table 'project'; did you mean 'projects'?" in errors
    assert "required column client_id is not mapped" in errors
    code = main(["import", str(exports), "--mapping", str(tmp_path / "map.yaml"), "--out", "x"])
    assert code == 2 and "problems with the mapping" in capsys.readouterr().err


def test_yaml_yes_no_stay_text(tmp_path):
    text = CRM.read_text()
    mapping = load_mapping(_mapping(tmp_path, text))
    assert mapping.tables["deals"].values["presales_delivery_signoff"] == {
        "yes": "true",
        "no": "false",
    }


def test_missing_export_column_is_named_with_a_suggestion(exports, tmp_path):
    text = CRM.read_text().replace("contract_value: Amount", "contract_value: Amont")
    (p,) = _problems(exports, [_mapping(tmp_path, text), PSA], tmp_path / "out")
    assert p.file == "opportunities.csv"
    assert "export column 'Amont' (mapped to contract_value) is not in the file" in p.rule
    assert "did you mean 'Amount'?" in p.rule


def test_out_must_not_be_the_export_folder(exports):
    with pytest.raises(ValueError, match="must not be the export folder"):
        import_export(exports, [CRM, PSA], exports)


def test_export_in_legacy_encoding(exports, small_sim, tmp_path):
    crm = (exports / "opportunities.csv").read_bytes().decode("utf-8-sig")
    crm = crm.replace("Deal 1,", "Déal 1,")  # an unmapped column: any byte decodes the same
    (exports / "opportunities.csv").write_bytes(crm.encode("cp1252"))
    with pytest.raises(DataValidationError, match="--encoding cp1252"):
        import_export(exports, [CRM, PSA], tmp_path / "out")
    result = import_export(exports, [CRM, PSA], tmp_path / "out", encoding="cp1252")
    pd.testing.assert_frame_equal(result.portfolio.deals, small_sim.portfolio.deals)
    assert "opportunities.csv: read as cp1252 (not UTF-8)" in result.notes


def test_shipped_mappings_parse(tmp_path):
    mapping = load_mapping([CRM, PSA])
    assert mapping.currency == "EUR" and set(mapping.tables) == {"deals", "projects"}
