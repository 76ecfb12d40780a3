"""The report templates' shared set-up: config, run, encoding and currency in one call."""

from __future__ import annotations

import json
import shutil

import pytest

from satprofit.reporting import blocks as B
from satprofit.reporting.config import ReportConfig
from satprofit.reporting.setup import open_report


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from tests.reporting.test_content import shared_run

    return shared_run(tmp_path_factory)


@pytest.fixture
def legacy_copy(run, tmp_path):
    """The run's data re-saved as UTF-16 CSV (Excel's "Unicode text"; the hostile names hold
    characters Windows-1252 cannot), with a currency."""
    dest = tmp_path / "data"
    shutil.copytree(run.data, dest)
    for f in dest.glob("*.csv"):
        f.write_bytes(f.read_text(encoding="utf-8").encode("utf-16"))
    (dest / "portfolio.json").write_text(json.dumps({"currency": "CHF"}))
    return dest


def test_open_report_reads_the_configs_encoding_and_shows_the_currency(run, legacy_copy, tmp_path):
    cfg = ReportConfig(
        str(run.folder), "portfolio", data=str(legacy_copy), encoding="utf-16"
    ).write(tmp_path / "cfg.json")
    before = B.set_currency(None)
    try:
        config, loaded = open_report(cfg, "portfolio")
        assert config.encoding == "utf-16" and loaded.encoding == "utf-16"
        assert loaded.portfolio.currency == "CHF"
        assert B.money(10_300) == "CHF 10,300"
        assert B.currency_label() == "CHF"
    finally:
        B.set_currency(before)


def test_open_report_without_the_encoding_names_the_problem(run, legacy_copy, tmp_path):
    from satprofit.io import DataValidationError

    cfg = ReportConfig(str(run.folder), "portfolio", data=str(legacy_copy)).write(
        tmp_path / "cfg.json"
    )
    with pytest.raises(DataValidationError, match="encoding"):
        open_report(cfg, "portfolio")


def test_open_report_refuses_the_other_kind(run, tmp_path):
    cfg = ReportConfig(str(run.folder), "portfolio", data=str(run.data)).write(tmp_path / "c.json")
    with pytest.raises(ValueError, match="renders client reports"):
        open_report(cfg, "client")


def test_a_template_opened_by_hand_finds_the_demo_run(run, tmp_path, monkeypatch):
    """Empty config_path (JupyterLab): the demo run and data found from the working folder
    upwards, the first client; without one, a message saying how to make it."""
    from satprofit.reporting.setup import hand_config

    monkeypatch.delenv("SATPROFIT_RUN", raising=False)
    monkeypatch.delenv("SATPROFIT_DATA", raising=False)
    repo = tmp_path / "repo"
    (repo / "runs").mkdir(parents=True)
    (repo / "data").mkdir()
    shutil.copytree(run.folder, repo / "runs" / "demo")
    shutil.copytree(run.data, repo / "data" / "sample")
    deep = repo / "src" / "satprofit" / "reporting" / "templates" / "notebooks"
    deep.mkdir(parents=True)
    cfg = hand_config("client", start=deep)
    assert cfg.run == str(repo / "runs" / "demo") and cfg.data == str(repo / "data" / "sample")
    assert cfg.client_id == str(run.portfolio.clients["client_id"].iloc[0])
    monkeypatch.chdir(deep)
    _, loaded = open_report("", "portfolio")
    assert loaded.folder.resolve() == (repo / "runs" / "demo").resolve()
    with pytest.raises(FileNotFoundError, match="make demo"):
        hand_config("client", start=tmp_path / "elsewhere")
