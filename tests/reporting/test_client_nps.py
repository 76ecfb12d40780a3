"""The client report's NPS section: this client's pooled NPS with its range, the trend with
P(rose), "too few answers" when n is tiny, aggregates only, client text escaped."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from satprofit.io import load_portfolio
from satprofit.reporting.client.nps import MIN_NPS_ANSWERS, build_nps, nps_blocks

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def run():
    return SimpleNamespace(portfolio=load_portfolio(SAMPLE))


def _html(blocks) -> str:
    return "\n".join(getattr(b, "data", "") or "" for b in blocks if isinstance(b.data, str))


def _answers(run) -> pd.Series:
    sv = run.portfolio.surveys.dropna(subset=["nps"])
    return sv.groupby("client_id").size().sort_values(kind="stable")


def test_a_client_with_many_answers(run):
    cid = _answers(run).index[-1]
    s = build_nps(run, cid, seed=1)
    assert s.answers >= MIN_NPS_ANSWERS
    assert s.ci_low < s.estimate < s.ci_high
    assert s.segment_nps is not None and s.portfolio_nps is not None
    assert set(s.trend.columns) == {"period", "n", "estimate", "ci_low", "ci_high", "portfolio"}
    assert s.trend["n"].sum() == s.answers
    page = _html(nps_blocks(SimpleNamespace(nps=s)))
    assert "your NPS is" in page and "Net Promoter Score per half-year" in page
    assert "Too few answers:" not in page
    again = build_nps(run, cid, seed=1)
    assert (again.estimate, again.ci_low) == (s.estimate, s.ci_low)


def test_a_client_with_one_answer_is_told_too_few(run):
    counts = _answers(run)
    cid = counts.index[0]
    assert counts.iloc[0] == 1
    s = build_nps(run, cid, seed=1)
    page = _html(nps_blocks(SimpleNamespace(nps=s)))
    assert "Too few answers" in page and "leans more on clients of your size" in page
    assert s.shrinkage > 0.5


def test_a_client_without_answers_gets_no_number(run):
    answered = set(_answers(run).index)
    cid = next(c for c in run.portfolio.clients["client_id"] if c not in answered)
    s = build_nps(run, cid, seed=1)
    assert s.answers == 0 and np.isnan(s.estimate) and s.trend.empty
    page = _html(nps_blocks(SimpleNamespace(nps=s)))
    assert "no Net Promoter Score for you" in page


def test_only_this_clients_figures_and_aggregates(run):
    cid = _answers(run).index[-1]
    s = build_nps(run, cid, seed=1)
    page = _html(nps_blocks(SimpleNamespace(nps=s)))
    others = [c for c in run.portfolio.clients["client_id"] if c != cid]
    assert not any(c in page for c in others)
    assert s.trend.shape[1] == 6  # period, n, own estimate and range, portfolio aggregate


def test_benchmarks_need_enough_other_clients(run):
    cid = _answers(run).index[-1]
    s = build_nps(run, cid, seed=1, min_clients=1000)
    assert s.segment_nps is None and s.portfolio_nps is None
    assert s.trend["portfolio"].isna().all()
    assert any("at least 1000 other clients" in n for n in s.notes)


def test_no_nps_in_the_portfolio_says_so(run):
    p = run.portfolio
    sv = p.surveys.assign(nps=pd.array([pd.NA] * len(p.surveys), dtype="Int64"))
    fake = SimpleNamespace(portfolio=SimpleNamespace(surveys=sv, clients=p.clients))
    s = build_nps(fake, p.clients["client_id"].iloc[0], seed=1)
    assert not s.available
    assert "No client answered" in _html(nps_blocks(SimpleNamespace(nps=s)))
