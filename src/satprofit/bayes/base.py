"""Shared machinery of satprofit's PyMC models: fitting, the convergence gate, saving.

A model subclass writes only ``build_model`` (and, optionally, ``effects``); the base class
samples (PyMC's NUTS or nutpie), runs the convergence gate, and wraps everything in a
:class:`BayesResult` that can be summarized, plotted, saved and loaded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from satprofit.constants import (
    DEFAULT_SEED,
    DIVERGENCES_MAX,
    ESS_MIN,
    INTERVAL_LABEL,
    RHAT_MAX,
)

#: Prior-to-posterior contraction of an estimand's coefficient, ``1 - var_post / var_prior``,
#: below which the estimand is "not estimable: the data barely inform it". At 0.1 the posterior
#: standard deviation is still above 95 % of the prior's: the answer would be the prior's.
#: Informed coefficients of the satprofit models contract by 0.9 or more on the test portfolios.
CONTRACTION_MIN = 0.1
#: What a Bayesian estimand can be, as on the causal side
#: (:data:`satprofit.causal.results.STATUSES`).
STATUSES = ("ok", "not_estimable", "failed")


def contraction_status(contraction: float) -> tuple[str, str]:
    """``(status, reason)`` of an estimand whose coefficient contracted by ``contraction``."""
    if np.isfinite(contraction) and contraction >= CONTRACTION_MIN:
        return "ok", ""
    return (
        "not_estimable",
        "the data barely inform it (posterior mostly prior: contraction "
        f"{contraction:.2f} < {CONTRACTION_MIN})",
    )


@dataclass(frozen=True)
class SamplerConfig:
    """How a posterior is sampled: the one place the sampler settings and their defaults are
    spelled out (the ``sampler_config`` of PyMC-Marketing's model builder).

    Attributes
    ----------
    draws : int
        Posterior draws per chain (1000: ESS >= 400 per parameter on the satprofit models
        with 4 chains).
    tune : int or None
        Tuning steps per chain; None: 1000 with PyMC's NUTS, 300 with nutpie (its own
        default: its mass matrix adapts from the gradients and converges within a few hundred
        steps; at 2,000 clients 300 instead of 1000 passed the same gate and took 211 s
        instead of 276 s for the repeat model).
    chains : int
        Chains (4: R-hat needs several).
    cores : int or None
        Processes; None is ``min(chains, CPUs)``.
    target_accept : float
        NUTS target acceptance (0.95: smaller steps through the funnels of the client
        scales. Against 0.9, on the 100-client benchmark portfolio the satisfaction model's
        2 divergences went (``benchmarks/bench_fit_scale.py``, idle: 91 s -> 104 s for the
        whole ``satprofit bayes``); on three 300-client portfolios (2 chains x 1000 draws)
        the repeat model's ``sigma_client_any`` reached bulk / tail ESS 489 / 641, 296 / 346
        and 399 / 298 instead of 231 / 154, 176 / 117 and 213 / 130, so that fits stop
        needing a second round. With the repeat model sampled whole, larger portfolios mixed
        worse at 0.95: at 2,000 clients its round of four chains took 219 s instead of 199 s
        and still missed the gate, and only 1 of 13 calibration fits at 1,000 clients passed
        it; 0.8 halved the repeat model's steps at 2,000 clients but its quarter effects then
        failed the gate. Sampled in parts (:meth:`BayesModel.sampling_blocks`), 2,000
        clients pass at 0.95 in 207 s for the whole ``satprofit bayes``).
    sampler : {"auto", "pymc", "nutpie"}
        PyMC's NUTS (no compilation wait), nutpie's (numba-compiled, low-rank mass matrix;
        10-35 s of compilation per model, then several times faster per draw), or ``"auto"``
        (default): nutpie for a model with at least :data:`NUTPIE_ROWS` likelihood rows and
        at least 500 draws per chain, where its compilation pays off, PyMC's otherwise
        (see :meth:`resolve`).
    random_seed : int
    extend : bool
        When a fit with at least :data:`PRODUCTION_DRAWS` draws per chain fails the gate on
        mixing alone (R-hat or ESS, no divergence), sample more chains (own seed and tuning)
        and gate the pooled chains (the config then records all of them): as many again when
        R-hat fails, only as many as the ESS shortfall needs when R-hat passes
        (:func:`extra_chains`). A model sampled in blocks with independent posteriors
        (:meth:`BayesModel.sampling_blocks`) whose failing parameters all lie in some of its
        blocks samples only those again, 1-3 times the draws (:func:`longer_chains`), each
        new chain appended to a first one and thinned back to the draws (recorded as
        ``thinned_blocks``). At 500 and 1,000 clients
        the repeat model's client scale of the purchase part reached ESS 90-650 in 4 x 1000
        draws with nutpie, seed to seed.
    """

    draws: int = 1000
    tune: int | None = None
    chains: int = 4
    cores: int | None = None
    target_accept: float = 0.95
    sampler: str = "auto"
    random_seed: int = DEFAULT_SEED
    extend: bool = True

    #: The settings a fit records (``fit.json``, ``satprofit fit --reuse``): those that
    #: change the draws.
    RECORDED: ClassVar[tuple[str, ...]] = (
        "draws",
        "tune",
        "chains",
        "random_seed",
        "sampler",
        "extend",
        "target_accept",
    )

    def replace(self, **changes) -> SamplerConfig:
        """A copy with ``changes`` (None values are ignored: "not given")."""
        from dataclasses import replace

        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def resolve(self, rows: int) -> SamplerConfig:
        """The concrete settings for a model with ``rows`` likelihood rows: ``"auto"`` made a
        sampler (nutpie when ``rows >= NUTPIE_ROWS`` and ``draws >= PRODUCTION_DRAWS``)
        and the tuning default filled in."""
        sampler = self.sampler
        if sampler == "auto":
            big = rows >= NUTPIE_ROWS and self.draws >= PRODUCTION_DRAWS
            sampler = "nutpie" if big else "pymc"  # nutpie is a dependency
        tune = self.tune if self.tune is not None else (300 if sampler == "nutpie" else 1000)
        return self.replace(sampler=sampler, tune=tune)

    def settings(self) -> dict:
        """The recorded settings as a dict (``draws``, ``tune``, ``chains``, ``random_seed``,
        ``sampler``, ``extend``, ``target_accept``)."""
        return {k: getattr(self, k) for k in self.RECORDED}


#: Draws per chain from which a fit counts as a production fit: ``sampler="auto"`` may pick
#: nutpie, and a fit that fails the gate on mixing alone samples once more (``extend``).
PRODUCTION_DRAWS = 500

#: Likelihood rows from which ``sampler="auto"`` picks nutpie (its 10-35 s of compilation per
#: model then costs less than PyMC's slower steps; measured in ``benchmarks/bench_fit_scale.py``).
NUTPIE_ROWS = 3000


class ConvergenceWarning(UserWarning):
    """A posterior failed the convergence gate; its result carries ``converged=False``."""


def _quiet_arviz():
    """ArviZ, imported without its FutureWarnings and with its numba kernels off: compiling
    them costs each process about 0.4 s before its first R-hat, the NumPy versions give the
    same diagnostics and take 0.1 s for 4 chains x 1,000 draws of 50 parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
        from arviz.utils import Numba
    if Numba.numba_flag:
        Numba.disable_numba()
    return az


