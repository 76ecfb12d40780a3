"""Relative weights and Shapley shares of R-squared: sums, closed forms, brute-force refits."""

from __future__ import annotations

from itertools import combinations, permutations

import numpy as np
import pytest

from satprofit.survey import dominance as D


def _corr(z: np.ndarray) -> np.ndarray:
    return D.correlation(D.weighted_covariance(z))


def _data(rng, n=400, p=4):
    x = rng.standard_normal((n, p)) @ rng.standard_normal((p, p))  # correlated drivers
    y = x @ rng.normal(size=p) + rng.standard_normal(n) * 2
    return np.column_stack([y, x])


def _ols_r2(y, x) -> float:
    """R-squared of a least-squares refit with an intercept."""
    if x.shape[1] == 0:
        return 0.0
    a = np.column_stack([np.ones(len(y)), x])
    resid = y - a @ np.linalg.lstsq(a, y, rcond=None)[0]
    return 1 - resid.var() / y.var()


def test_weighted_covariance_matches_numpy_and_frequency_weights(rng):
    z = _data(rng, n=50, p=3)
    assert np.allclose(D.weighted_covariance(z)[0], np.cov(z.T, bias=True))
    counts = rng.integers(0, 3, size=50)
    repeated = np.repeat(z, counts, axis=0)
    assert np.allclose(D.weighted_covariance(z, counts[None])[0], np.cov(repeated.T, bias=True))


def test_both_decompositions_sum_to_r_squared(rng):
    z = _data(rng)
    corr = _corr(z)
    r2 = D.r_squared(corr, range(1, 5))[0]
    assert r2 == pytest.approx(_ols_r2(z[:, 0], z[:, 1:]), abs=1e-10)
    assert D.relative_weights(corr)[0].sum() == pytest.approx(r2, abs=1e-10)
    assert D.shapley(corr)[0].sum() == pytest.approx(r2, abs=1e-10)
    assert (D.relative_weights(corr) >= 0).all()


def test_orthogonal_drivers_get_their_squared_correlations():
    # two exactly uncorrelated predictors: both weights are the squared correlations
    x1 = np.array([1.0, -1, 1, -1, 1, -1, 1, -1])
    x2 = np.array([1.0, 1, -1, -1, 1, 1, -1, -1])
    y = 0.8 * x1 + 0.3 * x2 + np.array([0.1, -0.2, 0.3, 0.0, -0.1, 0.2, -0.3, 0.05])
    corr = _corr(np.column_stack([y, x1, x2]))
    squared = corr[0, 0, 1:] ** 2
    assert corr[0, 1, 2] == pytest.approx(0, abs=1e-15)
    assert np.allclose(D.relative_weights(corr)[0], squared, atol=1e-12)
    assert np.allclose(D.shapley(corr)[0], squared, atol=1e-12)


def test_shapley_equals_brute_force_refits_over_every_order(rng):
    z = _data(rng, n=120, p=4)
    y, x = z[:, 0], z[:, 1:]
    p = x.shape[1]
    r2 = {s: _ols_r2(y, x[:, list(s)]) for k in range(p + 1) for s in combinations(range(p), k)}
    brute = np.zeros(p)
    orders = list(permutations(range(p)))
    for order in orders:  # average increment over every entry order
        for i, j in enumerate(order):
            before = tuple(sorted(order[:i]))
            brute[j] += r2[tuple(sorted((*before, j)))] - r2[before]
    brute /= len(orders)
    assert np.allclose(D.shapley(_corr(z))[0], brute, atol=1e-10)


def test_relative_weights_reproduce_johnsons_construction(rng):
    """Against the textbook recipe: orthogonal Z from the SVD of standardized X."""
    z = _data(rng, n=200, p=3)
    s = (z - z.mean(0)) / z.std(0)
    y, x = s[:, 0], s[:, 1:]
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    zz = np.sqrt(len(y)) * u @ vt  # the orthogonal counterparts, unit variance as X
    beta = np.linalg.lstsq(zz, y, rcond=None)[0]
    lam = np.linalg.lstsq(zz, x, rcond=None)[0]  # X on Z
    expected = (lam**2).T @ beta**2
    assert np.allclose(D.relative_weights(_corr(z))[0], expected, atol=1e-10)


def test_a_stack_of_matrices_is_one_call(rng):
    zs = [_data(rng, n=80, p=3) for _ in range(5)]
    stack = np.concatenate([_corr(z) for z in zs])
    one = np.stack([D.shapley(_corr(z))[0] for z in zs])
    assert np.allclose(D.shapley(stack), one)
    assert np.allclose(
        D.relative_weights(stack), np.stack([D.relative_weights(_corr(z))[0] for z in zs])
    )


def test_too_many_drivers_and_collinear_drivers_are_refused(rng):
    with pytest.raises(ValueError, match="limited to 12"):
        D.shapley(np.eye(14)[None])
    x = rng.standard_normal((50, 2))
    z = np.column_stack([x.sum(1) + rng.standard_normal(50), x, x[:, 0] + x[:, 1]])
    with pytest.raises(ValueError, match="singular"):
        D.relative_weights(_corr(z))
