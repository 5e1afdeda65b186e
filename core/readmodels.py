"""What the console shows, as frozen dataclasses: the read models `core.api.ConsoleApi` returns
and the console's messages carry. Only the standard library and light engine vocabulary
(the status panel's, a department's settings model) are imported here: the console imports
this module before its first frame, so pydantic's models are named for the type checker only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from core.httplog import call_line
from core.i18n import (
    N_,
    _,
    amount_text,
    date_text,
    iso_text,
    number_text,
    period_text,
    yes_no_text,
)
from core.reasons import rate_shown, rates_shown, reason_text
from core.settlement import (
    MARKS,
    Settlement,
    SettlementDay,
    marks_text,
    on_account_text,
    summary_text,
    vat_code_text,
)
from core.status import (
    MASTER_NAMES,
    PANEL_ENTITY,
    RUNNABLE,
    WORST_FIRST,
    DepartmentEntry,
    DepartmentStatus,
    EntityStatus,
)

if TYPE_CHECKING:
    from pydantic import SecretStr

    # A department's settings, as the settings screen edits them (re-exported for the console).
    from core.models import DepartmentSettings  # noqa: F401

__all__ = [
    "CALENDAR_LEGEND",
    "CALENDAR_STATES",
    "MARKS",
    "PANEL_ENTITY",
    "RUNNABLE",
    "TRANSFER_COLUMNS",
    "TRANSFER_SORTS",
    "TRANSFER_STATES",
    "UNREADABLE",
    "WORST_FIRST",
    "AccountEditor",
    "AccountRow",
    "CalendarDay",
    "CalendarZReport",
    "ConflictCase",
    "DepartmentEntry",
    "DepartmentStatus",
    "DoctorCheck",
    "DocumentLine",
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
    "Settlement",
    "SettlementCalendar",
    "SettlementDay",
    "SetupChoice",
    "SetupProbe",
    "TransferDocument",
    "TransferRow",
    "VatEditor",
    "VatRow",
    "VismaAnswer",
    "calendar_legend",
    "marks_text",
    "on_account_text",
    "rate_shown",
    "rates_shown",
    "summary_text",
    "vat_code_text",
]


# A transfer's state as a person reads it (core/transferview.py maps the ledger's onto these):
# pending, sent (in doubt until looked up), confirmed (in Visma, on hold), released (bokført),
# held (waiting for a VAT or account mapping: the next run sends it once mapped), attention
# (a person decides), refused (Visma said no).
TRANSFER_STATES = ("pending", "sent", "confirmed", "released", "held", "attention", "refused")
# A ledger row duvi cannot read (core.ledger.UnreadableRow): listed, never sent.
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class TransferRow:
    key: str
    kind: str
    state: str  # one of TRANSFER_STATES
    visma_number: str
    error: str  # the first line of the last error
    business_date: date | None = None  # "Oppgjøret gjelder"; an invoice's or issue's date
    z_number: int | None = None
    register: str = ""
    amount: Decimal | None = None  # incl. VAT, to the øre; None for a stock issue
    visma_status: str = ""  # Visma's word for it, as duvi's own actions left it
    created_at: datetime | None = None  # registered in the ledger
    changed_at: datetime | None = None  # its last change of state
    reason: str = ""  # why it waits, and what to do, in full (held, attention, refused)
    department_id: str = ""
    # Held because Visma holds another integration's batch of its day: a person may confirm
    # posting it all the same (the double-posting guard, core/transfers/foreign.py).
    confirmable: bool = False


_new = object.__new__
_set = object.__setattr__


def transfer_row(
    key: str,
    kind: str,
    state: str,
    visma_number: str,
    error: str,
    business_date: date | None,
    z_number: int | None,
    register: str,
    amount: Decimal | None,
    visma_status: str,
    created_at: datetime | None,
    changed_at: datetime | None,
    reason: str,
    department_id: str,
    confirmable: bool,
) -> TransferRow:
    """TransferRow(...) with every field, for a list of thousands of documents: the fields are
    set at once (a frozen dataclass's __init__ sets each through object.__setattr__: 2.5 times
    the instructions)."""
    row = _new(TransferRow)
    _set(
        row,
        "__dict__",
        {
            "key": key,
            "kind": kind,
            "state": state,
            "visma_number": visma_number,
            "error": error,
            "business_date": business_date,
            "z_number": z_number,
            "register": register,
            "amount": amount,
            "visma_status": visma_status,
            "created_at": created_at,
            "changed_at": changed_at,
            "reason": reason,
            "department_id": department_id,
            "confirmable": confirmable,
        },
    )
    return row


@dataclass(frozen=True)
class DocumentLine:
    """One line of a document as Visma gets it: a journal's (account, subaccount, debit,
    credit, VAT id), an invoice's (text, quantity, price, VAT) or a stock issue's (item,
    quantity, warehouse)."""

    text: str = ""
    account: str = ""
    subaccount: str = ""
    item: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    debit: Decimal | None = None
    credit: Decimal | None = None
    vat: str = ""  # the Visma VAT id (journal) or VAT code (invoice); a rate when unmapped
    warehouse: str = ""


@dataclass(frozen=True)
class VismaAnswer:
    """One logged call about a document: what Visma answered."""

    ts: str
    method: str
    path: str
    status: str  # the HTTP status, or what went wrong when there was no answer
    location: str | None
    body: str | None  # redacted


@dataclass(frozen=True)
class TransferDocument:
    """A document as it was sent to Visma, or as it will be, and Visma's answers."""

    row: TransferRow
    source: str  # "as sent …", "as it will be sent", "rebuilt …"
    header: tuple[tuple[str, str], ...]  # (label, value)
    lines: tuple[DocumentLine, ...]
    debit: Decimal | None  # a journal's totals
    credit: Decimal | None
    flags: tuple[str, ...]
    problem: str | None  # why it cannot be sent as it is, with the remedy
    answers: tuple[VismaAnswer, ...]  # oldest first


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
    item_classes: tuple[tuple[str, str], ...] = ()  # (id, description)
    warehouses: tuple[tuple[str, str], ...] = ()  # (id, description): the active ones


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
    subaccount: str = ""  # every segment's value as sent, e.g. "01-000"
    item_class: str | None = None
    warehouse: str | None = None  # None: each item's default warehouse
    automatic: bool = False
    duell_client_number: str = ""
    duell_token_saved: bool = False
    duell_of_sandbox: bool = False  # sandbox mode: the sandbox's own DUELL account is used
    zreport_source: str = "duell"  # or "saft-inbox" (core/saft_inbox.py)
    inbox_dir: str | None = None
    cutoff_hour: int = 5  # SAF-T: a sale before this hour is the day before's
    customer: str = ""  # the DUELL customer (client) the department belongs to
    customer_name: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.department_id,
            "name": self.name,
            "set_up": self.set_up,
            "customer": self.customer or None,
            "customer_name": self.customer_name or None,
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
            "subaccount": self.subaccount or None,
            "item_class": self.item_class,
            "warehouse": self.warehouse,
            "automatic": self.automatic,
            "duell_client_number": self.duell_client_number or None,
            "zreport_source": self.zreport_source,
            "inbox": self.inbox_dir,
            "cutoff_hour": self.cutoff_hour,
        }


