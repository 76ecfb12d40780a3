r"""The cumulative-logit (ordered logistic) likelihood, shared by the Bayesian models.

One place for the ordinal log-density that the satisfaction model (its csat likelihood; the
optional nps part still uses PyMC's ``OrderedLogistic``) and the survey path model (item
answers) both use. With :math:`K` categories, cut points
:math:`c_1 < \dots < c_{K-1}` and linear predictor :math:`\eta`,

.. math::

    \Pr(y = k) = \sigma(c_{k+1} - \eta) - \sigma(c_k - \eta),
    \quad c_0 = -\infty,\ c_K = +\infty,

for categories coded ``0 .. K-1``. Only the observed category's two cut points are evaluated
(PyMC's ``OrderedLogistic`` builds every category's probability per row, then picks one), and
the difference is formed without cancellation (:func:`ordinal_logit_logp`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def ordinal_logit_logp(upper, lower, has_up, has_lo):
    r"""Log probability of each cell's category under the cumulative logit, without
    cancellation.

    :math:`P = \sigma(a) - \sigma(b)` with :math:`a` (``upper``) and :math:`b` (``lower``) the
    distances of the category's upper and lower cutpoints from the linear predictor, computed
    as :math:`\log\sigma(a) + \log\sigma(-b) + \log(1 - e^{b - a})` (the identity
    :math:`\sigma(a) - \sigma(b) = \sigma(a)\,\sigma(-b)\,(1 - e^{b-a})`): exact where both
    sigmoids are near 1 or the category is narrow, where the plain difference loses every
    digit. The first category has no lower cutpoint (``has_lo`` False: :math:`\log\sigma(a)`),
    the last no upper one (:math:`\log\sigma(-b)`).

    Parameters
    ----------
    upper, lower : TensorVariable
        Upper and lower cut point of each cell's category minus its linear predictor (any
        value where the cut point does not exist).
    has_up, has_lo : array_like of bool
        Whether the category has an upper (not the last) and a lower (not the first) cut point.
    """
    import pytensor.tensor as pt

    below_up = pt.switch(has_up, pt.sigmoid(upper), 1.0)
    above_lo = pt.switch(has_lo, pt.sigmoid(-lower), 1.0)
    inside = pt.switch(has_up & has_lo, -pt.expm1(lower - upper), 1.0)
    return pt.log(below_up * above_lo * inside)


def observed_ordinal_logp(codes, eta, cutpoints, n_cuts: int):
    """Log-likelihood of observed categories ``codes`` (``0 .. n_cuts``) given linear
    predictors ``eta`` (one per code) and ``n_cuts`` ordered cut points, one term per code.

    Each code's two cut points are picked by index (for observed data a constant, which
    PyTensor folds), so the log-density and its gradient cost two sigmoids per observation
    instead of a probability for every category. ``codes`` may be an array or a tensor (the
    ``value`` of a ``pm.CustomDist`` log-density).
    """
    import pytensor.tensor as pt

    codes = pt.as_tensor_variable(codes)
    has_up, has_lo = pt.lt(codes, n_cuts), pt.gt(codes, 0)
    upper = cutpoints[pt.minimum(codes, n_cuts - 1)] - eta
    lower = cutpoints[pt.maximum(codes - 1, 0)] - eta
    return ordinal_logit_logp(upper, lower, has_up, has_lo)


def ordinal_logit_draws(
    eta: np.ndarray, cutpoints: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Categories ``0 .. K-1`` drawn from the cumulative logit: ``eta`` [..., n] and cut points
    [..., K-1] (broadcast over leading axes)."""
    eta = np.asarray(eta, dtype=float)
    cut = np.asarray(cutpoints, dtype=float)
    below = expit(cut[..., None, :] - eta[..., :, None])  # P(y <= k), [..., n, K-1]
    u = rng.uniform(size=eta.shape)
    return (u[..., None] > below).sum(axis=-1)
