"""Visma.net's business rules (issue 17): the sandbox refuses what Visma refuses, and the client
does what Visma requires. Every request still goes through the spec oracle (tests/visma_oracle.py).
Sources: ../shared/docs/findings/2026-12-visma.md, named beside each rule in the code."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from core.errors import DuviError
from core.ledger import Ledger, State
from core.service import release, transfer
from core.transfers import INVOICE, STOCK, ZREPORT
from core.visma.errors import VismaError
from core.visma.models import (
    CustomerWrite,
    InventoryWrite,
    IssueLineWrite,
    IssueWrite,
    JournalLineWrite,
    JournalWrite,
)
from tests.sandbox_fixtures import Installation, VismaWorld


def journal(reference: str) -> JournalWrite:
    return JournalWrite(
        hold=True,
        transaction_date="2026-11-02T00:00:00",
        financial_period="202611",
        description=f"{reference} Dagsoppgjør",
        journal_transaction_lines=[
            JournalLineWrite(account_number="1900", debit_amount_in_currency=Decimal("100.00")),
            JournalLineWrite(account_number="3000", credit_amount_in_currency=Decimal("100.00")),
        ],
    )


def company(world: VismaWorld):
    return world.sandbox.visma.companies[world.company.tenant_id]


# -- hold -> release ----------------------------------------------------------------------------


async def test_a_document_on_hold_cannot_be_released(visma) -> None:
    number = await visma.create_journal(journal("DUELL-Z-1-5"))
    with pytest.raises(VismaError, match="On hold status and cannot be released") as exc:
        await visma.release_journal(number)
    assert exc.value.status == 400 and exc.value.visma_id  # Visma's {"message": "VismaId: …"}
    assert (await visma.get_journal(number)).status == "Hold"
    await visma.clear_journal_hold(number)
    assert (await visma.get_journal(number)).status == "Balanced"
    assert (await visma.release_journal(number)).action_result == "Done"
    assert (await visma.get_journal(number)).status == "Posted"


async def test_release_clears_hold_reads_again_then_releases(installation: Installation) -> None:
    outcomes = await transfer(
        installation.rt, "1", kinds=(ZREPORT,), connections=installation.connections
    )
    key, number = outcomes[0].key, outcomes[0].visma_number
    assert number is not None and installation.company.journals[number]["status"] == "Hold"
    await release(installation.rt, key, connections=installation.connections)
    assert installation.company.journals[number]["status"] == "Posted"
    assert Ledger(installation.rt.store).get(key).state == State.RELEASED
    installation.connections.http_log.flush()
    calls = installation.rt.store.query(
        "SELECT method, path FROM http_calls WHERE system = 'visma' AND path LIKE ? ORDER BY id",
        [f"%/v2/journaltransaction/{number}%"],
    )
    assert [(c["method"], c["path"].rsplit(number, 1)[1]) for c in calls] == [
        ("GET", ""),
        ("PUT", ""),  # hold=false
        ("GET", ""),  # read again: Balanced
        ("POST", "/action/release"),
    ]
    invoices = await transfer(
        installation.rt, "1", kinds=(INVOICE,), connections=installation.connections
    )
    invoice = next(o for o in invoices if o.state == State.CONFIRMED)
    assert installation.company.invoices[invoice.visma_number]["status"] == "Hold"
    await release(installation.rt, invoice.key, connections=installation.connections)
    assert installation.company.invoices[invoice.visma_number]["status"] == "Open"


# -- action bodies ------------------------------------------------------------------------------


async def test_an_action_without_a_json_body_is_refused(visma, world: VismaWorld) -> None:
    number = await visma.create_journal(journal("DUELL-Z-1-6"))
    company(world).journals[number].update(status="Balanced", hold=False)
    path = f"/v2/journaltransaction/{number}/action/release"
    bare = await visma.http.request("POST", path, repeatable=True)
    assert bare.status_code == 400 and "send a JSON object" in bare.json()["message"]
    assert (await visma.get_journal(number)).status == "Balanced"
    assert (await visma.release_journal(number)).action_result == "Done"  # the client sends {}


# -- actionResult -------------------------------------------------------------------------------


def stock_on(inst: Installation) -> None:
    from core.departments import Departments

    depts = Departments(inst.rt.store, inst.rt.secrets)
    dept = depts.get("1")
    assert dept is not None
    depts.save_settings("1", dept.settings.model_copy(update={"stock_update": True}))


async def stock_run(inst: Installation):
    """The stock issues Visma took (the seeded world has days with items Visma lacks: those
    lines wait, held, on issues of their own)."""
    outcomes = await transfer(inst.rt, "1", kinds=(ZREPORT, STOCK), connections=inst.connections)
    return [
        o
        for o in outcomes
        if o.key.startswith("DUELL-STOCK-")
        and o.state != State.FAILED
        and "not in Visma yet" not in (o.error or "")
    ]


async def test_a_queued_release_is_read_again_later_never_sent_twice(
    installation: Installation,
) -> None:
    stock_on(installation)
    installation.sandbox.faults.action_result = "Queued"
    first = await stock_run(installation)
    assert first and {o.state for o in first} == {State.SENT}  # not counted while queued
    assert all("its release is Queued" in (o.error or "") for o in first)
    issues = installation.company.issues
    assert installation.sandbox.visma.releases == len(first)

    installation.sandbox.faults.action_result = "Done"
    second = await stock_run(installation)
    assert {o.state for o in second} == {State.CONFIRMED}
    assert all(o.looked_up for o in second)  # found Released: not released again
    assert installation.sandbox.visma.releases == len(first)  # one release per issue
    assert {i["status"] for i in issues.values()} == {"Released"}


async def test_a_release_still_queued_at_the_next_run_is_read_not_sent_again(
    installation: Installation,
) -> None:
    """Visma keeps the release queued past the next run: that run reads the issue's status,
    sends no second release and leaves it sent; once Visma has released it, the run after
    confirms it. One release POST per issue across the runs."""
    stock_on(installation)
    faults = installation.sandbox.faults
    faults.action_result, faults.queued_for = "Queued", None  # queued until told
    first = await stock_run(installation)
    assert first and {o.state for o in first} == {State.SENT}
    assert installation.sandbox.visma.releases == len(first)

    faults.action_result = "Done"  # a second release would be answered Done: none is sent
    second = await stock_run(installation)
    assert [(o.key, o.state) for o in second] == [(o.key, State.SENT) for o in first]
    assert all("Visma answered its release Queued" in (o.error or "") for o in second)
    assert all("not released yet" in (o.error or "") for o in second)
    assert installation.sandbox.visma.releases == len(first)  # read, not released again
    assert {i["status"] for i in installation.company.issues.values()} == {"Balanced"}

    installation.company.finish_queued()  # Visma's worker releases them
    third = await stock_run(installation)
    assert {o.state for o in third} == {State.CONFIRMED} and all(o.looked_up for o in third)
    assert installation.sandbox.visma.releases == len(first)  # one release POST per issue
    assert not installation.rt.store.query(
        "SELECT * FROM sync_cursors WHERE entity LIKE 'release-queued:%'"
    )


async def test_a_queued_release_visma_never_carries_out_waits_for_a_person(
    installation: Installation,
) -> None:
    """Visma's worker could not release it (the issue stays Balanced; Visma's record shows no
    errorInfo for it): an hour after the Queued answer the row waits for a person, and a
    person's retry has duvi release it again, once."""
    from core.ledger import RELEASE_QUEUED
    from core.service import resend

    stock_on(installation)
    faults = installation.sandbox.faults
    faults.action_result, faults.queued_for = "Queued", None
    first = await stock_run(installation)
    assert first
    installation.company.fail_queued()
    ledger = Ledger(installation.rt.store)
    key = first[0].key
    marker = ledger.cursor("1", RELEASE_QUEUED + key)
    assert marker is not None and marker.split()[1] == "Queued"
    # The answer came two hours ago (the marker's time, written as a run then would have).
    ledger.set_cursor("1", RELEASE_QUEUED + key, "2026-12-02T09:00:00.000Z Queued a-1")
    faults.action_result = "Done"
    second = {o.key: o for o in await stock_run(installation)}
    assert second[key].state == State.ATTENTION
    row = ledger.get(key)
    assert "Visma answered its release Queued at 2026-12-02 09:00 UTC, action a-1" in (
        row.last_error or ""
    )
    assert "resend it (`s` on the transfers screen)" in (row.last_error or "")
    assert installation.sandbox.visma.releases == len(first)  # not sent again

    after = await resend(installation.rt, key, connections=installation.connections)
    assert after.state == State.CONFIRMED
    assert installation.sandbox.visma.releases == len(first) + 1  # the person's one resend
    assert ledger.cursor("1", RELEASE_QUEUED + key) is None


