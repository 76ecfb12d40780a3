r"""The numbers of PLS path modelling, for many data sets at once.

Lohmöller's algorithm with mode A outer estimation and the path weighting inner scheme, written on
the indicators' covariance matrix ``S`` (population form, divided by ``n``) instead of the data:
every quantity the algorithm needs (the latent scores' correlations, the inner estimates'
covariances with the indicators) is a product of ``S`` with the weights. A bootstrap resample is
then one ``P x P`` matrix, and all resamples are iterated together as a ``(B, P, P)`` stack.

With ``X`` the treated indicators (centred; divided by their population standard deviations when
``scaled``), ``W`` the outer weights (block-diagonal), ``Y = X W`` scaled to unit variance,
``E`` the inner weights and ``Z = Y E`` the inner estimates, one iteration is

.. math::

    R_Y = D^{-1/2} W^\top S W D^{-1/2}, \quad D = \operatorname{diag}(W^\top S W), \\
    E_{jk} = \begin{cases}
        \beta_{jk} & j \to k \text{ (OLS of } Y_k \text{ on its causes)} \\
        (R_Y)_{jk} & k \to j \\ 0 & \text{otherwise} \end{cases}, \qquad
    W^{new}_{\cdot k} = \tfrac{n-1}{n}\, \big(S W D^{-1/2} E\big)_{\cdot k} \odot 1_{\text{block } k},

the mode A weights ``X_k' Z_k / n`` (the factor ``(n-1)/n`` reproduces R plspm's scaling of
``Y`` and so its convergence test). Iteration stops when
:math:`\sum_p (|w^{old}_p| - |w^{new}_p|)^2 <` ``tol``, as in plspm; a data set still moving at
``max_iter`` is reported as not converged. The weights are then scaled so that every score has
unit variance, and a score whose items mostly correlate negatively with it is turned round.
Paths are OLS coefficients of each endogenous score on its causes, from ``R_Y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fits:
    """PLS estimates of a stack of ``B`` data sets (``B = 1`` for a single fit).

    Attributes
    ----------
    weights : ndarray (B, P, L)
        Outer weights; column ``k`` is zero outside block ``k``; scores ``X @ weights`` have
        unit variance.
    cross_loadings : ndarray (B, P, L)
        Correlations of every indicator with every score.
    score_corr : ndarray (B, L, L)
        Correlations of the scores.
    paths : ndarray (B, L, L)
        ``paths[:, effect, cause]``: path coefficients (zero where no path).
    r_squared : ndarray (B, L)
        R-squared of each construct's equation (zero for exogenous constructs).
    iterations : ndarray (B,)
        Iterations used.
    converged : ndarray (B,) of bool
        Converged before ``max_iter`` with finite estimates.
    """

    weights: np.ndarray
    cross_loadings: np.ndarray
    score_corr: np.ndarray
    paths: np.ndarray
    r_squared: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def moment_stack(
    x: np.ndarray, counts: np.ndarray, *, scaled: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrices of reweighted copies of ``x``, and their indicators' variances.

    Parameters
    ----------
    x : ndarray (n, P)
        The raw indicators.
    counts : ndarray (B, n)
        How often each row is in each copy (ones: the data themselves; a bootstrap resample's
        draw counts): copy ``b`` is the data with row ``i`` repeated ``counts[b, i]`` times.
    scaled : bool
        Standardize each copy's indicators (correlation matrices) instead of centring only.

    Returns
    -------
    S : ndarray (B, P, P)
        Population covariance (or correlation) matrix of each copy.
    var : ndarray (B, P)
        Population variance of each raw indicator in each copy (before scaling).
    """
    n = x.shape[0]
    counts = np.asarray(counts, dtype=np.float64)
    mean = counts @ x / n
    second = np.matmul((counts[:, :, None] * x[None]).transpose(0, 2, 1), x) / n
    cov = second - mean[:, :, None] * mean[:, None, :]
    var = np.diagonal(cov, axis1=1, axis2=2).copy()
    if scaled:
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = np.sqrt(var)
            cov = cov / (sd[:, :, None] * sd[:, None, :])
    return cov, var


