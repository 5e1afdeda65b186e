"""The double-posting guard: DUELL's own Visma module ("Visma Financial") pushes each
Z-report as an open GL batch when its "Z-rapport" switch is on for a department
(https://www.duell.no/support/visma-erp). If duvi transfers the same department, every day is
booked twice. So before duvi posts a day, it looks for a batch of that day and department that
duvi did not make, in the very listing its key look-up reads (one listing per department and
period: no extra requests), and holds the day until a person confirms (audited).

How another integration's batch is recognised is inferred (DUELL publishes nothing about its
batches' descriptions): a GL batch
- whose description and line references carry no duvi key (duvi writes its key, `DUELL-...`,
  into both),
- dated the business day,
- on the department's branch (when setup chose one) and cost bearer (when it chose one),
- that books one of the department's revenue accounts (a day's sales; a salary or bank
  journal of the same day does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.errors import DataError
from core.i18n import N_
from core.ledger import Ledger
from core.models import DepartmentSettings
from core.transfers.periods import Periods
from core.visma.client import VismaClient
from core.visma.models import CustomerInvoice, JournalTransaction

KEY_PREFIX = "DUELL-"  # every key duvi writes (accounting.zreport_key, invoices, stock)
INVOICE_PREFIX = "DUELL-INV-"  # invoices.invoice_key
REVENUE = "revenue:"  # the account map's keys of the sales accounts, one per VAT rate
FOUND = "zreport-foreign:"  # sync_cursors entity + key: the foreign batches that held it
CONFIRMED = "zreport-foreign-ok:"  # ... and those a person confirmed posting beside
HELD = "Visma already holds"  # the start of a held row's reason (held_for_foreign)
REMEDY = N_(  # stored as it is (the held row's remedy); doctor says it in the language
    "turn off Z-rapport/Faktura in DUELL's Visma module for this department (DUELL Admin -> "
    "Regnskap -> Visma Financial); then, for a day DUELL already booked, delete that batch in "
    "Visma and resend, or leave it held; to post beside it all the same, a person confirms "
    "(`duvi transfers confirm KEY --yes`, or `s` on the transfers screen; audited)"
)


@dataclass(frozen=True)
class ForeignBatch:
    number: str
    day: date
    description: str


class ForeignBatchFound(DataError):
    """A day Visma already holds another integration's batch for: held for a person."""

    def __init__(self, key: str, day: date, batches: list[ForeignBatch]) -> None:
        named = ", ".join(f"{b.number} ({b.description or 'no description'})" for b in batches)
        super().__init__(
            f"{HELD} batch {named} of {day} for this department that duvi did not make "
            "(inferred: DUELL's own Visma module posts its Z-reports); posting "
            f"{key} would book the day twice",
            REMEDY,
        )
        self.batches = batches


def held_for_foreign(error: str | None) -> bool:
    """Whether a held document's reason is another integration's batch of its day."""
    return error is not None and error.startswith(HELD)


def _is_duvis(batch: JournalTransaction) -> bool:
    refs = [batch.description or ""] + [
        ln.reference_number or "" for ln in batch.journal_transaction_lines
    ]
    return any(r.strip().startswith(KEY_PREFIX) for r in refs)


def _day(batch: JournalTransaction) -> date | None:
    try:
        return date.fromisoformat((batch.transaction_date or "")[:10])
    except ValueError:
        return None


def maybe_foreign(batch: JournalTransaction) -> bool:
    """Whether `batch` may be another integration's for some department: dated, and
    carrying no duvi key (foreign_batches asks the rest, per department)."""
    return _day(batch) is not None and not _is_duvis(batch)


def foreign_batches(
    batches: Iterable[JournalTransaction], s: DepartmentSettings, accounts: dict[str, str]
) -> list[ForeignBatch]:
    """The batches among `batches` (one company's GL batches) that book the sales of the
    department with settings `s` and account map `accounts`, and that duvi did not make (see
    the module's docstring: inferred)."""
    revenue = {acc for k, acc in accounts.items() if k.startswith(REVENUE) and acc}
    bearer = (
        (s.cost_bearer_segment, s.cost_bearer_value)
        if s.several_departments and s.cost_bearer_value
        else None
    )
    found = []
    for b in batches:
        day = _day(b)
        lines = b.journal_transaction_lines
        if day is None or _is_duvis(b):
            continue
        if s.several_clients and s.branch_number:
            branches = {b.branch, *(ln.branch for ln in lines)} - {None}
            if s.branch_number not in branches:
                continue
        if bearer is not None and not any(
            ln.subaccount is not None
            and any(
                (str(sg.segment_id), sg.segment_value) == (str(bearer[0]), bearer[1])
                for sg in ln.subaccount.segments
            )
            for ln in lines
        ):
            continue
        if not any(ln.account_number in revenue for ln in lines):
            continue
        found.append(ForeignBatch(b.batch_number or "?", day, (b.description or "").strip()))
    return found


