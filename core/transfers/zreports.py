"""Z-reports (daily settlements) to Visma as v2 journal transactions on hold: an open batch
the accountant releases. Kept in the ledger the moment they are fetched; sent only when every
account, VAT id and cost bearer they use exists in Visma (preflight)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.accounting import (
    Journal,
    JournalRefused,
    build_journal,
    line_reference,
    rate_text,
    zreport_key,
)
from core.audit import record
from core.departments import Departments
from core.duell.client import DuellClient
from core.errors import DataError
from core.eventlog import EventLog
from core.eventtext import msg
from core.i18n import N_, _
from core.ledger import ZREPORTS_FETCHED, Ledger, LedgerRow, State
from core.models import CashMovement, Department, ZReport
from core.reasons import (
    CHANGED_POSTED,
    CHANGED_POSTED_AS,
    CHANGED_POSTED_REMEDY,
    CHANGED_RECORDED,
    CHANGED_RECORDED_REMEDY,
    CHANGED_UNNUMBERED_REMEDY,
)
from core.store import utcnow
from core.transfers.foreign import (
    ForeignBatch,
    ForeignBatchFound,
    foreign_batches,
    hold_unless_confirmed,
)
from core.transfers.gl_batches import LINE, RoundListings, add_keys
from core.transfers.on_account import booked_zreport, held_for_on_account, on_account_paid
from core.transfers.periods import Periods, requeue_open
from core.transfers.posting import (
    Document,
    Found,
    Kind,
    Known,
    Outcome,
    PreflightError,
    post_once,
    requeue_fixed,
    retry_held,
    to_send,
)
from core.transfers.reference import References, VismaReference
from core.visma.client import VismaClient
from core.visma.models import JournalLineWrite, JournalTransaction, JournalWrite, SegmentWrite
from core.visma.wire import format_date


def journal_write(j: Journal, period: str | None = None) -> JournalWrite:
    """The journal as sent. `period`: Visma's financial period id for its date (periods.py);
    by default the calendar month's, which is Visma's only in a calendar financial year.
    financialPeriod carries the id as /v1/financialPeriod names it, YYYYPP (the DTO text
    says "Format YYYYMM", the same thing in a calendar year: inferred)."""
    segments = [SegmentWrite(segment_id=s, segment_value=v) for s, v in j.subaccount] or None
    return JournalWrite(
        hold=True,
        transaction_date=format_date(j.business_date),
        financial_period=period or j.financial_period,
        description=j.description,
        branch=j.branch,
        create_vat_transaction=j.create_vat_transaction or None,
        skip_vat_amount_validation=j.skip_vat_amount_validation or None,
        journal_transaction_lines=[
            JournalLineWrite(
                line_number=i,
                account_number=ln.account,
                debit_amount_in_currency=ln.debit or None,
                credit_amount_in_currency=ln.credit or None,
                vat_id=ln.vat_id,
                vat_code_id=ln.vat_code_id,
                transaction_description=ln.text,
                reference_number=line_reference(j.key),
                subaccount=segments,
                branch=j.branch,
            )
            for i, ln in enumerate(j.lines, start=1)
        ],
    )


def preflight_problems(ref: VismaReference, journals: list[Journal]) -> list[str]:
    """Every account, VAT id and cost bearer the journals use that Visma lacks."""
    problems: list[str] = []
    for acc in sorted({ln.account for j in journals for ln in j.lines}):
        found = ref.accounts.get(acc)
        if found is None:
            problems.append(f"account {acc} does not exist in Visma")
        elif found.active is False:
            problems.append(f"account {acc} is inactive in Visma")
    for vat_id in sorted({v for j in journals for v in j.vat_ids}):
        if vat_id not in ref.vat:
            problems.append(f"VAT id {vat_id} does not exist in Visma")
    for seg in sorted({s for j in journals for s in j.subaccount}):
        if seg not in ref.segments:
            problems.append(f"{seg[1]!r} is not a value of SUBACCOUNT segment {seg[0]}")
    # A subaccount lacking a segment may be refused (findings B12): setup fills them all, a
    # setup saved before that did not; run setup again.
    every = {sid for sid, _value in ref.segments}
    for missing in sorted(
        {m for j in journals if j.subaccount for m in every - dict(j.subaccount).keys()}
    ):
        problems.append(
            f"SUBACCOUNT segment {missing} has no value: run the department's setup again "
            "(it reads the company's default subaccount)"
        )
    return problems


async def journal_keys(
    visma: VismaClient, period: str, batches: list[JournalTransaction] | None = None
) -> dict[str, Found]:
    """The keys of a period's GL batches (`module=GL` and `periodId` filter on Visma's side):
    each batch's description key, and under LINE each reference its lines carry, so that a
    line reference is only ever compared with lines (journal_matches), and each whole, never
    as a prefix or substring. `batches`, when given, gets every batch read (the double-posting
    guard looks at them)."""
    keys: dict[str, Found] = {}
    async for batch in visma.list_journals(period=period, module="GL"):
        add_keys(keys, batch)
        if batches is not None:
            batches.append(batch)
    return keys


# sync_cursors entities: the department's first register (whose keys keep the old form,
# accounting.zreport_key) and each other register's cursor. The first register's cursor keeps
# the old entity "zreport", so a database from before registers goes on from where it was.
FIRST_REGISTER = "zreport:first-register"
WHOLE_LISTING = "zreport:whole-listing"  # the day of the last listing from Z 1
REGISTER_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def cursor_entity(register: str, first: str) -> str:
    return Kind.ZREPORT if register == first else f"{Kind.ZREPORT}:{register}"


def first_register(ledger: Ledger, dept_id: str, reports: Iterable[ZReport]) -> str:
    """The register whose Z-reports keep the old key form. Recorded once per department; until
    then it is the register of the department's oldest Z-report row (a database from before
    registers were in the key: every key it holds is that register's), else of the earliest
    Z-report at hand. A new database fetches DUELL's whole history, whose earliest Z-report is
    the register that was the first and only when the old keys were made (inferred: a second
    register is added later, not at the same time as the first)."""
    recorded = ledger.cursor(dept_id, FIRST_REGISTER)
    if recorded is not None:
        return recorded
    rows = ledger.rows(dept_id, kind=Kind.ZREPORT)
    if rows:
        first = str(rows[0].payload.get("register_id") or "1")
    else:
        zs = sorted(reports, key=lambda z: (z.business_date, z.z_number, z.register_id))
        if not zs:
            raise ValueError("no Z-report to tell the first register by")
        first = zs[0].register_id
    ledger.set_cursor(dept_id, FIRST_REGISTER, first)
    return first


def check_z(z: ZReport, source: str) -> None:
    """What a key is made of must read back as itself: a register id without spaces or
    signs, and a positive Z number."""
    if not REGISTER_ID.fullmatch(z.register_id):
        raise DataError(
            f"{source}: Z-report {z.z_number} has register id {z.register_id!r}, which cannot "
            "be part of a transfer key (letters, digits, '.', '_' and '-' only)",
            "check the cash register's id in DUELL",
        )
    if z.z_number < 1:
        raise DataError(
            f"{source}: Z-report number {z.z_number} of register {z.register_id} is not a "
            "positive number",
            "check the Z-report numbering in DUELL",
        )


def key_of(dept_id: str, z: ZReport, first: str) -> str:
    return zreport_key(dept_id, z.z_number, None if z.register_id == first else z.register_id)


def booked(payload: dict[str, Any]) -> tuple[Any, ...]:
    """What a Z-report books, comparable across its sources: DUELL's API and a SAF-T file carry
    different extras (cost of goods, items sold and article groups are not in SAF-T), so a
    Z-report read from both is the same one when these agree."""
    z = ZReport.model_validate(payload)
    # Pant sold is a sale line in a SAF-T file, its own list in DUELL's: per rate together.
    per_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for s in [*z.sales, *z.pant_sold]:
        gross, vat = per_rate.get(s.rate.normalize(), (Decimal(0), Decimal(0)))
        per_rate[s.rate.normalize()] = (
            gross + s.gross,
            vat + (s.vat if s.vat is not None else Decimal(0)),
        )
    sales = sorted((rate, gross, vat) for rate, (gross, vat) in per_rate.items() if gross or vat)
    pays: dict[str, Decimal] = {}
    for p in z.payments:
        pays[p.type] = pays.get(p.type, Decimal(0)) + p.amount

    def moves(ms: list[CashMovement]) -> tuple[tuple[str, Decimal], ...]:
        return tuple(sorted((m.type, m.amount) for m in ms if m.amount))

    return (
        z.business_date,
        tuple(sales),
        tuple(sorted((t, a) for t, a in pays.items() if a)),
        z.gift_cards_sold,
        z.rounding,
        z.tips,
        z.pant_refunded,
        z.cash_difference,
        moves(z.pay_ins),
        moves(z.pay_outs),
    )


def unmapped(ledger: Ledger, dept_id: str, accounts: dict[str, str]) -> dict[str, str]:
    """The account map's keys that Z-reports not yet posted need and the map lacks, each with
    what it is: any payment type (a SAF-T file's with the file's own name for it; one booked
    on the fallback account, so a person can give it its own), the revenue or VAT account of
    a rate, and tips. The account editor offers them, so a person can add what a Z-report
    meets. Pay-in and pay-out types, tips, the cash difference and pant paid back as well.
    What it is in the current language (the editor's line; nb: DUELL's words)."""
    out: dict[str, str] = {}
    for row in ledger.rows(dept_id, kind=Kind.ZREPORT):
        if row.state in (State.CONFIRMED, State.RELEASED):
            continue
        try:
            z = ZReport.model_validate(row.payload)
        except ValueError:  # a damaged row: doctor names it
            continue
        for p in z.payments:
            key = f"payment:{p.type}"
            if p.amount and not accounts.get(key):
                out.setdefault(key, _("Payment {name}").format(name=p.label or p.type))
        for sale in z.sales:
            rt = rate_text(sale.rate)
            if sale.gross and not any(k.startswith(f"revenue:{rt}") for k in accounts):
                out.setdefault(f"revenue:{rt}", _("Sales {rate} %").format(rate=rt))
            if sale.rate and sale.gross and not accounts.get(f"vat:{rt}"):
                out.setdefault(f"vat:{rt}", _("Output VAT {rate} %").format(rate=rt))
        needs = {
            "tips": (N_("Tips received"), z.tips),
            "cash_difference": (
                N_("Cash difference"),
                z.cash_difference or z.rounding_beyond_bound,
            ),
            "pant:refunded": (N_("Deposit refunded"), z.pant_refunded),
        }
        for key, (label, amount) in needs.items():
            if amount and not accounts.get(key):
                out.setdefault(key, _(label))
        for m in z.pay_ins:
            if m.amount and not accounts.get(f"payin:{m.type}"):
                out.setdefault(f"payin:{m.type}", _("Pay-in {name}").format(name=m.label or m.type))
        for m in z.pay_outs:
            if m.amount and not accounts.get(f"payout:{m.type}"):
                out.setdefault(
                    f"payout:{m.type}", _("Pay-out {name}").format(name=m.label or m.type)
                )
    return out


@dataclass(frozen=True)
class Registered:
    keys: list[str]  # each Z-report's, in the order given
    new: set[str]
    changed: set[str]  # known with other figures: held for a person


def register_zreports(
    ledger: Ledger, log: EventLog, dept_id: str, reports: list[ZReport], source: str
) -> Registered:
    """Z-reports into the ledger, each under its key (the register in it, but for the first
    register's). A key the ledger knows is never overwritten silently: the same content is
    nothing new; different content is a late correction, held for a person (`changed`)."""
    for z in reports:
        check_z(z, source)
    done = Registered([], set(), set())
    if not reports:
        return done
    first = first_register(ledger, dept_id, reports)
    for z in reports:
        key = key_of(dept_id, z, first)
        payload = z.model_dump(mode="json")
        if z.register_id != first:
            # A SAF-T file's registerID need not be the register_id DUELL's API gives the same
            # till (inferred): the first register's Z-report with this number, date and figures
            # to the cent is this one, named otherwise, and keeps its key.
            alias = ledger.get(zreport_key(dept_id, z.z_number))
            if alias is not None and _same(alias.payload, payload):
                key = alias.key
        done.keys.append(key)
        if ledger.register(key, dept_id, Kind.ZREPORT, str(z.z_number), payload):
            done.new.add(key)
            continue
        row = ledger.get(key)
        if row is None:
            continue
        try:
            differs = booked(row.payload) != booked(payload)
        except ValueError:  # a damaged row: doctor names it; it is not compared
            continue
        if differs and changed(ledger, log, row, z, source):
            done.changed.add(key)
    return done


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    try:
        return booked(a) == booked(b)
    except ValueError:  # a damaged row is nothing's twin
        return False


def changed(ledger: Ledger, log: EventLog, row: LedgerRow, z: ZReport, source: str) -> bool:
    """A Z-report that changed after duvi recorded it (a late correction in DUELL, or a file
    with other figures). Sending it again would book the day twice; ignoring it would lose the
    correction. So it waits for a person, whatever its state: Visma keeps what was posted, the
    ledger keeps the new figures (the next look-up finds the posted batch by its key, so a
    retry never posts again), the first figures go to the event log and the audit."""
    old = ZReport.model_validate(row.payload)
    posted = row.state in (State.CONFIRMED, State.SENT)  # sent: it may be in Visma
    # Whole sentences core/reasons.py registers: stored in English, said in the language
    if not posted:
        said, remedy = CHANGED_RECORDED, CHANGED_RECORDED_REMEDY
    elif row.visma_number:
        said = CHANGED_POSTED_AS
        remedy = CHANGED_POSTED_REMEDY.format(batch=row.visma_number)
    else:
        said, remedy = CHANGED_POSTED, CHANGED_UNNUMBERED_REMEDY
    message = said.format(
        z=z.z_number,
        register=z.register_id,
        day=z.business_date,
        batch=row.visma_number,
        total_was=old.total,
        total=z.total,
        paid_was=old.paid,
        paid=z.paid,
        source=source,
    )
    if not ledger.changed(row, z.model_dump(mode="json"), f"{message}\n  → {remedy}"):
        return False  # another worker moved it: the next fetch compares again
    log.error(
        msg(N_("{key}: {message}"), key=row.key, message=message),
        department_id=row.department_id,
        entity=Kind.ZREPORT,
        data={"remedy": remedy, "first_version": row.payload, "state_was": str(row.state)},
    )
    record(
        ledger.store,
        "zreport.changed",
        department_id=row.department_id,
        target=row.key,
        before={"state": str(row.state), "total": str(old.total), "paid": str(old.paid)},
        after={"state": str(State.ATTENTION), "total": str(z.total), "paid": str(z.paid)},
    )
    return True


class JournalDocument(Document):
    kind = Kind.ZREPORT
    already = N_("{key} was already in Visma as batch {number} ({why})")
    posted = N_("{key} posted as batch {number} (on hold)")

    def __init__(
        self,
        visma: VismaClient,
        known: Known,
        z: ZReport,
        built: Journal | JournalRefused,
        period: str,
        periods: Periods,
    ) -> None:
        """`built`: the Z-report's journal, or why it cannot be one (which holds it, once it
        has been looked up in Visma). `period`: Visma's financial period id for its date, the
        span its key is looked up in and the period it is posted to."""
        super().__init__(known, period)
        self.visma = visma
        self.z, self.built, self.periods = z, built, periods
        self.foreign: ForeignBatchFound | None = None  # the double-posting guard holds it
        if isinstance(built, Journal):
            self.flags = built.flags

    async def find(self, key: str) -> Found | None:
        """The batch whose description starts with `key` and a space, or one of whose lines
        carries the key's line reference (as journal_matches, from the period's key set)."""
        line = LINE + line_reference(key)
        return await super().find(key) or await self.known.find(line, self.span)

    async def prepare(self) -> None:
        if isinstance(self.built, JournalRefused):
            raise self.built
        if self.foreign is not None:
            raise self.foreign
        await self.periods.check_open(self.z.business_date, "GL")

    async def post(self) -> str:
        assert isinstance(self.built, Journal)
        return await self.visma.create_journal(journal_write(self.built, self.span))


class ZReports:
    """One department's Z-reports: from DUELL into the ledger, from the ledger to Visma."""

    def __init__(
        self,
        dept: Department,
        departments: Departments,
        ledger: Ledger,
        visma: VismaClient,
        log: EventLog,
        references: References,
        periods: Periods,
        listings: RoundListings | None = None,
    ) -> None:
        """`listings`: the runner round's GL listings, shared by the company's departments
        (gl_batches.py); without them each look-up lists the period itself."""
        self.dept = dept
        self.listings = listings
        self.departments = departments
        self.ledger = ledger
        self.visma = visma
        self.log = log
        self.references = references
        self.periods = periods
        self.known = Known(self._read_period)
        self.held_now: set[str] = set()  # changed after it was recorded, found in this run
        # Visma's VAT category per VAT id, read at the start of a transfer; None until then
        # (a journal built without them asks for no VAT transactions: the preview's).
        self.vat_categories: dict[str, str | None] | None = None
        self.foreign: dict[str, list[ForeignBatch]] = {}  # per period: another's batches

    async def _read_period(self, period: str) -> dict[str, Found]:
        """The period's keys, and, from the same listing, the batches another integration
        made for this department (the double-posting guard costs no request of its own).
        In a runner round, from the round's listing of the company's period brought up to
        date (gl_batches.py: a request for what changed since, not the whole period)."""
        batches: list[JournalTransaction] = []
        if self.listings is not None:
            read = await self.listings.read(self.visma, period)
            keys, batches = read.keys, read.others
        else:
            keys = await journal_keys(self.visma, period, batches)
        accounts = self.departments.account_map(self.dept.id)
        self.foreign[period] = foreign_batches(batches, self.dept.settings, accounts)
        return keys

    def _guard(self, key: str, z: ZReport, span: str) -> ForeignBatchFound | None:
        """Another integration's batch of the Z-report's day that no person confirmed
        posting beside: the day is held (its batch numbers kept for the confirmation)."""
        day = [b for b in self.foreign.get(span, []) if b.day == z.business_date]
        held = hold_unless_confirmed(self.ledger, self.dept.id, key, {b.number for b in day})
        if not held:
            return None
        return ForeignBatchFound(key, z.business_date, [b for b in day if b.number in held])

    def register(self, reports: list[ZReport], source: str) -> int:
        """Into the ledger (register_zreports); returns how many were new. Those held as
        changed are kept from this run's `--retry-failed` (no person has seen them yet)."""
        done = register_zreports(self.ledger, self.log, self.dept.id, reports, source)
        self.held_now |= done.changed
        return len(done.new)

    def cursors(self) -> dict[str, int]:
        """The highest Z number fetched, per register (Z numbers run per register)."""
        first = self.ledger.cursor(self.dept.id, FIRST_REGISTER)
        old = int(self.ledger.cursor(self.dept.id, Kind.ZREPORT) or 0)
        if first is None:  # nothing registered under registers yet: the old cursor, if any
            return {"": old}
        rows = self.ledger.store.query(
            "SELECT entity, cursor FROM sync_cursors WHERE department_id = ? "
            "AND (entity = ? OR entity LIKE ?) AND entity NOT IN (?, ?)",
            [self.dept.id, Kind.ZREPORT, f"{Kind.ZREPORT}:%", FIRST_REGISTER, WHOLE_LISTING],
        )
        return {first: old} | {
            r["entity"].split(":", 1)[1]: int(r["cursor"] or 0)
            for r in rows
            if r["entity"] != Kind.ZREPORT
        }

    async def fetch(self, duell: DuellClient) -> int:
        """New Z-reports from DUELL into the ledger (kept locally before anything else). DUELL
        filters on the Z number alone, so the listing starts after the lowest register's cursor
        (a register whose days come late, after an outage, is behind the others) and the
        ledger's keys skip what is known. A register DUELL has never listed (a till added to
        the shop) starts at Z 1, below every cursor: so the first listing of each day is a
        whole one, from Z 1, and a new register is found within a day (inferred: DUELL keeps
        its history listable; a whole listing costs a page per 100 Z-reports)."""
        cursors = self.cursors()
        today = date.today().isoformat()
        whole = self.ledger.cursor(self.dept.id, WHOLE_LISTING) != today
        after = 0 if whole else min(cursors.values())
        reports: list[ZReport] = []
        try:
            async for z in duell.list_zreports(self.dept.id, after_z=after):
                reports.append(z)
        except BaseException:
            # What arrived is kept (the ledger before anything else); the cursors stay, so
            # the listing is read again from where it was.
            self.register(reports, "DUELL")
            raise
        new = self.register(reports, "DUELL")
        if reports:
            first = first_register(self.ledger, self.dept.id, reports)
            top: dict[str, int] = {}
            for z in reports:
                top[z.register_id] = max(top.get(z.register_id, 0), z.z_number)
            for register, z_number in top.items():
                if z_number > cursors.get(register, 0):
                    self.ledger.set_cursor(
                        self.dept.id, cursor_entity(register, first), str(z_number)
                    )
        if whole:
            self.ledger.set_cursor(self.dept.id, WHOLE_LISTING, today)
        # A listing read to its end: a day before this with no Z-report had none (the
        # calendar's "no sales"), not one duvi has yet to fetch.
        self.ledger.set_cursor(self.dept.id, ZREPORTS_FETCHED, utcnow())
        return new

    async def preflight(self, journals: list[Journal]) -> None:
        problems = preflight_problems(await self.references.get(), journals)
        if problems:
            raise PreflightError(problems)

    def _journal(self, z: ZReport, key: str) -> Journal | JournalRefused:
        vat_ids = {
            rate: m.visma_vat_id
            for rate, m in self.departments.vat_mappings(self.dept.id).items()
            if m.visma_vat_id
        }
        try:
            # With invoice transfer on, the sales on account are the invoices' (on_account.py).
            z, _on_account = booked_zreport(self.ledger, self.dept.settings, key, z)
            return build_journal(
                z,
                self.departments.account_map(self.dept.id),
                vat_ids,
                self.dept.settings,
                key=key,
                vat_categories=self.vat_categories,
                saft_codes=self.departments.saft_codes(self.dept.id),
            )
        except JournalRefused as exc:
            return exc

    async def read_vat_categories(self) -> None:
        """Each Visma VAT id's VAT category, which the journals' taxable lines carry."""
        self.vat_categories = {
            vat_id: v.vat_category_id for vat_id, v in (await self.references.get()).vat.items()
        }

    def waiting_on_account(self) -> bool:
        """Whether a Z-report to be sent (or held for them) has sales on account, whose
        invoice bases its journal needs (on_account.py)."""
        rows = to_send(self.ledger, self.dept.id, Kind.ZREPORT) + [
            row
            for row in self.ledger.rows(self.dept.id, kind=Kind.ZREPORT, states=(State.ATTENTION,))
            if held_for_on_account(row.last_error)
        ]
        return any(on_account_paid(ZReport.model_validate(row.payload)) for row in rows)

    def _refresh_on_account(self) -> None:
        """A Z-report still held for its sales on account whose figures moved (another of the
        day's invoice bases arrived) is tried again, so its reason names today's figures."""
        for row in self.ledger.rows(self.dept.id, kind=Kind.ZREPORT, states=(State.ATTENTION,)):
            if not held_for_on_account(row.last_error):
                continue
            built = self._journal(ZReport.model_validate(row.payload), row.key)
            if isinstance(built, JournalRefused) and str(built) != row.last_error:
                self.ledger.retry(row.key)

    async def transfer(self, *, retry_failed: bool = False) -> list[Outcome]:
        """Every pending Z-report as a journal; none is sent unless preflight passes for all
        that can be built and Visma does not hold yet (one that cannot be built waits for a
        person, the others go on)."""
        # Read from Visma only when a Z-report may be built (an idle round reads nothing).
        if to_send(self.ledger, self.dept.id, Kind.ZREPORT) or self.ledger.rows(
            self.dept.id, kind=Kind.ZREPORT, states=(State.ATTENTION,)
        ):
            await self.read_vat_categories()
        if retry_failed:
            retry_held(self.ledger, self.dept.id, Kind.ZREPORT, keep=self.held_now)
        else:

            def fixed(row: LedgerRow) -> bool:
                return isinstance(
                    self._journal(ZReport.model_validate(row.payload), row.key), Journal
                )

            requeue_fixed(self.ledger, self.log, self.dept.id, Kind.ZREPORT, fixed)
            # Held until its sales on account match the day's invoice bases: checked again
            # every run, after this run's bases were fetched (service.transfer).
            requeue_fixed(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.ZREPORT,
                fixed,
                held=held_for_on_account,
                said=N_(
                    "{key}: its sales on account match the day's invoice bases now; sent again"
                ),
            )
            self._refresh_on_account()
            await requeue_open(
                self.ledger,
                self.log,
                self.dept.id,
                Kind.ZREPORT,
                self.periods,
                lambda row: ZReport.model_validate(row.payload).business_date,
                "GL",
            )
        # Day by day, each register's in Z order: a register's days caught up after an outage
        # come in any order and are posted in theirs.
        pairs = sorted(
            (
                (row, ZReport.model_validate(row.payload))
                for row in to_send(self.ledger, self.dept.id, Kind.ZREPORT)
            ),
            key=lambda p: (p[1].business_date, p[1].register_id, p[1].z_number),
        )
        rows = [row for row, _z in pairs]
        docs = []
        for row, z in pairs:
            span = await self.periods.span(z.business_date)
            built = self._journal(z, row.key)
            docs.append(JournalDocument(self.visma, self.known, z, built, span, self.periods))
        journals = []
        for (row, z), d in zip(pairs, docs, strict=True):
            if isinstance(d.built, Journal) and await d.find(row.key) is None:
                d.foreign = self._guard(row.key, z, d.span)  # read by find's listing
                if d.foreign is None:
                    journals.append(d.built)
        if journals:
            await self.preflight(journals)
        return [
            await post_once(self.ledger, self.log, row, doc)
            for row, doc in zip(rows, docs, strict=True)
        ]
