"""Reports show total effects, honest refusals and disagreements between methods.

Shares the fitted hostile sample run of ``test_content.py`` (fitted once per session).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from satprofit.reporting import blocks as B
from satprofit.reporting import client as C
from satprofit.reporting import common
from satprofit.reporting import portfolio as P
from satprofit.reporting.portfolio import estimates as PE
from tests.reporting.test_content import HOSTILE_ID, SEED, block_text, shared_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return shared_run(tmp_path_factory)


@pytest.fixture(scope="module")
def drivers(run):
    return C.build_drivers(run, HOSTILE_ID)


# --------------------------------------------------------------------------- drivers


def test_drivers_are_total_effects_and_labelled_so(drivers):
    t = drivers.table
    assert list(t.index) == ["ontime", "reports"]
    assert t["effect"].str.startswith("total effect").all()
    assert "includes what runs through" in t.loc["ontime", "effect"]
    # no mediator as a driver of its own: its coefficient would be a conditioning artefact
    assert not t["label"].str.contains("scalation|efect", regex=True).any()
    assert C.MEDIATOR_NOTE in drivers.notes


def test_drivers_blocks_say_total_effect(run, drivers):
    report = C.build_client_report(run, HOSTILE_ID, seed=SEED)
    text = block_text(C.drivers_blocks(report))
    assert "total effect: includes what runs through fewer defects and escalations" in text
    assert "What the gain includes" in text


def test_better_delivery_never_lowers_satisfaction_in_the_report(drivers):
    """Sign: on data/sample (truth +0.14 csat points per +10 pp) more on-time milestones raise
    expected satisfaction; no driver's whole 80 % interval is below zero."""
    t = drivers.table.dropna(subset=["gain"])
    assert t.loc["ontime", "gain"] > 0
    assert (t["gain_high"] > 0).all(), t[["gain", "gain_low", "gain_high"]]


def test_a_not_estimable_driver_shows_its_reason_not_a_number(run, monkeypatch):
    res = run.fit.results["satisfaction"]
    effects = res.effects.copy()
    effects.loc["status_reports_to_csat", ["median", "ci_low", "ci_high"]] = np.nan
    effects.loc["status_reports_to_csat", "status"] = "not_estimable"
    effects.loc["status_reports_to_csat", "reason"] = "the data barely inform it (test)"
    monkeypatch.setitem(run.fit.results, "satisfaction", dataclasses.replace(res, effects=effects))
    d = C.build_drivers(run, HOSTILE_ID)
    row = d.table.loc["reports"]
    assert np.isnan(row["gain"]) and row["status"].startswith("not estimable: ")
    report = dataclasses.replace(C.build_client_report(run, HOSTILE_ID, seed=SEED), drivers=d)
    text = block_text(C.drivers_blocks(report))
    assert "not estimable: the data barely inform it (test)" in text
    assert "not placed" in set(d.table["quadrant"])


# --------------------------------------------------------------------------- statuses


def _record(**kw) -> pd.Series:
    base = {
        "question": "quality_to_csat",
        "estimate": 0.12,
        "ci_low": 0.05,
        "ci_high": 0.2,
        "unit": "csat points per +10 pp on-time rate",
        "method": "regression",
        "n": 100,
    }
    return pd.Series({**base, **kw})


@pytest.mark.parametrize(
    ("status", "reason", "shown"),
    [
        ("failed", "OverflowError: math range error", "failed: OverflowError: math range error"),
        ("not_estimable", "no deal has a sign-off", "not estimable: no deal has a sign-off"),
    ],
)
def test_a_record_that_is_not_ok_is_never_a_number(status, reason, shown):
    # even with figures left in the record, a non-ok status wins
    rec = _record(status=status, reason=reason, note="")
    row = common.question_row("quality_to_csat", rec, "causal")
    assert row["Status"] == shown and row["Estimate (95% interval)"] == "\u2013"
    prow = pd.Series(PE._row(rec, "causal"))
    assert not prow["answered"] and common.estimate_status(prow) == shown
    assert common.estimate_text(prow) == "\u2013"


def test_a_bayesian_refusal_defers_to_the_causal_answer_in_the_client_report(run, monkeypatch):
    res = run.fit.results["satisfaction"]
    effects = res.effects.copy()
    effects.loc["quality_to_csat", ["median", "ci_low", "ci_high"]] = np.nan
    effects.loc["quality_to_csat", "status"] = "not_estimable"
    effects.loc["quality_to_csat", "reason"] = "test refusal"
    monkeypatch.setitem(run.fit.results, "satisfaction", dataclasses.replace(res, effects=effects))
    rows = C.question_rows(run).set_index("Question")
    row = rows.loc[B.estimand_title("quality_to_csat")]
    # the shared run has no causal record of this question: the refusal is shown as such
    assert row["Status"] == "not estimable: test refusal"
    assert row["Estimate (95% interval)"] == "\u2013"


# --------------------------------------------------------------------------- disagreement


def _est(causal: tuple, bayes: tuple, estimand: str = "status_reports_to_csat") -> pd.DataFrame:
    rows = []
    for source, method, (e, lo, hi) in (
        ("causal", "regression", causal),
        ("causal", "naive", (9.0, 8.0, 10.0)),  # a naive estimate never raises the flag
        ("bayes", "bayes_ordinal_satisfaction", bayes),
    ):
        rec = _record(question=estimand, method=method, estimate=e, ci_low=lo, ci_high=hi)
        rows.append(PE._row(rec, source))
    return pd.DataFrame(rows)


def test_disagreement_beyond_the_intervals_is_flagged_in_plain_words():
    est = _est((0.19, 0.12, 0.26), (0.46, 0.37, 0.55))
    dis = P.build_disagreements(est)
    assert list(dis["estimand"]) == ["status_reports_to_csat"]
    msg = dis["message"].iloc[0]
    assert B.estimand_title("status_reports_to_csat") in msg
    assert "do not overlap" in msg and "unsettled" in msg
    for jargon in ("posterior", "credible", "R-hat"):
        assert jargon not in msg


def test_overlapping_or_unanswered_estimates_raise_no_flag():
    assert P.build_disagreements(_est((0.19, 0.12, 0.26), (0.3, 0.25, 0.5))).empty
    refused = _est((0.19, 0.12, 0.26), (np.nan, np.nan, np.nan))
    assert P.build_disagreements(refused).empty


def test_portfolio_report_shows_the_flag(run):
    rep = P.build_portfolio_report(run)
    assert isinstance(rep.disagreements, pd.DataFrame)
    flagged = dataclasses.replace(
        rep, disagreements=P.build_disagreements(_est((0.19, 0.12, 0.26), (0.46, 0.37, 0.55)))
    )
    text = block_text(P.estimates_blocks(flagged))
    assert "Two methods disagree on" in text and "do not overlap" in text
