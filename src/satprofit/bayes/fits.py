"""Fit every Bayesian model of a portfolio once, save the run, load it for reports and what-ifs.

A :class:`PortfolioFit` bundles the fitted models (satisfaction, repeat business, joint path),
the reasons for any model the data could not support, and the causal estimate of
``presales_signoff`` that the what-if engine needs for the sign-off lever. Reports load a saved
fit and never refit per client.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from satprofit.bayes.base import BayesModel, BayesResult
from satprofit.bayes.path import derived_result, path_effects
from satprofit.bayes.repeat import RepeatBusinessModel, repeat_data
from satprofit.bayes.satisfaction import SatisfactionModel, satisfaction_data
from satprofit.constants import DEFAULT_SEED, ESTIMAND_IDS
from satprofit.io import Portfolio

#: model key -> (model class, data builder); the order is the fitting order. The path model
#: (``results["path"]``) is derived from the two: see :mod:`satprofit.bayes.path`.
MODELS: dict[str, tuple[type[BayesModel], Any]] = {
    "satisfaction": (SatisfactionModel, satisfaction_data),
    "repeat": (RepeatBusinessModel, repeat_data),
}


def _with_path(portfolio: Portfolio, results: dict, data: dict, skipped: dict) -> None:
    """Add the derived path result when both of its links were fitted."""
    if "satisfaction" in results and "repeat" in results:
        try:
            results["path"] = path_effects(
                portfolio,
                results["satisfaction"],
                data["satisfaction"],
                results["repeat"],
                data["repeat"],
            )
        except ValueError as err:
            skipped["path"] = str(err)
    else:
        skipped["path"] = "needs both the satisfaction and the repeat-business model"


def portfolio_fingerprint(portfolio: Portfolio) -> str:
    """A hash of every table's content: a saved fit only loads against the same data."""
    import hashlib

    h = hashlib.sha256()
    for name, frame in sorted(portfolio.tables.items()):
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass
class PortfolioFit:
    """Fitted models of one portfolio.

    Attributes
    ----------
    portfolio : Portfolio
    results : dict of str to BayesResult
        Keyed by model (``satisfaction``, ``repeat``, ``path``).
    data : dict
        Each fitted model's data object (rebuilt from the portfolio on load).
    skipped : dict of str to str
        Models the data could not support, with the reason.
    settings : dict
        Sampler settings (draws, tune, chains, seed, sampler).
    signoff : dict or None
        Causal estimate of ``presales_signoff`` (``estimate`` and ``se``, percentage points of
        on-time rate) used by the sign-off lever of :func:`satprofit.bayes.scenario`.
    """

    portfolio: Portfolio
    results: dict[str, BayesResult]
    data: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    signoff: dict | None = None

    @property
    def converged(self) -> bool:
        """True when every fitted model passed the convergence gate."""
        return all(r.converged for r in self.results.values())

    def records(self) -> list[dict]:
        """One record per question id answered (the CLI's ``--json`` output), in
        QUESTIONS.md order."""
        recs = [rec for r in self.results.values() for rec in r.effect_records()]
        order = {e: i for i, e in enumerate(ESTIMAND_IDS)}
        return sorted(recs, key=lambda r: order.get(r["question"], len(order)))

    def summary(self) -> pd.DataFrame:
        """Every estimand with posterior median, 95 % interval and its model's gate verdict."""
        return pd.DataFrame(self.records()).set_index("question")

    def diagnostics(self) -> pd.DataFrame:
        """Per model: converged, R-hat max, minimum ESS, divergences, or why it was skipped."""
        rows = [
            {
                "model": k,
                "converged": r.converged,
                "rhat_max": r.diagnostics["rhat_max"],
                "ess_min": r.diagnostics["ess_min"],
                "divergences": r.diagnostics["divergences"],
                "failing": ", ".join(r.diagnostics.get("failing", [])),
                "skipped": "",
            }
            for k, r in self.results.items()
        ]
        rows += [
            {"model": k, "converged": False, "skipped": why} for k, why in self.skipped.items()
        ]
        return pd.DataFrame(rows).set_index("model")

    def save(self, folder: str | os.PathLike) -> Path:
        """Write each model (netCDF + JSON) and ``fit.json`` into ``folder``, atomically per
        file; ``fit.json`` is written last, so a folder without it is an unfinished run."""
        from satprofit.io.loader import atomic_write_text

        folder = Path(folder)
        (folder / "models").mkdir(parents=True, exist_ok=True)
        for key, result in self.results.items():
            if key in MODELS:
                result.save(folder / "models" / key)
        path = self.results.get("path")
        meta = {
            "path": None if path is None else json.loads(path.effects.to_json(orient="index")),
            "models": sorted(k for k in self.results if k in MODELS),
            "skipped": self.skipped,
            "settings": self.settings,
            "signoff": self.signoff,
            "portfolio": portfolio_fingerprint(self.portfolio),
        }
        atomic_write_text(folder / "fit.json", json.dumps(meta, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike, portfolio: Portfolio) -> PortfolioFit:
        """Read a saved fit; fails when it was made from other data."""
        folder = Path(folder)
        meta_path = folder / "fit.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{folder}: no fit.json (not a finished satprofit fit)")
        meta = json.loads(meta_path.read_text())
        if meta["portfolio"] != portfolio_fingerprint(portfolio):
            raise ValueError(f"{folder}: fitted on other data than this portfolio; refit")
        results, data = {}, {}
        for key in meta["models"]:
            results[key] = BayesResult.load(folder / "models" / key)
            data[key] = MODELS[key][1](portfolio)
        skipped = dict(meta["skipped"])
        if meta.get("path") is not None and {"satisfaction", "repeat"} <= set(results):
            # the derived estimands were computed at fit time: no recomputation per report
            effects = pd.DataFrame.from_dict(meta["path"], orient="index")
            results["path"] = derived_result(results["satisfaction"], results["repeat"], effects)
        elif "path" not in skipped:  # saved by an earlier version: derive it now
            _with_path(portfolio, results, data, skipped)
        return cls(portfolio, results, data, skipped, meta["settings"], meta["signoff"])


