"""Benchmark: satprofit's satisfaction model (issue #5) against the same model in Bambi.

Three runs on the same simulated portfolio, the same machine and the same number of draws,
tuning steps and chains:

``satprofit``
    ``SatisfactionModel().fit(...)`` exactly as users call it (PyMC's NUTS, ``sampler="pymc"``,
    satprofit's default ``target_accept=0.9``).
``satprofit-nutpie``
    the same call with ``sampler="nutpie"`` (nutpie's default numba backend).
``bambi``
    the named baseline: the same cumulative-logit model written as
    ``bmb.Model("csat ~ <7 predictors> + (1|client) + (1|team) + (1|industry)", df,
    family="cumulative")``, with satprofit's priors (coefficients Normal(0, 1), group scales
    HalfNormal(0.5), thresholds Normal([-2, -1, 0, 1.5], 2.5) ordered; Bambi's group effects are
    non-centered like satprofit's), fitted with ``model.fit(...)``, i.e. its default PyMC sampler
    and PyMC's default ``target_accept=0.8``.

Each run happens in a fresh Python process with an empty PyTensor compile cache of its own
(``--cache warm`` instead compiles the model once, untimed, before the timed fit), so every run
pays the same C compilation a first fit on a new machine pays. Measured per run:

``build_s``
    constructing the PyMC model (satprofit's ``build_model``; Bambi's ``Model(...)`` and
    ``build()``: formula parsing, design matrices, priors).
``compile_s``
    compiling the log-density and its gradient: time spent in ``pm.Model.logp_dlogp_function``
    (the function PyMC's NUTS evaluates) for the PyMC runs, in ``nutpie.compile_pymc_model``
    for nutpie. Smaller compilations inside ``pm.sample`` (start-value checks) count as sampling.
``sample_s``
    the rest of ``pm.sample``: start-value checks, worker processes, tuning and draws.
``wall_s``
    the whole user-level call, from model construction to the returned result (satprofit's
    ``fit`` includes its convergence gate and estimands; Bambi's ``fit`` its result cleaning).
``ess_bulk_min`` / ``ess_tail_min`` / ``rhat_max``
    over the comparable parameters: the 7 predictor coefficients and the 3 group sd's.
``ess_per_s``
    ``ess_bulk_min / wall_s``; ``ess_per_sample_s`` divides by ``sample_s`` instead.
``cpu_s`` / ``ess_per_cpu_s``
    CPU time of the fit (the process and its chain workers) and min bulk ESS per CPU second:
    less sensitive than wall time to other work on the machine (``load_avg`` shows how much).
``divergences``
    divergent transitions after tuning, all chains.
``grad_evals`` / ``ess_per_1k_grads``
    leapfrog steps (gradient evaluations) of the kept draws, all chains, and min bulk ESS per
    1000 of them: the sampler's efficiency independent of how fast one gradient is.

The table ends with each run's ESS/s (wall and CPU) relative to Bambi's (goal of issue #5: satprofit's default
>= 1.5x) and, as an equivalence check, the posterior means of the comparable parameters per run.
Missing optional packages (bambi, nutpie) skip their run with a message.

Run it with ``make bench`` (which uses its own venv, ``.venv-bench``, with the ``bench`` extra)
or directly::

    .venv-bench/bin/python benchmarks/bench_bayes.py                      # 300 clients, 2 chains
    .venv-bench/bin/python benchmarks/bench_bayes.py --clients 80 --draws 500 --tune 500
    .venv-bench/bin/python benchmarks/bench_bayes.py --skip-bambi --skip-nutpie
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

BASELINE = "bambi"
GOAL = 1.5
RUNS = ("satprofit", "satprofit-nutpie", "bambi")
GROUPS = ("client", "team", "industry")


def comparable_names(run: str) -> dict[str, tuple[str, str | None]]:
    """Label -> (posterior variable, predictor coordinate or None) for a run's idata."""
    from satprofit.bayes.satisfaction import PREDICTORS

    if run == BASELINE:
        out = {p: (p, None) for p in PREDICTORS}
        out.update({f"sigma_{g}": (f"1|{g}_sigma", None) for g in GROUPS})
    else:
        out = {p: ("beta", p) for p in PREDICTORS}
        out.update({f"sigma_{g}": (f"sigma_{g}", None) for g in GROUPS})
    return out


