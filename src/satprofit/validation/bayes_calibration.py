"""Calibration of the Bayesian models over the family of simulated worlds.

    .venv/bin/python -m satprofit.validation.bayes_calibration --reps 3 --clients 300 --jobs 2
    .venv/bin/python -m satprofit.validation.bayes_calibration --reps 2 --clients 1000 --jobs 2

(the shipped ``bayes_calibration_summary.csv``: both, merged with ``--summary-out``; 30 and 25
minutes on 2 cores at :data:`STUDY_FIT` and target acceptance 0.95, nothing else running,
with the repeat model's deal counts and integrated-out client effects).

The counterpart of :mod:`satprofit.validation.causal_calibration`: per design of
:data:`satprofit.simulate.designs.DESIGNS`, ``reps`` simulated portfolios, every model fitted
with :func:`satprofit.bayes.fit_models` (two chains in one process per fit by default, so
designs and replications run side by side), and a design x estimand table of 95 % interval coverage,
relative bias and relative width (``summarize`` of the causal study), plus the share of fits
that passed the convergence gate (``converged``; coverage is counted over every answered fit
and the gate's pass rate shown beside: short chains, and a gate that fails a fit on any one
parameter).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from satprofit.simulate.designs import DESIGNS
from satprofit.validation.causal_calibration import add_resume_flag, replicate, run_study

#: Sampler settings of a study's fit (the shipped summary's; the CLI's defaults): two chains in
#: one process per fit, so replications run side by side.
STUDY_FIT = {"draws": 1000, "tune": 500, "chains": 2, "cores": 1}


def one_replication(
    design: str,
    seed: int,
    n_clients: int,
    n_quarters: int | None = None,
    fit: dict | None = None,
) -> list[dict]:
    """Simulate one portfolio of ``design``, fit every Bayesian model, compare with truth."""
    from satprofit.bayes import fit_models
    from satprofit.bayes.base import SamplerConfig
    from satprofit.simulate import simulate_portfolio

    settings = SamplerConfig(**STUDY_FIT).replace(**(fit or {}))
    sim = simulate_portfolio(n_clients, n_quarters, seed=seed, design=design)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_models(sim.portfolio, sampler_config=settings.replace(random_seed=seed))
    seconds = time.perf_counter() - t0
    rows = []
    for rec in res.records():
        estimand = rec.get("question") or rec.get("estimand")
        if estimand not in sim.truth.values:
            continue
        truth = sim.truth[estimand]
        status = rec.get("status", "ok")
        lo, hi = float(rec.get("ci_low", np.nan)), float(rec.get("ci_high", np.nan))
        rows.append(
            {
                "design": design,
                "estimand": estimand,
                "seed": seed,
                "truth": truth,
                "estimate": float(rec.get("estimate", np.nan)),
                "ci_low": lo,
                "ci_high": hi,
                "status": status,
                "converged": bool(rec.get("converged", True)),
                "covered": bool(lo <= truth <= hi),
                "seconds": seconds,
            }
        )
    return rows


def _run(task: tuple) -> list[dict]:
    return one_replication(*task)


def calibrate(
    designs: list[str] | None = None,
    n_reps: int = 3,
    n_clients: int = 300,
    n_quarters: int | None = None,
    *,
    seed0: int = 2000,
    fit: dict | None = None,
    jobs: int = 1,
    progress: str | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Every replication of every design (one row per estimand and replication); with
    ``progress``, rows are appended to that CSV as replications finish."""
    return replicate(
        _run, designs, n_reps, seed0, (n_clients, n_quarters, fit), jobs, progress, resume
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Calibration of satprofit's Bayesian models")
    ap.add_argument("--designs", default="all", help="comma-separated design names, or all")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--quarters", type=int, default=None)
    ap.add_argument("--seed0", type=int, default=2000)
    ap.add_argument("--draws", type=int, default=STUDY_FIT["draws"])
    ap.add_argument("--tune", type=int, default=STUDY_FIT["tune"])
    ap.add_argument("--chains", type=int, default=STUDY_FIT["chains"])
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", help="CSV file for every replication's row")
    ap.add_argument("--rows", help="rebuild the table from a CSV written by --out (no fits)")
    add_resume_flag(ap)
    ap.add_argument(
        "--summary-out",
        help="merge the table into this summary CSV (the package ships one as "
        "validation/bayes_calibration_summary.csv, quoted by the reports)",
    )
    args = ap.parse_args(argv)
    designs = list(DESIGNS) if args.designs == "all" else args.designs.split(",")
    return run_study(
        args,
        lambda progress: calibrate(
            designs,
            args.reps,
            args.clients,
            args.quarters,
            seed0=args.seed0,
            fit={**STUDY_FIT, "draws": args.draws, "tune": args.tune, "chains": args.chains},
            jobs=args.jobs,
            progress=progress,
            resume=args.resume,
        ),
        extra={"converged": "converged"},
    )


if __name__ == "__main__":
    sys.exit(main())
