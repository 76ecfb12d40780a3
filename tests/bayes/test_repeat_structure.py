"""The Bayesian repeat model has the causal process model's structure (issue #10).

* every full quarter is a row, also those whose trailing window holds no response (csat 0
  with a missing indicator);
* the outcome is the flow: deals decided before the first survey response are left out;
* the slopes of the satisfaction and on-time windows vary by size band (zero-sum deviations
  around the mean slope), and every consumer (effects, the path, what-ifs) uses the row's band;
* the satisfaction model adjusts for size bands and for the tenure at the data's start, a
  client trait.
"""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.bayes.repeat import RepeatBusinessModel, repeat_data
from satprofit.bayes.satisfaction import satisfaction_data
from satprofit.constants import SIZE_BANDS
from satprofit.features.panel import repeat_deals
from satprofit.features.repeat_panel import flow_deals, quarterly_panel
from satprofit.simulate import simulate_portfolio


@pytest.fixture(scope="module")
def renewals():
    """A world whose clients under contract renew early on terms fixed before the data."""
    return simulate_portfolio(n_clients=80, n_quarters=10, seed=4, design="opening_renewals")


def test_every_full_quarter_is_a_row(sim):
    data = repeat_data(sim.portfolio)
    p = quarterly_panel(sim.portfolio)
    assert len(data.rows) == int(p["full_period"].sum())
    miss = data.x[:, data.predictors.index("csat_missing")] == 1
    assert 0 < miss.sum() < len(miss)
    # a missing window carries no within-client csat; the indicator says so
    assert np.all(data.x[miss, data.predictors.index("csat_within")] == 0)
    expected = data.rows["responses_trailing_prev"].fillna(0).to_numpy() == 0
    np.testing.assert_array_equal(miss, expected)


def test_outcome_leaves_out_predetermined_deals(renewals):
    data = repeat_data(renewals.portfolio)
    rep = flow_deals(renewals.portfolio)
    pre = rep[rep["predetermined"]]
    assert len(pre) > 0, "the opening-renewals world has renewals decided before the data"
    total = repeat_deals(renewals.portfolio)["contract_value"].sum()
    # the modelled flow is everything but the predetermined deals (within the full quarters)
    assert data.value.sum() <= total - pre["contract_value"].sum() + 1e-6
    np.testing.assert_allclose(data.value, data.rows["flow_value"].to_numpy())


def test_band_slopes_are_deviations_around_the_mean(pfit):
    rep = pfit.results["repeat"]
    data = pfit.data["repeat"]
    post = rep.draws(200)
    assert "csat_within" in data.band_predictors and "ontime" in data.band_predictors
    assert not any(p.endswith("_missing") for p in data.band_predictors)
    # zero-sum over bands: the bands' mean slope is the reported mean slope
    for part in ("any", "value"):
        slopes = rep.model.band_slope(post, part, data, "csat_within")
        assert slopes.shape == (len(data.sizes), len(post["sigma"]))
        np.testing.assert_allclose(
            slopes.mean(axis=0), rep.coef(f"beta_{part}", "csat_within", 200), atol=1e-9
        )
        # a predictor without band slopes has the mean slope in every band
        flat = rep.model.band_slope(post, part, data, "status_reports")
        assert np.allclose(flat, flat[0])


def test_linear_predictors_need_the_predictors_when_slopes_vary(pfit):
    rep = pfit.results["repeat"]
    data = pfit.data["repeat"]
    post = rep.draws(50)
    with pytest.raises(ValueError, match="size-band slopes"):
        rep.model.linear_predictors(post, data.x, data.client, data.size, data.industry)
    # on the data's rows the band deviations enter: the fit differs from the mean slopes
    la, lv = rep.model.data_linear_predictors(post, data)
    assert la.shape == (len(data.rows), len(post["sigma"]))
    assert np.isfinite(la).all() and np.isfinite(lv).all()


def test_band_slopes_can_be_switched_off(small_sim):
    data = repeat_data(small_sim.portfolio)
    model = RepeatBusinessModel(model_config={"band_slopes": False, "quarter_effects": False})
    names = model.build_model(data).named_vars
    assert "dbeta_any" not in names and "u_quarter_any" not in names
    names = RepeatBusinessModel().build_model(data).named_vars
    assert "dbeta_any" in names and "u_quarter_value" in names


def test_satisfaction_adjusts_for_size_bands_and_tenure_at_the_start(sim):
    data = satisfaction_data(sim.portfolio)
    f = data.frame
    for band in SIZE_BANDS[1:]:
        assert f"size_{band}" in data.predictors
    # tenure is a client trait: one value per client
    assert (f.groupby("client_id")["tenure_z"].nunique() == 1).all()
    # the indicators match the clients' bands
    bands = f["client_id"].map(sim.portfolio.clients.set_index("client_id")["size_band"])
    np.testing.assert_array_equal(f["size_large"].to_numpy() == 1, (bands == "large").to_numpy())
