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


def test_the_purchase_potential_is_the_bernoulli_density(rdata):
    """The sampling form of the purchase part (``y·η - Σ softplus(η)``) has exactly the log
    density of PyMC's observed ``Bernoulli(logit_p=η)`` at any point."""
    model = RepeatBusinessModel()
    sampled = model.build_model(rdata, parts=("any",))
    observed = model.build_model(rdata, parts=("any",), observed=True)
    assert "any_loglik" in [p.name for p in sampled.potentials] and not sampled.observed_RVs
    assert [v.name for v in observed.observed_RVs] == ["any"]
    rng = np.random.default_rng(5)
    f_sampled, f_observed = sampled.compile_logp(), observed.compile_logp()
    for _ in range(3):
        point = _point(sampled, rng)
        assert float(f_sampled(point)) == pytest.approx(float(f_observed(point)), rel=1e-12)


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
