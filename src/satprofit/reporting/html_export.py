"""Executed notebook to one self-contained, inert HTML page (nbconvert), and the checks that it is."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import nbformat

__all__ = [
    "HTML_TEMPLATE",
    "REMOVE_CELL_TAG",
    "REMOVE_OUTPUT_TAG",
    "TEMPLATE_DIR",
    "html_active_content",
    "html_external_urls",
    "notebook_to_html",
]

#: Folder of the nbconvert template (``satprofit_report``, extending ``lab/index.html.j2``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
HTML_TEMPLATE = "satprofit_report"


#: Cells tagged so are dropped from the HTML (kept in the audit notebook).
REMOVE_CELL_TAG = "remove-cell"
REMOVE_OUTPUT_TAG = "remove-output"


# --------------------------------------------------------------------------- HTML


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str) -> str:
    """Convert an executed notebook to one self-contained HTML page, code hidden.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    title : str
        The page's ``<title>`` (HTML-escaped here).

    Returns
    -------
    str
        HTML without code inputs or prompts, images as base64 data with alt text, and no
        script, stylesheet or image loaded from outside the file (no MathJax either, so ``$``
        in Markdown stays a dollar sign). Cells tagged ``remove-cell`` are dropped and the
        outputs of cells tagged ``remove-output``.
    """
    if type(title) is not str:
        raise TypeError(f"title must be str, not {type(title).__name__}")
    # a shallow copy with the title: nbconvert converts a deep copy of its own
    titled = nbformat.NotebookNode({**nb, "metadata": nbformat.NotebookNode(nb.metadata)})
    titled.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(titled)
    return body


#: One exporter per thread: its Jinja environment compiles the templates once (about 0.13 s
#: a report on 2 cores), not once per report. A call's notebook and resources live in that
#: call only; the environment holds compiled templates and filters, never a report's content.
_EXPORTERS = threading.local()


def _exporter():
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        exporter = _EXPORTERS.html = _new_exporter()
    return exporter


def _new_exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name=HTML_TEMPLATE,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=False,
    )
    remover = TagRemovePreprocessor(
        remove_cell_tags={REMOVE_CELL_TAG}, remove_all_outputs_tags={REMOVE_OUTPUT_TAG}
    )
    exporter.register_preprocessor(remover, enabled=True)
    return exporter


_URL_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(
    r"""url\(\s*(['"]?)(?P<url>.*?)\1\s*\)|@import\s+(['"])(?P<imported>.*?)\3""",
    re.IGNORECASE | re.DOTALL,
)
_SCRIPT_URL = re.compile(r"""https?://[^\s"'<>)]+""", re.IGNORECASE)
_DATA_SCRIPT_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$", re.IGNORECASE)


class _HtmlScan(HTMLParser):
    """One pass over an HTML page collecting external URLs and active content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.active: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        for attr in _URL_ATTRS.get(tag, ()):
            if attr in values:
                self._add_urls(values[attr], srcset=attr == "srcset")
        if "style" in values:
            self._add_css(values["style"])
        self._check_active(tag, values)
        if tag in {"style", "script"}:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self._add_css(data)
        elif self._in == "script":
            self.urls.extend(_SCRIPT_URL.findall(data))

    def _add_urls(self, value: str, *, srcset: bool) -> None:
        candidates = [c.split()[0] for c in value.split(",") if c.strip()] if srcset else [value]
        self.urls.extend(c.strip() for c in candidates if _EXTERNAL.match(c))

    def _add_css(self, css: str) -> None:
        found = [m.group("url") or m.group("imported") or "" for m in _CSS_URL.finditer(css)]
        self.urls.extend(u.strip() for u in found if _EXTERNAL.match(u))

    def _check_active(self, tag: str, values: dict[str, str]) -> None:
        if tag == "script" and not _DATA_SCRIPT_TYPES.match(values.get("type", "").strip()):
            self.active.append("<script>")
        for attr, value in values.items():
            if attr.startswith("on"):
                self.active.append(f"<{tag} {attr}=...>")
            elif re.match(r"^\s*(?:javascript|vbscript):", value, re.IGNORECASE):
                self.active.append(f"<{tag} {attr}={value.strip()[:40]!r}>")


def _scan(html: str) -> _HtmlScan:
    scan = _HtmlScan()
    scan.feed(html)
    scan.close()
    return scan


def html_external_urls(html: str) -> list[str]:
    """External URLs a browser would fetch when opening ``html``.

    Parameters
    ----------
    html : str
        An HTML page.

    Returns
    -------
    list of str
        Every ``http://``, ``https://`` or protocol-relative (``//host``) URL in the ``src``,
        ``href``, ``srcset``, ``data`` or ``poster`` attributes of script, link, img, iframe,
        source, audio, video, track, embed, object and SVG image elements; in CSS ``url(...)``
        and ``@import`` (style elements and attributes); and in inline scripts. Links a reader
        may follow (``<a href>``) are not fetched and not listed. Empty for a self-contained
        page.
    """
    return _scan(html).urls


def html_active_content(html: str) -> list[str]:
    """Script that would run when ``html`` is opened.

    Parameters
    ----------
    html : str
        An HTML page.

    Returns
    -------
    list of str
        One entry per ``<script>`` element (JSON data scripts excepted), ``on...=`` event
        handler attribute and ``javascript:`` URL. The report template has none, so an entry
        means a notebook output carried unescaped HTML (e.g. a client name in Markdown).
    """
    return _scan(html).active
