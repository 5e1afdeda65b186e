"""Private files: created 0600, refused when other users could read them, written through a
fresh temp file that is never a planted file or symlink."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
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
    tmp, fd = _private_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # rename never follows a symlink at `path`: it replaces the link
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_new_private(path: Path, data: bytes) -> None:
    """Create `path` with `data`, 0600 from its first byte; refused if `path` exists.

    Written to a temp file beside it, then hard-linked into place: link(2) fails when `path`
    exists, even as a dangling symlink, so no existing file is ever overwritten or followed,
    and no reader sees a half-written file."""

    def fill(tmp: Path, fd: int) -> None:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    write_new_private_with(path, fill)


def write_new_private_with(path: Path, fill: Callable[[Path, int], None]) -> None:
    """`write_new_private`, the content written by `fill(temp_path, fd)`: the temp file is
    new, empty and 0600; `fill` owns (closes) `fd`, or writes through the path instead (an
    SQLite backup or a new database)."""
    tmp, fd = _private_temp(path)
    try:
        fill(tmp, fd)
        _fsync_file(tmp)
        try:
            os.link(tmp, path, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP):
                raise
            # A filesystem without hard links (a FAT stick): check, then rename; the window
            # between the two is the price of writing there.
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
            os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_temp(path: Path) -> tuple[Path, int]:
    """A new temp file beside `path`, opened for writing with mode 0600. O_EXCL and O_NOFOLLOW:
    a file or symlink planted at its name is refused rather than written through; the random
    name makes planting one a guess."""
    tmp = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    flags = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_WRONLY | os.O_CLOEXEC
    return tmp, os.open(tmp, flags, PRIVATE_MODE)


def _fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` survive a power cut. Best effort: some filesystems
    cannot sync a directory, and the rename itself has happened."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
