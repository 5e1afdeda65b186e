"""Financial periods are Visma's (issue 17 item 6): a company whose financial year starts in
July, a closed period refused by the sandbox and held by duvi before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.ledger import Ledger, State
from core.sandbox.periods import FinancialYears
from core.sandbox.world import SECOND_TENANT
from core.service import transfer
from core.transfers import ZREPORT
from core.visma.errors import VismaError
from core.visma.models import CustomerWrite, InventoryWrite, InvoiceLineWrite, InvoiceWrite
from tests.sandbox_fixtures import Installation, VismaWorld
from tests.test_visma_client import balanced_journal


async def test_the_sandbox_lists_a_july_year_and_refuses_a_closed_period(
    world: VismaWorld,
) -> None:
    company = world.company.company
    company.years = FinancialYears(
        start_month=7, closed={"202705": {"GeneralLedger", "CustomerLedger"}}
    )
    visma = world.client()
    try:
        periods = {p.period: p for p in await visma.list_financial_periods(after="2026")}
        # Hand-worked: the year 2027 runs from 1 July 2026; November 2026 is its period 05.
        assert periods["202701"].start_date == "2026-07-01T00:00:00"
        assert periods["202705"].start_date == "2026-11-01T00:00:00"
        assert periods["202705"].end_date == "2026-11-30T00:00:00"
        assert periods["202705"].closed_in_general_ledger is True
        assert periods["202704"].closed_in_general_ledger is False
        with pytest.raises(VismaError) as exc:  # dated 2 November 2026
            await visma.create_journal(undated_period("DUELL-Z-1-41"))
        assert exc.value.status == 400 and exc.value.visma_id
        assert "Financial period 05-2027 is closed in General Ledger." in exc.value.message
        customer = await visma.create_customer(CustomerWrite(name="Kunde AS"))
        await visma.create_item(
            InventoryWrite(inventory_number="A1", item_class="VARER", vat_code="1")
        )
        invoice = InvoiceWrite(
            customer_number=customer,
            document_date="2026-11-02T00:00:00",
            hold=True,
            external_reference="DUELL-INV-1-77",
            invoice_lines=[
                InvoiceLineWrite(
                    inventory_number="A1",
                    quantity=Decimal(1),
                    unit_price_in_currency=Decimal("100.00"),
                    vat_code_id="1",
                )
            ],
        )
        with pytest.raises(VismaError, match="05-2027 is closed in Customer Ledger"):
            await visma.create_invoice(invoice)
        company.years.closed.clear()
        number = await visma.create_journal(balanced_journal("DUELL-Z-1-42"))
        # "202611" names a period of the year 2026 here: its May, posted as given (inferred).
        assert (await visma.get_journal(number)).financial_period == "202611"
    finally:
        await visma.aclose()


def undated_period(reference: str):
    """A journal dated 2 November 2026 that leaves its period to Visma."""
    return balanced_journal(reference).model_copy(update={"financial_period": None})


def second(inst: Installation):
    """Department 3's company, department 3 set up as the console's setup does."""
    from core.boot import set_up
    from core.departments import Departments
    from core.sandbox.world import sandbox_credentials

    depts = Departments(inst.rt.store, inst.rt.secrets)
    dept = depts.get("3")
    if dept is None or not dept.settings.visma_tenant_id:
        set_up(depts, sandbox_credentials(7)[2])
    return inst.sandbox.visma.companies[SECOND_TENANT]


async def test_a_july_years_journals_carry_vismas_period(installation: Installation) -> None:
    """Department 3's company keeps its year from July: October 2026 is its period 04 and
    November 05, not 202610 and 202611 (which are its April and May 2026)."""
    company = second(installation)
    outcomes = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(ZREPORT,)
    )
    # The world's foreign batch (test_foreign_batches) holds one day; the rest is posted.
    held = [o.key for o in outcomes if o.state != State.CONFIRMED]
    assert outcomes and held == ["DUELL-Z-3-26"]
    seen = {(b["transactionDate"][:7], b["financialPeriod"]) for b in company.journals.values()}
    assert seen == {("2026-10", "202704"), ("2026-11", "202705")}


async def test_a_zreport_in_a_closed_period_is_held_then_sent_once_reopened(
    installation: Installation,
) -> None:
    from core.doctor import Status, ledger_checks
    from core.transferview import reason_of, shown_state

    company = second(installation)
    state = installation.sandbox.duell.state
    late = dict(max(state.zreports["3"], key=lambda z: z["z_number"]))
    late["z_number"] += 1
    late["business_date"] = "2026-09-15"
    late["closed_at"] = "2026-09-15T21:10:00"
    state.zreports["3"].append(late)
    key = f"DUELL-Z-3-{late['z_number']}"

    outcomes = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(ZREPORT,)
    )
    held = [o for o in outcomes if o.key == key]
    assert [o.state for o in held] == [State.ATTENTION]
    assert held[0].error == (
        "financial period 202703 (2026-09-01 to 2026-09-30) is closed in Visma's general ledger"
    )
    assert not any(
        b["description"].split()[0] == key for b in company.journals.values()
    )  # nothing was sent
    row = Ledger(installation.rt.store).get(key)
    assert row is not None and row.state == State.ATTENTION
    assert shown_state(row.state, row.last_error) == "held"
    assert reason_of(row.state, row.last_error).startswith(
        "period 202703 closed in Visma: opened? the next run sends it\n"
    )
    from core.departments import Departments
    from core.transferview import transfer_document

    doc = transfer_document(
        installation.rt.store, Departments(installation.rt.store, installation.rt.secrets), key
    )
    assert doc.source == "as it will be sent"
    assert ("Period", "Visma's for 2026-09-15 (read when sent)") in doc.header
    check = next(c for c in ledger_checks(installation.rt, "3") if c.id == "transfers.period")
    assert check.status == Status.WARN and key in check.found and "reopen" in check.remedy

    again = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(ZREPORT,)
    )
    assert again == [] or all(o.key != key for o in again)  # still closed: still held

    company.years.closed.clear()  # the accountant reopens September
    sent = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(ZREPORT,)
    )
    assert [(o.key, o.state) for o in sent] == [(key, State.CONFIRMED)]
    batch = company.journals[sent[0].visma_number]
    assert batch["financialPeriod"] == "202703"


async def test_an_invoice_in_a_closed_period_is_held_and_not_sent(
    installation: Installation,
) -> None:
    from core.transfers import INVOICE

    company = second(installation)
    bases = installation.sandbox.duell.state.invoices["3"]
    bases[0]["invoice_date"] = "2026-09-20"
    key = f"DUELL-INV-3-{bases[0]['invoice_id']}"
    outcomes = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(INVOICE,)
    )
    held = [o for o in outcomes if o.key == key]
    assert [(o.state, o.error) for o in held] == [
        (
            State.ATTENTION,
            "financial period 202703 (2026-09-01 to 2026-09-30) is closed in Visma's "
            "customer ledger",
        )
    ]
    assert key not in {i.get("externalReference") for i in company.invoices.values()}
    assert {o.state for o in outcomes if o.key != key} == {State.CONFIRMED}


async def test_a_stock_issue_in_a_period_closed_in_inventory_is_held_then_sent_once_reopened(
    installation: Installation,
) -> None:
    """Stock issues answer to Visma's inventory management (closedInInventoryManagement): a
    day in a period closed there is held before anything is sent, and the sandbox refuses
    an issue dated in it; once reopened, the next run sends it."""
    from core.departments import Departments
    from core.transfers import STOCK
    from core.visma.models import IssueLineWrite, IssueWrite

    company = second(installation)
    depts = Departments(installation.rt.store, installation.rt.secrets)
    dept = depts.get("3")
    assert dept is not None
    depts.save_settings("3", dept.settings.model_copy(update={"stock_update": True}))
    # Hand-worked: November 2026 is period 05 of the year 2027 (from July 2026).
    company.years.closed["202705"] = {"InventoryManagement"}

    visma = installation.connections.visma("3")
    async with visma:
        with pytest.raises(VismaError, match="05-2027 is closed in Inventory Management"):
            await visma.create_issue(
                IssueWrite(
                    hold=False,
                    date="2026-11-02T00:00:00",
                    external_reference="DUELL-STOCK-3-2026-11-02",
                    issue_lines=[IssueLineWrite(inventory_number="A1", quantity=Decimal(1))],
                )
            )

    outcomes = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(ZREPORT, STOCK)
    )
    stock = [o for o in outcomes if o.key.startswith("DUELL-STOCK-3-")]
    november = [o for o in stock if o.key.startswith("DUELL-STOCK-3-2026-11-")]
    assert november and {(o.state, o.error) for o in november} == {
        (
            State.ATTENTION,
            "financial period 202705 (2026-11-01 to 2026-11-30) is closed in Visma's "
            "inventory management",
        )
    }
    assert not any(i["date"].startswith("2026-11") for i in company.issues.values())
    assert any(o.key.startswith("DUELL-STOCK-3-2026-10-") for o in stock)  # October is open

    company.years.closed.pop("202705")  # the accountant reopens November's inventory
    again = await transfer(
        installation.rt, "3", connections=installation.connections, kinds=(STOCK,)
    )
    sent = {o.key: o for o in again}
    assert {o.key for o in november} <= set(sent)
    # Past the period check this time: this company lacks DUELL's items, so each waits for
    # them (held before sending), not for the period.
    assert {sent[o.key].state for o in november} == {State.ATTENTION}
    assert all("not in Visma yet" in (sent[o.key].error or "") for o in november)
