"""Safe display helpers for report notebooks: one figure theme, escaped text, tables and images.

Every helper returns an IPython display object (``HTML`` or ``Image``) rather than displaying it,
so a notebook cell shows one by leaving it last, several with :func:`show`, and tests can read
``obj.data``. All text is escaped with :func:`html.escape` before it becomes HTML: client names
and ids may hold ``<script>``, quotes, ``{}`` or newlines, and the renderer refuses any page
that would run script. Nothing here writes Markdown, so MathJax-style ``$`` never matters, and
the number formats avoid currency symbols altogether: amounts carry the portfolio's ISO code
(``EUR 12,300``, :func:`set_currency`) or none.

Figures: :func:`theme` sets one seaborn theme for every report figure (white grid, colour-blind
palette, 150 dpi, readable when printed); :func:`figure` turns a matplotlib figure into a PNG with
alt text (read by the report template from the output's ``image/png`` metadata) and closes it,
so the inline backend never shows it a second time without alt text. Text drawn into a figure
goes through :func:`plot_text`, which keeps matplotlib from reading ``$`` as mathematics.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from satprofit.questions import QUESTIONS, find_estimand
from satprofit.reporting.figure_layout import FIXED_LAYOUT, fixed_layout, layout_fits

__all__ = [
    "DPI",
    "ESTIMAND_TITLES",
    "MODEL_LABELS",
    "bullets",
    "callout",
    "count",
    "estimand_title",
    "figure",
    "fixed_layout",
    "heading",
    "interval",
    "method_label",
    "money",
    "number",
    "paragraph",
    "pct",
    "plot_text",
    "plural",
    "pp",
    "set_currency",
    "show",
    "spans_zero",
    "table",
    "theme",
]

#: Resolution of report figures (sharp on paper, small enough for one HTML file).
DPI = 150

#: Short label of each estimand, derived from the question specs (:mod:`satprofit.questions`);
#: kept for callers not yet using :func:`estimand_title`.
ESTIMAND_TITLES: dict[str, str] = {e.id: e.label for q in QUESTIONS for e in q.estimands}

#: Plain and short names of the Bayesian models' method ids (the causal estimators' labels come
#: from their registry, :mod:`satprofit.causal.estimators`).
MODEL_LABELS: dict[str, tuple[str, str]] = {
    "bayes_ordinal_satisfaction": (
        "Bayesian hierarchical satisfaction model",
        "Bayes satisfaction",
    ),
    "bayes_repeat_hurdle": ("Bayesian repeat-business model", "Bayes repeat"),
    "bayes_path": (
        "Bayesian path model (satisfaction and repeat-business models joined)",
        "Bayes path",
    ),
}


def estimand_title(estimand: str) -> str:
    """Short label of an estimand (``question`` or ``question.part``) for tables and plots,
    from its spec; an unknown id is shown as it is."""
    spec = find_estimand(estimand)
    return spec.label if spec is not None else estimand


def method_label(method: str, *, short: bool = False) -> str:
    """Plain name of a method id (a registered causal estimator or a Bayesian model);
    ``short`` for a plot's axis. An unknown id is shown as it is."""
    from satprofit.causal.estimators import ESTIMATORS  # the causal stage, read when needed

    if method in ESTIMATORS:
        est = ESTIMATORS[method]
        return est.short_label if short else est.label
    if method in MODEL_LABELS:
        return MODEL_LABELS[method][1 if short else 0]
    return method


_CALLOUT_STYLES = {
    "warning": ("Warning", "#fff4e5", "#d55e00"),
    "info": ("Note", "#eef5fb", "#0072b2"),
}


# --------------------------------------------------------------------------- theme, figures


def theme() -> None:
    """Set the one theme every report figure uses.

    seaborn ``whitegrid`` style, ``notebook`` context with slightly larger fonts, the
    colour-blind palette, and 150 dpi for figures and saved PNGs, so figures read well on screen
    and on paper (greys and the colour-blind palette also survive black-and-white printing).
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind", font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.autolayout": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "legend.frameon": False,
            "text.usetex": False,
        }
    )


def plot_text(text: object) -> str:
    """Text safe to draw in a matplotlib figure: ``$`` is shown as a dollar sign, not maths.

    Parameters
    ----------
    text : object
        Any label (converted with ``str``); newlines become spaces.

    Returns
    -------
    str
    """
    return " ".join(str(text).split()).replace("$", r"\$")


#: White space kept around a figure's ink when it is cropped (inches), as matplotlib's
#: ``bbox_inches="tight"`` default ``pad_inches``.
PAD_INCHES = 0.1


def figure(fig, alt: str):
    """A matplotlib figure as a PNG image with alt text; the figure is closed.

    The figure is drawn once on a white background, cropped to its ink and framed by
    :data:`PAD_INCHES` of white. This is what ``savefig(bbox_inches="tight")`` gives for a
    figure whose artists lie inside it (every report figure: their layout engine keeps them
    there), at one draw instead of two: the tight box is measured by a draw of its own.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, for screen readers and when images are off (the report template
        writes it, escaped, into the ``<img alt>`` attribute). Must not be empty.

    Returns
    -------
    IPython.display.Image
        PNG bytes (RGB) at :data:`DPI`, metadata ``{"alt": alt}``.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    alt = " ".join(str(alt).split())
    if not alt:
        raise ValueError("every report figure needs alt text")
    try:
        png = _cropped_png(fig)
    finally:
        plt.close(fig)
    return Image(data=png, format="png", metadata={"alt": alt})


