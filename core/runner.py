"""`duvi run`: the automatic transfer scheduler. Every `sync_interval_minutes` it transfers new
Z-reports and invoice bases of each department with automatic transfer on, holding that
department's lease so that two runners never work on it at once. A service that is down is
logged and tried again on the next round; the runner itself keeps going."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from core.departments import Departments
from core.errors import DuviError
from core.leases import Leases
from core.runtime import Runtime
from core.service import process_webhooks, sync_master_data, transfer
from core.transfers import Outcome


@dataclass
class RoundReport:
    transferred: dict[str, list[Outcome]] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)  # held by another runner
    errors: dict[str, str] = field(default_factory=dict)


class Runner:
    def __init__(self, rt: Runtime, *, holder: str | None = None, connections: Any = None) -> None:
        self.rt = rt
        self.leases = Leases(rt.store, holder)
        self.connections = connections
        self.interval = rt.settings.sync_interval_minutes * 60

    async def run_once(self) -> RoundReport:
        report = RoundReport()
        self.rt.store.heartbeat("runner", {"holder": self.leases.holder})
        depts = Departments(self.rt.store, self.rt.secrets)
        for dept in depts.list():
            if not dept.settings.automatic_transfer or not depts.is_set_up(dept.id):
                continue
            lease = f"department:{dept.id}"
            if not self.leases.acquire(lease, ttl=max(self.interval * 2, 600)):
                report.busy.append(dept.id)
                self.rt.log.info(
                    f"department {dept.id} is being worked on by "
                    f"{self.leases.holder_of(lease)}; skipped this round",
                    department_id=dept.id,
                    entity="runner",
                )
                continue
            try:
                await process_webhooks(self.rt, dept.id, connections=self.connections)
                for entity in ("products", "customers"):
                    await sync_master_data(self.rt, dept.id, entity, connections=self.connections)
                report.transferred[dept.id] = await transfer(
                    self.rt, dept.id, connections=self.connections
                )
            except DuviError as exc:
                report.errors[dept.id] = str(exc)
                self.rt.log.error(
                    f"automatic transfer of department {dept.id} failed: "
                    f"{exc.message}; next try in {self.interval // 60} min",
                    department_id=dept.id,
                    entity="runner",
                    data={"remedy": exc.remedy},
                )
            finally:
                self.leases.release(lease)
        self.rt.log.flush()
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
