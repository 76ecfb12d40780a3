"""The Bayesian repeat model has the causal process model's structure (issue #10).

* every full quarter is a row, also those whose trailing window holds no response (csat 0
  with a missing indicator);
* the outcome is the flow: deals decided before the first survey response are left out;
* the slopes of the satisfaction windows (and, as an option, the on-time windows) vary by
  size band (zero-sum deviations around the mean slope), and every consumer (effects, the
  path, what-ifs) uses the row's band;
* the on-time windows are within-client deviations beside the client's mean (Mundlak);
* the satisfaction model adjusts for size bands and for the tenure at the data's start, a
  client trait.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def test_deals_of_a_row_make_up_its_flow_value(renewals):
    """The count model's data: each flow deal sits at the row of the quarter it closed in, the
    deals of a row sum to its flow value and their number is the row's count."""
    data = repeat_data(renewals.portfolio)
    by_row = np.bincount(data.deal_row, weights=data.deal_value, minlength=len(data.rows))
    np.testing.assert_allclose(by_row, data.value, rtol=1e-9)
    np.testing.assert_array_equal(data.count, np.bincount(data.deal_row, minlength=len(data.rows)))
    assert (data.count > 1).any() and (data.deal_value > 0).all()
    # a row with a flow value has a deal, a row with none has none
    np.testing.assert_array_equal(data.count > 0, data.value > 0)


def test_band_slopes_are_deviations_around_the_mean(pfit):
    rep = pfit.results["repeat"]
    data = pfit.data["repeat"]
    post = rep.draws(200)
    band = rep.model.band_predictors(data)
    # by default the satisfaction windows' slopes vary by band, the on-time windows' do not
    assert "csat_within" in band and "ontime" not in band
    assert not any(p.endswith(("_missing", "_client_mean")) for p in band)
    # zero-sum over bands: the bands' mean slope is the reported mean slope
    for part in ("any", "value"):
        slopes = rep.model.band_slope(post, part, data, "csat_within")
        assert slopes.shape == (len(data.sizes), len(post["sigma"]))
        np.testing.assert_allclose(
            slopes.mean(axis=0), rep.coef(f"beta_{part}", "csat_within", 200), atol=1e-9
        )
        # a predictor without band slopes has the mean slope in every band
        for name in ("status_reports", "ontime"):
            flat = rep.model.band_slope(post, part, data, name)
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


def test_on_time_band_slopes_are_an_option(small_sim):
    data = repeat_data(small_sim.portfolio)
    both = RepeatBusinessModel(model_config={"band_slope_drivers": ["csat", "ontime"]})
    band = both.band_predictors(data)
    assert "ontime" in band and "csat_within" in band and "ontime_client_mean" not in band
    model = both.build_model(data)
    assert list(model.coords["band_predictor"]) == band
    assert model["dbeta_any"].eval().shape == (len(band), len(data.sizes))
    assert RepeatBusinessModel().band_predictors(data) == data.band_predictors(["csat"])
    with pytest.raises(ValueError, match="unknown driver.*'escalations'"):
        RepeatBusinessModel(model_config={"band_slope_drivers": ["escalations"]}).band_predictors(
            data
        )


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


def test_ontime_windows_are_within_client_with_the_mean_beside(sim):
    """The on-time windows (every lag) are deviations from the client's mean on-time rate,
    which is a predictor of its own (the Mundlak split, as for the csat): between clients at
    one csat level, the on-time rate also stands for relationship health."""
    data = repeat_data(sim.portfolio)
    names = list(data.predictors)
    x = data.x
    client = data.rows["client_id"].to_numpy()
    obar = x[:, names.index("ontime_client_mean")]
    assert "ontime_client_mean" not in data.band_predictors(["csat", "ontime"])
    # one mean per client, and it varies between clients
    per_client = pd.Series(obar).groupby(client).nunique()
    assert (per_client == 1).all()
    assert np.std(obar) > 0
    # the levels are the deviations plus the mean where a window was observed, 0 elsewhere
    level = data.rows["ontime_rate_trailing_prev"].to_numpy(float)
    seen = ~np.isnan(level)
    expected = (level[seen] - data.scales["ontime_center"]) * 10
    np.testing.assert_allclose(x[seen, names.index("ontime")] + obar[seen], expected)
    assert np.all(x[~seen, names.index("ontime")] == 0)
    # the deviations of the observed windows average 0 within each client
    dev = pd.Series(x[seen, names.index("ontime")]).groupby(client[seen]).mean()
    np.testing.assert_allclose(dev.to_numpy(), 0.0, atol=1e-9)
    # the lagged windows are deviations from the same mean; the forecast rows keep it too
    for name in (n for n in names if n.startswith("ontime_lag") and not n.endswith("_missing")):
        assert name in data.band_predictors(["ontime"])
        miss = x[:, names.index(f"{name}_missing")] == 1
        assert np.all(x[miss, names.index(name)] == 0)
    now_mean = pd.Series(
        data.x_now[:, names.index("ontime_client_mean")], index=data.current["client_id"]
    )
    row_mean = pd.Series(obar, index=client).groupby(level=0).first()
    np.testing.assert_allclose(now_mean.to_numpy(), row_mean[now_mean.index].to_numpy())