def _nan_extreme(fn, values) -> float:
    """``fn`` (nanmax / nanmin) of ``values``, NaN when none is finite."""
    values = np.asarray(values, dtype=float)
    return float(fn(values)) if np.isfinite(values).any() else float("nan")


def convergence(
    idata, var_names: list[str], estimands: dict | None = None, saved_rows: list | None = None
) -> dict:
    """R-hat, bulk/tail ESS and divergences, variable by variable (never ``to_array``: with
    per-observation deterministics that broadcasts into gigabytes).

    ``estimands`` (name -> draws [chain, draw]) are gated beside the parameters, as rows
    ``estimand <name>``: what a report shows must have mixed, whatever the parameterisation.
    ``saved_rows``: such rows as a saved fit recorded them (``diagnostics["estimand_rows"]``;
    a loaded fit has no estimand draws to recompute them from).
    """
    az = _quiet_arviz()
    rows = []

    def row(name, size, rhat, ess_b, ess_t):
        # one chain has no R-hat (all NaN): reported as NaN, not a warning
        return {
            "parameter": name,
            "size": size,
            "rhat_max": _nan_extreme(np.nanmax, rhat),
            "ess_bulk_min": _nan_extreme(np.nanmin, ess_b),
            "ess_tail_min": _nan_extreme(np.nanmin, ess_t),
        }

    for name in var_names:
        da = idata.posterior[name]
        rhat = az.rhat(idata, var_names=[name])[name].values
        ess_b = az.ess(idata, var_names=[name], method="bulk")[name].values
        ess_t = az.ess(idata, var_names=[name], method="tail")[name].values
        rows.append(row(name, int(np.prod(da.shape[2:])) or 1, rhat, ess_b, ess_t))
    for name, draws in (estimands or {}).items():
        draws = np.asarray(draws, dtype=float)
        rhat = az.rhat(draws) if draws.shape[0] > 1 else np.nan
        ess_b, ess_t = az.ess(draws, method="bulk"), az.ess(draws, method="tail")
        rows.append(row(f"estimand {name}", 1, rhat, ess_b, ess_t))
    rows.extend(dict(r) for r in saved_rows or [])
    table = pd.DataFrame(rows).set_index("parameter")
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    failing = table[
        (table["rhat_max"] > RHAT_MAX)
        | (table["ess_bulk_min"] < ESS_MIN)
        | (table["ess_tail_min"] < ESS_MIN)
    ].index.tolist()
    return {
        "table": table,
        "divergences": div,
        "failing": failing,
        "rhat_max": float(table["rhat_max"].max()),
        "ess_min": float(table[["ess_bulk_min", "ess_tail_min"]].min().min()),
        "converged": not failing and div <= DIVERGENCES_MAX,
        "estimand_rows": [r for r in rows if r["parameter"].startswith("estimand ")],
    }


