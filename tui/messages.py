"""Messages the workers post back to their screens: one per result, each carrying the engine's
frozen read models (`core.readmodels`). A worker posts to its own screen, so two screens using
the same message type never hear each other. Screen state changes only in their handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # Named for the type checker only: the main screen imports this module before the first
    # frame, and building the read models' dataclasses is a tenth of the start-up.
    from core.readmodels import (
        AccountEditor,
        ConflictCase,
        DepartmentEntry,
        DepartmentSettings,
        DepartmentStatus,
        DoctorCheck,
        HttpCallRow,
        JournalPreview,
        LogEntry,
        NoPreview,
        SandboxCredentials,
        SavedSetup,
        SettlementCalendar,
        SetupProbe,
        TransferDocument,
        TransferRow,
        VatEditor,
    )


@dataclass
class StatusLoaded(Message):
    departments: list[DepartmentStatus]
    sandbox: bool
    # Every department's worst state (the picker's list); None when only opened ones were read
    index: list[DepartmentEntry] | None = None


@dataclass
class RunFinished(Message):
    """A department's run ended: its summary, or None when it failed (the worker's error is
    shown by the one error handler)."""

    department_id: str
    summary: str | None


@dataclass
class TransfersLoaded(Message):
    rows: list[TransferRow]
    ordered: dict[str, list[TransferRow]]  # the rows in each of TRANSFER_SORTS' orders
    # A first page only (the newest, in the date order): how many documents there are; None
    # when `rows` are all of them.
    total: int | None = None


@dataclass
class PreviewLoaded(Message):
    preview: JournalPreview | NoPreview


@dataclass
class DocumentLoaded(Message):
    """A transfer's document as sent (or as it will be), with Visma's answers."""

    document: TransferDocument


@dataclass
class ExchangesLoaded(Message):
    """What Visma was told and answered about one transfer, as text."""

    key: str
    text: str


@dataclass
class ConflictsLoaded(Message):
    conflicts: list[ConflictCase]


@dataclass
class VatLoaded(Message):
    editor: VatEditor


@dataclass
class AccountsLoaded(Message):
    editor: AccountEditor


@dataclass
class SettingsLoaded(Message):
    values: DepartmentSettings


@dataclass
class CompaniesLoaded(Message):
    companies: list[SetupProbe]


@dataclass
class SignInChecked(Message):
    probe: SetupProbe


@dataclass
class ChecksLoaded(Message):
    checks: list[DoctorCheck]


@dataclass
class EventsLoaded(Message):
    rows: list[LogEntry]
    append: bool  # an older page, below what is shown


@dataclass
class HttpCallsLoaded(Message):
    rows: list[HttpCallRow]
    append: bool


@dataclass
class NewerEvents(Message):
    """Follow mode: events came that the log shows first."""


@dataclass
class ActionDone(Message):
    """A changing action finished; `text` says what it did."""

    text: str


@dataclass
class SetupLoaded(Message):
    """What setup saved for the department: the form is filled with it."""

    saved: SavedSetup


@dataclass
class SandboxCredentialsLoaded(Message):
    credentials: SandboxCredentials


@dataclass
class CalendarLoaded(Message):
    calendar: SettlementCalendar
