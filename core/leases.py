"""Leases in the store: one worker per department, provably.

A lease names its holder and carries a generation, bumped on every acquire: the fencing token.
The holder renews it while it works (a heartbeat, and every ledger transition), so a long run
never runs out of it. A lease whose holder is alive on this host is never taken, expired or not
(a stalled event loop or a clock step must not hand the department to a second worker); one
whose holder is gone is free at once; one held from another host is trusted to expire.

Every ledger transition checks the fence inside its own write (core/ledger.py): a worker whose
generation is no longer the department's current one cannot mark or send anything."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

from core.errors import DepartmentBusy, StoreError
from core.store import Store

LEASE_TTL = 900.0  # seconds: how long a holder on another host blocks after it died


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Liveness(Enum):
    ALIVE = "alive"  # a process on this host that is running
    GONE = "gone"  # a process on this host that is not
    ELSEWHERE = "elsewhere"  # another host, or a name that is no process: trust its expiry


def _liveness(holder: str) -> Liveness:
    """A holder on this host whose process is gone holds nothing: a killed `duvi sync` must not
    block the next one for the lease's whole time to live. Other hosts are trusted to expire."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return Liveness.ELSEWHERE
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return Liveness.GONE
    except PermissionError:
        return Liveness.ALIVE
    return Liveness.ALIVE


def _started(holder: str) -> datetime | None:
    """When the holder's process started (Linux /proc), None where that cannot be read."""
    pid = holder.rpartition(":")[2]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = int(stat.rpartition(")")[2].split()[19])  # field 22, starttime
        return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _what(name: str) -> str:
    return name.replace(":", " ")  # "department:1" -> "department 1"


@dataclass(frozen=True)
class Lease:
    """A held lease: the fence every ledger transition of its holder shows."""

    name: str
    holder: str
    generation: int
    ttl: float


class LeaseLost(DepartmentBusy):
    """The holder's generation is no longer current: another worker took the department. This
    worker stops before it marks or sends anything more."""

    def __init__(self, lease: Lease, now_held_by: str | None) -> None:
        super().__init__(
            f"{_what(lease.name)} was taken over by {now_held_by or 'nobody (released)'} while "
            f"this run (generation {lease.generation}) worked on it; this run stopped and sent "
            "nothing more",
            "nothing was sent twice: what this run left `sent` is looked up before any resend; "
            "see `duvi transfers` and run again once the other run is done",
        )


class Leases:
    def __init__(
        self,
        store: Store,
        holder: str | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.holder = holder or holder_id()
        self.clock = clock

    def _held(self, holder: str, expires_at: str, acquired_at: str) -> bool:
        """Whether a lease row still keeps others out ('' is a released lease)."""
        if not holder:
            return False
        alive = _liveness(holder)
        if alive is Liveness.GONE:
            return False
        if expires_at > _iso(self.clock()):
            return True
        if alive is Liveness.ELSEWHERE:
            return False
        # Expired, and its process id runs: unless that process started well after the lease
        # was taken (the id was reused after the holder died), it is the holder, stalled.
        started = _started(holder)
        return started is None or _iso(started - timedelta(seconds=5)) <= acquired_at

    def acquire(self, name: str, ttl: float) -> Lease | None:
        """The lease, with a new generation; None while another worker holds it (this holder's
        own earlier, unreleased acquire included: two workers in one process are two)."""
        now = self.clock()
        with self.store.write():
            row = self.store.conn.execute(
                "SELECT holder, expires_at, generation, acquired_at FROM leases WHERE name = ?",
                [name],
            ).fetchone()
            if (
                row
                and self._held(row[0], row[1], row[3])
                and (row[0] != self.holder or row[1] > _iso(now))
            ):
                return None
            generation = (row[2] if row else 0) + 1
            self.store.conn.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at, generation) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at, "
                "generation = excluded.generation",
                [name, self.holder, _iso(now), _iso(now + timedelta(seconds=ttl)), generation],
            )
            return Lease(name, self.holder, generation, ttl)

    def renew(self, lease: Lease) -> bool:
        """Push the expiry on; False when the lease is no longer this generation's."""
        with self.store.write():
            cur = self.store.conn.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND generation = ?",
                [
                    _iso(self.clock() + timedelta(seconds=lease.ttl)),
                    lease.name,
                    lease.holder,
                    lease.generation,
                ],
            )
            return cur.rowcount == 1

    def check(self, lease: Lease) -> None:
        """Inside a write: raise LeaseLost unless `lease` is still the current generation, and
        renew it (every ledger transition is also a heartbeat)."""
        with self.store.write():
            if not self.renew(lease):
                row = self.store.conn.execute(
                    "SELECT holder FROM leases WHERE name = ?", [lease.name]
                ).fetchone()
                raise LeaseLost(lease, row[0] if row else None)

    def release(self, lease: str | Lease) -> None:
        """The row stays (holder '') so that the next acquire's generation is higher still."""
        name = lease if isinstance(lease, str) else lease.name
        sql = "UPDATE leases SET holder = '', expires_at = ? WHERE name = ? AND holder = ?"
        params: list[object] = [_iso(self.clock()), name, self.holder]
        if isinstance(lease, Lease):
            sql += " AND generation = ?"
            params.append(lease.generation)
        with self.store.write():
            self.store.conn.execute(sql, params)

    def holder_of(self, name: str) -> str | None:
        rows = self.store.query(
            "SELECT holder, expires_at, acquired_at FROM leases WHERE name = ?", [name]
        )
        if rows and self._held(rows[0]["holder"], rows[0]["expires_at"], rows[0]["acquired_at"]):
            return str(rows[0]["holder"])
        return None

    @asynccontextmanager
    async def hold(self, name: str, ttl: float = LEASE_TTL) -> AsyncIterator[Lease]:
        """The lease for the block, renewed every third of its time to live; DepartmentBusy
        when another worker holds it. Should it be lost all the same (taken from another host
        after a stall), the block is cancelled and LeaseLost raised in it."""
        lease = self.acquire(name, ttl)
        if lease is None:
            raise DepartmentBusy(
                f"{_what(name)} is being worked on by {self.holder_of(name) or 'another run'}",
                "wait for that run to finish (the status panel shows it), then run again",
            )
        worker = asyncio.current_task()
        lost: list[LeaseLost] = []

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(max(ttl / 3, 0.01))
                try:
                    self.check(lease)
                except StoreError:
                    continue  # the database is busy: the lease lasts, try at the next beat
                except LeaseLost as exc:
                    lost.append(exc)
                    if worker is not None:
                        worker.cancel()
                    return

        beat = asyncio.create_task(heartbeat())
        taken_back = False  # the heartbeat's cancel of the worker, once undone
        try:
            yield lease
        except asyncio.CancelledError:
            if lost and worker is not None:
                taken_back = True
                if worker.uncancel() == 0:  # nobody else cancelled it: say why it stopped
                    raise lost[0] from None
            raise
        finally:
            beat.cancel()
            with suppress(asyncio.CancelledError):
                await beat
            if lost and not taken_back and worker is not None and worker.cancelling():
                worker.uncancel()  # the block ended (LeaseLost) before that cancel arrived
            self.release(lease)
