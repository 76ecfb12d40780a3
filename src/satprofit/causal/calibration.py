"""Interval coverage of the default estimators over simulated replications.

    .venv/bin/python -m satprofit.causal.calibration --reps 30 --clients 300

prints, per estimand, how often the 95 % interval covered the true value, the mean estimate
and truth, bias and RMSE. The slow test suite runs it and asserts coverage >= 85 %.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from satprofit.causal.api import estimate_all
from satprofit.simulate import Effects, simulate_portfolio


def coverage(
    n_reps: int = 30,
    n_clients: int = 300,
    n_quarters: int = 12,
    *,
    seed0: int = 1000,
    n_boot: int = 100,
    effects: Effects | None = None,
) -> pd.DataFrame:
    """Coverage table over ``n_reps`` independent simulated portfolios (seeds seed0, ...)."""
    rows = []
    for rep in range(n_reps):
        sim = simulate_portfolio(n_clients, n_quarters, seed=seed0 + rep, effects=effects)
        est = estimate_all(sim.portfolio, n_boot=n_boot, seed=seed0 + rep)
        for r in est:
            truth = sim.truth[r.estimand]
            rows.append(
                {
                    "estimand": r.estimand,
                    "rep": rep,
                    "truth": truth,
                    "estimate": r.estimate,
                    "covered": r.covers(truth),
                    "width": r.ci_high - r.ci_low,
                }
            )
    d = pd.DataFrame(rows)
    g = d.groupby("estimand", sort=False)
    out = pd.DataFrame(
        {
            "coverage": g["covered"].mean(),
            "mean_truth": g["truth"].mean(),
            "mean_estimate": g["estimate"].mean(),
            "bias": g.apply(lambda f: (f["estimate"] - f["truth"]).mean(), include_groups=False),
            "rmse": g.apply(
                lambda f: np.sqrt(((f["estimate"] - f["truth"]) ** 2).mean()), include_groups=False
            ),
            "mean_width": g["width"].mean(),
            "reps": g.size(),
        }
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Interval coverage of satprofit's estimators")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--boot", type=int, default=100)
    args = ap.parse_args(argv)
    table = coverage(args.reps, args.clients, args.quarters, seed0=args.seed0, n_boot=args.boot)
    with pd.option_context(
        "display.width", 250, "display.max_columns", None, "display.float_format", "{:,.4g}".format
    ):
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