def _cropped_png(fig) -> bytes:
    """PNG bytes of ``fig`` drawn once at :data:`DPI`, cropped to its ink plus the pad."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image as PILImage

    fig.set_dpi(DPI)
    fig.patch.set_facecolor("white")
    canvas = fig.canvas  # Agg under the inline backend and MPLBACKEND=Agg
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    if getattr(fig, FIXED_LAYOUT, False) and not layout_fits(fig, canvas.get_renderer()):
        fig.set_layout_engine("constrained")  # a label the fixed margins do not hold
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    rgb = rgba[..., :3]
    ink = rgba.view(np.uint32)[..., 0] != 0xFFFFFFFF  # not opaque white (one compare a pixel)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size:  # the ink, then white to the pad on every side (beyond the canvas too)
        pad = round(PAD_INCHES * DPI)
        rgb = np.pad(
            rgb[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1],
            ((pad, pad), (pad, pad), (0, 0)),
            constant_values=255,
        )
    buf = io.BytesIO()
    # zlib level 3: 0.6x the encoding time of the default 6, files 7 % larger
    PILImage.fromarray(np.ascontiguousarray(rgb)).save(
        buf, format="png", dpi=(DPI, DPI), compress_level=3
    )
    return buf.getvalue()


# --------------------------------------------------------------------------- text blocks


def _html(markup: str):
    from IPython.display import HTML

    return HTML(markup)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _lines(text: object) -> str:
    """Escaped text whose newlines become line breaks."""
    return "<br>".join(_esc(line) for line in str(text).split("\n"))


def heading(text: object, level: int = 2):
    """An escaped HTML heading ``<h1>``..``<h4>``."""
    if level not in (1, 2, 3, 4):
        raise ValueError("heading level must be 1 to 4")
    return _html(f"<h{level}>{_esc(' '.join(str(text).split()))}</h{level}>")


def paragraph(text: object):
    """One escaped paragraph (newlines kept as line breaks)."""
    return _html(f"<p>{_lines(text)}</p>")


def bullets(items: Iterable[object]):
    """An escaped bulleted list; an empty list shows nothing."""
    lis = "".join(f"<li>{_lines(item)}</li>" for item in items)
    return _html(f"<ul>{lis}</ul>" if lis else "")


def callout(text: object, kind: str = "warning"):
    """A boxed, escaped message that stands out (``warning``) or informs (``info``)."""
    if kind not in _CALLOUT_STYLES:
        raise ValueError(f"callout kind must be one of {sorted(_CALLOUT_STYLES)}")
    label, background, border = _CALLOUT_STYLES[kind]
    style = (
        f"background:{background};border-left:5px solid {border};padding:0.6em 1em;margin:0.8em 0;"
    )
    return _html(
        f'<div class="satprofit-callout satprofit-{kind}" style="{style}">'
        f"<strong>{label}:</strong> {_lines(text)}</div>"
    )


def table(
    df: pd.DataFrame,
    caption: str | None = None,
    formats: Mapping[str, Callable[[object], str] | str] | None = None,
    *,
    index: bool = False,
):
    """A DataFrame as an escaped HTML table.

    Parameters
    ----------
    df : DataFrame
        Any content; cells, column names and index labels are HTML-escaped.
    caption : str, optional
        Shown above the table (escaped).
    formats : mapping, optional
        Column -> callable returning text, or a format string such as ``"{:,.0f}"``.
        Missing values show as an en dash.
    index : bool
        Show the index.

    Returns
    -------
    IPython.display.HTML
    """
    formats = dict(formats or {})
    cols = list(df.columns)
    numeric = [_is_numeric(df[c]) for c in cols]
    head = [("", False)] if index else []
    head += [(c, num) for c, num in zip(cols, numeric, strict=True)]
    rows = []
    for label, (_, row) in zip(df.index, df.iterrows(), strict=True):
        cells = [_cell(label, None, th=True)] if index else []
        for c, num in zip(cols, numeric, strict=True):
            cells.append(_cell(row[c], formats.get(c), right=num))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    header = "".join(
        f'<th style="text-align:{"right" if num else "left"}">{_esc(c)}</th>' for c, num in head
    )
    cap = f'<p class="satprofit-caption"><strong>{_esc(caption)}</strong></p>' if caption else ""
    return _html(
        f'{cap}<table class="dataframe satprofit-table"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _is_numeric(col: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col))


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # containers
        return False


def _default_format(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        return f"{v:,.0f}" if v == int(v) and abs(v) >= 1 else f"{v:,.2f}"
    return str(value)


def _cell(value: object, fmt, *, right: bool = False, th: bool = False) -> str:
    """One escaped table cell; missing values show as an en dash."""
    if _is_missing(value):
        text = "\u2013"
    elif fmt is None:
        text = _default_format(value)
    else:
        text = (fmt.format if isinstance(fmt, str) else fmt)(value)
    tag = "th" if th else "td"
    align = "right" if right else "left"
    return f'<{tag} style="text-align:{align}">{_lines(text)}</{tag}>'


def show(*objects) -> None:
    """Display each object (lists and tuples are flattened; None is skipped)."""
    from IPython.display import display

    for obj in objects:
        if obj is None:
            continue
        if isinstance(obj, list | tuple):
            show(*obj)
        else:
            display(obj)


# --------------------------------------------------------------------------- numbers


def _finite(x: object) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _round_sig(x: float, digits: int) -> float:
    if x == 0:
        return 0.0
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


#: Currency code :func:`money` puts before amounts when not told otherwise; ``None`` shows
#: bare amounts. A report sets it once from its portfolio (:func:`set_currency`).
_currency: str | None = None


def set_currency(code: str | None) -> str | None:
    """Show amounts with ``code`` (``"EUR"``, a portfolio's :attr:`Portfolio.currency`) from now
    on, or bare with ``None``; returns the code in force before, to restore it.

    Examples
    --------
    >>> previous = set_currency("EUR")
    >>> money(12345.6)
    'EUR 12,300'
    >>> _ = set_currency(previous)
    """
    global _currency
    before, _currency = _currency, (code or None)
    return before


def currency_label() -> str:
    """The currency code in force for labels ("EUR"), or the word "currency" when unknown."""
    return _currency or "currency"


def money(x: object, digits: int = 3, *, currency: str | None = None) -> str:
    """An amount of currency, rounded to ``digits`` significant figures, with its ISO code.

    The code is ``currency``, else the one set by :func:`set_currency`; with neither, the
    amount is shown bare. Codes, not symbols: ``$`` would be read as mathematics.

    Examples
    --------
    >>> money(12345.6)
    '12,300'
    >>> money(-987, currency="CHF")
    'CHF -987'
    """
    if not _finite(x):
        return "n/a"
    value = _round_sig(float(x), digits)
    text = f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:,.2g}"
    code = currency or _currency
    return f"{code} {text}" if code else text


def number(x: object, decimals: int = 2) -> str:
    """A plain number with ``decimals`` decimals (``n/a`` when missing)."""
    return f"{float(x):,.{decimals}f}" if _finite(x) else "n/a"


def count(x: object) -> str:
    """A whole number with thousands separators."""
    return f"{int(round(float(x))):,}" if _finite(x) else "n/a"


def pct(share: object, decimals: int = 0) -> str:
    """A share (0..1) as a percentage: ``0.834`` -> ``"83%"``."""
    return f"{100 * float(share):.{decimals}f}%" if _finite(share) else "n/a"


def pp(points: object, decimals: int = 1, *, sign: bool = False) -> str:
    """Percentage points: ``4.25`` -> ``"4.2 pp"`` (``"+4.2 pp"`` with ``sign``)."""
    if not _finite(points):
        return "n/a"
    return f"{float(points):{'+' if sign else ''}.{decimals}f} pp"


def plural(n: object, word: str, words: str | None = None) -> str:
    """``"1 project"``, ``"3 projects"`` (``words`` for an irregular plural)."""
    k = int(n) if _finite(n) else 0
    return f"{k:,} {word if k == 1 else (words or word + 's')}"


def interval(
    estimate: object,
    low: object,
    high: object,
    fmt: Callable[[object], str] = money,
    *,
    level: int = 80,
    about: bool = True,
    unit: str = "",
) -> str:
    """An estimate with its interval in words.

    Examples
    --------
    >>> interval(12345, 4100, 20800)
    'about 12,300 (80% interval 4,100 to 20,800)'
    >>> interval(0.321, 0.11, 0.56, number, unit="points")
    'about 0.32 points (80% interval 0.11 to 0.56)'
    """
    if not _finite(estimate):
        return "not estimable"
    head = f"about {fmt(estimate)}" if about else fmt(estimate)
    head = f"{head} {unit}" if unit else head
    if not (_finite(low) and _finite(high)):
        return head
    return f"{head} ({level}% interval {fmt(low)} to {fmt(high)})"


def spans_zero(low: object, high: object) -> bool:
    """Whether an interval contains 0 (missing bounds count as containing it)."""
    if not (_finite(low) and _finite(high)):
        return True
    return bool(float(low) <= 0 <= float(high))
