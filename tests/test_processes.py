"""Processes and files a stopped command leaves behind: nothing.

Real subprocesses are stopped with real signals: a 2-chain fit (its PyMC worker processes must
die with it, also on ``kill -9``), a report waiting in its kernel (no staging folder, kernel or
connection file may remain; after ``kill -9`` the next report cleans up). Files are created
with the user's umask, and concurrent writers of one manifest keep every entry.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import psutil
import pytest

from satprofit import files
from satprofit.io import load_portfolio
from satprofit.reporting.batch import Manifest, ReportJob
from satprofit.simulate import simulate_portfolio

#: A report template that waits in its kernel for ``$REPORT_SLEEP`` seconds.
SLEEPING = """# ---
# jupyter:
#   kernelspec:
#     display_name: Python (satprofit)
#     language: python
#     name: satprofit
# ---

# %% tags=["parameters"]
config_path = ""  # path to the JSON report config
seed = 0  # seed

# %%
import os
import time

time.sleep(float(os.environ.get("REPORT_SLEEP", "0")))
print("done")
"""

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """A 20-client, 8-quarter portfolio (as ``satprofit simulate --clients 20 --quarters 8``)."""
    return simulate_portfolio(20, 8, seed=3).write(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="module")
def tiny_run(tiny_data, tmp_path_factory) -> Path:
    """A run of the tiny portfolio: the satisfaction model only, one short chain."""
    from satprofit.bayes import fit_models
    from satprofit.runs import save_run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_models(
            load_portfolio(tiny_data), models=("satisfaction",), draws=30, tune=30, chains=1
        )
    return save_run(tmp_path_factory.mktemp("tiny_run") / "run", tiny_data, fit, causal=[])


@pytest.fixture
def templates(tmp_path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for kind in ("client", "portfolio"):
        (folder / f"{kind}_report.py").write_text(SLEEPING)
    return folder


def _wait_for(condition, timeout: float, step: float = 0.2):
    """The first truthy value of ``condition()`` within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def _dead(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _default_signals() -> None:
    """In the child before exec: the signal state a shell gives a foreground command.

    A child inherits ignored signals and the blocked-signal mask from its parent; a long test
    session (kernels, samplers, thread pools) may leave SIGINT ignored in the pytest process,
    and Python keeps an inherited SIG_IGN (no KeyboardInterrupt), as it should for a shell's
    background job. These tests are about a command the user interrupts, so they start it as
    a foreground command: SIGINT and SIGTERM at their defaults, nothing blocked.
    """
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _satprofit(*args: str, env: dict | None = None, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "satprofit.cli", *args]
    with open(log, "w") as fh:
        return subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=_default_signals,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- fit


#: SIGTERM goes through the same handler as SIGINT (satprofit.processes.interruptible): its
#: runs are slow checks (make test-all), SIGINT and SIGKILL (no handler at all) run always.
SIGTERM_SLOW = pytest.param(signal.SIGTERM, marks=pytest.mark.slow)


@pytest.mark.parametrize("sig", [signal.SIGINT, SIGTERM_SLOW, signal.SIGKILL], ids=lambda s: s.name)
def test_stopping_a_fit_stops_its_sampler_workers(tiny_data, tmp_path, sig):
    """PyMC's two chain processes die with the fit, whichever signal stops it, and an
    interrupted fit saves nothing (PyMC itself would return the draws so far)."""
    out = tmp_path / "runs" / "q4"
    proc = _satprofit(
        *("fit", str(tiny_data), "--out", str(out), "--draws", "100000", "--tune", "50"),
        *("--chains", "2", "--cores", "2"),
        log=tmp_path / "log",
    )
    try:
        parent = psutil.Process(proc.pid)

        def two_workers():
            alive = [c for c in parent.children() if not _dead(c)]
            return alive if len(alive) >= 2 else None

        workers = _wait_for(two_workers, 240)
        assert workers, "the sampler workers never started: " + (tmp_path / "log").read_text()
        time.sleep(1.0)  # sampling
        os.kill(proc.pid, sig)
        code = proc.wait(timeout=60)
    finally:
        _stop(proc)
    log = (tmp_path / "log").read_text()
    assert code == EXIT[sig], log
    if sig != signal.SIGKILL:
        assert "satprofit fit: interrupted" in log
        assert "fitting repeat" not in log  # the fit stopped; it did not go on to the next model
    assert _wait_for(lambda: all(_dead(w) for w in workers), 20), [w.pid for w in workers]
    assert not out.exists()
    assert not (out.parent.exists() and _hidden(out.parent))


# --------------------------------------------------------------------------- report


def _started_kernel(proc: subprocess.Popen, out: Path):
    """The kernel process of the report being rendered, once its connection file exists."""

    def kernel():
        staged = list(out.glob(".satprofit-render.*/kernel.json"))
        children = psutil.Process(proc.pid).children()
        return children[0] if staged and children else None

    found = _wait_for(kernel, 180)
    assert found, "the report's kernel never started"
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, SIGTERM_SLOW], ids=lambda s: s.name)
def test_an_interrupted_report_leaves_no_staging_kernel_or_connection_file(
    tiny_data, tiny_run, templates, tmp_path, sig
):
    out, runtime, tmp = tmp_path / "reports", tmp_path / "runtime", tmp_path / "tmp"
    runtime.mkdir()
    tmp.mkdir()
    client = load_portfolio(tiny_data).clients["client_id"].iloc[0]
    env = {
        "SATPROFIT_NOTEBOOKS": str(templates),
        "REPORT_SLEEP": "300",
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "TMPDIR": str(tmp),
    }
    args = ("report", str(tiny_data), "--run", str(tiny_run), "--client", client)
    proc = _satprofit(*args, "--out", str(out), "--quiet", env=env, log=tmp_path / "log")
    try:
        kernel = _started_kernel(proc, out)
        os.kill(proc.pid, sig)
        code = proc.wait(timeout=60)
    finally:
        _stop(proc)
    parent = (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, []))
    assert code == EXIT[sig], f"{(tmp_path / 'log').read_text()}\npytest's SIGINT state {parent}"
    assert _wait_for(lambda: _dead(kernel), 20)
    assert _hidden(out) == []  # the staging folder with the connection file, the config folder
    assert not list(out.glob("*.html"))
    assert [p for p in runtime.rglob("*")] == [] and [p for p in tmp.rglob("*")] == []


