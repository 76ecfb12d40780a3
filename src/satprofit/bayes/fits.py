"""Fit every Bayesian model of a portfolio once, save the run, load it for reports and what-ifs.

A :class:`PortfolioFit` bundles the fitted models (satisfaction, repeat business, joint path),
the reasons for any model the data could not support (``skipped``) or that raised (``failed``),
and a place for the causal estimate of ``presales_signoff`` that the what-if engine needs for
the sign-off lever (joined by :func:`satprofit.runs.fit_portfolio`: bayes never imports causal).
Reports load a saved fit and never refit per client.

Every part is computed in isolation: one model's exception (while building its data, sampling
or summarising) is recorded as ``failed: <reason>`` and the other models are kept, so minutes of
sampling are never lost to one failing step.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from satprofit.bayes.base import BayesModel, BayesResult, SamplerConfig
from satprofit.bayes.path import METHOD as PATH_METHOD
from satprofit.bayes.path import derived_result, path_effects
from satprofit.bayes.repeat import RepeatBusinessModel, repeat_data
from satprofit.bayes.satisfaction import SatisfactionModel, satisfaction_data
from satprofit.constants import ESTIMAND_IDS, ESTIMAND_UNITS
from satprofit.io import Portfolio, portfolio_fingerprint

#: model key -> (model class, data builder); the order is the fitting order. The path model
#: (``results["path"]``) is derived from the two: see :mod:`satprofit.bayes.path`.
MODELS: dict[str, tuple[type[BayesModel], Any]] = {
    "satisfaction": (SatisfactionModel, satisfaction_data),
    "repeat": (RepeatBusinessModel, repeat_data),
}


#: The estimand ids each part answers: a part that is skipped or fails still gets one record
#: per estimand, so every Bayesian question id is accounted for.
ESTIMANDS: dict[str, tuple[str, ...]] = {
    "satisfaction": ("quality_to_csat", "status_reports_to_csat"),
    "repeat": ("csat_to_repeat.value", "csat_to_repeat.margin"),
    "path": tuple(e for e in ESTIMAND_IDS if e.startswith("quality_to_repeat.")),
}

#: The method name the records of each part carry (as an answered record would).
METHOD_NAMES: dict[str, str] = {
    "satisfaction": SatisfactionModel.name,
    "repeat": RepeatBusinessModel.name,
    "path": PATH_METHOD,
}

_log = logging.getLogger(__name__)


def failure_reason(err: BaseException, limit: int = 300) -> str:
    """The exception as one line, ``ZeroDivisionError: division by zero`` (shortened)."""
    text = " ".join(str(err).split())
    reason = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def _failed(failed: dict, key: str, err: BaseException, progress) -> None:
    """Record that ``key`` raised ``err`` (traceback logged), so the other parts go on."""
    failed[key] = failure_reason(err)
    _log.warning("%s failed; the other models are kept", key, exc_info=err)
    if progress:
        progress(f"{key}: failed ({failed[key]})")


def _with_path(
    portfolio: Portfolio,
    results: dict,
    data: dict,
    skipped: dict,
    failed: dict | None = None,
    progress=None,
) -> None:
    """Add the derived path result when both of its links were fitted; else record why not
    (failed when a link failed, skipped when a link lacked data)."""
    failed = {} if failed is None else failed
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
        except Exception as err:  # isolation: the two fitted models are kept
            _failed(failed, "path", err, progress)
        return
    broken = [k for k in ("satisfaction", "repeat") if k in failed]
    if broken:
        failed["path"] = f"needs the {' and the '.join(broken)} model, which failed"
    else:
        skipped["path"] = "needs both the satisfaction and the repeat-business model"


def _record(key: str, estimand: str, status: str, reason: str) -> dict:
    """The record of an estimand a part did not answer: no figures, its status and reason."""
    nan = float("nan")
    prefix = "failed" if status == "failed" else "not estimable"
    return {
        "question": estimand,
        "estimate": nan,
        "ci_low": nan,
        "ci_high": nan,
        "unit": ESTIMAND_UNITS.get(estimand, ""),
        "method": METHOD_NAMES.get(key, key),
        "n": 0,
        "converged": False,
        "rhat_max": nan,
        "ess_min": nan,
        "divergences": None,
        "status": status,
        "reason": reason,
        "contraction": nan,
        "note": f"{prefix}: {reason}",
    }


def _answered_records(key: str, result: BayesResult) -> list[dict]:
    """A fitted part's records with ``status``/``reason``/``note``; an estimand the part should
    answer but did not is ``not_estimable``, a non-finite summary ``failed``."""
    try:
        recs = result.effect_records()
    except Exception as err:  # a broken summary fails this part's estimands only
        why = failure_reason(err)
        return [_record(key, e, "failed", why) for e in ESTIMANDS.get(key, ())]
    for rec in recs:
        rec.setdefault("status", "ok")
        rec.setdefault("reason", None)
        figures = (rec.get("estimate"), rec.get("ci_low"), rec.get("ci_high"))
        if rec["status"] == "ok" and not all(_finite(v) for v in figures):
            rec["status"], rec["reason"] = "failed", "the posterior summary is not finite"
        if rec["status"] != "ok":
            prefix = "failed" if rec["status"] == "failed" else "not estimable"
            rec.setdefault("note", f"{prefix}: {rec['reason']}")
        rec.setdefault("note", None)
    seen = {rec["question"] for rec in recs}
    missing = [e for e in ESTIMANDS.get(key, ()) if e not in seen]
    why = "the fitted model gave no answer for this estimand"
    return recs + [_record(key, e, "not_estimable", why) for e in missing]


def _finite(value) -> bool:
    """Whether ``value`` is a finite number (None and text are not)."""
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


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
        Models the data could not support, with the reason (their estimands are
        ``not_estimable``).
    settings : dict
        Sampler settings (draws, tune, chains, seed, sampler).
    signoff : dict or None
        Causal estimate of ``presales_signoff`` (``estimate`` and ``se``, percentage points of
        on-time rate) used by the sign-off lever of :func:`satprofit.bayes.scenario`; joined
        by :func:`satprofit.runs.fit_portfolio` (None from :func:`fit_models` alone).
    failed : dict of str to str
        Parts that raised (a model while building its data, sampling or summarising, the
        derived ``path``; the ``signoff`` estimate, when joined), with
        ``"<Exception>: <message>"``; their estimands are ``failed``. The other parts are
        complete.
    model_configs : dict of str to dict
        Model key -> the model configuration given on top of the model's defaults (e.g.
        ``{"satisfaction": {"nps": True}}``: the nps likelihood switched on); empty when every
        model ran with its defaults. Recorded in ``fit.json`` and ``run.json`` so a reused run
        (``satprofit fit --reuse``) has the same configuration.
    """

    portfolio: Portfolio
    results: dict[str, BayesResult]
    data: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    signoff: dict | None = None
    failed: dict[str, str] = field(default_factory=dict)
    model_configs: dict[str, dict] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """True when every fitted model passed the convergence gate."""
        return all(r.converged for r in self.results.values())

    def records(self) -> list[dict]:
        """One record per Bayesian estimand id of every part fitted, skipped or failed (the
        CLI's ``--json`` output), in QUESTIONS.md order.

        Each record has ``status`` (``"ok"``, ``"not_estimable"`` or ``"failed"``), ``reason``
        (None when ok) and ``note`` (``"failed: <reason>"`` / ``"not estimable: <reason>"``);
        unanswered records have NaN figures.
        """
        recs = [rec for k, r in self.results.items() for rec in _answered_records(k, r)]
        for status, parts in (("not_estimable", self.skipped), ("failed", self.failed)):
            for key, why in parts.items():
                recs += [_record(key, e, status, why) for e in ESTIMANDS.get(key, ())]
        order = {e: i for i, e in enumerate(ESTIMAND_IDS)}
        return sorted(recs, key=lambda r: order.get(r["question"], len(order)))

    def summary(self) -> pd.DataFrame:
        """Every estimand with posterior median, 95 % interval, its model's gate verdict and
        its ``status``/``reason`` (failed and refused estimands included, with NaN figures)."""
        return pd.DataFrame(self.records()).set_index("question")

    def diagnostics(self) -> pd.DataFrame:
        """Per model: converged, R-hat max, minimum ESS, divergences, or why it was skipped
        (``skipped``) or why it failed (``failed``)."""
        rows = [
            {
                "model": k,
                "converged": r.converged,
                "rhat_max": r.diagnostics["rhat_max"],
                "ess_min": r.diagnostics["ess_min"],
                "divergences": r.diagnostics["divergences"],
                "failing": ", ".join(r.diagnostics.get("failing", [])),
                "skipped": "",
                "failed": "",
            }
            for k, r in self.results.items()
        ]
        rows += [
            {"model": k, "converged": False, "skipped": why, "failed": ""}
            for k, why in self.skipped.items()
        ]
        rows += [
            {"model": k, "converged": False, "skipped": "", "failed": why}
            for k, why in self.failed.items()
        ]
        return pd.DataFrame(rows).set_index("model")

    def save(self, folder: str | os.PathLike) -> Path:
        """Write each model (netCDF + JSON) and ``fit.json`` into ``folder``, atomically per
        file; ``fit.json`` is written last, so a folder without it is an unfinished run.

        A model that cannot be written is recorded in ``fit.json`` as failed (this object is
        left as it is); the others are saved.
        """
        from satprofit.io.loader import atomic_write_text

        folder = Path(folder)
        (folder / "models").mkdir(parents=True, exist_ok=True)
        saved, failed = [], dict(self.failed)
        for key, result in self.results.items():
            if key not in MODELS:
                continue
            try:
                result.save(folder / "models" / key)
                saved.append(key)
            except Exception as err:  # isolation: the other models are still saved
                failed[key] = f"could not be saved: {failure_reason(err)}"
                _log.warning("%s could not be saved", key, exc_info=err)
        path = self.results.get("path")
        meta = {
            "path": None if path is None else json.loads(path.effects.to_json(orient="index")),
            "models": sorted(saved),
            "skipped": self.skipped,
            "failed": failed,
            "settings": self.settings,
            "model_configs": self.model_configs,
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
        try:
            meta = json.loads(meta_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{meta_path}: not valid JSON, truncated or corrupt ({err})") from None
        if meta["portfolio"] != portfolio_fingerprint(portfolio):
            raise ValueError(f"{folder}: fitted on other data than this portfolio; refit")
        results, data = {}, {}
        saved_configs = dict(meta.get("model_configs") or {})
        for key in meta["models"]:
            model_cls = MODELS[key][0]
            data[key] = model_data(key, saved_configs.get(key), portfolio)
            results[key] = BayesResult.load(folder / "models" / key, data=data[key])
            results[key].model = _saved_model(model_cls, results[key].config)
            _check_layout(folder, key, results[key], data[key])
        skipped, failed = dict(meta["skipped"]), dict(meta.get("failed") or {})
        if meta.get("path") is not None and {"satisfaction", "repeat"} <= set(results):
            # the derived estimands were computed at fit time: no recomputation per report
            effects = pd.DataFrame.from_dict(meta["path"], orient="index")
            results["path"] = derived_result(results["satisfaction"], results["repeat"], effects)
        elif "path" not in skipped and "path" not in failed:  # saved by an earlier version
            _with_path(portfolio, results, data, skipped, failed)
        configs = dict(meta.get("model_configs") or {})
        return cls(
            portfolio, results, data, skipped, meta["settings"], meta["signoff"], failed, configs
        )


def _saved_model(model_cls: type[BayesModel], config: dict) -> BayesModel:
    """The model a saved result was fitted with (its saved model configuration)."""
    return model_cls({k: v for k, v in config.items() if k in model_cls.default_model_config})


def _check_layout(folder: Path, key: str, result: BayesResult, data) -> None:
    """Refuse a saved posterior whose predictors are not the ones this version's model builds
    (a model changed without a version bump): every report would fail on it otherwise."""
    saved = result.idata.posterior.coords.get("predictor")
    module = importlib.import_module(MODELS[key][0].__module__)
    now = getattr(data, "predictors", None) or getattr(module, "PREDICTORS", None)
    if saved is None or now is None:
        return
    saved = [str(v) for v in saved.values]
    if saved != list(now):
        raise ValueError(
            f"{folder}: the {key} model was fitted with predictors {saved}, this version "
            f"builds {list(now)}; refit"
        )


def fit_models(
    portfolio: Portfolio,
    *,
    models: tuple[str, ...] = (*MODELS, "path"),
    sampler_config: SamplerConfig | None = None,
    model_configs: dict[str, dict] | None = None,
    progress=None,
    **settings,
) -> PortfolioFit:
    """Fit the portfolio's Bayesian models, each in isolation; never raises for one model.

    A model whose data are too thin is skipped with its reason (``skipped``, estimands
    ``not_estimable``); one that raises while building its data, sampling or summarising is
    recorded in ``failed`` with the exception (estimands ``failed``) and the other models are
    kept; an unconverged one is kept with ``converged=False``.

    Parameters
    ----------
    portfolio : Portfolio
    models : tuple of str
        Keys of :data:`MODELS` to fit, and ``path`` for the derived path estimands.
    sampler_config : SamplerConfig, optional
        Passed to :meth:`BayesModel.fit`, with any of its fields given as keywords
        (``draws=500``) on top; each model gets its own seed derived from ``random_seed``, so
        the run is reproducible.
    model_configs : dict of str to dict, optional
        Model key -> configuration on top of the model's ``default_model_config``, e.g.
        ``{"satisfaction": {"nps": True}}`` (the nps answers as a second likelihood sharing the
        latent satisfaction; ``satprofit fit --nps``). Unknown keys are refused.
    progress : callable, optional
        Called with a message before each model and after each failure.
    """
    results, data, skipped, failed = {}, {}, {}, {}
    configs = check_model_configs(model_configs)
    sc = (sampler_config or SamplerConfig()).replace(**settings)
    seeds = np.random.SeedSequence(sc.random_seed).generate_state(len(MODELS))
    for (key, (model_cls, _)), seed in zip(MODELS.items(), seeds, strict=True):
        if key not in models:
            continue
        if progress:
            progress(f"fitting {key}")
        try:
            d = model_data(key, configs.get(key), portfolio)
        except ValueError as err:  # the builders' way of saying the data are too thin
            skipped[key] = str(err)
            continue
        except Exception as err:
            _failed(failed, key, err, progress)
            continue
        try:
            model = model_cls(configs.get(key))
            results[key] = model.fit(d, sc.replace(random_seed=int(seed)))
        except Exception as err:  # isolation: a failing model never loses the others
            _failed(failed, key, err, progress)
            continue
        data[key] = d
    if "path" in models:
        _with_path(portfolio, results, data, skipped, failed, progress)
    return PortfolioFit(portfolio, results, data, skipped, sc.settings(), None, failed, configs)


def model_data(key: str, config: dict | None, portfolio: Portfolio):
    """Model ``key``'s data under its configuration: the :data:`MODELS` builder, given the
    settings of ``config`` that change the data (the model class's ``data_settings``, e.g.
    the satisfaction model's ``mediators`` and ``ontime_mean``) where they differ from the
    model's defaults."""
    model_cls, builder = MODELS[key]
    defaults = model_cls.default_model_config
    changed = {
        k: v
        for k, v in (config or {}).items()
        if k in getattr(model_cls, "data_settings", ()) and v != defaults.get(k)
    }
    return builder(portfolio, **changed)


def check_model_configs(model_configs: dict[str, dict] | None) -> dict[str, dict]:
    """``model_configs`` checked against :data:`MODELS` and each model's configuration keys
    (empty entries dropped), so a typo is an error rather than a silently default fit."""
    out = {}
    for key, cfg in (model_configs or {}).items():
        if key not in MODELS:
            raise ValueError(f"model_configs: no model {key!r} (models: {list(MODELS)})")
        unknown = sorted(set(cfg or {}) - set(MODELS[key][0].default_model_config))
        if unknown:
            known = sorted(MODELS[key][0].default_model_config)
            raise ValueError(f"model_configs[{key!r}]: unknown setting(s) {unknown} ({known})")
        if cfg:
            out[key] = dict(cfg)
    return out
