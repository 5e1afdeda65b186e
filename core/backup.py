"""`duvi backup`: a consistent copy of the live database, taken while others write.

SQLite's backup API copies the pages of one read snapshot (in WAL mode writers go on), into a
new file that is 0600 from its first byte and linked into place only when complete, never
over an existing file (core/fsutil.py). The copy is checked (`PRAGMA quick_check`) before it
is kept: a backup that cannot be restored is worse than none."""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, StoreError, write_failed
from core.fsutil import write_new_private_with
from core.i18n import _
from core.store import Store, open_error


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    schema_version: int
    ledger_rows: int


def backup(database: Path, out: Path) -> Backup:
    """Copy `database` to the new file `out`; refuses an existing `out` and the database's own
    files (its -wal and -shm beside it)."""
    out = Path(out).expanduser()
    _refuse_out(database, out)
    if not database.is_file():
        raise StoreError(
            _("there is no database at {path}").format(path=database),
            _("check DUVI_HOME (or db_path)"),
        )
    with Store(database, migrate=False) as store:  # refuses an empty, foreign or damaged one
        version = store.version

        def fill(tmp: Path, fd: int) -> None:
            os.close(fd)
            dest = sqlite3.connect(tmp)
            try:
                store.conn.backup(dest)  # all pages in one step: one consistent snapshot
                ok = dest.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise StoreError(
                        _("the copy of {path} does not pass SQLite's check ({result})").format(
                            path=database, result=ok
                        ),
                        _(
                            "the database itself is damaged: see `duvi doctor --integrity`; "
                            "nothing was written"
                        ),
                    )
                rows = dest.execute("SELECT count(*) FROM ledger").fetchone()[0]
                counted.append(rows)
            finally:
                dest.close()
                for suffix in ("-journal", "-wal", "-shm"):
                    Path(f"{tmp}{suffix}").unlink(missing_ok=True)

        counted: list[int] = []
        try:
            write_new_private_with(out, fill)
        except FileExistsError:
            raise ConfigError(
                _("{path} already exists").format(path=out),
                _("name a new file: a backup never replaces one"),
            ) from None
        except sqlite3.DatabaseError as exc:
            if "full" in str(exc).lower():  # the copy's disk, not the database's: say which
                exc_full = OSError(errno.ENOSPC, str(exc))
                raise write_failed(exc_full, _("the backup {path}").format(path=out), "") from None
            raise open_error(database, exc) from None
        except OSError as exc:
            raise write_failed(
                exc,
                _("the backup {path}").format(path=out),
                _("name a file in an existing directory this user can write"),
            ) from None
    return Backup(out, out.stat().st_size, version, counted[0])


def _refuse_out(database: Path, out: Path) -> None:
    if out.is_dir():
        raise ConfigError(
            _("{path} is a directory").format(path=out),
            _("name the backup file, e.g. DIR/duvi-backup.db"),
        )
    live = {database.resolve(strict=False)}
    live |= {Path(f"{p}{suffix}") for p in live for suffix in ("-wal", "-shm", "-journal")}
    if out.resolve(strict=False) in live or (out.exists() and _same_file(out, database)):
        raise ConfigError(
            _("{path} is the live database itself").format(path=out),
            _("name another file: a backup is a copy beside the database, never in its place"),
        )
    if not out.parent.is_dir():
        raise ConfigError(
            _("cannot write the backup to {path}: the directory {directory} does not exist").format(
                path=out, directory=out.parent
            ),
            _("name a file in an existing directory"),
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
