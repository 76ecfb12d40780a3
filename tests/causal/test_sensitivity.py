"""E-values and robustness values against published reference figures."""

from __future__ import annotations

import math

import pytest

from satprofit.causal.results import e_value, robustness_value


def test_robustness_value_matches_cinelli_hazlett_darfur_example():
    """Cinelli & Hazlett (2020), Darfur example: t = 4.18, 783 residual df ->
    RV_{q=1} = 13.9 % and RV_{q=1, alpha=0.05} = 7.6 % (their Table 2)."""
    assert robustness_value(4.18, 783) == pytest.approx(0.139, abs=0.001)
    assert robustness_value(4.18, 783, alpha=0.05) == pytest.approx(0.076, abs=0.001)
    assert robustness_value(0.5, 783, alpha=0.05) == 0.0


def test_e_value_of_a_risk_ratio_of_two():
    """RR = 2 gives E = 2 + sqrt(2) (VanderWeele & Ding 2017)."""
    d = math.log(2) / 0.91  # the SMD whose approximate RR is 2
    point, ci = e_value(d, 0.5 * d, 1.5 * d, 1.0)
    assert point == pytest.approx(2 + math.sqrt(2))
    assert 1 < ci < point
    assert e_value(d, -0.1, 1.5 * d, 1.0)[1] == 1.0, "interval containing 0 -> E-value 1"
    assert e_value(-d, -1.5 * d, -0.5 * d, 1.0)[0] == pytest.approx(2 + math.sqrt(2))
