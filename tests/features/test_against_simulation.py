"""Question tables select exactly the units the simulator's truth averages over, and the
treatments they measure are the ones the structural model used."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.features import project_table, question_table
from satprofit.questions import ESTIMAND_IDS


@pytest.mark.parametrize("estimand", [e for e in ESTIMAND_IDS if e != "delivery_bonus_to_leads"])
def test_units_match_truth(sim, estimand):
    assert question_table(sim.portfolio, estimand).n == sim.truth.n_units[estimand]


def test_bonus_treated_units_match_truth(sim):
    table = question_table(sim.portfolio, "delivery_bonus_to_leads")
    assert table.data["treated"].sum() == sim.truth.n_units["delivery_bonus_to_leads"]


def test_status_report_rate_is_the_structural_treatment(sim):
    pt = project_table(sim.portfolio)
    lat = sim.latent.projects
    fin = lat["finished"].to_numpy().astype(bool)
    np.testing.assert_allclose(
        pt["status_reports_per_month"].to_numpy()[fin], lat["sr_rate"].to_numpy()[fin], rtol=1e-12
    )


def test_ontime_rate_is_the_structural_treatment(sim):
    pt = project_table(sim.portfolio)
    lat = sim.latent.projects
    ok = lat["finished"].to_numpy().astype(bool) & (lat["mp"].to_numpy() > 0)
    np.testing.assert_allclose(pt["ontime_rate"].to_numpy()[ok], lat["ontime"].to_numpy()[ok])


def test_question_tables_are_complete(sim):
    for estimand in ESTIMAND_IDS:
        qt = question_table(sim.portfolio, estimand)
        cols = [qt.treatment, qt.outcome, *qt.confounders]
        assert qt.data[cols].notna().all().all(), estimand
        assert qt.unit_label
        assert qt.summary().index[0] == estimand
