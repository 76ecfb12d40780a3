"""The synthetic portfolio: reproducible, contract-valid, realistic nuisance, real confounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.io import Portfolio
from satprofit.simulate import Effects, simulate_portfolio
from tests.conftest import TEST_SEED
from tests.simulate import naive

#: The naive estimate must miss the truth by at least this relative margin (issue #2).
MIN_NAIVE_BIAS = 0.20


@pytest.fixture(scope="module")
def big_sim():
    """300 clients: enough that the naive estimates' bias is not sampling noise."""
    return simulate_portfolio(n_clients=300, n_quarters=12, seed=TEST_SEED)


def test_same_seed_same_tables_and_truth(small_sim):
    again = simulate_portfolio(n_clients=40, n_quarters=8, seed=TEST_SEED)
    for name, frame in small_sim.portfolio.tables.items():
        pd.testing.assert_frame_equal(again.portfolio.tables[name], frame, obj=name)
    assert again.truth.values == small_sim.truth.values


def test_other_seed_other_tables(small_sim):
    other = simulate_portfolio(n_clients=40, n_quarters=8, seed=TEST_SEED + 1)
    assert not other.portfolio.surveys["csat"].equals(small_sim.portfolio.surveys["csat"])


def test_output_passes_validation(sim):
    Portfolio.from_tables(sim.portfolio.tables)


def test_realistic_nuisance(sim):
    p = sim.portfolio
    assert {"won", "lost", "open"} <= set(p.deals["status"])
    assert p.deals.loc[p.deals["status"] == "open", "close_date"].isna().all()
    assert p.projects["actual_end_date"].isna().any(), "some projects still run"
    assert (p.projects["milestones_planned"] == 0).any(), "some projects plan no milestones"
    assert p.surveys["project_id"].isna().any() and p.surveys["project_id"].notna().any()
    assert p.surveys["nps"].isna().any()
    names = "".join(p.clients["client_name"])
    for ch in ("&", "<", '"', "'", "ü"):
        assert ch in names, f"client names should contain {ch!r}"
    assert set(p.deals["deal_type"]) == {"new_logo", "renewal", "add_on", "cross_sell"}
    assert set(p.incentives["policy"]) >= {"delivery_lead_bonus"}
    assert p.incentives.groupby("policy")["start_date"].nunique()["delivery_lead_bonus"] > 1, (
        "business units adopt the lead bonus at staggered dates"
    )
    # every event lies within the data window, except plans and pre-data history
    end = pd.Timestamp("2024-12-31")
    for table, col in [
        ("surveys", "date"),
        ("interactions", "date"),
        ("escalations", "opened_date"),
        ("projects", "start_date"),
        ("projects", "actual_end_date"),
        ("deals", "close_date"),
    ]:
        assert p.tables[table][col].max() <= end, (table, col)


def test_csat_distribution_is_plausible(sim):
    csat = sim.portfolio.surveys["csat"]
    assert 3.5 < csat.mean() < 4.3
    assert set(csat.unique()) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("estimand", "naive_fn"),
    [
        ("presales_signoff", lambda p: naive.presales_signoff_diff(p)),
        ("status_reports_to_csat", lambda p: naive.status_reports_slope(p)),
        ("csat_to_repeat.value", lambda p: naive.csat_to_repeat_slope(p, 12)[0]),
    ],
)
def test_naive_estimates_are_biased(big_sim, estimand, naive_fn):
    """The confounding is real: a naive comparison misses the truth by >= 20 %."""
    truth = big_sim.truth[estimand]
    est = naive_fn(big_sim.portfolio)
    assert abs(est - truth) / abs(truth) >= MIN_NAIVE_BIAS, (estimand, est, truth)


def test_without_confounding_naive_is_close_for_presales():
    """Negative control: switch the confounding arrows off and the naive difference is fine."""
    s = simulate_portfolio(n_clients=600, n_quarters=12, seed=TEST_SEED, confounding=0.0)
    est, truth = naive.presales_signoff_diff(s.portfolio), s.truth["presales_signoff"]
    assert abs(est - truth) / truth < 0.25, (est, truth)


def test_effects_override_by_dict(small_sim):
    s = simulate_portfolio(
        n_clients=40, n_quarters=8, seed=TEST_SEED, effects={"signoff_logit": 1.2}
    )
    assert s.truth["presales_signoff"] > 1.5 * small_sim.truth["presales_signoff"]


def test_bad_arguments():
    with pytest.raises(ValueError):
        simulate_portfolio(n_clients=0)
    with pytest.raises(ValueError):
        simulate_portfolio(n_business_units=1)
    with pytest.raises(TypeError):
        simulate_portfolio(effects={"no_such_effect": 1.0})


def test_client_size_drives_value(sim):
    p = sim.portfolio
    v = (
        p.deals.merge(p.clients[["client_id", "size_band"]])
        .groupby("size_band")["contract_value"]
        .median()
    )
    assert v["small"] < v["medium"] < v["large"] < v["enterprise"]


def test_write_writes_truth_json(small_sim, tmp_path):
    import json

    small_sim.write(tmp_path)
    payload = json.loads((tmp_path / "truth.json").read_text())
    assert payload["params"]["seed"] == TEST_SEED
    assert set(payload["estimands"]) == set(small_sim.truth.values)
    assert np.isclose(
        payload["estimands"]["presales_signoff"]["truth"], small_sim.truth["presales_signoff"]
    )
    assert isinstance(
        Effects(
            **{
                **payload["effects"],
                "escalation_severity": tuple(payload["effects"]["escalation_severity"]),
            }
        ),
        Effects,
    )
