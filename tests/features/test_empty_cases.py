"""Empty cases give NaN or 0 as documented: never a crash, never a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from satprofit.features import business_unit_panel, client_panel, project_table, question_table
from satprofit.io import Portfolio
from satprofit.metrics import dashboard
from satprofit.questions import ESTIMAND_IDS
from tests.features.tiny import tiny_tables


@pytest.fixture(scope="module")
def bare():
    """The tiny portfolio without escalations, interactions, leads or incentives."""
    t = tiny_tables()
    for name in ("escalations", "interactions", "leads", "incentives"):
        t[name] = t[name].iloc[:0]
    t["deals"]["lead_id"] = ""
    return Portfolio.from_tables(t)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def test_panel_without_engagement_tables(bare):
    p = _quiet(client_panel, bare)
    for col in (
        "escalations",
        "status_reports_by_sales",
        "joint_engagements",
        "delivery_leads",
        "leads_sales",
        "escalations_with_sales",
    ):
        assert (p[col] == 0).all(), col
    for col in ("sales_escalation_share", "sales_escalation_share_trailing"):
        assert p[col].isna().all(), col
    assert p["escalations_per_project_trailing"].dropna().eq(0).all()


def test_other_builders_without_engagement_tables(bare):
    pt = _quiet(project_table, bare)
    assert (pt["escalations"] == 0).all() and pt["worst_severity"].isna().all()
    assert pt["days_to_resolve"].isna().all()
    assert (pt["status_reports_by_sales"] == 0).all()
    for by in ("client", "sales_owner", "delivery_team", "business_unit"):
        d = _quiet(dashboard, bare, by=by)
        assert np.isfinite(d.iloc[:, 2:].to_numpy(float)).all()
    b = _quiet(business_unit_panel, bare)
    assert (b["delivery_leads"] == 0).all() and not b["delivery_lead_bonus"].any()
    for estimand in ESTIMAND_IDS:
        _quiet(question_table, bare, estimand)


def test_quarter_without_activity_is_zero_not_missing(bare):
    p = client_panel(bare)
    a = p[(p["client_id"] == "A") & (p["period"].astype(str) == "2023Q3")].iloc[0]
    assert a["responses"] == 0 and a["bookings"] == 0 and a["projects_finished"] == 0
    assert np.isnan(a["ontime_rate"]) and np.isnan(a["margin"])
