"""Every contract rule, broken one at a time: the error names the right table, column and rule.

Each case edits one CSV of a valid simulated portfolio (as text, the way a user's export would
be wrong) and asserts the loader raises :class:`DataValidationError` listing that problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from satprofit.io import DataValidationError, load_portfolio


def _edit(folder: Path, table: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(frame).to_csv(path, index=False)
    if table == "surveys":
        # The optional survey items hang on the responses' keys: an edited key would also
        # break them (tests/io/test_survey_items.py checks that rule).
        (folder / "survey_items.csv").unlink(missing_ok=True)


def _first(frame: pd.DataFrame, mask=None) -> int:
    """Label of the first row (matching ``mask``)."""
    return frame.index[mask][0] if mask is not None else frame.index[0]


def _set(column: str, value: str, where: Callable[[pd.DataFrame], pd.Series] | None = None):
    def fn(frame: pd.DataFrame) -> pd.DataFrame:
        row = _first(frame, where(frame) if where else None)
        frame.loc[row, column] = value
        return frame

    return fn


def _lost(f):
    return f["status"] == "lost"


def _finished(f):
    return f["actual_end_date"] != ""


def _tied(f):
    return f["project_id"] != ""


def _resolved(f):
    return f["resolved_date"] != ""


def _with_deal(f):
    return f["converted_deal_id"] != ""


def _with_lead(f):
    return f["lead_id"] != ""


def _on_time(f):
    return f["milestones_planned"].astype(int) > 0


# (table, edit, expected table, expected column, rule substring, only this problem)
CASES = {
    # types and required values
    "bad date": (
        "clients",
        _set("first_engagement_date", "2023/01/05"),
        "clients",
        "first_engagement_date",
        "ISO date",
        True,
    ),
    "impossible date": ("surveys", _set("date", "2023-02-30"), "surveys", "date", "ISO date", True),
    "bad boolean": (
        "deals",
        _set("presales_delivery_signoff", "maybe"),
        "deals",
        "presales_delivery_signoff",
        "boolean",
        True,
    ),
    "bad integer": (
        "projects",
        _set("defects", "2.5"),
        "projects",
        "defects",
        "whole number",
        True,
    ),
    "bad float": (
        "deals",
        _set("contract_value", "abc"),
        "deals",
        "contract_value",
        "finite number",
        True,
    ),
    "missing required": (
        "deals",
        _set("sales_owner", ""),
        "deals",
        "sales_owner",
        "required value missing",
        True,
    ),
    "blank key": (
        "surveys",
        _set("response_id", "   "),
        "surveys",
        "response_id",
        "required value missing",
        True,
    ),
    # column rules
    "duplicate key": (
        "surveys",
        lambda f: f.assign(
            response_id=[f["response_id"].iloc[0]] * 2 + list(f["response_id"].iloc[2:])
        ),
        "surveys",
        "response_id",
        "unique",
        True,
    ),
    "size band enum": (
        "clients",
        _set("size_band", "huge"),
        "clients",
        "size_band",
        "one of",
        True,
    ),
    "deal type enum": ("deals", _set("deal_type", "upsell"), "deals", "deal_type", "one of", True),
    "lead source enum": (
        "deals",
        _set("lead_source", "friend"),
        "deals",
        "lead_source",
        "one of",
        True,
    ),
    "status enum": ("deals", _set("status", "pending", _lost), "deals", "status", "one of", True),
    "severity enum": (
        "escalations",
        _set("severity", "urgent"),
        "escalations",
        "severity",
        "one of",
        True,
    ),
    "kind enum": ("interactions", _set("kind", "lunch"), "interactions", "kind", "one of", True),
    "source team enum": (
        "leads",
        _set("source_team", "ops"),
        "leads",
        "source_team",
        "one of",
        True,
    ),
    "negative value": (
        "deals",
        _set("contract_value", "-1"),
        "deals",
        "contract_value",
        ">= 0",
        True,
    ),
    "zero budget": ("projects", _set("budget", "0"), "projects", "budget", "> 0", True),
    "negative cost": (
        "projects",
        _set("actual_cost", "-5"),
        "projects",
        "actual_cost",
        ">= 0",
        True,
    ),
    "negative revenue": ("projects", _set("revenue", "-5"), "projects", "revenue", ">= 0", True),
    "negative defects": ("projects", _set("defects", "-1"), "projects", "defects", ">= 0", True),
    "negative change requests": (
        "projects",
        _set("change_requests", "-1"),
        "projects",
        "change_requests",
        ">= 0",
        True,
    ),
    "csat above 5": ("surveys", _set("csat", "6"), "surveys", "csat", "<= 5", True),
    "csat below 1": ("surveys", _set("csat", "0"), "surveys", "csat", ">= 1", True),
    "nps above 10": ("surveys", _set("nps", "11"), "surveys", "nps", "<= 10", True),
    "negative lead value": (
        "leads",
        _set("estimated_value", "-3"),
        "leads",
        "estimated_value",
        ">= 0",
        True,
    ),
    "negative on-time": (
        "projects",
        _set("milestones_on_time", "-1"),
        "projects",
        "milestones_on_time",
        ">= 0",
        True,
    ),
    # row rules
    "close before proposal": (
        "deals",
        _set("close_date", "1990-01-01"),
        "deals",
        "close_date",
        "close_date >= proposal_date",
        True,
    ),
    "close missing on won": (
        "deals",
        _set("close_date", ""),
        "deals",
        "close_date",
        "required unless status is open",
        True,
    ),
    "planned end before start": (
        "projects",
        _set("planned_end_date", "1990-01-01"),
        "projects",
        "planned_end_date",
        ">= start_date",
        True,
    ),
    "actual end before start": (
        "projects",
        _set("actual_end_date", "1990-01-01", _finished),
        "projects",
        "actual_end_date",
        ">= start_date",
        True,
    ),
    "resolved before opened": (
        "escalations",
        _set("resolved_date", "1990-01-01", _resolved),
        "escalations",
        "resolved_date",
        ">= opened_date",
        True,
    ),
    "more on time than planned": (
        "projects",
        _set("milestones_on_time", "999", _on_time),
        "projects",
        "milestones_on_time",
        "<= milestones_planned",
        True,
    ),
    # foreign keys
    "deal of unknown client": (
        "deals",
        _set("client_id", "NOPE", _lost),
        "deals",
        "client_id",
        "exists in clients",
        True,
    ),
    "deal with unknown lead": (
        "deals",
        _set("lead_id", "NOPE", _with_lead),
        "deals",
        "lead_id",
        "exists in leads",
        True,
    ),
    "project of unknown deal": (
        "projects",
        _set("deal_id", "NOPE"),
        "projects",
        "deal_id",
        "exists in deals",
        True,
    ),
    "project of unknown client": (
        "projects",
        _set("client_id", "NOPE"),
        "projects",
        "client_id",
        "exists in clients",
        False,
    ),
    "escalation of unknown project": (
        "escalations",
        _set("project_id", "NOPE"),
        "escalations",
        "project_id",
        "exists in projects",
        True,
    ),
    "escalation of unknown client": (
        "escalations",
        _set("client_id", "NOPE"),
        "escalations",
        "client_id",
        "exists in clients",
        False,
    ),
    "interaction of unknown client": (
        "interactions",
        _set("client_id", "NOPE"),
        "interactions",
        "client_id",
        "exists in clients",
        False,
    ),
    "interaction of unknown project": (
        "interactions",
        _set("project_id", "NOPE", _tied),
        "interactions",
        "project_id",
        "exists in projects",
        True,
    ),
    "response of unknown client": (
        "surveys",
        _set("client_id", "NOPE"),
        "surveys",
        "client_id",
        "exists in clients",
        False,
    ),
    "response of unknown project": (
        "surveys",
        _set("project_id", "NOPE", _tied),
        "surveys",
        "project_id",
        "exists in projects",
        True,
    ),
    "lead of unknown client": (
        "leads",
        _set("client_id", "NOPE"),
        "leads",
        "client_id",
        "exists in clients",
        True,
    ),
    "lead converted to unknown deal": (
        "leads",
        _set("converted_deal_id", "NOPE", _with_deal),
        "leads",
        "converted_deal_id",
        "exists in deals",
        True,
    ),
    # consistency across tables
    "project on a lost deal": (
        "deals",
        _set("status", "lost", lambda f: f["status"] == "won"),
        "projects",
        "deal_id",
        "that deal is won",
        True,
    ),
    "escalation of another client": (
        "escalations",
        lambda f: f.assign(
            client_id=[
                f["client_id"].iloc[0]
                if i
                else "C00001"
                if f["client_id"].iloc[0] != "C00001"
                else "C00002"
                for i in range(len(f))
            ]
        ),
        "escalations",
        "client_id",
        "equals the project's client_id",
        True,
    ),
    "response to another client's project": (
        "surveys",
        lambda f: f.assign(
            client_id=f["client_id"].where(
                ~_tied(f) | (f.index != _first(f, _tied(f))),
                "C00001" if f.loc[_first(f, _tied(f)), "client_id"] != "C00001" else "C00002",
            )
        ),
        "surveys",
        "client_id",
        "equals the project's client_id",
        True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_is_reported(csv_copy, case):
    table, edit, e_table, e_column, e_rule, only = CASES[case]
    _edit(csv_copy, table, edit)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    problems = info.value.problems
    hits = [p for p in problems if p.table == e_table and p.column == e_column and e_rule in p.rule]
    assert hits, f"expected {e_table}.{e_column} [{e_rule}] among:\n{info.value}"
    assert hits[0].n_rows >= 1 and hits[0].examples, "offending rows are named"
    if only:
        assert len(problems) == 1, f"only one rule should break:\n{info.value}"


def test_project_client_differs_from_deal(csv_copy):
    """A project whose client is another (existing) client than its deal's."""

    def fn(f):
        other = "C00002" if f.loc[0, "client_id"] != "C00002" else "C00003"
        f.loc[0, "client_id"] = other
        return f

    _edit(csv_copy, "projects", fn)
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    assert any(
        p.table == "projects"
        and p.column == "client_id"
        and p.rule == "equals the deal's client_id"
        for p in info.value.problems
    )