def fit_stack(
    S: np.ndarray,
    blocks: np.ndarray,
    path_matrix: np.ndarray,
    n: int,
    *,
    scheme: str = "path",
    tol: float = 1e-6,
    max_iter: int = 100,
) -> Fits:
    """PLS path model (mode A, path weighting) of each covariance matrix in ``S``.

    Parameters
    ----------
    S : ndarray (B, P, P)
        Covariance matrices of the treated indicators (see :func:`moment_stack`).
    blocks : ndarray (P, L) of 0/1
        ``blocks[p, k] = 1`` when indicator ``p`` measures construct ``k``.
    path_matrix : ndarray (L, L) of 0/1
        ``path_matrix[effect, cause] = 1`` for every structural path.
    n : int
        Rows of the data (for the ``(n-1)/n`` of the convergence test).
    tol, max_iter
        plspm's convergence tolerance and iteration limit.

    Returns
    -------
    Fits
        Estimates; a data set that did not converge, or whose estimates are not finite
        (a constant indicator in a resample), has ``converged`` False and NaN estimates.
    """
    S = np.asarray(S, dtype=np.float64)
    odm = np.asarray(blocks, dtype=np.float64)
    pm = np.asarray(path_matrix)
    n_sets = S.shape[0]
    shrink = (n - 1) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        W = (
            np.broadcast_to(odm, (n_sets, *odm.shape))
            / np.sqrt(_score_var(S, odm[None]))[:, None, :]
        )
        w_old = W.sum(axis=2)
        done = np.zeros(n_sets, dtype=bool)
        iterations = np.zeros(n_sets, dtype=np.int64)
        for it in range(1, max_iter + 1):
            active = ~done
            Wa = W[active]
            Sa = S[active]
            d = np.sqrt(_score_var(Sa, Wa))
            E = INNER_SCHEMES[scheme](_score_corr(Sa, Wa, d), pm)
            W_new = shrink * (Sa @ (Wa / d[:, None, :]) @ E) * odm
            w_new = W_new.sum(axis=2)
            diff = ((np.abs(w_old[active]) - np.abs(w_new)) ** 2).sum(axis=1)
            W[active] = W_new
            w_old[active] = w_new
            iterations[active] = it
            done[np.flatnonzero(active)[~(diff >= tol)]] = True  # NaN counts as stopped
            if done.all():
                break
        W = W / np.sqrt(_score_var(S, W))[:, None, :]
        cov_xy = S @ W  # covariances of indicators with unit-variance scores
        sd_x = np.sqrt(np.diagonal(S, axis1=1, axis2=2))
        own = np.sign(np.sign(cov_xy * odm).sum(axis=1))  # plspm: majority sign of own items
        flip = np.where(own > 0, 1.0, -1.0)
        W = W * flip[:, None, :]
        cross = cov_xy * flip[:, None, :] / sd_x[:, :, None]
        R = np.einsum("bpk,bpq,bql->bkl", W, S, W)
        paths, r2 = ols_paths(R, pm)
    finite = (
        np.isfinite(W).all(axis=(1, 2))
        & np.isfinite(paths).all(axis=(1, 2))
        & np.isfinite(cross).all(axis=(1, 2))
    )
    converged = done & (iterations < max_iter) & finite
    bad = ~converged
    for arr in (W, cross, R, paths, r2):
        arr[bad] = np.nan
    return Fits(W, cross, R, paths, r2, iterations, converged)


def ols_paths(R: np.ndarray, path_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardized OLS path coefficients and R-squared from score correlations ``R`` (B, L, L)."""
    n_sets, n_lv, _ = R.shape
    paths = np.zeros_like(R)
    r2 = np.zeros((n_sets, n_lv))
    for k in range(n_lv):
        causes = np.flatnonzero(path_matrix[k])
        if causes.size:
            beta = _solve(R[:, causes][:, :, causes], R[:, causes, k])
            paths[:, k, causes] = beta
            r2[:, k] = (beta * R[:, causes, k]).sum(axis=1)
    return paths, r2


def total_effects(paths: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^{-1} - I`` of path matrices ``B[..., effect, cause]``."""
    eye = np.eye(paths.shape[-1])
    flat = paths.reshape(-1, *paths.shape[-2:])
    out = np.full(flat.shape, np.nan)
    ok = np.isfinite(flat).all(axis=(1, 2))
    out[ok] = np.linalg.inv(eye - flat[ok]) - eye  # B is nilpotent: I - B is invertible
    return out.reshape(paths.shape)


def _score_var(S: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Variances of the scores ``X W``: ``diag(W' S W)``, shape (B, L)."""
    return np.einsum("bpk,bpq,bqk->bk", W, S, W)


def _score_corr(S: np.ndarray, W: np.ndarray, d: np.ndarray) -> np.ndarray:
    C = np.einsum("bpk,bpq,bql->bkl", W, S, W)
    return C / (d[:, :, None] * d[:, None, :])


def _path_scheme(R: np.ndarray, path_matrix: np.ndarray) -> np.ndarray:
    """Inner weights ``E[:, j, k]``: regression weights of ``k`` on its causes ``j``,
    correlations of ``k`` with its effects ``j``."""
    E = np.zeros_like(R)
    for k in range(path_matrix.shape[0]):
        causes = np.flatnonzero(path_matrix[k])
        effects = np.flatnonzero(path_matrix[:, k])
        if causes.size:
            E[:, causes, k] = _solve(R[:, causes][:, :, causes], R[:, causes, k])
        if effects.size:
            E[:, effects, k] = R[:, k, effects]
    return E


def _centroid_scheme(R: np.ndarray, path_matrix: np.ndarray) -> np.ndarray:
    """Inner weights: the sign of the correlation with each neighbour."""
    return np.sign(R) * (path_matrix + path_matrix.T)


def _factorial_scheme(R: np.ndarray, path_matrix: np.ndarray) -> np.ndarray:
    """Inner weights: the correlation with each neighbour."""
    return R * (path_matrix + path_matrix.T)


#: Inner weighting schemes by name (plspm's ``scheme``).
INNER_SCHEMES = {
    "path": _path_scheme,
    "centroid": _centroid_scheme,
    "factorial": _factorial_scheme,
}


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``A x = b``; a singular or non-finite system gives NaN for that batch member."""
    ok = np.isfinite(A).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)
    out = np.full(b.shape, np.nan)
    if ok.any():
        try:
            out[ok] = np.linalg.solve(A[ok], b[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                try:
                    out[i] = np.linalg.solve(A[i], b[i])
                except np.linalg.LinAlgError:
                    pass
    return out
