"""What product and customer sync share: the clients, the links and the conflicts of one
department, and the choice of direction by the department's master setting."""

from __future__ import annotations

from typing import ClassVar

from core.conflicts import Conflicts
from core.departments import Departments
from core.duell.client import DuellClient
from core.eventlog import EventLog
from core.models import Department, Master
from core.store import Store
from core.sync.links import Links
from core.visma.client import VismaClient


class MasterDataSync:
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

    async def sync(self) -> object:
        if self.master() == Master.DUELL:
            return await self.push_to_visma()
        return await self.pull_from_visma()

    async def push_to_visma(self) -> object:
        raise NotImplementedError

    async def pull_from_visma(self, *, first_time: bool = False, records: object = None) -> object:
        raise NotImplementedError