def bench_data(clients: int, quarters: int, seed: int):
    """The simulated portfolio's satisfaction data (and a flat frame for Bambi)."""
    from satprofit.bayes import satisfaction_data
    from satprofit.simulate import simulate_portfolio

    sim = simulate_portfolio(n_clients=clients, n_quarters=quarters, seed=seed)
    data = satisfaction_data(sim.portfolio)
    df = data.frame.copy()
    df["client"] = np.asarray(data.clients, dtype=object)[data.client]
    df["team"] = np.asarray(data.teams, dtype=object)[data.team]
    df["industry"] = np.asarray(data.industries, dtype=object)[data.industry]
    df["csat"] = pd.Categorical(data.csat, categories=[1, 2, 3, 4, 5], ordered=True)
    return data, df


# ---------------------------------------------------------------- timing instrumentation
class Timers(dict):
    def add(self, key: str, seconds: float) -> None:
        self[key] = self.get(key, 0.0) + seconds


def _wrap(owner, attr: str, timers: Timers, key: str):
    original = getattr(owner, attr)

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timers.add(key, time.perf_counter() - t0)

    setattr(owner, attr, timed)
    return original


@contextmanager
def instrumented(timers: Timers):
    """Time (without changing) pm.sample, PyMC's NUTS compilation and nutpie's compilation."""
    import pymc as pm

    patches = [
        (pm, "sample", _wrap(pm, "sample", timers, "pm_sample")),
        (
            pm.Model,
            "logp_dlogp_function",
            _wrap(pm.Model, "logp_dlogp_function", timers, "compile"),
        ),
    ]
    try:
        import nutpie

        patches.append(
            (nutpie, "compile_pymc_model", _wrap(nutpie, "compile_pymc_model", timers, "compile"))
        )
    except ImportError:
        pass
    try:
        yield timers
    finally:
        for owner, attr, original in patches:
            setattr(owner, attr, original)


# ---------------------------------------------------------------- the three runs
def bambi_model(df: pd.DataFrame):
    import bambi as bmb
    import pymc as pm

    from satprofit.bayes import SatisfactionModel
    from satprofit.bayes.satisfaction import PREDICTORS

    cfg = SatisfactionModel.default_model_config
    priors = {p: bmb.Prior("Normal", mu=0.0, sigma=cfg["beta_sd"]) for p in PREDICTORS}
    for g in GROUPS:
        priors[f"1|{g}"] = bmb.Prior(
            "Normal", mu=0.0, sigma=bmb.Prior("HalfNormal", sigma=cfg["group_sd"])
        )
    priors["threshold"] = bmb.Prior(
        "Normal",
        mu=np.array([-2.0, -1.0, 0.0, 1.5]),
        sigma=cfg["cut_sd"],
        transform=pm.distributions.transforms.ordered,
    )
    formula = "csat ~ " + " + ".join([*PREDICTORS, *(f"(1|{g})" for g in GROUPS)])
    return bmb.Model(formula, df, family="cumulative", priors=priors)


def fit_run(run: str, data, df, args) -> tuple:
    """One timed fit; returns (idata, timers)."""
    timers = Timers()
    seed = args.seed
    if run in ("satprofit", "satprofit-nutpie"):
        from satprofit.bayes import SatisfactionModel

        model = SatisfactionModel()
        _wrap(model, "build_model", timers, "build")  # instance attribute: only this object
        sampler = "nutpie" if run == "satprofit-nutpie" else "pymc"
        kwargs = {"target_accept": args.target_accept} if args.target_accept else {}
        with instrumented(timers), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            result = model.fit(
                data,
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                cores=args.cores,
                random_seed=seed,
                sampler=sampler,
                **kwargs,
            )
            timers["wall"] = time.perf_counter() - t0
        return result.idata, timers
    if run == BASELINE:
        kwargs = {"target_accept": args.target_accept} if args.target_accept else {}
        with instrumented(timers), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            model = bambi_model(df)
            model.build()
            timers["build"] = time.perf_counter() - t0
            idata = model.fit(
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                cores=args.cores,
                random_seed=seed,
                progressbar=False,
                **kwargs,
            )
            timers["wall"] = time.perf_counter() - t0
        return idata, timers
    raise ValueError(f"unknown run {run!r}")


