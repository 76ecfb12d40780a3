"""A hand-made portfolio of three clients whose every feature the tests compute by hand.

Timeline (quarters 2022Q4..2024Q1, index 0..5; the last event is 2024-03-01, so 2024Q1 is not
a full quarter):

* Acme (A, medium, engaged 2022-06-01): new logo D1 (2023-01-15, signed off, 100k) delivered by
  P1 (team T1, 2023-01-20..2023-05-05, 3 of 4 milestones on time, 2 escalations); add-on D2
  from a delivery lead (2023-04-10, 50k) delivered by P2 (T2, no milestones); renewal D5
  (2023-10-05, 80k) delivered by P4 (T2, 2 of 2 on time, finished 2024-02-15).
* Beta (B, small, engaged 2023-02-10): new logo D3 (2023-02-20) delivered by P3 (T1, still
  running), a critical escalation with sales, an open cross-sell D6.
* Gamma (C, large): one lost deal and one delivery lead; no surveys at all.
"""

from __future__ import annotations

import pandas as pd

from satprofit.io import Portfolio

N = ""  # empty cell


def tiny_tables() -> dict[str, pd.DataFrame]:
    def t(columns: str, rows: list[tuple]) -> pd.DataFrame:
        return pd.DataFrame([[str(v) for v in r] for r in rows], columns=columns.split(","))

    return {
        "clients": t(
            "client_id,client_name,industry,region,size_band,first_engagement_date",
            [
                ("A", 'Acme <A&B> "Ltd"', "retail", "EMEA", "medium", "2022-06-01"),
                ("B", "Beta", "energy", "APAC", "small", "2023-02-10"),
                ("C", "Gamma", "energy", "APAC", "large", "2023-01-01"),
            ],
        ),
        "deals": t(
            "deal_id,client_id,deal_type,lead_source,lead_id,sales_owner,business_unit,"
            "proposal_date,close_date,status,presales_delivery_signoff,contract_value",
            [
                (
                    "D1",
                    "A",
                    "new_logo",
                    "sales",
                    "L1",
                    "Sam",
                    "Cloud",
                    "2022-12-01",
                    "2023-01-15",
                    "won",
                    "true",
                    100000,
                ),
                (
                    "D2",
                    "A",
                    "add_on",
                    "delivery",
                    "L2",
                    "Sam",
                    "Cloud",
                    "2023-03-01",
                    "2023-04-10",
                    "won",
                    "false",
                    50000,
                ),
                (
                    "D3",
                    "B",
                    "new_logo",
                    "sales",
                    N,
                    "Kim",
                    "Data",
                    "2023-02-01",
                    "2023-02-20",
                    "won",
                    "true",
                    20000,
                ),
                (
                    "D4",
                    "C",
                    "new_logo",
                    "partner",
                    N,
                    "Kim",
                    "Data",
                    "2023-01-05",
                    "2023-02-01",
                    "lost",
                    "false",
                    30000,
                ),
                (
                    "D5",
                    "A",
                    "renewal",
                    "sales",
                    N,
                    "Sam",
                    "Cloud",
                    "2023-09-01",
                    "2023-10-05",
                    "won",
                    "false",
                    80000,
                ),
                (
                    "D6",
                    "B",
                    "cross_sell",
                    "delivery",
                    N,
                    "Kim",
                    "Data",
                    "2024-02-01",
                    N,
                    "open",
                    "true",
                    10000,
                ),
            ],
        ),
        "projects": t(
            "project_id,deal_id,client_id,delivery_team,business_unit,start_date,"
            "planned_end_date,actual_end_date,budget,actual_cost,revenue,"
            "milestones_planned,milestones_on_time,defects,change_requests",
            [
                (
                    "P1",
                    "D1",
                    "A",
                    "T1",
                    "Cloud",
                    "2023-01-20",
                    "2023-04-20",
                    "2023-05-05",
                    80000,
                    88000,
                    100000,
                    4,
                    3,
                    2,
                    1,
                ),
                (
                    "P2",
                    "D2",
                    "A",
                    "T2",
                    "Cloud",
                    "2023-04-15",
                    "2023-06-30",
                    "2023-06-20",
                    40000,
                    36000,
                    50000,
                    0,
                    0,
                    0,
                    0,
                ),
                (
                    "P3",
                    "D3",
                    "B",
                    "T1",
                    "Data",
                    "2023-03-01",
                    "2023-05-31",
                    N,
                    15000,
                    5000,
                    8000,
                    5,
                    2,
                    1,
                    2,
                ),
                (
                    "P4",
                    "D5",
                    "A",
                    "T2",
                    "Cloud",
                    "2023-10-10",
                    "2024-01-31",
                    "2024-02-15",
                    60000,
                    66000,
                    80000,
                    2,
                    2,
                    0,
                    0,
                ),
            ],
        ),
        "escalations": t(
            "escalation_id,project_id,client_id,opened_date,resolved_date,severity,sales_involved",
            [
                ("E1", "P1", "A", "2023-03-10", "2023-03-20", "high", "true"),
                ("E2", "P1", "A", "2023-04-02", N, "low", "false"),
                ("E3", "P3", "B", "2023-04-15", "2023-05-15", "critical", "yes"),
            ],
        ),
        "interactions": t(
            "interaction_id,client_id,project_id,date,kind,sales_present,delivery_present",
            [
                ("I1", "A", "P1", "2023-02-01", "status_report", "true", "false"),
                ("I2", "A", "P1", "2023-03-01", "status_report", "true", "true"),
                ("I3", "A", N, "2023-03-15", "sales_meeting", "true", "true"),
                ("I4", "A", "P2", "2023-05-10", "status_report", "false", "true"),
                ("I5", "B", "P3", "2023-03-20", "joint_meeting", "1", "1"),
                ("I6", "B", N, "2023-04-05", "sales_meeting", "true", "false"),
                ("I7", "A", "P4", "2023-11-01", "status_report", "true", "false"),
                ("I8", "A", N, "2024-03-01", "governance_review", "TRUE", "True"),
            ],
        ),
        "surveys": t(
            "response_id,client_id,project_id,date,csat,nps,respondent_role",
            [
                ("R1", "A", "P1", "2023-05-20", 4, 8, "sponsor"),
                ("R2", "A", "P1", "2023-06-01", 2, N, N),
                ("R3", "A", N, "2023-02-15", 5, 9, "sponsor"),
                ("R4", "B", N, "2023-04-20", 3, 6, N),
                ("R5", "A", "P4", "2024-03-01", 5, 10, N),
            ],
        ),
        "leads": t(
            "lead_id,client_id,created_date,source_team,estimated_value,converted_deal_id",
            [
                ("L1", "A", "2022-11-15", "sales", 90000, "D1"),
                ("L2", "A", "2023-02-10", "delivery", 45000, "D2"),
                ("L3", "B", "2023-05-05", "delivery", 5000, N),
                ("L4", "C", "2023-01-10", "delivery", 7000, N),
                ("L5", "B", "2024-01-15", "marketing", 1000, N),
            ],
        ),
        "incentives": t(
            "business_unit,policy,start_date",
            [
                ("Data", "delivery_lead_bonus", "2023-04-01"),
                ("Cloud", "presales_signoff", "2023-07-15"),
            ],
        ),
    }


def tiny_portfolio() -> Portfolio:
    return Portfolio.from_tables(tiny_tables(), source="tiny")
