"""Survey specs: the shipped ECSI spec, and every broken rule named with file, key and rule."""

from __future__ import annotations

import textwrap

import pytest

from satprofit.survey import SpecError, load_spec
from satprofit.survey.spec import parse_spec

GOOD = """
constructs:
  A: {items: [a1, a2]}
  B: [b1, b2]
  C: {label: Outcome, mode: A, items: [c1]}
paths:
  A: [B, C]
  B: C
"""


def _error(text: str, tmp_path) -> SpecError:
    path = tmp_path / "my_spec.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


def test_the_shipped_ecsi_spec_has_the_reference_model(ecsi_spec):
    assert ecsi_spec.name == "ecsi"
    assert ecsi_spec.names == ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert ecsi_spec.construct("VAL").items == ("val1", "val2", "val3", "val4")
    assert {c.mode for c in ecsi_spec.constructs} == {"A"}
    assert set(ecsi_spec.paths) == {
        ("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"),
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY"),
    }  # fmt: skip
    assert len(ecsi_spec.items) == 27
    assert ecsi_spec.causes("SAT") == ["IMAG", "EXPE", "QUAL", "VAL"]
    assert ecsi_spec.endogenous == ["EXPE", "QUAL", "VAL", "SAT", "LOY"]


def test_the_ecsi_spec_ships_as_package_data():
    from importlib import resources

    assert (resources.files("satprofit.survey") / "specs" / "ecsi.yaml").is_file()


def test_constructs_come_in_causal_order_whatever_the_spec_order():
    spec = parse_spec("constructs: {C: [c1], B: [b1], A: [a1]}\npaths: {B: [C], A: [B]}")
    assert spec.names == ["A", "B", "C"]
    assert spec.paths == (("A", "B"), ("B", "C"))
    assert spec.path_matrix.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


def test_short_forms_of_constructs_and_paths_are_read():
    spec = parse_spec(GOOD, "good.yaml")
    assert spec.construct("B").items == ("b1", "b2")
    assert spec.construct("C").label == "Outcome"
    assert spec.causes("C") == ["A", "B"]
    assert spec.name == "good"


def test_a_cycle_is_refused_naming_it(tmp_path):
    err = _error(
        """
        constructs: {A: [a1], B: [b1], C: [c1]}
        paths: {A: [B], B: [C], C: [A]}
        """,
        tmp_path,
    )
    assert err.key.startswith("paths.")
    assert "cyclic paths" in err.rule and "must be acyclic" in err.rule
    cycle = err.rule.split("cyclic paths ")[1].split(":")[0]
    assert cycle in ("A -> B -> C -> A", "B -> C -> A -> B", "C -> A -> B -> C")


def test_a_self_loop_is_a_cycle(tmp_path):
    err = _error("constructs: {A: [a1], B: [b1]}\npaths: {A: [A, B]}", tmp_path)
    assert "cyclic paths A -> A" in err.rule


def test_a_path_to_an_unknown_construct_is_refused(tmp_path):
    err = _error("constructs: {A: [a1], B: [b1]}\npaths: {A: [B, SATT]}", tmp_path)
    assert err.key == "paths.A"
    assert "path to unknown construct 'SATT'" in err.rule and "['A', 'B']" in err.rule


def test_a_path_from_an_unknown_construct_is_refused(tmp_path):
    err = _error("constructs: {A: [a1], B: [b1]}\npaths: {X: [B], A: [B]}", tmp_path)
    assert err.key == "paths.X" and "path from unknown construct 'X'" in err.rule


def test_a_construct_without_items_is_refused(tmp_path):
    err = _error("constructs: {A: [a1], B: {items: []}}\npaths: {A: [B]}", tmp_path)
    assert err.key == "constructs.B.items"
    assert "construct without items" in err.rule


def test_an_item_in_two_constructs_is_refused(tmp_path):
    err = _error("constructs: {A: [a1, x], B: [x]}\npaths: {A: [B]}", tmp_path)
    assert err.key == "constructs.B.items" and "already an item of A" in err.rule


def test_a_construct_in_no_path_is_refused(tmp_path):
    err = _error("constructs: {A: [a1], B: [b1], C: [c1]}\npaths: {A: [B]}", tmp_path)
    assert err.key == "paths" and "construct C is in no path" in err.rule


def test_mode_b_is_refused_as_not_supported(tmp_path):
    err = _error("constructs: {A: {items: [a1], mode: B}, B: [b1]}\npaths: {A: [B]}", tmp_path)
    assert err.key == "constructs.A.mode" and "only mode A" in err.rule


def test_unknown_keys_and_bad_yaml_are_refused(tmp_path):
    err = _error("constructs: {A: [a1], B: [b1]}\npath: {A: [B]}", tmp_path)
    assert "unknown key(s) 'path'" in err.rule
    err = _error("constructs: {A: [a1], B: [b1]\npaths: {A: [B]}", tmp_path)
    assert err.key == "(file)" and "not valid YAML" in err.rule


def test_a_missing_spec_file_names_the_shipped_specs(tmp_path):
    with pytest.raises(SpecError, match=r"cannot be read: .*shipped specs: ecsi"):
        load_spec(tmp_path / "nope.yaml")


def test_an_unknown_item_column_names_spec_key_and_data_file(ecsi_spec):
    with pytest.raises(SpecError) as info:
        ecsi_spec.check_columns(["imag1", "imag2"], "survey.csv")
    err = info.value
    assert err.file == "ecsi.yaml (shipped)" and err.key == "constructs.IMAG.items"
    assert "unknown item columns 'imag3', 'imag4', 'imag5': not a column of survey.csv" in err.rule
