"""Simulation-based calibration (SBC) of the ordinal satisfaction model.

SBC (Talts et al. 2018, arXiv:1804.06788) checks the whole inference pipeline: for each
replication draw the parameters from the model's own prior, simulate csat from them on a
fixed design, fit the model to the simulated csat, and record the rank of the true value
among ``L`` (roughly independent) posterior draws. When the sampler computes the posterior
correctly, each rank is uniform on ``0..L``; a biased posterior tilts the ranks, one that is too
narrow piles them at both ends (U shape), one that is too wide in the middle.

Design: the responses of a 60-client, 8-quarter simulated portfolio (176 responses, 57 clients,
18 delivery teams, 6 industries); predictors and groups stay fixed, only csat is replaced by the
prior predictive. ``N_REPS = 80`` replications, each a fit of 2 chains x (500 tune + 1200
draws) thinned to every 24th draw, ``L = 99`` draws. Parameters ranked: the 7 coefficients, the 4
cut points, and the 3 group scales (14 in all).

Prior draws: ``pm.sample_prior_predictive`` draws the cut points forwards from their Normal,
ignoring the ``ordered`` transform, so only about one draw in seven is ordered; the model's
actual prior is that Normal restricted to ordered vectors. The cut points are independent of
every other parameter a priori, so keeping only the ordered draws (rejection sampling) gives
exact draws from the model's prior. Using the unordered draws would be a miscalibrated SBC.

Tolerance: per parameter, a chi-square test of the ranks over ``BINS = 10`` equal bins (shape:
U or hump) and a z-test of the mean rank (bias); 28 tests, Bonferroni-corrected to a family-wise
false-alarm rate of 1 % (each p-value must exceed 0.01 / 28). Every replication's ranks count,
converged or not (dropping fits by their outcome would bias the check); at most 10 % of the fits
may fail the convergence gate (R-hat, ESS, divergences). Runtime: about 25-30 minutes on 2 idle
cores (the ``slow`` marker keeps it out of ``make test``; ``make test-all`` runs it).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from satprofit.bayes import ConvergenceWarning, SatisfactionModel, satisfaction_data
from satprofit.bayes.satisfaction import PREDICTORS, SatisfactionData
from satprofit.simulate import simulate_portfolio
from tests.conftest import TEST_SEED

#: Seed of the prior draws and (plus the replication index) of the fits; the design portfolio
#: uses the suite's TEST_SEED.
SBC_SEED = 20180406
N_REPS = 80
L = 99
THIN = 24
FIT = {"draws": 1200, "tune": 500, "chains": 2, "cores": 2}
BINS = 10
FAMILY_ALPHA = 0.01
MAX_GATE_FAILURE_SHARE = 0.10
#: Ranked parameters: model variable and index (None for a scalar) -> label.
PARAMETERS = (
    [("beta", i, f"beta[{p}]") for i, p in enumerate(PREDICTORS)]
    + [("cutpoints", k, f"cutpoints[{k + 1}]") for k in range(4)]
    + [(f"sigma_{g}", None, f"sigma_{g}") for g in ("client", "team", "industry")]
)


def sbc_design() -> SatisfactionData:
    """The fixed design: responses of a small simulated portfolio (its csat is replaced)."""
    sim = simulate_portfolio(n_clients=60, n_quarters=8, seed=TEST_SEED)
    return satisfaction_data(sim.portfolio)


def _stack(dataset, sample_axes: int) -> np.ndarray:
    """Values of ``PARAMETERS`` from a posterior or prior dataset as [sample, parameter].

    Parameters
    ----------
    dataset : xarray.Dataset
        ``idata.posterior`` or ``idata.prior``, dims (chain, draw, ...).
    sample_axes : int
        Leading axes to flatten into the sample axis (2: chain and draw).
    """
    cols = []
    for var, idx, _ in PARAMETERS:
        v = dataset[var].values
        v = v.reshape(int(np.prod(v.shape[:sample_axes])), *v.shape[sample_axes:])
        cols.append(v if idx is None else v[:, idx])
    return np.column_stack(cols)


def prior_replications(
    data: SatisfactionData, n_reps: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact draws from the model's prior and their simulated csat.

    Parameters
    ----------
    data : SatisfactionData
        The design.
    n_reps : int
        Number of replications wanted.
    seed : int
        Seed of ``pm.sample_prior_predictive``.

    Returns
    -------
    truth : ndarray, shape (n_reps, len(PARAMETERS))
    csat : ndarray of int, shape (n_reps, data.n)
        Scores 1..5.

    Notes
    -----
    Forward sampling ignores the ``ordered`` transform of the cut points; draws whose cut points
    are not increasing lie outside the model's prior support and are rejected.
    """
    import pymc as pm

    with SatisfactionModel().build_model(data):
        prior = pm.sample_prior_predictive(draws=15 * n_reps, random_seed=seed)
    cut = prior.prior["cutpoints"].values[0]
    keep = np.flatnonzero(np.all(np.diff(cut, axis=1) > 0, axis=1))
    assert len(keep) >= n_reps, f"only {len(keep)} prior draws with ordered cut points"
    keep = keep[:n_reps]
    truth = _stack(prior.prior, 2)[keep]
    csat = prior.prior_predictive["csat"].values[0][keep] + 1
    return truth, csat


def thinned_draws(idata) -> np.ndarray:
    """``L`` posterior draws of ``PARAMETERS``, every ``THIN``-th draw of each chain."""
    post = idata.posterior.isel(draw=slice(THIN - 1, None, THIN))
    draws = _stack(post, 2)
    assert len(draws) >= L, f"{len(draws)} thinned draws, need {L}"
    return draws[:L]


