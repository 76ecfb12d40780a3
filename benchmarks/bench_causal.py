"""Benchmark: satprofit's default estimators vs DoWhy's, for the binary-treatment questions.

Baselines, run side by side on the same simulated portfolios and the same adjustment set (the
back-door set satprofit derives from its DAG, one-hot encoded):

* DoWhy ``backdoor.linear_regression``;
* DoWhy ``backdoor.propensity_score_weighting`` (inverse probability weights).

satprofit's default is g-computation (regression adjustment) for presales_signoff and
cross-fitted AIPW for sales_in_escalations; satprofit's AIPW is also shown for presales_signoff.
Reported per question and method:
bias and RMSE against the simulator's truth over replications, and the median run time.

    .venv/bin/pip install -e '.[bench]'      # dowhy is a benchmark-only dependency
    .venv/bin/python benchmarks/bench_causal.py --reps 20 --clients 300
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from satprofit.causal import estimate
from satprofit.causal.dag import identify
from satprofit.features import question_table
from satprofit.simulate import simulate_portfolio

QUESTIONS = ("presales_signoff", "sales_in_escalations")


def dowhy_estimate(qt, columns: tuple[str, ...], method: str) -> float:
    from dowhy import CausalModel

    d = qt.data
    parts = []
    for c in columns:
        if c not in d.columns:
            continue
        if c in qt.categorical or not pd.api.types.is_numeric_dtype(d[c]):
            parts.append(pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float))
        else:
            parts.append(d[[c]].astype(float))
    x = pd.concat(parts, axis=1)
    x.columns = [f"x{i}" for i in range(x.shape[1])]  # DoWhy parses names into formulas
    frame = pd.concat(
        [
            x,
            pd.DataFrame(
                {
                    "treat": d[qt.treatment].astype(bool).to_numpy(),
                    "y": d[qt.outcome].to_numpy(float),
                }
            ),
        ],
        axis=1,
    )
    model = CausalModel(data=frame, treatment="treat", outcome="y", common_causes=list(x.columns))
    estimand = model.identify_effect(
        proceed_when_unidentifiable=True, method_name="maximal-adjustment"
    )
    params = {"weighting_scheme": "ips_weight"} if "weighting" in method else {}
    est = model.estimate_effect(estimand, method_name=method, method_params=params)
    return float(est.value) * qt.outcome_scale


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--seed0", type=int, default=500)
    args = ap.parse_args(argv)
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    methods = {
        "satprofit default": None,
        "satprofit aipw": "aipw",
        "DoWhy backdoor.linear_regression": "backdoor.linear_regression",
        "DoWhy backdoor.propensity_score_weighting": "backdoor.propensity_score_weighting",
    }
    rows = []
    for rep in range(args.reps):
        sim = simulate_portfolio(args.clients, 12, seed=args.seed0 + rep)
        for q in QUESTIONS:
            qt = question_table(sim.portfolio, q)
            cols = identify(q, client_fe=False).columns
            truth = sim.truth[q]
            for name, m in methods.items():
                t0 = time.perf_counter()
                if m is None or m == "aipw":
                    value = estimate(sim.portfolio, q, m, seed=rep)[q].estimate
                else:
                    value = dowhy_estimate(qt, cols, m)
                rows.append(
                    {
                        "question": q,
                        "method": name,
                        "error": value - truth,
                        "seconds": time.perf_counter() - t0,
                    }
                )
        print(f"replication {rep + 1}/{args.reps} done", file=sys.stderr, flush=True)
    d = pd.DataFrame(rows)
    table = d.groupby(["question", "method"], sort=False).agg(
        bias=("error", "mean"),
        rmse=("error", lambda e: float(np.sqrt(np.mean(np.square(e))))),
        median_seconds=("seconds", statistics.median),
    )
    best = table.groupby(level="question")["rmse"].transform(
        lambda r: r[~r.index.get_level_values("method").str.startswith("satprofit")].min()
    )
    table["rmse_ratio_vs_best_dowhy"] = table["rmse"] / best
    print(f"\n{args.reps} replications, {args.clients} clients x 12 quarters each\n")
    with pd.option_context(
        "display.width", 250, "display.max_columns", None, "display.float_format", "{:,.4f}".format
    ):
        print(table)
    ok = table.xs("satprofit default", level="method")["rmse_ratio_vs_best_dowhy"]
    print(
        "\ngoal: satprofit RMSE no worse than the best DoWhy estimator -> "
        + ", ".join(f"{q}: {'met' if r <= 1.0 else 'NOT met'} ({r:.2f})" for q, r in ok.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
