"""Stage 4: client reports, rendered from parameterized notebooks to self-contained HTML.

:func:`render_notebook` executes a report template with papermill and writes one HTML file with
the code hidden and nothing loaded from outside the file (optionally a PDF through headless
Chromium); :func:`safe_filename` names a client's files; :func:`html_external_urls` and
:func:`html_active_content` check a page is self-contained and inert.
"""

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
