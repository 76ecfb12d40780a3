"""`satprofit estimate` prints every answer, refusals included, with status, reason and the
adjustment set (QUESTIONS.md: every estimate names what it is adjusted for)."""

from __future__ import annotations

import json

import pytest

from satprofit.cli import main
from satprofit.questions import ESTIMAND_IDS
from satprofit.simulate import simulate_portfolio


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """12 clients x 8 quarters: some questions answerable, some not (this portfolio crashed
    `satprofit estimate` with a ZeroDivisionError and an OverflowError)."""
    sim = simulate_portfolio(n_clients=12, n_quarters=8, seed=3)
    return sim.write(tmp_path_factory.mktemp("tiny"), fmt="csv")


def test_json_has_every_estimand_with_status_reason_and_adjustment(tiny_folder, capsys):
    assert main(["estimate", str(tiny_folder), "--boot", "20", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["question"] for r in records] == list(ESTIMAND_IDS)
    for r in records:
        assert {"status", "reason", "adjustment"} <= set(r)
        assert (r["status"] == "ok") == (r["reason"] == "")
    statuses = {r["status"] for r in records}
    assert statuses == {"ok", "not_estimable"}
    ok = [r for r in records if r["status"] == "ok"]
    assert all(r["adjustment"] for r in ok if r["method"] != "naive")


def test_table_shows_status_reasons_and_adjustment_sets(tiny_folder, capsys):
    assert main(["estimate", str(tiny_folder), "--boot", "20"]) == 0
    out = capsys.readouterr().out
    assert "status" in out.splitlines()[0]
    assert "not_estimable" in out and "\nnot answered:\n" in out and "\nadjusted for:\n" in out
    assert "  sales_in_escalations: not estimable: only 4 escalations" in out
    assert "  delivery_bonus_to_leads: business unit FE, period FE" in out


def test_estimate_exits_3_when_nothing_is_answered(tmp_path, capsys):
    from satprofit.cli import NOTHING_PRODUCED

    folder = simulate_portfolio(60, 8, seed=2, design="unused_lever").write(tmp_path / "p")
    code = main(["estimate", str(folder), "--question", "presales_signoff", "--json"])
    out = capsys.readouterr().out
    assert code == NOTHING_PRODUCED
    assert '"status": "not_estimable"' in out
    assert main(["estimate", str(folder), "--question", "quality_to_csat"]) == 0
