"""Private files: created 0600, refused when other users could read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.errors import InsecureFileError

PRIVATE_MODE = 0o600


def shown(path: Path) -> str:
    """A path as a person reads it: under the home directory as `~/…` (shorter at 80 columns)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def ensure_private_file(path: Path) -> None:
    """Create `path` with mode 0600 if it does not exist; refuse it if group/world can read it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE)
    except FileExistsError:
        check_private(path)
    else:
        os.close(fd)
        # The umask may have narrowed the mode further; it can never have widened it.


def check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InsecureFileError(
            f"{path} is readable or writable by other users (mode {mode:04o})",
            f"run: chmod 600 {path}",
        )


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, the new file 0600 from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
