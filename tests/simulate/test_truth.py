"""The truth object: every estimand, computed by intervention, with the properties it must have."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.questions import ESTIMAND_IDS
from satprofit.simulate import Effects, simulate_portfolio
from tests.conftest import TEST_SEED
from tests.simulate import naive


def test_every_estimand_has_a_finite_truth(sim):
    assert list(sim.truth.values) == list(ESTIMAND_IDS)
    for key, value in sim.truth.values.items():
        assert np.isfinite(value), key
        assert sim.truth.n_units[key] > 0, key
    assert set(sim.truth.summary().columns) == {"truth", "unit", "n_units"}


def test_effects_all_positive_by_default(sim):
    assert all(v > 0 for v in sim.truth.values.values())


def test_no_effects_means_zero_truth():
    s = simulate_portfolio(
        n_clients=60, n_quarters=10, seed=TEST_SEED, effects=Effects().scaled(0.0)
    )
    for key, value in s.truth.values.items():
        assert value == pytest.approx(0.0, abs=1e-9), key


def test_reversed_effects_reverse_the_truth():
    neg = simulate_portfolio(
        n_clients=60, n_quarters=10, seed=TEST_SEED, effects=Effects().scaled(-1.0)
    )
    for key in (
        "presales_signoff",
        "quality_to_csat",
        "status_reports_to_csat",
        "csat_to_repeat.value",
        "csat_to_repeat.margin",
        "quality_to_repeat.total",
    ):
        assert neg.truth[key] < 0, key


def test_mediation_parts_add_up(sim):
    t = sim.truth
    assert t["quality_to_repeat.total"] == pytest.approx(
        t["quality_to_repeat.direct"] + t["quality_to_repeat.indirect"], rel=1e-9
    )
    assert t["quality_to_repeat.indirect"] > 0 and t["quality_to_repeat.direct"] > 0


def test_units_match_the_question_definition(sim):
    """csat_to_repeat units: client-quarters with 4 quarters after and >= 1 response."""
    _, n = naive.csat_to_repeat_slope(sim.portfolio, 12)
    assert sim.truth.n_units["csat_to_repeat.value"] == n


def test_repeat_value_effect_scales_with_client_size(sim):
    """Effects differ between clients: a plain average is not a variance-weighted one."""
    units = sim.truth.unit_effects["csat_to_repeat.value"]
    size = sim.latent.clients["size"].to_numpy()[units["client"].to_numpy()]
    by_size = units.groupby(size)["effect"].mean()
    assert by_size.iloc[-1] > 5 * by_size.iloc[0]


def test_csat_effect_shrinks_near_the_top(sim):
    """The ordinal model: the same latent push moves expected csat less for happy clients."""
    from satprofit.simulate.model import expected_csat

    eta = np.array([0.0, 3.0])
    gain = expected_csat(eta + 0.5) - expected_csat(eta)
    assert gain[1] < gain[0]
    units = sim.truth.unit_effects["quality_to_csat"]
    assert units["effect"].std() > 0


def test_truth_is_an_average_of_unit_effects(sim):
    for key, frame in sim.truth.unit_effects.items():
        assert sim.truth[key] == pytest.approx(frame["effect"].mean()), key
        assert len(frame) == sim.truth.n_units[key]


def test_bonus_truth_only_counts_treated_quarters(sim):
    units = sim.truth.unit_effects["delivery_bonus_to_leads"]
    starts = sim.latent.bonus_start_q
    assert (units["quarter"].to_numpy() >= starts[units["bu"].to_numpy()]).all()
    n_treated = sum(max(0, 12 - s) for s in starts)
    assert len(units) == n_treated
