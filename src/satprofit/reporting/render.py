"""Render a parameterized report notebook into one self-contained HTML file (optionally a PDF).

The way of a report::

    template (.ipynb, or jupytext percent .py)
      -> staging copy with kernel metadata, in a fresh hidden folder next to the output
      -> papermill executes it there (kernel cwd = staging folder, MPLBACKEND=Agg)
      -> executed notebook kept in the audit folder (never shipped)
      -> nbconvert HTML: inputs and prompts hidden, nothing loaded from outside the file
      -> temporary file in the output folder, renamed into place
      -> optional PDF printed by headless Chromium, also renamed into place

A failure at any step raises :class:`ReportError` with the failing cell's error name and
message, leaves an existing report untouched and no temporary file behind; the notebook as far as
it ran is kept in the audit folder as ``<name>.failed.ipynb``.

Parameters are values the code generated, never user text: a path to a JSON run config (as
``str``) and an integer seed. Only ``str``, ``int``, ``bool`` and finite ``float`` built-ins are
accepted, because papermill escapes ``str`` values but writes other types (``Path``, ``Decimal``,
numpy scalars) into the injected code through ``str()``, unescaped.
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import math
import re
import shutil
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from satprofit.files import atomic_path, atomic_write_text, clean_stale
from satprofit.reporting.errors import ReportError
from satprofit.reporting.execution import (
    ANSI,
    DEFAULT_KERNEL,
    EngineFailure,
    describe_engine_failure,
    execute,
    find_kernel,
    load_template,
)
from satprofit.reporting.html_export import (
    html_active_content,
    html_external_urls,
    notebook_to_html,
)
from satprofit.reporting.pdf import html_to_pdf
from satprofit.reporting.staging import staging as staging_folder

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

#: Seconds a single cell may run before the render fails (nbclient's per-cell timeout).
DEFAULT_TIMEOUT = 600.0

#: Tag of the cell holding the template's parameters (papermill's convention).
PARAMETERS_TAG = "parameters"

_PARAM_TYPES = (str, int, bool, float)
_HASH_CHARS = 12
_SLUG_CHARS = 40
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")

# --------------------------------------------------------------------------- errors, results


@dataclass(frozen=True)
class RenderResult:
    """Where a rendered report went and how long each step took.

    Attributes
    ----------
    html : Path
        The self-contained HTML report (the file shipped to the client).
    notebook : Path
        The executed notebook in the audit folder (parameters in its metadata; never shipped).
    pdf : Path or None
        The PDF print of the HTML, when asked for.
    parameters : dict
        The parameters injected into the notebook.
    execute_seconds, convert_seconds, pdf_seconds : float
        Wall time of papermill, of nbconvert and of Chromium (0.0 without PDF).
    """

    html: Path
    notebook: Path
    pdf: Path | None
    parameters: dict[str, str | int | bool | float] = field(default_factory=dict)
    execute_seconds: float = 0.0
    convert_seconds: float = 0.0
    pdf_seconds: float = 0.0


#: The executed notebook as papermill saves it in the staging folder (its last write is the
#: audit copy).
EXECUTED = "executed.ipynb"


# --------------------------------------------------------------------------- safe names


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_SLUG_CHARS].rstrip("-")


def safe_filename(client_id: str, name: str | None = None) -> str:
    """A file name stem for a client's report: ASCII slug plus a short hash of the raw id.

    Parameters
    ----------
    client_id : str
        The client's id as found in the data, any text (``../``, ``{}``, quotes, newlines,
        ``<script>``, Unicode, empty).
    name : str, optional
        A prefix naming the report, e.g. ``"client-report"``.

    Returns
    -------
    str
        ``[<name>-][<id slug>-]<hash>``: lower-case ``a-z0-9`` and ``-`` only, at most 95
        characters, never starting with ``.`` or ``-``. The hash is the first 12 hex digits of
        SHA-256 over the raw id, so distinct ids give distinct names even when their slugs agree.
        No extension: append ``.html``, ``.ipynb``, ``.pdf``.

    Examples
    --------
    >>> safe_filename("C-007", "client report")
    'client-report-c-007-63afb43dd9cb'
    """
    if type(client_id) is not str:
        raise TypeError(f"client_id must be str, not {type(client_id).__name__}")
    if name is not None and type(name) is not str:
        raise TypeError(f"name must be str or None, not {type(name).__name__}")
    digest = hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()
    parts = [_slug(name or ""), _slug(client_id), digest[:_HASH_CHARS]]
    return "-".join(p for p in parts if p)


def _audit_stem(out_html: Path) -> str:
    stem = out_html.stem
    return stem if _SAFE_NAME.fullmatch(stem) else safe_filename(stem)


# --------------------------------------------------------------------------- parameters


def validate_parameters(params: Mapping[str, object] | None) -> dict[str, str | int | bool | float]:
    """Check that every parameter is a plain built-in value with an identifier for a name.

    Parameters
    ----------
    params : mapping of str to value, or None
        Values generated by code, e.g. ``{"run_config": str(run_dir / "run.json"), "seed": 7}``.
        Pass paths as ``str``; pass anything richer through the JSON run config.

    Returns
    -------
    dict
        A copy of ``params``.

    Raises
    ------
    TypeError
        A name that is not ``str``, or a value whose type is not exactly ``str``, ``int``,
        ``bool`` or ``float`` (subclasses, numpy scalars, ``Path``, ``Decimal``, ``None`` and
        containers are refused: papermill would write them into code unescaped).
    ValueError
        A name that is not a Python identifier or is a keyword, or a float that is not finite.
    """
    checked: dict[str, str | int | bool | float] = {}
    for name, value in (params or {}).items():
        if type(name) is not str:
            raise TypeError(f"parameter names must be str, not {type(name).__name__}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
        if type(value) not in _PARAM_TYPES:
            kind = f"{type(value).__module__}.{type(value).__qualname__}"
            raise TypeError(
                f"parameter {name!r} is a {kind}; only str, int, bool and float built-ins are "
                "accepted (pass a path as str, anything richer through the JSON run config)"
            )
        if type(value) is float and not math.isfinite(value):
            raise ValueError(f"parameter {name!r} is {value!r}; only finite floats are accepted")
        checked[name] = value
    return checked


def _declared_parameters(nb: nbformat.NotebookNode) -> set[str] | None:
    """Names assigned in the cell tagged ``parameters``; None when there is no such cell."""
    cells = [c for c in nb.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return None
    names: set[str] = set()
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise ValueError(f"the parameters cell is not valid Python: {exc.msg}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def _check_declared(nb: nbformat.NotebookNode, params: Mapping[str, object], source: Path) -> None:
    if not params:
        return
    declared = _declared_parameters(nb)
    if declared is None:
        raise ValueError(f"{source.name} has no cell tagged {PARAMETERS_TAG!r}")
    unknown = sorted(set(params) - declared)
    if unknown:
        raise ValueError(f"{source.name} declares no parameter {', '.join(unknown)}")


# --------------------------------------------------------------------------- the render


def _keep_failed(nb: nbformat.NotebookNode | None, audit_dir: Path, stem: str) -> Path | None:
    """Save the notebook as far as it ran; never mask the original error."""
    if nb is None:
        return None
    try:
        return atomic_write_text(audit_dir / f"{stem}.failed.ipynb", nbformat.writes(nb))
    except OSError:
        return None


def _run(
    staged_in: Path,
    params: dict,
    kernel_name: str,
    timeout: float,
    audit_dir: Path,
    stem: str,
    warm: bool = False,
) -> nbformat.NotebookNode:
    """Execute the staged notebook; on failure keep it in the audit folder and raise."""
    from papermill.exceptions import PapermillExecutionError

    staged_out = staged_in.with_name(EXECUTED)
    try:
        return execute(
            staged_in,
            staged_out,
            params=params,
            kernel_name=kernel_name,
            timeout=timeout,
            warm=warm,
        )
    except PapermillExecutionError as exc:
        failed = nbformat.read(staged_out, as_version=4) if staged_out.exists() else None
        kept = _keep_failed(failed, audit_dir, stem)
        evalue = ANSI.sub("", str(exc.evalue))
        message = f"cell In [{exc.exec_count}] raised {exc.ename}: {evalue}"
        raise ReportError(
            _with_audit(message, kept),
            stage="execute",
            ename=exc.ename,
            evalue=evalue,
            cell=exc.exec_count,
            notebook=kept,
        ) from None
    except EngineFailure as failure:
        stage, ename, evalue, count = describe_engine_failure(failure, timeout)
        kept = _keep_failed(failure.nb, audit_dir, stem)
        where = f"cell In [{count}]" if count is not None else "the kernel"
        message = f"{where} failed: {ename}: {evalue}"
        raise ReportError(
            _with_audit(message, kept),
            stage=stage,
            ename=ename,
            evalue=evalue,
            cell=count,
            notebook=kept,
        ) from None


def _with_audit(message: str, kept: Path | None) -> str:
    return f"{message} (notebook as far as it ran: {kept})" if kept else message


def _convert(nb: nbformat.NotebookNode, title: str) -> str:
    try:
        html = notebook_to_html(nb, title=title)
    except Exception as exc:  # nbconvert and jinja raise many types
        raise ReportError(
            f"nbconvert failed: {type(exc).__name__}: {exc}", stage="convert"
        ) from exc
    active = html_active_content(html)
    if active:
        raise ReportError(
            "the HTML would run script (" + ", ".join(sorted(set(active))) + "): a notebook "
            "output carries unescaped HTML; escape client text before displaying it",
            stage="convert",
        )
    return html


def render_notebook(
    template: Path,
    out_html: Path,
    *,
    title: str,
    audit_dir: Path,
    params: Mapping[str, object] | None = None,
    kernel_name: str = DEFAULT_KERNEL,
    timeout: float = DEFAULT_TIMEOUT,
    pdf: bool = False,
    warm: bool = False,
) -> RenderResult:
    """Execute a report template with papermill and write one self-contained HTML file.

    Parameters
    ----------
    template : Path
        The report notebook: ``.ipynb`` or jupytext percent ``.py``, with one cell tagged
        ``parameters`` declaring every name in ``params``.
    out_html : Path
        The report to write. Build its name with :func:`safe_filename`. Replaced only when the
        new report is complete; left untouched on failure.
    title : str
        The page's ``<title>`` (escaped; any text, e.g. with the client's name and the date).
    audit_dir : Path
        Folder for the executed notebook ``<stem>.ipynb`` (never shipped; holds parameters and
        any traceback), or ``<stem>.failed.ipynb`` when the run fails. Must not be the folder
        of ``out_html``.
    params : mapping, optional
        Values generated by code, never user text: a path to the JSON run config as ``str``
        and an ``int`` seed, typically. See :func:`validate_parameters`.
    kernel_name : str
        Jupyter kernel; ``"satprofit"`` is installed into the venv by ``make venv``
        (:func:`find_kernel` falls back to ``python3`` when that runs the same interpreter).
    timeout : float
        Seconds any one cell may run.
    pdf : bool
        Also print the report to ``out_html.with_suffix(".pdf")`` with headless Chromium.
    warm : bool
        Run on this thread's warm kernel (started by the first such render, kept for the
        next; its names wiped and its folder changed before each report; see
        :mod:`satprofit.reporting.execution`): batches pay kernel start-up, imports and run
        loading once per worker. Stop them with ``close_warm_kernels()``.

    Returns
    -------
    RenderResult

    Raises
    ------
    TypeError, ValueError
        Bad parameters or template (before anything runs).
    ReportError
        A cell raised or timed out, the kernel died, nbconvert failed, the HTML would run
        script, or Chromium failed. Carries ``ename``/``evalue`` of the failing cell.

    Notes
    -----
    The kernel runs in a fresh hidden staging folder next to ``out_html`` (removed afterwards),
    with this process's environment plus ``MPLBACKEND=Agg`` and the inline figure backend.
    Anything the notebook writes to its working directory is discarded.
    """
    template, out_html, audit_dir = Path(template), Path(out_html), Path(audit_dir)
    checked = validate_parameters(params)
    if type(title) is not str:
        raise TypeError(f"title must be str, not {type(title).__name__}")
    if audit_dir.resolve() == out_html.parent.resolve():
        raise ValueError("audit_dir must not be the report folder: notebooks are never shipped")
    kernel_name = find_kernel(kernel_name)
    nb = load_template(template, kernel_name=kernel_name)
    _check_declared(nb, checked, template)
    stem = _audit_stem(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    audit_dir.mkdir(parents=True, exist_ok=True)
    for folder in (out_html.parent, audit_dir):  # left by renders killed earlier
        clean_stale(folder)

    with staging_folder(out_html.parent) as staging:
        staged_in = staging / "template.ipynb"
        nbformat.write(nb, staged_in)
        t0 = time.perf_counter()
        executed = _run(staged_in, checked, kernel_name, timeout, audit_dir, stem, warm)
        t1 = time.perf_counter()
        pdf_path, times = _finish(
            executed, title, out_html, audit_dir, stem, pdf=pdf, saved=staging / EXECUTED
        )
    return RenderResult(
        html=out_html,
        notebook=audit_dir / f"{stem}.ipynb",
        pdf=pdf_path,
        parameters=checked,
        execute_seconds=t1 - t0,
        convert_seconds=times[0],
        pdf_seconds=times[1],
    )


def _finish(
    executed: nbformat.NotebookNode,
    title: str,
    out_html: Path,
    audit_dir: Path,
    stem: str,
    *,
    pdf: bool,
    saved: Path | None = None,
) -> tuple[Path | None, tuple[float, float]]:
    """Convert and publish; the audit notebook is renamed into place only with the report.

    ``saved``: the file papermill wrote ``executed`` to (its final save); moved into the audit
    folder rather than serialising and validating the notebook (images and all) once more."""
    with atomic_path(audit_dir / f"{stem}.ipynb") as audit_tmp:
        if saved is not None and saved.is_file():
            shutil.move(saved, audit_tmp)
        else:
            audit_tmp.write_text(nbformat.writes(executed), encoding="utf-8")
        try:
            t0 = time.perf_counter()
            html = _convert(executed, title)
            t1 = time.perf_counter()
            pdf_path, pdf_seconds = _publish(html, out_html, pdf=pdf)
        except OSError as exc:
            kept = _keep_failed(executed, audit_dir, stem)
            raise ReportError(
                f"could not write the report: {exc}", stage="write", notebook=kept
            ) from exc
        except ReportError as err:
            err.notebook = _keep_failed(executed, audit_dir, stem)
            raise
    (audit_dir / f"{stem}.failed.ipynb").unlink(missing_ok=True)
    return pdf_path, (t1 - t0, pdf_seconds)


def _publish(html: str, out_html: Path, *, pdf: bool) -> tuple[Path | None, float]:
    """Write the HTML (and its PDF) through temporary files and rename them into place."""
    with atomic_path(out_html, suffix=".tmp.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
        pdf_path, seconds = None, 0.0
        if pdf:
            t0 = time.perf_counter()
            pdf_path = html_to_pdf(tmp, out_html.with_suffix(".pdf"))
            seconds = time.perf_counter() - t0
    return pdf_path, seconds
