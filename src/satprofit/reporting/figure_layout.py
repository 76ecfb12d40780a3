"""Fixed figure margins, checked after drawing, with constrained layout as the fallback.

Matplotlib's constrained layout places a figure's axes around their labels by measuring every
label twice before the figure is drawn (two passes of tick and text layout), which is most of
the cost of a report figure. A report figure of a known shape can instead get fixed margins
(:func:`fixed_layout`, in inches, generous: the PNG is cropped to its ink afterwards, see
:func:`satprofit.reporting.blocks.figure`) and be drawn once. After that one draw,
:func:`layout_fits` checks what constrained layout would have guaranteed, from the label
positions the draw has just computed: every label, title, legend and annotation lies inside
the canvas, and none reaches into another axes or another axes' labels. A figure that fails the
check (a client's unusually long label) is laid out again with constrained layout and redrawn,
so a fixed margin can cost time on a rare figure, never a clipped or overlapping label.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FIXED_LAYOUT", "fixed_layout", "layout_fits"]

#: Attribute marking a figure laid out by :func:`fixed_layout` (checked after drawing).
FIXED_LAYOUT = "_satprofit_fixed_layout"


def fixed_layout(
    fig,
    *,
    left: float,
    right: float,
    bottom: float,
    top: float,
    wspace: float = 0.0,
    hspace: float = 0.0,
):
    """Place ``fig``'s subplot grid with fixed margins and gaps, in inches; returns ``fig``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure without a layout engine (``plt.subplots(..., layout=None)``).
    left, right, bottom, top : float
        Space between the canvas edge and the grid of axes.
    wspace, hspace : float
        Space between neighbouring axes (columns, rows).

    Returns
    -------
    matplotlib.figure.Figure
        The same figure, marked so that :func:`satprofit.reporting.blocks.figure` checks it
        with :func:`layout_fits` after drawing it.
    """
    w, h = fig.get_size_inches()
    geometry = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes else (1, 1)
    rows, cols = geometry
    inner_w = w - left - right
    inner_h = h - bottom - top
    if inner_w <= 0 or inner_h <= 0:
        raise ValueError(
            f"margins of {left + right} x {bottom + top} in leave no room on {w} x {h}"
        )
    fig.set_layout_engine("none")
    fig.subplots_adjust(
        left=left / w,
        right=1 - right / w,
        bottom=bottom / h,
        top=1 - top / h,
        # matplotlib's gaps are fractions of the mean axes width / height
        wspace=wspace / ((inner_w - (cols - 1) * wspace) / cols) if cols > 1 else 0.0,
        hspace=hspace / ((inner_h - (rows - 1) * hspace) / rows) if rows > 1 else 0.0,
    )
    setattr(fig, FIXED_LAYOUT, True)
    return fig


def _drawn_ticks(axis):
    """The tick labels the last draw showed (ticks inside the view interval)."""
    lo, hi = sorted(axis.get_view_interval())
    slack = 1e-9 * max(abs(lo), abs(hi), 1.0)
    for tick in axis.get_major_ticks(len(axis.get_majorticklocs())):
        if lo - slack <= tick.get_loc() <= hi + slack:
            for label in (tick.label1, tick.label2):
                if label.get_visible() and label.get_text():
                    yield label


def _labels(ax):
    """Every text an axes drew around or on itself, and its legend."""
    # the left and right titles are private attributes: read defensively
    texts = [ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)]
    texts += [ax.xaxis.label, ax.yaxis.label, ax.xaxis.offsetText, ax.yaxis.offsetText]
    texts += list(ax.texts)
    for axis in (ax.xaxis, ax.yaxis):
        texts.extend(_drawn_ticks(axis))
    shown = [t for t in texts if t is not None and t.get_visible() and t.get_text()]
    legend = ax.get_legend()
    return shown + ([legend] if legend is not None and legend.get_visible() else [])


def layout_fits(fig, renderer) -> bool:
    """Whether a drawn figure's labels all lie inside its canvas and clear of each other axes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Drawn (``fig.canvas.draw()``): the label positions are the draw's.
    renderer : matplotlib.backend_bases.RendererBase
        The renderer of that draw.

    Returns
    -------
    bool
        False when a label, title, legend or annotation leaves the canvas, reaches into the
        plotting area of another axes, or overlaps another axes' labels (or a figure legend
        or title overlaps any axes or its labels).
    """
    axes = [ax for ax in fig.axes if ax.get_visible()]
    owner, boxes = [], []
    for i, ax in enumerate(axes):
        for artist in _labels(ax):
            owner.append(i)
            boxes.append(artist.get_window_extent(renderer).extents)
    for artist in [*fig.legends, *fig.texts, getattr(fig, "_suptitle", None)]:
        if artist is not None and artist.get_visible():
            owner.append(-1)
            boxes.append(artist.get_window_extent(renderer).extents)
    if not boxes:
        return True
    b = np.asarray(boxes, dtype=float)  # x0, y0, x1, y1 in pixels
    own = np.asarray(owner)
    width, height = fig.bbox.width, fig.bbox.height
    tol = 0.5  # a pixel's rounding
    inside = (b[:, 0] >= -tol) & (b[:, 1] >= -tol) & (b[:, 2] <= width + tol)
    if not (inside & (b[:, 3] <= height + tol)).all():
        return False
    areas = np.asarray([ax.bbox.extents for ax in axes], dtype=float)
    if _overlaps(b, areas, own[:, None] != np.arange(len(axes))[None, :]):
        return False
    return not _overlaps(b, b, own[:, None] != own[None, :])


def _overlaps(a: np.ndarray, b: np.ndarray, pairs: np.ndarray) -> bool:
    """Whether any box of ``a`` overlaps a box of ``b`` (by more than a pixel) where
    ``pairs`` allows."""
    dx = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    dy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return bool(((dx > 1.0) & (dy > 1.0) & pairs).any())