@dataclass
class BayesResult:
    """A fitted model: posterior, configuration, convergence, and estimand summaries.

    Attributes
    ----------
    idata : arviz.InferenceData
    model_name : str
    config : dict
        The model's configuration (priors, predictors) and sampler settings.
    diagnostics : dict
        Output of :func:`convergence`; ``converged`` is the gate's verdict that reports show.
    effects : DataFrame
        One row per estimand: posterior median, interval bounds (``INTERVAL_PROB``), unit,
        n; optionally ``status`` (:data:`STATUSES`; figures NaN unless ``ok``), ``reason``
        and ``contraction`` (prior-to-posterior, of the estimand's coefficient).
    model : BayesModel or None
        The model that was fitted (statsmodels' ``results.model``): its helpers are reached
        through the result, never through a fresh default model. None for a derived result.
    data : object or None
        The data the model was fitted on (rebuilt from the portfolio on load).
    """

    idata: Any
    model_name: str
    config: dict
    diagnostics: dict
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: BayesModel | None = field(default=None, repr=False, compare=False)
    data: Any = field(default=None, repr=False, compare=False)

    @property
    def converged(self) -> bool:
        return bool(self.diagnostics.get("converged", False))

    def _fitted_model(self) -> BayesModel:
        if self.model is None:
            raise ValueError(f"{self.model_name}: this result keeps no model (a derived result)")
        return self.model

    def predictors(self, var: str) -> list[str]:
        """The predictor names along ``var``'s ``predictor`` dimension, in column order."""
        da = self.idata.posterior[var]
        if "predictor" not in da.dims:
            raise ValueError(f"{self.model_name}: {var} has no predictor dimension")
        return [str(v) for v in da.coords["predictor"].values]

    def column(self, var: str, predictor: str) -> int:
        """Column of ``predictor`` in ``var``'s draws (as :meth:`draws` returns them)."""
        names = self.predictors(var)
        if predictor not in names:
            raise ValueError(
                f"the {self.model_name} model has no predictor {predictor!r} ({names})"
            )
        return names.index(predictor)

    def coef(self, var: str, predictor: str, max_draws: int | None = None) -> np.ndarray:
        """Draws of the coefficient of ``predictor`` in ``var``, selected by name, flattened
        over chains and thinned as :meth:`draws` thins (every draw when ``max_draws`` is
        None)."""
        self.column(var, predictor)  # a clear error for an unknown name
        da = self.idata.posterior[var].sel(predictor=predictor)
        values = da.values.reshape(-1, *da.shape[2:])
        return values[:: _step(len(values), max_draws)]

    def draws(self, max_draws: int = 1000) -> dict[str, np.ndarray]:
        """The model's posterior draws flattened over chains (see :meth:`BayesModel.draws`)."""
        return self._fitted_model().draws(self.idata, max_draws)

    def latent(self, max_draws: int = 1000):
        """The model's latent predictors on its own data (models that define ``latent``)."""
        return self._fitted_model().latent(self.idata, self.data, max_draws)

    def summary(self) -> pd.DataFrame:
        """ArviZ summary of the model's main parameters (the effects table for a result
        derived from other models' posteriors)."""
        if self.idata is None:
            return self.effects
        az = _quiet_arviz()
        names = self.config.get("summary_vars") or list(self.idata.posterior.data_vars)
        return az.summary(self.idata, var_names=names, round_to=None)

    def effect_records(self) -> list[dict]:
        """The CLI's records: question, estimate, ci_low, ci_high, unit, method, n, the
        convergence figures, and ``status`` / ``reason`` / ``contraction`` as on the causal
        side (an estimand that is not ``ok`` has NaN figures)."""
        recs = []
        for estimand, row in self.effects.iterrows():
            status, reason = _status_of(row)
            ok = status == "ok"
            recs.append(
                {
                    "question": estimand,
                    "estimate": _float(row["median"]) if ok else float("nan"),
                    "ci_low": _float(row["ci_low"]) if ok else float("nan"),
                    "ci_high": _float(row["ci_high"]) if ok else float("nan"),
                    "unit": row["unit"],
                    "method": self.model_name,
                    "n": int(row["n"]) if pd.notna(row["n"]) else 0,
                    "converged": self.converged,
                    "rhat_max": self.diagnostics["rhat_max"],
                    "ess_min": self.diagnostics["ess_min"],
                    "divergences": self.diagnostics["divergences"],
                    "status": status,
                    "reason": reason,
                    "contraction": _float(row.get("contraction", float("nan"))),
                }
            )
        return recs

    def plot_trace(self, *, var_names: list[str] | None = None):
        """Trace plot of the main parameters; returns the figure."""
        az = _quiet_arviz()
        axes = az.plot_trace(
            self.idata, var_names=var_names or self.config.get("summary_vars"), compact=True
        )
        return np.atleast_2d(axes)[0, 0].figure

    def plot_effects(self, *, ax=None):
        """Posterior medians and intervals (``INTERVAL_PROB``) of the estimands; returns the
        figure."""
        import matplotlib.pyplot as plt

        e = self.effects.dropna(subset=["median", "ci_low", "ci_high"])
        fig = ax.figure if ax is not None else plt.figure(figsize=(6, 0.8 * len(e) + 1))
        ax = ax or fig.add_subplot()
        y = np.arange(len(e))
        ax.errorbar(
            e["median"],
            y,
            xerr=[e["median"] - e["ci_low"], e["ci_high"] - e["median"]],
            fmt="o",
            capsize=4,
        )
        ax.set_yticks(
            y, [f"{i}\n({u})" for i, u in zip(e.index, e["unit"], strict=True)], fontsize=8
        )
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(
            f"{self.model_name}: posterior medians and {INTERVAL_LABEL} intervals"
            + ("" if self.converged else " (NOT CONVERGED)")
        )
        return fig

    # ---------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``<path>.nc`` (InferenceData) and ``<path>.json`` (metadata with a hash of
        configuration and package version), each through a temporary file and a rename."""
        from satprofit import __version__

        base = Path(path)
        base.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "model_name": self.model_name,
            "config": self.config,
            "satprofit_version": __version__,
            "effects": json.loads(self.effects.to_json(orient="index")),
            "diagnostics": {k: v for k, v in self.diagnostics.items() if k != "table"},
        }
        meta["hash"] = _hash(self.model_name, self.config, __version__)
        from satprofit.files import atomic_path, atomic_write_text

        with atomic_path(base.with_suffix(".nc"), suffix=".nc.tmp") as tmp:
            self.idata.to_netcdf(tmp)
        atomic_write_text(base.with_suffix(".json"), json.dumps(meta, indent=2, default=str))
        return base

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        *,
        expected_config: dict | None = None,
        model: BayesModel | None = None,
        data: Any = None,
    ) -> BayesResult:
        """Read a saved fit; fails loudly when the metadata's hash does not match its content,
        the package version differs, or ``expected_config`` differs from the saved one.

        The posterior is saved without its model and data: give them (``model``, ``data``
        rebuilt from the portfolio, as :meth:`PortfolioFit.load` does) to use the result's
        model helpers."""
        from satprofit import __version__

        az = _quiet_arviz()
        base = Path(path)
        meta_path = base.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{meta_path}: not valid JSON, truncated or corrupt ({err})") from None
        if meta["hash"] != _hash(meta["model_name"], meta["config"], meta["satprofit_version"]):
            raise ValueError(f"{base}: metadata hash mismatch (file edited or corrupt)")
        if meta["satprofit_version"] != __version__:
            raise ValueError(
                f"{base}: saved by satprofit {meta['satprofit_version']}, this is "
                f"{__version__}; refit"
            )
        if expected_config is not None and _canon(expected_config) != _canon(meta["config"]):
            raise ValueError(f"{base}: saved with another model configuration; refit")
        nc = base.with_suffix(".nc")
        try:
            idata = az.from_netcdf(nc)
        except FileNotFoundError:
            raise
        except Exception as err:  # h5py/netCDF errors name no file
            raise ValueError(f"{nc}: unreadable posterior, truncated or corrupt ({err})") from None
        saved = meta.get("diagnostics", {}).get("estimand_rows", [])
        diag = convergence(idata, meta["config"].get("summary_vars", []), saved_rows=saved)
        effects = pd.DataFrame.from_dict(meta["effects"], orient="index")
        return cls(idata, meta["model_name"], meta["config"], diag, effects, model, data)


def _processes(sc: SamplerConfig) -> int:
    """Sampling processes of ``sc``: its ``cores``, else one per chain up to the CPUs."""
    return sc.cores or min(sc.chains, os.cpu_count() or 1)


def _sample(model, sc: SamplerConfig):
    """``pm.sample`` of ``model`` with resolved settings ``sc`` (workers that die with this
    process; SIGINT/SIGTERM stop the fit, never a partial trace)."""
    import pymc as pm
    from threadpoolctl import threadpool_limits

    from satprofit.processes import interruptible, worker_context

    cores = _processes(sc)
    # one BLAS thread per sampling process: the chains already use the cores, and numpy's
    # OpenBLAS threads (PyTensor's matrix products go through numpy here) fought them
    # (load 3.7 on 2 cores, every step slower); forked workers inherit the limit
    with model, warnings.catch_warnings(), interruptible(), threadpool_limits(1, "blas"):
        warnings.simplefilter("ignore", FutureWarning)
        extra = {}
        if sc.sampler == "nutpie":
            try:
                import nutpie  # noqa: F401
            except ImportError as err:
                raise ValueError("sampler='nutpie' needs the nutpie package") from err
            # its low-rank mass matrix learns the correlated slopes of the overlapping
            # csat windows: 17 instead of 89 steps per draw at 2,000 clients
            # and its threads, like PyMC's processes, limited to ``cores`` (a calibration
            # study runs several fits side by side)
            extra["nuts_sampler_kwargs"] = {"low_rank_modified_mass_matrix": True, "cores": cores}
        return pm.sample(
            draws=sc.draws,
            tune=sc.tune,
            chains=sc.chains,
            cores=cores,
            random_seed=sc.random_seed,
            progressbar=False,
            target_accept=sc.target_accept,
            compute_convergence_checks=False,
            nuts_sampler=sc.sampler,
            mp_ctx=worker_context(),
            **extra,
        )


def _block_seeds(seed, n: int) -> list[int]:
    """Seeds of ``n`` sampling blocks: ``seed`` for the first, derived ones for the rest."""
    rest = np.random.SeedSequence([int(seed), 2]).generate_state(n - 1) if n > 1 else []
    return [int(seed), *(int(s) for s in rest)]


def _block_names(model) -> set[str]:
    """The names of a sampling block's random variables and deterministics."""
    return {v.name for v in [*model.free_RVs, *model.deterministics]}


