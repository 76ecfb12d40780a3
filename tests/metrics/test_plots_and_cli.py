"""Dashboard figures and the metrics command."""

from __future__ import annotations

import inspect

import matplotlib
import pandas as pd
import pytest

from satprofit import metrics
from satprofit.cli import main
from satprofit.metrics import dashboard
from tests.conftest import REPO
from tests.features.tiny import tiny_portfolio

matplotlib.use("Agg")
PLOTS = [metrics.plot_metrics_overview, metrics.plot_metric_trends, metrics.plot_metric_heatmap]


@pytest.fixture(scope="module")
def table():
    return dashboard(tiny_portfolio(), by="delivery_team")


@pytest.mark.parametrize("fn", PLOTS)
def test_plot_returns_a_figure(fn, table):
    fig = fn(table)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes and all(ax.get_title() or fig._suptitle for ax in fig.axes[:1])
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("fn", PLOTS)
def test_plot_options_are_keyword_only(fn):
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "table"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])


def test_plot_on_given_axes(table):
    fig, ax = matplotlib.pyplot.subplots()
    assert metrics.plot_metric_trends(table, metric="joint_engagements", ax=ax) is fig
    matplotlib.pyplot.close(fig)


def test_metrics_cli_writes_csv(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert (
        main(
            [
                "metrics",
                str(REPO / "data" / "sample"),
                "--by",
                "client",
                "--freq",
                "Q",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, dtype={"period": str})
    assert list(table.columns[:2]) == ["client_id", "period"]
    assert table["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert "wrote" in capsys.readouterr().out


def test_metrics_cli_bad_freq(capsys):
    assert main(["metrics", str(REPO / "data" / "sample"), "--freq", "nonsense"]) == 2
    assert "freq" in capsys.readouterr().err
