"""Kernels and templates, and papermill executing a notebook in its staging folder."""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
import threading
from pathlib import Path

import nbformat

from satprofit.reporting.errors import ReportError

__all__ = [
    "DEFAULT_KERNEL",
    "KERNEL_START_TIMEOUT",
    "close_warm_kernels",
    "find_kernel",
    "load_template",
    "stop_kernels",
]

#: Kernel installed into the project's venv by ``make venv`` (``ipykernel install --sys-prefix``).
DEFAULT_KERNEL = "satprofit"

#: Seconds to wait for the kernel to start (several renders in parallel start slowly).
KERNEL_START_TIMEOUT = 120.0

ENGINE = "satprofit-staged"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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

    def runs_here(name: str) -> bool:
        argv0 = manager.get_kernel_spec(name).argv[0]
        # jupyter_client starts "python"/"python3" kernels with the current interpreter; a venv's
        # python is a symlink to the base one, so paths are compared unresolved
        return argv0 in {"python", "python3", "{python}"} or (
            Path(argv0).absolute() == Path(sys.executable).absolute()
        )

    # a kernel of this environment first: an installed satprofit (pip install, no `make venv`)
    # has no satprofit kernel, and a user-level one may run another environment's Python
    for name in (preferred, "python3"):
        if name in specs and runs_here(name):
            return name
    if preferred in specs:
        return preferred
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


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the parent's (PYTENSOR_FLAGS included), matplotlib on Agg."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    return env


# --------------------------------------------------------------------------- execution


class EngineFailure(Exception):
    """Raised by the engine when execution stops without a cell error (timeout, dead kernel)."""

    def __init__(self, nb: nbformat.NotebookNode, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.nb = nb
        self.cause = cause


#: The notebook clients executing now, in any thread (see :func:`stop_kernels`).
_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


def _kill(km) -> bool:
    """SIGKILL a kernel manager's kernel and its process group; whether one was signalled."""
    pid = getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)
    if not pid:
        return False
    try:  # jupyter_client starts each kernel in its own session: pid is its group
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return False
    return True


def stop_kernels() -> int:
    """Kill the kernel (and its process group) of every notebook this process executes now.

    For an interrupted batch: each render then fails within about a second (dead kernel),
    and its staging folder and connection file are removed on the way out. Returns the
    number of kernels signalled.
    """
    with _RUNNING_LOCK:
        clients = list(_RUNNING)
    return sum(_kill(getattr(client, "km", None)) for client in clients)


# --------------------------------------------------------------------------- warm kernels
#
# A batch renders many reports of one run. A warm kernel is started once per thread (one per
# Dask worker) and kept for the next report: the kernel start-up, satprofit's imports and the
# loaded run (satprofit.reporting.setup caches it) are paid once per worker, not per report.
# Before each report a first cell, removed from the HTML, wipes the previous report's names
# (``%reset -f``), closes its figures and moves to the report's own staging folder, so no
# client's state reaches another report. A kernel that failed, timed out or died is dropped.
# The kernel's client (its channels) is kept with it: a new client waits 0.2 s for the kernel's
# output channel to fall quiet before its first cell (jupyter_client's ``wait_for_ready``), per
# report. Messages a report leaves on the channels answer that report's requests, and nbclient
# reads only the replies to its own.

#: Warm kernels by (thread, kernel name): (kernel manager, kernel client or None); all of
#: them, for close_warm_kernels.
_WARM: dict[tuple[int, str], tuple[object, object]] = {}

#: The first cell of a report on a warm kernel (``{cwd}``: the report's staging folder).
WARM_PRELUDE = """\
def _satprofit_next_report(cwd):
    import os

    import matplotlib.pyplot as plt

    os.chdir(cwd)  # first: the previous report's folder is gone
    # the previous report's names and outputs go (what %reset does, without its slow gc pass)
    ip = get_ipython()
    for name in [n for n in ip.user_ns if n not in ip.user_ns_hidden]:
        del ip.user_ns[name]
    ip.user_ns["Out"].clear()
    ip.user_ns.update({{"_": "", "__": "", "___": ""}})
    ip.execution_count = 1  # the report's cells count from In [1]
    plt.close("all")


_satprofit_next_report({cwd!r})
"""


def _warm_key(kernel_name: str) -> tuple[int, str]:
    return (threading.get_ident(), kernel_name)


def _drop_warm(kernel_name: str) -> None:
    with _RUNNING_LOCK:
        warm = _WARM.pop(_warm_key(kernel_name), None)
    if warm is not None:
        _stop(*warm)


def _stop(km, kc=None) -> None:
    """Kill a kernel and remove its connection file and sockets (and close its client's)."""
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # closing what is gone
            pass
    _kill(km)
    _cleanup(km)


def _cleanup(km) -> None:
    """Remove a killed kernel's connection file and sockets (async on AsyncKernelManager)."""
    import inspect

    try:
        res = km.cleanup_resources()
        if inspect.isawaitable(res):
            from jupyter_core.utils import run_sync

            async def _wait():
                await res

            run_sync(_wait)()
    except Exception:  # the kernel is gone either way
        pass


