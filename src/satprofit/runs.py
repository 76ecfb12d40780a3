"""A run: everything fitted once for a portfolio, saved so reports can be rendered many times.

Layout of a run folder::

    run.json            what was fitted, from which data folder, with which settings (last)
    causal.json         causal estimates of every question, by every method
    fit/                the Bayesian models (see :class:`satprofit.bayes.PortfolioFit`)

Reports load a run and never refit per client. ``run.json`` is written last, so a folder without
it is an unfinished run and is refused.

Every part is saved in isolation: the Bayesian fit is written first (minutes of sampling are
never lost to a later step), each causal question and method is estimated on its own, and a
part that raises becomes a record with ``status`` ``"failed"`` and its ``reason``. ``run.json``
lists every unanswered estimand (``unanswered``) and the parts that failed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.bayes.fits import PortfolioFit, failure_reason, portfolio_fingerprint
from satprofit.constants import DEFAULT_SEED, ESTIMAND_IDS, QUESTION_IDS
from satprofit.io import Portfolio, load_portfolio
from satprofit.io.loader import atomic_write_text

_log = logging.getLogger(__name__)


def causal_records(portfolio: Portfolio, *, seed: int = DEFAULT_SEED, n_boot: int = 200) -> list:
    """Every question by every method that answers it (naive included), as JSON records.

    A question the data cannot answer gives records with ``status`` ``"not_estimable"`` and a
    reason, no numbers. Each question (and, when a question fails as a whole, each method) is
    computed in isolation: an exception becomes records with ``status`` ``"failed"`` and the
    exception as ``reason``, and every other question is still answered.
    """
    from satprofit.causal import compare_methods

    recs = []
    for q in QUESTION_IDS:
        try:
            results = list(compare_methods(portfolio, q, seed=seed, n_boot=n_boot))
        except Exception as err:  # isolation: retry method by method
            _log.warning("causal %s failed; estimating method by method", q, exc_info=err)
            results = _by_method(portfolio, q, seed=seed, n_boot=n_boot)
        recs += [_causal_record(r) for r in results]
    return recs


def _by_method(portfolio: Portfolio, question: str, *, seed: int, n_boot: int) -> list:
    """Each method of ``question`` on its own; a method that raises gives failed results."""
    from satprofit.causal import METHODS, estimate, no_answer

    out = []
    for method in METHODS[question]:
        try:
            out += list(estimate(portfolio, question, method, seed=seed, n_boot=n_boot))
        except Exception as err:
            why = failure_reason(err)
            out += [
                no_answer(e, method, why, status="failed") for e in _estimands(question, method)
            ]
    return out


def _estimands(question: str, method: str) -> list[str]:
    """The estimand ids a method answers for a question (as :func:`satprofit.causal.estimate`
    returns them: only the path methods split ``quality_to_repeat`` into its three parts)."""
    from satprofit.causal.api import PATH_METHODS

    if question == "quality_to_repeat" and method not in PATH_METHODS:
        return ["quality_to_repeat.total"]
    return [e for e in ESTIMAND_IDS if e.split(".")[0] == question]


def _causal_record(r) -> dict:
    """One causal result as a JSON record (a result that cannot be written is a failed one)."""
    from satprofit.causal import no_answer

    try:
        rec = r.to_dict()
        rec["note"] = r.note
        rec["diagnostics"] = _plain(r.diagnostics)
    except Exception as err:
        failed = no_answer(r.estimand, r.method, failure_reason(err), status="failed")
        rec = failed.to_dict() | {"note": failed.note, "diagnostics": {}}
    rec.setdefault("status", "ok")
    rec.setdefault("reason", None)
    return rec


def unanswered(records: list[dict]) -> list[dict]:
    """The records that are not answers: question, method, status and reason of each."""
    keys = ("question", "method", "status", "reason")
    return [{k: r.get(k) for k in keys} for r in records if r.get("status", "ok") != "ok"]


def save_run(
    out: str | os.PathLike,
    data_folder: str | os.PathLike,
    fit: PortfolioFit,
    *,
    causal: list | None = None,
    seed: int | None = None,
) -> Path:
    """Save ``fit`` (and the causal estimates, computed when not given) as a run folder.

    The fit is written first; the causal estimates are computed question by question, and if
    they fail as a whole the run is still saved, with the failure in ``run.json``
    (``causal_error``). ``run.json`` lists every estimand that is not an answer
    (``unanswered``: question, method, status, reason) and the Bayesian parts skipped or failed.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").unlink(missing_ok=True)  # unfinished until written again
    seed = fit.settings.get("random_seed", DEFAULT_SEED) if seed is None else seed
    fit.save(out / "fit")
    saved = json.loads((out / "fit" / "fit.json").read_text())
    t0 = time.perf_counter()
    causal_error = None
    if causal is None:
        try:
            causal = causal_records(fit.portfolio, seed=seed)
        except Exception as err:  # never lose the fit to the causal part
            causal, causal_error = [], failure_reason(err)
            _log.warning("causal estimates failed; run saved without them", exc_info=err)
    causal = json_safe(causal)
    atomic_write_text(out / "causal.json", json.dumps(causal, indent=2))
    from satprofit import __version__

    meta = {
        "data_folder": str(Path(data_folder).resolve()),
        "portfolio": portfolio_fingerprint(fit.portfolio),
        "satprofit_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": fit.settings,
        "causal_seconds": round(time.perf_counter() - t0, 1),
        "models": sorted(k for k in fit.results if k not in saved["failed"]),
        "skipped": fit.skipped,
        "failed": saved["failed"],
        "converged": fit.converged,
        "causal_error": causal_error,
        "unanswered": {
            "bayes": unanswered(json_safe(_safe_records(fit))),
            "causal": unanswered(causal),
        },
    }
    atomic_write_text(out / "run.json", json.dumps(meta, indent=2))
    return out


def _safe_records(fit: PortfolioFit) -> list[dict]:
    """The fit's records, or none when even they cannot be built (the run is still saved)."""
    try:
        return fit.records()
    except Exception as err:
        _log.warning("Bayesian records could not be built", exc_info=err)
        return []


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


def json_safe(obj):
    """NaN and infinities -> None, numpy scalars -> Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def reusable_run(folder: str | os.PathLike, portfolio: Portfolio, settings: dict) -> bool:
    """Whether ``folder`` holds a finished run of these data, sampler settings and satprofit
    version in which nothing failed (so ``satprofit fit --reuse`` can skip fitting; a run with a
    failed part is fitted again, since a failure may not recur)."""
    from satprofit import __version__

    path = Path(folder) / "run.json"
    if not path.exists():
        return False
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    same = (
        meta.get("portfolio") == portfolio_fingerprint(portfolio)
        and meta.get("satprofit_version") == __version__
        and meta.get("settings") == settings
        and not meta.get("failed")
        and not meta.get("causal_error")
    )
    if not same:
        return False
    try:  # the saved models must still load (same model layout as this version builds)
        PortfolioFit.load(Path(folder) / "fit", portfolio)
    except (ValueError, OSError, KeyError) as err:
        _log.warning("%s: not reused (%s)", folder, err)
        return False
    return True


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
