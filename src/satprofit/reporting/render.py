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
import copy
import functools
import hashlib
import keyword
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from satprofit.files import clean_stale, make_dir, mkstemp

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

#: Kernel installed into the project's venv by ``make venv`` (``ipykernel install --sys-prefix``).
DEFAULT_KERNEL = "satprofit"

#: Seconds a single cell may run before the render fails (nbclient's per-cell timeout).
DEFAULT_TIMEOUT = 600.0

#: Seconds to wait for the kernel to start (several renders in parallel start slowly).
KERNEL_START_TIMEOUT = 120.0

#: Seconds Chromium may take to print one report.
PDF_TIMEOUT = 120.0

#: Folder of the nbconvert template (``satprofit_report``, extending ``lab/index.html.j2``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
HTML_TEMPLATE = "satprofit_report"

#: Tag of the cell holding the template's parameters (papermill's convention).
PARAMETERS_TAG = "parameters"

#: Cells tagged so are dropped from the HTML (kept in the audit notebook).
REMOVE_CELL_TAG = "remove-cell"
REMOVE_OUTPUT_TAG = "remove-output"

#: Flags for headless Chromium: no sandbox (runs as root in containers), no network chatter.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)

_PARAM_TYPES = (str, int, bool, float)
_ENGINE = "satprofit-staged"
_HASH_CHARS = 12
_SLUG_CHARS = 40
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------- errors, results


class ReportError(RuntimeError):
    """A report could not be rendered; the existing output, if any, is untouched.

    Parameters
    ----------
    message : str
        What failed, in one or two lines (no traceback).
    stage : {"setup", "execute", "timeout", "convert", "pdf", "write"}
        The step that failed.
    ename, evalue : str, optional
        The failing cell's error name and message (``"ValueError"``, ``"no data for ..."``).
    cell : int, optional
        Execution count of the failing cell (``In [cell]`` in the audit notebook).
    notebook : Path, optional
        The notebook as far as it ran, kept in the audit folder for debugging.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        ename: str | None = None,
        evalue: str | None = None,
        cell: int | None = None,
        notebook: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.ename = ename
        self.evalue = evalue
        self.cell = cell
        self.notebook = notebook


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


# --------------------------------------------------------------------------- templates, kernels


def find_kernel(preferred: str = DEFAULT_KERNEL) -> str:
    """The name of a kernel that runs this Python environment.

    Parameters
    ----------
    preferred : str
        Returned when installed (``make venv`` installs ``satprofit`` into the venv).

    Returns
    -------
    str
        ``preferred``, else ``"python3"`` when that kernel runs this interpreter.

    Raises
    ------
    ReportError
        When neither is available.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    specs = manager.find_kernel_specs()
    if preferred in specs:
        return preferred
    if "python3" in specs:
        argv0 = manager.get_kernel_spec("python3").argv[0]
        # jupyter_client starts "python"/"python3" kernels with the current interpreter.
        if (
            argv0 in {"python", "python3"}
            or Path(argv0).resolve() == Path(sys.executable).resolve()
        ):
            return "python3"
    raise ReportError(
        f"no Jupyter kernel {preferred!r} in this environment; run `make venv` (it installs "
        "the kernel into .venv)",
        stage="setup",
    )


def load_template(template: Path, *, kernel_name: str = DEFAULT_KERNEL) -> nbformat.NotebookNode:
    """Read a report template as a notebook ready for papermill.

    Parameters
    ----------
    template : Path
        ``.ipynb``, or a jupytext percent-format ``.py`` (``# %% tags=["parameters"]``).
    kernel_name : str
        Written into the notebook's ``kernelspec`` metadata.

    Returns
    -------
    nbformat.NotebookNode
        With ``kernelspec`` and ``language_info`` metadata (papermill fails with "No language
        found" without them) and outputs cleared.
    """
    import jupytext

    template = Path(template)
    suffix = template.suffix.lower()
    if suffix == ".ipynb":
        nb = nbformat.read(template, as_version=4)
    elif suffix == ".py":
        nb = jupytext.read(template, fmt="py:percent")
    else:
        raise ValueError(f"template must be .ipynb or jupytext percent .py, not {template.name}")
    spec = dict(nb.metadata.get("kernelspec") or {})
    spec.update(name=kernel_name, language="python")
    spec.setdefault("display_name", kernel_name)
    nb.metadata["kernelspec"] = nbformat.from_dict(spec)
    nb.metadata.setdefault("language_info", nbformat.from_dict({"name": "python"}))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: the parent's (PYTENSOR_FLAGS included), matplotlib on Agg."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    return env


# --------------------------------------------------------------------------- execution


