"""The PLS path model against R plspm on the ECSI data (tests/survey/reference/).

The reference was produced by plspm with ``scaled = FALSE`` and plspm's default inner scheme,
the centroid scheme (the test suite of plspm's Python port, which exported these files, calls it
without a scheme, and only the centroid scheme reproduces them: path weighting differs by up to
0.0031, factorial by 0.0006). With those settings satprofit matches to 1e-9; with its own default,
path weighting, the issue's bar of 0.005 holds as well.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from satprofit.constants import INTERVAL_QUANTILES
from satprofit.survey import PLSPathModel, fit_pls

from .conftest import reference

#: The issue's bar for path coefficients, R-squared and total effects.
TOL = 0.005
#: Agreement with the reference's own settings (floating point and plspm's stopping rule only).
EXACT = 1e-9
#: Resamples the reference's percentiles come from: plspm's default ``br`` (their spread across
#: seeds of satprofit's bootstrap at 100 resamples brackets every reference end, see below).
REF_BOOT = 100
N_BOOT = 1000


@pytest.fixture(scope="module")
def centroid(ecsi, ecsi_spec):
    return fit_pls(ecsi, ecsi_spec, scheme="centroid", n_boot=N_BOOT, seed=20240601)


@pytest.fixture(scope="module")
def path_weighting(ecsi, ecsi_spec):
    return fit_pls(ecsi, ecsi_spec, n_boot=0)


def _paths(result):
    return result.paths.set_index(["from", "to"])["estimate"]


@pytest.mark.parametrize(("fixture", "tol"), [("centroid", EXACT), ("path_weighting", TOL)])
def test_path_coefficients_match_plspm(fixture, tol, request):
    ours = _paths(request.getfixturevalue(fixture))
    ref = reference(".effects").query("direct != 0").set_index(["from", "to"])["direct"]
    assert set(ours.index) == set(ref.index)
    assert np.abs(ours - ref.loc[ours.index]).max() < tol
    sat = reference(".inner-model")["Estimate"]  # the SAT equation, from plspm's inner model
    assert np.abs(ours.xs("SAT", level="to").loc[sat.index] - sat).max() < tol


@pytest.mark.parametrize(("fixture", "tol"), [("centroid", EXACT), ("path_weighting", TOL)])
def test_r_squared_matches_plspm(fixture, tol, request):
    ours = request.getfixturevalue(fixture).r_squared
    ref = reference(".inner-summary")["r_squared"]
    assert list(ours.index) == ["EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert np.abs(ours - ref.loc[ours.index]).max() < tol
    assert (ref.drop(ours.index) == 0).all()  # IMAG is exogenous


@pytest.mark.parametrize(("fixture", "tol"), [("centroid", EXACT), ("path_weighting", TOL)])
def test_direct_indirect_and_total_effects_match_plspm(fixture, tol, request):
    ours = request.getfixturevalue(fixture).effects.set_index(["from", "to"])
    ref = reference(".effects").set_index(["from", "to"])
    assert list(ours.index) == list(ref.index)  # every reachable pair, in plspm's order
    for col in ("direct", "indirect", "total"):
        assert np.abs(ours[col] - ref[col]).max() < tol, col
    totals = request.getfixturevalue(fixture).total_effects.set_index(["from", "to"])["estimate"]
    assert np.abs(totals - ref["total"]).max() < tol


def test_ave_matches_plspm_block_communality(centroid):
    loadings = centroid.loadings
    ave = (loadings["loading"] ** 2).groupby(loadings["construct"]).mean()
    ref = reference(".inner-summary")
    assert np.allclose(ref["ave"], ref["block_communality"])
    assert np.abs(ave - ref["ave"].loc[ave.index]).max() < EXACT


def test_bootstrap_percentiles_agree_with_plspm_within_monte_carlo_error(centroid):
    """Each interval end within 4 Monte Carlo standard errors of the reference's.

    A p-percentile of B resamples has standard error about ``sqrt(p (1 - p) / B) / phi(z_p)``
    times the bootstrap standard deviation (0.27 sd at B = 100, the reference; 0.08 sd at
    B = 1000, here): 0.013 to 0.024 for the reference's ends, so a fixed tolerance of 0.03 would
    fail by chance (measured: the largest difference is 0.042, QUAL -> VAL's upper end, which
    lies at the 2nd percentile of 200 satprofit runs of 100 resamples).
    """
    ours = centroid.paths.set_index(["from", "to"])
    ref = reference("_boot_paths")
    ref.index = ref.index.str.split(" -> ").map(tuple)
    ref = ref.loc[ours.index]
    p = INTERVAL_QUANTILES[0]
    se_unit = np.sqrt(p * (1 - p)) / stats.norm.pdf(stats.norm.ppf(p))
    mc_se = ours["se"] * se_unit * np.sqrt(1 / REF_BOOT + 1 / N_BOOT)
    for mine, theirs in (("ci_low", "perc.025"), ("ci_high", "perc.975")):
        diff = np.abs(ours[mine] - ref[theirs])
        assert (diff < 4 * mc_se).all(), diff / mc_se
        assert diff.max() < 0.05
    # the bootstrap standard errors: relative Monte Carlo error of a sd from 100 draws is 7 %
    assert (np.abs(ours["se"] / ref["std.error"] - 1) < 0.25).all()
    assert np.abs(ours["estimate"] - ref["original"]).max() < EXACT


def test_bootstrap_is_reproducible_with_the_same_seed(ecsi, ecsi_spec):
    model = PLSPathModel(ecsi_spec, scheme="centroid")
    a = model.fit(ecsi, n_boot=50, seed=7)
    b = model.fit(ecsi, n_boot=50, seed=7)
    c = model.fit(ecsi, n_boot=50, seed=8)
    cols = ["ci_low", "ci_high", "se"]
    assert a.paths[cols].equals(b.paths[cols])
    assert a.total_effects[cols].equals(b.total_effects[cols])
    assert not a.paths[cols].equals(c.paths[cols])
    assert a.n_boot_failed == 0


def test_500_resamples_take_seconds_not_minutes(ecsi, ecsi_spec):
    import time

    t0 = time.perf_counter()
    result = fit_pls(ecsi, ecsi_spec, n_boot=500, seed=1)
    # 0.35 s idle here; generous for 2 busy cores
    assert time.perf_counter() - t0 < 20
    assert result.boot.paths.shape[0] == 500


def test_standardized_items_give_plspm_scaled_numbers_not_the_reference(ecsi, ecsi_spec):
    """scaled=True standardizes the items (plspm's default): the reference, made with unscaled
    items, is then 0.026 away, so the reference really is unscaled."""
    scaled = fit_pls(ecsi, ecsi_spec, scheme="centroid", scaled=True, n_boot=0)
    ref = reference(".effects").query("direct != 0").set_index(["from", "to"])["direct"]
    diff = np.abs(_paths(scaled) - ref.loc[_paths(scaled).index]).max()
    assert 0.01 < diff < 0.05
    scores = scaled.scores
    assert np.allclose(scores.mean(), 0) and np.allclose(scores.std(ddof=0), 1)