def _failing_blocks(blocks: list, failing: list[str]) -> list[int]:
    """The blocks holding the parameters that failed the gate: every block when a failing
    row belongs to none of them alone (an estimand, computed from several)."""
    names = [_block_names(b) for b in blocks]
    out = set()
    for row in failing:
        hit = [i for i, n in enumerate(names) if row in n]
        if not hit:
            return list(range(len(blocks)))
        out.update(hit)
    return sorted(out)


#: Most draws a block that alone missed the gate ends up thinned from, in multiples of the
#: draws (its first sample and at most three times as many again).
MAX_THINNING = 4


def longer_chains(diag: dict, block) -> int:
    """How many times the draws a block that alone missed the gate is sampled again:
    ``RETRY_MARGIN * ESS_MIN / ess - 1`` for the block's smallest ESS ``ess`` (the first
    sample's ESS counts), rounded up, at least 1 (also when an R-hat failed), at most
    ``MAX_THINNING - 1``."""
    table = diag["table"]
    rows = table.index.isin(list(_block_names(block)))
    ess = float(table.loc[rows, ["ess_bulk_min", "ess_tail_min"]].min().min()) if rows.any() else 0
    if not (np.isfinite(ess) and ess > 0):
        return MAX_THINNING - 1
    return int(min(MAX_THINNING - 1, max(1, math.ceil(RETRY_MARGIN * ESS_MIN / ess) - 1)))


