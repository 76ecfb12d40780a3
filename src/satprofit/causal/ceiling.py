r"""How strongly each client's satisfaction score can still move: the ceiling of the csat scale.

A csat score is bounded (1..5). The same improvement in how a client experiences delivery
moves the expected score of a client at 2.5 much more than that of a client already at 4.8:
QUESTIONS.md warns that csat effects shrink near the top of the scale. An estimate that
applies one average effect per +10 pp on-time rate to every response (the ``quality_to_csat``
regression's) then overstates what the shift does where repeat business is largest, since
satisfied clients buy most: on a 2,000-client portfolio of the default design, with every
structural coefficient set to its true value, ``quality_to_repeat.indirect`` came out at 1.08x
of the truth with one average effect and 1.01x with the client sensitivities below.

The sensitivity of client :math:`c` is the slope of the expected score in the latent
satisfaction of a cumulative-logit model, at the client's level:

.. math::

    g_c = \sum_k \sigma(\eta_c - \kappa_k)\,\bigl(1 - \sigma(\eta_c - \kappa_k)\bigr), \qquad
    1 + \sum_k \sigma(\eta_c - \kappa_k) = \frac{n_c \bar y_c + m\,\bar y}{n_c + m},

the cut points :math:`\kappa` those of the pooled csat distribution (latent level 0 at the
portfolio's mix), :math:`\bar y_c` the client's mean over its :math:`n_c` responses, shrunk
towards the portfolio mean :math:`\bar y` by :math:`m` = :data:`PRIOR_RESPONSES` pseudo-responses
(a client whose every answer is 5 has a finite level). The sensitivities are returned relative
to their mean over a given set of clients (e.g. one per project of ``quality_to_csat``), so an
average effect keeps its meaning and only its spread over clients changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

#: Pseudo-responses at the portfolio mean added to each client's csat mean.
PRIOR_RESPONSES = 1.0


def pooled_cutpoints(csat: pd.Series) -> np.ndarray:
    """Cut points of the pooled csat distribution on the logit scale (categories never used
    get a small floor so every cut point is finite)."""
    counts = np.bincount(csat.astype(int).clip(1, 5), minlength=6)[1:].astype(float)
    share = np.maximum(counts, 0.5) / np.maximum(counts, 0.5).sum()
    cum = np.cumsum(share)[:-1]
    return np.log(cum / (1 - cum))


def expected_score(eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Expected score :math:`1 + \\sum_k \\sigma(\\eta - \\kappa_k)` of latent levels ``eta``."""
    eta = np.asarray(eta, dtype=float)
    return 1.0 + expit(eta[..., None] - cuts).sum(axis=-1)


def latent_level(score: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """The latent level whose expected score is ``score`` (each strictly inside 1..5)."""
    lo, hi = -30.0, 30.0
    return np.array(
        [brentq(lambda e, v=v: expected_score(e, cuts) - v, lo, hi) for v in np.ravel(score)]
    )


def shrunk_latent_level(
    mean: np.ndarray, n: np.ndarray, grand: float, cuts: np.ndarray
) -> np.ndarray:
    """Latent level of each client's mean score over its ``n`` answers, shrunk towards the
    portfolio mean ``grand`` by :data:`PRIOR_RESPONSES` pseudo-answers (a client whose every
    answer is 5 has a finite level)."""
    mean, n = np.asarray(mean, dtype=float), np.asarray(n, dtype=float)
    return latent_level((mean * n + PRIOR_RESPONSES * grand) / (n + PRIOR_RESPONSES), cuts)


def client_sensitivity(surveys: pd.DataFrame, reference: pd.Series | None = None) -> pd.Series:
    """Relative sensitivity of each client's expected csat to a latent shift (module docstring).

    Parameters
    ----------
    surveys : DataFrame
        ``client_id`` and ``csat`` of every response.
    reference : Series, optional
        Client ids (with repeats: one per unit) over which the sensitivities average 1;
        every client with a response when not given.

    Returns
    -------
    Series
        Indexed by ``client_id``; 1 for every client when the scale never varies.
    """
    sv = surveys.dropna(subset=["csat"])
    if sv.empty or sv["csat"].nunique() < 2:
        return pd.Series(1.0, index=pd.Index(sv["client_id"].unique(), name="client_id"))
    cuts = pooled_cutpoints(sv["csat"])
    grand = float(sv["csat"].mean())
    by = sv.groupby("client_id")["csat"].agg(["mean", "count"])
    eta = shrunk_latent_level(by["mean"], by["count"], grand, cuts)
    p = expit(eta[:, None] - cuts[None, :])
    g = pd.Series((p * (1 - p)).sum(axis=1), index=by.index)
    ref = g if reference is None else g.reindex(pd.Index(reference)).dropna()
    return g / (float(ref.mean()) if len(ref) and ref.mean() > 0 else 1.0)
