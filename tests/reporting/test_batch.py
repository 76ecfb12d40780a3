"""Batch rendering: the manifest, one failure not stopping the others, nothing half-written.

Uses tiny stand-in templates (``SATPROFIT_NOTEBOOKS``) so the batch machinery is tested apart
from the real report content; the real templates are rendered in test_client_report.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from satprofit.reporting.batch import render_reports

TEMPLATE = """# ---
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
from satprofit.reporting.config import load_config

cfg = load_config(config_path)
if cfg.client_id == "{fail}":
    raise RuntimeError("boom for this client")
print("report of", cfg.kind, seed)
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The session's fitted report run (built once, shared with the content tests)."""
    from tests.reporting.test_content import shared_run

    return shared_run(tmp_path_factory)


@pytest.fixture(scope="module")
def run_dir(run):
    return run.folder


@pytest.fixture(scope="module")
def ids(run):
    return list(run.portfolio.clients["client_id"])


def _templates(folder, fail: str):
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("client", "portfolio"):
        (folder / f"{kind}_report.py").write_text(TEMPLATE.replace('"{fail}"', repr(fail)))
    return folder


def test_one_failure_does_not_stop_the_others(run, ids, tmp_path, monkeypatch):
    ids = ids[:3]
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(_templates(tmp_path / "tpl", ids[1])))
    out = tmp_path / "reports"
    m = render_reports(run, out, [*ids, "no-such-client"], portfolio=True, jobs=2, progress=False)
    status = {(j.kind, j.client_id): j.status for j in m.reports}
    assert status[("portfolio", None)] == "ok"
    assert status[("client", ids[0])] == "ok" and status[("client", ids[2])] == "ok"
    assert status[("client", ids[1])] == "failed"
    assert status[("client", "no-such-client")] == "failed"
    failed = next(j for j in m.reports if j.client_id == ids[1])
    assert "boom for this client" in failed.error
    # the failed client has no report and no temporary file; audit notebooks in audit/
    names = sorted(p.name for p in out.iterdir())
    assert len([n for n in names if n.endswith(".html")]) == 3
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]
    assert not list(out.glob("*.ipynb"))
    assert list((out / "audit").glob("*.failed.ipynb"))
    doc = json.loads((out / "manifest.json").read_text())
    assert {e["status"] for e in doc["reports"]} == {"ok", "failed"}
    assert all(e["html"].startswith(str(out)) for e in doc["reports"])


def test_a_failed_rerun_keeps_the_good_report(run, ids, tmp_path, monkeypatch):
    cid = ids[0]
    out = tmp_path / "reports"
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(_templates(tmp_path / "ok", "nobody")))
    first = render_reports(run, out, [cid], progress=False).reports[0]
    good = (out / first.html.split("/")[-1]).read_bytes()
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(_templates(tmp_path / "bad", cid)))
    again = render_reports(run, out, [cid], progress=False).reports[0]
    assert again.status == "failed"
    assert (out / first.html.split("/")[-1]).read_bytes() == good
    entries = json.loads((out / "manifest.json").read_text())["reports"]
    assert [e["status"] for e in entries] == ["failed"]  # the entry is updated, not duplicated


def test_hostile_ids_make_safe_file_names(run_dir, tmp_path):
    from satprofit.reporting.batch import plan_reports

    hostile = ["../../etc/passwd", "{x}", 'a"b\nc', "<script>alert(1)</script>", "Zoë/Ünï", ""]
    jobs = plan_reports(run_dir, tmp_path, hostile, {}, portfolio=False)
    names = [j.html.split("/")[-1] for j in jobs]
    assert len(set(names)) == len(hostile)
    for j in jobs:
        assert j.html.startswith(str(tmp_path) + "/")
        name = j.html.split("/")[-1]
        assert name.endswith(".html") and not name.startswith(".")
        assert all(c.isascii() and (c.isalnum() or c in "-.") for c in name)


def test_the_runs_encoding_reaches_every_report_config(run, ids, tmp_path, monkeypatch):
    """``report --encoding``: each notebook reloads the data, so its config carries the
    encoding the command was given (the run loaded by the CLI keeps it)."""
    import dataclasses

    tpl = tmp_path / "tpl"
    tpl.mkdir()
    for kind in ("client", "portfolio"):
        (tpl / f"{kind}_report.py").write_text(
            TEMPLATE.replace('"{fail}"', "'nobody'").replace(
                'print("report of", cfg.kind, seed)', "assert cfg.encoding == 'utf-16', cfg"
            )
        )
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(tpl))
    legacy = dataclasses.replace(run, encoding="utf-16")
    m = render_reports(legacy, tmp_path / "out", ids[:1], portfolio=True, progress=False)
    assert [j.status for j in m.reports] == ["ok", "ok"], [j.error for j in m.reports]


# --------------------------------------------------------------------------- Dask, reruns

KILLER = """
import os, signal
if cfg.client_id == {victim!r}:
    os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent: the worker rendering it
"""


def _killer_templates(folder, victim: str):
    folder.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.replace('"{fail}"', "'nobody'") + KILLER.format(victim=victim)
    for kind in ("client", "portfolio"):
        (folder / f"{kind}_report.py").write_text(text)
    return folder


def _leftovers(out):
    """Anything in the report folder that is not a finished report, the manifest or audit/."""
    return [
        p.name
        for p in out.iterdir()
        if not (p.suffix == ".html" or p.name in ("manifest.json", "audit"))
    ]


