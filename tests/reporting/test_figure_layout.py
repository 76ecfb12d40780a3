"""Fixed figure margins: drawn once when the labels fit, constrained layout when they do not."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.layout_engine import ConstrainedLayoutEngine

from satprofit.reporting import blocks as B
from satprofit.reporting.figure_layout import fixed_layout, layout_fits


def _drawn(fig):
    fig.set_dpi(B.DPI)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _grid(wide: bool, *, wspace: float = 0.6, legend: bool = True):
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1_750_000 if wide else 2])
        ax.set_title("a panel")
    if legend:
        fig.legend(["series"], loc="outside lower center")
    return fixed_layout(fig, left=0.9, right=0.2, bottom=0.7, top=0.35, wspace=wspace)


def test_labels_that_fit_keep_the_fixed_margins():
    fig = _grid(wide=False)
    assert layout_fits(fig, _drawn(fig))
    B.figure(fig, "two panels")
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_a_label_reaching_into_the_next_panel_falls_back_to_constrained_layout():
    """Tick labels of 1,750,000 need more than the 0.3 in gap: the check sees them reach
    into the left panel, and the figure is laid out again with constrained layout."""
    fig = _grid(wide=True, wspace=0.3)
    assert not layout_fits(fig, _drawn(fig))
    B.figure(fig, "two panels")
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    wider = _grid(wide=True, wspace=1.0)
    assert layout_fits(wider, _drawn(wider))
    plt.close("all")


def test_a_label_off_the_canvas_or_over_a_legend_is_caught():
    fig, ax = plt.subplots(figsize=(4, 3))
    fixed_layout(fig, left=0.8, right=0.2, bottom=0.6, top=0.35)
    ax.plot([0, 1], [0, 1])
    ax.annotate("a label far too long to stay on this canvas", (0.9, 0.5))
    assert not layout_fits(fig, _drawn(fig))
    # a figure legend drawn over the axes' tick labels (no room left below them)
    low = _grid(wide=False)
    low.subplots_adjust(bottom=0.08)
    assert not layout_fits(low, _drawn(low))
    plt.close("all")


def test_margins_that_leave_no_room_are_refused():
    fig, _ = plt.subplots(figsize=(2, 2))
    with pytest.raises(ValueError, match="no room"):
        fixed_layout(fig, left=1.5, right=0.6, bottom=0.2, top=0.2)
    plt.close(fig)
