"""Files written whole or not at all, readable by colleagues, and cleaned up after a kill.

Every temporary file and staging folder satprofit creates is hidden and carries a tag naming
the host and the process that made it, ``.<label>.sp-<host>-<pid>-<random><suffix>``: a later
run removes the ones whose process is gone (:func:`clean_stale`), and never touches another
live process's, another host's or anything it did not name.

Files are created with mode ``0o666`` and folders with ``0o777``, minus the user's umask, as
``open`` and ``mkdir`` would: :func:`tempfile.mkstemp` and :func:`tempfile.mkdtemp` would
leave them ``0600``/``0700``, unreadable to colleagues on a shared drive once renamed into
place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

#: ``sp-<host>-<pid>-<random>`` inside the name of everything :func:`mkstemp` and
#: :func:`make_dir` create.
_TAG = re.compile(r"\.sp-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-z]{8}")


def _host() -> str:
    """This machine, as 8 hex digits (host names may hold any character)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _tagged_name(prefix: str, suffix: str) -> str:
    rand = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    prefix = prefix if prefix.startswith(".") else "." + prefix
    if not prefix.endswith("."):
        prefix += "."
    return f"{prefix}sp-{_host()}-{os.getpid()}-{rand}{suffix}"


def mkstemp(prefix: str = ".", suffix: str = "", dir: str | os.PathLike = ".") -> tuple[int, str]:
    """Create a new hidden, tagged file; like :func:`tempfile.mkstemp`, but with the umask's
    permissions.

    Parameters
    ----------
    prefix, suffix : str
        Start and end of the name (a leading dot is added when missing).
    dir : path
        Folder to create the file in (the target's folder, so a rename is atomic).

    Returns
    -------
    fd : int
        Open for writing.
    path : str
    """
    for _ in range(100):
        path = os.path.join(os.fspath(dir), _tagged_name(prefix, suffix))
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(errno.EEXIST, "no free temporary name", os.fspath(dir))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """The one atomic writer: yield a new, empty, tagged temporary file beside ``path`` (the
    umask's permissions) for the caller to write by name; renamed onto ``path`` when the block
    ends without error, removed otherwise (readers see the old file or the new, never half)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def make_dir(prefix: str = ".", suffix: str = "", dir: str | os.PathLike = ".") -> Path:
    """Create a new hidden, tagged folder with the umask's permissions (a staging folder)."""
    for _ in range(100):
        path = Path(dir) / _tagged_name(prefix, suffix)
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free staging name", os.fspath(dir))


def spare_name(prefix: str = ".", suffix: str = "", dir: str | os.PathLike = ".") -> Path:
    """A tagged name in ``dir`` that does not exist yet (to rename something onto)."""
    while True:
        path = Path(dir) / _tagged_name(prefix, suffix)
        if not os.path.lexists(path):
            return path


def is_tagged(name: str) -> bool:
    """Whether ``name`` is a temporary file or staging folder made by this module."""
    return name.startswith(".") and _TAG.search(name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def stale(folder: str | os.PathLike, prefix: str = ".") -> list[Path]:
    """Tagged entries of ``folder`` whose name starts with ``prefix``, made on this host by a
    process that no longer runs (left by a kill)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    host = _host()
    out = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        m = _TAG.search(entry.name)
        if entry.name.startswith(".") and m and m["host"] == host and not _alive(int(m["pid"])):
            out.append(Path(entry.path))
    return sorted(out)


def clean_stale(folder: str | os.PathLike, prefix: str = ".") -> list[Path]:
    """Remove the :func:`stale` entries of ``folder``; returns what was removed.

    Only entries this module named are removed, and only when the process that made them is
    gone from this host; failures to remove are ignored (a read-only folder stays as it is).
    """
    removed = []
    for path in stale(folder, prefix):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


@contextlib.contextmanager
def locked(folder: str | os.PathLike, name: str = "lock") -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``folder`` (threads and processes wait in turn).

    The folder itself is locked with ``flock``, which leaves no file behind; where the file
    system refuses that (some network file systems), a hidden ``.<name>.lock`` file in the
    folder is locked with ``lockf`` instead and left there for the next writer.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        fd = os.open(Path(folder) / f".{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's content (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
