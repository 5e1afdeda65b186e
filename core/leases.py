"""Leases in the store: two runners never work on one department at once. A lease expires by
itself, so a killed runner blocks nobody for longer than its time to live."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from core.store import Store


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(holder: str) -> bool:
    """A holder on this host whose process is gone holds nothing: a killed `duvi sync` must not
    block the next one for the lease's whole time to live. Other hosts are trusted to expire."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Leases:
    def __init__(self, store: Store, holder: str | None = None) -> None:
        self.store = store
        self.holder = holder or holder_id()

    def acquire(self, name: str, ttl: float) -> bool:
        now = datetime.now(UTC)
        with self.store.write():
            row = self.store.conn.execute(
                "SELECT holder, expires_at FROM leases WHERE name = ?", [name]
            ).fetchone()
            if row and row[0] != self.holder and row[1] > _iso(now) and _alive(row[0]):
                return False
            self.store.conn.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                [name, self.holder, _iso(now), _iso(now + timedelta(seconds=ttl))],
            )
            return True

    def release(self, name: str) -> None:
        with self.store.write():
            self.store.conn.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", [name, self.holder]
            )

    def holder_of(self, name: str) -> str | None:
        rows = self.store.query("SELECT holder, expires_at FROM leases WHERE name = ?", [name])
        if rows and rows[0]["expires_at"] > _iso(datetime.now(UTC)) and _alive(rows[0]["holder"]):
            return rows[0]["holder"]
        return None
