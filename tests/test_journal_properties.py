"""Issue 19's hypothesis proof over the whole Z-report model (item 5): any consistent generated
Z-report, with tips, pant sold and paid back, a cash difference, pay-ins and pay-outs,
rounding within its bound and stated VAT within its tolerance, gives a balanced journal whose
VAT lines sum per VAT id to the report's VAT per code, and that the sandbox's Visma turns into
VAT transactions of that VAT; an inconsistent one is refused with the figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounting import JournalRefused, build_journal, vat_of
from core.departments import DEFAULT_ACCOUNTS
from core.models import CashMovement, DepartmentSettings, Payment, VatSale, ZReport
from core.sandbox.common import Clock
from core.sandbox.visma_seed import seed_company
from core.sandbox.visma_state import build_journal as sandbox_journal
from core.transfers.zreports import journal_write
from core.visma import wire

D = Decimal
VAT_IDS = {D(25): "3", D(15): "31", D(12): "33", D("11.11"): "32", D(0): "5"}
# The sandbox company's VAT category of each VAT id (core/sandbox/visma_seed.py VAT_CODES).
CATEGORIES: dict[str, str | None] = {"3": "1", "31": "2", "33": "3", "32": "6", "5": "4"}
COMPANY = seed_company("t", "Sandbox Handel AS", Clock(), ["1"])
ACCOUNTS = {**DEFAULT_ACCOUNTS, "payout:purchase": "7798", "payin:change": "1920"}

ore = st.integers(min_value=-2_000_000, max_value=5_000_000)
positive = st.integers(min_value=1, max_value=1_000_000).map(lambda c: D(c) / 100)


@st.composite
def vat_lines(draw, receipts: int | None, rates) -> list[VatSale]:
    """Sales at distinct rates; the VAT left to duvi, or stated as DUELL sums it per receipt:
    within the tolerance of the receipts."""
    tolerance = 100 if receipts is None else receipts  # øre
    out = []
    for rate in rates:
        gross = D(draw(ore)) / 100
        if rate and draw(st.booleans()):
            off = D(draw(st.integers(-min(tolerance, 5), min(tolerance, 5)))) / 100
            vat = vat_of(gross, rate) + off
            out.append(VatSale(rate=rate, gross=gross, net=gross - vat, vat=vat))
        else:
            out.append(VatSale(rate=rate, gross=gross))
    return out


@st.composite
def consistent_reports(draw) -> ZReport:
    receipts = draw(st.none() | st.integers(1, 400))
    cash_receipts = draw(st.none() | st.integers(0, 200))
    rates = st.lists(st.sampled_from(list(VAT_IDS)), min_size=0, max_size=5, unique=True)
    sales = draw(vat_lines(receipts, draw(rates.filter(bool))))
    taxable = [r for r in VAT_IDS if r in (D(25), D(15))]
    pant = draw(vat_lines(receipts, draw(st.lists(st.sampled_from(taxable), unique=True))))
    gift = draw(st.integers(0, 100_000).map(lambda c: D(c) / 100))
    tips = draw(st.integers(0, 50_000).map(lambda c: D(c) / 100))
    refunded = draw(st.integers(0, 20_000).map(lambda c: D(c) / 100))
    total = sum((s.gross for s in [*sales, *pant]), D(0)) + gift + tips - refunded
    bound = 500 if cash_receipts is None else 50 * cash_receipts  # øre
    rounding = D(draw(st.integers(-bound, bound))) / 100
    types = draw(
        st.lists(
            st.sampled_from(["cash", "bankaxept", "card", "vipps", "giftcard", "creditnote"]),
            min_size=1,
            max_size=5,
        )
    )
    payments, left = [], total - rounding
    for t in types[:-1]:
        amount = D(draw(ore)) / 100
        payments.append(Payment(type=t, amount=amount))
        left -= amount
    payments.append(Payment(type=types[-1], amount=left))
    moves = st.lists(
        st.builds(CashMovement, type=st.sampled_from(["float", "change"]), amount=positive),
        max_size=2,
    )
    outs = st.lists(
        st.builds(CashMovement, type=st.sampled_from(["bank", "purchase"]), amount=positive),
        max_size=2,
    )
    return ZReport(
        department_id="1",
        z_number=draw(st.integers(1, 9999)),
        business_date=date(2026, 11, 2),
        closed_at=datetime(2026, 11, 2, 21, 0),
        sales=sales,
        pant_sold=pant,
        payments=payments,
        gift_cards_sold=gift,
        tips=tips,
        pant_refunded=refunded,
        rounding=rounding,
        cash_difference=D(draw(st.integers(-50_000, 50_000))) / 100,
        pay_ins=draw(moves),
        pay_outs=draw(outs),
        receipts=receipts,
        cash_receipts=cash_receipts,
    )


def book(report: ZReport):
    return build_journal(report, ACCOUNTS, VAT_IDS, DepartmentSettings(), vat_categories=CATEGORIES)


@settings(max_examples=300, deadline=None)
@given(consistent_reports())
def test_any_consistent_report_balances_and_its_vat_lines_sum_per_code(report: ZReport) -> None:
    assert report.inconsistencies() == []
    j = book(report)
    assert j.debit_total == j.credit_total
    expected: dict[str, tuple[Decimal, Decimal]] = defaultdict(lambda: (D(0), D(0)))
    for s in [*report.sales, *report.pant_sold]:
        vat = s.vat if s.vat is not None else vat_of(s.gross, s.rate)
        base, before = expected[VAT_IDS[s.rate]]
        expected[VAT_IDS[s.rate]] = (base + s.gross - vat, before + vat)
    # The VAT lines (each carrying its VAT id) sum per id to the report's VAT per code.
    on_lines: dict[str, Decimal] = defaultdict(Decimal)
    for ln in j.lines:
        if ln.vat_id is not None:
            on_lines[ln.vat_id] += ln.credit - ln.debit
    assert {k: v for k, v in on_lines.items() if v} == {
        k: vat for k, (_, vat) in expected.items() if vat
    }
    if not j.lines:  # an all-zero day: nothing to send
        return
    # And Visma (the sandbox) makes VAT transactions of exactly that base and VAT per code.
    fields = wire.unwrap(wire.body(journal_write(j)))
    batch = sandbox_journal(COMPANY, fields, "000001")
    made = {t["taxId"]: (t["taxableAmount"], t["vatAmount"]) for t in batch["taxDetails"]}
    assert {k: v for k, v in made.items() if v != (0, 0)} == {
        k: v for k, v in expected.items() if v != (0, 0)
    }


@settings(max_examples=200, deadline=None)
@given(consistent_reports(), st.integers(1, 10_000).map(lambda c: D(c) / 100), st.booleans())
def test_an_inconsistent_report_is_refused_with_the_figures(
    report: ZReport, off: Decimal, on_vat: bool
) -> None:
    """Payments off the total by `off`, or a stated VAT off its rate's computation by more than
    the tolerance: refused, naming the figures."""
    taxed = [s for s in report.sales if s.rate and s.gross]
    if on_vat and taxed:
        sale = taxed[0]
        vat = vat_of(sale.gross, sale.rate) + report.vat_tolerance + off
        bad = report.model_copy(
            update={
                "sales": [
                    VatSale(rate=s.rate, gross=s.gross, vat=vat) if s is sale else s
                    for s in report.sales
                ]
            }
        )
        said = f"stated VAT {vat} is not {sale.gross} x "
    else:
        first = report.payments[0]
        paid = first.amount + off
        bad = report.model_copy(
            update={"payments": [Payment(type=first.type, amount=paid), *report.payments[1:]]}
        )
        said = f"payments {bad.paid} + rounding {bad.rounding} is not the total {bad.total}"
    try:
        book(bad)
    except JournalRefused as exc:
        assert said in exc.message
        assert exc.message.startswith(f"Z-report {bad.z_number} of department 1 cannot be booked")
    else:
        raise AssertionError("an inconsistent Z-report was booked")
