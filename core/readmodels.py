"""What the console shows, as frozen dataclasses: the read models `core.api.ConsoleApi` returns
and the console's messages carry. Only the standard library and light engine vocabulary
(the status panel's, a department's settings model) are imported here: the console imports
this module before its first frame, so pydantic's models are named for the type checker only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.status import PANEL_ENTITY, RUNNABLE, DepartmentStatus, EntityStatus

if TYPE_CHECKING:
    # A department's settings, as the settings screen edits them (re-exported for the console).
    from core.models import DepartmentSettings  # noqa: F401

__all__ = [
    "PANEL_ENTITY",
    "RUNNABLE",
    "AccountEditor",
    "AccountRow",
    "ConflictCase",
    "DepartmentStatus",
    "DoctorCheck",
    "EntityStatus",
    "FieldDiff",
    "HttpCallRow",
    "JournalLine",
    "JournalPreview",
    "LogEntry",
    "LogQuery",
    "NoPreview",
    "SetupProbe",
    "TransferRow",
    "VatEditor",
    "VatRow",
]


@dataclass(frozen=True)
class TransferRow:
    key: str
    kind: str
    state: str
    visma_number: str
    error: str  # the first line of the last error


@dataclass(frozen=True)
class JournalLine:
    account: str
    text: str
    debit: Decimal
    credit: Decimal
    vat_id: str


@dataclass(frozen=True)
class JournalPreview:
    """The journal a Z-report becomes, and where its transfer stands in Visma."""

    key: str
    description: str
    lines: tuple[JournalLine, ...]
    debit: Decimal
    credit: Decimal
    flags: tuple[str, ...]
    state: str
    visma_number: str | None
    last_error: str | None


@dataclass(frozen=True)
class NoPreview:
    """Why there is no journal to show: not a Z-report, or the journal is refused (with the
    remedy)."""

    text: str


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    products: int  # DUELL products with this rate
    sales: int  # Z-report sales lines with this rate
    visma_vat_id: str | None
    saft_code: str | None
    status: str  # ok / missing / invalid


@dataclass(frozen=True)
class VatEditor:
    rows: tuple[VatRow, ...]
    visma: Mapping[str, str]  # Visma's VAT ids -> description (empty when Visma was not read)
    error: str | None  # why Visma's list could not be read


@dataclass(frozen=True)
class AccountRow:
    key: str  # the account map's key: "payment:cash", "revenue:25"…
    label: str
    account: str
    description: str  # Visma's
    status: str  # ok / missing / inactive / ? (Visma not read)


@dataclass(frozen=True)
class AccountEditor:
    rows: tuple[AccountRow, ...]
    accounts: Mapping[str, str]  # Visma's chart of accounts: number -> description
    error: str | None


@dataclass(frozen=True)
class SetupProbe:
    """One company (tenant) tried with an integration client: what setup offers, or why not."""

    tenant: str
    error: str | None = None
    remedy: str | None = None
    company: str = ""
    branches: tuple[tuple[str, str], ...] = ()  # (number, name)
    cost_bearers: tuple[tuple[int, str, str], ...] = ()  # (segment id, value, description)


@dataclass(frozen=True)
class FieldDiff:
    """One field of a conflict: the incoming value beside each candidate's."""

    field: str
    label: str
    incoming: str
    candidates: tuple[str, ...]
    differs: tuple[bool, ...]  # per candidate: not the same as the incoming value


@dataclass(frozen=True)
class ConflictCase:
    """An open duplicate conflict with its field-by-field comparison."""

    id: int
    entity: str
    source: str
    incoming_id: str
    incoming: Mapping[str, object]
    candidates: tuple[Mapping[str, object], ...]
    match_key: str
    fields: tuple[FieldDiff, ...]


@dataclass(frozen=True)
class DoctorCheck:
    id: str
    title: str
    status: str  # ok / warn / fail
    found: str
    remedy: str | None
    department_id: str | None
    records: tuple[str, ...] = ()  # the records concerned, as text
    fix: str | None = None  # the console screen that fixes it (core.doctor.Fix)
    fingerprint: str = ""  # the finding's state, which an acknowledgement holds to
    acknowledged: str | None = None  # "by <who> <when>: <why>" while the state holds


@dataclass(frozen=True)
class LogQuery:
    """The log screen's filters."""

    department_id: str | None = None
    min_level: str | None = None  # "WARNING", "ERROR"; None: every level
    text: str | None = None  # full-text search


@dataclass(frozen=True)
class LogEntry:
    id: int
    ts: str
    level: int  # the event log's numeric level (compares: WARNING is 30)
    level_name: str
    department_id: str | None
    entity: str | None
    run_id: int | None
    message: str
    data: Mapping[str, object] | None


@dataclass(frozen=True)
class HttpCallRow:
    id: int
    ts: str
    system: str
    method: str
    status: str  # the HTTP status, or what went wrong when there was no answer
    duration_ms: float
    path: str
    detail: str  # the call as a person reads it: the line, then the redacted bodies
