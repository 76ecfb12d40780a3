"""Render many reports from one saved run, with a manifest.

Each report gets a JSON config (:class:`~satprofit.reporting.config.ReportConfig`) written by
code into a hidden staging folder of the report folder (removed afterwards: reading a run never
writes into it, so an archived read-only run can be reported from), its executed notebook kept
in the report folder's ``audit/`` subfolder (never next to the reports, never shipped), and its
HTML named by :func:`safe_filename`. One report's failure never stops the others and never
leaves a partial file; hidden staging folders and temporary files that killed earlier renders
left behind are removed first. ``manifest.json`` in the report folder lists every report's
status, paths and error, merged under a lock so that concurrent batches keep every entry.

Reports run on a :mod:`~satprofit.reporting.runners` runner: a Dask LocalCluster by default,
an existing Dask scheduler, or threads. The run is fitted once and read by every worker from
its folder, never refitted. A report whose kernel or worker died, or that timed out, is retried
once, then recorded as failed. Each entry records a key of what it was rendered from (the run's
hash, the data's fingerprint, the template, kind, client, seed, PDF, satprofit's version) and
the HTML's SHA-256: a rerun skips a report whose key and file are unchanged (``force`` renders
it again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from satprofit.constants import DEFAULT_SEED
from satprofit.files import clean_stale, locked, make_dir, sha256_file
from satprofit.io.loader import atomic_write_text
from satprofit.reporting.config import MIN_BENCHMARK_CLIENTS, ReportConfig
from satprofit.reporting.render import (
    DEFAULT_TIMEOUT,
    ReportError,
    render_notebook,
    safe_filename,
)
from satprofit.reporting.runners import WorkerLost, choose_scheduler, open_runner

MANIFEST = "manifest.json"
#: The report templates shipped in the package (jupytext percent notebooks).
TEMPLATE_NOTEBOOKS = Path(__file__).resolve().parent / "templates" / "notebooks"


def notebook_path(name: str) -> Path:
    """A notebook template by file name (``client_report.py``): from ``$SATPROFIT_NOTEBOOKS``
    when set, else the templates shipped inside the package
    (``satprofit/reporting/templates/notebooks/``, part of the wheel)."""
    base = os.environ.get("SATPROFIT_NOTEBOOKS")
    folder = Path(base) if base else TEMPLATE_NOTEBOOKS
    path = folder / name
    if not path.exists():
        raise FileNotFoundError(f"report template {path} not found (set SATPROFIT_NOTEBOOKS)")
    return path


def template_path(kind: str) -> Path:
    """The notebook template of a report kind (``client`` or ``portfolio``)."""
    return notebook_path(f"{kind}_report.py")


@dataclass
class ReportJob:
    """One report to render and, after :func:`render_reports`, how it went."""

    kind: str
    client_id: str | None
    client_name: str | None
    html: str
    status: str = "pending"
    seconds: float = 0.0
    notebook: str | None = None
    pdf: str | None = None
    error: str | None = None
    stage: str | None = None  # of a failure: setup, kernel, execute, timeout, convert, pdf,
    # write, worker
    attempts: int = 0
    key: str | None = None  # what the report was rendered from (see render_reports)
    sha256: str | None = None  # of the HTML written
    skipped: bool = False  # up to date from an earlier batch: not rendered again

    @property
    def retryable(self) -> bool:
        """Whether the failure may pass on a second try: a timeout, a kernel that failed to
        start, a dead kernel or worker (an error in a cell, or bad data, would fail the same
        way again)."""
        return self.status == "failed" and (
            self.stage in ("timeout", "kernel", "worker") or "DeadKernelError" in (self.error or "")
        )


@dataclass
class Manifest:
    """The report folder's record of every report rendered into it."""

    run: str
    reports: list[ReportJob] = field(default_factory=list)

    @property
    def failed(self) -> list[ReportJob]:
        return [r for r in self.reports if r.status != "ok"]

    @property
    def skipped(self) -> list[ReportJob]:
        """Reports up to date from an earlier batch, not rendered again."""
        return [r for r in self.reports if r.skipped]

    def write(self, folder: Path) -> Path:
        """Merge into ``folder/manifest.json`` (entries of other reports kept) atomically,
        under an exclusive lock on the folder: concurrent writers, threads or processes, wait
        in turn and every entry is kept."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with locked(folder, MANIFEST):
            return self._merge(folder / MANIFEST)

    def _merge(self, path: Path) -> Path:
        entries = {}
        if path.exists():
            try:
                for e in json.loads(path.read_text()).get("reports", []):
                    entries[e["html"]] = e
            except (json.JSONDecodeError, KeyError, TypeError):
                entries = {}  # an unreadable manifest is replaced, not trusted
        for r in self.reports:
            entries[r.html] = asdict(r)
        from satprofit import __version__

        doc = {
            "run": self.run,
            "satprofit_version": __version__,
            "updated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "reports": sorted(entries.values(), key=lambda e: (e["kind"], e["html"])),
        }
        return atomic_write_text(path, json.dumps(doc, indent=2, ensure_ascii=False))


def _title(kind: str, name: str | None, run_date: str) -> str:
    if kind == "portfolio":
        return f"Portfolio report (internal) - {run_date}"
    return f"Client report: {name} - {run_date}"


def plan_reports(
    run_dir: Path,
    out_dir: Path,
    client_ids: list[str],
    client_names: dict[str, str],
    *,
    portfolio: bool,
) -> list[ReportJob]:
    """The jobs: the portfolio report first (when asked), then one per client."""
    jobs = []
    if portfolio:
        jobs.append(ReportJob("portfolio", None, None, str(out_dir / "portfolio-report.html")))
    for cid in client_ids:
        html = out_dir / f"{safe_filename(cid, 'client-report')}.html"
        jobs.append(ReportJob("client", cid, client_names.get(cid, cid), str(html)))
    return jobs


@dataclass(frozen=True)
class _Batch:
    """Where a batch's reports read from and write to."""

    run: Path
    data: Path
    encoding: str | None
    scratch: Path
    audit: Path
    seed: int
    pdf: bool
    today: str
    timeout: float = DEFAULT_TIMEOUT
    warm: bool = True  # one warm kernel per worker thread, reused report after report


