"""Stock issues as a warehouse keeps them (issue 19 item 7), against the sandbox: the branch on
every issue and line, a net return as a `Return` line (not −1 or 0 on an `Issue` line), and an
unknown item that parks only its own line, sent once the item exists."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from core.departments import Departments
from core.ledger import Ledger, State
from core.service import sync_master_data, transfer
from core.transferview import transfer_document
from tests.sandbox_fixtures import Installation


def set_settings(inst: Installation, **changes: Any) -> None:
    depts = Departments(inst.rt.store, inst.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update=changes))


async def stock_on(inst: Installation, **changes: Any) -> None:
    set_settings(inst, stock_update=True, **changes)
    await sync_master_data(inst.rt, "1", "products", connections=inst.connections)


def first_day(inst: Installation, items: list[tuple[str, int]]) -> str:
    """The first day's sales become `items` (on its first Z-report; the day's others sell
    nothing)."""
    reports = inst.sandbox.duell.state.zreports["1"]
    day = reports[0]["business_date"]
    for z in reports:
        if z["business_date"] == day:
            z["items_sold"] = []
    reports[0]["items_sold"] = [{"product_number": n, "quantity": q} for n, q in items]
    return day


def issue_of(inst: Installation, key: str) -> dict[str, Any]:
    return next(i for i in inst.company.issues.values() if i["externalReference"] == key)


async def run(inst: Installation) -> list[Any]:
    return await transfer(inst.rt, "1", connections=inst.connections)


async def test_every_issue_and_line_carries_the_branch(installation: Installation) -> None:
    await stock_on(installation, several_clients=True, branch_number="2")
    outcomes = await run(installation)
    assert [o for o in outcomes if o.key.startswith("DUELL-STOCK") and o.state != "confirmed"] == []
    issues = list(installation.company.issues.values())
    assert len(issues) == 30
    assert {i["branchNumber"] for i in issues} == {"2"}
    assert {ln["branchNumber"] for i in issues for ln in i["issueLines"]} == {"2"}


async def test_a_net_return_is_a_return_line_and_zero_is_left_out(
    installation: Installation,
) -> None:
    await stock_on(installation)
    items = sorted(installation.company.items)[:3]
    returned, netted, sold = items
    day = first_day(installation, [(returned, -1), (netted, 0), (sold, 3)])
    await run(installation)
    issue = issue_of(installation, f"DUELL-STOCK-1-{day}")
    assert issue["status"] == "Released"
    lines = {ln["inventoryItem"]["number"]: ln for ln in issue["issueLines"]}
    assert set(lines) == {returned, sold}  # the item netting to 0 moves nothing
    assert (lines[returned]["transactionType"], lines[returned]["quantity"]) == ("Return", 1)
    assert (lines[sold]["transactionType"], lines[sold]["quantity"]) == ("Issue", 3)


async def test_an_unknown_item_parks_only_its_line_until_it_exists(
    installation: Installation,
) -> None:
    await stock_on(installation)
    known = sorted(installation.company.items)[0]
    day = first_day(installation, [(known, 2), ("99-NY", 5)])
    key = f"DUELL-STOCK-1-{day}"
    outcomes = {o.key: o for o in await run(installation)}
    # The day goes without the unknown line; every other day goes as well.
    assert outcomes[key].state == State.CONFIRMED
    stock = [o for o in outcomes.values() if o.key.startswith("DUELL-STOCK")]
    assert sum(o.state == State.CONFIRMED for o in stock) == 30
    lines = issue_of(installation, key)["issueLines"]
    assert [(ln["inventoryItem"]["number"], ln["quantity"]) for ln in lines] == [(known, 2)]
    assert any("99-NY not in Visma yet" in f for f in outcomes[key].flags)
    parked = Ledger(installation.rt.store).get(f"{key}-parked")
    assert parked is not None and parked.state == State.ATTENTION
    assert parked.payload["items"] == {"99-NY": "5"}
    assert "item 99-NY not in Visma yet" in (parked.last_error or "")
    # Visible in the transfers document, as it will be sent.
    doc = transfer_document(
        installation.rt.store, Departments(installation.rt.store, installation.rt.secrets), key
    )
    assert [ln.item for ln in doc.lines] == [known]
    held = transfer_document(
        installation.rt.store,
        Departments(installation.rt.store, installation.rt.secrets),
        f"{key}-parked",
    )
    assert [(ln.item, ln.quantity) for ln in held.lines] == [("99-NY", Decimal(5))]

    assert [o.key for o in await run(installation)] == []  # still absent: nothing sent
    item = copy.deepcopy(installation.company.items[known])
    item.update(inventoryNumber="99-NY", number="99-NY")
    installation.company.items["99-NY"] = item
    again = await run(installation)
    assert [(o.key, o.state) for o in again] == [(f"{key}-parked", State.CONFIRMED)]
    sent = issue_of(installation, f"{key}-parked")
    assert sent["status"] == "Released"
    assert [(ln["inventoryItem"]["number"], ln["quantity"]) for ln in sent["issueLines"]] == [
        ("99-NY", 5)
    ]
