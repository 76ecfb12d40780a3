"""The error every step of a report render raises."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ReportError",
]

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