def _appended(first, more, step: int):
    """Each chain of ``more`` appended to the same chain of ``first`` (posterior and sample
    statistics; the rest from ``first``), then every ``step``-th draw kept, renumbered
    0, 1, ...: the first sample's draws count, and the result has as many draws as ``first``
    when ``more`` has ``step - 1`` times as many."""
    import xarray as xr

    out = first.copy()
    for group in ("posterior", "sample_stats"):
        if group not in first.groups() or group not in more.groups():
            continue
        a, b = getattr(first, group), getattr(more, group)
        b = b.assign_coords(draw=b["draw"].values + a.sizes["draw"])
        ds = xr.concat([a, b], dim="draw").isel(draw=slice(step - 1, None, step))
        setattr(out, group, ds.assign_coords(draw=np.arange(ds.sizes["draw"])))
    return out


def _sample_blocks(models: list, sc: SamplerConfig):
    """:func:`_sample` of each model with settings ``sc`` (the first with ``sc``'s seed, the
    others with seeds derived from it), merged into one posterior (:func:`_merge_blocks`).

    The models must have independent posteriors (see :meth:`BayesModel.sampling_blocks`):
    then pairing draw ``d`` of chain ``c`` of one with the same draw of the others is a draw
    of the joint posterior."""
    return _merged(_sample_each(models, sc))