def run_sbc(data: SatisfactionData, n_reps: int = N_REPS, seed: int = SBC_SEED) -> dict:
    """Fit the model to ``n_reps`` prior-predictive data sets.

    Returns
    -------
    dict
        ``truth`` [rep, parameter], ``draws`` [rep, L, parameter], ``converged`` [rep] (the
        convergence gate's verdict), ``gate`` [rep, 3] (divergences, largest R-hat, smallest
        ESS) and ``counts`` [rep, 5] (csat scores per data set).
    """
    truth, csat = prior_replications(data, n_reps, seed)
    draws, converged, gate = [], [], []
    for i in range(n_reps):
        data_i = dataclasses.replace(data, csat=csat[i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = SatisfactionModel().fit(data_i, random_seed=seed + 1 + i, **FIT)
        draws.append(thinned_draws(res.idata))
        converged.append(res.converged)
        diag = res.diagnostics
        gate.append([diag["divergences"], diag["rhat_max"], diag["ess_min"]])
    counts = np.stack([np.bincount(c, minlength=6)[1:] for c in csat])
    return {
        "truth": truth,
        "draws": np.stack(draws),
        "converged": np.array(converged),
        "gate": np.array(gate, float),
        "counts": counts,
    }


def sbc_ranks(truth: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Rank of each true value among its posterior draws: [rep, parameter], values 0..L."""
    return (draws < truth[:, None, :]).sum(axis=1)


def uniformity(ranks: np.ndarray, n_draws: int = L, bins: int = BINS) -> pd.DataFrame:
    """Per-parameter tests that ranks are uniform on ``0..n_draws``.

    Parameters
    ----------
    ranks : ndarray, shape (rep, parameter)
    n_draws : int
        ``L``; ``n_draws + 1`` must be divisible by ``bins``.
    bins : int
        Equal-width bins of the chi-square test.

    Returns
    -------
    DataFrame
        One row per parameter (labels of ``PARAMETERS`` when the width matches): ``chi2`` and
        ``p_chi2`` (counts per bin against ``rep / bins``, ``bins - 1`` degrees of freedom),
        ``mean_rank`` scaled to [0, 1], ``z`` and ``p_mean`` (two-sided, the discrete uniform's
        mean and variance), and ``min_bin`` / ``max_bin`` counts.
    """
    n, p = ranks.shape
    assert (n_draws + 1) % bins == 0
    width = (n_draws + 1) // bins
    rows = []
    for j in range(p):
        counts = np.bincount(ranks[:, j] // width, minlength=bins)
        chi2, p_chi2 = stats.chisquare(counts)
        mean = ranks[:, j].mean()
        sd_mean = np.sqrt(((n_draws + 1) ** 2 - 1) / 12 / n)
        z = (mean - n_draws / 2) / sd_mean
        rows.append(
            {
                "chi2": chi2,
                "p_chi2": p_chi2,
                "mean_rank": mean / n_draws,
                "z": z,
                "p_mean": 2 * stats.norm.sf(abs(z)),
                "min_bin": counts.min(),
                "max_bin": counts.max(),
            }
        )
    labels = [lab for _, _, lab in PARAMETERS] if p == len(PARAMETERS) else range(p)
    return pd.DataFrame(rows, index=labels)


def failing_tests(table: pd.DataFrame, family_alpha: float = FAMILY_ALPHA) -> pd.DataFrame:
    """Rows of :func:`uniformity` with a p-value below the Bonferroni threshold."""
    threshold = family_alpha / (2 * len(table))
    return table[(table["p_chi2"] < threshold) | (table["p_mean"] < threshold)]


@pytest.fixture(scope="module")
def sbc():
    return run_sbc(sbc_design())


@pytest.mark.slow
def test_sbc_ranks_are_uniform(sbc):
    table = uniformity(sbc_ranks(sbc["truth"], sbc["draws"]))
    bad = failing_tests(table)
    assert bad.empty, f"SBC ranks not uniform:\n{table.round(4).to_string()}"


@pytest.mark.slow
def test_sbc_fits_pass_the_convergence_gate(sbc):
    share = 1 - sbc["converged"].mean()
    div, rhat, ess = sbc["gate"][~sbc["converged"]].T
    assert share <= MAX_GATE_FAILURE_SHARE, (
        f"{share:.0%} of the SBC fits failed the gate: divergences {div.astype(int).tolist()}, "
        f"R-hat {rhat.round(3).tolist()}, ESS {ess.round().astype(int).tolist()}"
    )


def test_uniformity_check_rejects_miscalibrated_posteriors():
    """The rank tests accept an exact posterior and reject a shifted or overconfident one.

    Conjugate normal toy (prior N(0, 1), one observation with sd 1): the exact posterior is
    N(y / 2, 1 / 2).
    """
    rng = np.random.default_rng(SBC_SEED)
    n, p = N_REPS, len(PARAMETERS)
    theta = rng.normal(size=(n, p))
    y = theta + rng.normal(size=(n, p))
    z = rng.normal(size=(n, L, p))
    sd = np.sqrt(0.5)
    exact = y[:, None, :] / 2 + sd * z
    assert failing_tests(uniformity(sbc_ranks(theta, exact))).empty
    shifted = exact + 0.5 * sd
    assert len(failing_tests(uniformity(sbc_ranks(theta, shifted)))) > p / 2
    overconfident = y[:, None, :] / 2 + 0.5 * sd * z
    assert len(failing_tests(uniformity(sbc_ranks(theta, overconfident)))) > p / 2
