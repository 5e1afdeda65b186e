"""Issue 17, the per-company settings: the item class of new items, the warehouse of stock
issues and every SUBACCOUNT segment, each against a sandbox that refuses what Visma refuses
(findings B5, B12, B18); the client's requests checked by the spec oracle."""

from __future__ import annotations

import pytest

from core.departments import Departments
from core.ledger import State
from core.service import sync_master_data, transfer
from core.visma.client import VismaClient
from core.visma.errors import VismaError
from core.visma.models import (
    InventoryWrite,
    IssueLineWrite,
    IssueWrite,
    JournalLineWrite,
    JournalWrite,
    SegmentWrite,
)
from tests.sandbox_fixtures import Installation, VismaWorld


def set_settings(inst: Installation, dept: str = "1", **changes) -> None:
    depts = Departments(inst.rt.store, inst.rt.secrets)
    found = depts.get(dept)
    assert found is not None
    depts.save_settings(dept, found.settings.model_copy(update=changes))


def journal(*segments: tuple[int, str]) -> JournalWrite:
    subaccount = [SegmentWrite(segment_id=s, segment_value=v) for s, v in segments]
    return JournalWrite(
        hold=True,
        transaction_date="2026-11-02T00:00:00",
        financial_period="202611",
        description="DUELL-Z-3-1 Dagsoppgjør",
        journal_transaction_lines=[
            JournalLineWrite(
                account_number="1900", debit_amount_in_currency=100, subaccount=subaccount
            ),
            JournalLineWrite(
                account_number="3100", credit_amount_in_currency=100, subaccount=subaccount
            ),
        ],
    )


# -- the sandbox's rules, through the client and the oracle ----------------------------------


async def test_the_company_lists_item_classes_and_warehouses_and_refuses_others(
    world: VismaWorld, visma: VismaClient
) -> None:
    classes = await visma.list_item_classes()
    assert [(c.id, c.type) for c in classes] == [
        ("VARER", "FinishedGoodItem"),
        ("TJENESTE", "ServiceItem"),
    ]
    assert [w.warehouse_id for w in await visma.list_warehouses()] == ["HOVED", "BUTIKK"]
    with pytest.raises(VismaError, match="ItemClass is required") as exc:
        await visma.create_item(InventoryWrite(inventory_number="A1", vat_code="1"))
    assert exc.value.status == 400 and exc.value.visma_id  # Visma's message shape
    with pytest.raises(VismaError, match="Item class 'NOPE' cannot be found"):
        await visma.create_item(
            InventoryWrite(inventory_number="A1", item_class="NOPE", vat_code="1")
        )
    await visma.create_item(InventoryWrite(inventory_number="A1", item_class="VARER", vat_code="1"))
    assert world.company.company.items["A1"]["itemClass"]["id"] == "VARER"

    def issue(warehouse: str | None) -> IssueWrite:
        line = IssueLineWrite(inventory_number="A1", quantity=1, warehouse_id=warehouse)
        return IssueWrite(hold=False, date="2026-11-02T00:00:00", issue_lines=[line])

    with pytest.raises(VismaError, match="Warehouse 'MAIN' cannot be found"):
        await visma.create_issue(issue("MAIN"))  # the id duvi had hard-coded
    number = await visma.create_issue(issue(None))  # none: the item's default applies
    listed = [i async for i in visma.list_issues()]
    assert [i.reference_number for i in listed] == [number]


async def test_a_subaccount_needs_every_segment_and_a_made_combination(
    world: VismaWorld,
) -> None:
    from core.sandbox.world import _second_company

    _second_company(world.company.company)  # validated combinations; Trondheim is 03-100
    async with world.client() as visma:
        with pytest.raises(VismaError, match=r"missing segment 2 \(Prosjekt\)"):
            await visma.create_journal(journal((1, "03")))
        with pytest.raises(VismaError, match="'03-000' is not a valid combination"):
            await visma.create_journal(journal((1, "03"), (2, "000")))
        number = await visma.create_journal(journal((1, "03"), (2, "100")))
        lines = (await visma.get_journal(number)).journal_transaction_lines
        assert {ln.subaccount.subaccount_number for ln in lines if ln.subaccount} == {"03-100"}


# -- duvi sends what the company requires -----------------------------------------------------


async def test_new_items_carry_the_chosen_item_class(installation: Installation) -> None:
    set_settings(installation, item_class=None)
    report = await sync_master_data(
        installation.rt, "1", "products", connections=installation.connections
    )
    assert report.created == 0 and report.failed
    assert "no Visma item class is chosen for department 1" in report.failed[0]
    assert "--item-class ID" in report.failed[0]
    installation.rt.log.flush()
    logged = installation.rt.store.query(
        "SELECT message FROM events WHERE message LIKE '%not created in Visma%'"
    )
    assert [r["message"].split(":")[0] for r in logged] == [
        f"{len(report.failed)} new products not created in Visma"
    ]  # one line for them all, not one per product
    set_settings(installation, item_class="TJENESTE")
    report = await sync_master_data(
        installation.rt, "1", "products", connections=installation.connections
    )
    assert report.created > 0 and not report.failed
    made = [i for i in installation.company.items.values() if "itemClass" in i]
    assert len(made) == report.created
    assert {i["itemClass"]["id"] for i in made} == {"TJENESTE"}


