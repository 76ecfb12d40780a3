"""Benchmark: client reports in a batch against the floor of one report, on 1 and 2 workers.

Baseline (the floor): :func:`satprofit.reporting.render_notebook` of an empty parameterized
notebook (``bench_report_floor.empty_notebook``: kernel start, papermill, nbconvert, atomic
write, nothing to compute), median of ``--repeat`` renders after a warm-up, measured in the same
process as the batches. Then ``--reports`` client reports from one saved run through
:func:`satprofit.reporting.batch.render_reports` (``force=True``: nothing skipped), on a Dask
LocalCluster of 1 and of 2 workers (cluster start-up included in the wall time), and once more
on 1 worker with warm kernels off (a kernel per report, the engine before warm kernels;
``--cold-reports`` of them, wall time scaled to ``--reports``).

Prints per-report wall time (batch wall / reports), its ratio to the floor, and the speed-up
from 1 to 2 workers, for ``--rounds`` alternated batches of 1 and 2 workers and their medians:
on 2 cores the 2-worker batch varies by several seconds from run to run. Goals (issue #14):
per report <= 2x the floor; speed-up >= 1.7x.

    .venv/bin/python benchmarks/bench_batch.py                  # 50 reports of data/sample
    .venv/bin/python benchmarks/bench_batch.py --reports 10 --run runs/demo

Without ``--run``, data/sample is fitted once (2 chains x 200 draws) into benchmarks/.cache/
and reused. Measure on an idle machine (``uptime`` is printed before and after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report_floor import empty_notebook, render_steps  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "batch-run"


def load_or_fit(run: str | None, data: Path):
    from satprofit.bayes.base import SamplerConfig
    from satprofit.runs import fit_portfolio, is_finished_run, load_run, save_run

    folder = Path(run) if run else CACHE
    if not is_finished_run(folder):
        if run:
            raise SystemExit(f"{folder}: no finished run")
        from satprofit.io import load_portfolio

        print(f"fitting {data} once into {folder} (2 chains x 200 draws)", flush=True)
        cfg = SamplerConfig(draws=200, tune=200, chains=2, cores=2, random_seed=1)
        save_run(folder, data, fit_portfolio(load_portfolio(data), sampler_config=cfg))
    return load_run(folder, data=data)


def floor_seconds(repeat: int) -> float:
    """Median wall time of the whole ``render_notebook`` call on the empty notebook."""
    from satprofit.reporting import find_kernel

    kernel = find_kernel()
    with tempfile.TemporaryDirectory(prefix="bench-batch-floor-") as tmp:
        work = Path(tmp)
        template = empty_notebook(work / "empty.ipynb", kernel)
        return statistics.median(render_steps(template, work, kernel, repeat)["render: total"])


def batch_seconds(run, ids: list[str], workers: int, *, warm: bool = True) -> tuple[float, int]:
    from satprofit.reporting.batch import render_reports

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        t0 = time.perf_counter()
        m = render_reports(
            run, Path(tmp) / "reports", ids, scheduler="local", jobs=workers, force=True,
            warm=warm, progress=False,
        )  # fmt: skip
        wall = time.perf_counter() - t0
    failed = [j for j in m.reports if j.status != "ok"]
    for j in failed[:3]:
        print(f"  failed {j.client_id}: {j.error}", file=sys.stderr)
    return wall, len(m.reports) - len(failed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--run", help="a finished run folder (default: fit data/sample once)")
    ap.add_argument("--data", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--repeat", type=int, default=5, help="renders of the empty notebook")
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="batches of 1 and of 2 workers, alternated; the table gives each and the medians",
    )
    ap.add_argument(
        "--cold-reports",
        type=int,
        default=10,
        help="reports of the kernel-per-report batch (0: skip it)",
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"before: {load}", flush=True)
    run = load_or_fit(args.run, Path(args.data))
    ids = list(run.portfolio.clients["client_id"])[: args.reports]
    floor = floor_seconds(args.repeat)
    rows, walls = [], {1: [], 2: []}
    for r in range(args.rounds):
        for workers in (1, 2):
            wall, ok = batch_seconds(run, ids, workers)
            walls[workers].append(wall)
            name = f"{workers} worker{'s' if workers > 1 else ''}, warm kernels"
            rows.append((f"{name} (round {r + 1})", wall, ok))
    medians = {w: statistics.median(v) for w, v in walls.items()}
    for workers in (1, 2):
        name = f"{workers} worker{'s' if workers > 1 else ''}, warm kernels"
        rows.append((f"{name}: median", medians[workers], len(ids)))
    if args.cold_reports:
        cold = ids[: args.cold_reports]
        wall, ok = batch_seconds(run, cold, 1, warm=False)
        rows.append(("1 worker, a kernel per report", wall * len(ids) / len(cold), ok))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"after:  {load}")
    print(f"\nfloor (render_notebook, empty notebook, median of {args.repeat}): {floor:.2f} s")
    print(f"{len(ids)} client reports from one run, Dask LocalCluster, start-up included\n")
    print(f"{'batch':<34} {'wall s':>8} {'ok':>4} {'s/report':>9} {'x floor':>8}")
    for name, wall, ok in rows:
        per = wall / len(ids)
        print(f"{name:<34} {wall:>8.1f} {ok:>4} {per:>9.2f} {per / floor:>8.2f}")
    ups = ", ".join(f"{a / b:.2f}x" for a, b in zip(walls[1], walls[2], strict=True))
    print(
        f"\nspeed-up 1 -> 2 workers (warm), medians: {medians[1] / medians[2]:.2f}x (rounds: {ups})"
    )
    if args.cold_reports:
        print(
            f"warm kernels vs a kernel per report (1 worker): {rows[-1][1] / medians[1]:.2f}x "
            f"(kernel per report: {args.cold_reports} reports, wall scaled to {len(ids)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
