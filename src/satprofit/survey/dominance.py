r"""Decompositions of R-squared among correlated drivers: Johnson's relative weights and the
Shapley value (general dominance), on correlation matrices.

Both split the R-squared of the linear regression of an outcome on ``p`` drivers into ``p``
non-negative shares that add up to it:

- **Shapley / general dominance** (Budescu 1993; Lipovetsky and Conklin 2001): driver
  :math:`j`'s share is its increment in R-squared averaged over every order in which the drivers
  could enter the model,

  .. math::

     \phi_j = \sum_{S \subseteq D \setminus \{j\}} \frac{|S|!\,(p-|S|-1)!}{p!}
        \big(R^2_{S \cup j} - R^2_S\big),\qquad R^2_S = r_S^\top R_{SS}^{-1} r_S,

  exact over all :math:`2^p` subsets (up to :data:`MAX_EXACT_DRIVERS` drivers), each subset's
  R-squared read from the correlation matrix (no model is refitted).
- **Relative weights** (Johnson 2000): the drivers are replaced by their closest orthogonal
  counterparts :math:`Z = X R^{-1/2}`; the outcome is regressed on :math:`Z` (coefficients
  :math:`\beta = R^{-1/2} r`) and each :math:`Z_k` is shared back among the drivers by the
  squared loadings :math:`\Lambda_{jk}^2` of :math:`\Lambda = R^{1/2}`:
  :math:`\varepsilon_j = \sum_k \Lambda_{jk}^2 \beta_k^2`.

With orthogonal drivers both equal the squared correlations. Every function takes a stack of
correlation matrices (``(..., q, q)``, the outcome first), so a whole bootstrap is one call.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np

__all__ = [
    "MAX_EXACT_DRIVERS",
    "correlation",
    "r_squared",
    "relative_weights",
    "shapley",
    "weighted_covariance",
]

#: Most drivers for the exact Shapley decomposition (2**12 = 4,096 subsets).
MAX_EXACT_DRIVERS = 12

#: Eigenvalues below this (relative to the largest) make a correlation matrix singular.
_SINGULAR = 1e-10


def weighted_covariance(z: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrices of the columns of ``z`` under each row of ``weights``.

    Parameters
    ----------
    z : ndarray, shape (n, q)
        The data (outcome and drivers).
    weights : ndarray, shape (b, n), optional
        Frequency weights of the rows per resample (bootstrap counts); default: one set of
        unit weights.

    Returns
    -------
    ndarray, shape (b, q, q)
        Weighted covariances (divisor: the sum of weights).
    """
    z = np.asarray(z, dtype=float)
    n, q = z.shape
    w = np.ones((1, n)) if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))
    z = z - z.mean(axis=0)  # centred once: better conditioning of the products below
    total = w.sum(axis=1)
    mean = (w @ z) / total[:, None]
    outer = (z[:, :, None] * z[:, None, :]).reshape(n, q * q)
    second = (w @ outer).reshape(-1, q, q) / total[:, None, None]
    return second - mean[:, :, None] * mean[:, None, :]


def correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation matrices of a stack of covariance matrices (a zero variance gives NaN)."""
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / (sd[..., :, None] * sd[..., None, :])


def r_squared(corr: np.ndarray, subset: tuple[int, ...] | list[int]) -> np.ndarray:
    """R-squared of the outcome (index 0) on the drivers ``subset`` (indices 1..p).

    Parameters
    ----------
    corr : ndarray, shape (..., q, q)
        Correlation matrices, the outcome first.
    subset : sequence of int
        Driver columns (1-based in ``corr``); empty gives 0.

    Returns
    -------
    ndarray, shape (...)
    """
    idx = list(subset)
    if not idx:
        return np.zeros(corr.shape[:-2])
    rxx = corr[..., idx, :][..., :, idx]
    rxy = corr[..., idx, 0]
    beta = np.linalg.solve(rxx, rxy[..., None])[..., 0]
    return np.einsum("...i,...i->...", rxy, beta)


def shapley(corr: np.ndarray) -> np.ndarray:
    """Shapley values (general dominance weights) of the drivers, exact over all subsets.

    Parameters
    ----------
    corr : ndarray, shape (..., p+1, p+1)
        Correlation matrices, the outcome first; ``p`` at most :data:`MAX_EXACT_DRIVERS`.

    Returns
    -------
    ndarray, shape (..., p)
        Non-negative only in general (a suppressor can have a negative share); they add up to
        the full model's R-squared.
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    if p > MAX_EXACT_DRIVERS:
        raise ValueError(
            f"{p} drivers: the exact Shapley decomposition goes over all 2^p subsets and is "
            f"limited to {MAX_EXACT_DRIVERS} drivers; use the relative weights or fewer drivers"
        )
    r2: dict[tuple[int, ...], np.ndarray] = {}
    for size in range(p + 1):
        for s in combinations(range(1, p + 1), size):
            r2[s] = r_squared(corr, s)
    out = np.zeros((*corr.shape[:-2], p))
    weight = [factorial(k) * factorial(p - k - 1) / factorial(p) for k in range(p)]
    for s, value in r2.items():
        if len(s) == p:
            continue
        for j in range(1, p + 1):
            if j not in s:
                with_j = tuple(sorted((*s, j)))
                out[..., j - 1] += weight[len(s)] * (r2[with_j] - value)
    return out


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights of the drivers.

    Parameters
    ----------
    corr : ndarray, shape (..., p+1, p+1)
        Correlation matrices, the outcome first.

    Returns
    -------
    ndarray, shape (..., p)
        Non-negative; they add up to the full model's R-squared.

    Raises
    ------
    ValueError
        A correlation matrix of the drivers is singular (a driver is a linear combination of
        others).
    """
    corr = np.asarray(corr, dtype=float)
    rxx = corr[..., 1:, 1:]
    rxy = corr[..., 1:, 0]
    vals, vecs = np.linalg.eigh(rxx)
    if np.any(vals <= _SINGULAR * vals[..., -1:]):
        raise ValueError(
            "the drivers' correlation matrix is singular: a driver is (nearly) a linear "
            "combination of the others; drop one of them"
        )
    root = np.einsum("...ik,...k,...jk->...ij", vecs, np.sqrt(vals), vecs)  # R^(1/2)
    beta = np.linalg.solve(root, rxy[..., None])[..., 0]
    return np.einsum("...jk,...k->...j", root**2, beta**2)
