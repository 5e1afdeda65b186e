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

from core.errors import SchemaTooNewError, StoreBusyError, StoreError
from core.fsutil import ensure_private_file
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
        ensure_private_file(self.path)
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we issue BEGIN IMMEDIATE ourselves
                check_same_thread=False,
            )
            self._prepare(conn)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise StoreBusyError(
                    f"database {self.path} stayed locked while opening it",
                    "another duvi process holds it; try again, or see `duvi doctor`",
                ) from None
            raise StoreError(
                f"{self.path} is not a duvi database ({exc})",
                "point DUVI_HOME (or db_path) at another directory; this file was left as it is",
            ) from None
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._refuse_newer()
        if migrate:
            self.migrate()

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
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self._commit()

    def _begin_immediate(self) -> None:
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))

    def _commit(self) -> None:
        try:
            self._retry(lambda: self.conn.execute("COMMIT"))
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _retry(self, op: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.busy_seconds
        delay = 0.01
        while True:
            try:
                return op()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"database {self.path} stayed locked for {self.busy_seconds:.0f} s",
                        "another process is holding a long write; check `duvi doctor` "
                        "and stop a stuck `duvi run`",
                    ) from None
                time.sleep(delay * (0.5 + random.random()))  # jitter: writers don't collide again
                delay = min(delay * 2, 0.5)

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Read rows as dicts. Reads in WAL never wait for a writer."""
        with self._lock:
            cur = self._retry(lambda: self.conn.execute(sql, params))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

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

    def _refuse_newer(self) -> None:
        if self.version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database {self.path} has schema version {self.version}; this duvi knows "
                f"versions up to {SCHEMA_VERSION}",
                "upgrade duvi to the version that wrote it; the database was not changed",
            )

    # -- small helpers used across core ----------------------------------------------------

    def heartbeat(self, component: str, info: dict[str, Any] | None = None) -> None:
        import os
        import socket

        with self.write() as db:
            db.table("heartbeats").upsert(
                {
                    "component": component,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "ts": utcnow(),
                    "info": json.dumps(info or {}),
                },
                pk="component",
            )