def _render_one(job: ReportJob, batch: _Batch) -> ReportJob:
    """Render one report (in a thread or on a Dask worker); any failure (config, papermill,
    nbconvert, PDF) is recorded in the job as ``failed`` with its error and stage, never
    raised."""
    t0 = time.perf_counter()
    html = Path(job.html)
    stem = html.stem
    seed = batch.seed
    job = replace(job, attempts=job.attempts + 1, status="pending", error=None, stage=None)
    try:
        for what, path in (("run", batch.run), ("data", batch.data), ("report", html.parent)):
            if not path.exists():
                raise ReportError(
                    f"the {what} folder {path} is not visible where this report runs (Dask "
                    "workers need the run, the data and the report folder at the same paths)",
                    stage="setup",
                )
        config = ReportConfig(
            str(batch.run),
            job.kind,
            job.client_id,
            seed,
            data=str(batch.data),
            encoding=batch.encoding,
        )
        cfg_path = config.write(batch.scratch / f"{stem}.json")
        res = render_notebook(
            batch.scratch / f"{job.kind}_report.py",  # the batch's copy: the one keys hash
            html,
            title=_title(job.kind, job.client_name, batch.today),
            audit_dir=batch.audit,
            params={"config_path": str(cfg_path.resolve()), "seed": int(seed)},
            pdf=batch.pdf,
            timeout=batch.timeout,
            warm=batch.warm,
        )
        job.status, job.notebook = "ok", str(res.notebook)
        job.pdf = str(res.pdf) if res.pdf else None
        job.sha256 = sha256_file(html)
    except ReportError as err:
        job.status, job.error, job.stage = "failed", str(err), err.stage
        if getattr(err, "ename", None) == "DeadKernelError":
            job.error = f"DeadKernelError: {err}"
        job.notebook = str(err.notebook) if getattr(err, "notebook", None) else None
    except Exception as err:  # one report's failure must not stop the others
        job.status, job.error, job.stage = "failed", f"{type(err).__name__}: {err}", "setup"
    job.seconds = round(time.perf_counter() - t0, 1)
    return job


