"""Plots of refused, failed or other-method estimates: a figure that says why, or a clear
error, never a KeyError."""

import math

import matplotlib
import pytest

matplotlib.use("Agg")

from satprofit.causal import plot_event_study, plot_overlap
from satprofit.causal.results import CausalEstimate


def _estimate(estimand, status="ok", reason="", method="regression"):
    nan = math.nan
    return CausalEstimate(
        estimand=estimand,
        estimate=0.1 if status == "ok" else nan,
        se=0.05 if status == "ok" else nan,
        ci_low=0.0 if status == "ok" else nan,
        ci_high=0.2 if status == "ok" else nan,
        unit="pp",
        method=method,
        adjustment_set=(),
        n=10,
        n_clusters=5,
        status=status,
        reason=reason,
    )


def _texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


@pytest.mark.parametrize("plot", [plot_overlap, plot_event_study, CausalEstimate.plot])
@pytest.mark.parametrize(
    ("status", "shown"),
    [("not_estimable", "not estimable: nobody escalated"), ("failed", "failed: nobody escalated")],
)
def test_a_refusal_is_a_figure_that_says_why(plot, status, shown):
    est = _estimate("sales_in_escalations", status, "nobody escalated")
    fig = plot(est)
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        assert shown in _texts(fig).replace("\n", " ")
        assert fig.axes[0].get_title() == "sales_in_escalations"
    finally:
        matplotlib.pyplot.close(fig)


def test_a_refusal_draws_into_a_given_axes():
    fig, ax = matplotlib.pyplot.subplots()
    try:
        out = plot_overlap(_estimate("sales_in_escalations", "not_estimable", "no overlap"), ax=ax)
        assert out is fig and "no overlap" in _texts(fig)
    finally:
        matplotlib.pyplot.close(fig)


@pytest.mark.parametrize(
    ("plot", "needs"),
    [(plot_overlap, "propensities"), (plot_event_study, "staggered DiD")],
)
def test_an_answer_of_another_method_is_a_clear_error(plot, needs):
    est = _estimate("sales_in_escalations", method="regression")
    with pytest.raises(ValueError, match=f"{needs}.*method 'regression'.*diagnostic"):
        plot(est)
