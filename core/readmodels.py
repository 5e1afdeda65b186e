"""What the console shows, as frozen dataclasses: the read models `core.api.ConsoleApi` returns
and the console's messages carry. Only the standard library and light engine vocabulary
(the status panel's, a department's settings model) are imported here: the console imports
this module before its first frame, so pydantic's models are named for the type checker only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from core.status import PANEL_ENTITY, RUNNABLE, DepartmentStatus, EntityStatus

if TYPE_CHECKING:
    from pydantic import SecretStr

    # A department's settings, as the settings screen edits them (re-exported for the console).
    from core.models import DepartmentSettings  # noqa: F401

__all__ = [
    "CALENDAR_LEGEND",
    "CALENDAR_STATES",
    "PANEL_ENTITY",
    "RUNNABLE",
    "AccountEditor",
    "AccountRow",
    "CalendarDay",
    "CalendarZReport",
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
    "SandboxCredentials",
    "SavedSetup",
    "SettlementCalendar",
    "SetupChoice",
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
    status: str  # ok / missing / invalid / wrong rate
    suggested: str | None = None  # the Visma VAT id of this rate (the SAF-T code's)


@dataclass(frozen=True)
class VatEditor:
    rows: tuple[VatRow, ...]
    visma: Mapping[str, str]  # Visma's VAT ids -> description (empty when Visma was not read)
    error: str | None  # why Visma's list could not be read
    rates: Mapping[str, str] = field(default_factory=dict)  # VAT id -> its rate, as text

    def refusal(self, rate: Decimal, vat_id: str) -> str | None:
        """Why the editor refuses mapping `rate` to `vat_id` (the engine refuses it too)."""
        wanted = f"{format(rate.normalize(), 'f')} %"
        if not self.visma or vat_id not in self.rates:
            return None  # Visma not read: the save checks it
        if wanted not in self.rates[vat_id].split(" / "):
            return f"{wanted} cannot map to Visma VAT id {vat_id}: its rate is {self.rates[vat_id]}"
        return None


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
class SavedSetup:
    """What setup saved for a department, as setup and `duvi departments list` show it: never
    a secret, only whether one is saved."""

    department_id: str
    name: str
    set_up: bool
    client_id: str = ""
    secret_saved: bool = False
    tenant: str = ""
    company: str = ""
    several_clients: bool = False
    branch: str | None = None
    several_departments: bool = False
    cost_bearer: tuple[int, str] | None = None  # (segment id, value)
    automatic: bool = False
    duell_client_number: str = ""
    duell_token_saved: bool = False
    duell_of_sandbox: bool = False  # sandbox mode: the sandbox's own DUELL account is used

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.department_id,
            "name": self.name,
            "set_up": self.set_up,
            "company": self.company or None,
            "tenant": self.tenant or None,
            "client_id": self.client_id or None,
            "client_secret": "saved" if self.secret_saved else None,
            "several_clients": self.several_clients,
            "branch": self.branch,
            "several_departments": self.several_departments,
            "cost_bearer": (
                {"segment": self.cost_bearer[0], "value": self.cost_bearer[1]}
                if self.cost_bearer
                else None
            ),
            "automatic": self.automatic,
            "duell_client_number": self.duell_client_number or None,
        }


@dataclass(frozen=True)
class SetupChoice:
    """What a person chose in setup (the console's form or `duvi departments setup`). A secret
    left None keeps the saved one; `automatic` None leaves the flag as it is; the two
    "Flere ..." flags None follow from whether a branch or cost bearer is given."""

    client_id: str
    tenant_id: str
    secret: SecretStr | None = None
    several_clients: bool | None = None
    branch: str | None = None
    several_departments: bool | None = None
    cost_bearer: tuple[int, str] | None = None
    automatic: bool | None = None
    duell_client_number: str | None = None
    duell_client_token: SecretStr | None = None
    vat: Mapping[Decimal, str] | None = None


@dataclass(frozen=True)
class SandboxCredentials:
    """A sandbox department's own Visma integration client (sandbox mode only)."""

    client_id: str
    secret: SecretStr
    tenant: str


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
    run_id: int | None = None  # one run's events


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


# A settlement calendar's day states, most urgent first (a day shows the first that applies),
# each with the mark that tells it without colour and the words of the legend.
CALENDAR_STATES: Mapping[str, tuple[str, str]] = {
    "attention": ("!", "needs attention"),  # Visma refused a Z-report (failed)
    "held": ("H", "on hold"),  # a Z-report cannot be sent as it is (a mapping to fix)
    "missing": ("?", "missing Z"),  # a gap in a register's Z numbers belongs to this day
    "pending": ("~", "pending"),  # fetched, not in Visma yet
    "posted": ("✓", "posted"),  # every Z-report of the day is in Visma
    "closed": ("-", "no sales"),  # no Z-report: closed, or no sales
    "future": (" ", "not yet"),  # today or later, nothing settled yet
}
CALENDAR_LEGEND = "  ".join(f"{m} {label}" for m, label in CALENDAR_STATES.values() if m != " ")


@dataclass(frozen=True)
class CalendarZReport:
    key: str
    register: str
    z_number: int
    state: str  # the ledger's
    visma_number: str
    amount: Decimal  # the day's sales incl. VAT and gift cards sold
    error: str  # the first line of the last error


@dataclass(frozen=True)
class CalendarDay:
    day: date
    state: str  # a key of CALENDAR_STATES
    zreports: tuple[CalendarZReport, ...]
    missing: tuple[tuple[str, int], ...]  # (register, Z number) that may belong to this day
    in_period: bool  # False: shown only to fill its week (a month's neighbours)

    @property
    def amount(self) -> Decimal:
        return sum((z.amount for z in self.zreports), Decimal(0))


@dataclass(frozen=True)
class SettlementCalendar:
    """One department's business days, whole weeks from Monday, one state per day."""

    department_id: str
    department_name: str
    first: date  # the period asked for (the last five weeks, or a month)
    last: date
    today: date
    days: tuple[CalendarDay, ...]  # whole weeks, Monday first

    @property
    def weeks(self) -> tuple[tuple[CalendarDay, ...], ...]:
        return tuple(self.days[i : i + 7] for i in range(0, len(self.days), 7))

    def get(self, day: date) -> CalendarDay | None:
        return next((d for d in self.days if d.day == day), None)
