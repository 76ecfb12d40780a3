"""The scale benchmark still runs (at a toy size): absorbed and dense fits agree."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_bench_adjustment_runs_and_the_two_fits_agree(capsys):
    spec = importlib.util.spec_from_file_location(
        "bench_adjustment", REPO / "benchmarks" / "bench_adjustment.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = ["--dense-projects", "600", "--dense-clients", "120", "--dense-people", "150"]
    args += ["--projects", "3000", "--clients", "600", "--people", "100"]
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert "absorbed" in out and "dense dummies" in out and "load average" in out
    diff = float(out.split("|estimate difference| ")[1].split(",")[0])
    assert diff < 1e-8
