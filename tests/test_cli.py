"""The command line: exit codes, readable output, no tracebacks; the committed sample is fresh."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pandas as pd

from satprofit.cli import main
from satprofit.io import TABLES
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample"


def _makefile_sample_args() -> list[str]:
    for line in (REPO / "Makefile").read_text().splitlines():
        if line.startswith("SAMPLE_ARGS :="):
            return shlex.split(line.split(":=", 1)[1])
    raise AssertionError("SAMPLE_ARGS not found in Makefile")


def test_validate_sample_exits_0(capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "valid portfolio" in out and "clients: 80" in out
    for table in TABLES:
        assert table in out


def test_validate_broken_folder_lists_problems(csv_copy, capsys):
    surveys = pd.read_csv(csv_copy / "surveys.csv", dtype=str, keep_default_na=False)
    surveys.loc[:2, "csat"] = "7"
    surveys.to_csv(csv_copy / "surveys.csv", index=False)
    (csv_copy / "escalations.csv").unlink()
    assert main(["validate", str(csv_copy)]) == 1
    out = capsys.readouterr().out
    assert "surveys" in out and "csat" in out and "<= 5" in out
    assert "escalations" in out and "required table missing" in out


def test_console_script_no_traceback(csv_copy):
    (csv_copy / "clients.csv").write_text("client_id,client_name\nC1,x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "satprofit.cli", "validate", str(csv_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "required column missing" in proc.stdout


def test_simulate_writes_tables_and_truth(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", str(out), "--clients", "20", "--quarters", "6", "--seed", "3"]) == 0
    assert {p.name for p in out.iterdir()} == {f"{t}.csv" for t in TABLES} | {"truth.json"}
    truth = json.loads((out / "truth.json").read_text())
    assert truth["params"]["n_clients"] == 20
    assert main(["validate", str(out)]) == 0
    assert "presales_signoff" in capsys.readouterr().out


def test_simulate_parquet(tmp_path):
    out = tmp_path / "pq"
    assert (
        main(["simulate", str(out), "--clients", "10", "--quarters", "4", "--format", "parquet"])
        == 0
    )
    assert (out / "deals.parquet").exists() and not (out / "deals.csv").exists()


def test_bad_usage_exit_2(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "x"), "--clients", "0"]) == 2
    assert "error" in capsys.readouterr().err


def test_committed_sample_is_what_make_demo_generates(tmp_path):
    """data/sample is reproducible from the Makefile's arguments (and so not stale)."""
    assert main(["simulate", str(tmp_path), *_makefile_sample_args()]) == 0
    for name in TABLES:
        fresh = (tmp_path / f"{name}.csv").read_bytes()
        assert fresh == (SAMPLE / f"{name}.csv").read_bytes(), f"data/sample/{name}.csv is stale"


def test_estimate_sample_prints_every_question(capsys):
    from satprofit.questions import ESTIMAND_IDS

    assert main(["estimate", str(SAMPLE), "--boot", "30"]) == 0
    out = capsys.readouterr().out
    for estimand in ESTIMAND_IDS:
        assert estimand in out
    for word in ("estimate", "ci_low", "ci_high", "unit", "method", "aipw", "did"):
        assert word in out


def test_estimate_json(capsys):
    assert (
        main(["estimate", str(SAMPLE), "--question", "quality_to_repeat", "--json", "--boot", "30"])
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert [r["question"] for r in records] == [
        "quality_to_repeat.total",
        "quality_to_repeat.direct",
        "quality_to_repeat.indirect",
    ]
    for r in records:
        assert {"question", "estimate", "ci_low", "ci_high", "unit", "method", "n"} <= set(r)


def test_estimate_bad_question_and_method(capsys):
    assert main(["estimate", str(SAMPLE), "--question", "nope"]) == 2
    assert main(["estimate", str(SAMPLE), "--question", "presales_signoff", "--method", "did"]) == 2
    assert "error" in capsys.readouterr().err
