"""Invoices that equal DUELL's (issue 19 item 6), against the sandbox: invoice basis 5027 of the
accounting review (6 × 499.00 at 12 %, DUELL 2,994.00) on an exclusive and on an inclusive VAT
category, a negative basis as a credit note, a category of another rate held, and the revenue
account and every subaccount segment on each line. The figures are computed by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.departments import Departments
from core.ledger import State
from core.models import InvoiceLine
from core.service import transfer
from core.transfers import INVOICE
from core.transfers.invoice_amounts import Category, Priced, visma_total
from core.visma.client import VismaClient
from core.visma.errors import VismaError
from core.visma.models import CustomerWrite, InvoiceLineWrite, InvoiceWrite, SegmentWrite
from tests.sandbox_fixtures import Installation

CUSTOMER = {
    "customer_id": 99001,
    "customer_name": "Strikkeklubben Vest",
    "phone": "40000001",
    "email": "kasserer@strikkeklubben.example",
    "primary_address": "Garnveien 1",
    "primary_zip": "7010",
    "city": "Trondheim",
}


def basis(quantity: int, invoice_id: int = 5027) -> dict[str, Any]:
    return {
        "department_id": "1",
        "invoice_id": invoice_id,
        "invoice_date": "2026-11-20",
        "customer": dict(CUSTOMER),
        "reference": f"Ordre {invoice_id}",
        "lines": [
            {
                "product_number": "40-10001",
                "description": "Alpakka ull 100 g",
                "quantity": quantity,
                "price_ex_vat": Decimal("445.54"),
                "price_inc_vat": Decimal("499.00"),
                "vatrate_percent": Decimal("12"),
            }
        ],
    }


def category_12(inst: Installation) -> dict[str, Any]:
    vat_id = Departments(inst.rt.store, inst.rt.secrets).vat_mappings("1")[Decimal(12)].visma_vat_id
    return inst.company.vat_categories[inst.company.vat[vat_id]["vatCategoryId"]]


async def send(inst: Installation, *bases: dict[str, Any]) -> list[Any]:
    inst.sandbox.duell.state.invoices["1"] = list(bases)
    return await transfer(inst.rt, "1", connections=inst.connections, kinds=(INVOICE,))


def only_invoice(inst: Installation) -> dict[str, Any]:
    (record,) = inst.company.invoices.values()
    return record


async def test_5027_on_an_exclusive_category_equals_duells_total(
    installation: Installation,
) -> None:
    category_12(installation)["vatCategoryLines"][0]["calculateOn"] = "ItemAmount"
    (out,) = await send(installation, basis(6))
    assert out.state == State.CONFIRMED, out.error
    inv = only_invoice(installation)
    # 2,994.00 × 100/112 = 2,673.2142… → 2,673.21 net; 2,673.21 × 12 % = 320.7852 → 320.79.
    (line,) = inv["invoiceLines"]
    assert line["amount"] == Decimal("2673.21")
    assert inv["vatTotal"] == Decimal("320.79")
    assert inv["amount"] == Decimal("2994.00")  # the review's Visma figure was 2,994.03
    accounts = Departments(installation.rt.store, installation.rt.secrets).account_map("1")
    assert line["account"]["number"] == accounts["revenue:12"]
    assert line["subaccount"]["subaccountNumber"] == "01-000"  # cost bearer + project


async def test_5027_on_an_inclusive_category_equals_duells_total(
    installation: Installation,
) -> None:
    assert category_12(installation)["vatCategoryLines"][0]["calculateOn"] == (
        "ExtractFromItemAmount"
    )
    (out,) = await send(installation, basis(6))
    assert out.state == State.CONFIRMED, out.error
    inv = only_invoice(installation)
    (line,) = inv["invoiceLines"]
    # 6 × 499.00 = 2,994.00 VAT included; VAT 2,994.00 × 12/112 = 320.7857… → 320.79.
    assert line["unitPriceInCurrency"] == Decimal("499.00")
    assert inv["amount"] == Decimal("2994.00")  # not 2,673.24 (320.76 short)
    assert inv["vatTotal"] == Decimal("320.79")
    assert inv["documentType"] == "Invoice"


async def test_a_negative_basis_becomes_a_credit_note(installation: Installation) -> None:
    (out,) = await send(installation, basis(-2, invoice_id=5040))
    assert out.state == State.CONFIRMED, out.error
    note = only_invoice(installation)
    assert note["documentType"] == "CreditNote"
    assert note["externalReference"] == "DUELL-INV-1-5040"
    # 2 × 499.00 = 998.00 credited, VAT 998.00 × 12/112 = 106.9285… → 106.93.
    assert note["invoiceLines"][0]["quantity"] == Decimal(2)
    assert note["amount"] == Decimal("998.00") and note["vatTotal"] == Decimal("106.93")
    assert await send(installation, basis(-2, invoice_id=5040)) == []  # found, not sent again


async def test_a_category_of_another_rate_is_held_with_the_figures(
    installation: Installation,
) -> None:
    category_12(installation)["vatCategoryLines"][0]["vatRates"][-1]["vatRate"] = 15
    (out,) = await send(installation, basis(6))
    assert out.state == State.ATTENTION
    assert "is 15 %, the line's rate 12 %" in (out.error or "")
    assert installation.company.invoices == {}


def test_the_check_names_duells_total_and_vismas() -> None:
    """The review's 5027 as it was sent (445.54 excl. VAT, no manual amount) is the total
    the check would refuse: 6 × 445.54 = 2,673.24 + 320.79 (12 %, 320.7888) = 2,994.03."""
    line = InvoiceLine(
        product_number="40-10001",
        description="Alpakka",
        quantity=Decimal(6),
        unit_price_ex_vat=Decimal("445.54"),
        vat_rate=Decimal(12),
    )
    exclusive = Category("3", "ItemAmount", Decimal(12))
    sent = Priced(Decimal("445.54"), None, None, exclusive)
    assert visma_total([line], [sent]) == Decimal("2994.03")


async def test_the_sandbox_refuses_what_visma_would(visma: VismaClient) -> None:
    """Through the spec-checked client: a negative invoice (inferred: a credit note is the
    document for it), an unknown account, a subaccount missing a segment."""
    customer = await visma.create_customer(CustomerWrite(name="Kunde AS"))

    def invoice(**line: Any) -> InvoiceWrite:
        fields = {"description": "Garn", "quantity": Decimal(1), "vat_code_id": "1"}
        return InvoiceWrite(
            customer_number=customer,
            document_date="2026-11-02T00:00:00",
            hold=True,
            invoice_lines=[InvoiceLineWrite(**(fields | line))],
        )

    with pytest.raises(VismaError, match="is negative: use a credit note"):
        await visma.create_invoice(invoice(unit_price_in_currency=Decimal("-100.00")))
    with pytest.raises(VismaError, match="9999"):
        await visma.create_invoice(
            invoice(unit_price_in_currency=Decimal("100.00"), account_number="9999")
        )
    with pytest.raises(VismaError, match="missing segment 2"):
        await visma.create_invoice(
            invoice(
                unit_price_in_currency=Decimal("100.00"),
                subaccount=[SegmentWrite(segment_id=1, segment_value="01")],
            )
        )
