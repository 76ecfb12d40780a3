"""Calibration of the default causal estimators over a family of simulated worlds.

    .venv/bin/python -m satprofit.validation.causal_calibration --reps 10 --clients 400 --jobs 2
    .venv/bin/python -m satprofit.validation.causal_calibration --designs default,funnel \\
        --reps 3 --clients 1500              # large-sample check: bias cannot hide in width

For every design of :data:`satprofit.simulate.designs.DESIGNS` and every estimand, it simulates
``reps`` independent portfolios, estimates every question with its default method and prints a
design x estimand table of

* ``coverage``: share of replications whose 95 % interval holds the true value,
* ``rel_bias``: mean (estimate - truth) / mean |truth|,
* ``rel_width``: mean interval width / mean |truth|,
* ``answered``: share of replications with an answer (refusals and failures are not answers;
  a refusal is the right outcome where the design makes an estimand unidentifiable).

Goals per cell (issue 10): coverage >= 90 %, |rel_bias| <= 10 %, and for the repeat-business
questions rel_width <= 2. Replications run in parallel processes (``--jobs``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import pandas as pd

from satprofit.files import atomic_path
from satprofit.processes import worker_context
from satprofit.simulate.designs import DESIGNS

#: Goals of a cell of the calibration table.
GOAL_COVERAGE = 0.90
GOAL_REL_BIAS = 0.10
GOAL_REL_WIDTH = 2.0
REPEAT_ESTIMANDS = (
    "csat_to_repeat.value",
    "csat_to_repeat.margin",
    "quality_to_repeat.total",
    "quality_to_repeat.direct",
    "quality_to_repeat.indirect",
)


def one_replication(
    design: str,
    seed: int,
    n_clients: int,
    n_quarters: int | None = None,
    questions: tuple[str, ...] | None = None,
    n_boot: int = 100,
) -> list[dict]:
    """Simulate one portfolio of ``design`` and estimate every (or the given) question."""
    from satprofit.causal.api import estimate_all
    from satprofit.constants import QUESTION_IDS
    from satprofit.simulate import simulate_portfolio

    sim = simulate_portfolio(n_clients, n_quarters, seed=seed, design=design)
    t0 = time.perf_counter()
    est = estimate_all(sim.portfolio, questions=questions or QUESTION_IDS, n_boot=n_boot, seed=seed)
    seconds = time.perf_counter() - t0
    rows = []
    for r in est:
        truth = sim.truth[r.estimand]
        rows.append(
            {
                "design": design,
                "estimand": r.estimand,
                "seed": seed,
                "truth": truth,
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "status": getattr(r, "status", "ok"),
                "covered": bool(r.covers(truth)),
                "seconds": seconds,
            }
        )
    return rows


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Design x estimand table of coverage, relative bias and width, and answer rate."""
    d = rows.copy()
    d["answered"] = d["status"].eq("ok") & np.isfinite(d["estimate"])
    d["width"] = d["ci_high"] - d["ci_low"]
    out = []
    for (design, estimand), g in d.groupby(["design", "estimand"], sort=False):
        a = g[g["answered"]]
        scale = float(np.abs(g["truth"]).mean()) or np.nan
        out.append(
            {
                "design": design,
                "estimand": estimand,
                "reps": len(g),
                "answered": float(g["answered"].mean()),
                "truth": float(g["truth"].mean()),
                "estimate": float(a["estimate"].mean()) if len(a) else np.nan,
                "coverage": float(a["covered"].mean()) if len(a) else np.nan,
                "rel_bias": float((a["estimate"] - a["truth"]).mean() / scale)
                if len(a)
                else np.nan,
                "rel_width": float(a["width"].mean() / scale) if len(a) else np.nan,
                # Monte Carlo standard error of rel_bias: with few replications a bias
                # within about two of these is indistinguishable from none
                "bias_mcse": float((a["estimate"] - a["truth"]).std(ddof=1) / scale)
                / np.sqrt(len(a))
                if len(a) > 1
                else np.nan,
            }
        )
    return pd.DataFrame(out).set_index(["design", "estimand"])