def warm_up(run: str, data, df) -> None:
    """Compile the run's model once (untimed) so the timed fit finds a warm cache."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if run == "satprofit-nutpie":
            import nutpie

            from satprofit.bayes import SatisfactionModel

            nutpie.compile_pymc_model(SatisfactionModel().build_model(data))
            return
        if run == BASELINE:
            model = bambi_model(df)
            model.build()
            pm_model = model.backend.model
        else:
            from satprofit.bayes import SatisfactionModel

            pm_model = SatisfactionModel().build_model(data)
        pm_model.logp_dlogp_function(ravel_inputs=True)
        pm_model.compile_logp()


def measure(run: str, idata, timers: Timers) -> dict:
    from satprofit.bayes.base import _quiet_arviz

    az = _quiet_arviz()
    post = idata.posterior
    ess_b, ess_t, rhat, means = [], [], [], {}
    for label, (var, coord) in comparable_names(run).items():
        da = post[var]
        if coord is not None:
            dim = next(d for d in da.dims if d not in ("chain", "draw"))
            da = da.sel({dim: coord})
        da = da.squeeze(drop=True)
        values = da.values  # (chain, draw)
        ess_b.append(float(az.ess(values, method="bulk")))
        ess_t.append(float(az.ess(values, method="tail")))
        rhat.append(float(az.rhat(values)))
        means[label] = float(values.mean())
    stats = idata.sample_stats
    div = int(stats["diverging"].sum()) if "diverging" in stats else -1
    steps = int(stats["n_steps"].sum()) if "n_steps" in stats else -1
    compile_s = timers.get("compile", 0.0)
    sample_s = timers.get("pm_sample", float("nan")) - compile_s
    ess_min = min(ess_b)
    return {
        "run": run,
        "wall_s": timers["wall"],
        "build_s": timers.get("build", float("nan")),
        "compile_s": compile_s,
        "sample_s": sample_s,
        "ess_bulk_min": ess_min,
        "ess_tail_min": min(ess_t),
        "ess_per_s": ess_min / timers["wall"],
        "ess_per_sample_s": ess_min / sample_s,
        "cpu_s": timers["cpu"],
        "ess_per_cpu_s": ess_min / timers["cpu"],
        "rhat_max": max(rhat),
        "divergences": div,
        "grad_evals": steps,
        "ess_per_1k_grads": 1000 * ess_min / steps,
        "means": means,
    }


def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (PyMC's forked chain workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def worker(run: str, args) -> dict:
    """Body of one child process: simulate, (warm up,) fit, measure."""
    data, df = bench_data(args.clients, args.quarters, args.seed)
    if args.cache == "warm":
        warm_up(run, data, df)
    load0 = os.getloadavg()[0]
    cpu0 = _cpu_seconds()
    idata, timers = fit_run(run, data, df, args)
    timers["cpu"] = _cpu_seconds() - cpu0
    out = measure(run, idata, timers)
    out["load_avg"] = (load0 + os.getloadavg()[0]) / 2
    out["n_responses"] = int(data.n)
    out["n_clients"] = len(data.clients)
    return out


# ---------------------------------------------------------------- the driver
def available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def run_in_child(run: str, argv: list[str], args) -> dict | None:
    """Run one benchmark in a fresh process with its own PyTensor compile cache."""
    with tempfile.TemporaryDirectory(prefix=f"bench_bayes_{run}_") as tmp:
        env = dict(os.environ)
        flags = [
            f
            for f in env.get("PYTENSOR_FLAGS", "").split(",")
            if f and not f.startswith("base_compiledir")
        ]
        env["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={tmp}/pytensor"])
        env["NUMBA_CACHE_DIR"] = f"{tmp}/numba"
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, *argv, "--worker", run, "--worker-out", str(out)]
        print(f"[{run}] fitting ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode != 0 or not out.exists():
            print(f"[{run}] FAILED (exit code {proc.returncode})", file=sys.stderr)
            return None
        res = json.loads(out.read_text())
        print(
            f"[{run}] done: wall {res['wall_s']:.1f} s, min bulk ESS {res['ess_bulk_min']:.0f}",
            file=sys.stderr,
            flush=True,
        )
        return res


def report(results: list[dict], args) -> pd.DataFrame:
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "means"} for r in results])
    table = table.set_index("run")
    if BASELINE in table.index:
        for col, name in (("ess_per_s", "ratio"), ("ess_per_cpu_s", "cpu_ratio")):
            table[f"{name}_vs_{BASELINE}"] = table[col] / table.loc[BASELINE, col]
    first = results[0]
    print(
        f"\n{args.clients} clients x {args.quarters} quarters (seed {args.seed}): "
        f"{first['n_responses']} csat responses, {first['n_clients']} clients; "
        f"{args.chains} chains x {args.draws} draws after {args.tune} tuning steps, "
        f"{args.cores} cores, {args.cache} PyTensor cache\n"
    )
    timing = ["wall_s", "build_s", "compile_s", "sample_s", "cpu_s", "load_avg"]
    sampling = [c for c in table.columns if c not in (*timing, "n_responses", "n_clients")]
    with pd.option_context(
        "display.width", 200, "display.max_columns", None, "display.float_format", "{:,.2f}".format
    ):
        print(table[timing], end="\n\n")
        print(table[sampling])
        means = pd.DataFrame({r["run"]: r["means"] for r in results})
        print("\nposterior means of the comparable parameters (equivalence check)\n")
        print(means)
    if BASELINE in table.index and "satprofit" in table.index:
        r = table.loc["satprofit", f"ratio_vs_{BASELINE}"]
        print(
            f"\ngoal: satprofit default >= {GOAL}x {BASELINE}'s min bulk ESS per second of wall "
            f"time -> {'met' if r >= GOAL else 'NOT met'} ({r:.2f}x)"
        )
    return table


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--cores", type=int, default=None, help="default: min(chains, CPUs)")
    ap.add_argument("--seed", type=int, default=20240601, help="simulation and sampler seed")
    ap.add_argument(
        "--target-accept",
        type=float,
        default=None,
        help="override every run's target_accept (default: each library's own default)",
    )
    ap.add_argument("--cache", choices=("cold", "warm"), default="cold")
    ap.add_argument("--skip-bambi", action="store_true")
    ap.add_argument("--skip-nutpie", action="store_true")
    ap.add_argument("--only", nargs="+", choices=RUNS, help="run only these")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--worker", choices=RUNS, help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.cores = args.cores or min(args.chains, os.cpu_count() or 1)
    return args


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        res = worker(args.worker, args)
        args.worker_out.write_text(json.dumps(res))
        return 0

    runs = list(args.only or RUNS)
    if args.skip_nutpie and "satprofit-nutpie" in runs:
        runs.remove("satprofit-nutpie")
    if args.skip_bambi and BASELINE in runs:
        runs.remove(BASELINE)
    for run, module in (("satprofit-nutpie", "nutpie"), (BASELINE, "bambi")):
        if run in runs and not available(module):
            print(
                f"{module} is not installed: skipping the {run!r} run. Install the bench extra "
                f"in its own venv (`make bench`, or pip install -e '.[bench]' into .venv-bench)",
                file=sys.stderr,
            )
            runs.remove(run)
    if not runs:
        print("nothing to run", file=sys.stderr)
        return 1
    child_argv = _strip_option(argv, ("--only", "--json"))
    results = [r for run in runs if (r := run_in_child(run, child_argv, args)) is not None]
    if not results:
        return 1
    report(results, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if len(results) == len(runs) else 1


def _strip_option(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """argv without the given options and their values (the children need neither)."""
    out, skip = [], False
    for a in argv:
        if skip and not a.startswith("--"):
            continue
        skip = False
        if a.split("=", 1)[0] in names:
            skip = "=" not in a
            continue
        out.append(a)
    return out


if __name__ == "__main__":
    sys.exit(main())
