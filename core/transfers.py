"""Daily settlements and invoice bases to Visma, exactly once.

Z-reports become v2 journal transactions on hold (an open batch the accountant releases);
invoice bases become v2 customer invoices on hold (drafts). Each goes through the ledger
(core/ledger.py): registered with its key before anything is sent, marked `sent` before the
POST, confirmed only with Visma's number, looked up in Visma after any doubt.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.accounting import Journal, JournalRefused, build_journal, rate_text
from core.departments import Departments
from core.duell.client import DuellClient
from core.errors import DuviError
from core.eventlog import EventLog
from core.failpoints import failpoint
from core.http import OutcomeUnknownError, TransientError, about
from core.ledger import Ledger, LedgerRow, State
from core.models import Department, InvoiceBasis, ZReport
from core.visma.client import VismaClient
from core.visma.errors import VismaError
from core.visma.models import (
    ContactWrite,
    CustomerWrite,
    InvoiceLineWrite,
    InvoiceWrite,
    JournalLineWrite,
    JournalWrite,
    SegmentWrite,
)
from core.visma.wire import format_date

ZREPORT, INVOICE, STOCK = "zreport", "invoice", "stock"


def stock_key(department_id: str, day: str) -> str:
    return f"DUELL-STOCK-{department_id}-{day}"


def invoice_key(department_id: str, invoice_id: int) -> str:
    return f"DUELL-INV-{department_id}-{invoice_id}"


class PreflightError(DuviError):
    """What Visma lacks for this department's documents: every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "Visma.net is not ready for this department: " + "; ".join(problems),
            "create or activate what is missing in Visma, or fix the mapping; nothing was sent",
        )
        self.problems = problems


@dataclass
class Outcome:
    key: str
    state: State
    visma_number: str | None = None
    error: str | None = None
    flags: list[str] = field(default_factory=list)
    looked_up: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "state": str(self.state)}


def journal_write(j: Journal) -> JournalWrite:
    segments = [SegmentWrite(segment_id=s, segment_value=v) for s, v in j.subaccount] or None
    return JournalWrite(
        hold=True,
        transaction_date=format_date(j.business_date),
        financial_period=j.financial_period,
        description=j.description,
        branch=j.branch,
        journal_transaction_lines=[
            JournalLineWrite(
                line_number=i,
                account_number=ln.account,
                debit_amount_in_currency=ln.debit or None,
                credit_amount_in_currency=ln.credit or None,
                vat_id=ln.vat_id,
                transaction_description=ln.text,
                reference_number=j.key,
                subaccount=segments,
                branch=j.branch,
            )
            for i, ln in enumerate(j.lines, start=1)
        ],
    )


