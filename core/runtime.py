"""What a duvi process holds open: its settings, the store and the event log."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import Settings
from core.eventlog import EventLog, Level
from core.secrets import SecretsFile
from core.store import Store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    log: EventLog
    secrets: SecretsFile = field(init=False)

    def __post_init__(self) -> None:
        self.secrets = SecretsFile(self.settings.secrets)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        store = Store(settings.database)
        return cls(settings, store, EventLog(store, min_level=Level.parse(settings.log_level)))

    def close(self) -> None:
        self.log.close()
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
