"""NPS per group from one Dirichlet posterior each (:func:`nps_summary`) and per client with
partial pooling (:func:`pooled_nps`); the shared helpers of :mod:`satprofit.survey.nps_compare`.
The overview is :mod:`satprofit.survey.nps`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB, INTERVAL_QUANTILES
from satprofit.survey.nps_core import (
    dirichlet_draws,
    effective_counts,
    fit_hierarchical,
    kish_n,
    nps_of,
    posterior_mean_nps,
    resolve_prior,
)
from satprofit.survey.nps_data import NPSData, nps_data
from satprofit.survey.nps_results import NPSResult, _interval

__all__ = ["DEFAULT_DRAWS", "nps_summary", "pooled_nps"]

#: Posterior draws per group (Monte Carlo error of a 95 % interval end: about 1 point).
DEFAULT_DRAWS = 4000
_COUNT_COLS = ["n", "n_eff", "detractors", "passives", "promoters", "raw_nps"]


def _counts(frame: pd.DataFrame, weighted: bool) -> dict:
    """Raw counts, Kish n, weighted raw NPS and the effective counts of a group's rows."""
    codes, w = frame["category"].to_numpy(), frame["weight"].to_numpy(float)
    raw = np.bincount(codes, minlength=3)
    eff = effective_counts(codes, w if weighted else None)
    shares = np.bincount(codes, weights=w, minlength=3)
    return {
        "n": int(len(frame)),
        "n_eff": kish_n(w) if weighted else float(len(frame)),
        "detractors": int(raw[0]),
        "passives": int(raw[1]),
        "promoters": int(raw[2]),
        "raw_nps": float(nps_of(shares)) if len(frame) else float("nan"),
        "_eff": eff,
    }


def _settings(data: NPSData, **kw) -> dict:
    return {
        "interval_prob": INTERVAL_PROB,
        "role_weights": data.role_weights,
        "segment_column": data.segment_column,
        "responses_ignored_without_nps": data.n_ignored,
        **kw,
    }


def _as_data(data, role_weights=None, segment: str = "size_band") -> NPSData:
    if isinstance(data, NPSData):
        if role_weights is not None:
            raise ValueError("give role_weights to nps_data, not with an NPSData")
        return data
    return nps_data(data, role_weights=role_weights, segment=segment)


def _keys(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


# --------------------------------------------------------------------------- one posterior per group


def nps_summary(
    data,
    *,
    by: str | list[str] | None = None,
    prior="uniform",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSResult:
    """NPS of the portfolio, or of each group, each from its own Dirichlet posterior.

    Parameters
    ----------
    data : Portfolio, surveys DataFrame or NPSData
    by : str or list of str, optional
        Column(s) of :attr:`NPSData.frame` to group by (``"segment"``, ``"client_id"``, or a
        ``"period"`` column added by the caller); None is the whole portfolio.
    prior : {"uniform", "jeffreys"} or three floats
        Dirichlet prior of (detractor, passive, promoter) probabilities: Dirichlet(1, 1, 1)
        (default; worth three answers, one per category), Jeffreys' Dirichlet(1/2, 1/2, 1/2).
    role_weights : dict or JSON text, optional
        See :func:`satprofit.survey.nps_data.nps_data`.
    draws : int
    seed : int

    Returns
    -------
    NPSResult
        ``method="dirichlet"``; ``estimate`` is the exact posterior mean
        ``100 (a_3 + y_3 - a_1 - y_1) / (sum a + n_eff)``, the interval the quantiles of the
        draws.
    """
    data = _as_data(data, role_weights)
    a = resolve_prior(prior)
    keys = _keys(by)
    rng = np.random.default_rng(seed)
    groups = [((), data.frame)] if not keys else list(data.frame.groupby(keys, sort=True))
    rows, out = [], []
    for key, frame in groups:
        c = _counts(frame, data.weighted)
        alpha = a + c.pop("_eff")
        d = nps_of(dirichlet_draws(alpha, draws, rng))
        lo, hi = _interval(d)
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(keys, key, strict=True))
            | c
            | {"estimate": float(posterior_mean_nps(alpha)), "ci_low": lo, "ci_high": hi}
        )
        out.append(d)
    table = pd.DataFrame(rows, columns=[*keys, *_COUNT_COLS, "estimate", "ci_low", "ci_high"])
    prior_txt = prior if isinstance(prior, str) else [float(v) for v in a]
    settings = _settings(data, by=keys, prior=prior_txt, draws=draws, seed=seed)
    return NPSResult(table, np.array(out), "dirichlet", keys, settings, notes=list(data.notes))


