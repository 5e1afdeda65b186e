"""Month-end reconciliation: each business day's Z-reports as DUELL stated them (the payloads
kept in the ledger) beside the batches Visma holds for them, and the month's VAT per code as
the batches carry it.

Within the request budget: Visma's financial periods (one request, transfers/periods.py) and
one GL journal listing per period the month touches (journal_keys, as the transfer's look-up
reads it). Nothing is written anywhere.

What a batch should hold is the Z-report's journal as duvi builds it now (build_journal, with
the department's accounts and VAT mapping of today): a batch is compared account by account
with it. A mapping changed after a batch was sent therefore shows as a difference (inferred to
be wanted: Visma's books then disagree with what duvi would post).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from core.accounting import Journal, JournalRefused, build_journal, rate_text, vat_of
from core.i18n import _
from core.models import ZReport
from core.settlement import (
    OPEN_STATUSES,
    AccountDifference,
    SaleTotal,
    Settlement,
    SettlementDay,
    VatCodeTotal,
    ZReconciliation,
)
from core.transfers.on_account import booked_zreport
from core.transfers.periods import Periods
from core.transfers.posting import Kind
from core.transfers.zreports import journal_keys
from core.visma.client import description_key

if TYPE_CHECKING:
    from core.connections import Connections
    from core.ledger import LedgerRow
    from core.models import DepartmentSettings
    from core.runtime import Runtime
    from core.session import DepartmentSession
    from core.store import Store
    from core.visma.models import JournalTransaction

ZERO = Decimal(0)


def month_days(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)


async def settlement(
    rt: Runtime, dept_id: str, month: date, *, connections: Connections | None = None
) -> Settlement:
    """The department's month (`month`: any day of it), read from the ledger and Visma."""
    from core.session import department_session

    async with department_session(rt, dept_id, connections) as session:
        return await reconcile(session, month)


async def reconcile(session: DepartmentSession, month: date) -> Settlement:
    dept = session.dept
    first, last = month_days(month)
    rows = [(row, z) for row, z in _zreports(session.ledger.rows(dept.id, kind=Kind.ZREPORT))]
    rows = [(row, z) for row, z in rows if first <= z.business_date <= last]
    accounts = session.departments.account_map(dept.id)
    mappings = session.departments.vat_mappings(dept.id)
    vat_ids = {rate: m.visma_vat_id for rate, m in mappings.items() if m.visma_vat_id}
    vat_accounts = {acc for name, acc in accounts.items() if name.startswith("vat:") and acc}
    # The accounts a Z-report's sales incl. VAT are credited to: what a batch credits them is
    # its figure beside DUELL's sales (gift cards sold share 2901 with gift cards redeemed, so
    # the day's total has no figure of its own in a batch).
    total_accounts = {
        acc
        for name, acc in accounts.items()
        if acc and name.startswith(("revenue:", "vat:", "pant:sold:"))
    }

    periods = Periods(session.visma)
    spans = sorted({await periods.span(first), await periods.span(last)})
    batches: dict[str, JournalTransaction] = {}  # by number
    keys: dict[str, str] = {}  # description key -> batch number
    for span in spans:
        read: list[JournalTransaction] = []
        found = await journal_keys(session.visma, span, read)
        batches |= {b.batch_number or "": b for b in read}
        keys |= {k: f.number for k, f in found.items()}

    by_day: dict[date, list[ZReconciliation]] = defaultdict(list)
    zs_of_day: dict[date, list[ZReport]] = defaultdict(list)
    used: set[str] = set()
    ours = [b for b in batches.values() if _batch_day(b) is not None]
    booked_zs: list[ZReport] = []
    for row, z in rows:
        number = keys.get(row.key) or keys.get("line:" + _line_ref(row.key)) or ""
        batch = batches.get(number) if number else None
        if batch is not None:
            used.add(number)
        # Like with like: the batch beside the Z-report as its journal books it, its sales on
        # account left to the day's invoices when invoice transfer is on (on_account.py).
        try:
            booked, left = booked_zreport(session.ledger, dept.settings, row.key, z)
            held = ""
        except JournalRefused as exc:
            booked, left, held = z, None, str(exc).splitlines()[0]
        by_day[z.business_date].append(
            _compare(
                row,
                z,
                Booked(booked, left.total if left else ZERO, held),
                batch,
                accounts,
                vat_ids,
                dept.settings,
                total_accounts,
            )
        )
        zs_of_day[z.business_date].append(z)
        booked_zs.append(booked)
    prefix = f"DUELL-Z-{dept.id}-"
    for b in ours:
        day = _batch_day(b)
        if (
            b.batch_number not in used
            and description_key(b).startswith(prefix)
            and day is not None
            and first <= day <= last
        ):
            by_day[day].append(_extra(b, total_accounts))

    days = tuple(_day(day, tuple(by_day[day]), zs_of_day.get(day, [])) for day in sorted(by_day))
    matched = [batches[n] for n in sorted(used)]
    vat = _vat_per_code(matched, vat_accounts, booked_zs, vat_ids)
    return Settlement(dept.id, dept.name, first, tuple(spans), days, vat)


