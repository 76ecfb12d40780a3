"""Repeat-business model at scale: absorbed client effects vs client dummies, side by side.

    .venv/bin/python benchmarks/bench_repeat_scale.py --clients 1500 --big 20000

Baseline (named): the same Poisson PML with one dummy column per client (statsmodels GLM,
the previous implementation), at ``--clients`` where it is still feasible. Prints both fits'
time and peak traced memory, their ratio and the largest coefficient difference; then the
absorbed fit alone on a ``--big``-client portfolio (the whole ``csat_to_repeat.value``
estimate, simulation excluded). Run on an idle machine; the load is printed beside.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
import pandas as pd
import statsmodels.api as sm

from satprofit.causal.design import demean
from satprofit.causal.ppml import ppml_fe
from satprofit.causal.regression import full_rank
from satprofit.causal.repeat import _lag_design, _sample, repeat_dynamics
from satprofit.features.repeat_panel import decision_lags, quarterly_panel
from satprofit.simulate import simulate_portfolio


def _measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def _rows(portfolio):
    p = quarterly_panel(portfolio)
    n_lags = decision_lags(portfolio)
    s = _sample(p, n_lags)
    s = s[s.groupby("client_id")["flow_value"].transform("sum") > 0].reset_index(drop=True)
    x, _ = _lag_design(s, n_lags)
    cl = pd.factorize(s["client_id"])[0]
    fe_t = pd.get_dummies(s["t"], drop_first=True, dtype=float).to_numpy()
    y = s["flow_value"].to_numpy(float) / s["flow_value"].mean()
    return y, x, fe_t, cl


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1500)
    ap.add_argument("--big", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"load before: {os.getloadavg()[0]:.2f}")
    sim = simulate_portfolio(args.clients, 12, seed=args.seed)
    y, x, fe_t, cl = _rows(sim.portfolio)
    k = x.shape[1]

    def absorbed():
        return ppml_fe(y, full_rank(demean(np.column_stack([x, fe_t]), cl), k), cl).params[:k]

    def dummies():
        fe_c = pd.get_dummies(cl, drop_first=True, dtype=float).to_numpy()
        design = np.column_stack([np.ones(len(y)), x, fe_t, fe_c])
        fit = sm.GLM(y, design, family=sm.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": cl}
        )
        return fit.params[1 : 1 + k]

    a, ta, ma = _measure(absorbed)
    d, td, md = _measure(dummies)
    print(f"{args.clients} clients, {len(y)} client-quarters, {k} regressors")
    print(f"  dummy GLM (baseline): {td:8.2f} s  peak {md:8.1f} MB")
    print(f"  absorbed PPML       : {ta:8.2f} s  peak {ma:8.1f} MB")
    print(
        f"  ratio time {td / ta:.1f}x, memory {md / ma:.1f}x; max |diff| {np.abs(a - d).max():.2e}"
    )
    big = simulate_portfolio(args.big, 12, seed=args.seed)
    est, tb, mb = _measure(lambda: repeat_dynamics(big.portfolio, "value"))
    print(
        f"{args.big} clients: csat_to_repeat.value estimate {tb:.1f} s, peak traced {mb:.0f} MB "
        f"(estimate {est.estimate:,.0f}, truth {big.truth['csat_to_repeat.value']:,.0f})"
    )
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