# --------------------------------------------------------------------------- partial pooling


def _pooled(
    data: NPSData,
    units: pd.DataFrame,
    unit_keys: list[str],
    seg_key: str,
    draws: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, dict]:
    """Fit the hierarchical model on ``units`` (one row per unit: its keys and ``seg_key``)."""
    grouped = {
        (k if isinstance(k, tuple) else (k,)): f
        for k, f in data.frame.groupby(unit_keys, sort=False)
    }
    seg_codes, seg_names = pd.factorize(units[seg_key], sort=True)
    rows, eff = [], []
    for key in units[unit_keys].itertuples(index=False, name=None):
        frame = grouped.get(tuple(key), data.frame.iloc[:0])
        c = _counts(frame, data.weighted)
        eff.append(c.pop("_eff"))
        rows.append(c)
    y = np.array(eff).reshape(-1, 3)
    fit = fit_hierarchical(y, seg_codes, len(seg_names), draws=draws, rng=rng)
    d = nps_of(fit.p).T  # [unit, draw]
    lo, hi = _interval(d)
    n_eff = np.array([r["n_eff"] for r in rows])
    shrink = (fit.kappa[None, :] / (fit.kappa[None, :] + n_eff[:, None])).mean(axis=1)
    table = pd.concat([units.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    table = table.assign(estimate=d.mean(axis=1), ci_low=lo, ci_high=hi, shrinkage=shrink)
    seg_d = nps_of(fit.m).T  # [segment, draw]: the typical client of each segment
    s_lo, s_hi = _interval(seg_d)
    n_by_seg = table.groupby(seg_key)["n"].agg(["size", "sum"]).reindex(seg_names)
    segments = pd.DataFrame(
        {
            "segment": list(seg_names),
            "units": n_by_seg["size"].to_numpy(int),
            "n": n_by_seg["sum"].to_numpy(int),
            "estimate": seg_d.mean(axis=1),
            "ci_low": s_lo,
            "ci_high": s_hi,
        }
    )
    k_lo, k_med, k_hi = np.quantile(fit.kappa, [INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]])
    kappa = {
        "median": k_med,
        "ci_low": k_lo,
        "ci_high": k_hi,
        "importance_ess": fit.is_ess,
        "proposals": fit.n_proposals,
    }
    return table, d, segments, kappa


def _ess_note(kappa: dict) -> list[str]:
    from satprofit.survey.nps_core import MIN_IS_ESS

    if kappa["importance_ess"] >= MIN_IS_ESS:
        return []
    return [
        f"the importance sampling behind the pooled intervals kept an effective "
        f"{kappa['importance_ess']:.0f} of {kappa['proposals']} draws (< {MIN_IS_ESS}): the "
        "intervals are approximate; raise draws"
    ]


def pooled_nps(
    data,
    *,
    segment: str = "size_band",
    role_weights=None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> NPSResult:
    """NPS per client, each shrunk toward its segment (partial pooling).

    Hierarchical Dirichlet-multinomial (:mod:`satprofit.survey.nps_core`): client
    proportions ``~ Dirichlet(kappa * m_segment)``, segment means ``~ Dirichlet(1, 1, 1)``,
    ``log kappa ~ N(log 10, 1.5)``, everything estimated jointly. A client with 4 answers is
    pulled further toward its segment than one with 40 (``shrinkage`` tells how far).

    Parameters
    ----------
    data : Portfolio, surveys DataFrame or NPSData
    segment : str
        Clients column grouping clients (default ``size_band``); ignored for an NPSData.
    role_weights : dict or JSON text, optional
    draws : int
    seed : int

    Returns
    -------
    NPSResult
        ``method="pooled"``, one row per client of the portfolio (``n = 0`` for clients
        without an answer: their figure is the segment's predictive), with ``segment`` and
        ``shrinkage``; ``segments`` and ``kappa`` filled.
    """
    data = _as_data(data, role_weights, segment)
    rng = np.random.default_rng(seed)
    units = data.clients[["client_id", "segment"]]
    table, d, segments, kappa = _pooled(data, units, ["client_id"], "segment", draws, rng)
    notes = list(data.notes) + _ess_note(kappa)
    no_answer = int((table["n"] == 0).sum())
    if no_answer:
        notes.append(
            f"{no_answer} client(s) gave no nps answer: their pooled figure is only their "
            "segment's prediction (shrinkage 1)"
        )
    settings = _settings(data, by=["client_id"], model="hierarchical", draws=draws, seed=seed)
    return NPSResult(table, d, "pooled", ["client_id"], settings, segments, kappa, notes)
