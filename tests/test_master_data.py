"""Products and customers between DUELL and Visma, per master, against the sandbox world."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.conflicts import Conflicts
from core.departments import Departments
from core.models import Master
from core.service import sync_master_data
from tests.sandbox_fixtures import Installation


def set_settings(inst: Installation, **changes) -> None:
    depts = Departments(inst.rt.store, inst.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update=changes))


async def sync(inst: Installation, entity: str, **kw):
    return await sync_master_data(inst.rt, "1", entity, connections=inst.connections, **kw)


@pytest.mark.slow
async def test_products_from_duell_create_update_conflict_then_zero_writes(
    installation: Installation,
) -> None:
    state = installation.sandbox.duell.state
    numbers = [p["product_number"] for p in state.products.values()]
    shared = {n for n in numbers if numbers.count(n) > 1}
    report = await sync(installation, "products")
    assert report.conflicts == sum(numbers.count(n) for n in shared) > 0  # never a guess
    assert report.created > 0 and report.updated > 0 and not report.failed
    items = installation.company.items
    unique = next(p for p in state.products.values() if p["product_number"] not in shared)
    item = items[unique["product_number"]]
    assert item["description"] == unique["product_name"]
    assert any(
        x["alternateType"] == "Barcode" and x["alternateID"] == unique["barcode"]
        for x in item["crossReferences"]
    )
    writes = installation.sandbox.visma.writes
    again = await sync(installation, "products")
    assert again.writes == 0 and installation.sandbox.visma.writes == writes  # nothing changed
    unique["price_inc_vat"] = 1234.5
    changed = await sync(installation, "products")
    assert changed.writes == 1 and items[unique["product_number"]]["defaultPrice"] == Decimal(
        "1234.5"
    )
    conflict = Conflicts(installation.rt.store).list("1")[0]
    assert conflict.entity == "product" and conflict.match_key == "product_number"


async def test_first_pull_from_visma_names_costs_and_barcodes(installation: Installation) -> None:
    items = installation.company.items
    nameless = next(n for n, i in items.items() if "description" not in i)
    set_settings(installation, cost_price_field="last")
    report = await sync(installation, "products", first_time=True)
    assert report.writes > 0 and not report.failed
    state = installation.sandbox.duell.state
    by_number = {}
    for p in state.products.values():
        by_number.setdefault(p["product_number"], []).append(p)
    pulled = [p for p in by_number[nameless] if p.get("product_name") == nameless]
    assert pulled  # an item with no name gets its item number as name in DUELL
    some = next(
        n
        for n, ps in by_number.items()
        if n in items and len(ps) == 1 and "description" in items[n]
    )
    pulled_cost = Decimal(str(by_number[some][0]["cost_price"]))
    assert pulled_cost == Decimal(str(items[some]["costPriceStatistics"]["lastCost"]))
    assert by_number[some][0]["barcode"] == items[some]["crossReferences"][0]["alternateID"]
    saves = state.product_saves
    set_settings(installation, product_master=Master.VISMA, cost_price_field="last")
    again = await sync(installation, "products")
    assert again.writes == 0 and state.product_saves == saves  # the cursor and the hashes agree


async def test_visma_master_follows_changes_with_average_cost(installation: Installation) -> None:
    set_settings(installation, product_master=Master.VISMA)
    await sync(installation, "products", first_time=True)
    number = next(n for n, i in installation.company.items.items() if "description" in i)
    item = installation.company.items[number]
    item["costPriceStatistics"]["averageCost"] = Decimal("77.70")
    item["description"] = "Nytt navn"
    installation.company.touch("item", number, item)
    report = await sync(installation, "products")
    assert report.updated == 1 and report.writes == 1
    dp = [
        p
        for p in installation.sandbox.duell.state.products.values()
        if p["product_number"] == number
    ]
    assert dp[0]["product_name"] == "Nytt navn"
    assert Decimal(str(dp[0]["cost_price"])) == Decimal("77.7")


async def test_customers_from_duell_match_create_and_rest(installation: Installation) -> None:
    before = len(installation.company.customers)
    report = await sync(installation, "customers")
    assert report.updated > 0 and report.created > 0 and not report.failed
    assert len(installation.company.customers) == before + report.created
    writes = installation.sandbox.visma.writes
    again = await sync(installation, "customers")
    assert again.writes == 0 and installation.sandbox.visma.writes == writes


async def test_customer_master_visma_pulls_into_duell(installation: Installation) -> None:
    set_settings(installation, customer_master=Master.VISMA)
    state = installation.sandbox.duell.state
    before = len(state.customers)
    report = await sync(installation, "customers")
    assert report.created + report.updated + report.conflicts + report.unchanged == len(
        installation.company.customers
    )
    assert len(state.customers) == before + report.created
    saves = state.customer_saves
    again = await sync(installation, "customers")
    assert again.writes == 0 and state.customer_saves == saves


async def test_allow_duplicates_never_matches(installation: Installation) -> None:
    set_settings(installation, allow_duplicate_customers=True)
    duell_count = len(installation.sandbox.duell.state.customers)
    before = len(installation.company.customers)
    report = await sync(installation, "customers")
    assert report.created == duell_count and report.conflicts == 0
    assert len(installation.company.customers) == before + duell_count


async def test_stock_update_one_released_issue_per_day(installation: Installation) -> None:
    from collections import Counter

    from core.ledger import Ledger, State
    from core.service import transfer

    set_settings(installation, stock_update=True)
    await sync(installation, "products")  # the items must exist in Visma
    outcomes = await transfer(installation.rt, "1", connections=installation.connections)
    stock = [o for o in outcomes if o.key.startswith("DUELL-STOCK-1-")]
    assert len(stock) == 30 and {o.state for o in stock} == {State.CONFIRMED}
    issues = installation.company.issues.values()
    refs = Counter(i["externalReference"] for i in issues)
    assert len(refs) == 30 and set(refs.values()) == {1}
    assert {i["status"] for i in issues} == {"Released"}
    day = installation.sandbox.duell.state.zreports["1"][0]
    issue = next(i for i in issues if i["externalReference"].endswith(day["business_date"]))
    assert {ln["inventoryItem"]["number"]: ln["quantity"] for ln in issue["issueLines"]} == {
        s["product_number"]: s["quantity"] for s in day["items_sold"]
    }
    assert await transfer(installation.rt, "1", connections=installation.connections) == []
    assert len(Ledger(installation.rt.store).rows("1", kind="stock")) == 30


@pytest.mark.parametrize("recorded_by_older_duvi", [False, True])
async def test_a_late_z_report_gets_a_supplementary_stock_issue(
    installation: Installation, recorded_by_older_duvi: bool
) -> None:
    """A second till closes after its day's stock issue was sent: its sales must reach stock
    too, in an issue of its own, and the sent issue is never changed. Issues recorded before
    duvi noted their Z-reports hold those that were in the ledger when they were recorded."""
    import copy
    import json

    from core.ledger import Ledger, State
    from core.service import transfer

    set_settings(installation, stock_update=True)
    await sync(installation, "products")
    await transfer(installation.rt, "1", connections=installation.connections)
    store = installation.rt.store
    if recorded_by_older_duvi:
        for row in Ledger(store).rows("1", kind="stock"):
            old = {k: v for k, v in row.payload.items() if k != "zreports"}
            with store.write():
                store.conn.execute(
                    "UPDATE ledger SET payload = ? WHERE key = ?", [json.dumps(old), row.key]
                )
    company, zreports = installation.company, installation.sandbox.duell.state.zreports["1"]
    first = zreports[0]
    sent = {i["externalReference"]: copy.deepcopy(i) for i in company.issues.values()}

    late = copy.deepcopy(first)
    late.update(z_number=max(z["z_number"] for z in zreports) + 1, register_id="102")
    product = first["items_sold"][0]["product_number"]
    late["items_sold"] = [{"product_number": product, "quantity": 7}]
    zreports.append(late)
    outcomes = await transfer(installation.rt, "1", connections=installation.connections)

    key = f"DUELL-STOCK-1-{first['business_date']}-2"
    assert [o.key for o in outcomes if o.key.startswith("DUELL-STOCK")] == [key]
    issues = {i["externalReference"]: i for i in company.issues.values()}
    assert issues[key]["status"] == "Released"
    assert {ln["inventoryItem"]["number"]: ln["quantity"] for ln in issues[key]["issueLines"]} == {
        product: 7
    }
    assert {k: v for k, v in issues.items() if k != key} == sent  # the sent ones unchanged
    assert await transfer(installation.rt, "1", connections=installation.connections) == []
    rows = Ledger(store).rows("1", kind="stock")
    assert len(rows) == 31 and {r.state for r in rows} == {State.CONFIRMED}


async def test_each_key_links_instead_of_creating_and_merge_applies_at_once(
    installation: Installation,
) -> None:
    from core.service import resolve_conflict

    company, duell = installation.company, installation.sandbox.duell.state
    duell.customers.clear()
    duell.customers.update(
        {
            1: {"customer_id": 1, "customer_name": "Org AS", "org_number": "123 456 785"},
            2: {"customer_id": 2, "customer_name": "Tlf", "phone": "+47 412 34 567"},
            3: {"customer_id": 3, "customer_name": "Epost", "email": "  KARI@Example.NO "},
            4: {
                "customer_id": 4,
                "customer_name": "Begge",
                "org_number": "923456783",
                "phone": "41234567",
            },
            5: {"customer_id": 5, "customer_name": "To like", "email": "dup@example.no"},
        }
    )
    company.customers.clear()
    for number, rec in {
        "V-ORG": {"name": "Org", "corporateId": "123456785"},
        "V-TLF": {"name": "Tlf", "mainContact": {"phone1": "41234567"}},
        "V-EPOST": {"name": "Epost", "mainContact": {"email": "kari@example.no"}},
        "V-ORG2": {"name": "Begge", "corporateId": "923456783"},
        "V-DUP1": {"name": "Dup 1", "mainContact": {"email": "dup@example.no"}},
        "V-DUP2": {"name": "Dup 2", "mainContact": {"email": "DUP@example.no"}},
    }.items():
        company.customers[number] = {"number": number, "status": "Active", **rec}
        company.touch("customer", number, company.customers[number])
    report = await sync(installation, "customers")
    assert report.created == 0 and report.conflicts == 1
    links = {
        r["duell_id"]: r["visma_id"]
        for r in installation.rt.store.query(
            "SELECT duell_id, visma_id FROM entity_links WHERE entity = 'customer'"
        )
    }
    assert links == {"1": "V-ORG", "2": "V-TLF", "3": "V-EPOST", "4": "V-ORG2"}
    warned = installation.rt.store.query(
        "SELECT message FROM events WHERE message LIKE ?", ["%orgnr decides%"]
    )
    assert warned  # customer 4: org. number -> V-ORG2, phone -> V-TLF; the priority decides
    conflict = Conflicts(installation.rt.store).list("1")[0]
    assert conflict.incoming_id == "5" and conflict.match_key == "email"
    from core.conflicts import compare

    rows = {r.field: r for r in compare(conflict)}
    assert set(rows) == {"name", "email"}  # fields empty on every side are left out
    assert rows["name"].incoming == "To like" and rows["name"].candidates == ["Dup 1", "Dup 2"]
    assert rows["name"].differs == [True, True]
    assert rows["email"].differs == [False, False]  # DUP@ and dup@ are the same address
    await resolve_conflict(
        installation.rt,
        conflict.id,
        "merge",
        candidate="V-DUP2",
        fields={"name": "Duplikat Samlet AS"},
        apply_now=True,
        connections=installation.connections,
    )
    assert company.customers["V-DUP2"]["name"] == "Duplikat Samlet AS"  # applied at once


async def test_a_product_number_conflict_resolved_by_linking_the_right_product(
    installation: Installation,
) -> None:
    from core.service import resolve_conflict

    await sync(installation, "products")
    conflicts = Conflicts(installation.rt.store)
    c = next(x for x in conflicts.list("1") if x.entity == "product")
    chosen = c.candidates[-1]
    await resolve_conflict(
        installation.rt,
        c.id,
        "link",
        candidate=chosen["id"],
        apply_now=True,
        connections=installation.connections,
    )
    item = installation.company.items[c.incoming["product_number"]]
    assert item["description"] == chosen["name"]  # the chosen DUELL product now is the item
