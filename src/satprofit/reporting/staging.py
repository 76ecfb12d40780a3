"""Files of a render: hidden temporary files renamed into place, staging folders removed afterwards."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from satprofit.files import make_dir, mkstemp

__all__ = [
    "staging",
    "temp_file",
    "write_atomic",
]

# --------------------------------------------------------------------------- files


def temp_file(folder: Path, name: str, suffix: str) -> Path:
    """An empty hidden file in ``folder`` (the umask's permissions, not mkstemp's 0600), to be
    renamed onto ``name`` once complete; tagged, so a rerun removes it if a kill left it."""
    fd, tmp = mkstemp(prefix=f".{name}.", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def write_atomic(path: Path, data: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_file(path.parent, path.name, ".tmp")
    try:
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


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
