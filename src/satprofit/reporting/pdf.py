"""HTML report to PDF with headless Chromium, printed to a temporary file and renamed into place."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from satprofit.files import atomic_path
from satprofit.reporting.errors import ReportError

__all__ = [
    "CHROMIUM_FLAGS",
    "PDF_TIMEOUT",
    "html_to_pdf",
]

#: Seconds Chromium may take to print one report.
PDF_TIMEOUT = 120.0

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
    with atomic_path(out_pdf, suffix=".tmp.pdf") as tmp:
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
    return out_pdf
