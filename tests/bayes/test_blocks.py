"""Sampling a model in independent blocks (``BayesModel.sampling_blocks``): the repeat model's
parts factorise the joint density exactly, the sampling form of each part has the density of
its predictive form, and blocks sampled apart merge into one posterior (variables side by
side, divergences of every block counted, reproducible seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.bayes import RepeatBusinessModel
from satprofit.bayes.base import SamplerConfig, _merge_blocks, _sample_blocks, convergence
from satprofit.bayes.repeat import repeat_data


@pytest.fixture(scope="module")
def rdata(small_sim):
    return repeat_data(small_sim.portfolio)


def _point(model, rng):
    """A random point of ``model``'s value variables (transformed space), away from the
    initial point so the check is not a special case."""
    start = model.initial_point()
    return {
        v.name: np.asarray(start[v.name]) + rng.normal(scale=0.3, size=np.shape(start[v.name]))
        for v in model.value_vars
    }


def test_the_parts_factorise_the_joint_density(rdata):
    """Sum of the blocks' log densities = the joint model's at random points, and the blocks'
    free variables are disjoint and together the joint's: sampling them apart samples the
    joint posterior."""
    model = RepeatBusinessModel()
    joint = model.build_model(rdata)
    blocks = model.sampling_blocks(rdata)
    assert len(blocks) == len(model.parts(rdata)) >= 2
    names = [{v.name for v in b.value_vars} for b in blocks]
    assert set().union(*names) == {v.name for v in joint.value_vars}
    assert sum(len(n) for n in names) == len(joint.value_vars)  # disjoint
    rng = np.random.default_rng(4)
    joint_logp, block_logps = joint.compile_logp(), [b.compile_logp() for b in blocks]
    for _ in range(3):
        point = _point(joint, rng)
        got = sum(
            float(f({k: point[k] for k in n})) for f, n in zip(block_logps, names, strict=True)
        )
        assert got == pytest.approx(float(joint_logp(point)), rel=1e-12)
    # switched off: one block, the joint model
    one = RepeatBusinessModel({"separate_parts": False}).sampling_blocks(rdata)
    assert len(one) == 1 and {v.name for v in one[0].value_vars} == set().union(*names)


@pytest.mark.parametrize("purchase", ["count", "hurdle"])
def test_the_purchase_potential_is_the_observed_density(rdata, purchase):
    """The sampling form of the purchase part with sampled client effects has the log density
    of its predictive form at any point: ``y·η - Σ exp(η)`` is PyMC's observed
    ``Poisson(exp(η))`` up to the constant ``-Σ log y!`` (count model), ``y·η - Σ
    softplus(η)`` exactly ``Bernoulli(logit_p=η)`` (hurdle model). The count model's default
    integrates its client effects out (``tests/bayes/test_marginal.py``)."""
    from scipy.special import gammaln

    model = RepeatBusinessModel({"purchase": purchase, "marginal_clients": False})
    sampled = model.build_model(rdata, parts=("any",))
    observed = model.build_model(rdata, parts=("any",), observed=True)
    assert "any_loglik" in [p.name for p in sampled.potentials] and not sampled.observed_RVs
    assert [v.name for v in observed.observed_RVs] == ["any"]
    y = model.purchase_outcome(rdata)
    if purchase == "count":
        assert y.max() > 1, "some quarter closes several deals (a count, not an indicator)"
        assert y.sum() == len(rdata.deal_row)
    else:
        assert set(np.unique(y)) == {0.0, 1.0}
    constant = -gammaln(y + 1).sum()
    rng = np.random.default_rng(5)
    f_sampled, f_observed = sampled.compile_logp(), observed.compile_logp()
    for _ in range(3):
        point = _point(sampled, rng)
        assert float(f_sampled(point)) + constant == pytest.approx(
            float(f_observed(point)), rel=1e-12
        )


def test_blocks_sampled_apart_merge_into_one_posterior():
    import pymc as pm

    with pm.Model() as a:
        pm.Normal("m", 1.0, 1.0)
    with pm.Model() as b:
        pm.Normal("s", -2.0, 0.5, shape=2)
    sc = SamplerConfig(draws=200, tune=100, chains=2, cores=1, sampler="pymc", random_seed=3)
    idata = _sample_blocks([a, b], sc)
    post = idata.posterior
    assert set(post.data_vars) == {"m", "s"}
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 200
    assert abs(float(post["m"].mean()) - 1.0) < 0.25
    assert np.allclose(post["s"].mean(("chain", "draw")), -2.0, atol=0.15)
    again = _sample_blocks([a, b], sc)  # reproducible: same seeds for every block
    np.testing.assert_array_equal(again.posterior["s"].values, post["s"].values)
    # the second block's seed differs from the first's
    alone = _sample_blocks([b], sc)
    assert not np.array_equal(alone.posterior["s"].values, post["s"].values)


def test_divergences_of_every_block_are_counted():
    import arviz as az

    def sampled(name, n_div):
        div = np.zeros((2, 50), bool)
        div[0, :n_div] = True
        return az.from_dict(
            posterior={name: np.zeros((2, 50))},
            sample_stats={"diverging": div, "step_size": np.ones((2, 50))},
        )

    merged = _merge_blocks([sampled("a", 0), sampled("b", 3), sampled("c", 2)])
    assert set(merged.posterior.data_vars) == {"a", "b", "c"}
    assert convergence(merged, ["a"])["divergences"] == 5
    assert int(merged.sample_stats["diverging_1"].sum()) == 3


def _two_block_toy():
    """Two independent Normal means (``m`` and ``s``), sampled as two blocks."""
    from satprofit.bayes.base import BayesModel

    class TwoBlocks(BayesModel):
        name = "two_blocks"
        summary_vars = ["m", "s"]

        def build_model(self, data, which=("m", "s")):
            import pymc as pm

            with pm.Model() as model:
                for name, y in zip(("m", "s"), data, strict=True):
                    if name in which:
                        mean = pm.Normal(name, 0.0, 1.0)
                        pm.Normal(f"y_{name}", mean, 1.0, observed=y)
            return model

        def sampling_blocks(self, data):
            return [self.build_model(data, ("m",)), self.build_model(data, ("s",))]

    rng = np.random.default_rng(0)
    return TwoBlocks(), (rng.normal(1.0, 1.0, 50), rng.normal(-1.0, 1.0, 50))


def test_a_block_that_alone_misses_the_gate_is_sampled_again_longer_and_thinned(monkeypatch):
    """The first gate fails on ``s`` only (ESS 150): only its block is sampled again, 3x as
    long (1.25 x 400 / 150 - 1, rounded up), each new chain appended to a first one and every
    4th draw kept; ``m``'s draws stand."""
    import satprofit.bayes.base as base

    real_gate, real_sample = base.convergence, base._sample
    gates, sampled = [], []

    def gate(*args, **kwargs):
        out = real_gate(*args, **kwargs)
        gates.append(out)
        if len(gates) == 1:
            table = out["table"].copy()
            table.loc["s", "ess_tail_min"] = 150.0
            out = {**out, "converged": False, "failing": ["s"], "table": table}
        return out

    def sample(model, sc):
        sampled.append(([v.name for v in model.free_RVs], sc.draws))
        out = real_sample(model, sc)
        raw.append(out)
        return out

    raw = []

    monkeypatch.setattr(base, "convergence", gate)
    monkeypatch.setattr(base, "_sample", sample)
    toy, data = _two_block_toy()
    kw = {"draws": 500, "tune": 200, "chains": 4, "cores": 1, "sampler": "pymc"}
    res = toy.fit(data, random_seed=3, **kw)
    assert sampled == [(["m"], 500), (["s"], 500), (["s"], 1500)]
    assert len(gates) == 2 and res.converged
    assert res.config["thinned_blocks"] == {"1": 4} and res.config["chains"] == 4
    post = res.idata.posterior
    assert post.sizes["draw"] == 500 and list(post["draw"].values) == list(range(500))
    assert float(post["s"].mean()) == pytest.approx(float(np.mean(data[1])) * 50 / 51, abs=0.1)
    # every 4th draw of the first chain and the new one behind it
    both = np.concatenate([raw[1].posterior["s"].values, raw[2].posterior["s"].values], axis=1)
    np.testing.assert_array_equal(post["s"].values, both[:, 3::4])
    np.testing.assert_array_equal(post["m"].values, raw[0].posterior["m"].values)
    assert res.diagnostics["table"].loc["s", "ess_bulk_min"] >= 400
    first = sampled.copy()
    sampled.clear()
    gates.clear()
    again = toy.fit(data, random_seed=3, **kw)  # reproducible
    assert sampled == first
    np.testing.assert_array_equal(again.idata.posterior["s"].values, post["s"].values)


