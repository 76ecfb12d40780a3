r"""Normal outcomes with group intercepts integrated out, and the intercepts drawn back exactly.

For rows :math:`i` of group :math:`g(i)`

.. math::

    y_i \sim N(\mu + x_i^\top\theta + u_{g(i)},\ s^2 / w_i), \qquad u_g \sim N(0, \tau^2),

the intercepts :math:`u` can be integrated out in closed form (each group's rows share one
intercept: compound symmetry, Sherman-Morrison). With :math:`r_i = y_i - \mu - x_i^\top\theta`,
:math:`W_g = \sum_{i \in g} w_i` and :math:`R_g = \sum_{i \in g} w_i r_i`,

.. math::

    \log L = -\tfrac12 \Big[\sum_i \log\frac{2\pi s^2}{w_i} + \sum_i \frac{w_i r_i^2}{s^2}
        + \sum_g \log\Big(1 + \frac{\tau^2 W_g}{s^2}\Big)
        - \sum_g \frac{\tau^2 R_g^2}{s^2 (s^2 + \tau^2 W_g)}\Big].

:math:`R_g = A_g - W_g \mu - (B\theta)_g` with the constants :math:`A_g = \sum w_i y_i` and
:math:`B = Z^\top \operatorname{diag}(w) X`, and :math:`\sum_i w_i r_i^2` is a quadratic form in
:math:`(\mu, \theta)` of the weighted moments of :math:`(1, x, y)` (:math:`X^\top W X` and
friends, computed once), so the likelihood costs a product of the [group, column] matrix
:math:`B` and nothing per row: at 2,000 clients the repeat model's log value part (4,987 rows x
43 columns) went from 0.24 ms per gradient with the rows to a tenth of that. The sampler then sees :math:`s` and :math:`\tau` without the
thousands of intercepts between them: with two or three rows per client, the sampled intercepts
made the within / between split of the variance a funnel that mixed slowly (ESS 38 of 600
draws for the mean log value of the repeat model at 2,000 clients).

Given a posterior draw, each intercept's conditional posterior is Normal with precision
:math:`1/\tau^2 + W_g/s^2` and mean :math:`(R_g / s^2)` / precision; drawing it per posterior draw
(:func:`draw_group_effects`) gives an exact sample of the joint posterior the unmarginalised model
would have sampled.
"""

from __future__ import annotations

import functools

import numpy as np


