"""The ordinal satisfaction model: recovery, reproducibility, the convergence gate, saving.

Fast settings (2 chains, few draws) keep the suite quick; the recovery check asserts only that
the 95 % posterior interval of each estimand contains the simulator's truth.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from satprofit.bayes import BayesResult, ConvergenceWarning, SatisfactionModel


@pytest.fixture(scope="module")
def data(pfit):
    return pfit.data["satisfaction"]


@pytest.fixture(scope="module")
def fitted(pfit):
    """The satisfaction model of the shared fit (tests/bayes/conftest.py)."""
    return pfit.results["satisfaction"]


def test_data_units_match_the_questions(sim, data):
    projects = data.frame.loc[data.frame["no_milestones"] == 0, "project_id"].nunique()
    assert projects == sim.truth.n_units["quality_to_csat"]
    assert data.frame["project_id"].nunique() == sim.truth.n_units["status_reports_to_csat"]


@pytest.mark.parametrize("estimand", ["quality_to_csat", "status_reports_to_csat"])
def test_posterior_interval_contains_truth(sim, fitted, estimand):
    row = fitted.effects.loc[estimand]
    truth = sim.truth[estimand]
    assert row["ci_low"] <= truth <= row["ci_high"], (row.to_dict(), truth)
    assert row["unit"] == sim.truth.summary().loc[estimand, "unit"]


#: the keys of every record the ``bayes`` CLI prints (issue #5)
RECORD_KEYS = {
    "question",
    "estimate",
    "ci_low",
    "ci_high",
    "unit",
    "method",
    "n",
    "converged",
    "rhat_max",
    "ess_min",
    "divergences",
}


def test_records_have_the_cli_keys(fitted):
    rec = fitted.effect_records()[0]
    assert RECORD_KEYS <= set(rec)


def test_same_seed_same_posterior(data):
    kw = {"draws": 30, "tune": 30, "chains": 2, "cores": 1, "random_seed": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = SatisfactionModel().fit(data, **kw)
        b = SatisfactionModel().fit(data, **kw)
    np.testing.assert_array_equal(
        a.idata.posterior["beta"].values, b.idata.posterior["beta"].values
    )


def test_gate_fires_on_a_bad_fit(data):
    with pytest.warns(ConvergenceWarning, match="convergence gate"):
        bad = SatisfactionModel().fit(data, draws=20, tune=5, chains=2, cores=1, random_seed=1)
    assert not bad.converged
    assert bad.diagnostics["failing"]


def test_prior_predictive_covers_every_score(data):
    shares = SatisfactionModel().prior_predictive(data, samples=200)
    assert list(shares.index) == [1, 2, 3, 4, 5]
    assert shares.max() < 0.6 and shares.min() > 0.03


def test_save_and_load(fitted, tmp_path):
    path = fitted.save(tmp_path / "fit")
    back = BayesResult.load(path, expected_config=fitted.config)
    np.testing.assert_allclose(
        back.effects["median"].astype(float), fitted.effects["median"].astype(float)
    )
    assert back.converged == fitted.converged
    meta = json.loads((tmp_path / "fit.json").read_text())
    meta["config"]["beta_sd"] = 99
    (tmp_path / "fit.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="hash mismatch"):
        BayesResult.load(path)
    with pytest.raises(ValueError, match="another model configuration"):
        fitted.save(tmp_path / "fit2")
        BayesResult.load(tmp_path / "fit2", expected_config={**fitted.config, "beta_sd": 2})


def test_bayes_cli_json(pfit, capsys, monkeypatch):
    """The CLI passes its sampler options on and prints one record per question id with the
    gate's figures. The sampling itself is the session's shared fit (sampling is tested by the
    recovery tests); here the command's plumbing and output contract are under test."""
    import satprofit.runs
    from satprofit.cli import main
    from tests.conftest import REPO

    seen = {}

    def fake_fit(portfolio, **kw):
        seen.update(kw, clients=len(portfolio.clients))
        return pfit

    monkeypatch.setattr(satprofit.runs, "fit_models", fake_fit)
    monkeypatch.setattr(satprofit.runs, "signoff_estimate", lambda portfolio: pfit.signoff)
    code = main(
        [
            "bayes",
            str(REPO / "data" / "sample"),
            "--draws",
            "50",
            "--tune",
            "40",
            "--chains",
            "2",
            "--seed",
            "7",
            "--json",
        ]
    )
    sc = seen["sampler_config"]  # the CLI builds one SamplerConfig from its flags
    assert {k: getattr(sc, k) for k in ("draws", "tune", "chains", "random_seed")} == {
        "draws": 50,
        "tune": 40,
        "chains": 2,
        "random_seed": 7,
    }
    assert seen["clients"] == 80  # data/sample was loaded and validated
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["question"] for r in records] == [
        "quality_to_csat",
        "status_reports_to_csat",
        "csat_to_repeat.value",
        "csat_to_repeat.margin",
        "quality_to_repeat.total",
        "quality_to_repeat.direct",
        "quality_to_repeat.indirect",
    ]
    for r in records:
        assert RECORD_KEYS <= set(r)
        model = {"bayes_ordinal_satisfaction": "satisfaction", "bayes_repeat_hurdle": "repeat"}
        assert r["converged"] == pfit.results[model.get(r["method"], "path")].converged


def test_treatment_slopes_vary_by_size_band(sim, data, fitted):
    """Each treatment's slope is the mean coefficient plus a zero-sum deviation of the
    response's size band; every consumer (estimands, path, drivers, what-ifs) reads it through
    :meth:`SatisfactionModel.slopes`, and the latent predictor carries it."""
    model = fitted.model
    assert model.band_predictors(data) == ["ontime_within", "status_reports"]
    bands = sim.portfolio.clients.set_index("client_id")["size_band"]
    np.testing.assert_array_equal(
        np.asarray(data.sizes)[data.size], data.frame["client_id"].map(bands).to_numpy()
    )
    post = fitted.idata.posterior
    assert post["dbeta"].shape[2:] == (2, len(data.sizes))
    eta, _, _ = model.latent(fitted.idata, data, 200)
    flat = fitted.idata.copy()
    flat.posterior["dbeta"] = flat.posterior["dbeta"] * 0.0
    eta_flat, _, _ = model.latent(flat, data, 200)
    carried = np.zeros_like(eta)
    for estimand, name in (
        ("quality_to_csat", "ontime_within"),
        ("status_reports_to_csat", "status_reports"),
    ):
        s = model.slopes(fitted.idata, data, estimand, 200)
        b = fitted.coef("beta", name, 200)
        dev = post["dbeta"].sel(band_predictor=name).values.reshape(-1, len(data.sizes))
        dev = dev[:: max(1, len(dev) // 200)]
        np.testing.assert_allclose(s, b[:, None] + dev[:, data.size])
        np.testing.assert_allclose(dev.sum(axis=1), 0.0, atol=1e-9)  # zero-sum over bands
        np.testing.assert_allclose(
            model.slopes(flat, data, estimand, 200), np.repeat(b[:, None], data.n, 1)
        )
        carried += dev[:, data.size] * data.x[:, data.predictors.index(name)]
    np.testing.assert_allclose(eta - eta_flat, carried, atol=1e-9)
    unbanded = SatisfactionModel(model_config={"band_slopes": False})
    assert unbanded.band_predictors(data) == []
    assert "dbeta" not in unbanded.build_model(data).named_vars
