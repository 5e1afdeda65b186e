"""Invoice bases to Visma as v2 customer invoices on hold (drafts), carrying their ledger key
as the external reference."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from core.accounting import MAP_VAT, rate_text
from core.departments import Departments
from core.duell.client import DuellClient
from core.errors import DataError
from core.eventlog import EventLog
from core.invoice_amount import invoice_total
from core.ledger import Ledger
from core.models import Department, InvoiceBasis
from core.transfers.customers import InvoiceCustomers
from core.transfers.foreign import (
    ForeignInvoice,
    ForeignInvoiceFound,
    foreign_invoices,
    hold_unless_confirmed,
    same_invoice,
)
from core.transfers.periods import Periods, requeue_open
from core.transfers.posting import (
    Document,
    Found,
    Kind,
    Known,
    Outcome,
    month_of,
    post_once,
    requeue_fixed,
    retry_held,
    to_send,
)
from core.transfers.reference import References
from core.visma.client import VismaClient
from core.visma.models import CustomerInvoice, InvoiceLineWrite, InvoiceWrite
from core.visma.wire import format_date

# An invoice line's description holds 30 characters (CustomerInvoiceLineDto.description: "may
# contain up to 30 characters", Visma's OpenAPI in core/sandbox/specs/; assumed to apply to
# writes too). DUELL's product names can be longer: they are cut to fit.
INVOICE_LINE_DESCRIPTION = 30


def invoice_key(department_id: str, invoice_id: int) -> str:
    return f"DUELL-INV-{department_id}-{invoice_id}"


async def invoice_keys(
    visma: VismaClient, since: str, seen: list[CustomerInvoice] | None = None
) -> dict[str, Found]:
    """The external references of the invoices dated `since` or later. The list filters on
    documentDate (one bound) and on the exact externalReference; one listing from the
    earliest month of a run serves all its invoices, where exact look-ups cost one each.
    `seen`, if given, receives every invoice listed (the double-posting guard's)."""
    keys: dict[str, Found] = {}
    async for inv in visma.list_invoices(dated_from=date.fromisoformat(since)):
        if seen is not None:
            seen.append(inv)
        if inv.external_reference:
            keys.setdefault(inv.external_reference, Found(inv.reference_number or ""))
    return keys


class InvoiceDocument(Document):
    kind = Kind.INVOICE
    made = "draft invoice {}"
    posted = "created as draft invoice {}"

    def __init__(
        self,
        key: str,
        inv: InvoiceBasis,
        dept: Department,
        vat_ids: dict[Decimal, str],
        visma: VismaClient,
        customers: InvoiceCustomers,
        references: References,
        known: Known,
        periods: Periods,
        guard: Callable[[str, InvoiceBasis, str], ForeignInvoiceFound | None],
    ) -> None:
        super().__init__(known, month_of(inv.date))
        self.key, self.inv, self.dept, self.vat_ids = key, inv, dept, vat_ids
        self.visma, self.customers, self.references = visma, customers, references
        self.periods, self.guard = periods, guard
        self.write: InvoiceWrite | None = None

    async def prepare(self) -> None:
        """The lines' VAT codes and the customer (linked, matched or created). A VAT rate
        without a Visma VAT code holds the invoice until it is mapped."""
        inv, settings = self.inv, self.dept.settings
        missing = sorted({ln.vat_rate for ln in inv.lines if ln.vat_rate not in self.vat_ids})
        if missing:
            raise DataError("; ".join(MAP_VAT.format(rate_text(r)) for r in missing))
        # Visma derives the invoice's period from its date (none is sent): held, not
        # refused, when that period is closed in the customer ledger.
        await self.periods.check_open(inv.date, "AR")
        customer = await self.customers.number(inv.customer)
        foreign = self.guard(self.key, inv, customer)  # from find's listing: no request
        if foreign is not None:
            raise foreign
        vat = (await self.references.get()).vat
        lines = []
        for ln in inv.lines:
            category = vat.get(self.vat_ids[ln.vat_rate])
            lines.append(
                InvoiceLineWrite(
                    description=ln.description[:INVOICE_LINE_DESCRIPTION],
                    quantity=ln.quantity,
                    unit_price_in_currency=ln.unit_price_ex_vat,
                    discount_percent=ln.discount_percent or None,
                    vat_code_id=category.vat_category_id if category else None,
                )
            )
        self.write = InvoiceWrite(
            customer_number=customer,
            hold=True,
            external_reference=self.key,
            document_date=format_date(inv.date),
            invoice_text=(inv.reference or f"Fakturagrunnlag {inv.invoice_id}")[:255],
            branch_number=settings.branch_number if settings.several_clients else None,
            invoice_lines=lines,
        )

    async def post(self) -> str:
        assert self.write is not None, "prepare() builds the invoice"
        return await self.visma.create_invoice(self.write)


class Invoices:
    """One department's invoice bases: from DUELL into the ledger, from the ledger to Visma."""

    def __init__(
        self,
        dept: Department,
        departments: Departments,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        references: References,
        periods: Periods,
    ) -> None:
        self.dept = dept
        self.departments = departments
        self.ledger = ledger
        self.visma = visma
        self.log = log
        self.references = references
        self.periods = periods
        self.customers = InvoiceCustomers(dept, departments.store, visma, log)
        self.known = Known(self._read, onwards=True)
        self.foreign: list[ForeignInvoice] = []  # another integration's, from the last listing

    async def _read(self, since: str) -> dict[str, Found]:
        """The keys of the invoices dated `since` on, and, from the same listing, the invoices
        another integration made (the double-posting guard costs no request of its own)."""
        seen: list[CustomerInvoice] = []
        keys = await invoice_keys(self.visma, since, seen)
        self.foreign = foreign_invoices(seen)
        return keys

    def _guard(self, key: str, inv: InvoiceBasis, customer: str) -> ForeignInvoiceFound | None:
        """Another integration's invoice of the same customer, date and amount that no person
        confirmed posting beside: the basis is held (their numbers kept for the confirmation)."""
        total = invoice_total([ln.model_dump(mode="json") for ln in inv.lines])
        same = same_invoice(self.foreign, customer, inv.date, total, len(inv.lines))
        held = hold_unless_confirmed(self.ledger, self.dept.id, key, {f.number for f in same})
        if not held:
            return None
        return ForeignInvoiceFound(key, [f for f in same if f.number in held])

    async def fetch(self, duell: DuellClient) -> int:
        cursor = int(self.ledger.cursor(self.dept.id, Kind.INVOICE) or 0)
        new = 0
        async for inv in duell.list_invoice_bases(self.dept.id, after_id=cursor):
            new += self.ledger.register(
                invoice_key(self.dept.id, inv.invoice_id),
                self.dept.id,
                Kind.INVOICE,
                str(inv.invoice_id),
                inv.model_dump(mode="json"),
            )
            cursor = max(cursor, inv.invoice_id)
        self.ledger.set_cursor(self.dept.id, Kind.INVOICE, str(cursor))
        return new

    async def transfer(self, *, retry_failed: bool = False) -> list[Outcome]:
        """Every pending invoice basis as a draft."""
        mappings = self.departments.vat_mappings(self.dept.id)
        vat_ids = {rate: m.visma_vat_id for rate, m in mappings.items() if m.visma_vat_id}
        if retry_failed:
            retry_held(self.ledger, self.dept.id, Kind.INVOICE)
        else:
            requeue_fixed(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.INVOICE,
                lambda row: all(
                    ln.vat_rate in vat_ids for ln in InvoiceBasis.model_validate(row.payload).lines
                ),
            )
            await requeue_open(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.INVOICE,
                self.periods,
                lambda row: InvoiceBasis.model_validate(row.payload).date,
                "AR",
            )
        outcomes = []
        rows = to_send(self.ledger, self.dept.id, Kind.INVOICE)
        bases = [InvoiceBasis.model_validate(row.payload) for row in rows]
        self.known.expect(month_of(inv.date) for inv in bases)
        for row, inv in zip(rows, bases, strict=True):
            doc = InvoiceDocument(
                row.key,
                inv,
                self.dept,
                vat_ids,
                self.visma,
                self.customers,
                self.references,
                self.known,
                self.periods,
                self._guard,
            )
            outcomes.append(await post_once(self.ledger, self.log, row, doc))
        return outcomes
