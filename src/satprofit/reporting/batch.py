"""Render many reports from one saved run, with a manifest.

Each report gets a JSON config (:class:`~satprofit.reporting.config.ReportConfig`) written by
code into a hidden staging folder of the report folder (removed afterwards: reading a run never
writes into it, so an archived read-only run can be reported from), its executed notebook kept
in the report folder's ``audit/`` subfolder (never next to the reports, never shipped), and its
HTML named by :func:`safe_filename`. One report's failure never stops the others and never
leaves a partial file; hidden staging folders and temporary files that killed earlier renders
left behind are removed first. ``manifest.json`` in the report folder lists every report's
status, paths and error, merged under a lock so that concurrent batches keep every entry.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from satprofit.constants import DEFAULT_SEED
from satprofit.files import clean_stale, locked, make_dir
from satprofit.io.loader import atomic_write_text
from satprofit.reporting.config import ReportConfig
from satprofit.reporting.render import ReportError, render_notebook, safe_filename

MANIFEST = "manifest.json"


def notebook_path(name: str) -> Path:
    """A notebook template by file name (``client_report.py``): from ``$SATPROFIT_NOTEBOOKS``
    when set, else the repository's ``notebooks/`` folder."""
    base = os.environ.get("SATPROFIT_NOTEBOOKS")
    folder = Path(base) if base else Path(__file__).resolve().parents[3] / "notebooks"
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


@dataclass
class Manifest:
    """The report folder's record of every report rendered into it."""

    run: str
    reports: list[ReportJob] = field(default_factory=list)

    @property
    def failed(self) -> list[ReportJob]:
        return [r for r in self.reports if r.status != "ok"]

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


def _render_one(job: ReportJob, batch: _Batch) -> ReportJob:
    """Render one report; any failure (config, papermill, nbconvert, PDF) is recorded in the
    job as ``failed`` with its error, never raised."""
    t0 = time.perf_counter()
    html = Path(job.html)
    stem = html.stem
    seed = batch.seed
    try:
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
            template_path(job.kind),
            html,
            title=_title(job.kind, job.client_name, batch.today),
            audit_dir=batch.audit,
            params={"config_path": str(cfg_path.resolve()), "seed": int(seed)},
            pdf=batch.pdf,
        )
        job.status, job.notebook = "ok", str(res.notebook)
        job.pdf = str(res.pdf) if res.pdf else None
    except ReportError as err:
        job.status, job.error = "failed", str(err)
        job.notebook = str(err.notebook) if getattr(err, "notebook", None) else None
    except Exception as err:  # one report's failure must not stop the others
        job.status, job.error = "failed", f"{type(err).__name__}: {err}"
    job.seconds = round(time.perf_counter() - t0, 1)
    return job


def _outcome(fut, job: ReportJob) -> ReportJob:
    """The finished job, or the job marked failed when its worker itself raised."""
    try:
        return fut.result()
    except Exception as err:  # never lose the manifest to one report
        job.status, job.error = "failed", f"{type(err).__name__}: {err}"
        return job


def _stop(pool: ThreadPoolExecutor, futures: dict, patience: float = 60.0) -> None:
    """Cancel the reports not started, kill the kernels of the running ones (again as new
    ones start) and wait for their threads, which remove their staging folders."""
    from concurrent.futures import wait

    from satprofit.reporting.execution import stop_kernels

    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        stop_kernels()
        _, running = wait(futures, timeout=0.5)
        if not running:
            break
    pool.shutdown(wait=False)


def render_reports(
    run_dir,
    out_dir: str | os.PathLike,
    client_ids: list[str],
    *,
    data: str | os.PathLike | None = None,
    encoding: str | None = None,
    portfolio: bool = False,
    jobs: int = 1,
    seed: int = DEFAULT_SEED,
    pdf: bool = False,
    progress: bool = True,
) -> Manifest:
    """Render the portfolio report (``portfolio=True``) and one report per client id from a
    saved run, ``jobs`` at a time; returns (and writes) the manifest.

    Client ids are checked against the run's portfolio first; an unknown id is a failed entry
    in the manifest, not an exception.

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
    portfolio, jobs, seed, pdf, progress
        The portfolio report too; reports rendered in parallel; seed of the what-if draws;
        also print PDFs; show a progress bar.
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
    run_dir, out_dir = Path(run.folder), Path(out_dir)
    clients = run.portfolio.clients.set_index("client_id")["client_name"].to_dict()
    out_dir.mkdir(parents=True, exist_ok=True)
    audit = out_dir / "audit"
    for folder in (out_dir, audit):  # left by reports killed earlier
        clean_stale(folder)
    planned = plan_reports(run_dir, out_dir, client_ids, clients, portfolio=portfolio)
    done: list[ReportJob] = []
    todo = []
    for job in planned:
        if job.kind == "client" and job.client_id not in clients:
            job.status, job.error = "failed", "no such client in the run's portfolio"
            done.append(job)
        else:
            todo.append(job)
    scratch = make_dir(prefix=".satprofit-report.", dir=out_dir)
    try:
        batch = _Batch(
            run_dir.resolve(),
            Path(data).resolve(),
            getattr(run, "encoding", None),
            scratch,
            audit,
            seed,
            pdf,
            dt.date.today().isoformat(),
        )
        bar = tqdm(total=len(todo), desc="reports", unit="report", disable=not progress)
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        futures = {pool.submit(_render_one, j, batch): j for j in todo}
        try:
            for fut in as_completed(futures):
                done.append(_outcome(fut, futures[fut]))
                bar.update(1)
        except BaseException:  # interrupted: stop every kernel, let each render clean up
            _stop(pool, futures)
            raise
        pool.shutdown()
        bar.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    order = {j.html: i for i, j in enumerate(planned)}
    manifest = Manifest(str(run_dir.resolve()), sorted(done, key=lambda j: order[j.html]))
    manifest.write(out_dir)
    return manifest