class _EngineFailure(Exception):
    """Raised by the engine when execution stops without a cell error (timeout, dead kernel)."""

    def __init__(self, nb: nbformat.NotebookNode, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.nb = nb
        self.cause = cause


#: The notebook clients executing now, in any thread (see :func:`stop_kernels`).
_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


def stop_kernels() -> int:
    """Kill the kernel (and its process group) of every notebook this process executes now.

    For an interrupted batch: each render then fails within about a second (dead kernel),
    and its staging folder and connection file are removed on the way out. Returns the
    number of kernels signalled.
    """
    with _RUNNING_LOCK:
        clients = list(_RUNNING)
    killed = 0
    for client in clients:
        process = getattr(
            getattr(getattr(client, "km", None), "provisioner", None), "process", None
        )
        pid = getattr(process, "pid", None)
        if not pid:
            continue
        try:  # jupyter_client starts each kernel in its own session: pid is its group
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        killed += 1
    return killed


@functools.cache
def _register_engine() -> None:
    """Register a papermill engine that passes env and cwd to the kernel, not to this process.

    papermill's ``cwd`` changes the working directory of the calling process (not thread-safe)
    and its engine gives the kernel this process's environment. Here the kernel gets both at
    start, ``--matplotlib=inline`` (so figures are displayed although MPLBACKEND is Agg), and
    the notebook as far as it ran survives a timeout.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class StagedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            start_timeout=KERNEL_START_TIMEOUT,
            execution_timeout=None,
            kernel_env=None,
            kernel_cwd=None,
            **kwargs,
        ):
            from traitlets.config import Config

            config = Config()
            if kernel_cwd:  # the connection file goes with the staging folder, even on a kill
                config.KernelManager.connection_file = os.path.join(kernel_cwd, "kernel.json")
            client = PapermillNotebookClient(
                nb_man,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log_output=log_output,
                extra_arguments=["--matplotlib=inline"],
                shutdown_kernel="immediate",
                config=config,
            )
            with _RUNNING_LOCK:
                _RUNNING.add(client)
            try:
                # CurveZMQ keys for the kernel's local sockets where supported (no warning).
                return client.execute(env=kernel_env, cwd=kernel_cwd, transport_encryption="auto")
            except Exception as exc:
                raise _EngineFailure(nb_man.nb, exc) from exc
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(client)

    papermill_engines.register(_ENGINE, StagedEngine)


def _literal_path(path: Path) -> str:
    """A path papermill will not expand (it formats paths with the parameters)."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _execute(
    nb_in: Path, nb_out: Path, *, params: dict, kernel_name: str, timeout: float
) -> nbformat.NotebookNode:
    import papermill

    _register_engine()
    return papermill.execute_notebook(
        _literal_path(nb_in),
        _literal_path(nb_out),
        parameters=params,
        engine_name=_ENGINE,
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        start_timeout=KERNEL_START_TIMEOUT,
        execution_timeout=timeout,
        kernel_env=_kernel_env(),
        kernel_cwd=str(nb_in.parent),
    )