def close_warm_kernels() -> int:
    """Stop every warm kernel of this process (end of a batch, a worker's teardown); returns
    how many were stopped."""
    with _RUNNING_LOCK:
        warm = list(_WARM.values())
        _WARM.clear()
    for km, kc in warm:
        _stop(km, kc)
    return len(warm)


def _prelude_cell(cwd: str) -> nbformat.NotebookNode:
    from satprofit.reporting.html_export import REMOVE_CELL_TAG

    cell = nbformat.v4.new_code_cell(WARM_PRELUDE.format(cwd=cwd))
    cell.metadata["tags"] = [REMOVE_CELL_TAG, "satprofit-warm-kernel-reset"]
    cell.metadata["papermill"] = {  # as papermill's notebook_start gives every cell
        "exception": None,
        "start_time": None,
        "end_time": None,
        "duration": None,
        "status": "pending",
    }
    return cell


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
            warm=False,
            **kwargs,
        ):
            from traitlets.config import Config

            config = Config()
            km, kc = _WARM.get(_warm_key(kernel_name), (None, None)) if warm else (None, None)
            if km is not None and not (km.has_kernel and kc is not None and kc.channels_running):
                _drop_warm(kernel_name)
                km = kc = None
            if kernel_cwd:  # the connection file goes with the staging folder (a warm kernel
                # needs it only to start: its later clients take the manager's connection info)
                config.KernelManager.connection_file = os.path.join(kernel_cwd, "kernel.json")
            if warm:
                nb_man.nb.cells.insert(0, _prelude_cell(os.path.abspath(kernel_cwd or ".")))
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log_output=log_output,
                extra_arguments=["--matplotlib=inline"],
                shutdown_kernel="immediate",
                config=config,
            )
            client.kc = kc  # None: nbclient starts a client (and a kernel without km)
            with _RUNNING_LOCK:
                _RUNNING.add(client)
            ok = False
            try:
                # CurveZMQ keys for the kernel's local sockets where supported (no warning).
                nb = client.execute(
                    env=kernel_env,
                    cwd=kernel_cwd,
                    transport_encryption="auto",
                    cleanup_kc=not warm,
                )
                ok = True
                return nb
            except Exception as exc:
                raise EngineFailure(nb_man.nb, exc) from exc
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(client)
                if warm:
                    if ok and client.km is not None and client.km.has_kernel:
                        with _RUNNING_LOCK:
                            _WARM[_warm_key(kernel_name)] = (client.km, client.kc)
                    else:  # a failed, timed-out or dead kernel is never reused
                        with _RUNNING_LOCK:
                            _WARM.pop(_warm_key(kernel_name), None)
                        if client.km is not None:
                            _stop(client.km, client.kc)

    papermill_engines.register(ENGINE, StagedEngine)


def _literal_path(path: Path) -> str:
    """A path papermill will not expand (it formats paths with the parameters)."""
    return str(path).replace("{", "{{").replace("}", "}}")


def execute(
    nb_in: Path,
    nb_out: Path,
    *,
    params: dict,
    kernel_name: str,
    timeout: float,
    warm: bool = False,
) -> nbformat.NotebookNode:
    import papermill

    _register_engine()
    return papermill.execute_notebook(
        _literal_path(nb_in),
        _literal_path(nb_out),
        parameters=params,
        engine_name=ENGINE,
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        start_timeout=KERNEL_START_TIMEOUT,
        execution_timeout=timeout,
        kernel_env=kernel_env(),
        kernel_cwd=str(nb_in.parent),
        warm=warm,
    )


def _last_started_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    started = [c for c in nb.cells if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def first_line(text: str) -> str:
    lines = ANSI.sub("", text).strip().splitlines()
    return lines[0] if lines else ""


def describe_engine_failure(
    failure: EngineFailure, timeout: float
) -> tuple[str, str, str, int | None]:
    """(stage, ename, evalue, cell) of a failure that left no error output in a cell."""
    cause = failure.cause
    cell = _last_started_cell(failure.nb)
    count = cell.get("execution_count") if cell is not None else None
    if isinstance(cause, TimeoutError):
        stage, ename, evalue = "timeout", "CellTimeoutError", f"a cell ran longer than {timeout} s"
    elif cell is None and type(cause).__name__ != "NoSuchKernel":
        # the kernel never ran a cell: it failed to start (e.g. two kernels started at once on
        # one machine drew the same free port), which a second try normally passes
        stage, ename = "kernel", type(cause).__name__
        evalue = "the kernel failed to start: " + first_line(str(cause))
    else:
        stage, ename = "execute", type(cause).__name__
        evalue = first_line(str(cause))
        if ename == "NoSuchKernel":
            evalue += " (`make venv` installs the satprofit kernel)"
    if cell is not None and cell.cell_type == "code":
        error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
        cell.outputs.append(error)
    return stage, ename, evalue, count