def test_a_failing_estimand_samples_every_block_again(monkeypatch):
    """A failing row no single block holds (an estimand, computed from several) cannot be
    pinned on one block: every block gets more chains, as for a model sampled whole."""
    from satprofit.bayes.base import _failing_blocks

    toy, data = _two_block_toy()
    blocks = toy.sampling_blocks(data)
    assert _failing_blocks(blocks, ["s"]) == [1]
    assert _failing_blocks(blocks, ["m", "s"]) == [0, 1]
    assert _failing_blocks(blocks, ["estimand effect"]) == [0, 1]


def test_the_count_model_builds_where_no_repeat_deal_closed(rdata):
    """A portfolio whose clients bought nothing again (every count 0, no deal value): the
    count model still has a finite log density (the value part without rows adds nothing),
    and its what-if draws are zero."""
    import dataclasses

    none = dataclasses.replace(
        rdata,
        value=np.zeros_like(rdata.value),
        deal_row=np.zeros(0, int),
        deal_value=np.zeros(0),
    )
    model = RepeatBusinessModel()
    assert none.count.sum() == 0
    for block in model.sampling_blocks(none):
        assert np.isfinite(block.compile_logp()(block.initial_point()))
    lin = np.full((3, 4), -30.0)
    (value,) = model.predictive_values([(lin, lin)], 1.0, np.random.default_rng(0))
    assert (value == 0).all()
