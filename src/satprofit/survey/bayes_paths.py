"""Bayesian multilevel ordinal path model between survey constructs: fit and results.

:func:`fit_bayes_paths` samples the model of :mod:`satprofit.survey.bayes_model` (latent
constructs per respondent, ordinal items, respondents nested in clients when the data say which
client each respondent belongs to) and returns a :class:`BayesPathResult`: posterior
standardized path coefficients, direct/indirect/total effects, R-squared, standardized loadings
and the share of each construct's variance at the client level, each with its posterior mean
and equal-tailed interval at :data:`~satprofit.constants.INTERVAL_PROB`, and the convergence
diagnostics (R-hat, bulk/tail ESS, divergences) with a gate flag. ``.to_dict()`` has the keys
of :meth:`satprofit.survey.PLSResult.to_dict` (``satprofit paths --method bayes --json``).

Standardized effects come from each draw: :math:`B^* = D^{-1} B D` with :math:`D` the
model-implied standard deviations of the constructs (their total variance, client level
included), total effects :math:`(I - B^*)^{-1} - I`, indirect = total - direct,
:math:`R^2_k = 1 - \\Psi_{kk} / \\Sigma_{kk}` (the variance not explained by the construct's
causes: its respondent-level residual plus its own client effect).

Sampler defaults (:class:`PathSampler`): nutpie's NUTS (numba-compiled model, low-rank modified
mass matrix), 4 chains of 2,500 draws after 1,000 tuning steps, as many at once as CPUs allow;
PyMC's own NUTS with ``backend="pymc"``. Runtimes and diagnostics measured on ECSI (250
respondents x 27 items) and a 300-client simulated portfolio (2,431 responses x 15 items) are in
the README.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.constants import (
    DEFAULT_SEED,
    DIVERGENCES_MAX,
    ESS_MIN,
    INTERVAL_PROB,
    INTERVAL_QUANTILES,
    RHAT_MAX,
)
from satprofit.survey.bayes_model import (
    LOGISTIC_VARIANCE,
    BayesPathDataError,
    EncodedItems,
    Priors,
    build_model,
    encode_items,
    sampled_variables,
)
from satprofit.survey.data import SurveyData, check_items
from satprofit.survey.spec import SurveySpec

#: Samplers of the path model: nutpie (default) and PyMC's own NUTS.
SAMPLER_BACKENDS = ("nutpie", "pymc")


class BayesPathConvergenceWarning(UserWarning):
    """The posterior failed the convergence gate; the result carries ``converged=False``."""


@dataclass(frozen=True)
class PathSampler:
    """NUTS settings of the path model (``pm.sample``), overridable one by one.

    Attributes
    ----------
    draws, tune : int
        Draws kept and tuning steps per chain (2,500 and 1,000).
    chains : int
        Chains (4: R-hat compares them; nutpie runs them on ``cores`` threads).
    cores : int or None
        Chains sampled at once; None is ``min(chains, CPUs)``.
    target_accept : float
        NUTS target acceptance.
    seed : int
        The sampler's seed: the same seed gives the same draws.
    backend : {"nutpie", "pymc"}
        ``nutpie`` (default): nutpie's NUTS on the model compiled by numba, with its low-rank
        modified mass matrix (learns the correlated directions of the paths and loadings);
        ``pymc``: ``pm.sample`` with a diagonal mass matrix. Measured side by side in
        ``benchmarks/bench_path_sampler.py``.
    """

    draws: int = 2500
    tune: int = 1000
    chains: int = 4
    cores: int | None = None
    target_accept: float = 0.8
    seed: int = DEFAULT_SEED
    backend: str = "nutpie"

    def replace(self, **changes) -> PathSampler:
        """A copy with ``changes`` (None values are ignored: "not given")."""
        from dataclasses import replace

        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def fit_bayes_paths(
    data: pd.DataFrame | SurveyData,
    spec: SurveySpec,
    *,
    clients: pd.Series | np.ndarray | None = None,
    sampler: PathSampler | None = None,
    priors: Priors | None = None,
    min_count: int | None = None,
    client_effects: str = "endogenous",
    **settings,
) -> BayesPathResult:
    """Sample the Bayesian path model of ``spec`` on ``data``.

    Parameters
    ----------
    data : DataFrame or SurveyData
        One row per respondent with the spec's item columns. A :class:`SurveyData` from a
        portfolio folder brings each respondent's client (:attr:`SurveyData.clients`).
    clients : Series or array, optional
        The client of each row (overrides ``data.clients``); with none, the single-level model
        is fitted (and the result says so).
    sampler : PathSampler, optional
        Sampler settings; keywords ``draws``, ``tune``, ``chains``, ``cores``,
        ``target_accept``, ``seed`` override single fields.
    priors : Priors, optional
    min_count : int, optional
        Answers given fewer times than this are merged with a neighbouring answer
        (default :data:`~satprofit.survey.bayes_model.MIN_CATEGORY_COUNT`).
    client_effects : {"endogenous", "all"}
        Client effects on the endogenous constructs only (default: an exogenous construct's
        client-level variance is left in its respondent-level variance) or on every construct
        (slower: on the 300-client portfolio its trajectories hit the tree-depth limit).

    Raises
    ------
    SurveyDataError, SpecError
        Items missing, not numeric or constant (as for PLS).
    BayesPathDataError
        Too few respondents, an item with one answer or too many distinct answers, clients not
        aligned.
    """
    from satprofit.processes import interruptible
    from satprofit.survey.bayes_model import MIN_CATEGORY_COUNT

    sc = (sampler or PathSampler()).replace(**settings)
    if sc.backend not in SAMPLER_BACKENDS:
        raise ValueError(f"sampler backend {sc.backend!r}: one of {', '.join(SAMPLER_BACKENDS)}")
    for name in ("draws", "tune", "chains"):
        if getattr(sc, name) < (1 if name != "tune" else 0):
            raise ValueError(f"--{name} {getattr(sc, name)}: must be positive")
    if isinstance(data, SurveyData):
        items, source = data.items, data.source
        if clients is None:
            clients = data.clients
    else:
        items, source = check_items(data, spec), "<data>"
    enc = encode_items(
        items,
        spec,
        clients,
        min_count=MIN_CATEGORY_COUNT if min_count is None else min_count,
        source=source,
    )
    priors = priors or Priors()
    started = time.perf_counter()
    model = build_model(enc, spec, priors, client_effects)
    with warnings.catch_warnings(), interruptible():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        idata = _sample(model, sampled_variables(enc, spec), sc)
    seconds = time.perf_counter() - started
    result = BayesPathResult.from_idata(
        idata, enc, spec, source, sc, priors, seconds, client_effects
    )
    if not result.converged:
        d = result.diagnostics
        warnings.warn(
            BayesPathConvergenceWarning(
                f"{source}: the path model's posterior failed the convergence gate (R-hat <= "
                f"{RHAT_MAX}, ESS >= {ESS_MIN}, divergences <= {DIVERGENCES_MAX}): "
                f"{', '.join(d['failing']) or 'no quantity failing'}; {d['divergences']} "
                "divergences (more --draws / --tune)"
            ),
            stacklevel=2,
        )
    return result


# -- standardized quantities from the draws ----------------------------------------------------


def _sample(model, var_names: list[str], sc: PathSampler):
    """Posterior draws of ``var_names`` (InferenceData) with the backend of ``sc``."""
    cores = sc.cores or min(sc.chains, os.cpu_count() or 1)
    if sc.backend == "nutpie":
        import nutpie

        compiled = nutpie.compile_pymc_model(model, backend="numba", var_names=var_names)
        return nutpie.sample(
            compiled,
            draws=sc.draws,
            tune=sc.tune,
            chains=sc.chains,
            cores=cores,
            seed=sc.seed,
            target_accept=sc.target_accept,
            low_rank_modified_mass_matrix=True,
            progress_bar=False,
        )
    import pymc as pm

    from satprofit.processes import worker_context

    with model:
        return pm.sample(
            draws=sc.draws,
            tune=sc.tune,
            chains=sc.chains,
            cores=cores,
            random_seed=sc.seed,
            target_accept=sc.target_accept,
            init="adapt_diag",
            progressbar=False,
            compute_convergence_checks=False,
            var_names=var_names,
            mp_ctx=worker_context(),
        )


def standardize(
    beta: np.ndarray,
    spec: SurveySpec,
    corr: np.ndarray | None = None,
    client_sd: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Standardized paths and effects of every draw.

    Parameters
    ----------
    beta : ndarray, (draws, paths)
        Raw path coefficients in ``spec.paths`` order.
    corr : ndarray, (draws, exogenous, exogenous), optional
        Correlation of the exogenous constructs' respondent-level parts (identity if None).
    client_sd : ndarray, (draws, constructs), optional
        Client-effect standard deviations (none: single level).

    Returns
    -------
    dict
        ``direct`` (draws, K, K) standardized path matrix ``[effect, cause]``, ``total``,
        ``sd`` (draws, K) model-implied standard deviations, ``r_squared`` (draws, K; NaN for
        exogenous constructs), ``client_share`` (draws, K; share of variance at client level,
        zeros when single level).
    """
    names = spec.names
    S, K = beta.shape[0], len(names)
    exo = [k for k, n in enumerate(names) if not spec.causes(n)]
    B = np.zeros((S, K, K))
    for p, (a, b) in enumerate(spec.paths):
        B[:, names.index(b), names.index(a)] = beta[:, p]
    psi = np.zeros((S, K, K))
    psi[:, np.arange(K), np.arange(K)] = 1.0
    if corr is not None:
        psi[:, np.ix_(exo, exo)[0], np.ix_(exo, exo)[1]] = corr
    tau2 = np.zeros((S, K)) if client_sd is None else client_sd**2
    psi[:, np.arange(K), np.arange(K)] += tau2
    eye = np.eye(K)
    A = np.linalg.inv(eye - B)
    sigma = A @ psi @ np.swapaxes(A, 1, 2)
    var = np.diagonal(sigma, axis1=1, axis2=2)
    sd = np.sqrt(var)
    direct = B * sd[:, None, :] / sd[:, :, None]
    total = np.linalg.inv(eye - direct) - eye
    own = np.diagonal(psi, axis1=1, axis2=2)
    r2 = 1.0 - own / var
    r2[:, exo] = np.nan
    client = A @ (tau2[:, :, None] * eye) @ np.swapaxes(A, 1, 2)
    share = np.diagonal(client, axis1=1, axis2=2) / var
    return {"direct": direct, "total": total, "sd": sd, "r_squared": r2, "client_share": share}


