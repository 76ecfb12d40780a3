"""The shared cumulative-logit likelihood (:mod:`satprofit.ordinal`): exact against
high-precision arithmetic and PyMC's ``OrderedLogistic``, and its draws follow its
probabilities."""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def test_the_ordinal_log_probability_is_exact_where_the_plain_difference_cancels():
    """log(sigmoid(a) - sigmoid(b)) against 60-digit decimal arithmetic: an ordinary cell, cells
    far above both cutpoints (sigmoids 1 - 1e-13: the plain difference keeps 3 digits), far
    below, a category 1e-9 wide, and the first and last categories (one cutpoint each)."""
    from decimal import Decimal, getcontext

    import pytensor.tensor as pt

    from satprofit.ordinal import ordinal_logit_logp

    getcontext().prec = 60
    a = np.array([2.0, 30.0, -30.0, 0.5, 5.0, 3.0])
    b = np.array([1.0, 29.0, -31.0, 0.5 - 1e-9, -5.0, -2.0])
    has_up = np.array([1, 1, 1, 1, 0, 1], bool)
    has_lo = np.array([1, 1, 1, 1, 1, 0], bool)
    got = ordinal_logit_logp(pt.as_tensor(a), pt.as_tensor(b), has_up, has_lo).eval()

    def sigmoid(x):
        return 1 / (1 + (-Decimal(float(x))).exp())

    want = [
        float(((sigmoid(x) if u else 1) - (sigmoid(y) if lo else 0)).ln())
        for x, y, u, lo in zip(a, b, has_up, has_lo, strict=True)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    plain = np.log(1 / (1 + np.exp(-a[1])) - 1 / (1 + np.exp(-b[1])))
    assert abs(plain - want[1]) > 1e-6  # the naive formula is visibly off there


def test_the_observed_category_log_likelihood_is_pymcs_ordered_logistic():
    """Two sigmoids per observation give PyMC's OrderedLogistic log-density, every category
    (first, middle, last) and linear predictors far outside the cut points."""
    import pymc as pm
    import pytensor.tensor as pt

    from satprofit.ordinal import observed_ordinal_logp

    rng = np.random.default_rng(5)
    cut = np.array([-2.0, -0.4, 0.3, 1.9])
    eta = np.concatenate([rng.normal(scale=2.0, size=200), [-12.0, 12.0]])
    codes = np.concatenate([rng.integers(0, 5, size=200), [0, 4]])
    got = observed_ordinal_logp(codes, pt.as_tensor(eta), pt.as_tensor(cut), 4).eval()
    want = pm.logp(pm.OrderedLogistic.dist(eta=eta, cutpoints=cut), codes).eval()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_ordinal_draws_follow_the_category_probabilities():
    """200,000 draws per linear predictor: each category's share within 5 binomial s.e. of
    its probability."""
    from satprofit.ordinal import ordinal_logit_draws

    cut = np.array([-1.5, 0.0, 0.8, 2.0])
    eta = np.array([-1.0, 0.5, 3.0])
    n = 200_000
    draws = ordinal_logit_draws(np.repeat(eta, n), cut, np.random.default_rng(1)).reshape(3, n)
    below = np.column_stack([np.zeros(3), expit(cut[None, :] - eta[:, None]), np.ones(3)])
    probs = np.diff(below, axis=1)
    for i in range(3):
        share = np.bincount(draws[i], minlength=5) / n
        se = np.sqrt(probs[i] * (1 - probs[i]) / n)
        assert np.all(np.abs(share - probs[i]) <= 5 * se + 1e-12), (i, share, probs[i])