def _line_ref(key: str) -> str:
    from core.accounting import line_reference

    return line_reference(key)


def _zreports(rows: Iterable[LedgerRow]) -> Iterable[tuple[LedgerRow, ZReport]]:
    for row in rows:
        try:
            yield row, ZReport.model_validate(row.payload)
        except ValueError:  # a damaged row: doctor names it
            continue


def _batch_day(b: JournalTransaction) -> date | None:
    try:
        return date.fromisoformat((b.transaction_date or "")[:10])
    except ValueError:
        return None


def vat_stated(z: ZReport) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Per rate, (net, VAT) as the journal books them: the stated VAT, else computed."""
    out: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for s in [*z.sales, *z.pant_sold]:  # pant sold is taxed at its rate, as a sale
        if not s.gross and not s.vat:
            continue
        vat = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        net, old = s.gross - vat, out.get(s.rate, (ZERO, ZERO))
        out[s.rate] = (old[0] + net, old[1] + vat)
    return out


def per_account(lines: Iterable[tuple[str, Decimal, Decimal]]) -> dict[str, Decimal]:
    """Each account's credit minus debit."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for account, debit, credit in lines:
        out[account] += credit - debit
    return dict(out)


@dataclass(frozen=True)
class Booked:
    """A Z-report as its journal books it, the sales on account it leaves to the invoices,
    and why it is held, if it is."""

    z: ZReport
    on_account: Decimal
    held: str


def _compare(
    row: LedgerRow,
    z: ZReport,
    booked: Booked,
    batch: JournalTransaction | None,
    accounts: dict[str, str],
    vat_ids: dict[Decimal, str],
    settings: DepartmentSettings,
    total_accounts: set[str],
) -> ZReconciliation:
    vat = sum((v for _, v in vat_stated(z).values()), ZERO)
    marks: list[str] = []
    note = booked.held
    diffs: tuple[AccountDifference, ...] = ()
    if batch is None:
        marks.append("missing")
    else:
        try:
            built: Journal | None = build_journal(
                booked.z,
                accounts,
                vat_ids,
                settings,
                key=row.key,
            )
        except JournalRefused as exc:
            built, note = None, str(exc)
        actual = per_account(
            (
                ln.account_number or "",
                ln.debit_amount_in_currency or ZERO,
                ln.credit_amount_in_currency or ZERO,
            )
            for ln in batch.journal_transaction_lines
        )
        if built is not None:
            expected = per_account((ln.account, ln.debit, ln.credit) for ln in built.lines)
            diffs = tuple(
                AccountDifference(acc, expected.get(acc, ZERO), actual.get(acc, ZERO))
                for acc in sorted(set(expected) | set(actual))
                if expected.get(acc, ZERO) != actual.get(acc, ZERO)
            )
            if diffs:
                marks.append("differs")
        if open_mark := OPEN_STATUSES.get(batch.status or ""):
            marks.append(open_mark)
    return ZReconciliation(
        row.key,
        z.z_number,
        z.register_id,
        str(row.state),
        sum((sale.gross for sale in [*z.sales, *z.pant_sold]), ZERO),
        vat,
        batch.batch_number or "" if batch is not None else "",
        batch.status or "" if batch is not None else "",
        _credited(batch, total_accounts) if batch is not None else None,
        diffs,
        tuple(marks),
        note,
        booked.on_account,
    )


def _credited(b: JournalTransaction, total_accounts: set[str]) -> Decimal:
    """What the batch credits the accounts of a Z-report's sales (credit minus debit)."""
    return sum(
        (
            (ln.credit_amount_in_currency or ZERO) - (ln.debit_amount_in_currency or ZERO)
            for ln in b.journal_transaction_lines
            if ln.account_number in total_accounts
        ),
        ZERO,
    )


