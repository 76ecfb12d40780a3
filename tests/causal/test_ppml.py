"""Absorbed-fixed-effect PPML equals statsmodels' Poisson GLM with client dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from satprofit.causal.ppml import ppml_fe


def _panel(n_groups=60, t=8, seed=0):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), t)
    alpha = rng.normal(0, 1, n_groups)[g]
    x = np.column_stack([rng.normal(0, 1, len(g)) + 0.5 * alpha, rng.normal(0, 1, len(g))])
    mu = np.exp(alpha + x @ np.array([0.4, -0.2]))
    y = rng.poisson(mu) * rng.lognormal(0, 0.5, len(g))  # a value, not a count (PPML)
    keep = pd.Series(y).groupby(g).transform("sum").to_numpy() > 0
    return y[keep], x[keep], pd.factorize(g[keep])[0]


def test_ppml_with_absorbed_effects_equals_the_dummy_glm():
    y, x, g = _panel()
    fit = ppml_fe(y, x, g)
    dummies = pd.get_dummies(g, drop_first=True, dtype=float).to_numpy()
    ref = sm.GLM(
        y, np.column_stack([np.ones(len(y)), x, dummies]), family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": g})
    np.testing.assert_allclose(fit.params, ref.params[1:3], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.fittedvalues, ref.fittedvalues, rtol=1e-6)
    # same sandwich up to statsmodels' small-sample factor (n-1)/(n-k), k with the dummies
    n, k = len(y), 3 + dummies.shape[1]
    np.testing.assert_allclose(fit.bse * np.sqrt((n - 1) / (n - k)), ref.bse[1:3], rtol=1e-4)


def test_ppml_recovers_the_coefficients_in_a_large_panel():
    y, x, g = _panel(n_groups=3000, t=10, seed=1)
    fit = ppml_fe(y, x, g)
    assert np.all(np.abs(fit.params - np.array([0.4, -0.2])) < 3 * fit.bse + 1e-3)
    assert fit.bse.max() < 0.03
