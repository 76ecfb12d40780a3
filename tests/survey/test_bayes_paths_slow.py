"""The Bayesian path model's statistical checks (slow: minutes each; `make test-all`).

ECSI: the posterior standardized paths agree with PLS in sign (every path whose PLS bootstrap
interval excludes 0) and rank (Spearman correlation of the ten path estimates). Generator: on a
300-client simulated portfolio the posterior intervals of the standardized paths should cover
``truth.json``'s latent standardized OLS paths (skipped: the fit is too slow for now, see the
test's reason).

Why truth's ``standardized`` paths are the right comparator: they are the OLS coefficients of
the standardized latent constructs of the responses (total variance, client level included),
which is what the model's standardized paths are, :math:`B_{kj}\\sqrt{\\Sigma_{jj}/\\Sigma_{kk}}`
with :math:`\\Sigma` the model-implied total covariance (client effects included), as long as a
construct's client effect is independent of its causes (the simulator adds none to SAT and LOY
beyond their causes). Truth's ``generating`` coefficients (1 on the unstandardized scale) are
not comparable: the model's raw scale is arbitrary (unit residual variance).

Measured caveat (60 clients, seed 7, 2 x 150 draws, not converged): the single-level model
covers all four truth paths; the multilevel one misses REL -> SAT (0.45 vs 0.57) and SAT -> LOY
(0.36 vs 0.55). Truth pools between- and within-client variation; with client effects the
model's common slope leans on within-client variation, and in the simulator the client-level
part of the relationship moves SAT and LOY together between clients (a client effect on LOY
independent of SAT takes it up). For the multilevel model the comparator would be a
within-client latent regression, or truth should add it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from satprofit.simulate import simulate_portfolio
from satprofit.survey import fit_pls, load_spec, read_portfolio_survey
from satprofit.survey.bayes_paths import BayesPathConvergenceWarning, fit_bayes_paths

pytestmark = pytest.mark.slow


def test_ecsi_paths_agree_with_pls_in_sign_and_rank(ecsi, ecsi_spec):
    pls = fit_pls(ecsi, ecsi_spec, seed=1).paths.set_index(["from", "to"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BayesPathConvergenceWarning)
        bayes = fit_bayes_paths(ecsi, ecsi_spec, chains=2, draws=300, tune=300, seed=1)
    est = bayes.paths.set_index(["from", "to"]).loc[pls.index]
    clear = (pls["ci_low"] > 0) | (pls["ci_high"] < 0)
    assert (np.sign(est["estimate"][clear]) == np.sign(pls["estimate"][clear])).all()
    rho = spearmanr(est["estimate"], pls["estimate"]).statistic
    assert rho >= 0.9, rho  # measured 0.976 (2 chains x 150 draws) and 0.98 (2 x 300)
    # the structure's strong paths are strong in both
    assert est.loc[("EXPE", "QUAL"), "estimate"] > 0.8 and est.loc[("VAL", "SAT"), "ci_low"] > 0.5
    assert bayes.diagnostics["divergences"] == 0


@pytest.mark.skip(
    reason="not yet run to completion: on the 300-client portfolio (2,431 responses) NUTS hits "
    "the tree-depth limit (about 7 s an iteration, one chain of 120 iterations over 20 min); "
    "the tolerances below are the goal, not a measurement"
)
def test_the_generators_latent_paths_are_covered(tmp_path):
    sim = simulate_portfolio(n_clients=300, n_quarters=12, seed=7)
    folder = sim.write(tmp_path / "p300")
    spec = load_spec("satprofit_survey")
    data = read_portfolio_survey(folder, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BayesPathConvergenceWarning)
        bayes = fit_bayes_paths(data, spec, chains=2, draws=200, tune=200, seed=1)
    truth = pd.DataFrame(sim.survey["paths"]).set_index(["from", "to"])["standardized"]
    est = bayes.paths.set_index(["from", "to"]).loc[truth.index]
    covered = (est["ci_low"] <= truth) & (truth <= est["ci_high"])
    # every path covered by its 95 % interval and within 0.1 of truth
    assert covered.all(), pd.concat([truth, est], axis=1).round(3)
    assert ((est["estimate"] - truth).abs() < 0.1).all()
    assert list(est["estimate"].rank()) == list(truth.rank())
    assert bayes.multilevel and bayes.n_clients == 300
