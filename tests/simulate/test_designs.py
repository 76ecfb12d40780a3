"""The family of simulated worlds: every design runs, shows its mechanism in the data, and its
truth is consistent with the mechanism the generator used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.cli import main
from satprofit.features.panel import repeat_deals
from satprofit.features.repeat_panel import decision_dates
from satprofit.questions import ESTIMAND_IDS
from satprofit.simulate import simulate_portfolio
from satprofit.simulate.designs import DESIGNS, Design, describe_designs, get_design
from satprofit.simulate.model import close_lag_matrix

N = 120


@pytest.fixture(scope="module")
def sims():
    return {name: simulate_portfolio(N, seed=7, design=name) for name in DESIGNS}


def test_at_least_the_issue_designs_exist():
    wanted = {
        "default",
        "decided_at_proposal",
        "opening_renewals",
        "price_and_size",
        "funnel",
        "feedback",
        "size_heterogeneity",
        "few_responses",
        "short_panel",
        "binary_ontime",
        "unused_lever",
    }
    assert wanted <= set(DESIGNS)
    table = describe_designs()
    assert (table["description"].str.len() > 120).all()  # a paragraph each


def test_unknown_design_lists_the_known_ones():
    with pytest.raises(KeyError, match="decided_at_proposal"):
        get_design("no_such_world")
    with pytest.raises(ValueError, match="decision"):
        Design("x", "y", decision="never")


def test_every_design_gives_a_valid_portfolio_with_every_truth(sims):
    for name, sim in sims.items():
        assert sim.params["design"] == name
        assert set(sim.truth.values) == set(ESTIMAND_IDS)
        finite = {k: np.isfinite(v) for k, v in sim.truth.values.items()}
        assert all(finite.values()), (name, finite)


def test_default_design_is_the_legacy_generator(sims):
    # same seed, no design argument: identical tables and truth
    legacy = simulate_portfolio(N, seed=7)
    for table in ("deals", "projects", "surveys"):
        pd.testing.assert_frame_equal(
            getattr(legacy.portfolio, table), getattr(sims["default"].portfolio, table)
        )
    assert legacy.truth.values == sims["default"].truth.values


def test_unused_lever_has_no_signoff(sims):
    assert not sims["unused_lever"].portfolio.deals["presales_delivery_signoff"].any()
    assert sims["default"].portfolio.deals["presales_delivery_signoff"].mean() > 0.2


def test_binary_ontime_has_one_milestone_per_project(sims):
    pr = sims["binary_ontime"].portfolio.projects
    assert (pr["milestones_planned"] == 1).all()


def test_short_panel_has_eight_quarters(sims):
    sv = sims["short_panel"].portfolio.surveys
    quarters = pd.PeriodIndex(sv["date"], freq="Q")
    assert (quarters.max() - quarters.min()).n <= 7
    assert sims["short_panel"].params["n_quarters"] == 8


def test_few_responses_has_far_fewer_responses(sims):
    few = len(sims["few_responses"].portfolio.surveys)
    base = len(sims["default"].portfolio.surveys)
    assert few < 0.25 * base


def test_opening_renewals_are_agreed_before_the_data_start(sims):
    p = sims["opening_renewals"].portfolio
    start = pd.Timestamp(sims["opening_renewals"].params["start"])
    rep = repeat_deals(p)
    early = rep[rep["proposal_date"] < start]
    assert len(early) > 0.3 * p.clients.shape[0]
    # they dominate the first quarters' repeat value
    first = rep[rep["close_date"] < start + pd.DateOffset(months=6)]
    share = first.loc[first["proposal_date"] < start, "contract_value"].sum()
    assert share / first["contract_value"].sum() > 0.6


def test_size_heterogeneity_makes_effects_differ_by_size(sims):
    sim = sims["size_heterogeneity"]
    units = sim.truth.unit_effects["csat_to_repeat.value"]
    size = sim.latent.clients["size"].to_numpy()[units["client"].to_numpy()]
    by_size = units.groupby(size)["effect"].mean()
    base = sims["default"].truth.unit_effects["csat_to_repeat.value"]
    base_size = sims["default"].latent.clients["size"].to_numpy()[base["client"].to_numpy()]
    base_by = base.groupby(base_size)["effect"].mean()
    # relative to the default world, enterprise accounts react ~7x as much as small ones
    assert (by_size[3] / base_by[3]) / (by_size[0] / base_by[0]) > 4


def _decision_to_close_quarters(sim, uncensored: int = 0) -> np.ndarray:
    """Close quarter minus decision quarter of the won repeat deals decided in the data (and,
    with ``uncensored=m``, at least m quarters before the data end)."""
    rep = repeat_deals(sim.portfolio)
    won = sim.portfolio.deals[sim.portfolio.deals["status"] == "won"].sort_values("close_date")
    onboarding = won.groupby("client_id")["deal_id"].first()  # not in the satisfaction flow
    rep = rep[~rep["deal_id"].isin(onboarding)]
    decided = decision_dates(rep, sim.portfolio.leads)
    start = pd.Timestamp(sim.params["start"])
    end = start + pd.DateOffset(months=3 * (sim.params["n_quarters"] - uncensored))
    keep = (decided >= start) & (decided < end)
    dq = pd.PeriodIndex(decided[keep], freq="Q")
    cq = pd.PeriodIndex(rep.loc[keep, "close_date"], freq="Q")
    return np.asarray([(c - d).n for c, d in zip(cq, dq, strict=True)])


def test_decided_at_proposal_closes_months_after_the_decision(sims):
    lag = _decision_to_close_quarters(sims["decided_at_proposal"])
    assert (lag >= 0).all()
    assert np.mean(lag >= 1) > 0.5  # most deals close in a later quarter than decided
    # delivery-sourced deals are decided at the lead: the proposal follows it
    p = sims["decided_at_proposal"].portfolio
    de = p.deals[(p.deals["lead_source"] == "delivery") & p.deals["lead_id"].notna()]
    created = de["lead_id"].map(p.leads.set_index("lead_id")["created_date"])
    assert (created <= de["proposal_date"]).all()


def test_close_lag_matrix_matches_the_simulated_deals():
    sim = simulate_portfolio(600, seed=3, design="decided_at_proposal")
    lat = sim.latent
    nq = lat.n_quarters
    expected = lat.close_lag[: nq - 3]  # decisions early enough to be uncensored
    rows = np.asarray(expected).sum(axis=1)
    np.testing.assert_allclose(rows, 1.0)
    # empirical share of (decision, close) quarter gaps among the flow's won deals
    lag = _decision_to_close_quarters(sim, uncensored=3)
    emp = np.bincount(lag, minlength=4)[:4] / len(lag)
    model = np.array([np.mean([expected[k, k + m] for k in range(nq - 3)]) for m in range(4)])
    np.testing.assert_allclose(emp, model, atol=0.05)


def test_close_design_lag_matrix_is_the_identity():
    d = get_design("default")
    q_start = np.array([0, 90, 181, 273])
    q_end = np.array([89, 180, 272, 364])
    m = close_lag_matrix(d, q_start, q_end)
    np.testing.assert_array_equal(m[:, :4], np.eye(4))


def test_funnel_has_lost_repeat_proposals_and_bigger_effects(sims):
    de = sims["funnel"].portfolio.deals
    lost = de[(de["status"] == "lost") & (de["deal_type"] != "new_logo")]
    assert len(lost) > 0.3 * len(de[de["deal_type"] != "new_logo"])
    assert (
        sims["funnel"].truth["csat_to_repeat.value"] > sims["default"].truth["csat_to_repeat.value"]
    )


def test_price_and_size_moves_deal_size_with_satisfaction(sims):
    assert (
        sims["price_and_size"].truth["csat_to_repeat.value"]
        > 1.4 * sims["default"].truth["csat_to_repeat.value"]
    )


def test_cli_simulates_a_named_design(tmp_path, capsys):
    out = tmp_path / "world"
    assert main(["simulate", str(out), "--clients", "30", "--design", "short_panel"]) == 0
    assert '"design": "short_panel"' in (out / "truth.json").read_text()
    assert "short_panel" not in capsys.readouterr().err
