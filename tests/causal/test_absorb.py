"""Absorbing high-cardinality factors gives the dummy regression's numbers, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from satprofit.causal.aipw import aipw
from satprofit.causal.design import absorb, adjustment_design
from satprofit.causal.regression import regression_adjustment
from satprofit.features.questions import QuestionTable


def _data(seed: int = 0, n: int = 600, clients: int = 40) -> pd.DataFrame:
    """Owners and teams crossing clients (the same people in both roles, as in the real
    exports), a continuous treatment confounded by all three."""
    rng = np.random.default_rng(seed)
    client = rng.integers(0, clients, n)
    owner = rng.integers(0, 25, n)
    team = (owner + rng.integers(0, 4, n)) % 20  # teams overlap owners
    skill = (
        rng.normal(size=25)[owner] + rng.normal(size=20)[team] + rng.normal(size=clients)[client]
    )
    t = 0.5 + 0.2 * skill + rng.normal(0, 0.3, n)
    size = rng.integers(0, 4, n).astype(float)
    y = 1.5 * t - 0.4 * t**2 + skill + 0.3 * size + rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "unit": np.arange(n),
            "client_id": [f"c{c}" for c in client],
            "sales_owner": [f"p{o}" for o in owner],
            "delivery_team": [f"p{m}" for m in team],
            "period": rng.choice(["2024Q1", "2024Q2", "2024Q3"], n),
            "size_rank": size,
            "t": t,
            "y": y,
        }
    )


def _table(d: pd.DataFrame) -> QuestionTable:
    return QuestionTable(
        "quality_to_csat",
        d,
        ("unit",),
        "t",
        "y",
        "continuous",
        0.1,
        1.0,
        ("sales_owner", "delivery_team", "period", "size_rank"),
        categorical=("sales_owner", "delivery_team", "period"),
    )


ADJ = ("sales_owner", "delivery_team", "period", "size_rank")


@pytest.mark.parametrize("client_fe", [False, True])
def test_absorbed_factors_give_the_dense_dummy_fit(client_fe):
    qt = _table(_data())
    dense = regression_adjustment(qt, ADJ, client_fe=client_fe, max_dense_levels=10**6)
    absorbed = regression_adjustment(qt, ADJ, client_fe=client_fe, max_dense_levels=5)
    assert absorbed.diagnostics["absorbed"][-2:] == ["sales_owner", "delivery_team"]
    assert dense.diagnostics["absorbed"] == (["client FE"] if client_fe else [])
    assert absorbed.estimate == pytest.approx(dense.estimate, rel=1e-8)
    assert absorbed.se == pytest.approx(dense.se, rel=1e-8)
    assert absorbed.sensitivity["robustness_value"] == pytest.approx(
        dense.sensitivity["robustness_value"], rel=1e-8
    )


def test_absorbed_fit_matches_statsmodels_with_every_dummy():
    """Without client fixed effects: statsmodels OLS on all dummies (cluster-robust by
    client) gives the same contrast and standard error."""
    d = _data(1)
    qt = _table(d)
    r = regression_adjustment(qt, ADJ, client_fe=False, moderators=(), max_dense_levels=5)
    t = d["t"].to_numpy()
    x = pd.concat(
        [
            pd.DataFrame({"t": t, "t2": t**2, "size_rank": d["size_rank"]}),
            *[
                pd.get_dummies(d[c], prefix=c, drop_first=True, dtype=float)
                for c in ("sales_owner", "delivery_team", "period")
            ],
        ],
        axis=1,
    )
    groups = pd.factorize(d["client_id"])[0]
    fit = sm.OLS(d["y"].to_numpy(), sm.add_constant(x)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    names = list(fit.params.index)
    L = np.zeros(len(names))
    L[names.index("t")] = 0.1
    L[names.index("t2")] = ((t + 0.05) ** 2 - (t - 0.05) ** 2).mean()
    assert r.estimate == pytest.approx(float(L @ fit.params), rel=1e-8)
    assert r.se == pytest.approx(float(np.sqrt(L @ fit.cov_params().to_numpy() @ L)), rel=1e-8)


def test_alternating_projections_reach_the_least_squares_residual():
    d = _data(2, n=300)
    f = [pd.factorize(d[c])[0] for c in ("client_id", "sales_owner", "delivery_team")]
    dummies = np.hstack([np.eye(k.max() + 1)[k] for k in f])
    y = d["y"].to_numpy()
    resid = y - dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    absorbed, sweeps = absorb(y, f)
    assert sweeps > 1
    np.testing.assert_allclose(absorbed, resid, atol=1e-9)


def test_client_level_factors_are_left_to_the_client_fixed_effects():
    d = _data(3)
    d["sales_owner"] = d["client_id"].map(lambda c: f"p{int(c[1:]) % 7}")  # one per client
    des = adjustment_design(_table(d), ADJ, client_fe=True, max_dense_levels=5)
    assert des.factor_names == ["client FE", "delivery_team"]


def test_aipw_with_sparse_owner_columns_matches_the_dense_one_hot(monkeypatch):
    """AIPW keeps high-cardinality factors sparse (scaled, not centred): the nuisance fits,
    and so the estimate, are those of the dense standardized one-hot columns (solved to a
    tight tolerance here: at lbfgs's default 1e-4 the two differ by ~1e-3 relative)."""
    import importlib

    from sklearn.linear_model import LogisticRegression

    module = importlib.import_module("satprofit.causal.aipw")
    monkeypatch.setattr(
        module, "LogisticRegression", lambda **k: LogisticRegression(**k | {"tol": 1e-10})
    )
    d = _data(4, n=800)
    d["t"] = (d["t"] > d["t"].median()).astype(float)
    qt = QuestionTable(
        "presales_signoff",
        d,
        ("unit",),
        "t",
        "y",
        "binary",
        1.0,
        1.0,
        ADJ,
        categorical=("sales_owner", "delivery_team", "period"),
    )
    dense = aipw(qt, ADJ, seed=2, max_dense_levels=10**6)
    sparse_fit = aipw(qt, ADJ, seed=2, max_dense_levels=5)
    assert sparse_fit.estimate == pytest.approx(dense.estimate, rel=1e-5)
    assert sparse_fit.se == pytest.approx(dense.se, rel=1e-5)