def _interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean, sd and equal-tailed interval over axis 0."""
    lo, hi = np.quantile(draws, INTERVAL_QUANTILES, axis=0)
    return draws.mean(axis=0), draws.std(axis=0, ddof=1), lo, hi


@dataclass
class BayesPathResult:
    """A fitted Bayesian path model: posterior draws of the reported quantities, diagnostics.

    Attributes
    ----------
    spec : SurveySpec
    source : str
        The data as shown in messages.
    n : int
        Respondents.
    n_clients : int or None
        Clients (None: the single-level model, no client column).
    draws : dict of ndarray
        Per reported quantity, draws shaped (chains, draws, ...): ``direct`` and ``total``
        (K x K, ``[effect, cause]``), ``r_squared``, ``client_share``, ``sd`` (K),
        ``loadings`` (items, standardized), ``client_sd`` (K, multilevel only).
    diagnostics : dict
        ``table`` (per quantity: rhat_max, ess_bulk_min, ess_tail_min), ``divergences``,
        ``failing``, ``rhat_max``, ``ess_min``, ``converged``, ``seconds``.
    settings : dict
        Sampler settings and priors.
    notes : list of str
        How the data were encoded (merged answers, single level).
    idata : InferenceData
        The raw trace (structural parameters only).
    """

    spec: SurveySpec
    source: str
    n: int
    n_clients: int | None
    draws: dict[str, np.ndarray]
    diagnostics: dict
    settings: dict
    notes: list[str] = field(default_factory=list)
    idata: object = None
    interval_prob: float = INTERVAL_PROB

    @classmethod
    def from_idata(
        cls,
        idata,
        enc: EncodedItems,
        spec: SurveySpec,
        source: str,
        sc: PathSampler,
        priors: Priors,
        seconds: float,
        client_effects: str = "endogenous",
    ) -> BayesPathResult:
        post = idata.posterior
        C, S = post.sizes["chain"], post.sizes["draw"]
        flat = {name: post[name].to_numpy().reshape(C * S, *post[name].shape[2:]) for name in post}
        client_sd = None
        if enc.multilevel:
            client_sd = np.zeros((C * S, len(spec.names)))
            on = (
                range(len(spec.names))
                if client_effects == "all"
                else [spec.names.index(n) for n in spec.endogenous]
            )
            client_sd[:, list(on)] = flat["client_sd"]
        std = standardize(flat["beta"], spec, flat.get("exo_corr"), client_sd)
        lam = flat["loading"]
        scaled = lam * std["sd"][:, enc.item_construct]
        std["loadings"] = scaled / np.sqrt(scaled**2 + LOGISTIC_VARIANCE)
        if enc.multilevel:
            std["client_sd"] = client_sd
        draws = {k: v.reshape(C, S, *v.shape[1:]) for k, v in std.items()}
        notes = list(enc.notes)
        if not enc.multilevel:
            notes.insert(
                0,
                "no client column: the single-level model (respondents independent; no client "
                "effects)",
            )
        diagnostics = _diagnostics(idata, draws, spec, enc)
        diagnostics["seconds"] = float(seconds)
        settings = {
            "draws": sc.draws,
            "tune": sc.tune,
            "chains": sc.chains,
            "seed": sc.seed,
            "target_accept": sc.target_accept,
            "backend": sc.backend,
            "link": "logit",
            "multilevel": enc.multilevel,
            "client_effects": client_effects if enc.multilevel else None,
            "interval_prob": INTERVAL_PROB,
            "priors": {k: float(v) for k, v in priors.__dict__.items()},
        }
        return cls(
            spec,
            source,
            enc.n,
            len(enc.client_ids) if enc.multilevel else None,
            draws,
            diagnostics,
            settings,
            notes,
            idata,
        )

    # -- tables --------------------------------------------------------------------------------
    @property
    def converged(self) -> bool:
        return bool(self.diagnostics["converged"])

    @property
    def multilevel(self) -> bool:
        return self.n_clients is not None

    def _flat(self, name: str) -> np.ndarray:
        d = self.draws[name]
        return d.reshape(d.shape[0] * d.shape[1], *d.shape[2:])

    def _pair_table(self, pairs, matrix: np.ndarray) -> pd.DataFrame:
        idx = {n: i for i, n in enumerate(self.spec.names)}
        values = np.stack([matrix[:, idx[b], idx[a]] for a, b in pairs], axis=1)
        if not pairs:
            values = np.zeros((matrix.shape[0], 0))
        mean, sd, lo, hi = _interval(values)
        return pd.DataFrame(
            {
                "from": [a for a, _ in pairs],
                "to": [b for _, b in pairs],
                "estimate": mean,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
                "p_positive": (values > 0).mean(axis=0),
            }
        )

    @property
    def paths(self) -> pd.DataFrame:
        """Standardized path coefficients: from, to, estimate (posterior mean), sd, ci_low,
        ci_high, p_positive (posterior probability > 0)."""
        return self._pair_table(list(self.spec.paths), self._flat("direct"))

    @property
    def total_effects(self) -> pd.DataFrame:
        """Standardized total effects of every construct on every construct it reaches."""
        return self._pair_table(self.spec.reachable(), self._flat("total"))

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Standardized indirect effects (total minus direct) through other constructs."""
        ind = self._flat("total") - self._flat("direct")
        return self._pair_table(self.spec.reachable(min_steps=2), ind)

    @property
    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total (posterior means) with the interval of the total."""
        table = self.total_effects.rename(columns={"estimate": "total"})
        idx = {n: i for i, n in enumerate(self.spec.names)}
        direct = self._flat("direct").mean(axis=0)
        d = [direct[idx[b], idx[a]] for a, b in zip(table["from"], table["to"], strict=True)]
        table.insert(2, "direct", d)
        table.insert(3, "indirect", table["total"] - table["direct"])
        return table.drop(columns=["p_positive"])

    @property
    def r_squared(self) -> pd.Series:
        """Posterior mean R-squared of each endogenous construct."""
        return self.r_squared_table.set_index("construct")["r_squared"].rename("r_squared")

    @property
    def r_squared_table(self) -> pd.DataFrame:
        """R-squared (variance explained by the construct's causes) with interval."""
        idx = [self.spec.names.index(n) for n in self.spec.endogenous]
        mean, sd, lo, hi = _interval(self._flat("r_squared")[:, idx])
        return pd.DataFrame(
            {
                "construct": self.spec.endogenous,
                "r_squared": mean,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
            }
        )

    @property
    def loadings(self) -> pd.DataFrame:
        """Standardized loadings (correlation of the item's latent response with its construct):
        construct, item, loading, sd, ci_low, ci_high."""
        mean, sd, lo, hi = _interval(self._flat("loadings"))
        constructs = [c.name for c in self.spec.constructs for _ in c.items]
        return pd.DataFrame(
            {
                "construct": constructs,
                "item": self.spec.items,
                "loading": mean,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
            }
        )

    @property
    def client_share(self) -> pd.DataFrame:
        """Share of each construct's variance at the client level (its own and its causes'
        client effects), with interval; empty for the single-level model."""
        if not self.multilevel:
            return pd.DataFrame(columns=["construct", "share", "sd", "ci_low", "ci_high"])
        mean, sd, lo, hi = _interval(self._flat("client_share"))
        return pd.DataFrame(
            {"construct": self.spec.names, "share": mean, "sd": sd, "ci_low": lo, "ci_high": hi}
        )

    def summary(self) -> pd.DataFrame:
        """Standardized paths and the R-squared of the effect's equation, indexed ``"A -> B"``."""
        table = self.paths
        table["r_squared_of_to"] = table["to"].map(self.r_squared)
        table.index = [f"{a} -> {b}" for a, b in zip(table["from"], table["to"], strict=True)]
        return table

    def to_dict(self) -> dict:
        """The ``satprofit paths --method bayes --json`` object: the keys of the PLS one
        (paths, r_squared, total_effects) plus indirect effects, loadings, client shares,
        diagnostics, settings and notes."""
        keys = ["from", "to", "estimate", "ci_low", "ci_high"]
        diag = {k: v for k, v in self.diagnostics.items() if k != "table"}
        return {
            "method": "bayes",
            "n": self.n,
            "n_clients": self.n_clients,
            "multilevel": self.multilevel,
            "settings": self.settings,
            "paths": _records(self.paths[keys]),
            "r_squared": {k: _num(v) for k, v in self.r_squared.items()},
            "total_effects": _records(self.total_effects[keys]),
            "indirect_effects": _records(self.indirect_effects[keys]),
            "loadings": _records(
                self.loadings[["construct", "item", "loading", "ci_low", "ci_high"]]
            ),
            "client_share": {
                r["construct"]: _num(r["share"]) for r in self.client_share.to_dict("records")
            },
            "diagnostics": _plain(diag),
            "notes": list(self.notes),
        }

    def plot(self, *, ax=None):
        """Forest plot of the standardized direct, indirect and total effects with their
        intervals; returns the figure."""
        import matplotlib.pyplot as plt

        rows = []
        for kind, table in (
            ("direct", self.paths),
            ("indirect", self.indirect_effects),
            ("total", self.total_effects),
        ):
            for r in table.to_dict("records"):
                rows.append((f"{r['from']} -> {r['to']} ({kind})", kind, r))
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
        colours = {"direct": "C0", "indirect": "C1", "total": "C2"}
        for y, (_, kind, r) in enumerate(reversed(rows)):
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colours[kind], lw=2)
            ax.plot(r["estimate"], y, "o", color=colours[kind])
        ax.set_yticks(range(len(rows)), [label for label, _, _ in reversed(rows)])
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"standardized effect (posterior mean, {self.interval_prob:.0%} interval)")
        level = f"{self.n_clients} clients" if self.multilevel else "single level"
        ax.set_title(f"Bayesian path model: {self.n} respondents, {level}")
        ax.figure.tight_layout()
        return ax.figure


