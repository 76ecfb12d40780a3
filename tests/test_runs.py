"""Runs a consultant can trust: swapped in whole, checked by content hash, movable, read-only.

Every test saves a real run (the satisfaction model sampled once at tiny settings, fixed causal
records) and then breaks it the way a user would: a save that fails or is killed midway, an
edited estimate, a truncated posterior, a run folder moved to a colleague's drive, an archived
read-only run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import satprofit.runs as runs
from satprofit.bayes import PortfolioFit
from satprofit.bayes.base import BayesResult
from satprofit.cli import main
from satprofit.io import load_portfolio
from satprofit.runs import RunError, load_run, reusable_run, save_run
from satprofit.simulate import simulate_portfolio

#: Causal records of the test runs (fixed: the run machinery, not the estimators, is tested).
CAUSAL = [
    {
        "question": "presales_signoff",
        "estimate": 4.25,
        "ci_low": 1.5,
        "ci_high": 7.0,
        "unit": "pp",
        "method": "regression",
        "n": 120,
        "status": "ok",
        "reason": None,
    }
]

#: A stand-in report template that reads the run in the kernel, as the real ones do.
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
from satprofit.runs import load_run

cfg = load_config(config_path)
run = load_run(cfg.run, data=cfg.data)
print("report of", cfg.kind, len(run.portfolio.clients), "clients")
"""


@pytest.fixture(scope="module")
def portfolio(sim_csv_dir):
    return load_portfolio(sim_csv_dir)


@pytest.fixture(scope="module")
def fit(portfolio):
    """Both models at tiny settings (one chain: fast; the gate fails, as it may), the sign-off
    estimate joined as the CLI's fit does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runs.fit_portfolio(
            portfolio, models=("satisfaction", "repeat"), draws=30, tune=30, chains=1, cores=1
        )


@pytest.fixture
def run_dir(fit, sim_csv_dir, tmp_path):
    return save_run(tmp_path / "runs" / "q4", sim_csv_dir, fit, causal=CAUSAL)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its content."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- atomic swap


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_keeps_the_previous_run(run_dir, fit, sim_csv_dir, monkeypatch, failure):
    before = _snapshot(run_dir)

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(runs, "atomic_write_text", fail)  # causal.json, after the fit is written
    with pytest.raises(type(failure)):
        save_run(run_dir, sim_csv_dir, fit, causal=CAUSAL)
    assert _snapshot(run_dir) == before
    assert _hidden(run_dir.parent) == []  # the unfinished staging folder is gone
    assert load_run(run_dir, data=sim_csv_dir).causal["estimate"].tolist() == [4.25]


KILLED_SAVE = """
import sys, time
import satprofit.runs as runs

run = runs.load_run(sys.argv[1], data=sys.argv[2])

def hang(portfolio, **kwargs):  # the causal estimates, after the fit is written to staging
    print("staged", flush=True)
    time.sleep(600)

