"""PyMC's sampler worker processes: stopped with the fit, whatever stops it.

What the installed PyMC (5.28) does: with ``cores > 1`` it forks one daemon process per chain
(``multiprocessing``'s default context, ``fork`` on Linux) and talks to it through a pipe. A
``KeyboardInterrupt`` in the parent is caught inside ``pm.sample``, which aborts and joins the
workers and then *returns the draws so far* as if sampling had finished. Nothing stops the
workers when the parent dies without running Python (``kill -9``): each forked worker also
holds the parent's end of its own pipe, so it never sees end-of-file and waits forever
(about 340 MB each). SIGTERM's default action kills the parent the same way.

So a fit samples:

- in worker processes that ask the kernel to kill them when their parent dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, Linux; see :func:`worker_context`), and
- under :func:`interruptible`: SIGINT and SIGTERM raise :class:`Interrupted` in the parent
  (PyMC then aborts its workers, which receive the same handler), and once ``pm.sample``
  returns its partial draws the interruption is raised again, so an interrupted fit is never
  taken for a finished one.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
from collections.abc import Iterator

#: ``prctl`` option: the signal a process receives when its parent thread dies.
PR_SET_PDEATHSIG = 1


class Interrupted(KeyboardInterrupt):
    """Sampling (or a command) was stopped by a signal; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = int(signum)


def raise_interrupted(signum: int, frame) -> None:
    """A signal handler: raise :class:`Interrupted` (so ``finally`` blocks clean up)."""
    raise Interrupted(signum)


def _die_with_parent(parent: int) -> None:
    """In a worker: be killed when ``parent`` dies (and exit now if it already has)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: signals still stop them
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _WorkerProcess(multiprocessing.context.ForkProcess):
    """A forked process that dies with the process that started it."""

    def start(self) -> None:
        self._satprofit_parent = os.getpid()
        super().start()

    def run(self) -> None:
        _die_with_parent(self._satprofit_parent)
        super().run()


class _WorkerContext(multiprocessing.context.ForkContext):
    """The ``fork`` context, with :class:`_WorkerProcess` as its ``Process``."""

    Process = _WorkerProcess


def worker_context() -> multiprocessing.context.BaseContext | None:
    """The ``mp_ctx`` to give ``pm.sample``: forked workers that die with their parent on
    Linux (where ``fork`` is the default start method); None elsewhere (PyMC's default, the
    signal handling of :func:`interruptible` still stops the workers)."""
    if not sys.platform.startswith("linux") or multiprocessing.get_start_method() != "fork":
        return None
    return _WorkerContext()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Run ``pm.sample`` so that SIGINT and SIGTERM stop it, its workers and the fit.

    In the main thread, both signals raise :class:`Interrupted` while the block runs (PyMC
    catches it, aborts and joins its workers, and returns the partial draws); when the block
    ends after such a signal, :class:`Interrupted` is raised again, also in place of any error
    PyMC raises on the partial draws. Elsewhere (a thread cannot
    set signal handlers) the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def handler(signum, frame):
        got.append(signum)
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except BaseException as err:
        # PyMC may fail on the partial trace ("Not enough samples to build a trace."):
        # the interruption, not that error, is what happened
        if got and not isinstance(err, Interrupted):
            raise Interrupted(got[0]) from err
        raise
    finally:
        for s, h in old.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)
    if got:
        raise Interrupted(got[0])
