"""Benchmark: the Bayesian models' fit time, peak memory and convergence by portfolio size.

Per size (default 100, 500 and 2,000 clients x 12 quarters of the default design, simulated
with a fixed seed), ``satprofit bayes FOLDER --json`` runs as a separate process at the
models' default sampler settings (or ``--draws/--tune/--chains``, ``--sampler``), and this
script records its wall time, the peak resident memory of its whole process tree (the command
and its sampling workers, polled every 0.2 s with psutil) and, per model, whether the fit
passed the convergence gate (R-hat, ESS, divergences). The baseline is the same command at
100 clients, run side by side: the table gives each size's time as a ratio to it.

Goal (issue #14): 2,000 clients pass the gate in <= 5 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_fit_scale.py
    .venv/bin/python benchmarks/bench_fit_scale.py --sizes 100,500 --sampler nutpie

Measure on an idle machine (``uptime`` is printed before and after).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def timed_fit(folder: Path, extra: list[str]) -> tuple[float, float, list[dict], str]:
    """Wall seconds, peak GiB, the JSON records and stderr of ``satprofit bayes``."""
    cmd = [sys.executable, "-m", "satprofit.cli", "bayes", str(folder), "--json", "--seed", "1"]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([*cmd, *extra], stdout=out, stderr=err)
        ps, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(ps))
            time.sleep(0.2)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text, log = out.read(), err.read()
    try:
        records = json.loads(text)
    except json.JSONDecodeError:
        records = []
    return wall, peak / 2**30, records, log


def gate(records: list[dict]) -> str:
    """Per method (model): converged, or the worst R-hat / smallest ESS / divergences."""
    by_model: dict[str, dict] = {}
    for r in records:
        by_model.setdefault(r.get("method", "?"), r)
    parts = []
    for method, r in by_model.items():
        ok = bool(r.get("converged"))
        detail = (
            "ok"
            if ok
            else f"R-hat {float(r.get('rhat_max', 'nan')):.3f}, ESS "
            f"{float(r.get('ess_min', 'nan')):.0f}, {r.get('divergences')} divergences"
        )
        parts.append(f"{method.removeprefix('bayes_')}: {detail}")
    return "; ".join(parts) or "no records"


def main(argv: list[str] | None = None) -> int:
    from satprofit.simulate import simulate_portfolio

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,500,2000")
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--draws", type=int)
    ap.add_argument("--tune", type=int)
    ap.add_argument("--chains", type=int)
    ap.add_argument("--sampler", choices=["auto", "pymc", "nutpie"])
    args = ap.parse_args(argv)
    extra = []
    for flag in ("draws", "tune", "chains", "sampler"):
        if getattr(args, flag) is not None:
            extra += [f"--{flag}", str(getattr(args, flag))]
    sizes = [int(s) for s in args.sizes.split(",")]
    print("before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fit-scale-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"p{n}"
            simulate_portfolio(n, args.quarters, seed=args.seed).write(folder, fmt="csv")
            wall, peak, records, log = timed_fit(folder, extra)
            if not records:
                print(log[-2000:], file=sys.stderr)
            rows.append((n, wall, peak, gate(records)))
            print(f"{n} clients: {wall:.0f} s, {peak:.1f} GiB", flush=True)
    print("after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    settings = " ".join(extra) or "the models' defaults"
    print(
        f"\nsatprofit bayes, {args.quarters} quarters, default design, seed {args.seed}, {settings}"
    )
    print(f"{'clients':>8} {'wall s':>8} {'x base':>7} {'peak GiB':>9}  convergence gate")
    base = rows[0][1]
    for n, wall, peak, g in rows:
        print(f"{n:>8} {wall:>8.0f} {wall / base:>7.2f} {peak:>9.2f}  {g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
