"""A two-valued treatment's difference read on the csat scale (satprofit.causal.scale).

Fast: against the exact answer of a cumulative-logit world built by hand (no sampling noise),
where the linear reading is measurably off; refusals where the reading does not apply.
Slow: the ``binary_ontime`` design's ``quality_to_csat`` at 2,000 clients, where the linear
reading's bias (10-20 % high) is several standard errors wide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.causal import estimate
from satprofit.causal.ceiling import expected_score, latent_level
from satprofit.causal.scale import read_on_scale
from satprofit.causal.support import MIN_ARM_UNITS
from satprofit.simulate import simulate_portfolio


def _world(b: float, n_clients: int = 300, per_client: int = 6, seed: int = 0):
    """Projects of a cumulative-logit world: latent eta_i = eta_c + b (t_i - tbar_c), mean
    csat the exact expected score (many responses, so the client levels are sharp), and the
    pooled answers drawn from the same model. Returns the data, the answers, the exact
    0-to-1 difference and the exact +0.1 effect at each project's own rate."""
    rng = np.random.default_rng(seed)
    cuts = np.array([-3.0, -1.8, -0.4, 1.2])
    clients = np.repeat(np.arange(n_clients), per_client)
    t = (rng.random(len(clients)) < 0.7).astype(float)
    eta_c = rng.normal(0.8, 1.0, n_clients)[clients]
    tbar = pd.Series(t).groupby(clients).transform("mean").to_numpy()
    eta = eta_c + b * (t - tbar)
    mean_csat = expected_score(eta, cuts)
    # the client's mean score must map back to eta_c: set eta_c from the projects' mean score
    d = pd.DataFrame({"client_id": clients, "t": t, "csat_mean": mean_csat, "responses": 10_000.0})
    level = d.groupby("client_id")["csat_mean"].transform("mean").to_numpy()
    eta_fit = latent_level(level, cuts)
    eta_i = eta_fit + b * (t - tbar)
    d["csat_mean"] = expected_score(eta_i, cuts)
    a = eta_fit - b * tbar
    diff = float((expected_score(a + b, cuts) - expected_score(a, cuts)).mean())
    truth = float(
        (expected_score(eta_i + b * 0.05, cuts) - expected_score(eta_i - b * 0.05, cuts)).mean()
    )
    u = rng.random(200_000)
    eta_draw = rng.choice(eta_i, 200_000)
    answers = 1 + (eta_draw[:, None] + np.log(u / (1 - u))[:, None] > cuts).sum(axis=1)
    return d, pd.Series(answers), diff, truth


@pytest.mark.parametrize("b", [1.5, 3.0, -2.0])
def test_the_difference_is_read_as_the_effect_at_each_projects_own_rate(b):
    """Within 2 % of the exact +10 pp effect (measured: 0.998, 0.993, 0.997; the pooled cut
    points come from the answers, not the world's own); the linear reading (difference / 10)
    is off by more than 5 % (measured: 1.07, 1.15, 0.92)."""
    d, answers, diff, truth = _world(b)
    r = read_on_scale(d, "t", diff, 0.01, 0.1, answers)
    assert r is not None
    assert r.estimate == pytest.approx(truth, rel=0.02)
    assert abs(diff * 0.1 / truth - 1) > 0.05
    assert r.ratio == pytest.approx(r.estimate / (diff * 0.1))
    assert np.sign(r.latent) == np.sign(b)
    # the standard error is the difference's, carried through the map's slope
    h = 1e-3 * abs(diff)
    up = read_on_scale(d, "t", diff + h, 0.01, 0.1, answers).estimate
    down = read_on_scale(d, "t", diff - h, 0.01, 0.1, answers).estimate
    assert r.se == pytest.approx(abs(up - down) / (2 * h) * 0.01, rel=1e-3)


def test_two_values_other_than_0_and_1_are_scaled_to_the_step():
    """Rates of 0.2 and 0.7 with their difference: the same answer as 0 and 1 with twice the
    step (the +0.1 step is a fifth of the 0.5 gap, as +0.2 is of the 0-1 gap)."""
    d, answers, diff, _ = _world(2.0, n_clients=80)
    moved = d.assign(t=0.2 + 0.5 * d["t"])
    a = read_on_scale(moved, "t", diff, 0.01, 0.1, answers, lo=0.2, hi=0.7)
    b = read_on_scale(d, "t", diff, 0.01, 0.2, answers)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-9)
    assert a.se == pytest.approx(b.se, rel=1e-6)


