"""Invoice bases to Visma as v2 customer invoices on hold (drafts), carrying their ledger key
as the external reference."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

from core.accounting import (
    MAP_VAT,
    NO_ACCOUNT,
    rate_text,
    revenue_account_key,
    subaccount_segments,
)
from core.departments import Departments
from core.duell.client import DuellClient
from core.errors import DataError
from core.eventlog import EventLog
from core.http import about
from core.i18n import N_
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
from core.transfers.invoice_amounts import Category, duell_total, price, visma_total
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
from core.visma.models import (
    CreditNoteWrite,
    CustomerInvoice,
    InvoiceLineWrite,
    InvoiceWrite,
    SegmentWrite,
    VatCategory,
)
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
    for credit_notes in (False, True):  # a negative basis is a credit note, listed apart
        async for inv in visma.list_invoices(
            dated_from=date.fromisoformat(since), credit_notes=credit_notes
        ):
            if seen is not None:
                seen.append(inv)
            if inv.external_reference:
                keys.setdefault(inv.external_reference, Found(inv.reference_number or ""))
    return keys


class InvoiceDocument(Document):
    kind = Kind.INVOICE
    already = N_("{key} was already in Visma as draft invoice {number} ({why})")
    posted = N_("{key} created as draft invoice {number}")

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
        accounts: dict[str, str],
        categories: Callable[[], Awaitable[dict[str, VatCategory]]],
    ) -> None:
        super().__init__(known, month_of(inv.date))
        self.key, self.inv, self.dept, self.vat_ids = key, inv, dept, vat_ids
        self.visma, self.customers, self.references = visma, customers, references
        self.periods, self.guard = periods, guard
        self.accounts, self.categories = accounts, categories
        self.write: InvoiceWrite | None = None

    async def prepare(self) -> None:
        """The lines' VAT categories, revenue accounts and cost bearer, and the customer
        (linked, matched or created). A VAT rate without a Visma VAT code, or without a
        revenue account, holds the invoice until it is mapped; so does a total Visma would
        compute otherwise than DUELL (nothing is sent that differs by an øre)."""
        inv, settings = self.inv, self.dept.settings
        missing = sorted({ln.vat_rate for ln in inv.lines if ln.vat_rate not in self.vat_ids})
        if missing:
            raise DataError("; ".join(MAP_VAT.format(rate_text(r)) for r in missing))
        unmapped = sorted(
            {f"revenue:{rate_text(ln.vat_rate)}" for ln in inv.lines}
            - {k for k, v in self.accounts.items() if v}
        )
        if unmapped:
            raise DataError(
                NO_ACCOUNT.format(", ".join(unmapped)), "set it in the account mapping editor"
            )
        ref = await self.references.get()
        absent = sorted(
            {
                self.accounts[f"revenue:{rate_text(ln.vat_rate)}"]
                for ln in inv.lines
                if self.accounts[f"revenue:{rate_text(ln.vat_rate)}"] not in ref.accounts
            }
        )
        if absent:
            raise DataError(
                f"account {', '.join(absent)} does not exist in Visma",
                "create it in Visma or map the VAT rate's revenue to another account",
            )
        categories = [await self._category(ln.vat_rate) for ln in inv.lines]
        total = duell_total(inv.lines)
        sign = -1 if total < 0 else 1
        try:
            priced = price(inv.lines, categories, sign)
        except ValueError as exc:
            raise DataError(str(exc), "use a VAT category that extracts or adds VAT") from None
        computed = visma_total(inv.lines, priced, sign)
        if computed != sign * total:
            raise DataError(
                f"invoice {inv.invoice_id}: DUELL {f'{sign * total:,.2f}'}, Visma would "
                f"compute {f'{computed:,.2f}'}",
                "check the VAT categories of the rates in Visma",
            )
        # Visma derives the invoice's period from its date (none is sent): held, not
        # refused, when that period is closed in the customer ledger.
        await self.periods.check_open(inv.date, "AR")
        customer = await self.customers.number(inv.customer)
        foreign = self.guard(self.key, inv, customer)  # from find's listing: no request
        if foreign is not None:
            raise foreign
        segments = [
            SegmentWrite(segment_id=s, segment_value=v) for s, v in subaccount_segments(settings)
        ] or None
        lines = [
            InvoiceLineWrite(
                description=ln.description[:INVOICE_LINE_DESCRIPTION],
                quantity=sign * ln.quantity,
                unit_price_in_currency=p.unit_price,
                manual_amount_in_currency=p.manual_amount,
                discount_percent=p.discount_percent,
                vat_code_id=p.category.id,
                account_number=self.accounts[f"revenue:{rate_text(ln.vat_rate)}"],
                subaccount=segments,
            )
            for ln, p in zip(inv.lines, priced, strict=True)
        ]
        kind = CreditNoteWrite if sign < 0 else InvoiceWrite
        self.write = kind(
            customer_number=customer,
            hold=True,
            external_reference=self.key,
            document_date=format_date(inv.date),
            invoice_text=(inv.reference or f"Fakturagrunnlag {inv.invoice_id}")[:255],
            branch_number=settings.branch_number if settings.several_clients else None,
            invoice_lines=lines,
        )

    async def _category(self, rate: Decimal) -> Category:
        """The VAT category of the rate's VAT id, with how it calculates VAT (read from
        Visma's vatCategory list); a category whose rate is not the line's is refused."""
        vat = (await self.references.get()).vat.get(self.vat_ids[rate])
        if vat is None or not vat.vat_category_id:
            raise DataError(
                f"VAT id {self.vat_ids[rate]} has no VAT category in Visma",
                "map the rate to a VAT code that has one",
            )
        cat = (await self.categories()).get(vat.vat_category_id)
        line = next((ln for ln in cat.vat_category_lines), None) if cat else None
        rates = line.vat_rates if line else []
        cat_rate = rates[-1].vat_rate if rates and rates[-1].vat_rate is not None else Decimal(0)
        if cat_rate != rate:
            raise DataError(
                f"VAT category {vat.vat_category_id} is {rate_text(cat_rate)} %, the line's "
                f"rate {rate_text(rate)} %",
                "map the rate to a VAT code of the same rate",
            )
        return Category(vat.vat_category_id, line.calculate_on if line else None, cat_rate)

    async def post(self) -> str:
        assert self.write is not None, "prepare() builds the invoice"
        if isinstance(self.write, CreditNoteWrite):
            return await self.visma.create_credit_note(self.write)
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
        self._categories: dict[str, VatCategory] | None = None  # read once a run

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
        total = duell_total(inv.lines)
        same = same_invoice(self.foreign, customer, inv.date, total, len(inv.lines))
        held = hold_unless_confirmed(self.ledger, self.dept.id, key, {f.number for f in same})
        if not held:
            return None
        return ForeignInvoiceFound(key, [f for f in same if f.number in held])

    async def categories(self) -> dict[str, VatCategory]:
        """The company's VAT categories (GET /v1/vatCategory), read once a run."""
        if self._categories is None:
            with about(None):  # serves every invoice of the run
                self._categories = {
                    c.vat_category_id: c
                    for c in await self.visma.list_vat_categories()
                    if c.vat_category_id
                }
        return self._categories

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
        accounts = self.departments.account_map(self.dept.id)
        # An invoice line's revenue account per rate: 0 % by its SAF-T code, as the Z-report
        # journal books it (accounting.revenue_account_key).
        codes = self.departments.saft_codes(self.dept.id)
        for rate in vat_ids:
            found = accounts.get(revenue_account_key(accounts, rate, codes.get(rate)))
            if found:
                accounts[f"revenue:{rate_text(rate)}"] = found
        if retry_failed:
            retry_held(self.ledger, self.dept.id, Kind.INVOICE)
        else:
            requeue_fixed(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.INVOICE,
                lambda row: all(
                    ln.vat_rate in vat_ids and accounts.get(f"revenue:{rate_text(ln.vat_rate)}")
                    for ln in InvoiceBasis.model_validate(row.payload).lines
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
                accounts,
                self.categories,
            )
            outcomes.append(await post_once(self.ledger, self.log, row, doc))
        return outcomes