async def recent_periods(periods: Periods, days: Iterable[date] = ()) -> list[str]:
    """Visma's journal periods (periods.Periods: a year from July numbers November 05) of the
    two newest periods among `days`; without days, last month's and this month's. Never the
    calendar's YYYYMM: for such a company that is another month's period."""
    if not days:
        today = date.today()
        days = (today.replace(day=1) - timedelta(days=1), today)
    return sorted({await periods.span(d) for d in days})[-2:]


async def recent_foreign_batches(
    visma: VismaClient,
    s: DepartmentSettings,
    accounts: dict[str, str],
    days: Iterable[date] = (),
    periods: Periods | None = None,
) -> list[ForeignBatch]:
    """Another integration's batches of this department in the periods of `days` (the two
    newest; default: last month's and this month's): one GL listing per period (setup and
    doctor), plus one read of Visma's financial periods."""
    found = []
    for period in await recent_periods(periods or Periods(visma), list(days)):
        batches = [b async for b in visma.list_journals(period=period, module="GL")]
        found += foreign_batches(batches, s, accounts)
    return found


def confirmed(ledger: Ledger, dept_id: str, key: str) -> set[str]:
    """The foreign batch numbers a person confirmed posting `key` beside."""
    return set(filter(None, (ledger.cursor(dept_id, CONFIRMED + key) or "").split(",")))


def found_for(ledger: Ledger, dept_id: str, key: str) -> list[str]:
    """The foreign batch numbers that held `key` last."""
    return list(filter(None, (ledger.cursor(dept_id, FOUND + key) or "").split(",")))


def hold_unless_confirmed(ledger: Ledger, dept_id: str, key: str, numbers: set[str]) -> set[str]:
    """Of `numbers` (another integration's documents found beside `key`), those no person
    confirmed posting beside; they are kept for the confirmation (`duvi transfers confirm`)."""
    ok = confirmed(ledger, dept_id, key)
    held = numbers - ok
    if held:
        kept = ",".join(sorted(held | ok))
        if ledger.cursor(dept_id, FOUND + key) != kept:
            ledger.set_cursor(dept_id, FOUND + key, kept)
    return held


# -- invoices ("Faktura") -------------------------------------------------------------------
#
# DUELL's module also pushes its invoices ("Faktura" switched on). An invoice duvi did not make
# (no DUELL-INV key in its external reference) to the same customer, of the same date and the
# same amount incl. VAT is taken for the same sale (inferred: DUELL publishes nothing about its
# invoices' fields). Visma rounds VAT per line its own way, so the amounts may differ by an
# øre per line (inferred, as transferview's invoice total).


@dataclass(frozen=True)
class ForeignInvoice:
    number: str
    customer: str
    day: date
    amount: Decimal


def foreign_invoices(invoices: Iterable[CustomerInvoice]) -> list[ForeignInvoice]:
    """The invoices among `invoices` (one company's customer invoices) duvi did not make."""
    found = []
    for inv in invoices:
        if (inv.external_reference or "").strip().startswith(INVOICE_PREFIX):
            continue
        try:
            day = date.fromisoformat((inv.document_date or "")[:10])
        except ValueError:
            continue
        if inv.customer is None or inv.customer.number is None or inv.amount is None:
            continue
        found.append(
            ForeignInvoice(inv.reference_number or "?", inv.customer.number, day, inv.amount)
        )
    return found


def same_invoice(
    found: Iterable[ForeignInvoice], customer: str, day: date, amount: Decimal, lines: int
) -> list[ForeignInvoice]:
    """Those of `found` to `customer`, dated `day`, for `amount` (within an øre per line)."""
    slack = Decimal("0.01") * max(lines, 1)
    return [
        f
        for f in found
        if f.customer == customer and f.day == day and abs(f.amount - amount) <= slack
    ]


class ForeignInvoiceFound(DataError):
    """An invoice basis Visma already holds another integration's invoice for: held."""

    def __init__(self, key: str, invoices: list[ForeignInvoice]) -> None:
        f = invoices[0]
        named = ", ".join(i.number for i in invoices)
        super().__init__(
            f"{HELD} customer invoice {named} of {f.day} to customer {f.customer} for "
            f"{f.amount:.2f} that duvi did not make (inferred: DUELL's own Visma module posts its "
            f"invoices); posting {key} would invoice the sale twice",
            REMEDY,
        )
        self.invoices = invoices