class GroupedNormal:
    """The constants of one grouped Normal likelihood (see module docstring).

    Parameters
    ----------
    y : ndarray
        Outcome per row.
    x : ndarray
        Design matrix [row, column] (already centred if the intercept is to be centred).
    group : ndarray of int
        Group code of each row, in ``0..n_groups - 1``.
    n_groups : int
        Number of groups (groups without rows have no likelihood term).
    weights : ndarray, optional
        Precision weight :math:`w_i` of each row (default 1: equal variances).
    centre : bool
        Centre ``x``'s columns (their means kept as ``xbar``: the intercept at zero covariates
        is ``mu - xbar θ``).
    single_precision : bool
        Compute ``x θ`` from a single-precision copy of the design (:func:`design_product`;
        the repeat model's choice for its large designs).
    """

    def __init__(
        self,
        y,
        x,
        group,
        n_groups: int,
        weights=None,
        centre: bool = False,
        single_precision: bool = False,
    ) -> None:
        self.y = np.asarray(y, float)
        x = np.asarray(x, float)
        self.xbar = x.mean(axis=0) if centre and len(x) else np.zeros(x.shape[1])
        self.x = x - self.xbar
        self.group = np.asarray(group, int)
        self.n_groups = int(n_groups)
        self.w = np.ones(len(self.y)) if weights is None else np.asarray(weights, float)
        self.single_precision = bool(single_precision)

    # the group sums are computed when first needed (a part that only wants its centred design
    # never pays for them)
    @functools.cached_property
    def W(self) -> np.ndarray:
        """Sum of the weights per group."""
        return np.bincount(self.group, weights=self.w, minlength=self.n_groups)

    @functools.cached_property
    def A(self) -> np.ndarray:
        """Weighted sum of the outcome per group."""
        return np.bincount(self.group, weights=self.w * self.y, minlength=self.n_groups)

    @functools.cached_property
    def B(self) -> np.ndarray:
        """Weighted sum of the design rows per group, [group, column]."""
        out = np.zeros((self.n_groups, self.x.shape[1]))
        np.add.at(out, self.group, self.w[:, None] * self.x)
        return out

    @functools.cached_property
    def moments(self) -> tuple[float, float, float, np.ndarray, np.ndarray, np.ndarray]:
        """Weighted moments of the rows, with the outcome centred at its weighted mean
        ``ybar`` (so the quadratic form sums small numbers): ``(ybar, Σw, Σw y'², X'Wy',
        X'W1, X'WX)``."""
        w, x = self.w, self.x
        sw = float(w.sum())
        ybar = float((w * self.y).sum() / sw) if sw > 0 else 0.0
        yc = self.y - ybar
        return ybar, sw, float((w * yc**2).sum()), x.T @ (w * yc), x.T @ w, (x.T * w) @ x

    def sum_of_squares(self, mu, theta):
        """``Σ w_i (y_i - μ - x_i θ)²`` from :attr:`moments` (a PyTensor expression, no
        per-row work)."""
        import pytensor.tensor as pt

        ybar, sw, syy, xy, xw, xx = self.moments
        m = mu - ybar  # the residual is y' - m - x θ with y' = y - ybar
        return (
            syy  # the cross term 2 m Σ w y' is 0: y' is centred
            - 2 * pt.dot(xy, theta)
            + sw * m**2
            + 2 * m * pt.dot(xw, theta)
            + pt.dot(theta, pt.dot(xx, theta))
        )

    @functools.cached_property
    def x32(self) -> np.ndarray:
        """The centred design in single precision, for :func:`design_product`."""
        return self.x.astype(np.float32)

    def product(self, theta):
        """``x θ`` as a PyTensor expression (in single precision when ``single_precision``;
        see :func:`design_product`)."""
        import pytensor.tensor as pt

        return design_product(self.x32, theta) if self.single_precision else pt.dot(self.x, theta)

    def logp(self, mu, theta, s, tau):
        """The marginal log-likelihood as a PyTensor expression.

        Parameters
        ----------
        mu, theta, s, tau : TensorVariable
            Intercept, coefficients (``x``'s columns), row sd at weight 1, group sd.
        """
        import pytensor.tensor as pt

        has = self.W > 0  # groups with rows (the others have no likelihood term)
        W, A, B = self.W[has], self.A[has], self.B[has]
        R = A - W * mu - pt.dot(B, theta)
        s2, t2 = s**2, tau**2
        n = len(self.y)
        return -0.5 * (
            n * pt.log(2 * np.pi * s2)
            - np.log(self.w).sum()
            + self.sum_of_squares(mu, theta) / s2
            + pt.sum(pt.log1p(t2 * W / s2))
            - pt.sum(t2 * R**2 / (s2 * (s2 + t2 * W)))
        )

    def draw_group_effects(
        self, mu: np.ndarray, theta: np.ndarray, s: np.ndarray, tau: np.ndarray, rng
    ) -> np.ndarray:
        """Exact draws of the group intercepts given posterior draws of the rest.

        Parameters
        ----------
        mu : ndarray [draw]
        theta : ndarray [draw, column]
        s, tau : ndarray [draw]
        rng : numpy.random.Generator

        Returns
        -------
        ndarray [draw, group]
            Groups without rows are drawn from their prior N(0, tau^2).
        """
        R = self.A[None, :] - mu[:, None] * self.W[None, :] - theta @ self.B.T
        s2, t2 = (s**2)[:, None], (tau**2)[:, None]
        precision = 1.0 / t2 + self.W[None, :] / s2
        mean = (R / s2) / precision
        return mean + rng.standard_normal(mean.shape) / np.sqrt(precision)


def design_product(x32: np.ndarray, theta):
    r"""``x θ`` for a large constant design held in single precision (a PyTensor expression,
    double precision out).

    The sampler's gradient reads the design twice per step (``x θ`` and ``xᵀ g``); at 2,000
    clients the repeat model's design is 24,103 x 50, and with two chains sampling at once the
    reads compete for memory bandwidth. Single precision halves them (the repeat model at
    2,000 clients, 4 x 1000 draws after 300 with nutpie: sampling 276 s -> 211 s). The linear predictor's error is about 1e-7 relative to
    :math:`\sum_j |x_j \theta_j|` (1e-6 on the logit or log scale), far below what changes a
    NUTS acceptance; ``tests/bayes/test_marginal.py`` bounds the log-density's and the
    gradient's errors.
    """
    import pytensor.tensor as pt

    return pt.cast(pt.dot(x32, pt.cast(theta, "float32")), "float64")


