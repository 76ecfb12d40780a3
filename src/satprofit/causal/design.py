"""Turning a question table and an adjustment set into numeric design matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.features.questions import QuestionTable

FE_CLIENT = "client FE"
FE_PERIOD = "period FE"
FE_UNIT = "business unit FE"


@dataclass
class Covariates:
    """Numeric covariate matrix (categoricals one-hot, first level dropped) and its names."""

    matrix: np.ndarray
    names: list[str]
    used: tuple[str, ...]  # adjustment columns actually used
    client_fe: bool
    clusters: np.ndarray  # integer cluster code per row


def covariates(qt: QuestionTable, adjustment: tuple[str, ...], *, client_fe: bool) -> Covariates:
    """Build the covariate matrix for ``adjustment`` (columns of ``qt.data``).

    ``client FE`` in ``adjustment`` (and ``client_fe=True``) means the caller will absorb client
    fixed effects; the matrix then excludes client-constant columns, which the fixed effects
    already cover.
    """
    d = qt.data
    cols = [c for c in adjustment if c in d.columns and c not in (qt.treatment, qt.outcome)]
    blocks, names = [], []
    clusters = pd.factorize(d[qt.cluster])[0]
    for c in cols:
        if c in qt.categorical or d[c].dtype == object or pd.api.types.is_string_dtype(d[c]):
            dummies = pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
            names += list(dummies.columns)
        else:
            blocks.append(d[[c]].to_numpy(dtype=float))
            names.append(c)
    x = np.hstack(blocks) if blocks else np.zeros((len(d), 0))
    if client_fe and x.shape[1]:
        within = demean(x, clusters)
        keep = within.std(axis=0) > 1e-9
        x, names = x[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
    keep = x.std(axis=0) > 1e-12 if x.shape[1] else np.zeros(0, bool)
    x, names = x[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
    used = tuple(cols) + ((FE_CLIENT,) if client_fe else ())
    return Covariates(x, names, used, client_fe, clusters)


def demean(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Subtract group means (the within transformation of a fixed-effects model)."""
    a = np.asarray(a, dtype=float)
    squeeze = a.ndim == 1
    a2 = a[:, None] if squeeze else a
    n_groups = groups.max() + 1 if len(groups) else 0
    counts = np.bincount(groups, minlength=n_groups).astype(float)
    sums = (
        np.stack(
            [np.bincount(groups, weights=a2[:, j], minlength=n_groups) for j in range(a2.shape[1])],
            axis=1,
        )
        if a2.shape[1]
        else np.zeros((n_groups, 0))
    )
    out = a2 - (sums / np.maximum(counts, 1)[:, None])[groups]
    return out[:, 0] if squeeze else out