def _diagnostics(idata, draws: dict[str, np.ndarray], spec: SurveySpec, enc) -> dict:
    """R-hat and ESS of every reported quantity (the gate) and of the raw parameters (shown)."""
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

    names = spec.names
    endo = [names.index(n) for n in spec.endogenous]
    pairs = [(names.index(b), names.index(a)) for a, b in spec.paths]
    gated = {
        "paths": draws["direct"][:, :, [b for b, _ in pairs], [a for _, a in pairs]],
        "total_effects": draws["total"].reshape(*draws["total"].shape[:2], -1)[
            :, :, np.flatnonzero(np.abs(draws["total"]).sum(axis=(0, 1)).ravel() > 0)
        ],
        "r_squared": draws["r_squared"][:, :, endo],
        "loadings": draws["loadings"],
    }
    if "client_sd" in draws:
        gated["client_sd"] = draws["client_sd"]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, values in gated.items():
            ds = xr.Dataset({name: (("chain", "draw", "i"), values.reshape(*values.shape[:2], -1))})
            rows.append(_row(az, ds, name, gate=True))
        for name in idata.posterior.data_vars:
            ds = idata.posterior[[name]]
            rows.append(_row(az, ds, f"raw {name}", gate=False))
    table = pd.DataFrame(rows).set_index("quantity")
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    gate = table[table["gated"]]
    # NaN (one chain: no R-hat; too few draws: no ESS) cannot pass the gate
    failing = gate[
        ~(gate["rhat_max"] <= RHAT_MAX)
        | ~(gate["ess_bulk_min"] >= ESS_MIN)
        | ~(gate["ess_tail_min"] >= ESS_MIN)
    ].index.tolist()
    return {
        "table": table,
        "divergences": div,
        "failing": failing,
        "rhat_max": float(gate["rhat_max"].max()),
        "ess_min": float(gate[["ess_bulk_min", "ess_tail_min"]].min().min()),
        "converged": not failing and div <= DIVERGENCES_MAX,
        "gate": {"rhat_max": RHAT_MAX, "ess_min": ESS_MIN, "divergences_max": DIVERGENCES_MAX},
    }


def _row(az, ds, name: str, gate: bool) -> dict:
    var = list(ds.data_vars)[0]
    rhat = az.rhat(ds)[var].values
    ess_b = az.ess(ds, method="bulk")[var].values
    ess_t = az.ess(ds, method="tail")[var].values
    return {
        "quantity": name,
        "gated": gate,
        "size": int(np.prod(ds[var].shape[2:])) or 1,
        "rhat_max": _extreme(np.nanmax, rhat),
        "ess_bulk_min": _extreme(np.nanmin, ess_b),
        "ess_tail_min": _extreme(np.nanmin, ess_t),
    }


def _extreme(fn, values) -> float:
    values = np.asarray(values, dtype=float)
    return float(fn(values)) if np.isfinite(values).any() else float("nan")


def _num(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return _num(obj)
    return obj


def _records(table: pd.DataFrame) -> list[dict]:
    return [
        {k: (_num(v) if isinstance(v, float | np.floating) else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


__all__ = [
    "BayesPathConvergenceWarning",
    "BayesPathDataError",
    "BayesPathResult",
    "PathSampler",
    "fit_bayes_paths",
    "standardize",
]
