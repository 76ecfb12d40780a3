"""The Bayesian path model's statistical checks (slow: minutes each; `make test-all`).

ECSI: the default sampler settings pass the convergence gate and the posterior standardized
paths agree with PLS in sign (every path whose PLS bootstrap interval excludes 0) and rank
(Spearman correlation of the ten path estimates). Generator: on a 300-client simulated
portfolio the posterior intervals of the standardized paths cover the latent paths of the
estimand each model targets: the multilevel model (client effects on the endogenous constructs)
the slope of a random-intercept regression of the latent constructs, the single-level model the
pooled regression of ``truth.json`` (:func:`satprofit.simulate.items.multilevel_path_truth`
computes both from the generator's latent constructs; they differ for SAT -> LOY, 0.29 vs 0.50).

Why standardized latent regressions are the right comparator: the model's standardized paths
are :math:`B_{kj}\\sqrt{\\Sigma_{jj}/\\Sigma_{kk}}` with :math:`\\Sigma` the model-implied total
covariance (client effects included), the coefficients of the standardized constructs on their
standardized causes. Truth's ``generating`` coefficients (1 on the unstandardized scale) are not
comparable: the model's raw scale is arbitrary (unit residual variance).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from satprofit.simulate import simulate_portfolio
from satprofit.simulate.items import multilevel_path_truth
from satprofit.survey import fit_pls, load_spec, read_portfolio_survey
from satprofit.survey.bayes_paths import BayesPathConvergenceWarning, fit_bayes_paths

pytestmark = pytest.mark.slow


def test_ecsi_paths_agree_with_pls_in_sign_and_rank(ecsi, ecsi_spec):
    pls = fit_pls(ecsi, ecsi_spec, seed=1).paths.set_index(["from", "to"])
    bayes = fit_bayes_paths(ecsi, ecsi_spec, seed=1)  # the defaults: 4 x 2500 after 1000
    assert bayes.converged, bayes.diagnostics["table"]
    est = bayes.paths.set_index(["from", "to"]).loc[pls.index]
    clear = (pls["ci_low"] > 0) | (pls["ci_high"] < 0)
    assert (np.sign(est["estimate"][clear]) == np.sign(pls["estimate"][clear])).all()
    rho = spearmanr(est["estimate"], pls["estimate"]).statistic
    assert rho >= 0.9, rho  # measured 0.976 (2 chains x 150 draws) and 0.98 (2 x 300)
    # the structure's strong paths are strong in both
    assert est.loc[("EXPE", "QUAL"), "estimate"] > 0.8 and est.loc[("VAL", "SAT"), "ci_low"] > 0.5
    assert bayes.diagnostics["divergences"] == 0


def _fit_portfolio_300(tmp_path, multilevel: bool):
    sim = simulate_portfolio(n_clients=300, n_quarters=12, seed=7)
    folder = sim.write(tmp_path / "p300")
    spec = load_spec("satprofit_survey")
    data = read_portfolio_survey(folder, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BayesPathConvergenceWarning)
        if multilevel:
            bayes = fit_bayes_paths(data, spec, chains=2, draws=500, tune=500, seed=1)
        else:
            bayes = fit_bayes_paths(data.items, spec, chains=2, draws=300, tune=300, seed=1)
    truth = multilevel_path_truth(sim.latent).set_index(["from", "to"])
    est = bayes.paths.set_index(["from", "to"]).loc[truth.index]
    return bayes, truth, est


def _assert_recovered(bayes, truth, est, target) -> None:
    """Every 95 % interval covers its truth, every estimate within 0.06, the same ranking, no
    divergences."""
    covered = (est["ci_low"] <= target) & (target <= est["ci_high"])
    assert covered.all(), pd.concat([truth, est], axis=1).round(3)
    assert ((est["estimate"] - target).abs() < 0.06).all()
    assert list(est["estimate"].rank()) == list(target.rank())
    assert bayes.diagnostics["divergences"] == 0


def test_the_multilevel_model_recovers_the_random_intercept_latent_paths(tmp_path):
    """300 clients, 2,431 responses, respondents nested in clients; 2 x 500 draws after 500
    (about 7 minutes on 2 cores; not long enough for the gate, which 2 x 1000 after 1000
    nearly passes: R-hat 1.015, min ESS 171, no divergences, 879 s). Comparator: the slope of a
    random-intercept regression of the standardized latent effect on its latent causes
    (:func:`multilevel_path_truth`), what a model with client effects estimates. Measured
    (2 x 1000): errors +0.018, +0.028, -0.022, +0.034, every 95 % interval covering."""
    bayes, truth, est = _fit_portfolio_300(tmp_path, multilevel=True)
    assert bayes.multilevel and bayes.n_clients == 300
    target = truth["random_intercept"]
    _assert_recovered(bayes, truth, est, target)
    # the pooled OLS of truth.json is a different estimand for SAT -> LOY (0.50 vs 0.29 here):
    # the client part of eta moves SAT and LOY together between clients; the model is not
    # expected to cover it, and does not
    pooled = truth.loc[("SAT", "LOY"), "pooled"]
    assert est.loc[("SAT", "LOY"), "ci_high"] < pooled


def test_the_single_level_model_recovers_the_pooled_latent_paths(tmp_path):
    """The same responses without their clients: the single-level model estimates the pooled
    latent regression of truth.json's ``standardized`` paths. 2 x 300 draws after 300 (about 4
    minutes). Measured: errors +0.020, +0.013, +0.033, +0.025, every 95 % interval covering."""
    bayes, truth, est = _fit_portfolio_300(tmp_path, multilevel=False)
    assert not bayes.multilevel
    target = truth["pooled"]
    _assert_recovered(bayes, truth, est, target)
