"""The optional ``survey_items`` table: absent, present, and broken."""

from __future__ import annotations

import pandas as pd
import pytest

from satprofit.io import Portfolio, load_portfolio, write_portfolio
from satprofit.io.fingerprint import portfolio_fingerprint
from satprofit.io.validation import DataValidationError


def _items(portfolio: Portfolio) -> pd.DataFrame:
    ids = portfolio.surveys["response_id"].iloc[:3].tolist()
    return pd.DataFrame(
        {
            "response_id": ids + ids[:1],
            "item": ["sat1", "sat1", "sat1", "sat2"],
            "value": [7.0, 3.0, 10.0, 1.0],
            "scale_min": [0.0, 0.0, 0.0, 1.0],
            "scale_max": [10.0, 10.0, 10.0, 5.0],
        }
    )


def _with(portfolio: Portfolio, items: pd.DataFrame) -> dict:
    return {**portfolio.tables, "survey_items": items}


def _problems(tables: dict) -> list:
    with pytest.raises(DataValidationError) as err:
        Portfolio.from_tables(tables)
    return [p for p in err.value.problems if p.table == "survey_items"]


def test_a_portfolio_without_survey_items_loads_with_an_empty_table(csv_copy):
    (csv_copy / "survey_items.csv").unlink(missing_ok=True)
    portfolio = load_portfolio(csv_copy)
    assert len(portfolio.survey_items) == 0
    assert list(portfolio.survey_items.columns) == [
        "response_id",
        "item",
        "value",
        "scale_min",
        "scale_max",
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_survey_items_round_trip_through_csv_and_parquet(small_sim, tmp_path, fmt):
    items = _items(small_sim.portfolio)
    portfolio = Portfolio.from_tables(_with(small_sim.portfolio, items))
    back = load_portfolio(write_portfolio(portfolio, tmp_path, fmt=fmt)).survey_items
    pd.testing.assert_frame_equal(
        back.astype({"response_id": object, "item": object}),
        items.astype({"response_id": object, "item": object}),
        check_dtype=False,
    )


def test_an_empty_survey_items_table_writes_no_file_and_keeps_the_fingerprint(small_sim, tmp_path):
    tables = {**small_sim.portfolio.tables}
    empty = tables["survey_items"].iloc[:0]
    bare = Portfolio.from_tables({**tables, "survey_items": empty})
    write_portfolio(bare, tmp_path)
    assert not (tmp_path / "survey_items.csv").exists()
    with_items = Portfolio.from_tables(_with(small_sim.portfolio, _items(small_sim.portfolio)))
    assert portfolio_fingerprint(bare) != portfolio_fingerprint(with_items)
    absent = {k: v for k, v in tables.items() if k != "survey_items"}
    assert portfolio_fingerprint(Portfolio.from_tables(absent)) == portfolio_fingerprint(bare)


def test_a_value_outside_its_scale_names_table_column_rule_and_row(small_sim):
    items = _items(small_sim.portfolio)
    items.loc[1, "value"] = 11.0
    items.loc[3, "value"] = 0.0
    found = {(p.column, p.rule): p for p in _problems(_with(small_sim.portfolio, items))}
    high, low = found[("value", "<= scale_max")], found[("value", ">= scale_min")]
    assert high.n_rows == 1 and "row 2" in high.examples[0] and "11.0" in high.examples[0]
    assert low.n_rows == 1 and "row 4" in low.examples[0] and "sat2" in low.examples[0]


def test_an_unknown_response_id_and_a_duplicate_are_named(small_sim):
    items = _items(small_sim.portfolio)
    items.loc[2, "response_id"] = "R999999"
    items.loc[3, "item"] = "sat1"
    items.loc[3, ["scale_min", "scale_max"]] = [0.0, 10.0]
    found = {(p.column, p.rule): p for p in _problems(_with(small_sim.portfolio, items))}
    unknown = found[("response_id", "exists in surveys.response_id")]
    assert unknown.n_rows == 1 and "row 3" in unknown.examples[0]
    dup = found[("item", "one value per (response_id, item): duplicate")]
    assert dup.n_rows == 2 and "row 1" in dup.examples[0] and "row 4" in dup.examples[1]


def test_a_scale_without_range_is_refused(small_sim):
    items = _items(small_sim.portfolio)
    items.loc[0, ["scale_min", "scale_max"]] = [5.0, 5.0]
    found = {(p.column, p.rule) for p in _problems(_with(small_sim.portfolio, items))}
    assert ("scale_min", "< scale_max") in found


def test_a_file_problem_names_the_file_and_line(csv_copy, small_sim):
    items = _items(small_sim.portfolio)
    items.loc[0, "value"] = 12.0
    items.to_csv(csv_copy / "survey_items.csv", index=False)
    with pytest.raises(DataValidationError) as err:
        load_portfolio(csv_copy)
    (problem,) = [p for p in err.value.problems if p.table == "survey_items"]
    assert problem.file.endswith("survey_items.csv") and "line 2" in problem.examples[0]
    assert "survey_items.value" in str(err.value) and "<= scale_max" in str(err.value)
