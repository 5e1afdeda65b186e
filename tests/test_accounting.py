"""The journal rules, against hand-computed lines, and a property test over any consistent
Z-report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounting import JournalRefused, build_journal, vat_of
from core.departments import DEFAULT_ACCOUNTS
from core.models import DepartmentSettings, Payment, VatSale, ZReport

D = Decimal
VAT_IDS = {D(25): "3", D(15): "31", D(12): "33", D(0): "5", D("11.11"): "32"}


def z(**kw) -> ZReport:
    base = dict(
        department_id="1",
        z_number=41,
        business_date=date(2026, 11, 2),
        closed_at=datetime(2026, 11, 2, 21, 30),
        sales=[],
        payments=[],
    )
    return ZReport(**{**base, **kw})


def lines(journal) -> list[tuple[str, str, str, str | None]]:
    return [(ln.account, str(ln.debit), str(ln.credit), ln.vat_id) for ln in journal.lines]


def test_the_worked_example_of_accounting_no() -> None:
    report = z(
        sales=[VatSale(rate=D(25), gross=D("8000.00")), VatSale(rate=D(15), gross=D("2000.00"))],
        gift_cards_sold=D("500.00"),
        payments=[
            Payment(type="cash", amount=D("2000")),
            Payment(type="bankaxept", amount=D("4000")),
            Payment(type="card", amount=D("2500")),
            Payment(type="vipps", amount=D("1500")),
            Payment(type="giftcard", amount=D("500")),
        ],
        cost_of_goods=D("4000.00"),
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings(inventory_change=True))
    assert lines(j) == [
        ("3000", "0", "6400.00", None),
        ("2700", "0", "1600.00", "3"),  # the VAT id on the VAT line
        ("3030", "0", "1739.13", None),
        ("2701", "0", "260.87", "31"),
        ("1900", "2000.00", "0", None),
        ("1920", "4000.00", "0", None),
        ("1579", "2500.00", "0", None),
        ("1590", "1500.00", "0", None),
        ("2900", "500.00", "0", None),
        ("2900", "0", "500.00", None),
        ("4390", "4000.00", "0", None),
        ("1460", "0", "4000.00", None),
    ]
    assert j.debit_total == j.credit_total == D("14500.00")
    assert j.key == "DUELL-Z-1-41" and j.key in j.description
    assert j.flags == []


def test_stated_vat_wins_and_returns_rounding_and_no_inventory_change() -> None:
    report = z(
        sales=[VatSale(rate=D(25), gross=D("99.60"), net=D("79.69"), vat=D("19.91"))],
        returns_gross=D("25.00"),
        payments=[Payment(type="cash", amount=D("100"))],
        rounding=D("-0.40"),
        cost_of_goods=D("40"),
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert lines(j) == [
        ("3000", "0", "79.69", None),
        ("2700", "0", "19.91", "3"),  # as stated, not 19.92
        ("1900", "100.00", "0", None),
        ("7798", "0", "0.40", None),  # customers paid 40 øre more than sold
    ]


def test_a_day_of_more_returns_than_sales_flips_sides() -> None:
    report = z(
        sales=[VatSale(rate=D(25), gross=D("-125.00"))],
        payments=[Payment(type="bankaxept", amount=D("-125.00"))],
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert lines(j) == [
        ("3000", "100.00", "0", None),
        ("2700", "25.00", "0", "3"),
        ("1920", "0", "125.00", None),
    ]


def test_an_unmapped_payment_type_goes_to_the_fallback_and_is_flagged() -> None:
    report = z(
        sales=[VatSale(rate=D(0), gross=D("300"))],
        payments=[Payment(type="stripe", amount=D("300"))],
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert lines(j) == [("3100", "0", "300.00", None), ("1579", "300.00", "0", None)]
    assert j.flags == ["payment type 'stripe' has no account: booked on the fallback account 1579"]


def test_a_report_that_does_not_add_up_is_refused() -> None:
    report = z(
        sales=[VatSale(rate=D(25), gross=D("100"), net=D("80"), vat=D("19"))],
        payments=[Payment(type="cash", amount=D("90"))],
    )
    with pytest.raises(JournalRefused) as exc:
        build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings())
    assert "net 80 + VAT 19 is not the gross 100" in exc.value.message
    assert "payments 90 + rounding 0 is not the total 100" in exc.value.message


def test_a_rate_without_a_vat_mapping_blocks_with_the_guides_words() -> None:
    report = z(
        sales=[VatSale(rate=D(15), gross=D("115")), VatSale(rate=D(12), gross=D("112"))],
        payments=[Payment(type="cash", amount=D("227"))],
    )
    with pytest.raises(JournalRefused) as exc:
        build_journal(report, DEFAULT_ACCOUNTS, {D(25): "3"}, DepartmentSettings())
    assert "map VAT rate 12 % to a Visma VAT code" in exc.value.message
    assert "map VAT rate 15 % to a Visma VAT code" in exc.value.message
    assert "VAT mapping editor" in exc.value.remedy


def test_cost_bearer_branch_and_month_boundary() -> None:
    report = z(
        business_date=date(2026, 10, 31),
        closed_at=datetime(2026, 11, 1, 0, 12),
        sales=[VatSale(rate=D(25), gross=D("250"))],
        payments=[Payment(type="vipps", amount=D("250"))],
    )
    s = DepartmentSettings(
        several_departments=True,
        cost_bearer_segment=1,
        cost_bearer_value="02",
        several_clients=True,
        branch_number="2",
    )
    j = build_journal(report, DEFAULT_ACCOUNTS, VAT_IDS, s)
    assert j.subaccount == [(1, "02")] and j.branch == "2"
    assert j.financial_period == "202610"
    assert any("in the next month" in f and "period 202610" in f for f in j.flags)


cents = st.integers(min_value=-50_000, max_value=5_000_000).map(lambda c: D(c) / 100)


@st.composite
def consistent_reports(draw) -> ZReport:
    rates = draw(st.lists(st.sampled_from(list(VAT_IDS)), min_size=1, max_size=5, unique=True))
    sales = []
    for rate in rates:
        gross = draw(cents)
        stated = draw(st.booleans())
        sales.append(
            VatSale(
                rate=rate,
                gross=gross,
                vat=vat_of(gross, rate) if stated else None,
                net=gross - vat_of(gross, rate) if stated else None,
            )
        )
    gift = draw(st.integers(0, 100_000).map(lambda c: D(c) / 100))
    total = sum((s.gross for s in sales), D(0)) + gift
    types = draw(
        st.lists(
            st.sampled_from(
                ["cash", "bankaxept", "card", "vipps", "giftcard", "invoice", "stripe"]
            ),
            min_size=1,
            max_size=6,
        )
    )
    payments, left = [], total
    for t in types[:-1]:
        amount = draw(cents)
        payments.append(Payment(type=t, amount=amount))
        left -= amount
    rounding = draw(st.integers(-49, 49).map(lambda c: D(c) / 100))
    payments.append(Payment(type=types[-1], amount=left - rounding))
    return z(
        sales=sales,
        payments=payments,
        gift_cards_sold=gift,
        rounding=rounding,
        cost_of_goods=draw(st.integers(0, 10**7).map(lambda c: D(c) / 100)),
    )


@settings(max_examples=300, deadline=None)
@given(consistent_reports(), st.booleans())
def test_any_consistent_report_balances_and_keeps_its_vat(report: ZReport, inventory: bool) -> None:
    j = build_journal(
        report, DEFAULT_ACCOUNTS, VAT_IDS, DepartmentSettings(inventory_change=inventory)
    )
    assert j.debit_total == j.credit_total
    by_account = {}
    for ln in j.lines:
        by_account[ln.account] = by_account.get(ln.account, D(0)) + ln.credit - ln.debit
    for sale in report.sales:  # the VAT per rate is the report's
        rate = format(sale.rate.normalize(), "f")
        expected = sale.vat if sale.vat is not None else vat_of(sale.gross, sale.rate)
        assert (
            by_account.get(DEFAULT_ACCOUNTS.get(f"vat:{rate}"), D(0)) == expected or not sale.rate
        )
    revenue = sum(
        ln.credit - ln.debit
        for ln in j.lines
        if ln.account.startswith("3") or ln.account.startswith("27")
    )
    liability = sum(ln.credit for ln in j.lines if ln.text == "Gavekort solgt")
    payments = sum(ln.debit - ln.credit for ln in j.lines if ln.text.startswith("Betaling"))
    rounding = sum(ln.debit - ln.credit for ln in j.lines if ln.text == "Øreavrunding")
    assert revenue + liability == payments + rounding
