"""Recovery table of the Bayesian models: truth vs posterior median and 95 % interval.

Simulates a portfolio with known truth, fits every Bayesian model (``fit_models``) and prints,
for each question id the models answer, the truth, the posterior median, the 95 % interval,
whether it covers the truth, and the default causal estimate beside it (the named baseline).

Run::

    .venv/bin/python benchmarks/bayes_recovery.py --clients 120 --seed 12345 --chains 4
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from satprofit.bayes import ConvergenceWarning, fit_models
from satprofit.causal import estimate_all
from satprofit.simulate import simulate_portfolio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=120)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    args = ap.parse_args()
    sim = simulate_portfolio(n_clients=args.clients, n_quarters=args.quarters, seed=args.seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = fit_models(
            sim.portfolio,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
        )
    seconds = time.perf_counter() - t0
    causal = {r.estimand: r for r in estimate_all(sim.portfolio, seed=args.seed)}
    rows = []
    for rec in fit.records():
        q = rec["question"]
        c = causal.get(q)
        rows.append(
            {
                "question": q,
                "truth": sim.truth[q],
                "posterior median": rec["estimate"],
                "95% low": rec["ci_low"],
                "95% high": rec["ci_high"],
                "covers": rec["ci_low"] <= sim.truth[q] <= rec["ci_high"],
                "causal (default)": c.estimate if c is not None else float("nan"),
                "causal covers": c.covers(sim.truth[q]) if c is not None else None,
                "converged": rec["converged"],
            }
        )
    table = pd.DataFrame(rows).set_index("question")
    print(
        f"{args.clients} clients x {args.quarters} quarters, seed {args.seed}; "
        f"{args.chains} chains x {args.draws} draws (+{args.tune} tuning); fit {seconds:.0f} s\n"
    )
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(table.to_string(float_format=lambda v: f"{v:,.4g}"))
    print()
    print(fit.diagnostics().to_string(float_format=lambda v: f"{v:,.4g}"))


if __name__ == "__main__":
    main()
