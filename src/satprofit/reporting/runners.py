"""Where a batch's reports run: threads of this process, or Dask distributed workers.

A runner takes report tasks (a picklable function and its arguments), hands back finished
futures one at a time, and stops everything on an interrupt. :func:`open_runner` picks one:

``"threads"``
    A thread pool in this process (one report, tests, machines without Dask).
``"local"``
    A Dask ``LocalCluster`` of worker *processes* sized to the machine (one report at a time
    per worker, so one per core by default), started for the batch and closed after it.
``"tcp://HOST:PORT"``
    An existing Dask scheduler (``dask scheduler`` and ``dask worker`` started elsewhere).
    Workers need satprofit installed (same version) and the run, the data and the report
    folder at the same paths (a shared file system): the run is read there, never refitted,
    and each worker writes its reports into the report folder.

The default is ``$SATPROFIT_SCHEDULER`` when set, else ``"local"`` for a batch of more than one
report and ``"threads"`` for one.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Protocol

__all__ = ["SCHEDULER_ENV", "Runner", "WorkerLost", "machine_workers", "open_runner"]

#: Environment variable naming the default scheduler (``local``, ``threads`` or an address).
SCHEDULER_ENV = "SATPROFIT_SCHEDULER"


class WorkerLost(RuntimeError):
    """A report's worker died or left while rendering it (the task may be retried)."""


class Runner(Protocol):
    """What :func:`satprofit.reporting.batch.render_reports` needs from a runner."""

    name: str

    def submit(self, fn, *args) -> Any: ...

    def next_done(self) -> Any: ...

    def result(self, future) -> Any: ...

    def pending(self) -> int: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def machine_workers() -> int:
    """Cores this process may use (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def choose_scheduler(scheduler: str | None, n_reports: int) -> str:
    """The scheduler to use: the one given, ``$SATPROFIT_SCHEDULER``, else ``local`` for more
    than one report and ``threads`` for one."""
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or ""
    if not scheduler:
        return "local" if n_reports > 1 else "threads"
    if scheduler in ("threads", "local") or "://" in scheduler:
        return scheduler
    raise ValueError(
        f"scheduler {scheduler!r}: give 'threads', 'local' or a Dask scheduler address "
        "such as tcp://10.0.0.5:8786"
    )


def open_runner(scheduler: str, workers: int | None = None) -> Runner:
    """A runner for ``scheduler`` (see the module docstring); ``workers`` sizes the thread pool
    or the local cluster (default: :func:`machine_workers`)."""
    workers = workers or machine_workers()
    if scheduler == "threads":
        return ThreadRunner(workers)
    return DaskRunner(scheduler, workers)


class ThreadRunner:
    """Report tasks on a thread pool of this process."""

    name = "threads"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self._pending: set = set()

    def submit(self, fn, *args):
        fut = self._pool.submit(fn, *args)
        self._pending.add(fut)
        return fut

    def next_done(self):
        done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
        fut = done.pop()
        self._pending.discard(fut)
        return fut

    def result(self, future):
        return future.result()

    def pending(self) -> int:
        return len(self._pending)

    def stop(self, patience: float = 60.0) -> None:
        """Cancel the tasks not started, kill the kernels of the running ones (again as new
        ones start) and wait for their threads, which remove their staging folders."""
        from satprofit.reporting.execution import close_warm_kernels, stop_kernels

        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            stop_kernels()
            _, running = wait(self._pending, timeout=0.5)
            if not running:
                break
        self._pool.shutdown(wait=False)
        close_warm_kernels()

    def close(self) -> None:
        from satprofit.reporting.execution import close_warm_kernels

        self._pool.shutdown()
        close_warm_kernels()


def _stop_worker_kernels() -> int:
    """Run on every worker at an interrupt: kill the kernels of the reports it renders."""
    from satprofit.reporting.execution import stop_kernels

    return stop_kernels()


class DaskRunner:
    """Report tasks on Dask distributed workers: a LocalCluster started here, or a scheduler."""

    def __init__(self, scheduler: str, workers: int) -> None:
        import dask
        from distributed import Client, LocalCluster, as_completed

        for name in ("distributed", "distributed.worker", "distributed.nanny"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self.name = scheduler
        self._cluster = None
        # a worker that dies mid-report fails its task at once (KilledWorker): the batch
        # retries it once itself and records the outcome, instead of Dask's silent 3 tries
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            if scheduler == "local":
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,  # one report (and one kernel) at a time per worker
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster, set_as_default=False)
            else:
                try:
                    self.client = Client(scheduler, timeout=30, set_as_default=False)
                except OSError as err:
                    raise ConnectionError(
                        f"no Dask scheduler answers at {scheduler}: {err}"
                    ) from err
        self._done = as_completed(loop=self.client.loop)
        self._pending: set = set()
        self._count = 0

    def submit(self, fn, *args):
        self._count += 1
        fut = self.client.submit(fn, *args, pure=False, key=f"satprofit-report-{self._count}")
        self._pending.add(fut)
        self._done.add(fut)
        return fut

    def next_done(self):
        fut = next(self._done)
        self._pending.discard(fut)
        return fut

    def result(self, future):
        from distributed import KilledWorker

        try:
            return future.result()
        except (KilledWorker, OSError) as err:
            raise WorkerLost(f"its worker died or left ({type(err).__name__}: {err})") from err

    def pending(self) -> int:
        return len(self._pending)

    def stop(self, patience: float = 30.0) -> None:
        """Cancel the reports (queued ones never start), kill the kernels of running ones on
        every worker until none is left (they fail within seconds and remove their staging
        folders), then close."""
        deadline = time.monotonic() + patience
        quiet = 0
        try:
            self.client.cancel(list(self._pending))
            while time.monotonic() < deadline and quiet < 3:
                killed = self.client.run(_stop_worker_kernels)
                quiet = 0 if any(killed.values()) else quiet + 1
                time.sleep(0.5)
        except Exception:  # the cluster may be going down already
            pass
        self.close()

    def close(self) -> None:
        from satprofit.reporting.execution import close_warm_kernels

        try:
            self.client.run(close_warm_kernels)  # workers of a cluster outlive the batch
        except Exception:
            pass
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
