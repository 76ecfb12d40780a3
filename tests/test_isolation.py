"""One failure never loses the rest: every model, estimate and report is computed in isolation.

Failures are injected with monkeypatch (a model's sampler raising, one causal estimator
raising, the causal part crashing after sampling, one client's report raising) and the tests
assert that every other answer is complete and the failed entry carries its status and reason,
through the Python API, the CLI (``--json``), the run folder and the report manifest.

The satisfaction model is sampled once for real (tiny settings); other models' fits are stand-ins
built from it, so a test of the plumbing never waits for a sampler.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import satprofit.bayes.fits as fits
import satprofit.runs as runs
from satprofit.bayes import PortfolioFit, RepeatBusinessModel, SatisfactionModel, fit_models
from satprofit.bayes.base import BayesResult
from satprofit.cli import NOTHING_PRODUCED, main
from satprofit.constants import ESTIMAND_IDS, ESTIMAND_UNITS
from satprofit.io import load_portfolio


@pytest.fixture(autouse=True)
def _reports_in_this_process(monkeypatch):
    """Reports render on threads of this process, where the injected failures live (a Dask
    worker process would import the unpatched satprofit)."""
    from satprofit.reporting.runners import SCHEDULER_ENV

    monkeypatch.setenv(SCHEDULER_ENV, "threads")


#: Sampler settings: enough for a result to exist, not to converge (2 chains: R-hat defined).
TINY = {"draws": 50, "tune": 50, "chains": 2, "cores": 1}
CLI_TINY = ["--draws", "50", "--tune", "50", "--chains", "2", "--cores", "1"]

#: Every estimand the Bayesian models answer (the incentive question has no Bayesian model).
BAYES_ESTIMANDS = {e for part in fits.ESTIMANDS.values() for e in part}
SIGNOFF = {"estimate": 4.0, "se": 1.0, "method": "regression"}


class SamplerExploded(RuntimeError):
    """The injected failure of a model's sampler."""


@pytest.fixture(scope="module")
def portfolio(sim_csv_dir):
    """The small test portfolio as read back from its CSV folder (what the CLI sees)."""
    return load_portfolio(sim_csv_dir)


def _effects(key: str, medians: list[float]) -> pd.DataFrame:
    """Answered effects rows of a part (fixed figures: the plumbing, not the statistics, is
    under test here)."""
    estimands = list(fits.ESTIMANDS[key])
    return pd.DataFrame(
        {
            "median": medians,
            "ci_low": [m - 1 for m in medians],
            "ci_high": [m + 1 for m in medians],
            "unit": [ESTIMAND_UNITS[e] for e in estimands],
            "n": [100] * len(estimands),
        },
        index=estimands,
    )


@pytest.fixture(scope="module")
def sat_result(portfolio):
    """A real satisfaction fit at tiny settings (unconverged; it saves and loads like any),
    with fixed answered effects."""
    from satprofit.bayes import satisfaction_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SatisfactionModel().fit(satisfaction_data(portfolio), random_seed=3, **TINY)
    return dataclasses.replace(res, effects=_effects("satisfaction", [0.1, 0.2]))


@pytest.fixture(scope="module")
def repeat_result(sat_result):
    """A stand-in repeat-business result: the satisfaction posterior under the repeat model's
    name, answering the repeat model's estimands (it saves and loads like a real one)."""
    return dataclasses.replace(
        sat_result, model_name=RepeatBusinessModel.name, effects=_effects("repeat", [1000, 1.5])
    )


