"""`satprofit paths`: one JSON object on ECSI, a readable table, and bad input refused with
file, column, rows and rule, exit code 2 and no traceback."""

from __future__ import annotations

import json

from satprofit.cli import main

from .conftest import ECSI_CSV, reference

ECSI = [str(ECSI_CSV), "--spec", "ecsi"]


def test_json_is_one_object_with_paths_r_squared_and_total_effects(capsys):
    assert main(["paths", *ECSI, "--boot", "100", "--scheme", "centroid", "--json"]) == 0
    out = capsys.readouterr().out
    record = json.loads(out)  # exactly one JSON document
    assert {"paths", "r_squared", "total_effects", "measurement"} <= set(record)
    assert len(record["paths"]) == 10 and len(record["total_effects"]) == 15
    for row in record["paths"] + record["total_effects"]:
        assert set(row) == {"from", "to", "estimate", "ci_low", "ci_high"}
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    ref = reference(".effects").set_index(["from", "to"])
    for row in record["total_effects"]:
        assert abs(row["estimate"] - ref.loc[(row["from"], row["to"]), "total"]) < 1e-9
    r2 = reference(".inner-summary")["r_squared"]
    assert set(record["r_squared"]) == {"EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert all(abs(v - r2[k]) < 1e-9 for k, v in record["r_squared"].items())
    assert record["settings"]["n_boot"] == 100 and record["settings"]["scheme"] == "centroid"
    assert any("EXPE and QUAL: HTMT" in w for w in record["measurement"]["warnings"])


def test_the_same_seed_prints_the_same_intervals(capsys):
    outs = []
    for _ in range(2):
        assert main(["paths", *ECSI, "--boot", "30", "--seed", "5", "--json"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_the_table_shows_paths_effects_and_measurement_warnings(capsys):
    assert main(["paths", *ECSI, "--boot", "20"]) == 0
    out = capsys.readouterr().out
    assert "mode A, path scheme, items centred, not standardized; 20 bootstrap" in out
    assert "IMAG -> EXPE" in out and "\nR-squared:\n" in out and "\neffects" in out
    assert "\nwarnings:\n  IMAG: item imag4 loads 0.57" in out


def _fails(argv, capsys) -> str:
    assert main(["paths", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.startswith("satprofit paths: error: ")
    return captured.err


def test_a_missing_file_is_named(tmp_path, capsys):
    err = _fails([str(tmp_path / "none.csv"), "--spec", "ecsi"], capsys)
    assert "none.csv: no such file" in err


def test_a_missing_item_column_names_spec_key_and_file(tmp_path, capsys):
    path = tmp_path / "short.csv"
    path.write_text("\n".join(ECSI_CSV.read_text().splitlines()[:30]).replace('"sat4"', '"sat_4"'))
    err = _fails([str(path), "--spec", "ecsi", "--json"], capsys)
    assert "ecsi.yaml (shipped): constructs.SAT.items: unknown item column 'sat4'" in err
    assert f"not a column of {path}" in err


def test_non_numeric_values_are_listed_with_column_lines_and_rule(tmp_path, capsys):
    lines = ECSI_CSV.read_text().splitlines()
    lines[4] = lines[4].replace(",8,", ",eight,", 1)
    lines[9] = lines[9].rsplit(",", 2)[0] + ',,"male"'  # loy4 blank on line 10
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    err = _fails([str(path), "--spec", "ecsi"], capsys)
    assert "non-numeric value: items must be numbers; 1 row, e.g. line 5: 'eight'" in err
    assert f"{path}: column loy4: missing value" in err and "line 10" in err


def test_a_cyclic_spec_is_refused(tmp_path, capsys):
    spec = tmp_path / "cyc.yaml"
    spec.write_text("constructs: {A: [imag1, imag2], B: [sat1]}\npaths: {A: [B], B: [A]}\n")
    err = _fails([str(ECSI_CSV), "--spec", str(spec)], capsys)
    assert f"{spec}: paths.A: cyclic paths A -> B -> A" in err


def test_a_negative_boot_is_a_usage_error(capsys):
    assert "--boot -1" in _fails([*ECSI, "--boot", "-1"], capsys)