def meets_goals(table: pd.DataFrame) -> pd.Series:
    """Whether each answered cell meets the coverage, bias and (repeat questions) width goals."""
    width_ok = np.where(
        table.index.get_level_values("estimand").isin(REPEAT_ESTIMANDS),
        table["rel_width"] <= GOAL_REL_WIDTH,
        True,
    )
    return (
        (table["coverage"] >= GOAL_COVERAGE)
        & (table["rel_bias"].abs() <= GOAL_REL_BIAS)
        & pd.Series(width_ok, index=table.index)
    )


def calibrate(
    designs: list[str] | None = None,
    n_reps: int = 10,
    n_clients: int = 400,
    n_quarters: int | None = None,
    *,
    seed0: int = 1000,
    n_boot: int = 100,
    questions: tuple[str, ...] | None = None,
    jobs: int = 1,
    progress: str | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Every replication of every design (one row per estimand and replication); with
    ``progress``, rows are appended to that CSV as replications finish."""
    return replicate(
        _run,
        designs,
        n_reps,
        seed0,
        (n_clients, n_quarters, questions, n_boot),
        jobs,
        progress,
        resume,
    )


def _run(task: tuple) -> list[dict]:
    return one_replication(*task)


def coverage(
    n_reps: int = 30,
    n_clients: int = 300,
    n_quarters: int = 12,
    *,
    seed0: int = 1000,
    n_boot: int = 100,
    design: str = "default",
) -> pd.DataFrame:
    """Per-estimand table for one design (kept for callers of the single-design study)."""
    rows = calibrate([design], n_reps, n_clients, n_quarters, seed0=seed0, n_boot=n_boot)
    return summarize(rows).loc[design]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Calibration of satprofit's causal estimators")
    ap.add_argument("--designs", default="all", help="comma-separated design names, or all")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--clients", type=int, default=400)
    ap.add_argument("--quarters", type=int, default=None)
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--questions", default="", help="comma-separated question ids (default all)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", help="CSV file for every replication's row")
    ap.add_argument(
        "--rows",
        help="rebuild the table from a CSV of replication rows written by --out (no new runs)",
    )
    add_resume_flag(ap)
    ap.add_argument(
        "--summary-out",
        help="merge the design x estimand table into this summary CSV (rows of the same "
        "portfolio size are replaced); the package ships one as "
        "validation/causal_calibration_summary.csv",
    )
    args = ap.parse_args(argv)
    designs = list(DESIGNS) if args.designs == "all" else args.designs.split(",")
    questions = tuple(q for q in args.questions.split(",") if q) or None
    return run_study(
        args,
        lambda progress: calibrate(
            designs,
            args.reps,
            args.clients,
            args.quarters,
            seed0=args.seed0,
            n_boot=args.boot,
            questions=questions,
            jobs=args.jobs,
            progress=progress,
            resume=args.resume,
        ),
    )


def add_resume_flag(ap: argparse.ArgumentParser) -> None:
    """``--resume``: go on with a study that stopped part way (both studies' command lines)."""
    ap.add_argument(
        "--resume",
        action="store_true",
        help="keep the replications already in OUT.partial (a study stopped part way) and "
        "run only the missing ones; give the same arguments as the stopped run",
    )


def run_study(args, compute, extra: dict | None = None) -> int:
    """The shared end of both studies' command lines: the replication rows from ``--rows``
    or ``compute(progress_csv)``, the printed table (``--out`` keeps the rows) and the
    ``--summary-out`` merge."""
    t0 = time.perf_counter()
    if args.rows:
        rows = pd.read_csv(args.rows)
    else:
        rows = compute(f"{args.out}.partial" if args.out else None)
    table = report(rows, args.out, t0, extra=extra)
    if args.summary_out:
        write_summary(table, args.clients, args.summary_out)
    return 0


def write_summary(table: pd.DataFrame, n_clients: int, path: str) -> pd.DataFrame:
    """Merge ``table`` (from :func:`summarize`) into the summary CSV at ``path`` under
    ``clients = n_clients``, replacing earlier rows of that size; written atomically."""
    new = table.reset_index().assign(clients=n_clients)
    cols = ["clients", "design", "estimand", "reps", "answered", "truth", "estimate"]
    cols += ["coverage", "rel_bias", "bias_mcse", "rel_width", "converged", "meets_goals"]
    new = new[[c for c in cols if c in new.columns]]
    if os.path.exists(path):
        old = pd.read_csv(path)
        new = pd.concat([old[old["clients"] != n_clients], new], ignore_index=True)
    new = new.sort_values(["clients", "design", "estimand"], kind="stable")
    with atomic_path(path) as tmp:  # tagged, the umask's permissions
        new.to_csv(tmp, index=False, float_format="%.6g")
    return new


def report(
    rows: pd.DataFrame, out: str | None, t0: float, extra: dict | None = None
) -> pd.DataFrame:
    """Save every replication's row (``out``) and print the design x estimand table, with
    ``extra`` columns (name -> per-row column averaged per cell) beside the goals."""
    if out:
        rows.to_csv(out, index=False)
    table = summarize(rows)
    for name, column in (extra or {}).items():
        table[name] = rows.groupby(["design", "estimand"], sort=False)[column].mean()
    table["meets_goals"] = meets_goals(table)
    with pd.option_context(
        "display.width",
        250,
        "display.max_rows",
        None,
        "display.max_columns",
        None,
        "display.float_format",
        "{:,.3g}".format,
    ):
        print(table)
    print(f"\n{len(rows)} rows in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return table


def replicate(
    run, designs, n_reps: int, seed0: int, settings: tuple, jobs: int, progress, resume: bool
) -> pd.DataFrame:
    """``run((design, seed, *settings))`` for ``n_reps`` seeds from ``seed0`` of every design
    (all designs when None), through :func:`run_tasks`; rows sorted by design and seed."""
    tasks = [
        (design, seed0 + rep, *settings)
        for design in (designs or list(DESIGNS))
        for rep in range(n_reps)
    ]
    rows = run_tasks(run, tasks, jobs, progress, resume=resume)
    return rows.sort_values(["design", "seed"], kind="stable", ignore_index=True)


def run_tasks(
    run, tasks: list[tuple], jobs: int, progress: str | None = None, *, resume: bool = False
) -> pd.DataFrame:
    """``run(*task)`` (a list of row dicts) for every task, in ``jobs`` processes.

    With ``progress`` (a CSV path) each finished task's rows are appended as they come, so a
    long study that is stopped keeps what it computed (rebuild the table with ``--rows``).
    With ``resume``, the tasks already in ``progress`` (keyed by their first two items,
    design and seed) are kept and not run again, so a stopped study goes on where it stopped
    (run it with the same arguments); without it, an old ``progress`` file is replaced."""
    results: list[list[dict]] = []

    def keep(rows: list[dict]) -> None:
        results.append(rows)
        if progress and rows:
            new = not os.path.exists(progress) or os.path.getsize(progress) == 0
            pd.DataFrame(rows).to_csv(progress, mode="a", header=new, index=False)

    done = _finished(progress) if resume and progress else None
    if done is not None and not done.empty:
        finished = set(zip(done["design"], done["seed"], strict=True))
        results.append(done.to_dict("records"))
        tasks = [t for t in tasks if (t[0], t[1]) not in finished]
        with atomic_path(progress) as tmp:  # only whole replications stay
            done.to_csv(tmp, index=False)
    elif progress and os.path.exists(progress):
        os.remove(progress)
    if jobs > 1 and len(tasks) > 1:
        # workers that die with the study (a killed study left them sampling for minutes)
        with ProcessPoolExecutor(jobs, mp_context=worker_context()) as pool:
            for fut in as_completed([pool.submit(run, t) for t in tasks]):
                keep(fut.result())
    else:
        for t in tasks:
            keep(run(t))
    return pd.DataFrame([row for rows in results for row in rows])


def _finished(progress: str) -> pd.DataFrame | None:
    """The whole replications in a progress CSV (a replication cut short while its rows
    were being appended has fewer rows than the others and is dropped)."""
    if not os.path.exists(progress) or os.path.getsize(progress) == 0:
        return None
    rows = pd.read_csv(progress, on_bad_lines="skip")
    rows = rows.dropna(subset=["design", "seed", "estimand"])
    if rows.empty:
        return rows
    rows["seed"] = rows["seed"].astype(int)
    size = rows.groupby(["design", "seed"])["estimand"].transform("size")
    return rows[size == size.max()].reset_index(drop=True)


if __name__ == "__main__":
    sys.exit(main())
