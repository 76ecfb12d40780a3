"""Reading survey responses: item values missing, not numeric or constant are listed with file,
column, rule and lines; columns the spec does not name are ignored."""

from __future__ import annotations

import pytest

from satprofit.survey import SpecError, SurveyDataError, read_survey
from satprofit.survey.spec import parse_spec

SPEC = parse_spec("constructs: {A: [a1, a2], B: [b1, b2]}\npaths: {A: [B]}", "t.yaml")


def test_the_ecsi_file_reads_as_27_numeric_items(ecsi):
    assert ecsi.items.shape == (250, 27)
    assert (ecsi.items.dtypes == "float64").all()
    assert ecsi.items.min().min() == 0 and ecsi.items.max().max() == 10


def test_bad_values_are_listed_with_column_rule_and_lines(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("id,a1,a2,b1,b2,note\n1,3,4,5,x\n2,,4,5,6,ok\n3,5,4,n/a,2,\n4,2,4,1,1,\n")
    with pytest.raises(SurveyDataError) as info:
        read_survey(path, SPEC)
    text = str(info.value)
    assert text.startswith(f"survey data {path}: 4 problems")
    assert (
        f"{path}: column b2: non-numeric value: items must be numbers; 1 row, e.g. line 2: 'x'"
        in text
    )
    assert f"{path}: column b1: non-numeric value" in text and "line 4: 'n/a'" in text
    assert f"{path}: column a1: missing value: PLS needs every item" in text and "line 3" in text
    assert f"{path}: column a2: the same value (4) in every row" in text


def test_a_missing_item_column_is_a_spec_error_naming_both_files(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("a1,a2,b1\n1,2,3\n")
    with pytest.raises(SpecError, match=r"t\.yaml: constructs\.B\.items: unknown item column 'b2'"):
        read_survey(path, SPEC)


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(SurveyDataError, match="no such file"):
        read_survey(tmp_path / "none.csv", SPEC)
