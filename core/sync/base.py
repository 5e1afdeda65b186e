"""What product and customer sync share: the clients, the links and the conflicts of one
department, and the choice of direction by the department's master setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from core.conflicts import Conflicts
from core.departments import Departments
from core.duell.client import DuellClient
from core.eventlog import EventLog
from core.models import Department, Master
from core.store import Store
from core.sync.links import Links
from core.visma.client import VismaClient


class SyncOutcome(Protocol):
    """What the run and its log read from a product or customer sync's report."""

    created: int
    updated: int
    unchanged: int
    conflicts: int
    changed: list[tuple[str, str]]  # (visma id, lastModified)

    def as_dict(self) -> dict[str, Any]: ...


# The Visma record a webhook hands to the pull (an inventory item, a customer).
RecordT = TypeVar("RecordT")


class MasterDataSync(Generic[RecordT]):
    ENTITY: ClassVar[str]

    def __init__(
        self,
        store: Store,
        dept: Department,
        departments: Departments,
        visma: VismaClient,
        duell: DuellClient,
        log: EventLog,
    ) -> None:
        self.store = store
        self.dept = dept
        self.departments = departments
        self.visma = visma
        self.duell = duell
        self.log = log
        self.links = Links(store, dept.id, self.ENTITY)
        self.conflicts = Conflicts(store)

    def master(self) -> Master:
        raise NotImplementedError

    async def sync(self) -> SyncOutcome:
        if self.master() == Master.DUELL:
            return await self.push_to_visma()
        return await self.pull_from_visma()

    async def push_to_visma(self) -> SyncOutcome:
        raise NotImplementedError

    async def pull_from_visma(
        self, *, first_time: bool = False, records: AsyncIterator[RecordT] | None = None
    ) -> SyncOutcome:
        raise NotImplementedError