@dataclass(frozen=True)
class SetupChoice:
    """What a person chose in setup (the console's form or `duvi departments setup`). A secret
    left None keeps the saved one, and so do an item class and a warehouse left None;
    `automatic` None leaves the flag as it is; the two
    "Flere ..." flags None follow from whether a branch or cost bearer is given."""

    client_id: str
    tenant_id: str
    secret: SecretStr | None = None
    several_clients: bool | None = None
    branch: str | None = None
    several_departments: bool | None = None
    cost_bearer: tuple[int, str] | None = None
    # None keeps what is saved; a warehouse "" means none (each item's default warehouse).
    item_class: str | None = None
    warehouse: str | None = None
    automatic: bool | None = None
    duell_client_number: str | None = None
    duell_client_token: SecretStr | None = None
    vat: Mapping[Decimal, str] | None = None
    # The Z source ("duell" or "saft-inbox" with its directory); None keeps what is saved.
    zreport_source: str | None = None
    inbox_dir: str | None = None
    # None keeps what is saved; both on is refused (cost of goods would be booked twice).
    inventory_change: bool | None = None
    stock_update: bool | None = None
    # SAF-T's cut-off hour (0..23); None keeps what is saved.
    cutoff_hour: int | None = None


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


def source_name(source: str) -> str:
    """A conflict's source (duell, visma) by the system's own name: DUELL, Visma."""
    return MASTER_NAMES.get(source, source)


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
    match_label: str = ""  # the match key in the language (Varenummer); the key when unnamed


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
    days: tuple[date, date] | None = None  # the days the finding concerns (Transfers opens on them)


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
    message: str  # as stored: English
    data: Mapping[str, object] | None
    said: str = ""  # the message in the language it was read in (core/eventtext.py)


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
    "attention": ("!", N_("needs attention")),  # Visma refused a Z-report (failed)
    "held": ("H", N_("on hold")),  # a Z-report cannot be sent as it is (a mapping to fix)
    "missing": ("?", N_("missing Z")),  # a gap in a register's Z numbers belongs to this day
    "pending": ("~", N_("pending")),  # fetched, not in Visma yet
    # in Visma, not every one released: Visma holds the batch (confirmed), not posted yet
    "unreleased": ("+", N_("in Visma")),
    "posted": ("✓", N_("released")),  # every Z-report of the day released (bokført)
    "unfetched": ("·", N_("not fetched yet")),  # no Z-report, and DUELL not asked since that day
    "closed": ("-", N_("no sales")),  # no Z-report though DUELL was asked after the day: closed
    "future": (" ", N_("not yet")),  # today or later, nothing settled yet
}
# English, for the console's snapshots of old; calendar_legend() is in the current language.
CALENDAR_LEGEND = "  ".join(f"{m} {label}" for m, label in CALENDAR_STATES.values() if m != " ")


