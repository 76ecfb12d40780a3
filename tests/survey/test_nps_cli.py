"""`satprofit nps` (one JSON object, tables, refusals) and `satprofit fit --nps` (the nps
likelihood switched on and recorded, so --reuse respects it; tiny PyMC draws)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from satprofit.cli import build_parser, main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _json(capsys, argv) -> tuple[int, dict]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_json_is_one_object_with_estimates_and_comparison(capsys):
    code, out = _json(capsys, ["nps", str(SAMPLE), "--json", "--draws", "500"])
    assert code == 0
    assert set(out) == {"status", "by", "estimates", "comparison"}
    assert out["status"] == "ok" and out["comparison"] is None
    (group,) = out["estimates"]["groups"]
    assert {"n", "n_eff", "raw_nps", "estimate", "ci_low", "ci_high"} <= set(group)
    assert group["ci_low"] < group["estimate"] < group["ci_high"]
    assert out["estimates"]["settings"]["interval_prob"] == 0.95
    assert any("no nps answer" in n for n in out["estimates"]["notes"])

    code, out = _json(
        capsys,
        ["nps", str(SAMPLE), "--by", "client", "--compare-periods", "--json", "--draws", "500"],
    )
    assert code == 0
    est = out["estimates"]
    assert est["method"] == "pooled"
    assert {"client_id", "segment", "shrinkage"} <= set(est["groups"][0])
    assert len(est["groups"]) == 80 and len(est["segments"]) == 4
    assert est["kappa"]["median"] > 0
    rows = out["comparison"]["comparisons"]
    assert rows and {"client_id", "difference", "ci_low", "ci_high", "p_rose"} <= set(rows[0])
    assert out["comparison"]["settings"]["pooled"] is True


def test_same_seed_same_json(capsys):
    argv = ["nps", str(SAMPLE), "--by", "segment", "--json", "--draws", "300", "--seed", "4"]
    assert _json(capsys, argv) == _json(capsys, argv)


def test_table_output_split_weights_and_segments(capsys):
    argv = ["nps", str(SAMPLE), "--by", "segment", "--period-split", "2024-01-01"]
    argv += ["--role-weights", '{"executive sponsor": 2}', "--draws", "300"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Dirichlet posterior, uniform prior, 95% intervals" in out
    assert "role weights" in out and "enterprise" in out and "p_rose" in out
    assert main(["nps", str(SAMPLE), "--compare", "small", "enterprise", "--draws", "300"]) == 0
    assert "change enterprise minus small" in capsys.readouterr().out


def test_bad_usage_exits_2_with_the_reason(capsys):
    assert main(["nps", str(SAMPLE), "--role-weights", '{"ceo": 2}']) == 2
    assert "surveys.respondent_role" in capsys.readouterr().err
    assert main(["nps", str(SAMPLE), "--segment", "tier"]) == 2
    assert "clients.tier: no such column" in capsys.readouterr().err
    argv = ["nps", str(SAMPLE), "--period-split", "2024-01-01", "--compare-periods"]
    assert main(argv) == 2
    assert "one of" in capsys.readouterr().err


def test_no_nps_answers_is_refused_with_exit_3(csv_copy, capsys):
    path = csv_copy / "surveys.csv"
    sv = pd.read_csv(path, dtype=str, keep_default_na=False)
    sv["nps"] = ""
    sv.to_csv(path, index=False)
    code, out = _json(capsys, ["nps", str(csv_copy), "--json"])
    assert code == 3
    assert out["status"] == "not_estimable" and "no NPS to compute" in out["reason"]


def test_fit_parser_has_nps_and_maps_it_to_the_model_config():
    from satprofit.cli import _model_configs

    args = build_parser().parse_args(["fit", "d", "--out", "r", "--nps"])
    assert _model_configs(args) == {"satisfaction": {"nps": True}}
    args = build_parser().parse_args(["fit", "d", "--out", "r"])
    assert _model_configs(args) == {}
    for cmd in (["bayes", "d"], ["report", "d", "--all"]):  # report: the run it fits itself
        args = build_parser().parse_args([*cmd, "--nps"])
        assert _model_configs(args) == {"satisfaction": {"nps": True}}


def test_fit_models_refuses_unknown_model_configs():
    from satprofit.bayes.fits import check_model_configs

    with pytest.raises(ValueError, match="no model 'satisfactoin'"):
        check_model_configs({"satisfactoin": {"nps": True}})
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['npss'\]"):
        check_model_configs({"satisfaction": {"npss": True}})


@pytest.mark.filterwarnings("ignore::satprofit.bayes.base.ConvergenceWarning")
def test_fit_with_nps_records_it_and_reuse_respects_it(sim_csv_dir, tmp_path):
    """The nps likelihood enters the satisfaction model (kappa_nps in the posterior), the
    configuration is in fit.json and run.json, the loaded model has it, and a run fitted
    with nps is reused only when nps is asked for again."""
    from satprofit.bayes import fit_models
    from satprofit.io import load_portfolio
    from satprofit.runs import fitted_alike, load_run, reusable_run, save_run

    portfolio = load_portfolio(sim_csv_dir)
    configs = {"satisfaction": {"nps": True}}
    fit = fit_models(
        portfolio,
        models=("satisfaction",),
        model_configs=configs,
        draws=20,
        tune=20,
        chains=1,
        cores=1,
    )
    res = fit.results["satisfaction"]
    assert res.config["nps"] is True
    assert "kappa_nps" in res.idata.posterior and "kappa_nps" in res.config["summary_vars"]
    run = save_run(tmp_path / "run", sim_csv_dir, fit, causal=[])
    meta = json.loads((run / "run.json").read_text())
    assert meta["model_configs"] == configs
    assert json.loads((run / "fit" / "fit.json").read_text())["model_configs"] == configs
    assert reusable_run(run, portfolio, meta["settings"], configs)
    assert not reusable_run(run, portfolio, meta["settings"])
    # `satprofit report` without --run fits afresh when the saved run lacks (or has) nps
    assert fitted_alike(run, portfolio, meta["settings"], configs)
    assert not fitted_alike(run, portfolio, meta["settings"])
    assert not fitted_alike(tmp_path / "none", portfolio, meta["settings"], configs)
    loaded = load_run(run, portfolio)
    assert loaded.fit.model_configs == configs
    assert loaded.fit.results["satisfaction"].model.model_config["nps"] is True

    from satprofit.reporting.common import nps_in_model_text, run_settings_rows

    assert nps_in_model_text(loaded).startswith("yes")
    assert (
        "Likelihood to recommend (nps) in the satisfaction model",
        nps_in_model_text(loaded),
    ) in (run_settings_rows(loaded))
