"""`duvi run`: the automatic transfer scheduler. Every `sync_interval_minutes` it runs each
department with automatic transfer on (notifications, master data, transfers), holding that
department's lease (renewed while it works, see core/leases.py) so that two runners never work
on it at once.

A department whose service is down is not hammered: its next try waits twice as long after
every failed round (up to MAX_BACKOFF rounds' worth), which the log and the heartbeat (and so
`duvi doctor`) say. The first round that gets through catches up on everything it missed,
since every step works from what is pending, not from what happened in the last interval.

The runner keeps its Connections for its whole life, and with them every department's
tokens: a round logs in to DUELL (72 h tokens) and Visma Connect only when the token the
last round used has run out."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.connections import Connections
from core.departments import Departments
from core.errors import DepartmentBusy, DuviError
from core.leases import LeaseLost, Leases
from core.runtime import Runtime
from core.service import RunError, run_steps
from core.status import RUNNABLE
from core.transfers import Outcome

MAX_BACKOFF = 6  # rounds: with the default 5 minutes, a down service is tried every 30 min


@dataclass
class RoundReport:
    transferred: dict[str, list[Outcome]] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)  # held by another runner
    waiting: list[str] = field(default_factory=list)  # backing off after failed rounds
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Backoff:
    failures: int
    since: str  # first failure, ISO UTC
    next_try: float  # on the runner's clock (monotonic)
    next_try_at: str  # the same, ISO UTC, for people
    error: str


class Runner:
    def __init__(
        self,
        rt: Runtime,
        *,
        holder: str | None = None,
        connections: Connections,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt = rt
        self.clock = clock
        self.leases = Leases(rt.store, holder)
        self.connections = connections
        self.interval = rt.settings.sync_interval_minutes * 60
        self.backoff: dict[str, Backoff] = {}

    def _beat(self) -> None:
        waiting = {
            d: {
                "failures": b.failures,
                "since": b.since,
                "next_try": b.next_try_at,
                "error": b.error,
            }
            for d, b in self.backoff.items()
        }
        self.rt.store.heartbeat("runner", {"holder": self.leases.holder, "waiting": waiting})

    async def run_once(self) -> RoundReport:
        report = RoundReport()
        self._beat()
        depts = Departments(self.rt.store, self.rt.secrets)
        for dept in depts.list():
            if not dept.settings.automatic_transfer or not depts.is_set_up(dept.id):
                continue
            waiting = self.backoff.get(dept.id)
            if waiting is not None and self.clock() < waiting.next_try:
                report.waiting.append(dept.id)
                continue
            try:
                result = await run_steps(
                    self.rt,
                    dept.id,
                    RUNNABLE["all"],
                    connections=self.connections,
                    leases=self.leases,
                    ttl=max(self.interval * 2, 600),
                )
                report.transferred[dept.id] = result.outcomes
                self._recovered(dept.id)
            except RunError as exc:
                report.transferred[dept.id] = exc.result.outcomes
                report.errors[dept.id] = str(exc)
                if exc.unavailable:
                    self._back_off(dept.id, exc)
                else:  # the service answered: the failed records wait, the rest went on
                    self._recovered(dept.id)
            except LeaseLost as exc:  # another worker has it now: not a service to back off from
                report.errors[dept.id] = str(exc)
            except DepartmentBusy as exc:
                report.busy.append(dept.id)
                self.rt.log.info(
                    f"{exc.message}; skipped this round", department_id=dept.id, entity="runner"
                )
            except DuviError as exc:
                report.errors[dept.id] = str(exc)
                self._back_off(dept.id, exc)
        self._beat()
        self.rt.log.flush()
        return report

    def _back_off(self, dept_id: str, exc: DuviError) -> None:
        now = datetime.now(UTC)
        before = self.backoff.get(dept_id)
        failures = (before.failures if before else 0) + 1
        delay = self.interval * min(2 ** (failures - 1), MAX_BACKOFF)
        at = now + timedelta(seconds=delay)
        self.backoff[dept_id] = Backoff(
            failures,
            before.since if before else now.isoformat(timespec="seconds"),
            self.clock() + delay,
            at.isoformat(timespec="seconds"),
            exc.message,
        )
        self.rt.log.error(
            f"automatic transfer of department {dept_id} failed ({failures} in a row): "
            f"{exc.message}; next try in {delay // 60:.0f} min, at {at:%H:%M} UTC",
            department_id=dept_id,
            entity="runner",
            data={"remedy": exc.remedy, "failures": failures, "next_try": at.isoformat()},
        )

    def _recovered(self, dept_id: str) -> None:
        before = self.backoff.pop(dept_id, None)
        if before is not None:
            self.rt.log.info(
                f"department {dept_id} answers again after {before.failures} failed rounds "
                f"(since {before.since}); caught up",
                department_id=dept_id,
                entity="runner",
            )

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
