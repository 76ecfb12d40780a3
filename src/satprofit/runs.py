"""A run: everything fitted once for a portfolio, saved so reports can be rendered many times.

Layout of a run folder::

    run.json            what was fitted, from which data folder, with which settings (last)
    causal.json         causal estimates of every question, by every method
    fit/                the Bayesian models (see :class:`satprofit.bayes.PortfolioFit`)

Reports load a run and never refit per client. ``run.json`` is written last, so a folder without
it is an unfinished run and is refused.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.bayes.fits import PortfolioFit, portfolio_fingerprint
from satprofit.constants import DEFAULT_SEED, QUESTION_IDS
from satprofit.io import Portfolio, load_portfolio
from satprofit.io.loader import atomic_write_text


def causal_records(portfolio: Portfolio, *, seed: int = DEFAULT_SEED, n_boot: int = 200) -> list:
    """Every question by every method that answers it (naive included), as JSON records;
    a question the data cannot answer gives a record with a reason and no numbers."""
    from satprofit.causal import compare_methods

    recs = []
    for q in QUESTION_IDS:
        for r in compare_methods(portfolio, q, seed=seed, n_boot=n_boot):
            rec = r.to_dict()
            rec["note"] = r.note
            rec["diagnostics"] = _plain(r.diagnostics)
            recs.append(rec)
    return recs


def save_run(
    out: str | os.PathLike,
    data_folder: str | os.PathLike,
    fit: PortfolioFit,
    *,
    causal: list | None = None,
    seed: int | None = None,
) -> Path:
    """Save ``fit`` (and the causal estimates, computed when not given) as a run folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").unlink(missing_ok=True)  # unfinished until written again
    seed = fit.settings.get("random_seed", DEFAULT_SEED) if seed is None else seed
    t0 = time.perf_counter()
    if causal is None:
        causal = causal_records(fit.portfolio, seed=seed)
    atomic_write_text(out / "causal.json", json.dumps(_clean(causal), indent=2))
    fit.save(out / "fit")
    from satprofit import __version__

    meta = {
        "data_folder": str(Path(data_folder).resolve()),
        "portfolio": portfolio_fingerprint(fit.portfolio),
        "satprofit_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": fit.settings,
        "causal_seconds": round(time.perf_counter() - t0, 1),
        "models": sorted(fit.results),
        "skipped": fit.skipped,
        "converged": fit.converged,
    }
    atomic_write_text(out / "run.json", json.dumps(meta, indent=2))
    return out


def _plain(d: dict) -> dict:
    """The JSON-representable part of a diagnostics dict (scalars, text, short lists)."""
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str | int | float | bool) or v is None:
            out[str(k)] = v
        elif isinstance(v, list | tuple) and len(v) <= 50:
            if all(isinstance(x, str | int | float | bool | np.generic) for x in v):
                out[str(k)] = [x.item() if isinstance(x, np.generic) else x for x in v]
    return out


def _clean(obj):
    """NaN and infinities -> None, numpy scalars -> Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def reusable_run(folder: str | os.PathLike, portfolio: Portfolio, settings: dict) -> bool:
    """Whether ``folder`` holds a finished run of these data, sampler settings and satprofit
    version (so ``satprofit fit --reuse`` can skip fitting)."""
    from satprofit import __version__

    path = Path(folder) / "run.json"
    if not path.exists():
        return False
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    return (
        meta.get("portfolio") == portfolio_fingerprint(portfolio)
        and meta.get("satprofit_version") == __version__
        and meta.get("settings") == settings
    )


@dataclass
class Run:
    """A loaded run: the portfolio, its fit and its causal estimates."""

    folder: Path
    meta: dict
    fit: PortfolioFit
    causal: pd.DataFrame

    @property
    def portfolio(self) -> Portfolio:
        return self.fit.portfolio


def load_run(folder: str | os.PathLike, portfolio: Portfolio | None = None) -> Run:
    """Load a run; the portfolio is read from the run's data folder unless given."""
    folder = Path(folder)
    meta_path = folder / "run.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{folder}: no run.json (not a finished run of 'satprofit fit')")
    meta = json.loads(meta_path.read_text())
    if portfolio is None:
        portfolio = load_portfolio(meta["data_folder"])
    fit = PortfolioFit.load(folder / "fit", portfolio)
    causal = pd.DataFrame(json.loads((folder / "causal.json").read_text()))
    return Run(folder, meta, fit, causal)