class Settlements:
    """One department's transfers, with its clients."""

    def __init__(
        self,
        dept: Department,
        departments: Departments,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        duell: DuellClient | None = None,
    ) -> None:
        self.dept = dept
        self.departments = departments
        self.ledger = ledger
        self.visma = visma
        self.duell = duell
        self.log = log
        self._reference: dict[str, Any] | None = None
        self._customers: Any = None

    # -- getting documents into the ledger --------------------------------------------------

    async def fetch_zreports(self) -> int:
        """New Z-reports from DUELL into the ledger (kept locally before anything else)."""
        assert self.duell is not None
        cursor = int(self.ledger.cursor(self.dept.id, ZREPORT) or 0)
        new = 0
        async for z in self.duell.list_zreports(self.dept.id, after_z=cursor):
            new += self.register_zreport(z)
            cursor = max(cursor, z.z_number)
        self.ledger.set_cursor(self.dept.id, ZREPORT, str(cursor))
        return new

    def register_zreport(self, z: ZReport) -> bool:
        from core.accounting import zreport_key

        return self.ledger.register(
            zreport_key(self.dept.id, z.z_number),
            self.dept.id,
            ZREPORT,
            str(z.z_number),
            z.model_dump(mode="json"),
        )

    async def fetch_invoices(self) -> int:
        assert self.duell is not None
        cursor = int(self.ledger.cursor(self.dept.id, INVOICE) or 0)
        new = 0
        async for inv in self.duell.list_invoice_bases(self.dept.id, after_id=cursor):
            new += self.ledger.register(
                invoice_key(self.dept.id, inv.invoice_id),
                self.dept.id,
                INVOICE,
                str(inv.invoice_id),
                inv.model_dump(mode="json"),
            )
            cursor = max(cursor, inv.invoice_id)
        self.ledger.set_cursor(self.dept.id, INVOICE, str(cursor))
        return new

    # -- preflight --------------------------------------------------------------------------

    async def reference(self) -> dict[str, Any]:
        if self._reference is None:
            accounts = {a.account_cd: a for a in await self.visma.list_accounts()}
            vat = {v.vat_id: v for v in await self.visma.list_vat()}
            dim = await self.visma.get_dimension("SUBACCOUNT")
            segments = {
                (s.segment_id, v.value_id)
                for s in dim.segments
                for v in s.segment_values
                if v.active is not False
            }
            self._reference = {"accounts": accounts, "vat": vat, "segments": segments}
        return self._reference

    async def preflight(self, journals: list[Journal]) -> None:
        ref = await self.reference()
        problems: list[str] = []
        for acc in sorted({ln.account for j in journals for ln in j.lines}):
            found = ref["accounts"].get(acc)
            if found is None:
                problems.append(f"account {acc} does not exist in Visma")
            elif found.active is False:
                problems.append(f"account {acc} is inactive in Visma")
        for vat_id in sorted({ln.vat_id for j in journals for ln in j.lines if ln.vat_id}):
            if vat_id not in ref["vat"]:
                problems.append(f"VAT id {vat_id} does not exist in Visma")
        for seg in sorted({s for j in journals for s in j.subaccount}):
            if seg not in ref["segments"]:
                problems.append(
                    f"cost bearer {seg[1]} is not a value of SUBACCOUNT segment {seg[0]}"
                )
        if problems:
            raise PreflightError(problems)

    # -- sending ----------------------------------------------------------------------------

    def _journal(self, row: LedgerRow) -> Journal:
        z = ZReport.model_validate(row.payload)
        vat_ids = {
            rate: m.visma_vat_id
            for rate, m in self.departments.vat_mappings(self.dept.id).items()
            if m.visma_vat_id
        }
        return build_journal(
            z, self.departments.account_map(self.dept.id), vat_ids, self.dept.settings
        )

    async def transfer_zreports(self, *, retry_failed: bool = False) -> list[Outcome]:
        if retry_failed:
            for row in self.ledger.rows(
                self.dept.id, kind=ZREPORT, states=(State.FAILED, State.ATTENTION)
            ):
                self.ledger.retry(row.key)
        rows = self.ledger.rows(self.dept.id, kind=ZREPORT, states=(State.PENDING, State.SENT))
        outcomes: list[Outcome] = []
        ready: list[tuple[LedgerRow, Journal]] = []
        for row in rows:
            try:
                ready.append((row, self._journal(row)))
            except JournalRefused as exc:
                self.ledger.attention(row.key, str(exc))
                self.log.error(str(exc), department_id=self.dept.id, entity=ZREPORT)
                outcomes.append(Outcome(row.key, State.ATTENTION, error=exc.message))
        if ready:
            await self.preflight([j for _, j in ready])
        for row, journal in ready:
            with about(row.key):
                outcomes.append(await self._send_journal(row, journal))
        return outcomes

    async def _send_journal(self, row: LedgerRow, journal: Journal) -> Outcome:
        key = row.key
        if row.state == State.SENT:  # in doubt: look it up before sending anything
            found = await self.visma.find_journals_by_reference(
                key, period=journal.financial_period
            )
            if found:
                number = found[0].batch_number or ""
                self.ledger.confirm(key, number)
                self.log.info(
                    f"{key} was already in Visma as batch {number} (found after doubt)",
                    department_id=self.dept.id,
                    entity=ZREPORT,
                )
                return Outcome(key, State.CONFIRMED, number, flags=journal.flags, looked_up=True)
        failpoint("before-sent")
        self.ledger.mark_sent(key)
        failpoint("before-post")
        try:
            number = await self.visma.create_journal(journal_write(journal))
        except (OutcomeUnknownError, TransientError) as exc:
            self.ledger.note_doubt(key, exc.message)
            self.log.warning(
                f"{key}: {exc.message}; it is looked up before any resend",
                department_id=self.dept.id,
                entity=ZREPORT,
            )
            return Outcome(key, State.SENT, error=exc.message, flags=journal.flags)
        except VismaError as exc:
            self.ledger.fail(key, str(exc))
            self.log.error(
                f"{key} refused by Visma: {exc.message}",
                department_id=self.dept.id,
                entity=ZREPORT,
                data={"visma_id": exc.visma_id},
            )
            return Outcome(key, State.FAILED, error=exc.message, flags=journal.flags)
        failpoint("after-post")
        self.ledger.confirm(key, number)
        failpoint("after-commit")
        for flag in journal.flags:
            self.log.warning(f"{key}: {flag}", department_id=self.dept.id, entity=ZREPORT)
        self.log.info(
            f"{key} posted as batch {number} (on hold)", department_id=self.dept.id, entity=ZREPORT
        )
        return Outcome(key, State.CONFIRMED, number, flags=journal.flags)

    # -- invoices ---------------------------------------------------------------------------

    async def transfer_invoices(self, *, retry_failed: bool = False) -> list[Outcome]:
        if retry_failed:
            for row in self.ledger.rows(
                self.dept.id, kind=INVOICE, states=(State.FAILED, State.ATTENTION)
            ):
                self.ledger.retry(row.key)
        outcomes = []
        mappings = self.departments.vat_mappings(self.dept.id)
        for row in self.ledger.rows(self.dept.id, kind=INVOICE, states=(State.PENDING, State.SENT)):
            inv = InvoiceBasis.model_validate(row.payload)
            missing = sorted(
                {
                    ln.vat_rate
                    for ln in inv.lines
                    if not (m := mappings.get(ln.vat_rate)) or not m.visma_vat_id
                }
            )
            if missing:
                text = "; ".join(
                    f"map VAT rate {rate_text(r)} % to a Visma VAT code" for r in missing
                )
                self.ledger.attention(row.key, text)
                outcomes.append(Outcome(row.key, State.ATTENTION, error=text))
                continue
            with about(row.key):
                outcomes.append(await self._send_invoice(row, inv, mappings))
        return outcomes

    async def _send_invoice(self, row: LedgerRow, inv: InvoiceBasis, mappings: Any) -> Outcome:
        key = row.key
        if row.state == State.SENT:
            found = await self.visma.find_invoices_by_external_reference(key)
            if found:
                number = found[0].reference_number or ""
                self.ledger.confirm(key, number)
                return Outcome(key, State.CONFIRMED, number, looked_up=True)
        try:
            customer = await self._customer_number(inv)
        except DuviError as exc:
            self.ledger.attention(key, str(exc))
            return Outcome(key, State.ATTENTION, error=exc.message)
        ref = await self.reference()
        lines = []
        for ln in inv.lines:
            vat_id = mappings[ln.vat_rate].visma_vat_id
            vat = ref["vat"].get(vat_id)
            lines.append(
                InvoiceLineWrite(
                    description=ln.description[:255],
                    quantity=ln.quantity,
                    unit_price_in_currency=ln.unit_price_ex_vat,
                    discount_percent=ln.discount_percent or None,
                    vat_code_id=vat.vat_category_id if vat else None,
                )
            )
        write = InvoiceWrite(
            customer_number=customer,
            hold=True,
            external_reference=key,
            document_date=format_date(inv.date),
            invoice_text=(inv.reference or f"Fakturagrunnlag {inv.invoice_id}")[:255],
            branch_number=self.dept.settings.branch_number
            if self.dept.settings.several_clients
            else None,
            invoice_lines=lines,
        )
        posted = await self._post_once(key, lambda: self.visma.create_invoice(write))
        if isinstance(posted, Outcome):
            return posted
        number = posted
        self.log.info(
            f"{key} created as draft invoice {number}", department_id=self.dept.id, entity=INVOICE
        )
        return Outcome(key, State.CONFIRMED, number)

    async def _post_once(
        self, key: str, post: Callable[[], Awaitable[str]], *, confirm: bool = True
    ) -> Outcome | str:
        """Send one document the once: marked sent first; an answer lost on the way leaves it
        sent (looked up before any resend); a refusal fails it; an answer confirms it (unless
        the caller has more to do first). Returns Visma's number, or the Outcome that ends
        this try."""
        self.ledger.mark_sent(key)
        failpoint("before-post")
        try:
            number = await post()
        except (OutcomeUnknownError, TransientError) as exc:
            self.ledger.note_doubt(key, exc.message)
            return Outcome(key, State.SENT, error=exc.message)
        except VismaError as exc:
            self.ledger.fail(key, str(exc))
            return Outcome(key, State.FAILED, error=exc.message)
        failpoint("after-post")
        if confirm:
            self.ledger.confirm(key, number)
        return number

    async def _customer_index(self) -> Any:
        """The company's customers, indexed by matching key (read once per run)."""
        from core.customer_record import from_visma, visma_keys
        from core.matching import CustomerIndex

        if self._customers is None:
            customers = [c async for c in self.visma.list_customers()]
            self._customers = (
                CustomerIndex((c.number, visma_keys(c)) for c in customers),
                {c.number: from_visma(c) for c in customers},
            )
        return self._customers

    async def _customer_number(self, inv: InvoiceBasis) -> str:
        """The Visma customer of an invoice basis: linked before, matched (org. number, phone,
        e-mail), or created. Several candidates are a conflict that waits for a person."""
        from core.conflicts import Conflicts
        from core.customer_record import from_duell
        from core.matching import Keys

        duell_id = str(inv.customer.customer_id)
        link = self.departments.store.query(
            "SELECT visma_id FROM entity_links WHERE department_id = ? AND entity = 'customer' "
            "AND duell_id = ?",
            [self.dept.id, duell_id],
        )
        if link:
            return link[0]["visma_id"]
        conflicts = Conflicts(self.departments.store)
        decided = conflicts.open_for(self.dept.id, "customer", duell_id)
        keys = Keys.of(inv.customer.org_no, inv.customer.phone, inv.customer.email)
        if decided is not None and decided.state == "ignored":
            raise DuviError(
                f"the customer conflict of '{inv.customer.name}' was set to ignore",
                "reopen it in the conflicts screen and link or create the customer",
            )
        create = (
            decided is not None
            and decided.state == "resolved"
            and ((decided.resolution or {}).get("action") == "create")
        )
        if not create:
            index, by_number = await self._customer_index()
            match = index.match(keys, allow_duplicates=self.dept.settings.allow_duplicate_customers)
            if match.warning:
                self.log.warning(
                    f"customer '{inv.customer.name}': {match.warning}",
                    department_id=self.dept.id,
                    entity="customer",
                )
            if match.conflict:
                conflicts.raise_conflict(
                    self.dept.id,
                    "customer",
                    "duell",
                    duell_id,
                    from_duell(inv.customer),
                    [{"id": n, **by_number[n]} for n in match.conflict],
                    match.key or "",
                )
                raise DuviError(
                    f"customer '{inv.customer.name}' has {len(match.conflict)} candidates in "
                    f"Visma with the same {match.key}",
                    "resolve the duplicate-customer conflict, then retry the invoice",
                )
            if match.candidate is not None:
                return self._link(duell_id, str(match.candidate))
        number = await self.visma.create_customer(
            CustomerWrite(
                name=inv.customer.name,
                corporate_id=keys.orgnr,
                main_contact=ContactWrite(email=inv.customer.email, phone1=inv.customer.phone)
                if inv.customer.email or inv.customer.phone
                else None,
            )
        )
        return self._link(duell_id, number)

    def _link(self, duell_id: str, visma_number: str) -> str:
        with self.departments.store.write() as db:
            db["entity_links"].upsert(
                {
                    "department_id": self.dept.id,
                    "entity": "customer",
                    "duell_id": duell_id,
                    "visma_id": visma_number,
                },
                pk=("department_id", "entity", "duell_id"),
            )
        return visma_number

    # -- stock ------------------------------------------------------------------------------------

    def register_stock(self) -> int:
        """One stock issue per business date: the items sold on the day's Z-reports. A
        Z-report that arrives after its day's issue was recorded (a second till closing late,
        a Z-report DUELL lists the next morning) gets a supplementary issue, keyed by the day
        and -2, -3 …: a recorded issue is never changed, and no sale is left out of stock."""
        reports: dict[str, list[tuple[LedgerRow, ZReport]]] = {}
        for row in self.ledger.rows(self.dept.id, kind=ZREPORT):
            z = ZReport.model_validate(row.payload)
            reports.setdefault(z.business_date.isoformat(), []).append((row, z))
        issued: dict[str, list[LedgerRow]] = {}
        for row in self.ledger.rows(self.dept.id, kind=STOCK):
            issued.setdefault(row.payload["date"], []).append(row)
        new = 0
        for day, day_reports in sorted(reports.items()):
            earlier = issued.get(day, [])
            covered = {k for row in earlier for k in _covers(row, [r for r, _ in day_reports])}
            fresh = [(r, z) for r, z in day_reports if r.key not in covered]
            items: dict[str, Decimal] = {}
            for _, z in fresh:
                for item in z.items_sold:
                    n = item.product_number
                    items[n] = items.get(n, Decimal(0)) + item.quantity
            if not items:
                continue
            key = stock_key(self.dept.id, day)
            new += self.ledger.register(
                f"{key}-{len(earlier) + 1}" if earlier else key,
                self.dept.id,
                STOCK,
                day,
                {
                    "date": day,
                    "zreports": sorted(r.key for r, _ in fresh),
                    "items": {n: str(q) for n, q in sorted(items.items())},
                },
            )
        return new

    async def transfer_stock(self) -> list[Outcome]:
        outcomes = []
        for row in self.ledger.rows(self.dept.id, kind=STOCK, states=(State.PENDING, State.SENT)):
            with about(row.key):
                outcomes.append(await self._send_stock(row))
        return outcomes

    async def _send_stock(self, row: LedgerRow) -> Outcome:
        from datetime import date as _date

        from core.visma.models import IssueLineWrite, IssueWrite

        key, day = row.key, row.payload["date"]
        if row.state == State.SENT:
            found = [i async for i in self.visma.list_issues() if i.external_reference == key]
            if found:
                return await self._release_stock(
                    key,
                    found[0].reference_number or "",
                    released=found[0].status == "Released",
                    looked_up=True,
                )
        write = IssueWrite(
            hold=False,
            date=format_date(_date.fromisoformat(day)),
            external_reference=key,
            description=f"{key} Salg fra DUELL {day}",
            issue_lines=[
                IssueLineWrite(
                    inventory_number=n,
                    quantity=Decimal(q),
                    warehouse_id="MAIN",
                    tran_type="Issue",
                )
                for n, q in row.payload["items"].items()
            ],
        )
        posted = await self._post_once(key, lambda: self.visma.create_issue(write), confirm=False)
        if isinstance(posted, Outcome):
            return posted
        return await self._release_stock(key, posted)

    async def _release_stock(
        self, key: str, number: str, *, released: bool = False, looked_up: bool = False
    ) -> Outcome:
        """A stock issue changes stock only once released: it is confirmed when it is. Until
        then it stays `sent`, and the next run finds it by its reference and releases it."""
        if not released:
            try:
                await self.visma.release_issue(number)
            except (VismaError, TransientError) as exc:
                # A release whose answer was lost is refused when tried again ("already
                # released"): Visma's record says which it is.
                status = [
                    i.status async for i in self.visma.list_issues() if i.reference_number == number
                ]
                if status != ["Released"]:
                    self.ledger.note_doubt(
                        key, f"in Visma as {number}, not released: {exc.message}"
                    )
                    self.log.error(
                        f"{key} is in Visma as {number} but not released: {exc.message}; "
                        "the next run releases it",
                        department_id=self.dept.id,
                        entity=STOCK,
                    )
                    return Outcome(key, State.SENT, number, error=exc.message)
        self.ledger.confirm(key, number)
        return Outcome(key, State.CONFIRMED, number, looked_up=looked_up)

    # -- releasing (bokføre) ------------------------------------------------------------------

    async def release(self, key: str) -> str:
        row = self.ledger.get(key)
        if row is None or row.state != State.CONFIRMED or not row.visma_number:
            raise DuviError(f"{key} is not confirmed in Visma yet", "transfer it first")
        with about(key):
            if row.kind == ZREPORT:
                result = await self.visma.release_journal(row.visma_number)
            else:
                result = await self.visma.release_invoice(row.visma_number)
        self.log.info(
            f"{key} released in Visma ({row.visma_number})",
            department_id=self.dept.id,
            entity=row.kind,
        )
        return json.dumps({"result": result.action_result, "number": row.visma_number})


def _covers(stock: LedgerRow, day_reports: list[LedgerRow]) -> list[str]:
    """The Z-reports a recorded stock issue holds. Issues recorded before that was noted
    hold those of their day that were in the ledger when they were recorded."""
    if "zreports" in stock.payload:
        return list(stock.payload["zreports"])
    return [r.key for r in day_reports if r.created_at <= stock.created_at]


def vat_rates_in_use(rows: list[LedgerRow]) -> set[Decimal]:
    rates: set[Decimal] = set()
    for row in rows:
        if row.kind == ZREPORT:
            rates |= {Decimal(str(s["rate"])) for s in row.payload.get("sales", [])}
    return rates