def test_missing_table_file(csv_copy):
    (csv_copy / "deals.csv").unlink()
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    assert any(
        p.table == "deals" and "required table missing" in p.rule for p in info.value.problems
    )


def test_optional_incentives_may_be_absent(csv_copy):
    (csv_copy / "incentives.csv").unlink()
    portfolio = load_portfolio(csv_copy)
    assert len(portfolio.incentives) == 0
    assert list(portfolio.incentives.columns) == ["business_unit", "policy", "start_date"]


def test_missing_column(csv_copy):
    _edit(csv_copy, "projects", lambda f: f.drop(columns=["budget"]))
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    assert [(p.table, p.column, p.rule) for p in info.value.problems] == [
        ("projects", "budget", "required column missing")
    ]


def test_empty_required_table(csv_copy):
    _edit(csv_copy, "surveys", lambda f: f.iloc[:0])
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    assert [(p.table, p.rule) for p in info.value.problems] == [
        ("surveys", "table is empty (header only)")
    ]


def test_empty_optional_tables_are_fine(csv_copy):
    for table in ("escalations", "incentives"):
        _edit(csv_copy, table, lambda f: f.iloc[:0])
    assert len(load_portfolio(csv_copy).escalations) == 0


def test_unreadable_file(csv_copy):
    (csv_copy / "leads.csv").write_bytes(b"lead_id,client_id\n\xff\xfe\x00bad\n")
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    rules = [(p.file, p.rule) for p in info.value.problems if p.table == "leads"]
    assert len(rules) == 1 and rules[0][0] == "leads.csv"
    assert rules[0][1].startswith("not UTF-8 text: byte 0xff at line 2, column 1")