class GroupedPoisson(GroupedNormal):
    r"""Poisson counts with multiplicative Gamma group effects integrated out, and the effects
    drawn back exactly.

    For rows :math:`i` of group :math:`g(i)`

    .. math::

        y_i \sim \operatorname{Poisson}(\gamma_{g(i)} e^{\eta_i}),\qquad
        \gamma_g \sim \operatorname{Gamma}(k, k),\quad k = 1/\tau^2

    (mean 1, so :math:`u_g = \log\gamma_g` is a group intercept with sd about :math:`\tau`),
    the group effects integrate out in closed form (Poisson-Gamma conjugacy; each group's
    counts are then negative binomial together). With :math:`Y_g = \sum_{i\in g} y_i` and
    :math:`M_g = \sum_{i \in g} e^{\eta_i}`, up to the constant :math:`-\sum_i \log y_i!`,

    .. math::

        \log L = \sum_i y_i \eta_i + \sum_g \Big[\log\Gamma(k + Y_g) - \log\Gamma(k)
            - k \log(1 + M_g / k) - Y_g \log(k + M_g)\Big]

    (written so that it tends to the Poisson likelihood with :math:`u = 0` as :math:`k \to
    \infty`). Given a posterior draw, :math:`\gamma_g \sim \operatorname{Gamma}(k + Y_g,\ k +
    M_g)` exactly (:meth:`draw_gamma_effects`). The sampler then sees :math:`\tau` without the
    thousands of intercepts between it and the data, whose non-centred form mixed slowly where
    clients have many deals (the repeat model's ``sigma_client_any`` missed the gate in three of
    six 1,000-client fits).

    Parameters as :class:`GroupedNormal` (no weights).
    """

    @functools.cached_property
    def Y(self) -> np.ndarray:
        """Sum of the counts per group."""
        return np.bincount(self.group, weights=self.y, minlength=self.n_groups)

    def poisson_logp(self, alpha, theta, tau):
        """The marginal log-likelihood (up to the constant) as a PyTensor expression.

        Parameters
        ----------
        alpha, theta, tau : TensorVariable
            Intercept, coefficients (``x``'s columns), scale of the group intercepts.
        """
        import pytensor.tensor as pt

        eta = alpha + self.product(theta)
        M = pt.inc_subtensor(pt.zeros(self.n_groups)[self.group], pt.exp(eta))
        has = self.W > 0  # groups with rows (the others have no likelihood term)
        M, Y = M[has], self.Y[has]
        k = 1.0 / tau**2
        return pt.dot(self.y, eta) + pt.sum(
            pt.gammaln(k + Y) - pt.gammaln(k) - k * pt.log1p(M / k) - Y * pt.log(k + M)
        )

    def draw_gamma_effects(
        self, alpha: np.ndarray, theta: np.ndarray, tau: np.ndarray, rng, chunk: int = 200
    ) -> np.ndarray:
        """Exact draws of the group intercepts :math:`u_g = \\log\\gamma_g` given posterior
        draws of the rest.

        Parameters
        ----------
        alpha : ndarray [draw]
        theta : ndarray [draw, column]
        tau : ndarray [draw]
        rng : numpy.random.Generator
        chunk : int
            Draws per block (the [draw, row] linear predictor is built block by block).

        Returns
        -------
        ndarray [draw, group]
            Groups without rows are drawn from their prior.
        """
        from scipy import sparse

        n_draws = len(alpha)
        z = sparse.csr_matrix(
            (np.ones(len(self.group)), (np.arange(len(self.group)), self.group)),
            shape=(len(self.group), self.n_groups),
        )
        M = np.zeros((n_draws, self.n_groups))
        for a in range(0, n_draws, chunk):
            eta = alpha[a : a + chunk, None] + theta[a : a + chunk] @ self.x.T
            M[a : a + chunk] = (z.T @ np.exp(eta).T).T
        k = (1.0 / tau**2)[:, None]
        gamma = rng.gamma(k + self.Y[None, :]) / (k + M)
        return np.log(gamma)
