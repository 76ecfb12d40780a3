"""Group intercepts integrated out of a Normal likelihood, and drawn back: checked against the
dense multivariate Normal they stand for (no sampling, exact to rounding)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from satprofit.bayes.marginal import GroupedNormal


def _problem(rng, weighted: bool):
    n, k, groups = 40, 3, 7
    x = rng.normal(size=(n, k))
    group = rng.integers(0, groups - 1, size=n)  # the last group has no row
    w = rng.integers(1, 5, size=n).astype(float) if weighted else np.ones(n)
    y = rng.normal(size=n) + group * 0.3
    return x, group, groups, w, y


def _dense_cov(group, groups, w, s, tau):
    z = np.eye(groups)[group]
    return np.diag(s**2 / w) + tau**2 * z @ z.T


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("centre", [False, True])
def test_marginal_logp_is_the_multivariate_normal_density(weighted, centre):
    rng = np.random.default_rng(3)
    x, group, groups, w, y = _problem(rng, weighted)
    g = GroupedNormal(y, x, group, groups, weights=w if weighted else None, centre=centre)
    mu, theta, s, tau = 0.4, np.array([0.5, -1.0, 0.2]), 0.8, 0.6
    got = float(g.logp(mu, theta, s, tau).eval())
    mean = mu + g.x @ theta  # centred columns when centre: the same model, shifted intercept
    want = multivariate_normal(mean, _dense_cov(group, groups, w, s, tau)).logpdf(y)
    assert got == pytest.approx(want, rel=1e-10)
    if centre:
        assert np.allclose(g.x.mean(axis=0), 0) and np.allclose(g.xbar, x.mean(axis=0))


def test_drawn_intercepts_follow_their_exact_conditional():
    """The draws' mean and variance per group are the Gaussian conditional of the intercepts
    given the data (computed here from the joint covariance), to Monte-Carlo error."""
    rng = np.random.default_rng(5)
    x, group, groups, w, y = _problem(rng, weighted=True)
    g = GroupedNormal(y, x, group, groups, weights=w)
    mu, theta, s, tau = 0.1, np.array([0.3, 0.0, -0.4]), 0.7, 0.9
    # joint of (u, y): u ~ N(0, tau^2 I), y = m + Z u + e
    z = np.eye(groups)[group]
    resid = y - mu - x @ theta
    cov_y = _dense_cov(group, groups, w, s, tau)
    cov_uy = tau**2 * z.T
    mean_want = cov_uy @ np.linalg.solve(cov_y, resid)
    var_want = np.diag(tau**2 * np.eye(groups) - cov_uy @ np.linalg.solve(cov_y, cov_uy.T))
    n = 200_000
    draws = g.draw_group_effects(
        np.full(n, mu), np.tile(theta, (n, 1)), np.full(n, s), np.full(n, tau), rng
    )
    se = np.sqrt(var_want / n)
    assert np.all(np.abs(draws.mean(axis=0) - mean_want) < 5 * se)
    assert np.allclose(draws.var(axis=0), var_want, rtol=0.02)
    assert var_want[-1] == pytest.approx(tau**2)  # a group without rows keeps its prior


def test_single_precision_design_changes_the_linear_predictor_by_under_a_millionth():
    """The repeat model's designs are held in single precision (``design_product``, the
    Bernoulli part's ``x θ``): on a design of its size and scale (24,000 x 50, centred
    columns), a log-likelihood built on the product differs from double precision by under
    1e-6 relative and its gradient by under 1e-5 of its largest component."""
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(11)
    n, k, groups = 24_000, 50, 2_000
    x = np.column_stack([rng.normal(size=(n, 10)), rng.integers(0, 2, size=(n, k - 10))])
    group = rng.integers(0, groups, size=n)
    y = rng.integers(0, 2, size=n).astype(float)
    theta = pt.vector("theta")
    value = {}
    for single in (False, True):
        g = GroupedNormal(y, x, group, groups, centre=True, single_precision=single)
        lin = -0.5 + g.product(theta)
        logp = pt.sum(y * lin - pt.softplus(lin))
        fn = pytensor.function([theta], [logp, pt.grad(logp, theta)])
        value[single] = fn(np.linspace(-0.5, 0.5, k))
    (lp64, g64), (lp32, g32) = value[False], value[True]
    assert abs(lp32 - lp64) <= 1e-6 * abs(lp64)
    assert np.max(np.abs(g32 - g64)) <= 1e-5 * np.max(np.abs(g64))


def test_sum_of_squares_from_moments_matches_the_rows_at_scale():
    """``Σ w r²`` from the weighted moments (no per-row work) equals the per-row sum on a
    design of the repeat model's size with outcomes on the log-value scale (about 11, where
    a raw-moment expansion would cancel catastrophically): relative error under 1e-9, in
    value and gradient."""
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(12)
    n, k, groups = 24_000, 50, 2_000
    x = np.column_stack([rng.normal(size=(n, 10)), rng.integers(0, 2, size=(n, k - 10))])
    group = rng.integers(0, groups, size=n)
    w = rng.integers(1, 6, size=n).astype(float)
    y = 11.0 + x[:, :10] @ rng.normal(scale=0.2, size=10) + rng.normal(size=n)
    g = GroupedNormal(y, x, group, groups, weights=w, centre=True)
    theta, mu = pt.vector("theta"), pt.scalar("mu")
    direct = pt.sum(w * (y - mu - pt.dot(g.x, theta)) ** 2)
    moments = g.sum_of_squares(mu, theta)
    fn = pytensor.function([mu, theta], [direct, moments, *pt.grad(direct, [mu, theta])])
    fm = pytensor.function([mu, theta], pt.grad(moments, [mu, theta]))
    for m0, t0 in [(11.02, np.linspace(-0.3, 0.3, k)), (9.0, rng.normal(size=k))]:
        d, got, gmu, gth = fn(m0, t0)
        hmu, hth = fm(m0, t0)
        assert got == pytest.approx(d, rel=1e-9)
        assert hmu == pytest.approx(gmu, rel=1e-9, abs=1e-9 * abs(d))
        assert np.max(np.abs(hth - gth)) <= 1e-9 * max(np.max(np.abs(gth)), abs(d))


# ---- Poisson counts with Gamma group effects (the repeat model's purchase part) ----


def _count_problem(rng):
    n, k, groups = 40, 3, 7
    x = rng.normal(size=(n, k)) * 0.4
    group = rng.integers(0, groups - 1, size=n)  # the last group has no row
    y = rng.poisson(np.exp(0.3 + 0.2 * group)).astype(float)
    return x, group, groups, y


@pytest.mark.parametrize("tau", [0.3, 1.0, 2.0])
def test_poisson_gamma_marginal_is_the_integral_over_the_group_effects(tau):
    """Each group's term is the integral of its rows' Poisson densities over its Gamma(k, k)
    effect (numerical quadrature), up to the constant -Σ log y!."""
    from scipy.integrate import quad
    from scipy.special import gammaln
    from scipy.stats import gamma as gamma_dist
    from scipy.stats import poisson

    from satprofit.bayes.marginal import GroupedPoisson

    rng = np.random.default_rng(8)
    x, group, groups, y = _count_problem(rng)
    g = GroupedPoisson(y, x, group, groups, centre=True)
    alpha, theta = 0.1, np.array([0.5, -1.0, 0.2])
    got = float(g.poisson_logp(alpha, theta, np.float64(tau)).eval()) - gammaln(y + 1).sum()
    mu = np.exp(alpha + g.x @ theta)
    k = 1 / tau**2
    want = 0.0
    for grp in np.unique(group):
        rows = group == grp

        def integrand(gam, rows=rows):
            return np.prod(poisson.pmf(y[rows], gam * mu[rows])) * gamma_dist.pdf(
                gam, k, scale=1 / k
            )

        want += np.log(quad(integrand, 0, np.inf, limit=200, epsabs=0)[0])
    assert got == pytest.approx(want, rel=1e-7)


def test_poisson_gamma_marginal_tends_to_the_poisson_without_effects():
    from scipy.special import gammaln
    from scipy.stats import poisson

    from satprofit.bayes.marginal import GroupedPoisson

    x, group, groups, y = _count_problem(np.random.default_rng(9))
    g = GroupedPoisson(y, x, group, groups)
    theta = np.array([0.5, -1.0, 0.2])
    got = float(g.poisson_logp(0.2, theta, np.float64(1e-4)).eval())  # (a float64 scale)
    want = poisson.logpmf(y, np.exp(0.2 + x @ theta)).sum() + gammaln(y + 1).sum()
    assert got == pytest.approx(want, rel=1e-6)


def test_drawn_gamma_effects_follow_their_exact_conditional():
    """γ_g | rest ~ Gamma(k + Y_g, k + M_g): the draws' mean and variance match it, and a group
    without rows is drawn from its prior (mean 1, variance 1 / k)."""
    from satprofit.bayes.marginal import GroupedPoisson

    x, group, groups, y = _count_problem(np.random.default_rng(10))
    g = GroupedPoisson(y, x, group, groups, centre=True)
    n = 40_000
    alpha, theta, tau = np.full(n, 0.1), np.tile([0.5, -1.0, 0.2], (n, 1)), np.full(n, 0.7)
    u = g.draw_gamma_effects(alpha, theta, tau, np.random.default_rng(1), chunk=7_000)
    gam = np.exp(u)
    k = 1 / 0.7**2
    M = np.bincount(group, weights=np.exp(0.1 + g.x @ theta[0]), minlength=groups)
    Y = np.bincount(group, weights=y, minlength=groups)
    mean, var = (k + Y) / (k + M), (k + Y) / (k + M) ** 2
    np.testing.assert_allclose(gam.mean(axis=0), mean, rtol=0.02)
    np.testing.assert_allclose(gam.var(axis=0), var, rtol=0.05)
    assert mean[-1] == pytest.approx(1.0) and var[-1] == pytest.approx(1 / k)