def fit_models(
    portfolio: Portfolio,
    *,
    models: tuple[str, ...] = (*MODELS, "path"),
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int | None = None,
    random_seed: int = DEFAULT_SEED,
    sampler: str = "pymc",
    progress=None,
) -> PortfolioFit:
    """Fit the portfolio's Bayesian models; a model whose data are too thin is skipped with
    its reason (never an error), an unconverged one is kept with ``converged=False``.

    Parameters
    ----------
    portfolio : Portfolio
    models : tuple of str
        Keys of :data:`MODELS` to fit, and ``path`` for the derived path estimands.
    draws, tune, chains, cores, random_seed, sampler
        Passed to :meth:`BayesModel.fit`; each model gets its own seed derived from
        ``random_seed``, so the run is reproducible.
    progress : callable, optional
        Called with a message before each model.
    """
    results, data, skipped = {}, {}, {}
    seeds = np.random.SeedSequence(random_seed).generate_state(len(MODELS))
    for (key, (model_cls, builder)), seed in zip(MODELS.items(), seeds, strict=True):
        if key not in models:
            continue
        if progress:
            progress(f"fitting {key}")
        try:
            d = builder(portfolio)
        except ValueError as err:
            skipped[key] = str(err)
            continue
        results[key] = model_cls().fit(
            d,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=int(seed),
            sampler=sampler,
        )
        data[key] = d
    if "path" in models:
        _with_path(portfolio, results, data, skipped)
    settings = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "random_seed": random_seed,
        "sampler": sampler,
    }
    return PortfolioFit(portfolio, results, data, skipped, settings, _signoff(portfolio))


def _signoff(portfolio: Portfolio) -> dict | None:
    """The causal estimate of presales_signoff (pp of on-time rate), or None."""
    from satprofit.causal import estimate

    r = estimate(portfolio, "presales_signoff").results[0]
    if r.estimate is None or not np.isfinite(r.estimate) or not np.isfinite(r.se):
        return None
    return {"estimate": float(r.estimate), "se": float(r.se), "method": r.method}
