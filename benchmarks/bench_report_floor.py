"""Benchmark: the floor of one report, i.e. the cost of the machinery with nothing to compute.

An empty parameterized notebook (one cell tagged ``parameters``, ``seed = 0``) goes through:

- ``papermill``: ``papermill.execute_notebook`` with its default engine, in process (the figure
  PITFALLS.md quotes: about 2.9 s);
- ``render: execute``: the same through :func:`satprofit.reporting.render_notebook`'s engine
  (staging folder, inline figures, encrypted kernel sockets);
- ``render: nbconvert``: satprofit's HTML conversion in process (template, inputs hidden);
- ``render: total``: the whole :func:`render_notebook` call, atomic writes included;
- ``jupyter nbconvert``: ``jupyter nbconvert --to html --no-input`` as a separate process (what
  a shell pipeline pays; PITFALLS.md: about 2.8 s);
- ``chromium PDF``: :func:`html_to_pdf` of the rendered page, when Chromium is installed.

    .venv/bin/python benchmarks/bench_report_floor.py             # 5 runs each
    .venv/bin/python benchmarks/bench_report_floor.py --repeat 3 --kernel python3

Prints median, min and max wall time over ``--repeat`` runs, after one warm-up run of each
in-process step (imports and the first kernel start are not counted).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill

from satprofit.reporting import find_kernel, html_to_pdf, render_notebook


def empty_notebook(path: Path, kernel: str) -> Path:
    """One parameters cell, kernel metadata set: the smallest notebook papermill accepts."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("seed = 0  # random seed")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return path


def timed(step: Callable[[], object], repeat: int, *, warm_up: bool = True) -> list[float]:
    if warm_up:
        step()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def render_steps(template: Path, work: Path, kernel: str, repeat: int) -> dict[str, list[float]]:
    """execute / nbconvert / total of render_notebook, from the same runs."""
    found: dict[str, list[float]] = {"render: execute": [], "render: nbconvert": []}
    found["render: total"] = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        result = render_notebook(
            template,
            work / "out" / "floor.html",
            title="floor",
            audit_dir=work / "audit",
            params={"seed": i},
            kernel_name=kernel,
        )
        total = time.perf_counter() - start
        if i == 0:
            continue  # warm-up
        found["render: execute"].append(result.execute_seconds)
        found["render: nbconvert"].append(result.convert_seconds)
        found["render: total"].append(total)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kernel", default=None, help="default: satprofit, else python3")
    args = parser.parse_args(argv)
    kernel = args.kernel or find_kernel()
    jupyter = Path(sys.executable).with_name("jupyter")

    with tempfile.TemporaryDirectory(prefix="bench-report-floor-") as tmp:
        work = Path(tmp)
        template = empty_notebook(work / "empty.ipynb", kernel)
        executed = work / "executed.ipynb"
        rows: dict[str, list[float]] = {}
        rows["papermill"] = timed(
            lambda: papermill.execute_notebook(
                str(template),
                str(executed),
                parameters={"seed": 1},
                kernel_name=kernel,
                progress_bar=False,
                request_save_on_cell_execute=False,
            ),
            args.repeat,
        )
        rows |= render_steps(template, work, kernel, args.repeat)
        cmd = [str(jupyter), "nbconvert", "--to", "html", "--no-input", "--log-level=ERROR"]
        cmd += ["--output-dir", str(work / "cli"), str(executed)]
        rows["jupyter nbconvert (process)"] = timed(
            lambda: subprocess.run(cmd, check=True), args.repeat, warm_up=False
        )
        if shutil.which("chromium"):
            html = work / "out" / "floor.html"
            rows["chromium PDF"] = timed(
                lambda: html_to_pdf(html, work / "floor.pdf"), args.repeat, warm_up=False
            )

    print(f"report floor: empty parameterized notebook, kernel {kernel!r}, {args.repeat} runs")
    print(f"{'step':<30} {'median s':>9} {'min s':>7} {'max s':>7}")
    for step, times in rows.items():
        med = statistics.median(times)
        print(f"{step:<30} {med:>9.2f} {min(times):>7.2f} {max(times):>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