def _extra(b: JournalTransaction, total_accounts: set[str]) -> ZReconciliation:
    """A batch of this department's key form that no Z-report of the month in the ledger has."""
    marks = ["extra"]
    if open_mark := OPEN_STATUSES.get(b.status or ""):
        marks.append(open_mark)
    return ZReconciliation(
        description_key(b),
        0,
        "",
        "",
        ZERO,
        ZERO,
        b.batch_number or "",
        b.status or "",
        _credited(b, total_accounts),
        (),
        tuple(marks),
    )


def _day(day: date, zrecs: tuple[ZReconciliation, ...], zs: list[ZReport]) -> SettlementDay:
    sales: dict[Decimal, list[Decimal]] = {}
    payments: dict[str, Decimal] = defaultdict(Decimal)
    for z in zs:
        for rate, (net, vat) in vat_stated(z).items():
            got = sales.setdefault(rate, [ZERO, ZERO, ZERO])
            got[0] += net + vat
            got[1] += net
            got[2] += vat
        for p in z.payments:
            payments[p.type] += p.amount

    def total(of: Callable[[ZReport], Decimal]) -> Decimal:
        return sum((of(z) for z in zs), ZERO)

    return SettlementDay(
        day,
        tuple(sorted(zrecs, key=lambda r: (r.register, r.z_number, r.key))),
        tuple(SaleTotal(r, *v) for r, v in sorted(sales.items(), reverse=True)),
        dict(sorted(payments.items())),
        total(lambda z: z.gift_cards_sold),
        total(lambda z: z.tips),
        total(lambda z: z.rounding),
        pant_sold=total(lambda z: sum((s.gross for s in z.pant_sold), ZERO)),
        pant_refunded=total(lambda z: z.pant_refunded),
        cash_difference=total(lambda z: z.cash_difference),
        pay_ins=total(lambda z: sum((m.amount for m in z.pay_ins), ZERO)),
        pay_outs=total(lambda z: sum((m.amount for m in z.pay_outs), ZERO)),
    )


def _vat_per_code(
    batches: list[JournalTransaction],
    vat_accounts: set[str],
    zs: list[ZReport],
    vat_ids: dict[Decimal, str],
) -> tuple[VatCodeTotal, ...]:
    """The month's VAT per code on the batches: a line carrying a VAT id (or, without one, a
    VAT category) counts under it, as VAT on a VAT account and as base on any other. Visma
    makes VAT transactions, and so its VAT report, from such lines (findings
    2026-12-acct.md #1; the exact rule is Visma's, inferred from its help text)."""
    visma: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for b in batches:
        for ln in b.journal_transaction_lines:
            code = (ln.vat.id if ln.vat else None) or (
                f"category {ln.vat_code.id}" if ln.vat_code and ln.vat_code.id else None
            )
            if not code:
                continue
            amount = (ln.credit_amount_in_currency or ZERO) - (ln.debit_amount_in_currency or ZERO)
            visma[code][1 if ln.account_number in vat_accounts else 0] += amount
    duell: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for z in zs:
        for rate, (net, vat) in vat_stated(z).items():
            code = vat_ids.get(rate) or f"rate {rate_text(rate)} % (not mapped)"
            duell[code][0] += net
            duell[code][1] += vat
    return tuple(
        VatCodeTotal(code, *visma.get(code, [ZERO, ZERO]), *duell.get(code, [ZERO, ZERO]))
        for code in sorted(set(visma) | set(duell))
    )


def latest_month(store: Store, dept_id: str, today: date) -> date:
    """The month of the department's latest business day in the ledger (the month being
    closed, in the first days of the next), or this month when there is none."""
    found = store.query(
        "SELECT MAX(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.business_date')"
        " END) AS day FROM ledger WHERE department_id = ? AND kind = 'zreport'",
        [dept_id],
    )
    day = found[0]["day"] if found else None
    try:
        return date.fromisoformat(str(day)).replace(day=1) if day else today.replace(day=1)
    except ValueError:  # a damaged payload: doctor names it
        return today.replace(day=1)


def department_of(store: Store, dept_id: str | None) -> str:
    """`-d` when given; else the only department there is (ConfigError naming the known ones
    when there are several or none)."""
    from core.errors import ConfigError

    known = [r["id"] for r in store.query("SELECT id FROM departments ORDER BY id")]
    if dept_id is not None and dept_id in known:
        return dept_id
    if dept_id is None and len(known) == 1:
        return known[0]
    names = ", ".join(known) or _("none")
    said = (
        _("there is no department {dept} (known: {known})").format(dept=repr(dept_id), known=names)
        if dept_id
        else _("several departments (known: {known})").format(known=names)
    )
    raise ConfigError(said, _("name one with -d DEPT"))
