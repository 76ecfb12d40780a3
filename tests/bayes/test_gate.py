"""The convergence gate and the sampler settings: what is gated (sampled parameters and the
estimands' draws), the verdict kept across save and load, and the ``"auto"`` sampler rule."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.bayes import BayesResult, RepeatBusinessModel, SatisfactionModel
from satprofit.bayes.base import NUTPIE_ROWS, SamplerConfig, chain_draws, convergence


def _idata(rng, chains=4, draws=400, shift=0.0):
    import arviz as az

    x = rng.normal(size=(chains, draws))
    x[0] += shift  # one chain elsewhere: R-hat far above 1.01
    return az.from_dict(
        posterior={"a": rng.normal(size=(chains, draws)), "x": x},
        sample_stats={"diverging": np.zeros((chains, draws), bool)},
    )


def test_an_estimand_that_did_not_mix_fails_the_gate_though_every_parameter_did():
    rng = np.random.default_rng(0)
    idata = _idata(rng)
    good = convergence(idata, ["a"], {"effect": rng.normal(size=(4, 400))})
    assert good["converged"] and "estimand effect" in good["table"].index
    stuck = rng.normal(size=(4, 400))
    stuck[1] += 3.0
    bad = convergence(idata, ["a"], {"effect": stuck})
    assert not bad["converged"] and bad["failing"] == ["estimand effect"]
    # a loaded fit has no draws: the saved rows give the same verdict
    again = convergence(idata, ["a"], saved_rows=bad["estimand_rows"])
    assert not again["converged"] and again["failing"] == ["estimand effect"]


def test_estimand_draws_are_split_by_chain_only_when_the_thinning_kept_chains_whole():
    import arviz as az

    idata = az.from_dict(posterior={"a": np.zeros((4, 1000))})
    flat = np.repeat(np.arange(4.0), 250)  # thinned by 4, chain by chain
    split = chain_draws(idata, {"e": flat})["e"]
    assert split.shape == (4, 250) and (split[:, 0] == np.arange(4)).all()
    odd = az.from_dict(posterior={"a": np.zeros((3, 1001))})
    assert chain_draws(odd, {"e": np.zeros(1001)}) == {}  # step 3 straddles chains: left out


def test_the_auto_sampler_takes_nutpie_for_large_models_with_many_draws():
    pytest.importorskip("nutpie")
    auto = SamplerConfig()
    assert auto.sampler == "auto" and auto.tune is None
    big = auto.resolve(NUTPIE_ROWS)
    assert (big.sampler, big.tune) == ("nutpie", 300)
    small = auto.resolve(NUTPIE_ROWS - 1)
    assert (small.sampler, small.tune) == ("pymc", 1000)
    few_draws = auto.replace(draws=200).resolve(10 * NUTPIE_ROWS)
    assert few_draws.sampler == "pymc"  # compilation would outweigh the sampling
    chosen = SamplerConfig(sampler="pymc", tune=50).resolve(10 * NUTPIE_ROWS)
    assert (chosen.sampler, chosen.tune) == ("pymc", 50)  # an explicit choice is kept


def test_the_repeat_gate_covers_sampled_intercepts_effects_and_estimands(pfit, tmp_path):
    rep = pfit.results["repeat"]
    gated = set(rep.diagnostics["table"].index)
    assert {"alpha_centred_any", "mu_centred_value", "u_quarter_value", "u_size_any"} <= gated
    assert not {"alpha_any", "mu_value"} & gated  # re-expressions at zero covariates
    assert {"estimand csat_to_repeat.value", "estimand csat_to_repeat.margin"} <= gated
    back = BayesResult.load(rep.save(tmp_path / "rep"), expected_config=rep.config)
    assert set(back.diagnostics["table"].index) == gated
    assert back.converged == rep.converged


def test_satisfaction_gate_has_fixed_group_effects_and_both_estimands(pfit):
    sat = pfit.results["satisfaction"]
    gated = set(sat.diagnostics["table"].index)
    assert {"sigma_client", "a_team", "a_owner", "a_industry", "beta", "cutpoints"} <= gated
    assert not {"sigma_team", "sigma_owner", "sigma_industry"} & gated
    assert {"estimand quality_to_csat", "estimand status_reports_to_csat"} <= gated
    # the zero-sum effects sum to zero: the cut points carry the level
    for group in ("team", "owner", "industry"):
        sums = sat.idata.posterior[f"a_{group}"].sum(group).values
        assert np.abs(sums).max() < 1e-8


def test_a_group_with_one_level_gets_no_effect_and_partial_pooling_is_kept(pfit):
    data = pfit.data["satisfaction"]
    one = type(data)(**{**data.__dict__, "team": np.zeros_like(data.team), "teams": ["t"]})
    model = SatisfactionModel()
    assert "team" not in model._fixed_groups(one)
    assert "a_team" not in model.build_model(one).named_vars
    partial = SatisfactionModel({"group_effects": "partial"})
    assert {"sigma_team", "sigma_owner"} <= set(partial.variables(data))
    assert "sigma_team" in partial.build_model(data).named_vars


def test_repeat_rows_size_the_sampler(pfit):
    data = pfit.data["repeat"]
    assert RepeatBusinessModel().rows(data) == len(data.rows)
    assert SatisfactionModel().rows(pfit.data["satisfaction"]) == pfit.data["satisfaction"].n


class _Toy:
    """A one-parameter model (a Normal mean) for the fit's mechanics, in seconds."""

    @staticmethod
    def model_class():
        from satprofit.bayes.base import BayesModel

        class Toy(BayesModel):
            name = "toy"
            summary_vars = ["m"]

            def build_model(self, data):
                import pymc as pm

                with pm.Model() as model:
                    m = pm.Normal("m", 0.0, 1.0)
                    pm.Normal("y", m, 1.0, observed=data)
                return model

        return Toy