def _sample_each(models: list, sc: SamplerConfig, seeds: list | None = None) -> list:
    """Each model sampled with ``sc`` and its own seed (``seeds``, by default
    :func:`_block_seeds` of ``sc.random_seed``)."""
    seeds = _block_seeds(sc.random_seed, len(models)) if seeds is None else seeds
    return [_sample(m, sc.replace(random_seed=s)) for m, s in zip(models, seeds, strict=True)]


def _merged(samples: list):
    """One block's sample as it is, several merged (:func:`_merge_blocks`)."""
    return _merge_blocks(samples) if len(samples) > 1 else samples[0]


def _merge_blocks(samples: list):
    """Posteriors sampled apart (same chains and draws), merged group by group: the
    variables side by side; in ``sample_stats`` the first block's statistics, ``diverging``
    counting the divergent transitions of every block at each draw, and each block's own
    ``diverging_<k>`` (k = 0, 1, ...)."""
    import arviz as az
    import xarray as xr

    groups = list(dict.fromkeys(g for s in samples for g in s.groups()))
    merged = {}
    for group in groups:
        parts = [getattr(s, group) for s in samples if group in s.groups()]
        if group.endswith("sample_stats"):  # and nutpie's warmup_sample_stats
            ds = parts[0].copy()
            flags = [p["diverging"] for p in parts if "diverging" in p]
            if flags:
                ds["diverging"] = sum(f.astype(int) for f in flags)
                for k, f in enumerate(flags):
                    ds[f"diverging_{k}"] = f
            merged[group] = ds
        else:  # the blocks' variables are distinct; shared coordinates agree
            merged[group] = xr.merge(parts, compat="override", combine_attrs="override")
    return az.InferenceData(**merged)


def _extend(sc: SamplerConfig, diag: dict) -> bool:
    """Whether a fit that failed the gate samples once more: ``sc.extend``, production draws
    (:data:`PRODUCTION_DRAWS`, so short test fits stay short), no divergence (a divergence is
    a geometry problem more draws do not fix)."""
    return (
        sc.extend
        and not diag["converged"]
        and sc.draws >= PRODUCTION_DRAWS
        and diag["divergences"] == 0
    )


#: Margin of a second round sized to an ESS shortfall: ESS grows about in proportion to the
#: draws, and the new chains may mix a little worse than the first ones did.
RETRY_MARGIN = 1.25


def extra_chains(sc: SamplerConfig, diag: dict) -> int:
    """Chains of the second round of a fit that failed the gate on mixing alone.

    When every R-hat passes and only an ESS falls short, the pooled chains need about
    ``ESS_MIN / ess_min`` times the draws: ``chains * (RETRY_MARGIN * ESS_MIN / ess_min - 1)``
    more chains, rounded up to whole rounds of the sampling processes (a round's wall time is
    paid anyway) and at most ``chains``. When an R-hat fails (chains disagree), as many chains
    again.
    """
    ess, rhat = diag.get("ess_min", float("nan")), diag.get("rhat_max", float("nan"))
    if not (np.isfinite(ess) and 0 < ess < ESS_MIN) or rhat > RHAT_MAX:
        return sc.chains
    cores = max(1, min(_processes(sc), sc.chains))
    need = math.ceil(sc.chains * (RETRY_MARGIN * ESS_MIN / ess - 1))
    return int(min(sc.chains, max(cores, math.ceil(need / cores) * cores)))