def report_key(run, kind: str, client_id: str | None, seed: int, pdf: bool, template: Path) -> str:
    """What a report is rendered from, hashed: the run's hash and data fingerprint, the
    template's content, kind, client, seed, PDF and satprofit's version. Equal keys and an
    unchanged file mean the report is up to date."""
    from satprofit import __version__

    parts = {
        "run": run.meta.get("hash"),
        "data": run.meta.get("portfolio"),
        "template": sha256_file(template),
        "kind": kind,
        "client_id": client_id,
        "seed": int(seed),
        "pdf": bool(pdf),
        "min_benchmark_clients": MIN_BENCHMARK_CLIENTS,
        "satprofit": __version__,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _previous_entries(out_dir: Path) -> dict[str, dict]:
    path = out_dir / MANIFEST
    try:
        return {e["html"]: e for e in json.loads(path.read_text()).get("reports", [])}
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return {}


def _up_to_date(job: ReportJob, previous: dict | None) -> bool:
    """The manifest's entry for this report is ok, of the same key, and its files unchanged."""
    if not previous or previous.get("status") != "ok" or previous.get("key") != job.key:
        return False
    html = Path(job.html)
    if not html.is_file() or previous.get("sha256") != sha256_file(html):
        return False
    return not previous.get("pdf") or Path(previous["pdf"]).is_file()


def _dispatch(runner, todo: list[ReportJob], batch: _Batch, bar, retries: int = 1):
    """Run every job on ``runner``; a retryable failure (timeout, dead kernel or worker) is
    tried ``retries`` more times. Yields each job's final outcome."""
    futures = {runner.submit(_render_one, job, batch): job for job in todo}
    while runner.pending():
        fut = runner.next_done()
        job = futures.pop(fut)
        try:
            outcome = runner.result(fut)
        except WorkerLost as err:
            outcome = replace(job, attempts=job.attempts + 1, status="failed", stage="worker")
            outcome.error = f"WorkerLost: {err}"
        except Exception as err:  # never lose the manifest to one report
            outcome = replace(job, attempts=job.attempts + 1, status="failed", stage="setup")
            outcome.error = f"{type(err).__name__}: {err}"
        if outcome.retryable and outcome.attempts <= retries:
            futures[runner.submit(_render_one, outcome, batch)] = outcome
            continue
        if outcome.status != "ok" and outcome.attempts > 1:
            outcome.error = f"{outcome.error} (failed {outcome.attempts} times)"
        bar.update(1)
        yield outcome


def render_reports(
    run_dir,
    out_dir: str | os.PathLike,
    client_ids: list[str],
    *,
    data: str | os.PathLike | None = None,
    encoding: str | None = None,
    portfolio: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    seed: int = DEFAULT_SEED,
    pdf: bool = False,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    warm: bool = True,
    progress: bool = True,
) -> Manifest:
    """Render the portfolio report (``portfolio=True``) and one report per client id from a
    saved run; returns (and writes) the manifest.

    Client ids are checked against the run's portfolio first; an unknown id is a failed entry
    in the manifest, not an exception. Reports that are up to date (same key, file unchanged)
    are skipped unless ``force``.

    Parameters
    ----------
    run_dir : path or satprofit.runs.Run
        The run folder, or a run already loaded with its data folder
        (``load_run(folder, data=...)``).
    out_dir : path
        The report folder (``manifest.json``, one HTML per report, ``audit/``).
    client_ids : list of str
    data : path, optional
        The data folder the run was fitted on; needed with a run folder, taken from the loaded
        run otherwise.
    encoding : str, optional
        Encoding of the data folder's CSV files when not UTF-8 (taken from a loaded run).
    portfolio : bool
        The portfolio report too.
    jobs : int, optional
        Reports rendered at once: the local cluster's workers or the thread pool's threads
        (default: the cores this process may use). Ignored by an existing Dask scheduler.
    scheduler : str, optional
        ``"local"`` (a Dask LocalCluster), ``"threads"``, or a Dask scheduler address
        (``tcp://HOST:PORT``); default ``$SATPROFIT_SCHEDULER``, else ``local`` for more than
        one report (see :mod:`satprofit.reporting.runners`).
    seed, pdf, progress
        Seed of the what-if draws; also print PDFs; show a progress bar.
    force : bool
        Render reports again even when up to date.
    timeout : float
        Seconds a cell may run; a report that times out is retried once.
    warm : bool
        Reuse one kernel per worker from report to report (imports and the loaded run kept;
        each report's names wiped before it runs); False starts a kernel per report.
    """
    from tqdm.auto import tqdm

    from satprofit.runs import Run, RunError, load_run

    if isinstance(run_dir, Run):
        run = run_dir
        data = run.data if data is None else data
    else:
        # fails early on an unfinished run or other data
        run = load_run(run_dir, data=data, encoding=encoding)
    if data is None:
        raise RunError(f"{run.folder}: give the data folder the run was fitted on")
    # absolute: workers (other processes, other machines) and warm kernels change folders
    run_dir, out_dir = Path(run.folder), Path(out_dir).resolve()
    clients = run.portfolio.clients.set_index("client_id")["client_name"].to_dict()
    out_dir.mkdir(parents=True, exist_ok=True)
    audit = out_dir / "audit"
    for folder in (out_dir, audit):  # left by reports killed earlier
        clean_stale(folder)
    planned = plan_reports(run_dir, out_dir, client_ids, clients, portfolio=portfolio)
    previous = {} if force else _previous_entries(out_dir)
    done: list[ReportJob] = []
    todo = []
    templates = {kind: template_path(kind) for kind in {j.kind for j in planned}}
    for job in planned:
        if job.kind == "client" and job.client_id not in clients:
            job.status, job.error = "failed", "no such client in the run's portfolio"
            done.append(job)
            continue
        job.key = report_key(run, job.kind, job.client_id, seed, pdf, templates[job.kind])
        before = previous.get(job.html)
        if _up_to_date(job, before):
            kept = {k: before.get(k) for k in ("seconds", "notebook", "pdf", "sha256")}
            done.append(replace(job, status="ok", skipped=True, attempts=0, **kept))
        else:
            todo.append(job)
    scratch = make_dir(prefix=".satprofit-report.", dir=out_dir)
    runner = None
    try:
        for kind, path in templates.items():  # the templates the keys hash, for every worker
            shutil.copy2(path, scratch / f"{kind}_report.py")
        batch = _Batch(
            run_dir.resolve(),
            Path(data).resolve(),
            getattr(run, "encoding", None),
            scratch.resolve(),
            audit.resolve(),
            seed,
            pdf,
            dt.date.today().isoformat(),
            timeout,
            warm,
        )
        bar = tqdm(total=len(todo), desc="reports", unit="report", disable=not progress)
        if todo:
            runner = open_runner(choose_scheduler(scheduler, len(todo)), jobs)
            try:
                done.extend(_dispatch(runner, todo, batch, bar))
            except BaseException:  # interrupted: stop every kernel, let each render clean up
                runner.stop()
                runner = None
                raise
        bar.close()
    finally:
        if runner is not None:
            runner.close()
        shutil.rmtree(scratch, ignore_errors=True)
        for folder in (out_dir, audit):  # temporary files of renders stopped by an interrupt
            clean_stale(folder)
    order = {j.html: i for i, j in enumerate(planned)}
    manifest = Manifest(str(run_dir.resolve()), sorted(done, key=lambda j: order[j.html]))
    manifest.write(out_dir)
    return manifest