def calendar_state_label(state: str) -> str:
    """A calendar day's state in words, in the current language."""
    return _(CALENDAR_STATES[state][1])


def calendar_legend(width: int = 78) -> str:
    """The legend in lines of at most `width` columns, never a mark apart from its word; in
    the current language."""
    items = [f"{m} {_(label)}" for m, label in CALENDAR_STATES.values() if m != " "]
    lines = [""]
    for item in items:
        if lines[-1] and len(lines[-1]) + 2 + len(item) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]}  {item}" if lines[-1] else item
    return "\n".join(lines)


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


# -- transfers as text: the console's list and `duvi transfers` show the same columns --------

# The kind is in the key (DUELL-Z-, DUELL-INV-, DUELL-STOCK-); JSON names it. English, the
# columns' keys; transfer_column_titles() gives them in the current language.
TRANSFER_COLUMNS = (
    N_("Date"),
    N_("Z"),
    N_("Reg"),
    N_("Key"),
    N_("Amount"),
    N_("State"),
    N_("Visma"),
    N_("Status"),
    N_("Age"),
    N_("Reason"),
)
# A transfer's state and kind in words, the one map of them (the console's screens and the
# command line use it; the ledger's word stays in JSON and the log). One word per state and
# kind in each language (README, Glossary): nb "må sjekkes" for attention, "fakturagrunnlag"
# (en "invoice basis") for DUELL's Fakturagrunnlag.
_STATE_WORDS = {
    "pending": N_("pending"),
    "sent": N_("sent"),
    "confirmed": N_("confirmed"),
    "released": N_("released"),
    "held": N_("held"),
    "attention": N_("attention"),
    "refused": N_("refused"),
    "unreadable": N_("unreadable"),
    "failed": N_("failed"),
}
_KIND_WORDS = {
    "zreport": N_("Z-report"),
    "invoice": N_("invoice basis"),
    "stock": N_("stock issue"),
}


# A column of amounts says its currency in its heading; its cells are bare numbers.
AMOUNT_HEADING = N_("Amount (NOK)")


def transfer_column_titles() -> tuple[str, ...]:
    """TRANSFER_COLUMNS in the current language (the amount's with its currency)."""
    return tuple(_(AMOUNT_HEADING if c == "Amount" else c) for c in TRANSFER_COLUMNS)


def state_text(state: str) -> str:
    """A transfer's state as a person reads it in the current language (nb: venter, sendt,
    i Visma, bokført, holdt tilbake, må sjekkes, avvist)."""
    return _(_STATE_WORDS[state]) if state in _STATE_WORDS else state


def kind_text(kind: str) -> str:
    return _(_KIND_WORDS[kind]) if kind in _KIND_WORDS else kind


