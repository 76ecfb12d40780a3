"""Every feature and metric of a hand-made portfolio, computed by hand, asserted exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from satprofit.features import (
    business_unit_panel,
    client_panel,
    project_table,
    question_table,
)
from satprofit.metrics import dashboard
from tests.features.tiny import tiny_portfolio

NAN = np.nan
M = 30.4375  # days a month


@pytest.fixture(scope="module")
def tiny():
    return tiny_portfolio()


@pytest.fixture(scope="module")
def panel(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division or other warnings on empty cases
        return client_panel(tiny)


def _col(panel, client, col):
    return panel.loc[panel["client_id"] == client, col].to_numpy(dtype=float)


def assert_seq(actual, expected):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=1e-12, equal_nan=True
    )


# ------------------------------------------------------------------------------- projects
def test_project_table_by_hand(tiny):
    pt = project_table(tiny).set_index("project_id")
    expected = {
        #        finished duration  ontime overrun  slip  margin  esc sales worst rank resolve
        "P1": (True, 105 / M, 0.75, 0.1, 15.0, 0.12, 2, 1, "high", 2, 10.0),
        "P2": (True, 66 / M, NAN, -0.1, -10.0, 0.28, 0, 0, NAN, -1, NAN),
        "P3": (False, 366 / M, 0.4, -10000 / 15000, NAN, 0.375, 1, 1, "critical", 3, 30.0),
        "P4": (True, 128 / M, 1.0, 0.1, 15.0, 0.175, 0, 0, NAN, -1, NAN),
    }
    cols = [
        "finished",
        "duration_months",
        "ontime_rate",
        "cost_overrun",
        "schedule_slip_days",
        "margin",
        "escalations",
        "escalations_with_sales",
        "worst_severity",
        "worst_severity_rank",
        "days_to_resolve",
    ]
    for pid, values in expected.items():
        for col, value in zip(cols, values, strict=True):
            got = pt.loc[pid, col]
            if isinstance(value, float) and np.isnan(value):
                assert pd.isna(got), (pid, col, got)
            elif isinstance(value, float):
                assert got == pytest.approx(value, abs=1e-12), (pid, col)
            else:
                assert got == value, (pid, col, got)
    # engagement during the project: A's sales reports I1, I2 fall in P1, I7 in P4
    assert pt["status_reports_by_sales"].to_dict() == {"P1": 2, "P2": 0, "P3": 0, "P4": 1}
    assert pt.loc["P1", "status_reports_per_month"] == pytest.approx(2 / (105 / M))
    assert pt.loc["P4", "status_reports_per_month"] == pytest.approx(1 / (128 / M))
    assert pt["joint_engagements"].to_dict() == {"P1": 2, "P2": 0, "P3": 1, "P4": 0}
    assert pt["presales_signoff"].to_dict() == {"P1": True, "P2": False, "P3": True, "P4": False}
    assert pt["responses"].to_dict() == {"P1": 2, "P2": 0, "P3": 0, "P4": 1}
    assert pt.loc["P1", "csat_mean"] == 3.0 and pt.loc["P1", "nps_mean"] == 8.0
    assert pt.loc["P4", "csat_mean"] == 5.0 and pd.isna(pt.loc["P2", "csat_mean"])
    assert pt.loc["P1", "defects"] == 2 and pt.loc["P3", "change_requests"] == 2


# ------------------------------------------------------------------------------- panel
def test_panel_rows(panel):
    assert panel["period"].astype(str).unique().tolist() == [
        "2022Q4",
        "2023Q1",
        "2023Q2",
        "2023Q3",
        "2023Q4",
        "2024Q1",
    ]
    # A from the start (engaged before the data), B and C from their first quarter
    assert panel.groupby("client_id").size().to_dict() == {"A": 6, "B": 5, "C": 5}
    assert panel.loc[panel["client_id"] == "A", "full_period"].tolist() == [True] * 5 + [False]
    assert panel.attrs["window"] == 4 and panel.attrs["horizon"] == 4


def test_panel_delivery_quality(panel):
    assert_seq(_col(panel, "A", "projects_finished"), [0, 0, 2, 0, 0, 1])
    assert_seq(_col(panel, "A", "ontime_rate"), [NAN, NAN, 0.75, NAN, NAN, 1.0])
    assert_seq(_col(panel, "A", "cost_overrun"), [NAN, NAN, 0.0, NAN, NAN, 0.1])
    assert_seq(_col(panel, "A", "schedule_slip_days"), [NAN, NAN, 2.5, NAN, NAN, 15.0])
    assert_seq(_col(panel, "A", "defects_per_project"), [NAN, NAN, 1.0, NAN, NAN, 0.0])
    assert_seq(_col(panel, "A", "change_requests_per_project"), [NAN, NAN, 0.5, NAN, NAN, 0])
    assert_seq(_col(panel, "A", "active_projects"), [0, 1, 2, 0, 1, 1])
    assert_seq(_col(panel, "B", "active_projects"), [1, 1, 1, 1, 1])
    assert_seq(_col(panel, "A", "escalations"), [0, 1, 1, 0, 0, 0])
    assert_seq(_col(panel, "A", "escalations_severe"), [0, 1, 0, 0, 0, 0])
    assert_seq(_col(panel, "B", "escalations_severe"), [0, 1, 0, 0, 0])
    assert_seq(_col(panel, "A", "ontime_rate_trailing"), [NAN, NAN, 0.75, 0.75, 0.75, 0.875])
    assert_seq(_col(panel, "A", "projects_finished_trailing"), [0, 0, 2, 2, 2, 3])
    # escalations in the window over active project-quarters in the window
    assert_seq(
        _col(panel, "A", "escalations_per_project_trailing"),
        [NAN, 1 / 1, 2 / 3, 2 / 3, 2 / 4, 1 / 4],
    )


def test_panel_sales_engagement(panel):
    assert_seq(_col(panel, "A", "status_reports_by_sales"), [0, 2, 0, 0, 1, 0])
    assert_seq(_col(panel, "A", "joint_engagements"), [0, 2, 0, 0, 0, 1])
    assert_seq(_col(panel, "A", "sales_meetings_with_delivery"), [0, 1, 0, 0, 0, 0])
    assert_seq(_col(panel, "A", "escalations_with_sales"), [0, 1, 0, 0, 0, 0])
    assert_seq(_col(panel, "A", "sales_escalation_share"), [NAN, 1.0, 0.0, NAN, NAN, NAN])
    assert_seq(_col(panel, "A", "deals_proposed"), [1, 1, 0, 1, 0, 0])
    assert_seq(_col(panel, "A", "signoff_share"), [1.0, 0.0, NAN, 0.0, NAN, NAN])
    assert_seq(_col(panel, "B", "joint_engagements"), [1, 0, 0, 0, 0])
    assert_seq(_col(panel, "B", "sales_meetings_with_delivery"), [0, 0, 0, 0, 0])
    assert_seq(_col(panel, "B", "signoff_share"), [1.0, NAN, NAN, NAN, 1.0])
    assert_seq(_col(panel, "C", "signoff_share"), [0.0, NAN, NAN, NAN, NAN])
    assert_seq(_col(panel, "A", "status_reports_by_sales_trailing"), [0, 2, 2, 2, 3, 1])


def test_panel_satisfaction(panel):
    assert_seq(_col(panel, "A", "responses"), [0, 1, 2, 0, 0, 1])
    assert_seq(_col(panel, "A", "responses_trailing"), [0, 1, 3, 3, 3, 3])
    assert_seq(_col(panel, "A", "csat_trailing"), [NAN, 5.0, 11 / 3, 11 / 3, 11 / 3, 11 / 3])
    assert_seq(_col(panel, "A", "nps_trailing"), [NAN, 9.0, 8.5, 8.5, 8.5, 9.0])
    assert_seq(_col(panel, "B", "csat_trailing"), [NAN, 3.0, 3.0, 3.0, 3.0])
    # a client with no surveys: missing satisfaction, zero responses
    assert_seq(_col(panel, "C", "csat_trailing"), [NAN] * 5)
    assert_seq(_col(panel, "C", "responses_trailing"), [0] * 5)


def test_panel_commercial_and_targets(panel):
    assert_seq(_col(panel, "A", "bookings"), [0, 100000, 50000, 0, 80000, 0])
    assert_seq(_col(panel, "A", "revenue"), [0, 0, 150000, 0, 0, 80000])
    assert_seq(_col(panel, "A", "margin"), [NAN, NAN, 26000 / 150000, NAN, NAN, 0.175])
    assert_seq(_col(panel, "A", "leads_sales"), [1, 0, 0, 0, 0, 0])
    assert_seq(_col(panel, "A", "delivery_leads"), [0, 1, 0, 0, 0, 0])
    assert_seq(_col(panel, "B", "leads_delivery"), [0, 1, 0, 0, 0])
    assert_seq(_col(panel, "B", "leads_marketing"), [0, 0, 0, 0, 1])
    assert_seq(_col(panel, "C", "delivery_leads"), [1, 0, 0, 0, 0])
    assert_seq(_col(panel, "A", "delivery_lead_net_sales"), [0, 0, 50000, 0, 0, 0])
    assert_seq(_col(panel, "A", "repeat_value_trailing"), [0, 0, 50000, 50000, 130000, 130000])
    # targets need 4 full quarters after t: only 2022Q4 has them (2024Q1 is not full)
    assert_seq(_col(panel, "A", "repeat_value_next"), [130000, NAN, NAN, NAN, NAN, NAN])
    assert_seq(_col(panel, "A", "repeat_count_next"), [2, NAN, NAN, NAN, NAN, NAN])
    assert_seq(_col(panel, "A", "repeat_margin_next"), [(0.28 + 0.175) / 2] + [NAN] * 5)
    assert_seq(_col(panel, "C", "repeat_value_next"), [NAN] * 5)


def test_panel_with_explicit_end_makes_targets_available(tiny):
    p = client_panel(tiny, data_end="2024-12-31")
    a = p[p["client_id"] == "A"]
    assert_seq(a["repeat_value_next"], [130000, 130000, 80000, 80000, 0, NAN, NAN, NAN, NAN])


def test_monthly_panel(tiny):
    p = client_panel(tiny, freq="M")
    assert p.attrs["window"] == 12 and p.attrs["horizon"] == 12
    a = p[p["client_id"] == "A"].set_index(p.loc[p["client_id"] == "A", "period"].astype(str))
    assert a.loc["2023-02", "status_reports_by_sales"] == 1
    assert a.loc["2023-03", "status_reports_by_sales"] == 1
    assert a.loc["2023-06", "csat_trailing"] == pytest.approx(11 / 3)


def test_indices_documented_and_standardized(panel):
    from satprofit.features import DELIVERY_QUALITY_WEIGHTS, SALES_ENGAGEMENT_WEIGHTS

    assert sum(abs(w) for w in DELIVERY_QUALITY_WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(abs(w) for w in SALES_ENGAGEMENT_WEIGHTS.values()) == pytest.approx(1.0)
    idx = panel["sales_engagement_index"]
    assert idx.notna().all()
    # A in 2023Q1 (2 reports, 2 joint, 1 meeting, all escalations with sales) beats C
    a1 = panel[(panel["client_id"] == "A") & (panel["period"].astype(str) == "2023Q1")]
    c1 = panel[(panel["client_id"] == "C") & (panel["period"].astype(str) == "2023Q1")]
    assert a1["sales_engagement_index"].iloc[0] > c1["sales_engagement_index"].iloc[0]
    # delivery quality needs a trailing component: C has none at all
    assert panel.loc[panel["client_id"] == "C", "delivery_quality_index"].isna().all()


# ------------------------------------------------------------------------------- BU panel
def test_business_unit_panel(tiny):
    b = business_unit_panel(tiny)
    cloud = b[b["business_unit"] == "Cloud"]
    data = b[b["business_unit"] == "Data"]
    assert_seq(cloud["delivery_leads"], [0, 1, 0, 0, 0, 0])
    assert_seq(data["delivery_leads"], [0, 1, 1, 0, 0, 0])
    assert data["delivery_lead_bonus"].tolist() == [False, False, True, True, True, True]
    assert set(data["delivery_lead_bonus_first_period"]) == {"2023Q2"}
    assert cloud["delivery_lead_bonus"].sum() == 0
    assert set(cloud["delivery_lead_bonus_first_period"]) == {""}
    # in force from 2023-07-15: the first quarter that starts with it in force is 2023Q4
    assert cloud["presales_signoff"].tolist() == [False] * 4 + [True, True]
    assert set(cloud["presales_signoff_first_period"]) == {"2023Q4"}
    assert data["clients"].iloc[0] == 2 and cloud["clients"].iloc[0] == 1


# ------------------------------------------------------------------------------- dashboard
def test_dashboard_by_client(tiny):
    d = dashboard(tiny, by="client")
    assert list(d.columns) == [
        "client_id",
        "period",
        "delivery_leads",
        "delivery_lead_net_sales",
        "sales_meetings_with_delivery",
        "status_reports_by_sales",
        "escalations_with_sales",
        "joint_engagements",
    ]
    assert len(d) == 3 * 6
    a = d[d["client_id"] == "A"].set_index("period")
    assert a["delivery_leads"].tolist() == [0, 1, 0, 0, 0, 0]
    assert a["delivery_lead_net_sales"].tolist() == [0, 0, 50000, 0, 0, 0]
    assert a["sales_meetings_with_delivery"].tolist() == [0, 1, 0, 0, 0, 0]
    assert a["status_reports_by_sales"].tolist() == [0, 2, 0, 0, 1, 0]
    assert a["escalations_with_sales"].tolist() == [0, 1, 0, 0, 0, 0]
    assert a["joint_engagements"].tolist() == [0, 2, 0, 0, 0, 1]
    assert a.index.tolist()[:2] == ["2022Q4", "2023Q1"]


def test_dashboard_by_sales_owner(tiny):
    d = dashboard(tiny, by="sales_owner").set_index(["sales_owner", "period"])
    assert set(d.index.get_level_values(0)) == {"Kim", "Sam"}
    # L2 converted into Sam's D2; L3 and L4 belong to clients whose main owner is Kim
    assert d.loc["Sam", "delivery_leads"].tolist() == [0, 1, 0, 0, 0, 0]
    assert d.loc["Kim", "delivery_leads"].tolist() == [0, 1, 1, 0, 0, 0]
    assert d.loc["Kim", "escalations_with_sales"].tolist() == [0, 0, 1, 0, 0, 0]
    assert d.loc["Kim", "joint_engagements"].tolist() == [0, 1, 0, 0, 0, 0]


def test_dashboard_by_delivery_team(tiny):
    d = dashboard(tiny, by="delivery_team").set_index(["delivery_team", "period"])
    assert set(d.index.get_level_values(0)) == {"T1", "T2", "(unassigned)"}
    assert d.loc["T1", "status_reports_by_sales"].tolist() == [0, 2, 0, 0, 0, 0]
    assert d.loc["T1", "joint_engagements"].tolist() == [0, 2, 0, 0, 0, 0]
    assert d.loc["T1", "escalations_with_sales"].tolist() == [0, 1, 1, 0, 0, 0]
    assert d.loc["T2", "status_reports_by_sales"].tolist() == [0, 0, 0, 0, 1, 0]
    assert d.loc["T2", "delivery_leads"].tolist() == [0, 1, 0, 0, 0, 0]
    assert d.loc["T2", "delivery_lead_net_sales"].tolist() == [0, 0, 50000, 0, 0, 0]
    un = d.loc["(unassigned)"]
    assert un["sales_meetings_with_delivery"].tolist() == [0, 1, 0, 0, 0, 0]
    assert un["joint_engagements"].tolist() == [0, 1, 0, 0, 0, 1]
    assert un["delivery_leads"].tolist() == [0, 1, 1, 0, 0, 0]


def test_dashboard_by_business_unit_totals_match(tiny):
    by_bu = dashboard(tiny, by="business_unit")
    by_client = dashboard(tiny, by="client")
    cols = by_bu.columns[2:]
    pd.testing.assert_series_equal(by_bu[cols].sum(), by_client[cols].sum())
    data = by_bu[by_bu["business_unit"] == "Data"].set_index("period")
    assert data["delivery_leads"].tolist() == [0, 1, 1, 0, 0, 0]


def test_dashboard_monthly_and_bad_group(tiny):
    d = dashboard(tiny, by="client", freq="M")
    assert d["period"].iloc[0] == "2022-11"
    with pytest.raises(ValueError, match="by must be one of"):
        dashboard(tiny, by="region")


# ------------------------------------------------------------------------------- questions
def test_question_tables_by_hand(tiny):
    q = question_table(tiny, "presales_signoff").data.set_index("deal_id")
    assert sorted(q.index) == ["D1", "D5"]
    assert q.loc["D1", "ontime_rate"] == 0.75 and q.loc["D1", "presales_signoff"] == 1
    assert q.loc["D5", "ontime_rate"] == 1.0 and q.loc["D5", "presales_signoff"] == 0

    q = question_table(tiny, "quality_to_csat").data.set_index("project_id")
    assert q["csat_mean"].to_dict() == {"P1": 3.0, "P4": 5.0}
    q = question_table(tiny, "status_reports_to_csat").data.set_index("project_id")
    assert q.loc["P1", "status_reports_per_month"] == pytest.approx(2 / (105 / M))
    # the year before the project started: nothing for P1, R1-R3 for P4
    assert q.loc["P1", "csat_prior"] == 0.0 and q.loc["P1", "csat_prior_missing"] == 1
    assert q.loc["P4", "csat_prior"] == pytest.approx(11 / 3)
    assert q.loc["P4", "csat_prior_missing"] == 0

    q = question_table(tiny, "sales_in_escalations").data.set_index("escalation_id")
    assert q["csat_after"].to_dict() == {"E1": 3.0, "E2": 3.0, "E3": 3.0}
    assert q["sales_involved"].to_dict() == {"E1": 1, "E2": 0, "E3": 1}
    assert q.loc["E2", "escalations_prior_90"] == 1

    # no client-quarter has both 4 full quarters ahead and a response before: empty, not a crash
    assert question_table(tiny, "csat_to_repeat").n == 0
    assert question_table(tiny, "quality_to_repeat.direct").n == 0
    bonus = question_table(tiny, "delivery_bonus_to_leads")
    assert bonus.estimand_kind == "att"
    assert bonus.data.groupby("business_unit")["treated"].sum().to_dict() == {"Cloud": 0, "Data": 3}


def test_unknown_question(tiny):
    with pytest.raises(KeyError, match="unknown question"):
        question_table(tiny, "nope")