def _seed_after(seed) -> int:
    """A second seed derived from ``seed`` (reproducible, distinct)."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1)[0])


def _pool_chains(first, second):
    """``second``'s chains appended to ``first``'s (renumbered after them), in every group
    with a chain dimension; the other groups (observed and constant data) from ``first``."""
    import xarray as xr

    out = first.copy()
    for group in first.groups():
        a = getattr(first, group)
        if "chain" not in a.dims or group not in second.groups():
            continue
        b = getattr(second, group)
        b = b.assign_coords(chain=b["chain"].values + a.sizes["chain"])
        setattr(out, group, xr.concat([a, b], dim="chain"))
    return out


def chain_draws(idata, flat: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Estimand draws computed from :meth:`BayesModel.draws` (flattened chain by chain, then
    thinned) back in [chain, draw] form, for R-hat and ESS.

    Only when the thinning kept the same number of draws from every chain in order (each
    chain's length a multiple of the step); otherwise an estimand is left out of the gate
    rather than split wrongly.
    """
    post = idata.posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    out = {}
    for name, values in flat.items():
        values = np.asarray(values, dtype=float)
        if len(values) == 0 or len(values) % n_chain:
            continue
        step = _step(n_chain * n_draw, len(values))
        if n_draw % step or n_chain * n_draw // step != len(values):
            continue
        out[name] = values.reshape(n_chain, -1)
    return out


def client_mean(values, clients, use) -> np.ndarray:
    """Each row's client mean of ``values`` over the rows in ``use`` (0 when the client has
    none): the between part of a within / between (Mundlak) decomposition."""
    kept = pd.Series(np.where(np.asarray(use, bool), np.asarray(values, float), np.nan))
    return kept.groupby(np.asarray(clients)).transform("mean").fillna(0.0).to_numpy(float)