def _last_started_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    started = [c for c in nb.cells if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _first_line(text: str) -> str:
    lines = _ANSI.sub("", text).strip().splitlines()
    return lines[0] if lines else ""


def _describe_engine_failure(
    failure: _EngineFailure, timeout: float
) -> tuple[str, str, str, int | None]:
    """(stage, ename, evalue, cell) of a failure that left no error output in a cell."""
    cause = failure.cause
    cell = _last_started_cell(failure.nb)
    count = cell.get("execution_count") if cell is not None else None
    if isinstance(cause, TimeoutError):
        stage, ename, evalue = "timeout", "CellTimeoutError", f"a cell ran longer than {timeout} s"
    else:
        stage, ename = "execute", type(cause).__name__
        evalue = _first_line(str(cause))
        if ename == "NoSuchKernel":
            evalue += " (`make venv` installs the satprofit kernel)"
    if cell is not None and cell.cell_type == "code":
        error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
        cell.outputs.append(error)
    return stage, ename, evalue, count


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
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if type(title) is not str:
        raise TypeError(f"title must be str, not {type(title).__name__}")
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
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
    body, _ = exporter.from_notebook_node(nb)
    return body


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


# --------------------------------------------------------------------------- files


def _temp_file(folder: Path, name: str, suffix: str) -> Path:
    """An empty hidden file in ``folder`` (the umask's permissions, not mkstemp's 0600), to be
    renamed onto ``name`` once complete; tagged, so a rerun removes it if a kill left it."""
    fd, tmp = mkstemp(prefix=f".{name}.", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def _write_atomic(path: Path, data: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_file(path.parent, path.name, ".tmp")
    try:
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


@contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A fresh hidden folder next to the output, removed afterwards whatever happens (and by
    the next render, through :func:`satprofit.files.clean_stale`, if a kill left it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = make_dir(prefix=".satprofit-render.", dir=folder)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------- PDF


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "PDF needs headless Chromium, which is not installed: apt-get install chromium",
        stage="pdf",
    )


def _run_group(
    cmd: list[str], *, timeout: float, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group; on timeout kill the whole group."""
    with subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=env,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def html_to_pdf(html: Path, out_pdf: Path, *, timeout: float = PDF_TIMEOUT) -> Path:
    """Print an HTML file to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html : Path
        A self-contained HTML file.
    out_pdf : Path
        Where the PDF goes; replaced only once the new one is complete.
    timeout : float
        Seconds before Chromium (and every process it started) is killed.

    Returns
    -------
    Path
        ``out_pdf``.

    Raises
    ------
    ReportError
        Chromium is not installed (``apt-get install chromium``), failed or timed out.
    """
    exe = _chromium()
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_file(out_pdf.parent, out_pdf.name, ".tmp.pdf")
    try:
        with tempfile.TemporaryDirectory(prefix="satprofit-chromium-") as profile:
            cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}"]
            cmd.append(Path(html).resolve().as_uri())
            env = dict(os.environ, HOME=profile)
            try:
                done = _run_group(cmd, timeout=timeout, env=env)
            except subprocess.TimeoutExpired:
                raise ReportError(f"Chromium took longer than {timeout} s", stage="pdf") from None
        if done.returncode != 0 or tmp.read_bytes()[:5] != b"%PDF-":
            last = (done.stderr or "").strip().splitlines()[-3:]
            raise ReportError(
                f"Chromium did not print a PDF (exit {done.returncode}): " + " | ".join(last),
                stage="pdf",
            )
        os.replace(tmp, out_pdf)
    finally:
        tmp.unlink(missing_ok=True)
    return out_pdf


# --------------------------------------------------------------------------- the render


def _keep_failed(nb: nbformat.NotebookNode | None, audit_dir: Path, stem: str) -> Path | None:
    """Save the notebook as far as it ran; never mask the original error."""
    if nb is None:
        return None
    try:
        return _write_atomic(audit_dir / f"{stem}.failed.ipynb", nbformat.writes(nb))
    except OSError:
        return None


def _run(
    staged_in: Path, params: dict, kernel_name: str, timeout: float, audit_dir: Path, stem: str
) -> nbformat.NotebookNode:
    """Execute the staged notebook; on failure keep it in the audit folder and raise."""
    from papermill.exceptions import PapermillExecutionError

    staged_out = staged_in.with_name("executed.ipynb")
    try:
        return _execute(
            staged_in, staged_out, params=params, kernel_name=kernel_name, timeout=timeout
        )
    except PapermillExecutionError as exc:
        failed = nbformat.read(staged_out, as_version=4) if staged_out.exists() else None
        kept = _keep_failed(failed, audit_dir, stem)
        evalue = _ANSI.sub("", str(exc.evalue))
        message = f"cell In [{exc.exec_count}] raised {exc.ename}: {evalue}"
        raise ReportError(
            _with_audit(message, kept),
            stage="execute",
            ename=exc.ename,
            evalue=evalue,
            cell=exc.exec_count,
            notebook=kept,
        ) from None
    except _EngineFailure as failure:
        stage, ename, evalue, count = _describe_engine_failure(failure, timeout)
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
    nb = load_template(template, kernel_name=kernel_name)
    _check_declared(nb, checked, template)
    stem = _audit_stem(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    audit_dir.mkdir(parents=True, exist_ok=True)
    for folder in (out_html.parent, audit_dir):  # left by renders killed earlier
        clean_stale(folder)

    with _staging(out_html.parent) as staging:
        staged_in = staging / "template.ipynb"
        nbformat.write(nb, staged_in)
        t0 = time.perf_counter()
        executed = _run(staged_in, checked, kernel_name, timeout, audit_dir, stem)
        t1 = time.perf_counter()
        pdf_path, times = _finish(executed, title, out_html, audit_dir, stem, pdf=pdf)
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
) -> tuple[Path | None, tuple[float, float]]:
    """Convert and publish; the audit notebook is renamed into place only with the report."""
    audit_tmp = _temp_file(audit_dir, f"{stem}.ipynb", ".tmp")
    try:
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
        os.replace(audit_tmp, audit_dir / f"{stem}.ipynb")
    finally:
        audit_tmp.unlink(missing_ok=True)
    (audit_dir / f"{stem}.failed.ipynb").unlink(missing_ok=True)
    return pdf_path, (t1 - t0, pdf_seconds)


def _publish(html: str, out_html: Path, *, pdf: bool) -> tuple[Path | None, float]:
    """Write the HTML (and its PDF) through temporary files and rename them into place."""
    tmp = _temp_file(out_html.parent, out_html.name, ".tmp.html")
    try:
        tmp.write_text(html, encoding="utf-8")
        pdf_path, seconds = None, 0.0
        if pdf:
            t0 = time.perf_counter()
            pdf_path = html_to_pdf(tmp, out_html.with_suffix(".pdf"))
            seconds = time.perf_counter() - t0
        os.replace(tmp, out_html)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path, seconds
