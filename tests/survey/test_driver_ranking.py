"""The generator's driver-ranking study: correlational shares beside each question's truth."""

from __future__ import annotations

import numpy as np

from satprofit.validation.driver_ranking import driver_ranking, main


def test_driver_ranking_sets_shares_beside_the_truth():
    r = driver_ranking(150, 8, 11, n_boot=30, estimates=False)
    t = r.table
    assert list(t.index) == ["QUAL", "COMM", "REL"]
    assert t.loc["REL", "question"] == "" and np.isnan(t.loc["REL", "truth_step"])
    assert t.loc["QUAL", "question"] == "quality_to_csat"
    assert np.allclose(t["rw"].sum(), 100) and np.allclose(t["latent"].sum(), 100)
    assert sorted(t["causal_rank_step"].dropna()) == [1, 2]
    assert (t["truth_sd"].dropna() > 0).all() and t["estimate"].isna().all()
    assert "association only" in t.loc["REL", "disagreement"]
    text = r.text()
    assert "quality_to_csat" in text and "(no question)" in text


def test_main_prints_the_table(capsys):
    assert main(["--clients", "120", "--quarters", "8", "--boot", "20", "--no-estimates"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Drivers of csat on a simulated portfolio (120 clients x 8 quarters")
