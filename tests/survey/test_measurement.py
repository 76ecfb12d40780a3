"""Measurement figures by hand on tiny examples, on ECSI against R plspm, and the warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.survey.measurement import (
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    htmt,
    measure,
)
from satprofit.survey.spec import parse_spec

from .conftest import reference


def test_cronbach_alpha_by_hand():
    # item variances 5/3 and 19/12, variance of the sum 25/4:
    # alpha = 2 * (1 - (5/3 + 19/12) / (25/4)) = 2 * (1 - 13/25) = 0.96
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 3, 5]})
    assert cronbach_alpha(items) == pytest.approx(0.96)
    # standardized: mean inter-item correlation r, alpha = 2 r / (1 + r)
    r = np.corrcoef(items["a"], items["b"])[0, 1]
    assert cronbach_alpha(items, standardized=True) == pytest.approx(2 * r / (1 + r))


def test_alpha_of_one_item_is_undefined():
    assert np.isnan(cronbach_alpha(np.array([[1.0], [2.0], [4.0]])))


def test_composite_reliability_and_ave_by_hand():
    # (0.8 + 0.6)^2 = 1.96; error variances 0.36 + 0.64 = 1.0
    assert composite_reliability([0.8, 0.6]) == pytest.approx(1.96 / 2.96)
    assert average_variance_extracted([0.8, 0.6]) == pytest.approx(0.5)
    assert composite_reliability([1.0]) == 1.0 and average_variance_extracted([1.0]) == 1.0


def test_htmt_by_hand():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(200, 2))
    noise = rng.normal(size=(200, 4))
    items = pd.DataFrame(
        {
            "a1": f[:, 0] + noise[:, 0],
            "a2": f[:, 0] + noise[:, 1],
            "b1": f[:, 0] + f[:, 1] + noise[:, 2],
            "b2": f[:, 0] + f[:, 1] + noise[:, 3],
        }
    )
    spec = parse_spec("constructs: {A: [a1, a2], B: [b1, b2]}\npaths: {A: [B]}")
    r = items.corr()
    hetero = (r.loc["a1", "b1"] + r.loc["a1", "b2"] + r.loc["a2", "b1"] + r.loc["a2", "b2"]) / 4
    expected = hetero / np.sqrt(r.loc["a1", "a2"] * r.loc["b1", "b2"])
    ratios = htmt(items, spec)
    assert ratios.loc["A", "B"] == pytest.approx(expected)
    assert ratios.loc["B", "A"] == pytest.approx(expected)
    assert np.isnan(ratios.loc["A", "A"])


@pytest.fixture(scope="module")
def ecsi_measurement(ecsi, ecsi_spec):
    return measure(ecsi, ecsi_spec)


def test_ecsi_ave_matches_plspm_block_communality(ecsi_measurement):
    """With satprofit's default path weighting the loadings differ slightly from the
    reference's centroid fit (measured max AVE difference 0.0008)."""
    ave = ecsi_measurement.constructs["ave"]
    ref = reference(".inner-summary")
    assert np.abs(ave - ref["block_communality"].loc[ave.index]).max() < 0.005


def test_ecsi_figures_are_sane_and_the_known_weak_spots_are_warned(ecsi_measurement):
    table = ecsi_measurement.summary()
    assert list(table.index) == ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert table["n_items"].tolist() == [5, 5, 5, 4, 4, 4]
    assert table["alpha"].between(0.8, 0.9).all()
    assert (table["rho_c"] > table["ave"]).all() and table["ave"].between(0.5, 0.8).all()
    assert table.loc["EXPE", "max_htmt_with"] == "QUAL"
    warnings = "\n".join(ecsi_measurement.warnings)
    assert "IMAG: item imag4 loads 0.57 (below 0.70)" in warnings
    assert "EXPE and QUAL: HTMT 0.98 is above 0.90" in warnings
    assert "QUAL and VAL: HTMT 0.88 is above 0.85, the strict threshold" in warnings
    assert set(ecsi_measurement.issues["figure"]) == {"loading", "htmt"}
    assert table.loc["QUAL", "n_warnings"] == 2  # HTMT with EXPE and with VAL
    record = ecsi_measurement.to_dict()
    assert len(record["htmt"]) == 15 and record["constructs"][0]["n_items"] == 5


def _survey(rng, n=400, weak=0.1):
    g = rng.normal(size=n)
    s = 0.5 * g + rng.normal(size=n)
    return pd.DataFrame(
        {
            "g1": g + 0.5 * rng.normal(size=n),
            "g2": g + 0.5 * rng.normal(size=n),
            "w1": weak * s + rng.normal(size=n),
            "w2": weak * s + rng.normal(size=n),
            "w3": s + 0.3 * rng.normal(size=n),
            "one": s + rng.normal(size=n),
        }
    )


def test_a_weak_construct_gets_every_warning_in_plain_words():
    spec = parse_spec("constructs: {G: [g1, g2], W: [w1, w2, w3]}\npaths: {G: [W]}")
    result = measure(_survey(np.random.default_rng(2)), spec)
    issues = result.issues.query("construct == 'W'")
    assert set(issues["figure"]) == {"alpha", "rho_c", "ave", "loading"}
    serious = issues.query("figure == 'loading' and threshold == 0.4")
    assert set(serious["other"]) == {"w1", "w2"}
    assert all("consider removing it" in m for m in serious["message"])
    assert any(m.startswith("W: AVE 0.") and "less than half" in m for m in result.warnings)
    assert not result.issues.query("construct == 'G'").shape[0]


def test_a_single_item_construct_has_no_alpha_and_a_note_not_a_crash():
    spec = parse_spec("constructs: {G: [g1, g2], S: [one]}\npaths: {G: [S]}")
    result = measure(_survey(np.random.default_rng(3)), spec)
    row = result.constructs.loc["S"]
    assert np.isnan(row["alpha"]) and row["n_items"] == 1
    assert row["ave"] == pytest.approx(1.0) and row["rho_c"] == pytest.approx(1.0)
    assert np.isnan(result.htmt.loc["G", "S"])
    assert result.notes and result.notes[0].startswith("S has one item (one): Cronbach's alpha")
    assert result.to_dict()["constructs"][1]["alpha"] is None
    assert result.summary().loc["S", "max_htmt_with"] == ""
