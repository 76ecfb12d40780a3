"""Stage 4: client reports, rendered from parameterized notebooks to self-contained HTML.

:func:`render_notebook` executes a report template with papermill and writes one HTML file with
the code hidden and nothing loaded from outside the file (optionally a PDF through headless
Chromium); :func:`safe_filename` names a client's files; :func:`html_external_urls` and
:func:`html_active_content` check a page is self-contained and inert.
"""

from typing import TYPE_CHECKING

from satprofit.lazy import lazy_exports

if TYPE_CHECKING:
    from satprofit.reporting.render import (
        DEFAULT_KERNEL,
        DEFAULT_TIMEOUT,
        RenderResult,
        ReportError,
        find_kernel,
        html_active_content,
        html_external_urls,
        html_to_pdf,
        load_template,
        notebook_to_html,
        render_notebook,
        safe_filename,
        validate_parameters,
    )

#: Where each public name lives: imported on first use, so importing one submodule (a
#: report kernel imports ``client``) does not import all the others (PEP 562).
_EXPORTS = {
    "DEFAULT_KERNEL": "satprofit.reporting.render",
    "DEFAULT_TIMEOUT": "satprofit.reporting.render",
    "RenderResult": "satprofit.reporting.render",
    "ReportError": "satprofit.reporting.render",
    "find_kernel": "satprofit.reporting.render",
    "html_active_content": "satprofit.reporting.render",
    "html_external_urls": "satprofit.reporting.render",
    "html_to_pdf": "satprofit.reporting.render",
    "load_template": "satprofit.reporting.render",
    "notebook_to_html": "satprofit.reporting.render",
    "render_notebook": "satprofit.reporting.render",
    "safe_filename": "satprofit.reporting.render",
    "validate_parameters": "satprofit.reporting.render",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "DEFAULT_KERNEL",
    "DEFAULT_TIMEOUT",
    "RenderResult",
    "ReportError",
    "find_kernel",
    "html_active_content",
    "html_external_urls",
    "html_to_pdf",
    "load_template",
    "notebook_to_html",
    "render_notebook",
    "safe_filename",
    "validate_parameters",
]
