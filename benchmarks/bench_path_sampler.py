"""Benchmark: the survey path model's samplers side by side, nutpie (default) vs PyMC's NUTS.

The same model (:func:`satprofit.survey.bayes_model.build_model` on ECSI, 250 respondents x 27
items, single level; or a simulated portfolio with ``--clients N``, multilevel), the same
chains, tuning and draws, run one after the other in this process:

- ``pymc`` (baseline): ``pm.sample`` with a diagonal mass matrix (``backend="pymc"``);
- ``nutpie``: nutpie's NUTS on the numba-compiled model with its low-rank modified mass matrix
  (``backend="nutpie"``, the default of :class:`satprofit.survey.PathSampler`).

    .venv/bin/python benchmarks/bench_path_sampler.py                      # ECSI, 2 x 500 after 500
    .venv/bin/python benchmarks/bench_path_sampler.py --draws 1000 --tune 1000 --chains 4
    .venv/bin/python benchmarks/bench_path_sampler.py --clients 100        # simulated, multilevel

Prints wall time (compilation included), R-hat max and min bulk/tail ESS of the gated
quantities (standardized paths, effects, R-squared, loadings), divergences, ESS per second, and
the ratios nutpie / pymc. Run it on an idle machine (``uptime`` is printed): both chains run at
once on a 2-core machine and any other job slows both.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load(clients: int | None, seed: int):
    """(data, spec) of ECSI or of a simulated portfolio's survey items."""
    from satprofit.simulate import simulate_portfolio
    from satprofit.survey import load_spec, read_portfolio_survey, read_survey

    if clients is None:
        spec = load_spec("ecsi")
        return read_survey(REPO / "data" / "external" / "ecsi_satisfaction.csv", spec), spec
    spec = load_spec("satprofit_survey")
    folder = Path(tempfile.mkdtemp(prefix="bench_paths_")) / "p"
    simulate_portfolio(n_clients=clients, n_quarters=12, seed=seed).write(folder)
    return read_portfolio_survey(folder, spec), spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, help="simulated portfolio of N clients (not ECSI)")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from satprofit.survey.bayes_paths import BayesPathConvergenceWarning, fit_bayes_paths

    data, spec = load(args.clients, args.seed)
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    print(
        f"data: {'ECSI' if args.clients is None else f'{args.clients} simulated clients'}, "
        f"{args.chains} chains x {args.draws} draws after {args.tune}"
    )
    rows = {}
    for backend in ("pymc", "nutpie"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BayesPathConvergenceWarning)
            result = fit_bayes_paths(
                data,
                spec,
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                seed=args.seed,
                backend=backend,
            )
        seconds = time.perf_counter() - start
        d = result.diagnostics
        rows[backend] = (seconds, d["rhat_max"], d["ess_min"], d["divergences"])
        print(
            f"{backend:>7}: {seconds:7.1f} s  R-hat max {d['rhat_max']:.3f}  min ESS "
            f"{d['ess_min']:6.0f}  divergences {d['divergences']:3d}  ESS/s "
            f"{d['ess_min'] / seconds:6.2f}",
            flush=True,
        )
    (s0, _, e0, _), (s1, _, e1, _) = rows["pymc"], rows["nutpie"]
    print(
        f"nutpie / pymc: wall time {s1 / s0:.2f}x, min ESS {e1 / e0:.2f}x, "
        f"ESS per second {(e1 / s1) / (e0 / s0):.2f}x"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
