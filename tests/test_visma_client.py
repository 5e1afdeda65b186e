"""Every Visma.net client operation against the sandbox, every request and response checked
against the spec by the oracle transport."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from core.visma.errors import VismaError
from core.visma.models import (
    AddressWrite,
    ContactWrite,
    CrossReferenceLine,
    CrossReferenceWrite,
    CustomerWrite,
    InventoryWrite,
    InvoiceLineWrite,
    InvoiceWrite,
    IssueLineWrite,
    IssueWrite,
    JournalLineWrite,
    JournalWrite,
    SegmentWrite,
    WebhookFeedback,
)
from tests.sandbox_fixtures import VismaWorld


def balanced_journal(reference: str, amount: str = "125.00", **extra) -> JournalWrite:
    gross = Decimal(amount)
    vat = (gross * Decimal(25) / Decimal(125)).quantize(Decimal("0.01"))
    return JournalWrite(
        hold=True,
        transaction_date="2026-11-02T00:00:00",
        financial_period="202611",
        description=f"Z-report {reference}",
        journal_transaction_lines=[
            JournalLineWrite(
                account_number="1900",
                debit_amount_in_currency=gross,
                reference_number=reference,
                subaccount=[
                    SegmentWrite(segment_id=1, segment_value="01"),
                    SegmentWrite(segment_id=2, segment_value="000"),
                ],
            ),
            JournalLineWrite(
                account_number="3000",
                credit_amount_in_currency=gross - vat,
                vat_id="3",
                reference_number=reference,
            ),
            JournalLineWrite(
                account_number="2700", credit_amount_in_currency=vat, reference_number=reference
            ),
        ],
        **extra,
    )


async def test_customers_create_get_update_list_and_delta(visma, world: VismaWorld) -> None:
    number = await visma.create_customer(
        CustomerWrite(
            name="Ola Nordmann AS",
            corporate_id="123456785",
            override_with_class_values=True,
            main_address=AddressWrite(
                address_line1="Storgata 1", postal_code="0155", city="Oslo", country_id="NO"
            ),
            main_contact=ContactWrite(email="post@nordmann.no", phone1="+47 912 34 567"),
        )
    )
    got = await visma.get_customer(number)
    assert got.name == "Ola Nordmann AS" and got.corporate_id == "123456785"
    assert got.main_address is not None and got.main_address.country is not None
    assert got.main_address.country.id == "NO"
    assert got.main_contact is not None and got.main_contact.phone1 == "+47 912 34 567"
    cursor = got.last_modified_date_time
    other = await visma.create_customer(CustomerWrite(name="Kari Hansen"))

    await visma.update_customer(number, CustomerWrite(name="Ola Nordmann Holding AS"))
    assert (await visma.get_customer(number)).name == "Ola Nordmann Holding AS"
    assert (await visma.get_customer(number)).corporate_id == "123456785"  # omitted = unchanged

    everyone = [c.number async for c in visma.list_customers()]
    assert everyone == [number, other]
    changed = [c.number async for c in visma.list_customers(modified_since=cursor, condition=">")]
    assert sorted(changed) == sorted([other, number])  # both changed after the cursor
    by_org = [c.number async for c in visma.list_customers(corporateId="123456785")]
    assert by_org == [number]
    assert world.oracle.requests_checked >= 8 and world.oracle.responses_checked >= 4


async def test_stale_etag_is_refused_with_412(visma, world: VismaWorld) -> None:
    number = await visma.create_customer(CustomerWrite(name="A"))
    stale = world.sandbox.visma.companies[world.company.tenant_id].etag("customer", number)
    await visma.update_customer(number, CustomerWrite(name="B"), etag=stale)
    with pytest.raises(VismaError) as exc:
        await visma.update_customer(number, CustomerWrite(name="C"), etag=stale)
    assert exc.value.status == 412 and "read it again" in exc.value.remedy


async def test_items_cost_statistics_and_cross_references(visma, world: VismaWorld) -> None:
    number = await visma.create_item(
        InventoryWrite(
            inventory_number="100-ULL",
            item_class="VARER",
            description="Ullgarn, 50 g",
            vat_code="1",
            default_price=Decimal("89.90"),
            cross_references=[
                CrossReferenceLine(alternate_type="Barcode", alternate_id="7040001234567")
            ],
        )
    )
    assert number == "100-ULL"
    company = world.sandbox.visma.companies[world.company.tenant_id]
    company.items[number]["costPriceStatistics"] = {
        "lastCost": Decimal("41.5"),
        "averageCost": Decimal("39.25"),
    }
    plain = await visma.get_item(number)
    assert plain.cost_price_statistics is None and plain.barcode() == "7040001234567"
    stats = await visma.get_item(number, cost_statistics=True)
    assert stats.cost_price_statistics is not None
    assert stats.cost_price_statistics.average_cost == Decimal("39.25")
    assert stats.vat_code is not None and stats.vat_code.id == "1"

    await visma.add_cross_reference(
        number, CrossReferenceWrite(alternate_type="Global", alternate_id="G-1")
    )
    refs = await visma.list_cross_references(number)
    assert {(r.alternate_type, r.alternate_id) for r in refs} == {
        ("Barcode", "7040001234567"),
        ("Global", "G-1"),
    }

    await visma.update_item(number, InventoryWrite(description="Ullgarn 50 g, rød"))
    listed = [i async for i in visma.list_items(cost_statistics=True, cross_references=True)]
    assert listed[0].description == "Ullgarn 50 g, rød" and listed[0].barcode() == "7040001234567"
    assert listed[0].cost_price_statistics is not None

    with pytest.raises(VismaError, match="TaxCategoryID 'X9' cannot be found"):
        await visma.create_item(
            InventoryWrite(inventory_number="BAD", item_class="VARER", vat_code="X9")
        )
    company.stock[(number, "HOVED")] = Decimal(10)
    summary = await visma.inventory_summary(number)
    assert summary[0].on_hand == Decimal(10)


async def test_invoice_draft_lookup_release_and_delete(visma) -> None:
    customer = await visma.create_customer(CustomerWrite(name="Kunde AS"))
    await visma.create_item(InventoryWrite(inventory_number="A1", item_class="VARER", vat_code="1"))
    invoice = InvoiceWrite(
        customer_number=customer,
        document_date="2026-11-02T00:00:00",
        hold=True,
        external_reference="DUELL-INV-1-77",
        invoice_text="Fakturagrunnlag 77",
        invoice_lines=[
            InvoiceLineWrite(
                inventory_number="A1",
                quantity=Decimal(2),
                unit_price_in_currency=Decimal("100.00"),
                vat_code_id="1",
            )
        ],
    )
    number = await visma.create_invoice(invoice)
    got = await visma.get_invoice(number)
    # The seeded category extracts VAT (calculateOn ExtractFromItemAmount): 2 × 100.00 is
    # 200.00 VAT included, of which 200.00 × 25/125 = 40.00 VAT.
    assert got.status == "Hold" and got.amount == Decimal("200.00")
    assert got.vat_total == Decimal("40.00")
    found = await visma.find_invoices_by_external_reference("DUELL-INV-1-77")
    assert [i.reference_number for i in found] == [number]
    assert await visma.find_invoices_by_external_reference("DUELL-INV-1-78") == []

    await visma.clear_invoice_hold(number)  # on hold it cannot be released
    assert (await visma.get_invoice(number)).status == "Balanced"
    result = await visma.release_invoice(number)
    assert result.action_result == "Done"
    assert (await visma.get_invoice(number)).status == "Open"
    with pytest.raises(VismaError, match="unreleased"):
        await visma.delete_invoice(number)

    draft = await visma.create_invoice(invoice.model_copy(update={"external_reference": "X"}))
    await visma.delete_invoice(draft)
    with pytest.raises(VismaError) as exc:
        await visma.get_invoice(draft)
    assert exc.value.status == 404


async def test_journal_hold_release_and_refusals(visma) -> None:
    number = await visma.create_journal(balanced_journal("DUELL-Z-1-41"))
    batch = await visma.get_journal(number)
    assert batch.status == "Hold" and batch.debit_total == batch.credit_total == Decimal("125")
    line = batch.journal_transaction_lines[0]
    assert line.subaccount is not None and line.subaccount.segments[0].segment_value == "01"
    assert batch.journal_transaction_lines[1].vat is not None
    found = await visma.find_journals_by_reference(
        "DUELL-Z-1-41", period="202611", line_reference="DUELL-Z-1-41"
    )
    assert [b.batch_number for b in found] == [number]
    await visma.clear_journal_hold(number)  # on hold it cannot be released
    assert (await visma.get_journal(number)).status == "Balanced"
    await visma.release_journal(number)
    assert (await visma.get_journal(number)).status == "Posted"

    unbalanced = balanced_journal("DUELL-Z-1-42")
    unbalanced.journal_transaction_lines[0].debit_amount_in_currency = Decimal("125.01")
    with pytest.raises(
        VismaError, match=re.escape("out of balance: debit total 125.01, credit total 125.00")
    ):
        await visma.create_journal(unbalanced)
    bad = balanced_journal("DUELL-Z-1-43")
    bad.journal_transaction_lines[1].vat_id = "99"
    bad.journal_transaction_lines[0].subaccount = [
        SegmentWrite(segment_id=1, segment_value="77"),
        SegmentWrite(segment_id=2, segment_value="000"),
    ]
    with pytest.raises(VismaError) as exc:
        await visma.create_journal(bad)
    assert exc.value.status == 400 and exc.value.visma_id  # Visma-style message with a VismaId


async def test_journal_batches_split_across_pages_are_stitched(world: VismaWorld) -> None:
    client = world.client(page_size=4)  # 3 lines per batch: every batch straddles a page
    try:
        numbers = [await client.create_journal(balanced_journal(f"Z-{i}")) for i in range(7)]
        batches = [b async for b in client.list_journals(period="202611")]
        assert [b.batch_number for b in batches] == numbers
        assert all(len(b.journal_transaction_lines) == 3 for b in batches)
        with pytest.raises(ValueError, match="period or lastModifiedDateTime"):
            [b async for b in client.list_journals()]
    finally:
        await client.aclose()


async def test_reference_data(visma) -> None:
    assert {v.vat_id for v in await visma.list_vat()} >= {"3", "31", "33", "5", "6"}
    assert (await visma.get_vat("31")).vat_category_id == "2"
    cats = await visma.list_vat_categories()
    high = await visma.get_vat_category("1")
    assert high.vat_category_lines[0].vat_rates[0].vat_rate == Decimal(25) and len(cats) >= 5
    assert {z.id for z in await visma.list_vat_zones()} == {"01", "02"}
    accounts = await visma.list_accounts()
    assert {"1900", "3000", "2700", "7740", "4390", "1460"} <= {a.account_cd for a in accounts}
    assert (await visma.get_account("7740")).description == "Øresavrunding"
    assert [b.number for b in await visma.list_branches()] == ["1", "2"]
    assert (await visma.get_branch("2")).name == "Filial Bergen"
    assert len(await visma.list_subaccounts()) == 4
    assert "SUBACCOUNT" in await visma.list_dimensions()
    dim = await visma.get_dimension("SUBACCOUNT")
    assert [v.value_id for v in dim.segments[0].segment_values] == ["00", "01", "02", "03"]


async def test_inventory_issue_and_release_move_stock(visma, world: VismaWorld) -> None:
    await visma.create_item(InventoryWrite(inventory_number="B2", item_class="VARER", vat_code="1"))
    number = await visma.create_issue(
        IssueWrite(
            hold=False,
            date="2026-11-02T00:00:00",
            external_reference="DUELL-STOCK-1-2026-11-02",
            issue_lines=[
                IssueLineWrite(
                    inventory_number="B2",
                    quantity=Decimal(3),
                    warehouse_id="HOVED",
                    tran_type="Issue",
                )
            ],
        )
    )
    issues = [i async for i in visma.list_issues()]
    assert [i.external_reference for i in issues] == ["DUELL-STOCK-1-2026-11-02"]
    await visma.release_issue(number)
    assert [i.status async for i in visma.list_issues()] == ["Released"]
    summary = await visma.inventory_summary("B2")
    assert summary[0].on_hand == Decimal(-3)


async def test_webhook_feedback_goes_bare(visma, world: VismaWorld) -> None:
    await visma.post_feedback(
        WebhookFeedback(notification_id="n-1", is_success=True, description="applied")
    )
    company = world.sandbox.visma.companies[world.company.tenant_id]
    assert company.feedback == [
        {"notificationId": "n-1", "description": "applied", "isSuccess": True}
    ]


async def test_webhook_notifications_except_for_records_with_the_flag_off(
    visma, world: VismaWorld
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    received: list[dict] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=202)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    hooks = world.sandbox.visma.webhooks
    hooks.url, hooks.transport = "http://receiver/hook", httpx.ASGITransport(app=receiver)
    company = world.sandbox.visma.companies[world.company.tenant_id]
    company.webhook_off.add(("item", "SILENT"))

    number = await visma.create_customer(CustomerWrite(name="Varslet AS"))
    await visma.update_customer(number, CustomerWrite(name="Varslet Holding AS"))
    await visma.create_item(
        InventoryWrite(inventory_number="LOUD", item_class="VARER", vat_code="1")
    )
    await visma.create_item(
        InventoryWrite(inventory_number="SILENT", item_class="VARER", vat_code="1")
    )
    await hooks.drain()

    assert [(n["eventId"], n["action"], n["resourceUri"]) for n in received] == [
        ("customer_changed", "Created", f"/v1/customer/{number}"),
        ("customer_changed", "Updated", f"/v1/customer/{number}"),
        ("inventoryitem_changed", "Created", "/v1/inventory/LOUD"),
    ]
    assert all(n["TenantId"] == world.company.tenant_id and n["contextId"] for n in received)
    assert [n["resourceUri"] for n in hooks.suppressed] == ["/v1/inventory/SILENT"]


async def test_the_sandbox_forgets_expired_tokens(world: VismaWorld) -> None:
    """`duvi sandbox serve` runs for days; every token it ever issued must not stay."""

    async def sign_in_and_read() -> None:
        client = world.client()
        try:
            [c async for c in client.list_customers()]
        finally:
            await client.aclose()

    for _ in range(3):
        await sign_in_and_read()
    grants = world.sandbox.connect.tokens
    assert len(grants) == 3
    for grant in grants.values():
        grant.expires_at = 0.0  # an hour has passed
    await sign_in_and_read()
    assert len(world.sandbox.connect.tokens) == 1