def test_csv_and_parquet_both_present(csv_copy, small_sim):
    small_sim.portfolio.leads.to_parquet(csv_copy / "leads.parquet")
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    assert any(p.table == "leads" and "both" in p.rule for p in info.value.problems)


def test_not_a_folder(tmp_path):
    with pytest.raises(DataValidationError, match="not a folder"):
        load_portfolio(tmp_path / "nowhere")


def test_all_problems_reported_together(csv_copy):
    """Several broken rules in several tables: one error lists them all, with examples."""
    _edit(csv_copy, "clients", _set("size_band", "huge"))
    _edit(csv_copy, "surveys", lambda f: f.assign(csat="9"))
    _edit(csv_copy, "deals", _set("status", "pending", _lost))
    with pytest.raises(DataValidationError) as info:
        load_portfolio(csv_copy)
    err = info.value
    found = {(p.table, p.column) for p in err.problems}
    assert {("clients", "size_band"), ("surveys", "csat"), ("deals", "status")} <= found
    csat = next(p for p in err.problems if p.column == "csat")
    assert csat.n_rows > 5 and len(csat.examples) == 5, "at most five examples per problem"
    text = str(err)
    assert "surveys.csat [<= 5]" in text and "Traceback" not in text
    assert list(err.to_frame().columns) == ["file", "table", "column", "rule", "rows", "examples"]


def test_booleans_accept_documented_spellings(csv_copy):
    spellings = ["TRUE", "False", "1", "0", "yes", "No"]
    _edit(
        csv_copy,
        "escalations",
        lambda f: f.assign(sales_involved=[spellings[i % len(spellings)] for i in range(len(f))]),
    )
    esc = load_portfolio(csv_copy).escalations
    expected = [
        s.lower() in ("true", "1", "yes")
        for s in [spellings[i % len(spellings)] for i in range(len(esc))]
    ]
    assert esc["sales_involved"].tolist() == expected


def test_keys_stay_text(csv_copy):
    """Keys that look like numbers keep their leading zeros."""

    def fn(f):
        f["respondent_role"] = f["respondent_role"]
        f.loc[0, "response_id"] = "007"
        return f

    _edit(csv_copy, "surveys", fn)
    surveys = load_portfolio(csv_copy).surveys
    assert surveys["response_id"].iloc[0] == "007"


def test_extra_columns_are_kept(csv_copy):
    _edit(csv_copy, "clients", lambda f: f.assign(account_tier="gold"))
    assert (load_portfolio(csv_copy).clients["account_tier"] == "gold").all()