runs.causal_records = hang
runs.save_run(sys.argv[1], sys.argv[2], run.fit)
"""


def test_a_killed_save_keeps_the_previous_run_and_the_next_save_cleans_up(
    run_dir, fit, sim_csv_dir
):
    before = _snapshot(run_dir)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(run_dir), str(sim_csv_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "staged"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert _snapshot(run_dir) == before
    left = _hidden(run_dir.parent)
    assert len(left) == 1 and left[0].startswith(".q4.") and left[0].endswith(".staging")
    assert (run_dir.parent / left[0] / "fit" / "fit.json").exists()  # the fit had been staged
    assert load_run(run_dir, data=sim_csv_dir).meta == json.loads(
        (run_dir / "run.json").read_text()
    )

    causal = [{**CAUSAL[0], "estimate": 5.5}]
    save_run(run_dir, sim_csv_dir, fit, causal=causal)
    assert _hidden(run_dir.parent) == []
    assert load_run(run_dir, data=sim_csv_dir).causal["estimate"].tolist() == [5.5]


def test_a_folder_holding_other_files_is_not_replaced_by_a_run(fit, sim_csv_dir, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.docx").write_text("the client's notes")
    with pytest.raises(RunError, match=r"notes\.docx.*not replaced"):
        save_run(folder, sim_csv_dir, fit, causal=CAUSAL)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.docx"]
    assert _hidden(tmp_path) == []


def test_report_refuses_a_run_folder_without_a_finished_run(
    run_dir, sim_csv_dir, portfolio, tmp_path, monkeypatch, capsys
):
    """Neither an empty folder nor a run whose run.json is gone starts a fit."""
    import satprofit.cli as cli

    def no_fit(*args, **kwargs):
        raise AssertionError("report must not fit")

    monkeypatch.setattr(cli, "_fit", no_fit)
    unfinished = tmp_path / "unfinished"
    shutil.copytree(run_dir, unfinished)
    (unfinished / "run.json").unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    client = portfolio.clients["client_id"].iloc[0]
    for folder in (unfinished, empty, tmp_path / "missing"):
        args = ["report", str(sim_csv_dir), "--run", str(folder), "--client", client]
        assert main([*args, "--out", str(tmp_path / "reports"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"--run {folder}: no finished run there" in err
    assert not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- content hashes


def _edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def _effects_median(doc: dict) -> None:
    first = next(iter(doc["effects"]))
    doc["effects"][first]["median"] = 9.99


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


EDITS = {
    "an edited causal figure": (
        "causal.json",
        lambda p: _edit_json(p, lambda d: d[0].update(estimate=42.0)),
    ),
    "an edited effect": ("fit/models/satisfaction.json", lambda p: _edit_json(p, _effects_median)),
    "a truncated posterior": ("fit/models/satisfaction.nc", _truncate),
    "a deleted posterior": ("fit/models/satisfaction.nc", Path.unlink),
    "an edited fit summary": (
        "fit/fit.json",
        lambda p: _edit_json(p, lambda d: d.update(signoff=None)),
    ),
    "edited settings": (
        "run.json",
        lambda p: _edit_json(p, lambda d: d["settings"].update(draws=4000)),
    ),
    "a truncated run.json": ("run.json", _truncate),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edited_or_truncated_run_files_are_refused_naming_the_file(
    run_dir, sim_csv_dir, portfolio, edit, capsys
):
    rel, change = EDITS[edit]
    path = run_dir / rel
    settings = json.loads((run_dir / "run.json").read_text())["settings"]
    assert reusable_run(run_dir, portfolio, settings)
    change(path)
    with pytest.raises(RunError) as err:
        load_run(run_dir, data=sim_csv_dir)
    assert str(path) in str(err.value)
    assert not reusable_run(run_dir, portfolio, settings)
    args = ["scenario", str(sim_csv_dir), "--run", str(run_dir), "--ontime-pp", "10"]
    assert main(args) == 2
    assert str(path) in capsys.readouterr().err


def test_a_run_is_not_reused_at_another_target_acceptance(run_dir, portfolio):
    # the acceptance changes every draw: it is one of the settings a run records
    settings = json.loads((run_dir / "run.json").read_text())["settings"]
    assert "target_accept" in settings
    assert reusable_run(run_dir, portfolio, settings)
    other = {**settings, "target_accept": 0.8 if settings["target_accept"] != 0.8 else 0.9}
    assert not reusable_run(run_dir, portfolio, other)


def test_truncated_files_name_the_file_when_read_on_their_own(run_dir, portfolio):
    nc = run_dir / "fit" / "models" / "satisfaction.nc"
    _truncate(nc)
    with pytest.raises(ValueError, match=r"satisfaction\.nc: unreadable posterior"):
        BayesResult.load(nc.with_suffix(""))
    _truncate(run_dir / "fit" / "fit.json")
    with pytest.raises(ValueError, match=r"fit\.json: not valid JSON"):
        PortfolioFit.load(run_dir / "fit", portfolio)


def test_a_run_written_without_hashes_is_refused(run_dir, sim_csv_dir):
    """A run of an earlier satprofit (no content hashes) is refused: refit."""
    _edit_json(run_dir / "run.json", lambda d: [d.pop("hash"), d.pop("files")])
    with pytest.raises(RunError, match="without content hashes; refit"):
        load_run(run_dir, data=sim_csv_dir)


# --------------------------------------------------------------------------- moved and shared


def test_a_moved_renamed_run_reads_its_data_folder_from_the_command_line(
    run_dir, sim_csv_dir, tmp_path, capsys
):
    text = (run_dir / "run.json").read_text()
    assert str(tmp_path) not in text and str(sim_csv_dir) not in text
    moved = tmp_path / "colleague" / "archive" / "2026-q4-final"
    moved.parent.mkdir(parents=True)
    shutil.move(run_dir, moved)
    data = tmp_path / "colleague" / "exports" / "crm-q4"
    shutil.copytree(sim_csv_dir, data)

    run = load_run(moved, data=data)
    assert run.data == data.resolve() and run.folder == moved
    client = run.portfolio.clients["client_id"].iloc[0]
    args = ["scenario", str(data), "--run", str(moved), "--client", client, "--ontime-pp", "10"]
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["client_id"] == client

    with pytest.raises(RunError, match="give the data folder"):
        load_run(moved)
    other = simulate_portfolio(20, 8, seed=1).write(tmp_path / "other-data")
    with pytest.raises(RunError, match="fitted on other data"):
        load_run(moved, data=other)
    assert main(["scenario", str(other), "--run", str(moved), "--ontime-pp", "10"]) == 2
    assert "fitted on other data" in capsys.readouterr().err


def _state(folder: Path) -> dict:
    """Every entry under ``folder`` with its modification time and content."""
    return {
        p: (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else None)
        for p in [folder, *folder.rglob("*")]
    }


def _read_only_command(folder: Path, cmd: list[str]) -> list[str]:
    """``cmd`` run where ``folder`` cannot be written. Permission bits do that for a user; root
    ignores them, so as root ``folder`` is also bind-mounted read-only in a private mount
    namespace (``unshare``) where one can be made; else only the bits (and the test's check
    that nothing changed) remain."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return cmd
    probe = subprocess.run(
        ["unshare", "--mount", "mount", "--bind", "-o", "ro", str(folder), str(folder)],
        capture_output=True,
    )
    if probe.returncode != 0:
        return cmd
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(folder), *cmd]


