"""A summary of the installation for the console's first frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.departments import Departments
from core.runtime import Runtime


@dataclass(frozen=True)
class DepartmentSummary:
    id: str
    name: str
    set_up: bool
    company: str | None


@dataclass(frozen=True)
class Overview:
    database: Path
    schema_version: int
    departments: list[DepartmentSummary]
    events: int


def load_overview(settings: Settings) -> Overview:
    with Runtime.open(settings) as rt:
        depts = Departments(rt.store, rt.secrets)
        if settings.sandbox and not depts.list():  # the first start (the world is heavy)
            from core.sandbox.bootstrap import ensure_sandbox_setup
            from core.sandbox.world import sandbox_credentials

            ensure_sandbox_setup(depts, sandbox_credentials())
        return Overview(
            database=settings.database,
            schema_version=rt.store.version,
            departments=[
                DepartmentSummary(
                    d.id, d.name, depts.is_set_up(d.id), d.settings.visma_company_name
                )
                for d in depts.list()
            ],
            events=rt.log.count(),
        )
