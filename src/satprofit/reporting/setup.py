"""The set-up both report templates share: one call at the top of each notebook.

:func:`open_report` reads the report's JSON config, checks it asks for this template's kind,
loads the run against its data folder (read only, in the config's encoding), applies the report
figure theme and shows amounts in the portfolio's currency. Nothing is fitted.
"""

from __future__ import annotations

import logging
import os
import warnings

from satprofit.reporting import blocks as B
from satprofit.reporting.config import ReportConfig, load_config

__all__ = ["open_report"]


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
    from satprofit.runs import load_run

    warnings.filterwarnings("ignore")
    for name in ("pymc", "pytensor", "arviz"):
        logging.getLogger(name).setLevel(logging.ERROR)
    config: ReportConfig = load_config(config_path)
    if config.kind != kind:
        raise ValueError(f"this template renders {kind} reports, not {config.kind!r} reports")
    run = load_run(config.run, data=config.data, encoding=config.encoding)
    B.theme()
    B.set_currency(run.portfolio.currency)
    return config, run
