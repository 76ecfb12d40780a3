"""Benchmark: regression adjustment with high-cardinality confounders, absorbed vs dummies.

When the same people appear as sales owner and delivery team, adjusting for both used to expand
thousands of dummy columns (1,900 on 3,000 projects: 2.2 GB and 4 minutes at 19,000 projects).
satprofit now absorbs categorical confounders with more than
``satprofit.causal.design.MAX_DENSE_LEVELS`` levels (alternating projections, then OLS on the
residuals; cluster-robust by client). This script builds a synthetic ``quality_to_csat``
question table (projects of clients, each with a sales owner and a delivery team drawn from
one pool of people, period, industry, region and client traits; a confounded continuous
treatment), then

1. times the absorbed estimate at full size (default 100,000 projects, 20,000 clients, 2,000
   people) and reports its peak traced memory and the process's peak resident memory;
2. at a size where dummies are feasible (default 3,000 projects, ~1,900 dummies) runs the
   dense-dummy fit and the absorbed fit side by side in this process: time and memory ratio,
   and the largest difference of estimate and standard error.

    .venv/bin/python benchmarks/bench_adjustment.py                       # full size
    .venv/bin/python benchmarks/bench_adjustment.py --projects 20000 --clients 4000 --people 400

Timings on a shared machine come out slower; the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from satprofit.causal.regression import regression_adjustment
from satprofit.features.questions import QuestionTable

ADJUSTMENT = (
    "sales_owner",
    "delivery_team",
    "industry",
    "region",
    "period",
    "size_rank",
    "tenure_years",
    "csat_prior",
)


def synthetic_table(n_projects: int, n_clients: int, n_people: int, seed: int) -> QuestionTable:
    """A ``quality_to_csat`` table whose owners and teams come from one pool of people.

    Each client has a usual owner and team (70 % of its projects), otherwise anyone; skill
    of the team and the client's latent trait drive the on-time rate and satisfaction.
    """
    rng = np.random.default_rng(seed)
    client = rng.integers(0, n_clients, n_projects)
    usual_owner = rng.integers(0, n_people, n_clients)
    usual_team = rng.integers(0, n_people, n_clients)
    owner = np.where(
        rng.random(n_projects) < 0.7, usual_owner[client], rng.integers(0, n_people, n_projects)
    )
    team = np.where(
        rng.random(n_projects) < 0.7, usual_team[client], rng.integers(0, n_people, n_projects)
    )
    skill = rng.normal(0, 0.5, n_people)
    trait = rng.normal(0, 0.5, n_clients)
    size = rng.integers(0, 4, n_clients)[client].astype(float)
    t = 1 / (
        1 + np.exp(-(0.8 + skill[team] + 0.3 * trait[client] + rng.normal(0, 0.8, n_projects)))
    )
    y = 7 + 1.2 * t + 0.4 * skill[owner] + trait[client] + 0.1 * size + rng.normal(0, 1, n_projects)
    d = pd.DataFrame(
        {
            "project_id": np.arange(n_projects),
            "client_id": pd.Series(client).map("c{:06d}".format),
            "sales_owner": pd.Series(owner).map("p{:05d}".format),
            "delivery_team": pd.Series(team).map("p{:05d}".format),
            "industry": rng.choice(list("ABCDEF"), n_clients)[client],
            "region": rng.choice(list("NESW"), n_clients)[client],
            "period": rng.choice(
                [f"2025Q{q}" for q in range(1, 5)] + [f"2026Q{q}" for q in range(1, 5)], n_projects
            ),
            "size_rank": size,
            "tenure_years": rng.gamma(2.0, 2.0, n_clients)[client],
            "csat_prior": np.clip(7 + trait[client] + rng.normal(0, 1, n_projects), 0, 10),
            "ontime_rate": t,
            "csat": y,
        }
    )
    return QuestionTable(
        "quality_to_csat",
        d,
        ("project_id",),
        "ontime_rate",
        "csat",
        "continuous",
        0.1,
        1.0,
        ADJUSTMENT,
        categorical=("sales_owner", "delivery_team", "industry", "region", "period"),
    )


def run(qt: QuestionTable, *, dense: bool) -> dict:
    """One estimate with client fixed effects; time, traced peak and the result."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    r = regression_adjustment(
        qt, ADJUSTMENT, client_fe=True, max_dense_levels=10**9 if dense else 50
    )
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "fit": "dense dummies" if dense else "absorbed",
        "projects": qt.n,
        "clients": qt.data["client_id"].nunique(),
        "people": pd.concat([qt.data["sales_owner"], qt.data["delivery_team"]]).nunique(),
        "dense_columns": r.diagnostics["n_covariates"],
        "sweeps": r.diagnostics["absorb_sweeps"],
        "seconds": round(seconds, 2),
        "peak_traced_mb": round(peak / 2**20, 1),
        "estimate": r.estimate,
        "se": r.se,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--projects", type=int, default=100_000)
    p.add_argument("--clients", type=int, default=20_000)
    p.add_argument("--people", type=int, default=2_000, help="pool of owners and teams")
    p.add_argument("--dense-projects", type=int, default=3_000)
    p.add_argument("--dense-clients", type=int, default=600)
    p.add_argument("--dense-people", type=int, default=950)
    p.add_argument("--skip-full", action="store_true", help="only the side-by-side comparison")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    small = synthetic_table(args.dense_projects, args.dense_clients, args.dense_people, args.seed)
    rows = [run(small, dense=True), run(small, dense=False)]
    if not args.skip_full:
        full = synthetic_table(args.projects, args.clients, args.people, args.seed)
        rows.append(run(full, dense=False))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200):
        print(table.to_string(index=False))
    d, a = rows[0], rows[1]
    print(
        f"\nside by side at {d['projects']:,} projects: absorbed is "
        f"{d['seconds'] / max(a['seconds'], 1e-9):.1f}x faster and uses "
        f"{d['peak_traced_mb'] / max(a['peak_traced_mb'], 1e-9):.1f}x less peak memory; "
        f"|estimate difference| {abs(d['estimate'] - a['estimate']):.2e}, "
        f"|se difference| {abs(d['se'] - a['se']):.2e}"
    )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"process peak resident memory {maxrss:,.0f} MB; load average {load} ({os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
