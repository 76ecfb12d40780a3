"""Client report: the detailed survey's construct scores and the labelled drivers.

Most tests use a stand-in run (the hostile sample portfolio, no model fitted: these sections read
the survey items, not the fit); one builds the whole report from the shared fitted run.
"""

from __future__ import annotations

import dataclasses
import html
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from satprofit.io import Portfolio
from satprofit.reporting import blocks as B
from satprofit.reporting import client as C
from tests.reporting.test_content import (
    ESCAPED_SCRIPT,
    HOSTILE_ID,
    HOSTILE_NAME,
    SEED,
    _hostile_sample,
    block_text,
    other_clients,
    shared_run,
)

NOT_FITTED = SimpleNamespace(results={}, skipped={"satisfaction": "not fitted here"}, failed={})


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The hostile sample portfolio as a run without a fit."""
    portfolio = _hostile_sample(tmp_path_factory.mktemp("survey_sample"))
    return SimpleNamespace(portfolio=portfolio, fit=NOT_FITTED)


def _report(run, client_id, **kw):
    """A ClientReport holding only the two sections under test."""
    return SimpleNamespace(
        survey_scores=C.build_survey_scores(run, client_id, **kw),
        drivers=C.build_drivers(run, client_id, **kw),
    )


def test_construct_scores_beside_the_portfolio_median(stand_in):
    s = C.build_survey_scores(stand_in, HOSTILE_ID)
    assert s.available and s.respondents >= C.MIN_SCORE_RESPONDENTS
    t = s.table
    assert list(t.index) == ["QUAL", "COMM", "REL", "SAT", "LOY"]
    assert t["label"].tolist()[0] == "Delivery quality"
    assert ((t["ci_low"] <= t["score"]) & (t["score"] <= t["ci_high"])).all()
    assert t[["ci_low", "ci_high", "median"]].stack().between(0, 100).all()
    assert (t["n_clients"] >= 5).all() and (t["respondents"] == s.respondents).all()
    # the client's score is the mean of its respondents' 0-100 item means in the window
    from satprofit.survey import load_spec, portfolio_scores

    f = portfolio_scores(stand_in.portfolio, load_spec("satprofit_survey")).frame
    own = f[(f["client_id"] == HOSTILE_ID) & (f["date"] >= s.start)]
    assert t.loc["QUAL", "score"] == pytest.approx(own["QUAL"].mean())
    assert s.respondents == len(own)


def test_scores_omitted_with_a_plain_note(stand_in):
    p = stand_in.portfolio
    counts = p.surveys["client_id"].value_counts().reindex(p.clients["client_id"], fill_value=0)
    thin = C.build_survey_scores(stand_in, counts.idxmin())
    assert not thin.available and thin.table.empty
    assert "none are shown" in thin.notes[0]
    no_items = Portfolio.from_tables({**p.tables, "survey_items": p.survey_items.iloc[:0]})
    run = SimpleNamespace(portfolio=no_items, fit=NOT_FITTED)
    s = C.build_survey_scores(run, HOSTILE_ID)
    assert not s.available and "did not include the detailed questions" in s.notes[0]
    text = block_text(C.survey_scores_blocks(SimpleNamespace(survey_scores=s)))
    assert "did not include the detailed questions" in text
    d = C.build_drivers(run, HOSTILE_ID)
    assert d.survey.empty and d.survey_notes == []
    few = C.build_survey_scores(stand_in, HOSTILE_ID, min_clients=10_000)
    assert few.available and few.table["median"].isna().all()
    assert any("no portfolio benchmark" in n for n in few.notes)


def test_survey_drivers_are_labelled_causal_or_associational(stand_in):
    d = C.build_drivers(stand_in, HOSTILE_ID)
    s = d.survey
    assert list(s.index) == ["QUAL", "COMM", "REL"]
    assert s["share"].sum() == pytest.approx(1)
    assert s.loc["QUAL", "evidence"] == C.CAUSAL_LABEL
    assert s.loc["COMM", "evidence"] == C.CAUSAL_LABEL
    assert s.loc["REL", "evidence"] == C.ASSOCIATIONAL_LABEL
    assert set(s["quadrant"]) <= {*C.QUADRANTS.values(), "not placed"}
    assert C.LABELS_NOTE in d.survey_notes
    scores = C.build_survey_scores(stand_in, HOSTILE_ID).table
    assert s["score"].tolist() == pytest.approx(scores.loc[s.index, "score"].tolist())
    again = C.build_drivers(stand_in, HOSTILE_ID)  # seeded: the same report twice
    pd.testing.assert_frame_equal(again.survey, s)


def test_blocks_escape_and_hold_no_other_client(stand_in):
    B.theme()
    rep = _report(stand_in, HOSTILE_ID)
    text = block_text([*C.survey_scores_blocks(rep), *C.drivers_blocks(rep)])
    assert C.ASSOCIATIONAL_LABEL in text and C.CAUSAL_LABEL in text
    assert "Relationship" in text and "Survey topics that go with satisfaction" in text
    assert [s for s in other_clients(stand_in, HOSTILE_ID) if s in text] == []
    assert "<script>" not in text.replace(ESCAPED_SCRIPT, "")
    fig = C.plot_survey_scores(rep.survey_scores)
    assert isinstance(fig, plt.Figure)
    plt.close(fig)


def test_the_whole_report_shows_both(tmp_path_factory):
    run = shared_run(tmp_path_factory)
    report = C.build_client_report(run, HOSTILE_ID, seed=SEED)
    assert report.survey_scores.available
    assert (report.drivers.table["evidence"] == C.CAUSAL_LABEL).all()
    text = block_text(C.drivers_blocks(report) + C.survey_scores_blocks(report))
    assert "What we know" in text and C.ASSOCIATIONAL_LABEL in text
    assert [s for s in other_clients(run, HOSTILE_ID) if s in text] == []
    title = block_text(C.title_blocks(report))
    assert html.escape(" ".join(HOSTILE_NAME.split())) in title
    assert dataclasses.is_dataclass(report)
