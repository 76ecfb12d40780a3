"""Estimators on small synthetic data whose answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from satprofit.causal.aipw import aipw
from satprofit.causal.regression import regression_adjustment
from satprofit.features.questions import QuestionTable


def _table(d: pd.DataFrame, kind: str, delta: float, conf: tuple[str, ...], cats=()):
    return QuestionTable(
        "presales_signoff" if kind == "binary" else "quality_to_csat",
        d,
        ("unit",),
        "t",
        "y",
        kind,
        delta,
        1.0,
        conf,
        categorical=cats,
    )


def test_gcomputation_targets_the_unweighted_average_effect():
    """Effects differ by group and the treatment varies more in one group: OLS's single
    slope is variance-weighted and misses the plain average; the g-computation contrast
    with the moderator does not."""
    rng = np.random.default_rng(0)
    n = 4000
    big = rng.random(n) < 0.5
    t = rng.normal(0, np.where(big, 3.0, 0.5))
    slope = np.where(big, 1.0, 3.0)  # true average effect per +1: 2.0
    y = slope * t + 2 * big + rng.normal(0, 1, n)
    d = pd.DataFrame(
        {
            "unit": np.arange(n),
            "client_id": np.arange(n) // 4,
            "t": t,
            "y": y,
            "size_rank": big.astype(float),
        }
    )
    qt = _table(d, "continuous", 1.0, ("size_rank",))
    ols = sm.OLS(y, sm.add_constant(np.column_stack([t, big]))).fit().params[1]
    assert abs(ols - 2.0) > 0.5, "the additive regression is variance-weighted"
    est = regression_adjustment(qt, ("size_rank",), client_fe=False, moderators=("size_rank",))
    assert est.ci_low <= 2.0 <= est.ci_high
    assert est.estimate == pytest.approx(2.0, abs=0.1)


def test_aipw_removes_confounding_of_a_binary_treatment():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(size=n)
    group = rng.integers(0, 5, n).astype(str)
    p = 1 / (1 + np.exp(-(1.2 * x + (group == "3") * 1.0)))
    t = (rng.random(n) < p).astype(float)
    y = 1.5 * t + 2.0 * x + (group == "3") * 1.0 + rng.normal(0, 1, n)
    d = pd.DataFrame(
        {"unit": np.arange(n), "client_id": np.arange(n) // 3, "t": t, "y": y, "x": x, "g": group}
    )
    qt = _table(d, "binary", 1.0, ("x", "g"), cats=("g",))
    naive = y[t == 1].mean() - y[t == 0].mean()
    assert naive > 2.5
    est = aipw(qt, ("x", "g"), seed=3)
    assert est.ci_low <= 1.5 <= est.ci_high
    assert est.diagnostics["share_clipped"] < 0.1


def test_client_fixed_effects_remove_a_fixed_confounder():
    """A latent client trait drives treatment and outcome; the within estimator recovers it."""
    rng = np.random.default_rng(2)
    clients, per = 300, 6
    trait = np.repeat(rng.normal(size=clients), per)
    t = trait + rng.normal(0, 1, clients * per)
    y = 0.5 * t + 2 * trait + rng.normal(0, 1, clients * per)
    d = pd.DataFrame(
        {
            "unit": np.arange(clients * per),
            "client_id": np.repeat(np.arange(clients), per),
            "t": t,
            "y": y,
        }
    )
    qt = _table(d, "continuous", 1.0, ())
    pooled = regression_adjustment(qt, (), client_fe=False, moderators=())
    within = regression_adjustment(qt, (), client_fe=True, moderators=())
    assert not pooled.covers(0.5)
    assert within.covers(0.5)