# An event's entity (the log's column; a logged sentence's value, core/eventtext.py), and a
# sync step's name as a failed step's event says it.
_ENTITY_WORDS = {
    "invoice": N_("invoice basis"),  # DUELL's Fakturagrunnlag, as the transfers list says it
    "customer": N_("customer"),
    "product": N_("product"),
    "stock": N_("stock"),
    "runner": N_("runner"),
    "webhook": N_("webhook"),
    "transfer": N_("transfer"),
    "notification": N_("notification"),
    "zreports": N_("Z-reports"),
    "invoices": N_("invoices"),
    "customers": N_("customers"),
    "products": N_("products"),
    "notifications": N_("notifications"),
    "transfers": N_("transfers"),
}


def entity_text(entity: str | None) -> str:
    """An event's entity in the language (nb: dagsoppgjør, faktura, kunde, automatikk …; "-"
    for none); one not named here as stored."""
    if not entity:
        return "-"
    if entity == "zreport":
        return kind_text(entity)  # as the transfers list says it
    return _(_ENTITY_WORDS[entity]) if entity in _ENTITY_WORDS else entity


def entity_words() -> tuple[str, ...]:
    """Every entity's word in the current language (the log's column is as wide as the
    longest: nb "fakturagrunnlag" whole)."""
    return (kind_text("zreport"), *(_(w) for w in _ENTITY_WORDS.values()))


# Visma's status of a document (TransferRow.visma_status, a batch's ZReconciliation.status:
# Visma's English word, kept so in JSON) in the language: a journal or invoice on hold,
# balanced, released (Visma says Posted for a batch, Released for a stock issue), released but
# not yet posted (a batch's Unposted) or open (a released invoice not yet paid). The nb words
# are inferred (no source at hand shows Visma.net's Norwegian screens); README's glossary.
_VISMA_STATUS_WORDS = {
    "Hold": N_("on hold"),
    "Balanced": N_("balanced"),
    "Released": N_("released"),
    "Posted": N_("released"),
    "Unposted": N_("unposted"),
    "Open": N_("open"),
}


def visma_status_text(status: str) -> str:
    """Visma's status word in the current language (nb: holdt tilbake, balansert, bokført,
    åpen); one Visma has no word for here, as Visma says it."""
    return _(_VISMA_STATUS_WORDS[status]) if status in _VISMA_STATUS_WORDS else status


def state_words() -> tuple[str, ...]:
    """Every transfer state's word in the current language (a column that shows them is as
    wide as the longest)."""
    return tuple(state_text(s) for s in _STATE_WORDS)


def visma_status_words() -> tuple[str, ...]:
    """Every Visma status word duvi says in the current language."""
    return tuple(visma_status_text(s) for s in _VISMA_STATUS_WORDS)


# DUELL's payment types (core/models.py Payment.type) as words, where a person reads them (the
# reconciliation's day, a held document's facts); what is sent to Visma and JSON keep the type.
_PAYMENT_WORDS = {
    "cash": N_("cash"),
    "card": N_("card"),
    "bankaxept": "BankAxept",
    "vipps": "Vipps",
    "giftcard": N_("gift card"),
    "invoice": N_("invoice"),
}


def payment_text(kind: str) -> str:
    """A payment type in the current language (nb kontant, kort, BankAxept, Vipps); one duvi
    has no word for as DUELL sent it."""
    word = _PAYMENT_WORDS.get(kind)
    return kind if word is None else _(word) if word.islower() else word


_PERIOD = re.compile(r"(\d{4})(\d{2})")
_READ_WHEN_SENT = re.compile(r"Visma's for (\d{4}-\d{2}-\d{2}) \(read when sent\)")
_VAT_CATEGORY = re.compile(r"cat\. (\S+)")
_VAT_UNMAPPED = re.compile(r"(\S+) % unmapped")


_SALES_AT = re.compile(r"Sales (\S+) %")
_PAID_BY = re.compile(r"Paid (\S+)")


def header_label(label: str) -> str:
    """A document header's label (English, JSON's key) in the current language; a held
    journal's "Sales 25 %" and "Paid card" (what DUELL settled) with the rate and the payment
    type in the language."""
    if sales := _SALES_AT.fullmatch(label):
        return _("Sales {rate} %").format(rate=rate_shown(sales[1]))
    if paid := _PAID_BY.fullmatch(label):
        return _("Paid {payment}").format(payment=payment_text(paid[1]))
    return _(label)


