"""Issue 19 item 3: a sale on account counted once (findings 2026-12-acct.md #6), through the
real engine against the in-process sandbox. The figures are computed by hand.

The day (department 1, 20 Nov 2026, Z 1): sales at 25 % 5,000.00 (net 4,000.00, VAT 1,000.00),
of which one sale on account of 1,250.00; at 15 % 1,150.00 (net 1,000.00, VAT 150.00). Paid:
card 3,000.00, cash 1,900.00, "invoice" 1,250.00; 6,150.00 = the sales. The sale on account is
invoice basis 5101: 2 x 625.00 at 25 % = 1,250.00 (net 1,000.00, VAT 250.00).

With invoice transfer on, the Z journal leaves the sale out: 3000 is credited 4,000.00 -
1,000.00 = 3,000.00 and 2700 1,000.00 - 250.00 = 750.00; debits card 1579 3,000.00 and cash
1900 1,900.00 (4,900.00 = 3,000 + 750 + 1,000 + 150). The invoice books the rest, once: net
1,000.00, VAT 250.00, 1,250.00 on the customer (1500). Revenue at 25 %: 3,000.00 + 1,000.00 =
4,000.00; output VAT 25 %: 750.00 + 250.00 = 1,000.00; receivable 1,250.00."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.accounting import build_journal
from core.departments import DEFAULT_ACCOUNTS, Departments
from core.ledger import Ledger, State
from core.models import DepartmentSettings, InvoiceBasis, Payment, VatSale, ZReport
from core.service import transfer
from core.transfers.on_account import OnAccount, held_for_on_account, left_out, per_rate
from core.transferview import transfer_rows
from tests.sandbox_fixtures import Installation

D = Decimal
DAY = "2026-11-20"
Z_KEY, INV_KEY = "DUELL-Z-1-1", "DUELL-INV-1-5101"

CUSTOMER = {
    "customer_id": 99002,
    "customer_name": "Husflidslaget Øst",
    "phone": "40000002",
    "email": "post@husflid.example",
    "primary_address": "Vevveien 2",
    "primary_zip": "7011",
    "city": "Trondheim",
}


def zreport() -> dict[str, Any]:
    """Z 1 of 20 Nov as DUELL sends it."""
    return {
        "department_id": "1",
        "z_number": 1,
        "register_id": "101",
        "business_date": DAY,
        "closed_at": f"{DAY}T21:10:00",
        "sales": [
            {
                "vatrate_percent": D(25),
                "amount_inc_vat": D("5000.00"),
                "amount_ex_vat": D("4000.00"),
                "vat_amount": D("1000.00"),
                "returns": D(0),
            },
            {
                "vatrate_percent": D(15),
                "amount_inc_vat": D("1150.00"),
                "amount_ex_vat": D("1000.00"),
                "vat_amount": D("150.00"),
                "returns": D(0),
            },
        ],
        "returns_inc_vat": D(0),
        "payments": [
            {"payment_type": "card", "amount": D("3000.00")},
            {"payment_type": "cash", "amount": D("1900.00")},
            {"payment_type": "invoice", "amount": D("1250.00")},
        ],
        "giftcards_sold": D(0),
        "round_off_amount": D(0),
        "cost_of_goods": D(0),
        "article_groups": [{"group_id": "10", "name": "Garn", "amount_inc_vat": D("6150.00")}],
        "company": {"org_number": "998877665", "name": "Garnbua AS"},
    }


def basis(invoice_id: int = 5101, quantity: int = 2) -> dict[str, Any]:
    """A sale on account: `quantity` x 625.00 at 25 % (500.00 net each)."""
    return {
        "department_id": "1",
        "invoice_id": invoice_id,
        "invoice_date": DAY,
        "customer": dict(CUSTOMER),
        "reference": f"Ordre {invoice_id}",
        "lines": [
            {
                "product_number": "10-10001",
                "description": "Strikkekurs vinter",
                "quantity": quantity,
                "price_ex_vat": D("500.00"),
                "price_inc_vat": D("625.00"),
                "vatrate_percent": D(25),
            }
        ],
    }


async def run(inst: Installation, *bases: dict[str, Any]) -> dict[str, Any]:
    """The day in DUELL (its Z-report and `bases`), then one transfer of everything."""
    inst.sandbox.duell.state.zreports["1"] = [zreport()]
    inst.sandbox.duell.state.invoices["1"] = list(bases)
    outcomes = await transfer(inst.rt, "1", connections=inst.connections)
    return {o.key: o for o in outcomes}


def journal_moves(inst: Installation) -> dict[str, Decimal]:
    """Credit minus debit per account over every GL batch in Visma."""
    out: dict[str, Decimal] = {}
    for batch in inst.company.journals.values():
        for ln in batch["journalTransactionLines"]:
            credit = D(str(ln.get("creditAmountInCurrency") or 0))
            debit = D(str(ln.get("debitAmountInCurrency") or 0))
            out[ln["accountNumber"]] = out.get(ln["accountNumber"], D(0)) + credit - debit
    return out


async def test_a_sale_on_account_is_revenue_vat_and_receivable_once_in_vismas_books(
    installation: Installation,
) -> None:
    """Z-report and invoice basis arrive in one run (bases are fetched first): both go out."""
    out = await run(installation, basis())
    assert (out[Z_KEY].state, out[INV_KEY].state) == (State.CONFIRMED, State.CONFIRMED)
    gl = journal_moves(installation)
    assert gl == {
        "3000": D("3000.00"),
        "2700": D("750.00"),
        "3030": D("1000.00"),
        "2701": D("150.00"),
        "1579": D("-3000.00"),
        "1900": D("-1900.00"),
    }
    (inv,) = installation.company.invoices.values()
    assert (inv["detailTotal"], inv["vatTotal"], inv["amount"]) == (
        D("1000.00"),
        D("250.00"),
        D("1250.00"),
    )
    assert inv["externalReference"] == INV_KEY
    # Once: revenue at 25 % 3,000.00 + 1,000.00, output VAT 750.00 + 250.00, and the
    # receivable only on the invoice's customer (no 1500 or 1530 in any batch).
    assert gl["3000"] + inv["detailTotal"] == D("4000.00")
    assert gl["2700"] + inv["vatTotal"] == D("1000.00")
    assert "1500" not in gl and "1530" not in gl
    assert [i["amount"] for i in installation.company.invoices.values()] == [D("1250.00")]


async def test_sales_on_account_unmatched_are_held_with_both_figures_then_sent(
    installation: Installation,
) -> None:
    """No basis yet: held, nothing posted. Half of it (625.00): still held. The other half
    (basis 5102, 625.00): 625.00 + 625.00 = 1,250.00, and the next run posts the day."""
    out = await run(installation)
    assert out[Z_KEY].state == State.ATTENTION
    assert installation.company.journals == {}
    row = Ledger(installation.rt.store).get(Z_KEY)
    assert row is not None and held_for_on_account(row.last_error)
    assert row.last_error.startswith(
        "sales on account 1,250.00 on Z-report 1 of 2026-11-20, the day's invoice bases 0.00 "
        "(none fetched yet): held until they agree"
    )
    (shown,) = [r for r in transfer_rows(installation.rt.store, "1") if r.key == Z_KEY]
    assert shown.state == "held"
    assert shown.reason.splitlines()[0] == (
        "sales on account and invoice bases differ: the next run sends it once they agree"
    )

    out = await run(installation, basis(5101, 1))
    assert out[Z_KEY].state == State.ATTENTION  # held again, with today's figures
    row = Ledger(installation.rt.store).get(Z_KEY)
    assert row is not None and row.state == State.ATTENTION
    assert row.last_error.startswith(
        "sales on account 1,250.00 on Z-report 1 of 2026-11-20, the day's invoice bases 625.00:"
    )
    assert installation.company.journals == {}
    out = await run(installation, basis(5101, 1))
    assert Z_KEY not in out  # the same figures: held, not tried (nor logged) again

    out = await run(installation, basis(5101, 1), basis(5102, 1))
    assert out[Z_KEY].state == State.CONFIRMED
    assert journal_moves(installation)["3000"] == D("3000.00")
    assert journal_moves(installation)["2700"] == D("750.00")
    assert sorted(i["amount"] for i in installation.company.invoices.values()) == [
        D("625.00"),
        D("625.00"),
    ]


async def test_with_invoice_transfer_off_the_sale_on_account_goes_to_1530(
    installation: Installation,
) -> None:
    """As before: Dr 1530 1,250.00, the whole day's revenue and VAT on the Z journal
    (3000 4,000.00, 2700 1,000.00), which the accountant clears against the invoice."""
    depts = Departments(installation.rt.store, installation.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update={"invoices": False}))
    out = await run(installation, basis())
    assert out[Z_KEY].state == State.CONFIRMED and INV_KEY not in out
    assert journal_moves(installation) == {
        "3000": D("4000.00"),
        "2700": D("1000.00"),
        "3030": D("1000.00"),
        "2701": D("150.00"),
        "1579": D("-3000.00"),
        "1900": D("-1900.00"),
        "1530": D("-1250.00"),
    }
    assert installation.company.invoices == {}


def test_a_credit_note_on_account_adds_its_sale_back() -> None:
    """A return on account: 25 % sales 1,000.00 net of a 250.00 return the customer is
    credited for (credit note basis: -1 x 250.00, VAT -50.00); paid card 1,250.00 and
    "invoice" -250.00. Left out: 25 % sales 1,000.00 + 250.00 = 1,250.00, VAT 200.00 + 50.00
    = 250.00, so Cr 3000 1,000.00, Cr 2700 250.00, Dr 1579 1,250.00; the credit note books the
    return (Dr revenue 200.00, Dr VAT 50.00, Cr the customer 250.00)."""
    z = ZReport(
        department_id="1",
        z_number=7,
        business_date=date(2026, 11, 21),
        closed_at=datetime(2026, 11, 21, 21, 0),
        sales=[VatSale(rate=D(25), gross=D("1000.00"), vat=D("200.00"))],
        payments=[
            Payment(type="card", amount=D("1250.00")),
            Payment(type="invoice", amount=D("-250.00")),
        ],
    )
    credit = InvoiceBasis.model_validate(
        {
            "department_id": "1",
            "invoice_id": 5103,
            "date": date(2026, 11, 21),
            "customer": {"customer_id": 99002, "name": "Husflidslaget Øst"},
            "lines": [
                {
                    "product_number": "10-10001",
                    "description": "Retur",
                    "quantity": D(-1),
                    "unit_price_ex_vat": D("200.00"),
                    "unit_price_inc_vat": D("250.00"),
                    "vat_rate": D(25),
                }
            ],
        }
    )
    rates = per_rate([credit])
    assert rates == {D(25): (D("-250.00"), D("-50.00"))}
    booked = left_out(z, OnAccount(D("-250.00"), ("DUELL-INV-1-5103",), rates))
    assert [(s.rate, s.gross, s.vat) for s in booked.sales] == [(D(25), D("1250.00"), D("250.00"))]
    j = build_journal(booked, DEFAULT_ACCOUNTS, {D(25): "3"}, DepartmentSettings())
    moves = {(ln.account, ln.debit, ln.credit) for ln in j.lines}
    assert moves == {
        ("3000", D(0), D("1000.00")),
        ("2700", D(0), D("250.00")),
        ("1579", D("1250.00"), D(0)),
    }
