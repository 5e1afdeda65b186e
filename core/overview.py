"""A summary of the installation for the console's first frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.runtime import Runtime


@dataclass(frozen=True)
class Overview:
    database: Path
    schema_version: int
    departments: int
    events: int


def load_overview(settings: Settings) -> Overview:
    with Runtime.open(settings) as rt:
        return Overview(
            database=settings.database,
            schema_version=rt.store.version,
            departments=rt.store.db["departments"].count,
            events=rt.log.count(),
        )
