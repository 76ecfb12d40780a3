"""PLS on the simulator's survey items recovers their known loadings and latents, and
``satprofit paths`` reads them from a portfolio folder with the shipped spec."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from satprofit.cli import main
from satprofit.simulate import simulate_portfolio
from satprofit.simulate.items import construct_latents
from satprofit.survey import (
    SurveyDataError,
    check_items,
    fit_pls,
    load_spec,
    read_portfolio_survey,
    wide_items,
)


@pytest.fixture(scope="module")
def sim200():
    return simulate_portfolio(n_clients=200, seed=11)


@pytest.fixture(scope="module")
def pls200(sim200):
    spec = load_spec("satprofit_survey")
    return fit_pls(check_items(wide_items(sim200.portfolio).reset_index(), spec), spec, n_boot=0)


def test_wide_items_has_one_row_per_response_and_one_column_per_item(small_sim):
    wide = wide_items(small_sim.portfolio)
    assert list(wide.index) == list(small_sim.portfolio.surveys["response_id"])
    assert list(wide.columns) == list(load_spec("satprofit_survey").items)
    first = small_sim.portfolio.survey_items.iloc[0]
    assert wide.loc[first["response_id"], first["item"]] == first["value"]


def test_pls_recovers_the_generating_loadings(sim200, pls200):
    # PLS mode A loadings are item-composite correlations, biased upwards (the composite holds
    # the item's own noise): measured at 200 clients, seeds 1-4, the bias is +0.02 (loading
    # 0.90) to +0.17 (loading 0.60), never negative; the order within a construct is kept.
    est = pls200.loadings.set_index("item")["loading"]
    truth = pd.Series(sim200.survey["loadings"])[est.index]
    diff = est - truth
    assert diff.min() > -0.03 and diff.max() < 0.22, diff.round(3).to_dict()
    assert (diff.abs() < 0.12).mean() >= 0.8
    for items in sim200.survey["constructs"].values():
        assert np.argmax(est[items].to_numpy()) == np.argmax(truth[items].to_numpy())


def test_construct_scores_follow_the_latent_constructs(sim200, pls200):
    lat = construct_latents(sim200.latent)
    corr = {c: np.corrcoef(pls200.scores[c], lat[c])[0, 1] for c in lat}
    assert min(corr.values()) > 0.8, corr  # measured 0.87 (COMM) to 0.94 (SAT)


def test_pls_paths_are_near_the_latent_paths_attenuated(sim200, pls200):
    # Measurement error attenuates PLS paths: measured -0.09 to +0.03 of the latent OLS paths.
    truth = pd.DataFrame(sim200.survey["paths"]).set_index(["from", "to"])["standardized"]
    est = pls200.paths.set_index(["from", "to"])["estimate"][truth.index]
    assert ((est - truth).abs() < 0.15).all(), (est - truth).round(3).to_dict()
    assert list(est.rank()) == list(truth.rank())


def test_satprofit_paths_reads_a_portfolio_folder(small_sim, tmp_path, capsys):
    folder = small_sim.write(tmp_path / "sim")
    args = ["paths", str(folder), "--spec", "satprofit_survey", "--boot", "50", "--json"]
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert {(p["from"], p["to"]) for p in record["paths"]} == {
        ("QUAL", "SAT"),
        ("COMM", "SAT"),
        ("REL", "SAT"),
        ("SAT", "LOY"),
    }
    assert set(record["r_squared"]) == {"SAT", "LOY"}


def test_a_portfolio_without_items_is_refused_clearly(small_sim, tmp_path, capsys):
    folder = small_sim.write(tmp_path / "bare")
    (folder / "survey_items.csv").unlink()
    with pytest.raises(SurveyDataError, match="no survey items"):
        read_portfolio_survey(folder, load_spec("satprofit_survey"))
    assert main(["paths", str(folder), "--spec", "satprofit_survey"]) == 2
    assert "no survey items" in capsys.readouterr().err