async def test_a_failed_release_waits_for_a_person_with_visma_s_reason(
    installation: Installation,
) -> None:
    stock_on(installation)
    installation.sandbox.faults.action_result = "Failed"
    outcomes = await stock_run(installation)
    assert outcomes and {o.state for o in outcomes} == {State.ATTENTION}
    row = Ledger(installation.rt.store).get(outcomes[0].key)
    assert row.state == State.ATTENTION
    assert "could not be released (sandbox: Faults.action_result)" in (row.last_error or "")
    assert {i["status"] for i in installation.company.issues.values()} == {"Balanced"}


async def test_a_manual_release_counts_only_when_done(installation: Installation) -> None:
    outcomes = await transfer(
        installation.rt, "1", kinds=(ZREPORT,), connections=installation.connections
    )
    ledger = Ledger(installation.rt.store)
    (failed, queued) = outcomes[0], outcomes[1]
    installation.sandbox.faults.action_result = "Failed"
    with pytest.raises(VismaError, match="could not be released"):
        await release(installation.rt, failed.key, connections=installation.connections)
    assert ledger.get(failed.key).state == State.CONFIRMED

    installation.sandbox.faults.action_result = "InProcess"
    await release(installation.rt, queued.key, connections=installation.connections)
    assert ledger.get(queued.key).state == State.CONFIRMED  # not released until Visma says so
    releases = installation.sandbox.visma.releases
    installation.sandbox.faults.action_result = "Done"
    # The follow-up finds the release it sent done: a success, not "already released".
    answer = await release(installation.rt, queued.key, connections=installation.connections)
    assert json.loads(answer)["state"] == "released (was inprocess)"
    assert ledger.get(queued.key).state == State.RELEASED
    assert installation.sandbox.visma.releases == releases  # read, not released twice
    with pytest.raises(DuviError, match="already released in Visma"):  # from then on
        await release(installation.rt, queued.key, connections=installation.connections)


