"""The local SQLite store: one file per installation, shared by the console, the runner and
every CLI command at once.

Concurrency rules (why "database is locked" never reaches a user):
- WAL, so readers never wait for the writer and the writer never waits for readers;
- every write is one `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two
  writers queue on SQLite's busy timeout instead of deadlocking on a lock upgrade;
- a writer that still cannot get the lock retries with backoff up to `busy_seconds` in all,
  and only then fails with a StoreBusyError that says who to look for.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from core.errors import SchemaTooNewError, StorageError, StoreBusyError, StoreError
from core.fsutil import check_private, write_new_private_with
from core.i18n import _
from core.migrations import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")  # what a retried operation returns

BUSY_TIMEOUT_MS = 5_000


def utcnow() -> str:
    """Timestamps in the store: ISO 8601 UTC with milliseconds; they sort as text."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Store:
    """A connection to the store. Thread-safe: calls are serialised on one lock."""

    def __init__(self, path: Path, *, busy_seconds: float = 60.0, migrate: bool = True) -> None:
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self._lock = threading.RLock()
        _create_if_missing(self.path)
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we issue BEGIN IMMEDIATE ourselves
                check_same_thread=False,
            )
        except sqlite3.DatabaseError as exc:
            raise open_error(self.path, exc) from None
        try:
            self._prepare(conn)
            self.conn = conn
            self.db = sqlite_utils.Database(conn)
            self._refuse_newer()
            self._refuse_foreign()
            if migrate:
                self.migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise open_error(self.path, exc) from None
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.DatabaseError(f"could not switch to WAL (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL
        conn.execute("PRAGMA foreign_keys = ON")

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction, lock taken up front; commits on success, rolls back on error."""
        with self._lock:
            if self.conn.in_transaction:  # nested: join the outer transaction
                yield self.db
                return
            self._begin_immediate()
            try:
                yield self.db
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.DatabaseError):
                    raise file_error(self.path, exc) or exc from None
                raise
            self._commit()

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass  # a full disk or a damaged file can refuse the rollback too: SQLite undoes it

    def _begin_immediate(self) -> None:
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))

    def _commit(self) -> None:
        try:
            self._retry(lambda: self.conn.execute("COMMIT"))
        except BaseException:
            self._rollback()
            raise

    def _retry(self, op: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.busy_seconds
        delay = 0.01
        while True:
            try:
                return op()
            except sqlite3.DatabaseError as exc:
                if not (isinstance(exc, sqlite3.OperationalError) and _is_busy(exc)):
                    raise file_error(self.path, exc) or exc from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"database {self.path} stayed locked for {self.busy_seconds:.0f} s",
                        "another process is holding a long write; check `duvi doctor` "
                        "and stop a stuck `duvi run`",
                    ) from None
                time.sleep(delay * (0.5 + random.random()))  # jitter: writers don't collide again
                delay = min(delay * 2, 0.5)

    def upsert(self, table: str, row: Mapping[str, Any], pk: str | tuple[str, ...]) -> None:
        """sqlite_utils' `upsert` (insert the row, or update the columns given of the one with
        its key) as one statement, inside `write()`: sqlite_utils reads the schema on every
        call (four queries), which the runner's hot paths paid per department."""
        keys = (pk,) if isinstance(pk, str) else pk
        cols = list(row)
        sets = [c for c in cols if c not in keys]
        sql = (
            f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT ({', '.join(f'[{k}]' for k in keys)}) DO "
            + (
                f"UPDATE SET {', '.join(f'[{c}] = excluded.[{c}]' for c in sets)}"
                if sets
                else "NOTHING"
            )
        )
        self.conn.execute(sql, [row[c] for c in cols])

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Read rows as dicts. Reads in WAL never wait for a writer."""
        with self._lock:
            cur = self._retry(lambda: self.conn.execute(sql, params))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def tuples(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Read rows as tuples (no dict per row: for long lists read column by column)."""
        with self._lock:
            return self._retry(lambda: self.conn.execute(sql, params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------

    @property
    def version(self) -> int:
        with self._lock:  # the console's worker threads share one Store
            return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the migrations this database lacks, each in its own transaction.

        Safe when several processes open a new database at once: the version is re-read
        under the write lock, so each migration runs exactly once.
        """
        self._refuse_newer()
        while self.version < target:
            with self.write():
                current = self.version  # re-read under the lock
                if current >= target:
                    break
                MIGRATIONS[current](self.db)
                self.conn.execute(f"PRAGMA user_version = {current + 1}")

    def _refuse_foreign(self) -> None:
        """An SQLite file of something else: never migrate duvi's tables into it."""
        if self.version == 0 and self.conn.execute("SELECT 1 FROM sqlite_master").fetchone():
            raise NotDuviDatabaseError(
                _(
                    "{path} is an SQLite database, but not duvi's (it has tables and no duvi "
                    "schema version)"
                ).format(path=self.path),
                _(
                    "point DUVI_HOME (or db_path) at duvi's own database; this file was left as "
                    "it is"
                ),
            )

    def _refuse_newer(self) -> None:
        if self.version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                _(
                    "database {path} has schema version {version}; this duvi knows versions up "
                    "to {known}"
                ).format(path=self.path, version=self.version, known=SCHEMA_VERSION),
                _("upgrade duvi to the version that wrote it; the database was not changed"),
            )

    # -- small helpers used across core ----------------------------------------------------

    def heartbeat(self, component: str, info: dict[str, Any] | None = None) -> None:
        import os
        import socket

        with self.write():
            self.upsert(
                "heartbeats",
                {
                    "component": component,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "ts": utcnow(),
                    "info": json.dumps(info or {}),
                },
                "component",
            )


# -- what is wrong with the file ----------------------------------------------------------

SQLITE_MAGIC = b"SQLite format 3\x00"

DAMAGED_REMEDY = (
    "stop duvi and restore the database from a backup (`duvi backup --out FILE` makes them; "
    "README: restoring), or rescue what SQLite can: `sqlite3 {path} .recover | sqlite3 NEW.db`. "
    "Do not simply start a new database: that is safe only because duvi looks each document up "
    "in Visma before posting it; the file was left as it is"
)


class DamagedDatabaseError(StoreError):
    """duvi's database file is an SQLite file, but damaged (malformed pages, a torn header)."""


class NotDuviDatabaseError(StoreError):
    """The file is not an SQLite database, or another program's."""


class EmptyDatabaseError(StoreError):
    """A 0-byte file where the database should be: a truncated database, not a new one."""


def _create_if_missing(path: Path) -> None:
    """A new database is made beside `path` and linked into place, already in WAL mode: so
    the file at `path` is never 0 bytes by our doing, and a 0-byte file there is a truncated
    database, refused (not silently a new, empty ledger)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.path.lexists(path):
            if path.is_file() and path.stat().st_size == 0:
                raise EmptyDatabaseError(
                    _(
                        "database {path} is empty (0 bytes): it was truncated, or a file was put "
                        "in its place"
                    ).format(path=path),
                    _(
                        "restore it from a backup (README: restoring); if this is a new "
                        "installation that never ran, delete the empty file; it was left as it is"
                    ),
                )
            check_private(path)
            return
        write_new_private_with(path, _new_database)
    except FileExistsError:
        check_private(path)  # another process made it first: theirs is as good
    except OSError as exc:
        raise StorageError(
            _("cannot create or read database {path}: {error}").format(
                path=path, error=exc.strerror or exc
            ),
            _(
                "check that the directory exists, is writable by this user and on a mounted, "
                "writable filesystem with free space (df -h); nothing was changed"
            ),
        ) from None


def _new_database(tmp: Path, fd: int) -> None:
    os.close(fd)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = WAL")  # writes the header: the file is not empty
    finally:
        conn.close()


def file_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError | None:
    """What a person can do about an SQLite error that is about the file, not the query; None
    for the others (a bug, a constraint), which stay as they are."""
    text = str(exc).lower()
    fs_trouble = ("disk i/o error", "unable to open", "readonly", "read-only")
    if any(s in text for s in fs_trouble) and _filesystem(path) == "read-only":
        return StorageError(
            f"cannot use database {path}: its filesystem is mounted read-only ({exc})",
            "remount it writable (a disk error can make the system remount it read-only: see "
            "dmesg) and run again; do not start a new database elsewhere: this one is kept as "
            "it is",
        )
    if "full" in text or (any(s in text for s in fs_trouble) and _filesystem(path) == "full"):
        # A nearly full disk fails SQLite's -wal or -shm with "disk I/O error", not "full".
        return StorageError(
            f"database {path}: the disk is full ({exc})",
            "free space on its filesystem (df -h) and run again; what was written before is "
            "kept, the unfinished change was undone",
        )
    if any(s in text for s in fs_trouble):
        return StorageError(
            f"cannot use database {path}: {exc} (a read-only or failing filesystem, or a file "
            "of another user)",
            "check that the filesystem is mounted writable, the disk healthy (dmesg) and the "
            "file and its directory owned by this user; do not start a new database elsewhere: "
            "this one is kept as it is",
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        if _header(path) != SQLITE_MAGIC:
            return NotDuviDatabaseError(
                f"{path} is not a duvi database: not an SQLite file ({exc})",
                "if DUVI_HOME (or db_path) names the wrong file, correct it; if this was duvi's "
                "database and something was written over it, " + DAMAGED_REMEDY.format(path=path),
            )
        return DamagedDatabaseError(
            f"database {path} is damaged ({exc})", DAMAGED_REMEDY.format(path=path)
        )
    return None


# Below this much free space a "disk I/O error" is the full disk (SQLite grows its -wal and
# -shm files in 32 KiB steps and more); a failing disk with room left is said as failing.
NEARLY_FULL = 1 << 20


def _filesystem(path: Path) -> str | None:
    """ "read-only" or "full" when the filesystem holding `path` is; None otherwise or unknown."""
    try:
        fs = os.statvfs(path.parent)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return "read-only"
    if fs.f_bavail * fs.f_frsize < NEARLY_FULL or fs.f_favail == 0:
        return "full"
    return None


def open_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
        return StoreBusyError(
            f"database {path} stayed locked while opening it",
            "another duvi process holds it; try again, or see `duvi doctor`",
        )
    return file_error(path, exc) or NotDuviDatabaseError(
        f"{path} is not a duvi database ({exc})",
        "if DUVI_HOME (or db_path) names the wrong file, correct it; this file was left as it is",
    )


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_MAGIC))
    except OSError:
        return b""
