"""Staging folders of a render, removed afterwards.

Files are written through the one atomic writer, :func:`satprofit.files.atomic_path` (a tagged
temporary file beside the target, the umask's permissions, renamed into place).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from satprofit.files import make_dir

__all__ = ["staging"]


@contextmanager
def staging(folder: Path) -> Iterator[Path]:
    """A fresh hidden folder next to the output, removed afterwards whatever happens (and by
    the next render, through :func:`satprofit.files.clean_stale`, if a kill left it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = make_dir(prefix=".satprofit-render.", dir=folder)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