def test_a_killed_report_is_cleaned_up_by_the_next_one(tiny_data, tiny_run, templates, tmp_path):
    out = tmp_path / "reports"
    client = load_portfolio(tiny_data).clients["client_id"].iloc[0]
    env = {"SATPROFIT_NOTEBOOKS": str(templates), "REPORT_SLEEP": "300"}
    args = ("report", str(tiny_data), "--run", str(tiny_run), "--client", client)
    proc = _satprofit(*args, "--out", str(out), "--quiet", env=env, log=tmp_path / "log")
    try:
        kernel = _started_kernel(proc, out)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    assert _wait_for(lambda: _dead(kernel), 30)  # ipykernel exits when its parent is gone
    left = _hidden(out)
    assert any(n.startswith(".satprofit-render.") for n in left), left
    stray = out / ".notes"  # a user's hidden file is not ours to remove
    stray.write_text("keep")

    env["REPORT_SLEEP"] = "0"
    again = _satprofit(*args, "--out", str(out), "--quiet", env=env, log=tmp_path / "log2")
    assert again.wait(timeout=300) == 0, (tmp_path / "log2").read_text()
    assert _hidden(out) == [".notes"]
    assert len(list(out.glob("*.html"))) == 1


# --------------------------------------------------------------------------- files


def test_files_are_created_with_the_users_umask(tiny_data, templates, tmp_path, monkeypatch):
    """Run files, reports, audit notebooks, manifests, metric CSVs and tables get the umask's
    permissions (here 027: 0640 files, 0750 folders), not mkstemp's 0600."""
    from satprofit.bayes import fit_models
    from satprofit.cli import main
    from satprofit.io import write_portfolio
    from satprofit.reporting.batch import render_reports
    from satprofit.runs import load_run, save_run

    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(templates))
    portfolio = load_portfolio(tiny_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_models(portfolio, models=("satisfaction",), draws=20, tune=20, chains=1)
    old = os.umask(0o027)
    try:
        save_run(tmp_path / "run", tiny_data, fit, causal=[])
        client = portfolio.clients["client_id"].iloc[0]
        run = load_run(tmp_path / "run", data=tiny_data)
        m = render_reports(run, tmp_path / "reports", [client], progress=False)
        assert m.reports[0].status == "ok", m.reports[0].error
        assert main(["metrics", str(tiny_data), "--out", str(tmp_path / "metrics.csv")]) == 0
        write_portfolio(portfolio, tmp_path / "tables", fmt="parquet")
    finally:
        os.umask(old)
    made = [p for p in tmp_path.rglob("*") if not p.is_relative_to(templates)]
    assert {p.name for p in made} >= {"run.json", "satisfaction.nc", "manifest.json"}
    assert any(p.suffix == ".html" for p in made) and any(p.suffix == ".ipynb" for p in made)
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in made}
    wrong = {
        k: oct(v) for k, v in modes.items() if v != (0o750 if Path(tmp_path, k).is_dir() else 0o640)
    }
    assert wrong == {}