def header_value(label: str, value: str, day: date | None = None) -> str:
    """A document header's value (stored as Visma has it, JSON keeps it so) as a person reads
    it in the language: True/False as yes/no, ISO dates and times in the language's form,
    Visma's financial period as Visma names it with the calendar month of the document's
    `day` (the period Visma gives that day) beside it: 202705 in a year from July is nb
    05-2027 (november 2026), never read as May."""
    if value in ("True", "False"):
        return yes_no_text(value == "True")
    if _SALES_AT.fullmatch(label) or _PAID_BY.fullmatch(label):  # what DUELL settled
        try:
            return money_said(Decimal(value))
        except InvalidOperation:
            return value
    if label == "Period" and _PERIOD.fullmatch(value):
        return period_text(value, day.replace(day=1) if day else None)
    if read := _READ_WHEN_SENT.fullmatch(value):
        return _("Visma's for {date} (read when sent)").format(
            date=date_text(date.fromisoformat(read[1]))
        )
    return iso_text(value)


def vat_text(vat: str) -> str:
    """A document line's VAT: a VAT id as it is, a base's VAT category "cat. 1" (nb kat. 1),
    an invoice line's rate with no VAT id "11.11 % unmapped" (nb sats 11,11 % (ikke koblet))."""
    if category := _VAT_CATEGORY.fullmatch(vat):
        return _("cat. {category}").format(category=category[1])
    if unmapped := _VAT_UNMAPPED.fullmatch(vat):
        return _("rate {rate} % (not mapped)").format(rate=rate_shown(unmapped[1]))
    return vat


TRANSFER_SORTS = ("date", "amount", "state")
# Sorted by state, what needs a person comes first.
_URGENCY = ("refused", "attention", "held", "sent", "pending", "confirmed", "released")


def money_text(value: Decimal | None) -> str:
    """An amount in a table's column, whose heading names the currency ("Beløp (kr)",
    "Amount (NOK)"): nb 1 234,50, en 1,234.50 (blank when there is none)."""
    return amount_text(value)


def money_said(value: Decimal | None) -> str:
    """An amount that stands alone (a detail pane, a total, a sentence, a notification, the
    command line's text, a doctor finding): nb 1 234,50 kr, en NOK 1,234.50."""
    return amount_text(value, currency=True)


def age_text(since: datetime | None, now: datetime) -> str:
    """How long ago, in the largest unit that fits: 40 s, 12 min, 5 h, 3 d (the same in both
    languages, and in JSON)."""
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def transfer_cells(row: TransferRow, now: datetime) -> tuple[str, ...]:
    """One row under TRANSFER_COLUMNS (the age since its last change)."""
    return (
        date_text(row.business_date),
        "" if row.z_number is None else str(row.z_number),
        row.register,
        row.key,
        money_text(row.amount),
        state_text(row.state),
        row.visma_number,
        visma_status_text(row.visma_status),
        age_text(row.changed_at, now),
        # stored in English (JSON keeps it so): said in the language (core/reasons.py)
        reason_text(row.reason.splitlines()[0] if row.reason else row.error),
    )


def reason_shown(reason: str) -> str:
    """A transfer's whole reason, stored in English (JSON keeps it), in the language
    (core/reasons.py): each line a registered sentence said again, anything else as stored."""
    return reason_text(reason)