def test_a_local_cluster_renders_reports_and_a_killed_worker_loses_only_its_report(
    run, ids, tmp_path, monkeypatch
):
    """Three client reports on a Dask LocalCluster of 2 worker processes, reached by its address
    (``--scheduler tcp://...``); one report kills its worker mid-run: it is retried once (on a fresh worker), then recorded as failed with the
    reason; the other two are complete and nothing partial is left."""
    victim = ids[1]
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(_killer_templates(tmp_path / "tpl", victim)))
    out = tmp_path / "reports"
    import dask
    from distributed import LocalCluster

    # a cluster started apart from the batch, reached by its address as on a real cluster
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with cluster:
        m = render_reports(run, out, ids[:3], scheduler=cluster.scheduler_address, progress=False)
    by_id = {j.client_id: j for j in m.reports}
    assert [by_id[c].status for c in (ids[0], ids[2])] == ["ok", "ok"], m.reports
    dead = by_id[victim]
    assert dead.status == "failed" and dead.stage == "worker" and dead.attempts == 2
    assert "worker died" in dead.error and "failed 2 times" in dead.error
    assert sorted(p.name for p in out.glob("*.html")) == sorted(
        p.split("/")[-1] for p in (by_id[ids[0]].html, by_id[ids[2]].html)
    )
    for c in (ids[0], ids[2]):  # complete: the same bytes the manifest recorded
        from satprofit.files import sha256_file

        assert sha256_file(by_id[c].html) == by_id[c].sha256
    assert not _leftovers(out)
    entries = {
        e["client_id"]: e for e in json.loads((out / "manifest.json").read_text())["reports"]
    }
    assert entries[victim]["status"] == "failed" and entries[victim]["attempts"] == 2


def test_a_rerun_skips_reports_that_are_up_to_date(run, ids, tmp_path, monkeypatch):
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(_templates(tmp_path / "tpl", "nobody")))
    out = tmp_path / "reports"
    first = render_reports(run, out, ids[:2], scheduler="threads", progress=False)
    assert [j.status for j in first.reports] == ["ok", "ok"] and not first.skipped
    again = render_reports(run, out, ids[:2], scheduler="threads", progress=False)
    assert [j.skipped for j in again.reports] == [True, True]
    assert [j.sha256 for j in again.reports] == [j.sha256 for j in first.reports]
    # an edited file, other parameters, or force: rendered again
    Path(first.reports[1].html).write_text("edited")
    edited = render_reports(run, out, ids[:2], scheduler="threads", progress=False)
    assert [j.skipped for j in edited.reports] == [True, False]
    assert edited.reports[1].status == "ok" and Path(edited.reports[1].html).read_text() != "edited"
    seeded = render_reports(run, out, ids[:1], seed=7, scheduler="threads", progress=False)
    assert not seeded.skipped and seeded.reports[0].key != first.reports[0].key
    forced = render_reports(
        run, out, ids[:1], seed=7, scheduler="threads", force=True, progress=False
    )
    assert not forced.skipped and forced.reports[0].status == "ok"


def test_an_unknown_scheduler_is_refused(monkeypatch):
    from satprofit.reporting.runners import SCHEDULER_ENV, choose_scheduler

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with pytest.raises(ValueError, match="tcp://"):
        choose_scheduler("somewhere", 3)
    assert choose_scheduler(None, 1) == "threads"
    assert choose_scheduler("tcp://127.0.0.1:8786", 3) == "tcp://127.0.0.1:8786"


WARM_CHECK = """
import os
assert "earlier_client" not in globals(), "a name of the previous report survived"
earlier_client = cfg.client_id
print("kernel pid", os.getpid(), "cwd", os.getcwd())
print("rendered for", cfg.client_id)
"""


def test_a_warm_kernel_serves_report_after_report_without_their_names(
    run, ids, tmp_path, monkeypatch
):
    """One worker thread, three reports: the same kernel process and kernel client render all
    three (start-up, imports, the loaded run and the client's channels paid once), each in its
    own folder; nothing the previous report defined is left in its namespace, and no output of
    one report reaches another's notebook."""
    import nbformat
    from nbclient import NotebookClient

    clients = []
    start_client = NotebookClient.start_new_kernel_client

    def counted(self):
        clients.append(self)
        return start_client(self)

    monkeypatch.setattr(NotebookClient, "start_new_kernel_client", counted)

    tpl = tmp_path / "tpl"
    tpl.mkdir()
    text = TEMPLATE.replace('"{fail}"', "'nobody'") + WARM_CHECK
    (tpl / "client_report.py").write_text(text)
    monkeypatch.setenv("SATPROFIT_NOTEBOOKS", str(tpl))
    monkeypatch.chdir(tmp_path)  # a relative report folder, as `--out reports` gives
    m = render_reports(run, "reports", ids[:3], scheduler="threads", jobs=1, progress=False)
    assert [j.status for j in m.reports] == ["ok"] * 3, [j.error for j in m.reports]
    pids, cwds = set(), set()
    for job in m.reports:
        nb = nbformat.read(job.notebook, as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        line = next(ln for ln in text.splitlines() if ln.startswith("kernel pid"))
        pids.add(line.split()[2])
        cwds.add(line.split()[4])
        assert [ln for ln in text.splitlines() if ln.startswith("rendered for")] == [
            f"rendered for {job.client_id}"
        ]
        first = nb.cells[0]
        assert "satprofit-warm-kernel-reset" in first.metadata["tags"]
        assert nb.cells[1].execution_count == 1  # the report's own cells count from In [1]
    assert len(pids) == 1 and len(cwds) == 3 and len(clients) == 1
    html = Path(m.reports[0].html).read_text()
    assert "_satprofit_next_report" not in html  # the reset cell is not in the report
    from satprofit.reporting.execution import _WARM

    assert not _WARM  # stopped at the end of the batch