async def test_a_release_still_queued_is_not_sent_again_then_reported_released(
    installation: Installation,
) -> None:
    """`duvi release KEY --yes` answered Queued, and Visma still working at the next one:
    nothing is sent again; once Visma has released it, the next says so (a success: the
    CLI prints it and exits 0, where it said "already released", exit 6)."""
    outcomes = await transfer(
        installation.rt, "1", kinds=(ZREPORT,), connections=installation.connections
    )
    key = outcomes[0].key
    faults = installation.sandbox.faults
    faults.action_result, faults.queued_for = "Queued", None

    async def release_it() -> dict:
        return json.loads(await release(installation.rt, key, connections=installation.connections))

    assert (await release_it())["result"] == "Queued"
    faults.action_result = "Done"
    assert await release_it() == {
        "result": "Queued",
        "number": outcomes[0].visma_number,
        "sent": False,
    }
    assert installation.sandbox.visma.releases == 1  # not sent again
    installation.company.finish_queued()
    assert (await release_it())["state"] == "released (was queued)"
    assert Ledger(installation.rt.store).get(key).state == State.RELEASED
    assert installation.sandbox.visma.releases == 1


async def test_a_failed_action_raises_with_error_info(visma, world: VismaWorld) -> None:
    from core.visma.client import action_done

    item = await visma.create_item(
        InventoryWrite(inventory_number="A1", item_class="VARER", vat_code="1")
    )
    number = await visma.create_issue(
        IssueWrite(
            hold=True,
            date="2026-11-02T00:00:00",
            external_reference="DUELL-STOCK-1-2026-11-02",
            issue_lines=[IssueLineWrite(inventory_number=item, quantity=Decimal(1))],
        )
    )
    with pytest.raises(VismaError, match="On hold status"):
        await visma.release_issue(number)
    company(world).issues[number].update(status="Balanced", hold=False)
    world.sandbox.faults.action_result = "Failed"
    result = await visma.release_issue(number)
    assert result.action_result == "Failed" and result.error_info
    with pytest.raises(VismaError, match=re.escape(result.error_info)) as exc:
        action_done(result, "release it")
    assert type(exc.value).__name__ == "ActionFailedError"


# -- ids with reserved characters ---------------------------------------------------------------


