r"""The maths of NPS with intervals: categories, Kish weights, Dirichlet posteriors and the
hierarchical Dirichlet-multinomial fitted by Laplace-proposed importance sampling.

Categories
----------
An answer to "how likely are you to recommend us" (0..10) is a *detractor* (0-6), a *passive*
(7-8) or a *promoter* (9-10); NPS is ``100 * (p_promoter - p_detractor)``, on -100..100.

One group
---------
The counts ``y = (detractors, passives, promoters)`` of a group are multinomial with
probabilities ``p``; with a Dirichlet(``a``) prior the posterior is Dirichlet(``a + y``)
(conjugate), so NPS draws are ``100 * (p_3 - p_1)`` of Dirichlet draws and the posterior mean
is exactly ``100 * (a_3 + y_3 - a_1 - y_1) / (sum(a) + n)``.

Weights
-------
With respondent weights ``w`` (e.g. by role) the category shares are the weighted shares
``W_k / W``, and the counts fed to the posterior are those shares times Kish's effective sample
size ``n_eff = (sum w)^2 / sum w^2`` (:func:`effective_counts`): the interval is as wide as
the weighted data's information allows, never narrower than the unweighted one would be for
``n_eff`` respondents.

Many groups with partial pooling
--------------------------------
Units ``u`` (clients) in segments ``s`` (size bands):

.. math::

    y_u \sim \text{Multinomial}(n_u, p_u),\quad p_u \sim \text{Dirichlet}(\kappa\, m_{s(u)}),
    \quad m_s \sim \text{Dirichlet}(1, 1, 1),\quad \log\kappa \sim N(\log 10, 1.5)

``kappa`` is the concentration (how many answers the segment's mean is worth when a client's
own answers are weighed against it); a client with ``n_u`` answers has posterior mean
``(kappa m_s + y_u) / (kappa + n_u)``: its raw shares shrunk toward the segment's with weight
``kappa / (kappa + n_u)`` on the segment (the *shrinkage* reported).

How it is fitted, and why not NUTS: the client proportions integrate out in closed form (the
Dirichlet-multinomial likelihood, :func:`dm_loglik`), leaving ``2 S + 1`` hyperparameters
(``S`` segments). Their exact log posterior is maximised, a multivariate t (5 degrees of
freedom) with the inverse Hessian at the mode proposes draws, importance weights correct the
proposal to the exact posterior, and each resampled hyperparameter draw is followed by an exact
conjugate draw ``p_u ~ Dirichlet(kappa m_s + y_u)``. This is the full Bayesian posterior of the
model above (not an empirical-Bayes plug-in: the uncertainty of ``kappa`` and the segment
means is carried into every client's interval), in a fraction of a second and without
compiling a model, which is what makes the 200-replication coverage study
(:mod:`satprofit.validation.nps_coverage`) affordable; weighted (non-integer) effective counts
enter the same closed form, where PyMC's ``DirichletMultinomial`` takes integer counts only.
The importance sampling's effective sample size is reported; below
:data:`MIN_IS_ESS` a note says the intervals are approximate.

Checked: against PyMC's NUTS on the same model (``pm.DirichletMultinomial``, 30 clients in 3
segments; ``tests/survey/test_nps_pymc.py``, slow) the 10/50/90 % quantiles of ``kappa`` are
8.41/14.30/27.8 here and 8.45/14.38/27.4 by NUTS, segment and client NPS means within 2
points; interval coverage by simulation in :mod:`satprofit.validation.nps_coverage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import digamma, gammaln, logsumexp, softmax

#: The three NPS categories, in the order of every count vector.
CATEGORIES: tuple[str, str, str] = ("detractor", "passive", "promoter")
#: Named Dirichlet priors of one group's category probabilities.
PRIORS: dict[str, tuple[float, float, float]] = {
    "uniform": (1.0, 1.0, 1.0),
    "jeffreys": (0.5, 0.5, 0.5),
}
#: Prior of the log concentration ``log kappa``: Normal(mean, sd).
KAPPA_PRIOR: tuple[float, float] = (float(np.log(10.0)), 1.5)
#: Importance-sampling effective sample size below which intervals are flagged approximate.
MIN_IS_ESS = 400
#: Degrees of freedom of the multivariate t proposal.
_PROPOSAL_DF = 5


def category_codes(scores: np.ndarray) -> np.ndarray:
    """0 (detractor, 0-6), 1 (passive, 7-8) or 2 (promoter, 9-10) of each score 0..10."""
    s = np.asarray(scores, dtype=float)
    return np.where(s >= 9, 2, np.where(s >= 7, 1, 0)).astype(int)


def nps_of(shares: np.ndarray) -> np.ndarray:
    """NPS (-100..100) of category shares or probabilities along the last axis."""
    shares = np.asarray(shares, dtype=float)
    total = shares.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (shares[..., 2] - shares[..., 0]) / total


def resolve_prior(prior: str | tuple | list) -> np.ndarray:
    """The Dirichlet prior of one group: a name of :data:`PRIORS` or three positive numbers."""
    if isinstance(prior, str):
        if prior not in PRIORS:
            raise ValueError(f"prior {prior!r}: give one of {sorted(PRIORS)} or three numbers > 0")
        return np.array(PRIORS[prior])
    a = np.asarray(prior, dtype=float)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"prior {prior!r}: a Dirichlet prior needs three finite numbers > 0")
    return a


def kish_n(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 for no weights)."""
    w = np.asarray(weights, dtype=float)
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def effective_counts(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Counts per category (detractor, passive, promoter); with weights, the weighted shares
    times Kish's effective sample size (equal weights give the plain counts)."""
    codes = np.asarray(codes, dtype=int)
    if weights is None:
        return np.bincount(codes, minlength=3).astype(float)
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return np.zeros(3)
    return np.bincount(codes, weights=w, minlength=3) / total * kish_n(w)


def dirichlet_draws(alpha: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws [..., draws, 3] of Dirichlet(``alpha`` [..., 3]) via normalised gamma draws."""
    alpha = np.asarray(alpha, dtype=float)
    g = rng.standard_gamma(np.broadcast_to(alpha[..., None, :], (*alpha.shape[:-1], draws, 3)))
    return g / g.sum(axis=-1, keepdims=True)


def posterior_mean_nps(alpha: np.ndarray) -> np.ndarray:
    """Exact posterior mean of NPS under Dirichlet(``alpha``): ``100 (a_3 - a_1) / sum(a)``."""
    return nps_of(alpha)


def posterior_sd_nps(alpha: np.ndarray) -> np.ndarray:
    """Exact posterior standard deviation of NPS under Dirichlet(``alpha``)."""
    a = np.asarray(alpha, dtype=float)
    a1, a3, total = a[..., 0], a[..., 2], a.sum(axis=-1)
    var = (a1 * (total - a1) + a3 * (total - a3) + 2 * a1 * a3) / (total**2 * (total + 1))
    return 100.0 * np.sqrt(var)


# --------------------------------------------------------------------------- hierarchical


def dm_loglik(y: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet-multinomial log likelihood of counts ``y`` [..., 3] given ``alpha`` [..., 3]
    (without the multinomial coefficient, which does not involve the parameters)."""
    a0 = alpha.sum(axis=-1)
    n = y.sum(axis=-1)
    return gammaln(a0) - gammaln(a0 + n) + np.sum(gammaln(alpha + y) - gammaln(alpha), axis=-1)


@dataclass(frozen=True)
class HierarchicalFit:
    """Posterior draws of the hierarchical Dirichlet-multinomial.

    Attributes
    ----------
    p : ndarray
        [draw, unit, 3] category probabilities of each unit.
    m : ndarray
        [draw, segment, 3] segment means.
    kappa : ndarray
        [draw] concentration.
    is_ess : float
        Effective sample size of the importance weights (of ``n_proposals``).
    n_proposals : int
    mode_kappa : float
        Concentration at the posterior mode of the hyperparameters.
    """

    p: np.ndarray
    m: np.ndarray
    kappa: np.ndarray
    is_ess: float
    n_proposals: int
    mode_kappa: float


class _Posterior:
    """Log posterior of the hyperparameters ``theta = (u_s1, u_s2 per segment, log kappa)``,
    ``m_s = softmax(0, u_s1, u_s2)`` (the Dirichlet(1,1,1) prior's density in these coordinates
    is ``prod_k m_sk``), vectorised over rows of ``theta``."""

    def __init__(self, y: np.ndarray, seg: np.ndarray, n_seg: int, hyper: np.ndarray):
        keep = y.sum(axis=1) > 0  # units without answers add nothing to the likelihood
        self.y, self.seg, self.S, self.hyper = y[keep], seg[keep], n_seg, hyper

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta = np.atleast_2d(theta)
        u = theta[:, :-1].reshape(len(theta), self.S, 2)
        m = softmax(np.concatenate([np.zeros((*u.shape[:2], 1)), u], axis=-1), axis=-1)
        return m, np.exp(theta[:, -1])

    def logp(self, theta: np.ndarray) -> np.ndarray:
        m, kappa = self.unpack(theta)
        t = np.log(kappa)
        alpha = kappa[:, None, None] * m[:, self.seg, :]  # [row, unit, 3]
        ll = dm_loglik(self.y[None], alpha).sum(axis=1)
        prior_m = np.sum(self.hyper * np.log(m), axis=(1, 2))  # Dirichlet(hyper) x Jacobian
        mu, sd = KAPPA_PRIOR
        return ll + prior_m - 0.5 * ((t - mu) / sd) ** 2

    def grad(self, theta: np.ndarray) -> np.ndarray:
        m, kappa = self.unpack(theta)
        m, kappa = m[0], float(kappa[0])
        ms = m[self.seg]  # [unit, 3]
        a = kappa * ms
        n = self.y.sum(axis=1)
        dig = digamma(a + self.y) - digamma(a)  # [unit, 3]
        d_kappa = np.sum(digamma(kappa) - digamma(kappa + n) + np.sum(ms * dig, axis=1))
        g_m = np.zeros((self.S, 3))
        np.add.at(g_m, self.seg, kappa * dig)  # d ll / d m_sk
        g_u = np.empty((self.S, 2))
        for j in (1, 2):
            g_u[:, j - 1] = m[:, j] * (g_m[:, j] - np.sum(g_m * m, axis=1))
            g_u[:, j - 1] += self.hyper[j] - m[:, j] * self.hyper.sum()  # prior x Jacobian
        mu, sd = KAPPA_PRIOR
        d_t = kappa * d_kappa - (np.log(kappa) - mu) / sd**2
        return np.concatenate([g_u.ravel(), [d_t]])


def _hessian(post: _Posterior, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Hessian of the log posterior by central differences of the analytic gradient."""
    d = len(theta)
    hess = np.empty((d, d))
    for i in range(d):
        e = np.zeros(d)
        e[i] = h
        hess[i] = (post.grad(theta + e) - post.grad(theta - e)) / (2 * h)
    return 0.5 * (hess + hess.T)


def _start(y: np.ndarray, seg: np.ndarray, n_seg: int) -> np.ndarray:
    """Segment shares of the pooled counts (plus one per category) and kappa 10."""
    tot = np.ones((n_seg, 3))
    np.add.at(tot, seg, y)
    shares = tot / tot.sum(axis=1, keepdims=True)
    u = np.log(shares[:, 1:] / shares[:, :1])
    return np.concatenate([u.ravel(), [np.log(10.0)]])


def fit_hierarchical(
    y: np.ndarray,
    seg: np.ndarray,
    n_seg: int,
    *,
    draws: int,
    rng: np.random.Generator,
    n_proposals: int | None = None,
    hyper: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> HierarchicalFit:
    """Posterior draws of the hierarchical Dirichlet-multinomial (see the module docstring).

    Parameters
    ----------
    y : ndarray
        [unit, 3] (effective) counts of each unit; a unit without answers gets draws from its
        segment's predictive distribution.
    seg : ndarray
        [unit] segment code of each unit, 0..n_seg-1.
    n_seg : int
    draws : int
        Posterior draws returned.
    rng : numpy.random.Generator
    n_proposals : int, optional
        Importance-sampling proposals (default ``2 * draws``, at least 4000).
    hyper : three floats
        Dirichlet prior of each segment mean.
    """
    y = np.asarray(y, dtype=float)
    seg = np.asarray(seg, dtype=int)
    post = _Posterior(y, seg, n_seg, np.asarray(hyper, dtype=float))
    x0 = _start(y, seg, n_seg)
    res = optimize.minimize(
        lambda th: -float(post.logp(th)[0]),
        x0,
        jac=lambda th: -post.grad(th),
        method="BFGS",
        options={"gtol": 1e-6, "maxiter": 2000},
    )
    mode = res.x
    hess = -_hessian(post, mode)
    vals, vecs = np.linalg.eigh(hess)
    vals = np.clip(vals, 1e-3, None)  # flat directions: a wide proposal, never a broken one
    cov = (vecs / vals) @ vecs.T
    n_prop = max(4000, 2 * draws) if n_proposals is None else int(n_proposals)
    d = len(mode)
    chol = np.linalg.cholesky(cov)
    z = rng.standard_normal((n_prop, d))
    chi = rng.chisquare(_PROPOSAL_DF, n_prop)
    theta = mode + (z @ chol.T) * np.sqrt(_PROPOSAL_DF / chi)[:, None]
    # log density of the multivariate t up to a constant (shared by every proposal)
    maha = np.sum(np.linalg.solve(chol, (theta - mode).T) ** 2, axis=0)
    log_q = -0.5 * (_PROPOSAL_DF + d) * np.log1p(maha / _PROPOSAL_DF)
    logw = post.logp(theta) - log_q
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    w = np.exp(logw - logsumexp(logw))
    ess = float(1.0 / np.sum(w**2))
    pick = rng.choice(n_prop, size=draws, replace=True, p=w)
    m, kappa = post.unpack(theta[pick])
    alpha = kappa[:, None, None] * m[:, seg, :] + y[None]  # [draw, unit, 3]
    g = rng.standard_gamma(alpha)
    p = g / g.sum(axis=-1, keepdims=True)
    mode_kappa = float(np.exp(mode[-1]))
    return HierarchicalFit(p, m, kappa, ess, n_prop, mode_kappa)
