"""Request budgets shared by every process on one store (core/http.py's Pacer keeps its window
here when given a StoreWindows): the runner and a console's "run now" pace against one view
of each (client, tenant) window, not each against a budget of its own.

A window is one row of `rate_windows` (what the server allows, what it has left as last
seen, when the window ends, when the last request went out); the requests in flight against
it are one row per pacer in `rate_in_flight`, each counted until `expires`. A pacer touches
its row whenever it sends or hears back, so a row goes stale only when its requests have all
timed out or its process died: after `in_flight_ttl` (the request timeout and a margin) it
no longer holds budget back. Each look is one short write transaction (BEGIN IMMEDIATE), so
two processes never both take the last request of a window.

Times are the wall clock (epoch seconds), the one clock every process on the host shares."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from core.errors import StoreError
from core.http import WindowState
from core.store import Store


class StoreWindows:
    def __init__(self, store: Store, *, in_flight_ttl: float = 120.0) -> None:
        self.store = store
        self.in_flight_ttl = in_flight_ttl

    @contextmanager
    def change(self, key: str, holder: str, mine: int, fresh: WindowState) -> Iterator[WindowState]:
        looked = False
        try:
            with self.store.write():
                state = self._read(key, holder, mine, fresh)
                others = state.in_flight - mine
                looked = True
                yield state
                self._save(key, holder, state, state.in_flight - others)
        except StoreError:
            if looked:
                raise
            # The store stays busy beyond its retries: pace on this process's view for now.
            state = replace(fresh)
            yield state

    def _read(self, key: str, holder: str, mine: int, fresh: WindowState) -> WindowState:
        conn = self.store.conn
        now = time.time()
        row = conn.execute(
            "SELECT lim, remaining, reset_at, last_send FROM rate_windows WHERE key = ?", [key]
        ).fetchone()
        others = conn.execute(
            "SELECT coalesce(sum(n), 0) FROM rate_in_flight "
            "WHERE key = ? AND holder != ? AND expires > ?",
            [key, holder, now],
        ).fetchone()[0]
        if row is None:
            return replace(fresh, in_flight=others + mine)
        return WindowState(row[0], row[1], row[2], row[3], others + mine)

    def _save(self, key: str, holder: str, state: WindowState, mine: int) -> None:
        conn = self.store.conn
        now = time.time()
        conn.execute(
            "INSERT INTO rate_windows (key, lim, remaining, reset_at, last_send) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET lim = excluded.lim, "
            "remaining = excluded.remaining, reset_at = excluded.reset_at, "
            "last_send = excluded.last_send",
            [key, state.limit, state.remaining, state.reset_at, state.last_send],
        )
        if mine > 0:
            conn.execute(
                "INSERT INTO rate_in_flight (key, holder, n, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key, holder) DO UPDATE SET n = excluded.n, expires = excluded.expires",
                [key, holder, mine, now + self.in_flight_ttl],
            )
        else:
            conn.execute(
                "DELETE FROM rate_in_flight WHERE (key = ? AND holder = ?) OR expires <= ?",
                [key, holder, now],
            )
