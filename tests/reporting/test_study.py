"""The survey case study (ECSI): its sections without a kernel, and rendered end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from satprofit.cli import main
from satprofit.reporting import study as S


@pytest.fixture(scope="module")
def ecsi_study(tmp_path_factory):
    cfg = S.StudyConfig(
        str(S.ECSI_DATA),
        "ecsi",
        n_boot=50,
        seed=7,
        reference=str(S.ECSI_REFERENCE),
    )
    path = cfg.write(tmp_path_factory.mktemp("study") / "study.json")
    return S.open_study(path)


def _text(blocks) -> str:
    return "\n".join(b.metadata["alt"] if isinstance(b.data, bytes) else b.data for b in blocks)


def test_reference_table_matches_plspm(ecsi_study):
    t = S.reference_table(ecsi_study)
    assert len(t) == 10 + 5  # every path coefficient and every endogenous R-squared
    assert t["difference (centroid)"].abs().max() < 1e-9
    assert t["difference (path weighting)"].abs().max() < 0.005


def test_sections(ecsi_study):
    text = _text(S.data_blocks(ecsi_study) + S.reference_blocks(ecsi_study))
    assert "250 respondents" in text and "27 questions" in text
    assert "Perceived value (VAL)" in text


def test_key_drivers_of_the_ecsi_outcomes(ecsi_study):
    assert list(ecsi_study.drivers) == ["SAT", "LOY"]
    kd = ecsi_study.drivers["SAT"]
    assert kd.ranking()[0] == "VAL"
    assert not kd.table["causal"].any()  # a survey file alone: associational only
    text = _text(S.driver_blocks(ecsi_study))
    assert "Perceived value" in text and "not shown to cause it" in text


def test_without_bayesian_draws_the_section_says_how_to_get_it(ecsi_study):
    assert ecsi_study.bayes is None
    assert "--bayes-draws" in _text(S.bayes_blocks(ecsi_study))


@pytest.mark.slow
def test_bayesian_section_beside_pls(tmp_path):
    cfg = S.StudyConfig(
        str(S.ECSI_DATA),
        "ecsi",
        n_boot=0,
        bayes_draws=30,  # a smoke fit: one short chain (fails the gate, and says so)
        bayes_chains=1,
    )
    study = S.open_study(cfg.write(tmp_path / "study.json"))
    table, agree = S.method_agreement(study)
    assert len(table) == agree["paths"] == 10
    assert set(table.columns) >= {"PLS", "Bayesian", "Same sign"}
    text = _text(S.bayes_blocks(study))
    assert "did NOT pass its convergence checks" in text  # one chain of 30 draws
    assert "Bayesian ordinal path model" in text


def test_config_refuses_unknown_keys(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"data": "x.csv", "bogus": 1}')
    with pytest.raises(ValueError, match="bogus"):
        S.load_study_config(p)


def test_cli_renders_the_ecsi_case_study(tmp_path, capsys):
    out = tmp_path / "reports"
    args = ["survey-report", "--out", str(out), "--boot", "50", "--bayes-draws", "0"]
    assert main(args) == 0
    html_path = Path(capsys.readouterr().out.strip())
    assert html_path.parent == out and html_path.suffix == ".html"
    html = html_path.read_text()
    for section in (
        "How well the survey measures",
        "the PLS path model",
        "Checked against R plspm",
    ):
        assert section in html
    assert not re.search(r"<script", html)
    assert (out / "audit" / f"{html_path.stem}.ipynb").exists()
    assert not any(p.suffix == ".tmp" for p in out.iterdir())


def test_cli_clear_errors(tmp_path, capsys):
    assert main(["survey-report", str(tmp_path / "none.csv"), "--out", str(tmp_path)]) == 2
    assert "no such survey file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("constructs: 3\n")
    assert main(["survey-report", "--spec", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").glob("*.html"))