def _raise(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc

    return fail


@pytest.fixture
def repeat_raises(monkeypatch, sat_result):
    """Satisfaction fits (its real result), the repeat model's sampler raises, sign-off fixed."""
    monkeypatch.setattr(SatisfactionModel, "fit", lambda self, *a, **k: sat_result)
    monkeypatch.setattr(
        RepeatBusinessModel, "fit", _raise(SamplerExploded("NaN in the log-likelihood"))
    )
    monkeypatch.setattr(runs, "signoff_estimate", lambda portfolio: SIGNOFF)


@pytest.fixture
def every_model_fits(monkeypatch, sat_result, repeat_result):
    """Both models fit (stand-ins); the path is stubbed from their effects."""
    monkeypatch.setattr(SatisfactionModel, "fit", lambda self, *a, **k: sat_result)
    monkeypatch.setattr(RepeatBusinessModel, "fit", lambda self, *a, **k: repeat_result)
    monkeypatch.setattr(runs, "signoff_estimate", lambda portfolio: SIGNOFF)


def _by_question(records: list[dict]) -> dict[str, dict]:
    out = {r["question"]: r for r in records}
    assert len(out) == len(records), "one record per estimand"
    return out


def _assert_answered(rec: dict) -> None:
    assert rec["status"] == "ok" and rec["reason"] in (None, "")
    assert np.isfinite([rec["estimate"], rec["ci_low"], rec["ci_high"]]).all()


def _assert_failed(rec: dict, *words: str) -> None:
    assert rec["status"] == "failed", rec
    assert rec["note"].startswith("failed: ")
    for w in words:
        assert w in rec["reason"], (w, rec["reason"])
    assert rec["estimate"] is None or not np.isfinite(rec["estimate"])


# --------------------------------------------------------------------------- Python API


def test_a_failing_sampler_keeps_the_other_model(portfolio, repeat_raises):
    fit = runs.fit_portfolio(portfolio, **TINY)
    assert set(fit.results) == {"satisfaction"}
    assert fit.failed["repeat"] == "SamplerExploded: NaN in the log-likelihood"
    assert "repeat" in fit.failed["path"] and "failed" in fit.failed["path"]
    assert not fit.skipped and fit.signoff == SIGNOFF
    recs = _by_question(fit.records())
    assert set(recs) == BAYES_ESTIMANDS
    for e in fits.ESTIMANDS["satisfaction"]:
        _assert_answered(recs[e])
    for e in fits.ESTIMANDS["repeat"]:
        _assert_failed(recs[e], "SamplerExploded", "NaN in the log-likelihood")
        assert recs[e]["method"] == RepeatBusinessModel.name
        assert recs[e]["unit"] == ESTIMAND_UNITS[e]
    for e in fits.ESTIMANDS["path"]:
        _assert_failed(recs[e], "repeat")
    # QUESTIONS.md order, failed entries included
    order = [e for e in ESTIMAND_IDS if e in BAYES_ESTIMANDS]
    assert [r["question"] for r in fit.records()] == order
    assert fit.summary().loc["csat_to_repeat.value", "status"] == "failed"
    diag = fit.diagnostics()
    assert diag.loc["repeat", "failed"].startswith("SamplerExploded")
    assert diag.loc["satisfaction", "failed"] == ""


def test_thin_data_is_not_estimable_and_a_crash_is_failed(portfolio, repeat_raises, monkeypatch):
    monkeypatch.setitem(
        fits.MODELS, "satisfaction", (SatisfactionModel, _raise(ValueError("only 3 responses")))
    )
    fit = fit_models(portfolio, **TINY)
    assert fit.skipped == {"satisfaction": "only 3 responses"}
    assert set(fit.failed) == {"repeat", "path"}
    recs = _by_question(fit.records())
    assert set(recs) == BAYES_ESTIMANDS
    for e in fits.ESTIMANDS["satisfaction"]:
        assert recs[e]["status"] == "not_estimable"
        assert recs[e]["reason"] == "only 3 responses"
        assert recs[e]["note"] == "not estimable: only 3 responses"
    _assert_failed(recs["csat_to_repeat.margin"], "SamplerExploded")


def test_a_crash_building_a_models_data_is_failed(portfolio, repeat_raises, monkeypatch):
    monkeypatch.setitem(
        fits.MODELS, "satisfaction", (SatisfactionModel, _raise(KeyError("response_id")))
    )
    fit = fit_models(portfolio, **TINY)
    assert fit.failed["satisfaction"] == "KeyError: 'response_id'"
    assert not fit.results


def test_a_failing_path_keeps_both_models(portfolio, every_model_fits, monkeypatch):
    monkeypatch.setattr(fits, "path_effects", _raise(ZeroDivisionError("division by zero")))
    messages = []
    fit = fit_models(portfolio, progress=messages.append, **TINY)
    assert set(fit.results) == {"satisfaction", "repeat"}
    assert fit.failed == {"path": "ZeroDivisionError: division by zero"}
    assert "path: failed (ZeroDivisionError: division by zero)" in messages
    recs = _by_question(fit.records())
    for e in (*fits.ESTIMANDS["satisfaction"], *fits.ESTIMANDS["repeat"]):
        _assert_answered(recs[e])
    for e in fits.ESTIMANDS["path"]:
        _assert_failed(recs[e], "ZeroDivisionError")


def test_a_failing_signoff_estimate_keeps_the_models(portfolio, every_model_fits, monkeypatch):
    monkeypatch.setattr(fits, "path_effects", _raise(ValueError("no units")))
    monkeypatch.setattr(runs, "signoff_estimate", _raise(OverflowError("math range error")))
    fit = runs.fit_portfolio(portfolio, **TINY)
    assert fit.signoff is None
    assert fit.failed == {"signoff": "OverflowError: math range error"}
    assert fit.skipped == {"path": "no units"}
    assert set(fit.results) == {"satisfaction", "repeat"}


def test_a_non_finite_posterior_summary_is_failed(portfolio, every_model_fits, monkeypatch):
    monkeypatch.setattr(fits, "path_effects", _raise(ValueError("no units")))
    fit = fit_models(portfolio, **TINY)
    fit.results["repeat"] = dataclasses.replace(
        fit.results["repeat"], effects=fit.results["repeat"].effects.iloc[:1].assign(median=np.nan)
    )
    recs = _by_question(fit.records())
    value = recs["csat_to_repeat.value"]
    assert value["status"] in ("not_estimable", "failed") and value["reason"]
    assert value["note"].split(":")[0] in ("not estimable", "failed")
    margin = recs["csat_to_repeat.margin"]  # the model omitted it: still accounted for
    assert margin["status"] == "not_estimable" and "no answer" in margin["reason"]


def test_save_and_load_a_fit_with_failed_parts(portfolio, repeat_raises, tmp_path):
    fit = fit_models(portfolio, **TINY)
    fit.save(tmp_path / "fit")
    meta = json.loads((tmp_path / "fit" / "fit.json").read_text())
    assert meta["models"] == ["satisfaction"]
    assert meta["failed"]["repeat"].startswith("SamplerExploded")
    loaded = PortfolioFit.load(tmp_path / "fit", portfolio)
    assert loaded.failed == fit.failed and loaded.skipped == fit.skipped
    assert set(loaded.results) == {"satisfaction"}
    assert [(r["question"], r["status"], r["reason"]) for r in loaded.records()] == [
        (r["question"], r["status"], r["reason"]) for r in fit.records()
    ]


def test_a_model_that_cannot_be_saved_does_not_lose_the_others(
    portfolio, every_model_fits, monkeypatch, tmp_path
):
    monkeypatch.setattr(fits, "path_effects", _raise(ValueError("no units")))
    fit = fit_models(portfolio, **TINY)
    real_save = BayesResult.save

    def save(self, path):
        if self.model_name == RepeatBusinessModel.name:
            raise OSError("disk full")
        return real_save(self, path)

    monkeypatch.setattr(BayesResult, "save", save)
    fit.save(tmp_path / "fit")
    assert not fit.failed  # the fit in memory is complete
    loaded = PortfolioFit.load(tmp_path / "fit", portfolio)
    assert set(loaded.results) == {"satisfaction"}
    assert loaded.failed["repeat"] == "could not be saved: OSError: disk full"
    recs = _by_question(loaded.records())
    _assert_failed(recs["csat_to_repeat.value"], "disk full")
    _assert_answered(recs["quality_to_csat"])


# --------------------------------------------------------------------------- causal records


def test_one_causal_estimator_raising_keeps_every_other_answer(portfolio, monkeypatch):
    """A method raising inside :func:`satprofit.causal.estimate`, and a whole question raising
    inside ``compare_methods``: each becomes failed records, every other record is kept."""
    import satprofit.causal as causal
    from satprofit.runs import causal_records

    monkeypatch.setattr(
        "satprofit.causal.estimators.aipw.aipw", _raise(ArithmeticError("weights overflow"))
    )
    real_compare = causal.compare_methods

    def compare(portfolio, question, **kw):
        if question == "csat_to_repeat":
            raise ZeroDivisionError("division by zero")
        return real_compare(portfolio, question, **kw)

    real_estimate = causal.estimate

    def estimate(portfolio, question, method=None, **kw):
        if question == "csat_to_repeat" and method == "regression":
            raise ZeroDivisionError("division by zero")
        return real_estimate(portfolio, question, method, **kw)

    monkeypatch.setattr(causal, "compare_methods", compare)
    monkeypatch.setattr(causal, "estimate", estimate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = causal_records(portfolio, n_boot=20)
    by = {(r["question"], r["method"]): r for r in recs}
    # the whole question failed: retried method by method, only the raising method is lost
    for part in ("value", "margin"):
        _assert_failed(by[(f"csat_to_repeat.{part}", "regression")], "ZeroDivisionError")
        for method in ("repeat_dynamics", "naive"):
            assert by[(f"csat_to_repeat.{part}", method)]["status"] != "failed"
    # the raising estimator: failed wherever the data let it run, other methods kept
    aipw = [r for r in recs if r["method"] == "aipw"]
    assert any(r["status"] == "failed" and "weights overflow" in r["reason"] for r in aipw)
    assert all(r["status"] in ("failed", "not_estimable") for r in aipw)
    # no other failure: every other record is an answer or a refusal with its reason
    injected = ("ZeroDivisionError", "weights overflow")
    for r in recs:
        if r["status"] == "failed":
            assert any(w in r["reason"] for w in injected), r
        elif r["status"] == "not_estimable":
            assert r["reason"] and r["note"].startswith("not estimable")
    assert any(r["status"] == "ok" for r in recs)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = causal_records(portfolio, n_boot=20)
    # every question by every method, none lost
    assert [(r["question"], r["method"]) for r in recs] == [
        (r["question"], r["method"]) for r in clean
    ]
    assert all(set(r) >= {"status", "reason", "note", "adjustment"} for r in recs)


# --------------------------------------------------------------------------- CLI and run folder


def test_bayes_cli_json_prints_every_answer_and_the_failed_ones(sim_csv_dir, repeat_raises, capsys):
    code = main(["bayes", str(sim_csv_dir), "--json", *CLI_TINY])
    out = capsys.readouterr()
    assert code == 0
    recs = _by_question(json.loads(out.out))  # strict JSON: no NaN
    assert set(recs) == BAYES_ESTIMANDS
    _assert_answered(recs["quality_to_csat"])
    _assert_failed(recs["csat_to_repeat.value"], "SamplerExploded", "NaN in the log-likelihood")
    assert recs["csat_to_repeat.value"]["estimate"] is None
    assert "repeat: FAILED (SamplerExploded" in out.err


def test_bayes_cli_table_shows_failed_estimands(sim_csv_dir, repeat_raises, capsys):
    assert main(["bayes", str(sim_csv_dir), *CLI_TINY]) == 0
    out = capsys.readouterr().out
    assert "quality_to_csat" in out and "csat_to_repeat.value" in out
    assert "csat_to_repeat.value: failed: SamplerExploded: NaN in the log-likelihood" in out


def test_bayes_cli_exits_3_when_nothing_is_answered(sim_csv_dir, repeat_raises, monkeypatch):
    monkeypatch.setattr(SatisfactionModel, "fit", _raise(MemoryError("out of memory")))
    assert main(["bayes", str(sim_csv_dir), "--json", *CLI_TINY]) == NOTHING_PRODUCED


def test_fit_cli_saves_the_run_when_the_causal_part_crashes(
    sim_csv_dir, portfolio, repeat_raises, monkeypatch, tmp_path, capsys
):
    """The crash seen on small portfolios (ZeroDivisionError after all the sampling) can no
    longer lose the Bayesian fit: the run is saved with the failure recorded."""
    import satprofit.runs as runs

    monkeypatch.setattr(runs, "causal_records", _raise(ZeroDivisionError("float division")))
    out = tmp_path / "run"
    assert main(["fit", str(sim_csv_dir), "--out", str(out), *CLI_TINY]) == 0
    assert "causal estimates FAILED: ZeroDivisionError: float division" in capsys.readouterr().err
    meta = json.loads((out / "run.json").read_text())
    assert meta["causal_error"] == "ZeroDivisionError: float division"
    assert meta["failed"]["repeat"].startswith("SamplerExploded")
    assert meta["models"] == ["satisfaction"]
    failed = {(r["question"], r["status"]) for r in meta["unanswered"]["bayes"]}
    assert ("csat_to_repeat.value", "failed") in failed
    assert json.loads((out / "causal.json").read_text()) == []
    run = runs.load_run(out, data=sim_csv_dir)
    assert set(run.fit.results) == {"satisfaction"}
    assert run.fit.failed == meta["failed"]


def test_fit_cli_records_failed_causal_estimates_in_the_run(
    sim_csv_dir, every_model_fits, monkeypatch, tmp_path
):
    import satprofit.runs as runs
    from satprofit.causal import no_answer

    def records(portfolio, **kw):
        bad = no_answer("quality_to_csat", "regression", "LinAlgError: singular", status="failed")
        good = dataclasses.replace(bad, estimate=0.1, ci_low=0.0, ci_high=0.2, se=0.05)
        good = dataclasses.replace(good, status="ok", reason="", note="")
        return [runs._causal_record(r) for r in (bad, good)]

    monkeypatch.setattr(runs, "causal_records", records)
    monkeypatch.setattr(fits, "path_effects", _raise(ValueError("no units")))
    out = tmp_path / "run"
    assert main(["fit", str(sim_csv_dir), "--out", str(out), *CLI_TINY]) == 0
    meta = json.loads((out / "run.json").read_text())
    assert meta["unanswered"]["causal"] == [
        {
            "question": "quality_to_csat",
            "method": "regression",
            "status": "failed",
            "reason": "LinAlgError: singular",
        }
    ]
    assert meta["causal_error"] is None and meta["skipped"] == {"path": "no units"}
    causal = json.loads((out / "causal.json").read_text())
    assert [r["status"] for r in causal] == ["failed", "ok"]


# --------------------------------------------------------------------------- reports


@pytest.fixture
def saved_run(sim_csv_dir, portfolio, repeat_raises, tmp_path):
    """A run whose repeat model failed, saved without causal estimates."""
    from satprofit.runs import save_run

    return save_run(tmp_path / "run", sim_csv_dir, fit_models(portfolio, **TINY), causal=[])


def _fake_render(fail_for: str):
    """A stand-in for papermill: writes the HTML, raises for one client's report."""
    from satprofit.reporting.render import RenderResult

    def render(template, html, *, title, audit_dir, params, pdf, **engine):
        config = json.loads(open(params["config_path"]).read())
        if config["client_id"] == fail_for:
            raise KeyError("csat_to_repeat.value")
        html.write_text(f"<html>{title}</html>")
        return RenderResult(html, audit_dir / "audit.ipynb", None)

    return render


def test_report_cli_writes_every_other_report_and_a_failed_manifest_entry(
    sim_csv_dir, saved_run, portfolio, monkeypatch, tmp_path, capsys
):
    import satprofit.reporting.batch as batch

    a, b, c = list(portfolio.clients["client_id"])[:3]
    monkeypatch.setattr(batch, "render_notebook", _fake_render(b))
    out = tmp_path / "reports"
    args = ["report", str(sim_csv_dir), "--run", str(saved_run), "--out", str(out), "--quiet"]
    assert main([*args, "--client", a, "--client", b, "--client", c, "--portfolio"]) == 0
    assert "FAILED client " + b + ": KeyError: 'csat_to_repeat.value'" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    status = {(e["kind"], e["client_id"]): e for e in manifest["reports"]}
    assert len(status) == 4
    assert status[("client", b)]["status"] == "failed"
    assert status[("client", b)]["error"] == "KeyError: 'csat_to_repeat.value'"
    for key in (("client", a), ("client", c), ("portfolio", None)):
        assert status[key]["status"] == "ok"
        assert (out / status[key]["html"].rsplit("/", 1)[-1]).exists()


def test_report_cli_exits_3_when_every_client_report_fails(
    sim_csv_dir, saved_run, portfolio, monkeypatch, tmp_path, capsys
):
    """A systematic failure (every client report failing) is not hidden by the portfolio
    report having been written."""
    import satprofit.reporting.batch as batch

    a, b = list(portfolio.clients["client_id"])[:2]
    monkeypatch.setattr(batch, "render_notebook", _fake_render(a))
    args = ["report", str(sim_csv_dir), "--run", str(saved_run), "--out", str(tmp_path / "r")]
    assert main([*args, "--client", a, "--quiet"]) == NOTHING_PRODUCED
    assert main([*args, "--client", a, "--portfolio", "--quiet"]) == NOTHING_PRODUCED
    assert "no client report written" in capsys.readouterr().err
    assert main([*args, "--client", a, "--client", b, "--quiet"]) == 0


def test_help_states_the_exit_code_rule(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    assert "0  the command produced its output" in text and "3  nothing could be produced" in text


def test_a_report_whose_config_cannot_be_written_is_a_failed_entry(
    sim_csv_dir, saved_run, portfolio, monkeypatch, tmp_path
):
    import satprofit.reporting.batch as batch
    from satprofit.reporting.config import ReportConfig

    a, b = list(portfolio.clients["client_id"])[:2]
    monkeypatch.setattr(batch, "render_notebook", _fake_render("nobody"))
    real_write = ReportConfig.write

    def write(self, path):
        if self.client_id == b:
            raise PermissionError("configs/ is read-only")
        return real_write(self, path)

    monkeypatch.setattr(ReportConfig, "write", write)
    m = batch.render_reports(saved_run, tmp_path / "r", [a, b], data=sim_csv_dir, progress=False)
    status = {j.client_id: j for j in m.reports}
    assert status[a].status == "ok"
    assert status[b].status == "failed"
    assert status[b].error == "PermissionError: configs/ is read-only"
    saved = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert [e["status"] for e in saved["reports"]] == ["ok", "failed"]


def test_a_run_with_a_failed_part_is_not_reused(saved_run, portfolio):
    from satprofit.runs import reusable_run, write_run_meta

    meta = json.loads((saved_run / "run.json").read_text())
    assert meta["failed"]
    assert not reusable_run(saved_run, portfolio, meta["settings"])
    meta["failed"] = {}
    write_run_meta(saved_run, meta)  # rewritten with its hash: an edit would not be reused
    assert reusable_run(saved_run, portfolio, meta["settings"])


def test_a_fit_saved_by_an_older_model_layout_is_refused(
    portfolio, repeat_raises, monkeypatch, tmp_path
):
    """A saved posterior whose predictors differ from the ones this version builds would make
    every client report fail; loading it says to refit instead."""
    from satprofit.bayes import satisfaction_data

    fit_models(portfolio, **TINY).save(tmp_path / "fit")
    assert PortfolioFit.load(tmp_path / "fit", portfolio).results["satisfaction"]

    def changed(p):
        d = satisfaction_data(p)
        return dataclasses.replace(d, predictors=[*d.predictors, "new_lever"])

    monkeypatch.setitem(fits.MODELS, "satisfaction", (SatisfactionModel, changed))
    with pytest.raises(ValueError, match="satisfaction model was fitted with predictors.*refit"):
        PortfolioFit.load(tmp_path / "fit", portfolio)


def test_a_failed_method_accounts_for_the_estimands_the_method_answers():
    """The failed records of a method name the same estimands its answer would."""
    from satprofit.causal import METHODS, api
    from satprofit.runs import _estimands

    for q, methods in METHODS.items():
        for m in methods:
            assert _estimands(q, m) == api._estimand_ids(q, m, ""), (q, m)


def test_fit_cli_exits_3_but_saves_the_run_when_nothing_is_answered(
    sim_csv_dir, repeat_raises, monkeypatch, tmp_path
):
    import satprofit.runs as runs

    monkeypatch.setattr(SatisfactionModel, "fit", _raise(MemoryError("out of memory")))
    monkeypatch.setattr(runs, "causal_records", lambda portfolio, **kw: [])
    out = tmp_path / "run"
    assert main(["fit", str(sim_csv_dir), "--out", str(out), *CLI_TINY]) == NOTHING_PRODUCED
    meta = json.loads((out / "run.json").read_text())
    assert meta["failed"]["satisfaction"] == "MemoryError: out of memory"
    assert {r["status"] for r in meta["unanswered"]["bayes"]} == {"failed"}