def filter_transfers(
    rows: list[TransferRow],
    *,
    states: frozenset[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[TransferRow]:
    """The rows in one of `states` with a business date in since..until (both included); a
    row whose date is unknown is left out by a date filter."""
    return [
        r
        for r in rows
        if (states is None or r.state in states)
        and (since is None or (r.business_date is not None and r.business_date >= since))
        and (until is None or (r.business_date is not None and r.business_date <= until))
    ]


def sort_transfers(rows: list[TransferRow], by: str = "date") -> list[TransferRow]:
    """Newest first by business date; by amount, the largest first; by state, what needs a
    person first (then newest first)."""

    ordered = sorted(
        rows, key=lambda r: (r.business_date or date.min, r.z_number or 0, r.key), reverse=True
    )
    if by == "amount":
        return sorted(ordered, key=lambda r: (r.amount is None, -(r.amount or 0)))
    if by == "state":
        urgency = {s: i for i, s in enumerate(_URGENCY)}
        return sorted(ordered, key=lambda r: urgency.get(r.state, len(_URGENCY)))
    return ordered


def source_text(source: str) -> str:
    """Where a document's view comes from (TransferDocument.source, English as JSON keeps
    it), in the current language."""
    sent = "as sent "
    if source.startswith(sent):
        return _("as sent {time}").format(time=iso_text(source.removeprefix(sent)))
    return _(source)


def _cut(text: str, width: int) -> str:
    """`text` in `width` characters, ending in "…" when it was longer."""
    return text if len(text) <= width else text[: width - 1] + "…"


def document_text(doc: TransferDocument) -> str:
    """A document as a person reads it: what it is, its header, its lines and totals, why it
    waits, and what Visma answered (the raw calls are `w` in the console)."""
    r = doc.row
    out = [f"{r.key}  {kind_text(r.kind)}  {state_text(r.state)}  {source_text(doc.source)}"]
    if r.visma_number:
        out.append(f"Visma: {r.visma_number} {visma_status_text(r.visma_status)}".rstrip())
    out += [
        f"{header_label(label) + ':':<20} {header_value(label, value, r.business_date)}"
        for label, value in doc.header
    ]
    total = _("Total")
    if doc.lines and r.kind == "zreport":
        w = max(12, *(len(money_text(x)) for x in (doc.debit, doc.credit)))
        out.append("")
        heads = (
            _("Account"),
            _("Sub"),
            _("Text"),
            _("Debit (NOK)"),
            _("Credit (NOK)"),
            _("VAT"),
        )
        # 8 + 8 + 18 + two amounts + a VAT id fit the console's document box at 80 columns
        # (70 wide beside its scroll bar): wider, the VAT wrapped onto the next row, where
        # "3" read as part of the credit beside it ("3 101,13 3"). Longer text ends in "…".
        out.append(
            f"{heads[0]:<8} {heads[1]:<8} {heads[2]:<18} {heads[3]:>{w}} {heads[4]:>{w}} {heads[5]}"
        )
        for ln in doc.lines:
            out.append(
                f"{ln.account:<8} {ln.subaccount:<8} {_cut(ln.text, 18):<18} "
                f"{money_text(ln.debit or None):>{w}} {money_text(ln.credit or None):>{w}} "
                f"{vat_text(ln.vat)}".rstrip()
            )
        # The sum's word starts its row: a row that starts with spaces is drawn without them
        # by some SVG renderers (the screenshots'), which moved its figures off their columns.
        out.append(f"{total:<36} {money_text(doc.debit):>{w}} {money_text(doc.credit):>{w}}")
    elif doc.lines and r.kind == "invoice":
        out.append("")
        heads = (_("Item"), _("Text"), _("Qty"), _("Price (NOK)"), _("Disc %"), _("VAT"))
        out.append(
            f"{heads[0]:<10} {heads[1]:<28} {heads[2]:>8} {heads[3]:>12} {heads[4]:>6} {heads[5]}"
        )
        for ln in doc.lines:
            out.append(
                f"{ln.item:<10} {ln.text[:28]:<28} {number_text(ln.quantity or None):>8} "
                f"{money_text(ln.unit_price):>12} {number_text(ln.discount_percent or None):>6} "
                f"{vat_text(ln.vat)}"
            )
        total = _("Total incl. VAT")
        out.append(f"{total:<39} {money_text(r.amount):>21}")
    elif doc.lines:
        out.append("")
        cols = (_("Item"), _("Quantity"), _("Warehouse"), _("Type"))
        out.append(f"{cols[0]:<16} {cols[1]:>10} {cols[2]:<10} {cols[3]}")
        for ln in doc.lines:
            out.append(
                f"{ln.item:<16} {number_text(ln.quantity or None):>10} {ln.warehouse:<10} {ln.text}"
            )
    out += [f"! {reason_text(f)}" for f in doc.flags]  # stored in English: said in the language
    if doc.problem:  # stored in English (JSON keeps it): said in the language
        out += ["", _("Why it waits:"), reason_text(doc.problem)]
    out += [
        "",
        _("Visma's answers:") if doc.answers else _("Visma's answers: none (nothing was sent)"),
    ]
    for a in doc.answers:
        # A call that had no answer keeps what went wrong as its status (English, as JSON has it)
        error = "" if a.status.isdigit() or a.status == "no answer" else f"  ({a.status})"
        out.append(call_line(a.ts, a.method, a.path, a.status) + error)
        if a.location:
            out.append(f"  Location: {a.location}")
        if a.body:
            body = a.body if len(a.body) <= 400 else a.body[:400] + _("… (the whole answer: w)")
            out.append(f"  {body}")
    return "\n".join(out)
