"""The simulator's survey items: their own random stream, a valid table, known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from satprofit.cli import main
from satprofit.io import load_portfolio
from satprofit.simulate import simulate_portfolio
from satprofit.simulate.generator import simulate_world
from satprofit.simulate.items import CONSTRUCTS, build_survey_items, construct_latents
from satprofit.survey import load_spec

SMALL = {"n_clients": 25, "n_quarters": 6, "seed": 3}


def test_every_response_gets_every_item_on_its_scale(small_sim):
    items, surveys = small_sim.portfolio.survey_items, small_sim.portfolio.surveys
    n_items = sum(len(c.items) for c in CONSTRUCTS.values())
    assert len(items) == len(surveys) * n_items
    assert set(items["response_id"]) == set(surveys["response_id"])
    assert (items["value"] == items["value"].round()).all()
    assert items["value"].between(items["scale_min"], items["scale_max"]).all()
    rel = items[items["item"].str.startswith("rel")]
    assert set(rel["scale_min"]) == {1.0} and set(rel["scale_max"]) == {5.0}


def test_the_items_come_from_their_own_stream_and_leave_the_world_alone():
    tables, latent = simulate_world(**SMALL)
    assert "survey_items" not in tables  # the pinned world (test_rng_order) is unchanged
    sim = simulate_portfolio(**SMALL)
    for name, frame in tables.items():
        assert len(getattr(sim.portfolio, name)) == len(frame), name
    again = build_survey_items(latent, tables["surveys"]["response_id"], SMALL["seed"])
    pd.testing.assert_frame_equal(
        again.astype({"response_id": object, "item": object}),
        sim.portfolio.survey_items.astype({"response_id": object, "item": object}),
        check_dtype=False,
    )
    other = build_survey_items(latent, tables["surveys"]["response_id"], SMALL["seed"] + 1)
    assert not np.array_equal(other["value"], again["value"])


def test_satisfaction_items_agree_with_csat(small_sim):
    wide = small_sim.portfolio.survey_items.pivot(
        index="response_id", columns="item", values="value"
    )
    csat = small_sim.portfolio.surveys.set_index("response_id")["csat"].reindex(wide.index)
    sat = wide[["sat1", "sat2", "sat3"]].mean(axis=1)
    assert np.corrcoef(sat, csat)[0, 1] > 0.5


def test_the_truth_states_loadings_and_paths_of_the_shipped_spec(small_sim):
    truth = small_sim.survey
    spec = load_spec("satprofit_survey")
    assert set(truth["loadings"]) == set(spec.items)
    assert {c: tuple(i) for c, i in truth["constructs"].items()} == {
        c.name: tuple(c.items) for c in spec.constructs
    }
    paths = {(p["from"], p["to"]) for p in truth["paths"]}
    assert paths == {("QUAL", "SAT"), ("COMM", "SAT"), ("REL", "SAT"), ("SAT", "LOY")}
    # SAT's latent is the sum of its drivers' latents plus the csat noise (generating 1 each)
    lat = construct_latents(small_sim.latent)
    eps = lat["SAT"] - lat[["QUAL", "COMM", "REL"]].sum(axis=1)
    np.testing.assert_allclose(eps, small_sim.latent.responses["eps"], atol=1e-9)


def test_simulate_writes_the_items_and_their_truth(tmp_path):
    folder = tmp_path / "sim"
    args = ["simulate", str(folder), "--clients", "20", "--quarters", "4", "--format", "parquet"]
    assert main(args) == 0
    assert (folder / "survey_items.parquet").exists()
    assert len(load_portfolio(folder).survey_items) > 0
    survey = json.loads((folder / "truth.json").read_text())["survey"]
    assert survey["loadings"]["comm3"] == 0.6 and len(survey["paths"]) == 4