def _write_entries(folder: str, prefix: str, n: int) -> None:
    for i in range(n):
        job = ReportJob("client", f"{prefix}{i}", None, f"{folder}/{prefix}{i}.html", "ok")
        Manifest("run", [job]).write(Path(folder))


def test_concurrent_manifest_writers_keep_every_entry(tmp_path):
    """Threads and processes merging into one manifest.json keep every entry (without a lock,
    two writers in one script kept 281 of 400)."""
    folder = str(tmp_path)
    threads = [
        threading.Thread(target=_write_entries, args=(folder, f"t{k}-", 40)) for k in range(4)
    ]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_entries, args=(folder, f"p{k}-", 40)) for k in range(2)]
    for w in [*procs, *threads]:  # fork before any thread runs (no lock held in the child)
        w.start()
    for w in [*threads, *procs]:
        w.join(timeout=120)
    assert all(p.exitcode == 0 for p in procs)
    entries = json.loads((tmp_path / "manifest.json").read_text())["reports"]
    assert len(entries) == 240 == len({e["client_id"] for e in entries})
    assert _hidden(tmp_path) == []  # no lock or temporary file left


def test_only_dead_processes_own_leftovers_are_cleaned(tmp_path):
    """A rerun removes the hidden staging folders and temporary files that killed satprofit
    processes of this host left, and nothing else."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    live = subprocess.Popen(["sleep", "60"])
    host = files._host()
    try:
        names = {
            f".run.sp-{host}-{dead.pid}-abcdefgh.staging": True,
            f".report.html.sp-{host}-{dead.pid}-abcdefg1.tmp.html": True,
            f".satprofit-render.sp-{host}-{live.pid}-abcdefg2": False,  # still running
            f".other.sp-{'0' * 8 if host != '0' * 8 else '1' * 8}-{dead.pid}-abcdefg3": False,
            ".satprofit-render-k3j2h1": False,  # not named by satprofit.files
            ".notes": False,
            f"report.sp-{host}-{dead.pid}-abcdefg4.html": False,  # not hidden
        }
        for name in names:
            if "staging" in name or "render" in name:
                (tmp_path / name).mkdir()
                (tmp_path / name / "kernel.json").write_text("{}")
            else:
                (tmp_path / name).write_text("x")
        removed = files.clean_stale(tmp_path)
    finally:
        live.kill()
        live.wait()
    assert sorted(p.name for p in removed) == sorted(n for n, gone in names.items() if gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        n for n, gone in names.items() if not gone
    )


# --------------------------------------------------------------------------- studies


STUDY = """
import os, sys, time
from satprofit.validation.causal_calibration import run_tasks

def task(t):
    open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
    time.sleep(120)
    return []

run_tasks(task, [("a", 1), ("b", 2)], 2)
"""


def test_a_killed_calibration_study_takes_its_workers_with_it(tmp_path):
    """``kill -9`` of a calibration study (``run_tasks`` with a process pool) stops its
    workers too, instead of leaving them to finish their replications unseen."""
    script = tmp_path / "study.py"
    script.write_text(STUDY)
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(pids)], preexec_fn=_default_signals)
    try:
        started = _wait_for(lambda: len(list(pids.iterdir())) >= 2 and list(pids.iterdir()), 60)
        assert started, "the study's workers never started"
        workers = [psutil.Process(int(p.name)) for p in started]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    assert _wait_for(lambda: all(_dead(w) for w in workers), 20), [w.pid for w in workers]