def _step(n_draws: int, max_draws: int | None) -> int:
    """Thinning step that leaves at most ``max_draws`` of ``n_draws`` (1 when None)."""
    return 1 if max_draws is None else max(1, n_draws // max_draws)


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _status_of(row: pd.Series) -> tuple[str, str]:
    """An effects row's status and reason (rows of models without a status column are ``ok``
    when their figures are finite)."""
    status = row.get("status")
    reason = row.get("reason")
    reason = "" if reason is None or (isinstance(reason, float) and np.isnan(reason)) else reason
    if isinstance(status, str) and status in STATUSES:
        return status, str(reason)
    if not np.isfinite(_float(row.get("median"))):
        return "not_estimable", str(reason) or "the model gives no finite estimate"
    return "ok", ""


def _canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def _hash(name: str, config: dict, version: str) -> str:
    return hashlib.sha256(_canon([name, config, version]).encode()).hexdigest()[:16]


class BayesModel:
    """Base class: ``__init__`` stores configuration, ``fit`` samples and returns a result.

    Subclasses set ``name``, ``default_model_config`` and write ``build_model(data)`` (a
    ``pm.Model``), ``summary_vars`` and ``effects(idata, data)``.
    """

    name: ClassVar[str] = "bayes"
    default_model_config: ClassVar[dict] = {}
    summary_vars: ClassVar[list[str]] = []

    def __init__(self, model_config: dict | None = None):
        self.model_config = {**self.default_model_config, **(model_config or {})}

    def build_model(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def effects(self, idata, data) -> pd.DataFrame:  # pragma: no cover - optional
        return pd.DataFrame()

    def draws(self, idata, max_draws: int = 1000) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains, thinned to at most ``max_draws`` (the
        non-centred ``z_*`` offsets left out)."""
        post = idata.posterior
        n_draws = post.sizes["chain"] * post.sizes["draw"]
        step = _step(n_draws, max_draws)
        out = {}
        for name, da in post.data_vars.items():
            if name.startswith("z_"):
                continue
            v = da.values
            out[name] = v.reshape(n_draws, *v.shape[2:])[::step]
        return out

    def posterior_predictive(self, result: BayesResult, data, random_seed: int = 0):
        """Draws of every observed variable from the posterior predictive distribution
        (an ``xarray.Dataset``; models override this with a comparison to the data)."""
        import pymc as pm

        with self.predictive_model(data):
            pp = pm.sample_posterior_predictive(
                result.idata, random_seed=random_seed, progressbar=False
            )
        return pp.posterior_predictive

    def sampling_blocks(self, data) -> list:
        """The PyMC models sampled for a fit: one (:meth:`build_model`) unless the model's
        parameters split into groups with independent posteriors (no shared parameter,
        likelihoods that multiply), each sampled on its own and merged draw by draw
        (:func:`_sample_blocks`)."""
        return [self.build_model(data)]

    def predictive_model(self, data):
        """The model with every observed variable, for prior and posterior predictive draws
        (:meth:`build_model`, unless a model integrates parameters out to sample)."""
        return self.build_model(data)

    def complete_posterior(self, idata, data, random_seed=None):
        """The posterior as sampled, completed after sampling with any parameters the model
        integrated out (none by default)."""
        return idata

    def rows(self, data) -> int:
        """Likelihood rows of ``data`` (what ``sampler="auto"`` sizes the sampler by; 0, so
        PyMC's sampler, unless a model says)."""
        return 0

    def variables(self, data) -> list[str]:
        """The parameters summarized and gated for this data (default ``summary_vars``)."""
        return list(self.summary_vars)

    def fit(self, data, sampler_config: SamplerConfig | None = None, **settings) -> BayesResult:
        """Sample the posterior and run the convergence gate.

        ``sampler_config`` (default :class:`SamplerConfig`) with any of its fields given as
        keywords (``draws=500``) on top. Raises no error on a poor fit: it warns
        (:class:`ConvergenceWarning`, naming the parameters that failed) and the result's
        ``converged`` is False.
        """
        sc = (sampler_config or SamplerConfig()).replace(**settings).resolve(self.rows(data))
        blocks = self.sampling_blocks(data)
        seeds = _block_seeds(sc.random_seed, len(blocks))
        samples = _sample_each(blocks, sc, seeds)
        raw = _merged(samples)
        idata, diag, effects = self._gate(raw, data, sc.random_seed)
        thinned: dict[int, int] = {}
        redo = _failing_blocks(blocks, diag["failing"]) if _extend(sc, diag) else []
        if redo and len(redo) < len(blocks):
            # only some blocks missed the gate (independent posteriors): those alone are
            # sampled again, k times as long, each new chain appended to a first one and
            # thinned back to the same draws; the other blocks' draws stand
            for i in redo:
                k = longer_chains(diag, blocks[i])
                longer = _sample(
                    blocks[i], sc.replace(random_seed=_seed_after(seeds[i]), draws=sc.draws * k)
                )
                samples[i], thinned[i] = _appended(samples[i], longer, k + 1), k + 1
            raw = _merge_blocks(samples)
            idata, diag, effects = self._gate(raw, data, sc.random_seed)
        elif redo:
            # the gate failed on mixing alone (no divergence): more chains, with their own
            # seed and tuning, pooled with the first (an ESS short of the bar on a slowly
            # mixing scale is a matter of draws, not of a wrong posterior)
            n_more = extra_chains(sc, diag)
            more = _sample_blocks(
                blocks, sc.replace(random_seed=_seed_after(sc.random_seed), chains=n_more)
            )
            idata, diag, effects = self._gate(_pool_chains(raw, more), data, sc.random_seed)
            sc = sc.replace(chains=sc.chains + n_more)
        names = self.variables(data)
        if not diag["converged"]:
            warnings.warn(
                ConvergenceWarning(
                    f"{self.name}: posterior failed the convergence gate (R-hat <= {RHAT_MAX}, "
                    f"ESS >= {ESS_MIN}, divergences = 0): parameters {diag['failing']}, "
                    f"{diag['divergences']} divergences"
                ),
                stacklevel=2,
            )
        config = {**self.model_config, **sc.settings(), "summary_vars": names}
        if thinned:  # block -> k: its chains k times as long in all, every k-th draw kept
            config["thinned_blocks"] = {str(i): k for i, k in thinned.items()}
        return BayesResult(idata, self.name, config, diag, effects, model=self, data=data)

    def _gate(self, raw, data, random_seed) -> tuple[Any, dict, pd.DataFrame]:
        """The sampled posterior ``raw`` completed (parameters integrated out, drawn back; on a
        copy, ``raw`` stays as sampled), its estimands, and the convergence gate on the
        parameters and the estimands' draws."""
        idata = self.complete_posterior(copy.copy(raw), data, random_seed)
        effects = self.effects(idata, data)
        estimands = chain_draws(idata, effects.attrs.get("draws", {}))
        return idata, convergence(idata, self.variables(data), estimands), effects