def test_a_read_only_run_folder_is_reported_from_and_left_untouched(
    run_dir, sim_csv_dir, portfolio, tmp_path
):
    """An archived run (no write permission anywhere in it) renders reports and is never
    written: configs and notebooks go to the report folder."""
    tpl, out = tmp_path / "tpl", tmp_path / "reports"
    tpl.mkdir()
    for kind in ("client", "portfolio"):
        (tpl / f"{kind}_report.py").write_text(TEMPLATE)
    for p in [run_dir, *run_dir.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        before = _state(run_dir)
        client = portfolio.clients["client_id"].iloc[0]
        cmd = [sys.executable, "-m", "satprofit.cli", "report", str(sim_csv_dir)]
        cmd += ["--run", str(run_dir), "--client", client, "--out", str(out)]
        done = subprocess.run(
            _read_only_command(run_dir, [*cmd, "--quiet"]),
            env=dict(os.environ, SATPROFIT_NOTEBOOKS=str(tpl)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert _state(run_dir) == before
    finally:
        for p in [run_dir, *run_dir.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["status"] for e in manifest["reports"]] == ["ok"]
    assert len(list((out / "audit").glob("*.ipynb"))) == 1  # the audit trail: report folder
    assert _hidden(out) == []  # no config or staging folder left


def test_run_json_names_no_absolute_path_and_every_file_by_hash(run_dir):
    meta = json.loads((run_dir / "run.json").read_text())
    assert "data_folder" not in meta and meta["data_name"] == Path(meta["data_name"]).name
    files = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    assert set(meta["files"]) == files - {"run.json"}
    assert {"causal.json", "fit/fit.json", "fit/models/satisfaction.nc"} <= set(meta["files"])


def test_a_run_saved_twice_replaces_the_first_whole(run_dir, fit, sim_csv_dir):
    stale_file = run_dir / "fit" / "models" / "nps.nc"  # from a fit of another model
    stale_file.write_bytes(b"an older model")
    t0 = time.time()
    save_run(run_dir, sim_csv_dir, fit, causal=CAUSAL)
    assert not stale_file.exists()
    assert (run_dir / "run.json").stat().st_mtime >= t0 - 1
    assert _hidden(run_dir.parent) == []
    load_run(run_dir, data=sim_csv_dir)