def test_unusable_levels_give_no_reading_rather_than_an_error():
    d, answers, diff, _ = _world(1.5, n_clients=40)
    assert read_on_scale(d.assign(csat_mean=np.nan), "t", diff, 0.01, 0.1, answers) is None
    assert read_on_scale(d.assign(responses=0.0), "t", diff, 0.01, 0.1, answers) is None
    assert read_on_scale(d, "t", diff, 0.01, 0.1, answers, lo=1.0, hi=1.0) is None


def test_no_reading_where_it_cannot_apply():
    d, answers, diff, _ = _world(1.5, n_clients=40)
    assert read_on_scale(d, "t", diff, 0.01, 0.1, pd.Series([4] * 50)) is None  # no variation
    assert read_on_scale(d, "t", 9.0, 0.01, 0.1, answers) is None  # beyond the scale
    assert read_on_scale(d, "t", float("nan"), 0.01, 0.1, answers) is None
    assert read_on_scale(d.iloc[:0], "t", diff, 0.01, 0.1, answers) is None


def test_a_zero_difference_reads_as_zero():
    d, answers, _, _ = _world(1.5, n_clients=40)
    r = read_on_scale(d, "t", 0.0, 0.01, 0.1, answers)
    assert r is not None and r.estimate == pytest.approx(0.0, abs=1e-9)


def test_almost_two_valued_rates_are_read_on_the_scale_too():
    """One-milestone projects with a few (fewer than ``MIN_ARM_UNITS``) of two milestones
    (rate 0.5): still no curvature term, and the slope is read between the two common values, not divided by ten."""
    tables = dict(
        simulate_portfolio(150, n_quarters=8, seed=5, design="binary_ontime").portfolio.tables
    )
    pr = tables["projects"].copy()
    few = pr.index[pr["milestones_planned"] > 0][: MIN_ARM_UNITS - 1]
    pr.loc[few, "milestones_planned"] = 2
    pr.loc[few, "milestones_on_time"] = 1
    tables["projects"] = pr
    from satprofit.io import Portfolio

    r = estimate(Portfolio.from_tables(tables), "quality_to_csat")["quality_to_csat"]
    assert r.ok and r.diagnostics["curvature_term"] is False
    assert "(almost) only two values" in r.note and "linear_reading" in r.diagnostics


def test_continuous_rates_keep_the_regression_contrast():
    """The reading applies to two-valued treatments only: the default design's rates vary."""
    sim = simulate_portfolio(60, n_quarters=8, seed=4)
    r = estimate(sim.portfolio, "quality_to_csat")["quality_to_csat"]
    assert r.ok and "linear_reading" not in r.diagnostics and "cumulative-logit" not in r.note


@pytest.mark.slow
def test_binary_ontime_quality_to_csat_recovers_the_truth():
    """``binary_ontime``, 2,000 clients x 12 quarters, seeds 2000-2003. Measured: estimate /
    truth 0.99, 0.95, 1.03, 1.02, every interval covering the truth (the linear reading: 1.10,
    1.04, 1.19, 1.17, covering 0 of 4 in the calibration study). Asserted: each within 8 %, at
    least 3 of 4 covered, and the mean ratio closer to 1 than the linear reading's."""
    ratios, linear, covered = [], [], 0
    for seed in (2000, 2001, 2002, 2003):
        sim = simulate_portfolio(2000, seed=seed, design="binary_ontime")
        r = estimate(sim.portfolio, "quality_to_csat")["quality_to_csat"]
        truth = sim.truth["quality_to_csat"]
        ratios.append(r.estimate / truth)
        linear.append(r.diagnostics["linear_reading"] / truth)
        covered += r.ci_low <= truth <= r.ci_high
    assert all(abs(x - 1) <= 0.08 for x in ratios), ratios
    assert covered >= 3
    assert abs(np.mean(ratios) - 1) < abs(np.mean(linear) - 1)
