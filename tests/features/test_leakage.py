"""No leakage: changing what happens after a period's end changes no feature of that period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.features import client_panel
from satprofit.io import Portfolio

CUTOFF = pd.Period("2023Q2", freq="Q")
END = pd.Timestamp("2024-12-31")
TARGETS = ("repeat_value_next", "repeat_count_next", "repeat_margin_next")
INDICES = ("delivery_quality_index", "sales_engagement_index")  # portfolio-standardized


def _alter_future(p: Portfolio, rng: np.random.Generator) -> Portfolio:
    """Move, alter and drop events dated after the cutoff quarter; keep the past as it is."""
    cut = CUTOFF.end_time.normalize()
    t = {k: v.copy() for k, v in p.tables.items()}

    sv = t["surveys"]
    late = sv["date"] > cut
    sv.loc[late, "csat"] = rng.integers(1, 6, late.sum())
    sv.loc[late, "date"] = sv.loc[late, "date"] + pd.Timedelta(days=20)
    t["surveys"] = sv[~late | (rng.random(len(sv)) < 0.7)]
    items = t["survey_items"]
    t["survey_items"] = items[items["response_id"].isin(t["surveys"]["response_id"])]

    it = t["interactions"]
    late = it["date"] > cut
    t["interactions"] = it[~late | (rng.random(len(it)) < 0.5)]

    pr = t["projects"]
    late = pr["actual_end_date"] > cut  # finishing later: its final figures may change
    pr.loc[late, "milestones_on_time"] = 0
    pr.loc[late, "actual_cost"] = pr.loc[late, "actual_cost"] * 1.5
    pr.loc[late, "defects"] = pr.loc[late, "defects"] + 7
    running = pr["actual_end_date"].isna()
    pr.loc[running, "revenue"] = pr.loc[running, "revenue"] * 2

    de = t["deals"]
    late = de["close_date"] > cut
    de.loc[late, "contract_value"] = de.loc[late, "contract_value"] * 3

    es = t["escalations"]
    late = es["opened_date"] > cut
    es.loc[late, "sales_involved"] = ~es.loc[late, "sales_involved"]
    es.loc[late, "severity"] = "critical"

    ld = t["leads"]
    late = (ld["created_date"] > cut) & ~ld["lead_id"].isin(t["deals"]["lead_id"])
    t["leads"] = ld[~late | (rng.random(len(ld)) < 0.5)]
    return Portfolio.from_tables(t)


@pytest.fixture(scope="module")
def panels(sim):
    rng = np.random.default_rng(7)
    before = client_panel(sim.portfolio, data_end=END)
    after = client_panel(_alter_future(sim.portfolio, rng), data_end=END)
    return before, after


def test_features_up_to_cutoff_unchanged(panels):
    before, after = panels
    cols = [c for c in before.columns if c not in TARGETS + INDICES]
    b = before[before["period"] <= CUTOFF].set_index(["client_id", "period"])[cols[2:]]
    a = after[after["period"] <= CUTOFF].set_index(["client_id", "period"])[cols[2:]]
    pd.testing.assert_frame_equal(a, b)


def test_the_alteration_did_change_later_features_and_targets(panels):
    """Guard against a vacuous test: the future really was altered."""
    before, after = panels
    later_b = before[before["period"] > CUTOFF]["csat_trailing"]
    later_a = after[after["period"] > CUTOFF]["csat_trailing"]
    assert not np.allclose(later_a.fillna(-1), later_b.fillna(-1))
    tb = before[before["period"] <= CUTOFF]["repeat_value_next"]
    ta = after[after["period"] <= CUTOFF]["repeat_value_next"]
    assert not np.allclose(ta.fillna(-1), tb.fillna(-1))


def test_periods_after_the_data_end_have_missing_targets(sim):
    panel = client_panel(sim.portfolio)
    last_full = panel.loc[panel["full_period"], "period"].max()
    for col in TARGETS:
        late = panel["period"] > last_full - 4
        assert panel.loc[late, col].isna().all(), col
    early = panel["period"] <= last_full - 4
    assert panel.loc[early, "repeat_value_next"].notna().all()
    assert (panel.loc[early, "repeat_value_next"] == 0).any(), "no repeat business is 0, not NaN"