async def test_stock_issues_go_to_the_chosen_warehouse(installation: Installation) -> None:
    set_settings(installation, stock_update=True, warehouse="BUTIKK")
    await sync_master_data(installation.rt, "1", "products", connections=installation.connections)
    outcomes = await transfer(installation.rt, "1", connections=installation.connections)
    stock = [o for o in outcomes if o.key.startswith("DUELL-STOCK-1-")]
    assert stock and {o.state for o in stock} == {State.CONFIRMED}
    warehouses = {
        ln["warehouse"]["id"]
        for i in installation.company.issues.values()
        for ln in i["issueLines"]
    }
    assert warehouses == {"BUTIKK"}
    moved = {wh for (_, wh) in installation.company.stock}
    assert moved == {"BUTIKK"}  # released: the stock moved in that warehouse
    from core.transferview import transfer_document

    depts = Departments(installation.rt.store, installation.rt.secrets)
    shown = transfer_document(installation.rt.store, depts, stock[0].key)
    assert {ln.warehouse for ln in shown.lines} == {"BUTIKK"}  # the document shows it too


async def test_journal_lines_carry_every_subaccount_segment(installation: Installation) -> None:
    outcomes = await transfer(
        installation.rt, "1", kinds=("zreport",), connections=installation.connections
    )
    assert outcomes and {o.state for o in outcomes} <= {State.CONFIRMED, State.RELEASED}
    subaccounts = {
        (
            ln["subaccount"]["subaccountNumber"],
            tuple(s["segmentId"] for s in ln["subaccount"]["segments"]),
        )
        for j in installation.company.journals.values()
        for ln in j["journalTransactionLines"]
    }
    assert subaccounts == {("01-000", (1, 2))}


async def test_a_setup_saved_without_the_other_segments_holds_the_journals_with_the_remedy(
    installation: Installation,
) -> None:
    from core.transfers.posting import PreflightError

    set_settings(installation, subaccount_defaults={})  # as setup saved before issue 17
    with pytest.raises(PreflightError) as exc:
        await transfer(
            installation.rt, "1", kinds=("zreport",), connections=installation.connections
        )
    assert "SUBACCOUNT segment 2 has no value: run the department's setup again" in str(
        exc.value.message
    )
    assert not installation.company.journals  # nothing sent that Visma would refuse


# -- doctor ---------------------------------------------------------------------------------


async def doctor_checks(inst: Installation) -> dict[str, object]:
    from core.doctor import run_doctor

    checks = await run_doctor(inst.rt, ["1"], connections=inst.connections)
    return {c.id: c for c in checks}


async def test_doctor_reports_a_missing_or_unknown_item_class_and_warehouse(
    installation: Installation,
) -> None:
    from core.doctor import Fix, Status

    set_settings(installation, stock_update=True)
    checks = await doctor_checks(installation)
    assert checks["visma.item_class"].status == Status.OK  # VARER, as the sandbox's setup chose
    assert checks["visma.warehouse"].found == "each item's default warehouse"
    set_settings(installation, item_class=None, warehouse="MAIN")
    checks = await doctor_checks(installation)
    missing, warehouse = checks["visma.item_class"], checks["visma.warehouse"]
    assert missing.status == Status.FAIL and missing.fix == Fix.SETUP
    assert "Visma creates no item without one" in missing.found
    assert "duvi departments setup 1 --item-class ID" in missing.remedy
    assert warehouse.status == Status.FAIL and "MAIN is not an active warehouse" in warehouse.found
    set_settings(installation, item_class="GONE", warehouse="HOVED")
    checks = await doctor_checks(installation)
    unknown = checks["visma.item_class"]
    assert unknown.status == Status.FAIL and "item class GONE does not exist" in unknown.found
    assert "TJENESTE, VARER" in unknown.remedy
    assert checks["visma.warehouse"].status == Status.OK


async def test_doctor_reports_a_subaccount_missing_a_segment(installation: Installation) -> None:
    from core.doctor import Status

    set_settings(installation, subaccount_defaults={})
    check = (await doctor_checks(installation))["visma.company"]
    assert check.status == Status.FAIL
    assert "SUBACCOUNT segment 2 (Prosjekt) has no value" in check.found
    set_settings(installation, subaccount_defaults={2: "999"})
    check = (await doctor_checks(installation))["visma.company"]
    assert "'999' is not a value of SUBACCOUNT segment 2" in check.found
