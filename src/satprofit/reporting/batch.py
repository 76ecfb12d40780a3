"""Render many reports from one saved run, with a manifest.

Each report gets a JSON config (:class:`~satprofit.reporting.config.ReportConfig`) written by
code into the run folder, its executed notebook kept in the run's ``audit/`` folder (never in the
report folder, never shipped), and its HTML named by :func:`safe_filename`. One report's
failure never stops the others and never leaves a partial file; ``manifest.json`` in the report
folder lists every report's status, paths and error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from satprofit.constants import DEFAULT_SEED
from satprofit.io.loader import atomic_write_text
from satprofit.reporting.config import ReportConfig
from satprofit.reporting.render import ReportError, render_notebook, safe_filename

MANIFEST = "manifest.json"


def template_path(kind: str) -> Path:
    """The notebook template of a report kind (``client`` or ``portfolio``): from
    ``$SATPROFIT_NOTEBOOKS`` when set, else the repository's ``notebooks/`` folder."""
    base = os.environ.get("SATPROFIT_NOTEBOOKS")
    folder = Path(base) if base else Path(__file__).resolve().parents[3] / "notebooks"
    path = folder / f"{kind}_report.py"
    if not path.exists():
        raise FileNotFoundError(f"report template {path} not found (set SATPROFIT_NOTEBOOKS)")
    return path


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
        """Merge into ``folder/manifest.json`` (entries of other reports kept) atomically."""
        path = Path(folder) / MANIFEST
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


def _render_one(job: ReportJob, run_dir: Path, seed: int, pdf: bool, today: str) -> ReportJob:
    """Render one report; any failure (config, papermill, nbconvert, PDF) is recorded in the
    job as ``failed`` with its error, never raised."""
    t0 = time.perf_counter()
    html = Path(job.html)
    stem = html.stem
    try:
        config = ReportConfig(str(run_dir.resolve()), job.kind, job.client_id, seed)
        cfg_path = config.write(run_dir / "configs" / f"{stem}.json")
        res = render_notebook(
            template_path(job.kind),
            html,
            title=_title(job.kind, job.client_name, today),
            audit_dir=run_dir / "audit",
            params={"config_path": str(cfg_path.resolve()), "seed": int(seed)},
            pdf=pdf,
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


def render_reports(
    run_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    client_ids: list[str],
    *,
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
    """
    from tqdm.auto import tqdm

    from satprofit.runs import load_run

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    run = load_run(run_dir)  # fails early on an unfinished run or changed data
    clients = run.portfolio.clients.set_index("client_id")["client_name"].to_dict()
    out_dir.mkdir(parents=True, exist_ok=True)
    planned = plan_reports(run_dir, out_dir, client_ids, clients, portfolio=portfolio)
    today = dt.date.today().isoformat()
    done: list[ReportJob] = []
    todo = []
    for job in planned:
        if job.kind == "client" and job.client_id not in clients:
            job.status, job.error = "failed", "no such client in the run's portfolio"
            done.append(job)
        else:
            todo.append(job)
    bar = tqdm(total=len(todo), desc="reports", unit="report", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_render_one, j, run_dir, seed, pdf, today): j for j in todo}
        for fut in as_completed(futures):
            done.append(_outcome(fut, futures[fut]))
            bar.update(1)
    bar.close()
    order = {j.html: i for i, j in enumerate(planned)}
    manifest = Manifest(str(run_dir.resolve()), sorted(done, key=lambda j: order[j.html]))
    manifest.write(out_dir)
    return manifest
