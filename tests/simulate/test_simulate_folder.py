"""``satprofit simulate`` writes only into a new or empty folder or over its own output.

A real export (the eight contract tables as CSV or Parquet, no simulation ``truth.json``) or a
folder holding anything else is refused, untouched, with the way out (``--force``) stated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from satprofit.cli import main
from satprofit.io import write_portfolio

TINY = ["--clients", "20", "--quarters", "8"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_simulate_refuses_a_folder_holding_a_real_export(small_sim, tmp_path, fmt, capsys):
    export = write_portfolio(small_sim.portfolio, tmp_path / "export", fmt=fmt)
    before = _snapshot(export)
    assert main(["simulate", str(export), *TINY]) == 2
    err = capsys.readouterr().err
    assert str(export) in err and "a real export?" in err and "--force" in err
    assert _snapshot(export) == before  # every table kept, nothing added

    assert main(["simulate", str(export), *TINY, "--force", "--format", fmt]) == 0
    assert json.loads((export / "truth.json").read_text())["params"]["n_clients"] == 20


def test_simulate_refuses_a_folder_with_other_files(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "Q4 board pack.xlsx").write_bytes(b"PK\x03\x04 not ours")
    (folder / "clients.csv").write_text("client_id\nC1\n")
    assert main(["simulate", str(folder), *TINY]) == 2
    err = capsys.readouterr().err
    assert "Q4 board pack.xlsx" in err and "did not write" in err and "--force" in err
    assert sorted(p.name for p in folder.iterdir()) == ["Q4 board pack.xlsx", "clients.csv"]


def test_simulate_rewrites_its_own_output(tmp_path):
    folder = tmp_path / "sim"
    assert main(["simulate", str(folder), *TINY, "--seed", "1"]) == 0
    assert main(["simulate", str(folder), *TINY, "--seed", "2", "--format", "parquet"]) == 0
    assert json.loads((folder / "truth.json").read_text())["params"]["seed"] == 2
    assert not list(folder.glob("*.csv"))  # the other format's tables were replaced
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["simulate", str(empty), *TINY]) == 0


def test_the_library_refuses_too(small_sim, tmp_path):
    export = write_portfolio(small_sim.portfolio, tmp_path / "export")
    with pytest.raises(FileExistsError, match="--force"):
        small_sim.write(export)
    small_sim.write(export, force=True)
    assert (export / "truth.json").exists()


def test_read_truth_gives_the_written_truth_and_nothing_for_a_real_export(small_sim, tmp_path):
    from satprofit.simulate import read_truth

    folder = small_sim.write(tmp_path / "sim")
    assert read_truth(folder) == pytest.approx(small_sim.truth.values)
    assert read_truth(write_portfolio(small_sim.portfolio, tmp_path / "export")) == {}