async def test_ids_with_reserved_characters_go_as_b64(visma, world: VismaWorld) -> None:
    odd = "GARN/50:ull#1"
    assert (
        await visma.create_item(
            InventoryWrite(inventory_number=odd, item_class="VARER", vat_code="1")
        )
        == odd
    )
    assert (await visma.get_item(odd)).inventory_number == odd
    await visma.update_item(odd, InventoryWrite(description="Ullgarn"))
    assert company(world).items[odd]["description"] == "Ullgarn"
    # Visma's own example (community.visma.com KB): ":/?#[]@&*+;" is b64(Oi8_I1tdQCYqKzs).
    await visma.create_item(
        InventoryWrite(inventory_number=":/?#[]@&*+;", item_class="VARER", vat_code="1")
    )
    raw = await visma.http.request("GET", "/v1/inventory/b64(Oi8_I1tdQCYqKzs)")
    assert raw.status_code == 200 and raw.json()["inventoryNumber"] == ":/?#[]@&*+;"
    refused = await visma.http.request("GET", "/v1/inventory/GARN%2050%3Aull")
    assert refused.status_code == 400 and "b64(" in refused.json()["message"]


# -- paging -------------------------------------------------------------------------------------


async def test_without_metadata_paging_goes_on_until_an_empty_page(world: VismaWorld) -> None:
    sandbox = world.sandbox.visma
    world.sandbox.faults.omit_metadata_rate = 1.0
    small = world.client(page_size=2)
    try:
        for n in range(5):
            await small.create_customer(CustomerWrite(name=f"Kunde {n}"))
        before = sandbox.requests
        names = [c.name async for c in small.list_customers()]
        assert names == [f"Kunde {n}" for n in range(5)]
        assert sandbox.requests - before == 4  # 2 + 2 + 1, then the empty page that ends it
    finally:
        await small.aclose()
    # The server clamps below what duvi asks: a short page is not the last one.
    sandbox.page_limits["/v1/customer"] = 2
    client = world.client()
    try:
        assert len([c async for c in client.list_customers()]) == 5
    finally:
        await client.aclose()
    assert world.sandbox.faults.injected["no-metadata"] == 8


async def test_each_endpoint_has_its_own_page_size_limit(visma, world: VismaWorld) -> None:
    c = company(world)
    for i in range(1_001):
        n = f"{i:05d}"
        c.customers[n] = {"number": n, "name": f"Kunde {i}"}
    resp = await visma.http.request("GET", "/v1/customer", params={"pageSize": 5000})
    page = resp.json()
    assert len(page) == 1_000 and page[0]["metadata"] == {"totalCount": 1_001, "maxPageSize": 1_000}
    await visma.create_item(InventoryWrite(inventory_number="A1", item_class="VARER", vat_code="1"))
    resp = await visma.http.request("GET", "/v1/inventory", params={"pageSize": 9000})
    assert resp.json()[0]["metadata"]["maxPageSize"] == 5_000
    assert len([x async for x in visma.list_customers()]) == 1_001


# -- scopes -------------------------------------------------------------------------------------


async def test_scopes_default_to_read_create_update(world: VismaWorld) -> None:
    client = world.client()  # the sandbox's application has no :delete scope
    try:
        await client.list_accounts()
        assert client.tokens.creds.scopes == (
            "vismanet_erp_service_api:read",
            "vismanet_erp_service_api:create",
            "vismanet_erp_service_api:update",
        )
    finally:
        await client.aclose()
    greedy = world.client(visma_scopes=("read", "create", "update", "delete"))
    try:
        with pytest.raises(VismaError) as exc:
            await greedy.list_accounts()
        assert exc.value.fault_code == "invalid_scope" and "visma_scopes" in exc.value.remedy
    finally:
        await greedy.aclose()


# -- null lists ---------------------------------------------------------------------------------


async def test_null_lists_read_as_empty(visma, world: VismaWorld) -> None:
    number = await visma.create_item(
        InventoryWrite(inventory_number="B1", item_class="VARER", vat_code="1")
    )
    company(world).items[number]["crossReferences"] = None
    items = [i async for i in visma.list_items(cross_references=True)]
    assert [(i.inventory_number, i.cross_references) for i in items] == [("B1", [])]
    world.sandbox.faults.null_lists_rate = 1.0
    other = await visma.create_item(
        InventoryWrite(inventory_number="C1", item_class="VARER", vat_code="1")
    )
    raw = await visma.http.request("GET", f"/v1/inventory/{other}")
    assert raw.json()["crossReferences"] is None  # sent as null by the sandbox's knob
    assert (await visma.get_item(other)).cross_references == []
    assert world.sandbox.faults.injected["null-lists"] == 2
