"""The set-up both report templates share: one call at the top of each notebook.

:func:`open_report` reads the report's JSON config, checks it asks for this template's kind,
loads the run against its data folder (read only, in the config's encoding), applies the report
figure theme and shows amounts in the portfolio's currency. Nothing is fitted.

Opened by hand (JupyterLab, empty ``config_path``), a template reports on the demo run that
``make demo`` writes: ``runs/demo`` fitted on ``data/sample``, found from the working folder
upwards (or ``$SATPROFIT_RUN`` and ``$SATPROFIT_DATA``), for its first client.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from satprofit.reporting import blocks as B
from satprofit.reporting.config import ReportConfig, load_config

__all__ = ["hand_config", "open_report"]


def open_report(config_path: str | os.PathLike, kind: str):
    """The config and the loaded run of one report.

    Parameters
    ----------
    config_path : path
        The JSON config written by ``satprofit report`` (:class:`ReportConfig`).
    kind : {"client", "portfolio"}
        The template's kind; a config for the other kind is refused.

    Returns
    -------
    (ReportConfig, satprofit.runs.Run)
    """
    warnings.filterwarnings("ignore")
    for name in ("pymc", "pytensor", "arviz"):
        logging.getLogger(name).setLevel(logging.ERROR)
    config: ReportConfig = load_config(config_path) if config_path else hand_config(kind)
    if config.kind != kind:
        raise ValueError(f"this template renders {kind} reports, not {config.kind!r} reports")
    run = _cached_run(config)
    B.theme()
    B.set_currency(run.portfolio.currency)
    return config, run


#: The last run loaded in this process: a warm kernel renders report after report of one run.
_RUN_CACHE: dict[tuple, object] = {}


def _cached_run(config: ReportConfig):
    """``load_run`` of the config's run, reused while its ``run.json`` (which holds the hash of
    every file) and the data folder are the same; one run is kept."""
    import json

    from satprofit.runs import load_run

    try:
        run_hash = json.loads((Path(config.run) / "run.json").read_text()).get("hash")
    except (OSError, ValueError):
        run_hash = None  # load_run says what is wrong
    key = (str(Path(config.run).resolve()), run_hash, config.data, config.encoding)
    if run_hash is None or key not in _RUN_CACHE:
        run = load_run(config.run, data=config.data, encoding=config.encoding)
        _RUN_CACHE.clear()
        if run_hash is not None:
            _RUN_CACHE[key] = run
        return run
    return _RUN_CACHE[key]


def hand_config(kind: str, start: str | os.PathLike | None = None) -> ReportConfig:
    """The config of a template opened by hand: the demo run and its data.

    ``$SATPROFIT_RUN`` / ``$SATPROFIT_DATA`` when set, else the first folder from ``start``
    (the working folder) upwards that holds ``runs/demo/run.json`` and ``data/sample``; a client
    report shows the portfolio's first client.

    Raises
    ------
    FileNotFoundError
        No run found: the message says how to make one.
    """
    from satprofit.io import load_portfolio

    run, data = os.environ.get("SATPROFIT_RUN"), os.environ.get("SATPROFIT_DATA")
    if not (run and data):
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "runs" / "demo" / "run.json").is_file() and (
                folder / "data" / "sample"
            ).is_dir():
                run = run or str(folder / "runs" / "demo")
                data = data or str(folder / "data" / "sample")
                break
    if not (run and data):
        raise FileNotFoundError(
            "This report template is rendered by `satprofit report`, which passes config_path. "
            "Opened by hand it shows the demo run: run `make demo` in the repository first (it "
            "writes runs/demo from data/sample), or set SATPROFIT_RUN and SATPROFIT_DATA to a run "
            "folder and the data folder it was fitted on."
        )
    client_id = None
    if kind == "client":
        client_id = str(load_portfolio(data).clients["client_id"].iloc[0])
    return ReportConfig(str(Path(run).resolve()), kind, client_id, data=str(Path(data).resolve()))
