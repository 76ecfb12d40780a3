"""The pooled NPS (collapsed hierarchical Dirichlet-multinomial, Laplace-proposed importance
sampling, :mod:`satprofit.survey.nps_core`) against the same model sampled by PyMC's NUTS
(``pm.DirichletMultinomial``): the fast path is the posterior, not an approximation of it."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.survey.nps_core import KAPPA_PRIOR, fit_hierarchical, nps_of


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_importance_sampling_matches_nuts_on_the_same_model():
    import pymc as pm

    rng = np.random.default_rng(11)
    n_clients, n_seg = 30, 3
    seg = rng.integers(0, n_seg, n_clients)
    m_true = rng.dirichlet((4, 3, 3), n_seg)
    p = np.array([rng.dirichlet(8.0 * m_true[s]) for s in seg])
    n = rng.integers(3, 21, n_clients)
    y = np.array([rng.multinomial(k, pc) for k, pc in zip(n, p, strict=True)])

    fast = fit_hierarchical(y, seg, n_seg, draws=8000, rng=np.random.default_rng(1))

    with pm.Model():
        m = pm.Dirichlet("m", a=np.ones(3), shape=(n_seg, 3))
        log_kappa = pm.Normal("log_kappa", KAPPA_PRIOR[0], KAPPA_PRIOR[1])
        kappa = pm.Deterministic("kappa", pm.math.exp(log_kappa))
        pm.DirichletMultinomial("y", n=n, a=kappa * m[seg], observed=y)
        idata = pm.sample(
            1000, tune=1000, chains=2, cores=1, random_seed=3, progressbar=False,
            target_accept=0.95,
        )  # fmt: skip
    kappa_nuts = idata.posterior["kappa"].values.ravel()
    m_nuts = idata.posterior["m"].values.reshape(-1, n_seg, 3)
    # the clients' posterior means given each draw are conjugate: (kappa m + y) / (kappa + n)
    alpha = kappa_nuts[:, None, None] * m_nuts[:, seg, :] + y[None]
    client_nuts = nps_of(alpha).mean(axis=0)
    client_fast = nps_of(fast.p).mean(axis=0)

    q = [0.1, 0.5, 0.9]
    k_fast, k_nuts = np.quantile(fast.kappa, q), np.quantile(kappa_nuts, q)
    assert np.allclose(np.log(k_fast), np.log(k_nuts), atol=0.12), (k_fast, k_nuts)
    seg_fast, seg_nuts = nps_of(fast.m).mean(axis=0), nps_of(m_nuts).mean(axis=0)
    assert np.abs(seg_fast - seg_nuts).max() < 2.0, (seg_fast, seg_nuts)
    assert np.abs(client_fast - client_nuts).max() < 2.0, (client_fast, client_nuts)
    assert fast.is_ess > 2000