def _first_gate_fails(monkeypatch, **diag) -> list:
    """Make the first convergence gate of a fit fail on mixing alone (no divergence), with
    ``diag`` overriding its figures; returns the list of gates run."""
    import satprofit.bayes.base as base

    real, calls = base.convergence, []

    def first_fails(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out)
        if len(calls) == 1:
            out = {**out, "converged": False, "failing": ["m"], "divergences": 0, **diag}
        return out

    monkeypatch.setattr(base, "convergence", first_fails)
    return calls


def _toy_fit(chains: int):
    toy = _Toy.model_class()()
    data = np.random.default_rng(0).normal(1.0, 1.0, size=50)
    return toy.fit(data, draws=500, tune=100, chains=chains, cores=1, sampler="pymc", random_seed=3)


def test_a_production_fit_failing_on_mixing_alone_samples_as_many_chains_again(monkeypatch):
    calls = _first_gate_fails(monkeypatch, rhat_max=1.05)  # chains that disagree (R-hat)
    res = _toy_fit(chains=2)
    assert len(calls) == 2 and res.converged
    assert res.idata.posterior.sizes["chain"] == 4 and res.config["chains"] == 4
    m = res.idata.posterior["m"].values
    assert not np.allclose(m[0], m[2])  # the new chains have their own seed
    calls.clear()
    again = _toy_fit(chains=2)
    np.testing.assert_array_equal(again.idata.posterior["m"].values, m)  # reproducible


def test_a_near_miss_on_ess_samples_only_the_chains_the_shortfall_needs(monkeypatch):
    import satprofit.bayes.base as base
    from satprofit.bayes.base import extra_chains

    def gate(ess, rhat=1.0):
        return {"converged": False, "divergences": 0, "ess_min": ess, "rhat_max": rhat}

    sc = SamplerConfig(chains=4, cores=2)
    # 387 of 400: 4 * (1.25 * 400 / 387 - 1) = 1.2 chains, one round of 2 processes
    assert extra_chains(sc, gate(387.0)) == 2
    assert extra_chains(SamplerConfig(chains=4, cores=1), gate(387.0)) == 2
    assert extra_chains(SamplerConfig(chains=4, cores=4), gate(387.0)) == 4
    assert extra_chains(sc, gate(300.0)) == 4  # 2.7 chains: two rounds
    assert extra_chains(sc, gate(100.0)) == 4  # never more than as many again
    assert extra_chains(sc, gate(387.0, rhat=1.02)) == 4  # chains disagree: as many again
    assert extra_chains(sc, gate(float("nan"))) == 4
    assert extra_chains(sc, gate(450.0)) == 4  # failing on something ESS does not measure
    # the pooled chains lift the ESS over the bar: about (4 + 2) / 4 * 387 = 580
    assert 387.0 * (4 + extra_chains(sc, gate(387.0))) / 4 >= base.ESS_MIN * base.RETRY_MARGIN

    calls = _first_gate_fails(monkeypatch, ess_min=390.0, rhat_max=1.0)  # just short on ESS
    res = _toy_fit(chains=4)
    assert len(calls) == 2 and res.converged
    assert res.idata.posterior.sizes["chain"] == 6 and res.config["chains"] == 6


def test_no_second_round_for_short_fits_divergences_or_when_switched_off():
    from satprofit.bayes.base import _extend

    short = {"converged": False, "divergences": 0}
    assert _extend(SamplerConfig(), short)
    assert not _extend(SamplerConfig(draws=300), short)  # test-sized fits stay short
    assert not _extend(SamplerConfig(), {"converged": False, "divergences": 2})
    assert not _extend(SamplerConfig(extend=False), short)
    assert not _extend(SamplerConfig(), {"converged": True, "divergences": 0})
