"""Buffered inserts: rows collect in memory and are committed in one transaction per batch,
when the buffer is full, every `flush_interval` seconds (a daemon thread), or on close().
A failed commit keeps the rows for the next attempt: nothing is dropped."""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Sequence
from typing import Any

from core.store import Store


class BatchWriter:
    def __init__(
        self, store: Store, insert_sql: str, *, batch_size: int = 2000, flush_interval: float = 0.5
    ) -> None:
        self.store = store
        self.insert_sql = insert_sql
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._buffer: list[Sequence[Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._flusher: threading.Thread | None = None

    def add(self, row: Sequence[Any]) -> None:
        with self._lock:
            self._buffer.append(row)
            full = len(self._buffer) >= self.batch_size
        if full:
            self.flush()
        elif self._flusher is None:
            self._start_flusher()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> int:
        """Commit everything buffered in one transaction; returns how many rows."""
        with self._lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return 0
        try:
            with self.store.write():
                self.store.conn.executemany(self.insert_sql, rows)
        except BaseException:
            with self._lock:
                self._buffer[:0] = rows
            raise
        return len(rows)

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None or self._closed:
                return
            self._flusher = threading.Thread(
                target=self._flush_loop, name="duvi-batch-flush", daemon=True
            )
            self._flusher.start()
            atexit.register(self.close)  # only writers that wrote something need it

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval)
            if self._closed:
                break
            # On failure the buffer keeps the rows and the next tick retries.
            with contextlib.suppress(Exception):
                self.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
            # Else the registry keeps the writer, its store and thread for the life of the
            # process: one set per console run-now or runner round.
            atexit.unregister(self.close)
        self.flush()
